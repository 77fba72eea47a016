"""The named optimizers: chains of blocks from :mod:`descend.optim.transforms`.

Every optimizer takes ``learning_rate`` first and the rest under torch.optim's names and
defaults, and reproduces torch.optim's iterates (single-tensor code path, float64) to 1e-12
for the same hyper-parameters and start. ``learning_rate`` is a positive number, a
:data:`~descend.optim.base.Schedule` (a callable of the step count, 0 for the first step), or
``"auto"`` / ``"armijo"``, which the descent loop resolves with
:meth:`~descend.optim.base.Optimizer.with_learning_rate` before the first update.

Symbols used below: ``p`` parameters, ``g`` gradient, ``t`` the step number (1 for the first
step), ``lr`` the learning rate at that step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from descend.errors import InputError
from descend.optim import _validate as v
from descend.optim.base import GradientTransformation, LearningRateSpec, Optimizer
from descend.optim.transforms import (
    add_decayed_weights,
    chain,
    scale_by_adagrad,
    scale_by_adam,
    scale_by_learning_rate,
    scale_by_rms,
    trace,
)

__all__ = ["adagrad", "adam", "adamw", "gd", "momentum", "nesterov", "rmsprop"]


def _optimizer(
    name: str,
    learning_rate: LearningRateSpec,
    hyperparams: dict[str, Any],
    blocks: list[GradientTransformation | None],
    factory: Callable[..., Optimizer],
    stability: Callable[[float], tuple[float, str]] | None = None,
    memoryless: bool = False,
) -> Optimizer:
    transform = chain(*[b for b in blocks if b is not None])
    return Optimizer(
        name=name,
        learning_rate=learning_rate,
        hyperparams=dict(hyperparams),
        transform=transform,
        build=lambda lr: factory(lr, **hyperparams),
        stability=stability,
        memoryless=memoryless,
    )


# The stability limits on a quadratic of curvature L (Nesterov, *Introductory Lectures on
# Convex Optimization*, 2004, 1.2.3; Polyak 1964 for the heavy ball). The adaptive methods
# rescale each coordinate, so no such limit is predictable for them and none is claimed.
def _gd_limit(L: float) -> tuple[float, str]:
    return 2.0 / L, "2/L"


def _heavy_ball_limit(beta: float, dampening: float) -> Callable[[float], tuple[float, str]] | None:
    # lr (1 - dampening) L < 2 (1 + beta): dampening scales the gradient entering the velocity
    if dampening >= 1.0:
        return None
    if dampening == 0.0:
        return lambda L: (2.0 * (1.0 + beta) / L, "2(1 + momentum)/L")
    return lambda L: (2.0 * (1.0 + beta) / ((1.0 - dampening) * L),
                      "2(1 + momentum)/((1 - dampening) L)")


def _nesterov_limit(beta: float) -> Callable[[float], tuple[float, str]]:
    # lr * L < 2 (1 + beta) / (1 + 2 beta)
    return lambda L: (2.0 * (1.0 + beta) / ((1.0 + 2.0 * beta) * L),
                      "2(1 + momentum)/((1 + 2 momentum) L)")


def _l2(weight_decay: float) -> GradientTransformation | None:
    # torch skips the term when weight_decay == 0, and so do we: params are then not needed.
    return add_decayed_weights(weight_decay) if weight_decay != 0 else None


def gd(learning_rate: LearningRateSpec = 0.001, weight_decay: float = 0.0) -> Optimizer:
    """Plain gradient descent.

    Update, per step::

        g = g + weight_decay * p          # L2 penalty (skipped when weight_decay == 0)
        p = p - lr * g                     # gradient step

    Convention: torch.optim.SGD with ``momentum=0``.

    Args:
        learning_rate: ``lr``; > 0, a schedule, ``"auto"`` or ``"armijo"``. Default 0.001
            (torch's SGD default).
        weight_decay: L2 coefficient, >= 0. Default 0.

    >>> import numpy as np
    >>> opt = gd(learning_rate=0.1)
    >>> p = np.array([1.0, -2.0]); state = opt.init(p)
    >>> updates, state = opt.update(2 * p, state, p)  # gradient of ||p||^2
    >>> p + updates
    array([ 0.8, -1.6])

    Reference: A. Cauchy, "Méthode générale pour la résolution des systèmes d'équations
    simultanées", C. R. Acad. Sci. Paris 25 (1847), 536-538.
    """
    owner = "gd"
    learning_rate = v.learning_rate(learning_rate, owner=owner)
    weight_decay = v.in_range("weight_decay", weight_decay, owner=owner, low=0.0)
    return _optimizer(
        "gd",
        learning_rate,
        {"weight_decay": weight_decay},
        [_l2(weight_decay), scale_by_learning_rate(learning_rate)],
        gd,
        _gd_limit,
        memoryless=True,
    )


def _check_momentum(owner: str, momentum: float, dampening: float, weight_decay: float) -> None:
    v.in_range("momentum", momentum, owner=owner, low=0.0, high=1.0)
    v.in_range("dampening", dampening, owner=owner, low=0.0, high=1.0, high_open=False)
    v.in_range("weight_decay", weight_decay, owner=owner, low=0.0)


def momentum(
    learning_rate: LearningRateSpec = 0.001,
    momentum: float = 0.9,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
) -> Optimizer:
    """Gradient descent with heavy-ball momentum.

    Update, per step (``buf`` starts as the first gradient)::

        g = g + weight_decay * p                    # L2 penalty
        buf = momentum * buf + (1 - dampening) * g  # velocity (t > 1); buf = g at t = 1
        p = p - lr * buf                            # momentum step

    Convention: torch.optim.SGD(momentum=..., nesterov=False): ``buf = mu*buf + g,
    p -= lr*buf`` -- torch's convention, not the ``v = mu*v - lr*g, p += v`` of Sutskever et
    al. The two agree for a constant rate but differ when the rate changes (a schedule).

    Args:
        learning_rate: ``lr``; > 0, a schedule, ``"auto"`` or ``"armijo"``. Default 0.001.
        momentum: ``mu`` in [0, 1). Default 0.9.
        dampening: in [0, 1]; scales the new gradient into ``buf``. Default 0.
        weight_decay: L2 coefficient, >= 0. Default 0.

    >>> import numpy as np
    >>> opt = momentum(learning_rate=0.1, momentum=0.9)
    >>> p = np.array([1.0]); state = opt.init(p)
    >>> for _ in range(2):
    ...     updates, state = opt.update(2 * p, state, p)
    ...     p = p + updates
    >>> p  # buf: 2.0, then 0.9*2.0 + 1.6
    array([0.46])

    Reference: B. T. Polyak, "Some methods of speeding up the convergence of iteration
    methods", USSR Comput. Math. Math. Phys. 4(5) (1964), 1-17.
    """
    owner = "momentum"
    learning_rate = v.learning_rate(learning_rate, owner=owner)
    _check_momentum(owner, momentum, dampening, weight_decay)
    hyper = {
        "momentum": float(momentum),
        "dampening": float(dampening),
        "weight_decay": float(weight_decay),
    }
    return _optimizer(
        "momentum",
        learning_rate,
        hyper,
        [
            _l2(hyper["weight_decay"]),
            trace(hyper["momentum"], hyper["dampening"], nesterov=False),
            scale_by_learning_rate(learning_rate),
        ],
        _rebuild_momentum,
        _heavy_ball_limit(hyper["momentum"], hyper["dampening"]),
    )


def _rebuild_momentum(learning_rate: LearningRateSpec, **hyperparams: Any) -> Optimizer:
    # momentum() shadows its own name with the ``momentum`` argument, hence this indirection.
    return momentum(learning_rate, **hyperparams)


def nesterov(
    learning_rate: LearningRateSpec = 0.001,
    momentum: float = 0.9,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
) -> Optimizer:
    """Gradient descent with Nesterov momentum.

    Update, per step (``buf`` starts as the first gradient)::

        g = g + weight_decay * p                    # L2 penalty
        buf = momentum * buf + (1 - dampening) * g  # velocity (t > 1); buf = g at t = 1
        p = p - lr * (g + momentum * buf)           # look-ahead step: the one line that differs

    Convention: torch.optim.SGD(momentum=..., nesterov=True), the Sutskever et al. (2013)
    reformulation in terms of the current parameters. torch requires ``dampening == 0`` and
    ``momentum > 0`` here, and so do we.

    Args:
        learning_rate: ``lr``; > 0, a schedule, ``"auto"`` or ``"armijo"``. Default 0.001.
        momentum: ``mu`` in (0, 1). Default 0.9.
        dampening: must be 0 (kept for a signature shared with :func:`momentum`).
        weight_decay: L2 coefficient, >= 0. Default 0.

    >>> import numpy as np
    >>> opt = nesterov(learning_rate=0.1, momentum=0.9)
    >>> p = np.array([1.0]); state = opt.init(p)
    >>> updates, state = opt.update(2 * p, state, p)
    >>> p + updates  # 1 - 0.1*(2 + 0.9*2)
    array([0.62])

    Reference: Y. Nesterov, "A method for solving the convex programming problem with
    convergence rate O(1/k^2)", Soviet Math. Dokl. 27 (1983), 372-376; I. Sutskever et al.,
    "On the importance of initialization and momentum in deep learning", ICML 2013.
    """
    owner = "nesterov"
    learning_rate = v.learning_rate(learning_rate, owner=owner)
    _check_momentum(owner, momentum, dampening, weight_decay)
    if momentum == 0:
        raise InputError(f"{owner}: momentum={momentum!r} must be > 0; valid range is (0, 1)")
    if dampening != 0:
        raise InputError(
            f"{owner}: dampening={dampening!r} must be 0 for Nesterov momentum (as in "
            "torch.optim.SGD); use momentum() for dampened heavy-ball momentum"
        )
    hyper = {"momentum": float(momentum), "dampening": 0.0, "weight_decay": float(weight_decay)}
    return _optimizer(
        "nesterov",
        learning_rate,
        hyper,
        [
            _l2(hyper["weight_decay"]),
            trace(hyper["momentum"], 0.0, nesterov=True),
            scale_by_learning_rate(learning_rate),
        ],
        nesterov,
        _nesterov_limit(hyper["momentum"]),
    )


def adagrad(
    learning_rate: LearningRateSpec = 0.01,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    initial_accumulator_value: float = 0.0,
    eps: float = 1e-10,
) -> Optimizer:
    """AdaGrad: per-coordinate steps scaled by the root of the summed squared gradients.

    Update, per step::

        g = g + weight_decay * p                     # L2 penalty
        G = G + g * g                                # sum of squares, G starts at
                                                     #   initial_accumulator_value
        clr = lr / (1 + (t - 1) * lr_decay)          # decayed rate
        p = p - clr * g / (sqrt(G) + eps)            # scaled step

    Convention: torch.optim.Adagrad (``eps`` added outside the square root).

    Args:
        learning_rate: ``lr``; > 0, a schedule, ``"auto"`` or ``"armijo"``. Default 0.01.
        lr_decay: >= 0. Default 0.
        weight_decay: L2 coefficient, >= 0. Default 0.
        initial_accumulator_value: starting ``G``, >= 0. Default 0.
        eps: > 0. Default 1e-10.

    >>> import numpy as np
    >>> opt = adagrad(learning_rate=0.5)
    >>> p = np.array([1.0, -2.0]); state = opt.init(p)
    >>> updates, state = opt.update(2 * p, state, p)
    >>> (p + updates).round(12)  # the first step moves each coordinate by lr
    array([ 0.5, -1.5])

    Reference: J. Duchi, E. Hazan, Y. Singer, "Adaptive subgradient methods for online
    learning and stochastic optimization", JMLR 12 (2011), 2121-2159.
    """
    owner = "adagrad"
    learning_rate = v.learning_rate(learning_rate, owner=owner)
    hyper = {
        "lr_decay": v.in_range("lr_decay", lr_decay, owner=owner, low=0.0),
        "weight_decay": v.in_range("weight_decay", weight_decay, owner=owner, low=0.0),
        "initial_accumulator_value": v.in_range(
            "initial_accumulator_value", initial_accumulator_value, owner=owner, low=0.0
        ),
        "eps": v.in_range("eps", eps, owner=owner, low=0.0, low_open=True),
    }
    return _optimizer(
        "adagrad",
        learning_rate,
        hyper,
        [
            _l2(hyper["weight_decay"]),
            scale_by_adagrad(hyper["lr_decay"], hyper["initial_accumulator_value"], hyper["eps"]),
            scale_by_learning_rate(learning_rate),
        ],
        adagrad,
    )


def rmsprop(
    learning_rate: LearningRateSpec = 0.01,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
) -> Optimizer:
    """RMSProp: steps scaled by a running root-mean-square of the gradient.

    Update, per step (``v``, ``m``, ``buf`` start at zero)::

        g = g + weight_decay * p                     # L2 penalty
        v = alpha * v + (1 - alpha) * g * g          # mean square
        m = alpha * m + (1 - alpha) * g              # mean (centered only)
        d = sqrt(v - m * m) + eps                    # centered; else d = sqrt(v) + eps
        buf = momentum * buf + g / d                 # (momentum > 0 only)
        p = p - lr * buf                             # or p - lr * g / d without momentum

    Convention: torch.optim.RMSprop: ``eps`` outside the root, and the learning rate applied
    *after* the momentum buffer (Graves' centred form for ``centered=True``).

    Args:
        learning_rate: ``lr``; > 0, a schedule, ``"auto"`` or ``"armijo"``. Default 0.01.
        alpha: smoothing constant in [0, 1). Default 0.99.
        eps: > 0. Default 1e-8.
        weight_decay: L2 coefficient, >= 0. Default 0.
        momentum: in [0, 1). Default 0.
        centered: normalise by the estimated variance instead of the raw second moment.

    >>> import numpy as np
    >>> opt = rmsprop(learning_rate=0.01)
    >>> p = np.array([1.0, -2.0]); state = opt.init(p)
    >>> updates, state = opt.update(2 * p, state, p)
    >>> (updates / 0.01).round(6)  # first step: g / sqrt(0.01*g*g) = 10*sign(g)
    array([-10.,  10.])

    Reference: T. Tieleman, G. Hinton, Lecture 6.5 "RMSProp", COURSERA: Neural Networks for
    Machine Learning (2012); A. Graves, "Generating sequences with recurrent neural
    networks", arXiv:1308.0850 (centred form).
    """
    owner = "rmsprop"
    learning_rate = v.learning_rate(learning_rate, owner=owner)
    centered = v.boolean("centered", centered, owner=owner)
    hyper: dict[str, Any] = {
        "alpha": v.in_range("alpha", alpha, owner=owner, low=0.0, high=1.0),
        "eps": v.in_range("eps", eps, owner=owner, low=0.0, low_open=True),
        "weight_decay": v.in_range("weight_decay", weight_decay, owner=owner, low=0.0),
        "momentum": v.in_range("momentum", momentum, owner=owner, low=0.0, high=1.0),
        "centered": centered,
    }
    return _optimizer(
        "rmsprop",
        learning_rate,
        hyper,
        [
            _l2(hyper["weight_decay"]),
            scale_by_rms(hyper["alpha"], hyper["eps"], centered, hyper["momentum"]),
            scale_by_learning_rate(learning_rate),
        ],
        rmsprop,
    )


def _adam_hyper(
    owner: str, b1: Any, b2: Any, eps: Any, weight_decay: Any, amsgrad: Any
) -> dict[str, Any]:
    return {
        "b1": v.in_range("b1", b1, owner=owner, low=0.0, high=1.0),
        "b2": v.in_range("b2", b2, owner=owner, low=0.0, high=1.0),
        "eps": v.in_range("eps", eps, owner=owner, low=0.0, low_open=True),
        "weight_decay": v.in_range("weight_decay", weight_decay, owner=owner, low=0.0),
        "amsgrad": v.boolean("amsgrad", amsgrad, owner=owner),
    }


def adam(
    learning_rate: LearningRateSpec = 0.001,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
) -> Optimizer:
    """Adam: momentum on the gradient, scaled by a running RMS, both bias-corrected.

    Update, per step (``m``, ``v`` start at zero)::

        g = g + weight_decay * p                          # L2 penalty (coupled)
        m = b1 * m + (1 - b1) * g                         # first moment
        v = b2 * v + (1 - b2) * g * g                     # second moment
        v_max = max(v_max, v)                             # amsgrad only; then v := v_max
        d = sqrt(v) / sqrt(1 - b2**t) + eps               # denominator
        p = p - (lr / (1 - b1**t)) * m / d                # corrected step

    Convention: torch.optim.Adam, whose ``eps`` is added *after* the bias correction of
    ``v`` (the paper's Algorithm 1 adds it to ``sqrt(v_hat)``; optax's ``eps`` likewise),
    and whose ``weight_decay`` is an L2 term added to the gradient -- see :func:`adamw` for
    decoupled decay.

    Args:
        learning_rate: ``lr``; > 0, a schedule, ``"auto"`` or ``"armijo"``. Default 0.001.
        b1: first-moment decay in [0, 1). Default 0.9 (torch's ``betas[0]``).
        b2: second-moment decay in [0, 1). Default 0.999 (torch's ``betas[1]``).
        eps: > 0. Default 1e-8.
        weight_decay: L2 coefficient, >= 0. Default 0.
        amsgrad: use the running maximum of ``v`` (Reddi et al.). Default False.

    >>> import numpy as np
    >>> opt = adam(learning_rate=0.1)
    >>> p = np.array([1.0, -2.0]); state = opt.init(p)
    >>> updates, state = opt.update(2 * p, state, p)
    >>> updates.round(6)  # the first step is lr * sign(g)
    array([-0.1,  0.1])

    Reference: D. P. Kingma, J. Ba, "Adam: A method for stochastic optimization", ICLR 2015;
    S. J. Reddi, S. Kale, S. Kumar, "On the convergence of Adam and beyond", ICLR 2018.
    """
    owner = "adam"
    learning_rate = v.learning_rate(learning_rate, owner=owner)
    hyper = _adam_hyper(owner, b1, b2, eps, weight_decay, amsgrad)
    return _optimizer(
        "adam",
        learning_rate,
        hyper,
        [
            _l2(hyper["weight_decay"]),
            scale_by_adam(hyper["b1"], hyper["b2"], hyper["eps"], hyper["amsgrad"]),
            scale_by_learning_rate(learning_rate),
        ],
        adam,
    )


def adamw(
    learning_rate: LearningRateSpec = 0.001,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.01,
    amsgrad: bool = False,
) -> Optimizer:
    """AdamW: Adam with weight decay decoupled from the gradient.

    Update, per step (``m``, ``v`` start at zero)::

        p = p * (1 - lr * weight_decay)                   # decoupled decay, before the step
        m = b1 * m + (1 - b1) * g                         # first moment (g without decay)
        v = b2 * v + (1 - b2) * g * g                     # second moment
        v_max = max(v_max, v)                             # amsgrad only; then v := v_max
        d = sqrt(v) / sqrt(1 - b2**t) + eps               # denominator
        p = p - (lr / (1 - b1**t)) * m / d                # corrected step

    As a chain, the decay block sits *after* the Adam block (``u = adam(g) + wd*p``, then
    ``-lr*u``), where :func:`adam` puts it before; that one position is the whole difference.

    Convention: torch.optim.AdamW (decay multiplied by ``lr``, unlike the paper's separate
    schedule multiplier ``eta_t``); ``eps`` as in :func:`adam`.

    Args:
        learning_rate: ``lr``; > 0, a schedule, ``"auto"`` or ``"armijo"``. Default 0.001.
        b1: first-moment decay in [0, 1). Default 0.9.
        b2: second-moment decay in [0, 1). Default 0.999.
        eps: > 0. Default 1e-8.
        weight_decay: decoupled decay coefficient, >= 0. Default 0.01 (torch's default).
        amsgrad: use the running maximum of ``v``. Default False.

    >>> import numpy as np
    >>> opt = adamw(learning_rate=0.1, weight_decay=0.5)
    >>> p = np.array([1.0, -2.0]); state = opt.init(p)
    >>> updates, state = opt.update(np.zeros(2), state, p)  # zero gradient: decay only
    >>> p + updates
    array([ 0.95, -1.9 ])

    Reference: I. Loshchilov, F. Hutter, "Decoupled weight decay regularization", ICLR 2019.
    """
    owner = "adamw"
    learning_rate = v.learning_rate(learning_rate, owner=owner)
    hyper = _adam_hyper(owner, b1, b2, eps, weight_decay, amsgrad)
    return _optimizer(
        "adamw",
        learning_rate,
        hyper,
        [
            scale_by_adam(hyper["b1"], hyper["b2"], hyper["eps"], hyper["amsgrad"]),
            _l2(hyper["weight_decay"]),
            scale_by_learning_rate(learning_rate),
        ],
        adamw,
    )
