r"""The trust-region subproblem: minimise the quadratic model inside a ball.

At ``x`` with gradient ``g`` and Hessian ``H`` the model of ``f(x + p)`` is

    m(p) = g.p + p.H.p / 2,    subject to  |p| <= delta.

:func:`exact_step` solves it to high accuracy (Moré & Sorensen 1983, in the eigenbasis of
``H``, as scipy's ``trust-exact`` does with Cholesky factors): the solution is

    p(lam) = -(H + lam I)^{-1} g,   lam >= max(0, -lambda_min(H)),   lam (delta - |p|) = 0,

found by Newton's method on the secular equation ``1/delta - 1/|p(lam)| = 0``. When ``H`` has
a negative eigenvalue the step uses that direction (the step lands on the boundary); in the
*hard case* (``g`` orthogonal to the lowest eigenvector) the eigenvector itself is added,
``p = p(-lambda_min) + tau q_min``, so a saddle is left, not stood on. A negative-curvature
direction the gradient does not see that is *not* the lowest one (a symmetric start) is
turned into the step within 10 % of the optimal model decrease (:func:`_unseen`).

:func:`steihaug_step` is the truncated conjugate-gradient solve (Steihaug 1983; Nocedal &
Wright, Algorithm 7.2), which needs only products ``H v``: it stops on the boundary when it
meets negative curvature (following that direction) or leaves the ball, and inside when the
residual is below ``min(0.5, sqrt|g|) |g|``.

Both return ``(p, predicted, on_boundary)`` with ``predicted = -m(p) >= 0``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from descend.expr.objective import Array

__all__ = ["Step", "exact_step", "steihaug_step"]

_EPS = float(np.finfo(np.float64).eps)


class Step(NamedTuple):
    """A subproblem's answer: the step, the model's predicted decrease, on the boundary?"""

    p: Array
    predicted: float
    on_boundary: bool


def _boundary_tau(z: Array, d: Array, delta: float) -> tuple[float, float]:
    """The two roots ``tau`` of ``|z + tau d| = delta`` (one negative, one positive)."""
    a = float(d @ d)
    b = 2.0 * float(z @ d)
    c = float(z @ z) - delta * delta
    disc = math.sqrt(max(b * b - 4.0 * a * c, 0.0))
    q = -0.5 * (b + math.copysign(disc, b))  # stable quadratic formula
    t1 = q / a
    t2 = c / q if q != 0.0 else -t1
    return (t1, t2) if t1 <= t2 else (t2, t1)


def _model(g: Array, H: Array, p: Array) -> float:
    return float(g @ p + 0.5 * (p @ (H @ p)))


def exact_step(g: Array, H: Array, delta: float) -> Step:
    """The exact minimiser of ``m`` in ``|p| <= delta`` (see the module docstring)."""
    try:  # the common case, cheaply: H positive definite and the Newton step inside
        C = np.linalg.cholesky(H)
        p = -np.linalg.solve(C.T, np.linalg.solve(C, g))
        if float(np.linalg.norm(p)) <= delta:
            return Step(p, -_model(g, H, p), False)
    except np.linalg.LinAlgError:
        pass
    lam, Q = np.linalg.eigh(H)
    c = Q.T @ g  # the gradient in the eigenbasis
    scale = max(float(np.max(np.abs(lam))), _EPS)
    if lam[0] > 0.0:
        p = -Q @ (c / lam)  # the Newton step
        if float(np.linalg.norm(p)) <= delta:
            return Step(p, -_model(g, H, p), False)
    low = max(0.0, -float(lam[0]))
    lowest = lam - lam[0] <= 1e-10 * scale  # the eigenspace of lambda_min
    gn = float(np.linalg.norm(g))
    if lam[0] <= 0.0 and float(np.linalg.norm(c[lowest])) <= 1e-10 * max(gn, _EPS) * max(
            1.0, scale):
        # the hard case: |p(lam)| stays below delta as lam -> -lambda_min
        rest = ~lowest
        p = -Q[:, rest] @ (c[rest] / (lam[rest] + low))
        pn = float(np.linalg.norm(p))
        if pn <= delta:
            q = Q[:, 0]
            taus = _boundary_tau(p, q, delta)
            best = min((p + t * q for t in taus), key=lambda s: _model(g, H, s))
            return Step(best, -_model(g, H, best), True)
    return _unseen(g, H, lam, Q, c, _secular(g, H, lam, Q, c, low, delta), delta)


#: The share of the optimal model decrease an approximate solution may give up (N&W 4.20;
#: Moré-Sorensen's and scipy's ``k_easy = 0.1``).
MODEL_SLACK = 0.1


def _unseen(g: Array, H: Array, lam: Array, Q: Array, c: Array, best: Step,
            delta: float) -> Step:
    """Turn ``best`` towards a negative-curvature direction the gradient does not see.

    Where ``H q = lambda q`` with ``lambda < 0`` but ``g.q = 0`` (to rounding) and ``q`` is not
    the lowest eigenvector, the exact model minimiser has no component along ``q``: a run whose
    start is symmetric (Biggs EXP6 from MGH's start has ``x1 = x5``, ``x3 = x6``) then stays
    on the symmetric set for ever, although ``f`` falls off it. Any step within
    ``MODEL_SLACK`` of the optimal decrease is as good for convergence (the Cauchy decrease
    condition, Nocedal & Wright (4.20)), so the step taken is

        p(s) = sqrt(1 - s^2) p* + s delta q,   the largest s in {1, 0.9, ..., 0.1}
        with   m(p(s)) <= (1 - MODEL_SLACK) m(p*).
    """
    if lam[0] >= 0.0 or not best.on_boundary:
        return best
    gn = float(np.linalg.norm(g))
    unseen = (lam < 0.0) & (np.abs(c) <= 1e-10 * max(gn, _EPS))
    unseen[0] = False  # the lowest direction is the hard case's, handled by exact_step
    if not np.any(unseen):
        return best
    q = Q[:, int(np.argmax(unseen))]  # the most negative of them
    p = best.p - float(best.p @ q) * q
    goal = (1.0 - MODEL_SLACK) * best.predicted
    for s in np.linspace(1.0, 0.1, 10):
        trial = math.sqrt(1.0 - s * s) * p + s * delta * q
        predicted = -_model(g, H, trial)
        if predicted >= goal:
            return Step(trial, predicted, True)
    return best


def _secular(g: Array, H: Array, lam: Array, Q: Array, c: Array, low: float,
             delta: float) -> Step:
    """Newton's method on ``phi(mu) = 1/delta - 1/|p(mu)|`` from the left of its root.

    ``|p(mu)|^2 = sum c_i^2 / (lam_i + mu)^2``; ``phi`` is concave and increasing on
    ``(low, inf)``, so Newton steps from a point with ``|p| > delta`` rise monotonically to the
    root (Moré & Sorensen 1983, §2); a bisection guard catches rounding.
    """
    def norms(mu: float) -> tuple[float, float]:
        d = lam + mu
        pn2 = float(np.sum(c * c / (d * d)))
        qn2 = float(np.sum(c * c / (d * d * d)))
        return math.sqrt(pn2), qn2

    hi = low + float(np.linalg.norm(c)) / delta + 1.0  # |p(hi)| < delta
    mu = low + max(1e-12 * max(1.0, low), 1e-300)
    pn, qn2 = norms(mu)
    if pn <= delta:  # |p| already inside at the pole's edge: treat as the hard case's limit
        mu_lo = low
    else:
        mu_lo = mu
    for _ in range(100):
        if abs(pn - delta) <= 1e-12 * delta:
            break
        if pn > delta:
            mu_lo = max(mu_lo, mu)
        else:
            hi = min(hi, mu)
        step = (pn / math.sqrt(qn2)) ** 2 * (pn - delta) / delta if qn2 > 0 else 0.0
        nxt = mu + step
        if not (mu_lo < nxt < hi):
            nxt = 0.5 * (mu_lo + hi)
        if nxt == mu:
            break
        mu = nxt
        pn, qn2 = norms(mu)
    p = -Q @ (c / (lam + mu))
    pn = float(np.linalg.norm(p))
    if pn > delta:
        p *= delta / pn
    return Step(p, -_model(g, H, p), True)


def steihaug_step(g: Array, hvp: Callable[[Array], Array], delta: float,
                  max_iter: int) -> Step:
    """Truncated CG on the model (see the module docstring); ``hvp(v) = H v``."""
    z = np.zeros_like(g)
    r = g.copy()  # the model's gradient at z: g + H z
    d = -r
    m = 0.0  # the model's value at z
    gn = float(np.linalg.norm(g))
    tol = min(0.5, math.sqrt(gn)) * gn
    if gn == 0.0:
        return Step(z, 0.0, False)
    for _ in range(max_iter):
        Hd = hvp(d)
        dHd = float(d @ Hd)
        rd = float(r @ d)
        if dHd <= 0.0:  # negative curvature: follow d to the boundary, the better end
            taus = _boundary_tau(z, d, delta)
            t = min(taus, key=lambda t: rd * t + 0.5 * dHd * t * t)
            return Step(z + t * d, -(m + rd * t + 0.5 * dHd * t * t), True)
        rr = float(r @ r)
        alpha = rr / dHd
        z_next = z + alpha * d
        if float(np.linalg.norm(z_next)) >= delta:
            t = _boundary_tau(z, d, delta)[1]
            return Step(z + t * d, -(m + rd * t + 0.5 * dHd * t * t), True)
        m += rd * alpha + 0.5 * dHd * alpha * alpha
        r = r + alpha * Hd
        z = z_next
        rr_next = float(r @ r)
        if math.sqrt(rr_next) < tol:
            return Step(z, -m, False)
        d = -r + (rr_next / rr) * d
    return Step(z, -m, False)
