"""A Python function as an ``Objective``: its own gradient, or central differences.

Without a gradient, each partial derivative is a central difference

    ∂f/∂x_i ≈ (f(x + h_i e_i) - f(x - h_i e_i)) / (2 h_i),   h_i = ε^(1/3) · max(1, |x_i|)

with ε the float64 machine epsilon (so ε^(1/3) ≈ 6.1e-6). The truncation error is
h²·f'''/6 and the rounding error ε·|f|/h; this h balances the two, leaving a relative error of
about ε^(2/3) ≈ 1e-10 for a smooth f whose derivatives are of order |f|. Each such gradient
costs 2n calls of f (Nocedal & Wright, *Numerical Optimization*, 2nd ed., §8.1).

The Hessian is a central difference of the gradient, symmetrised: column i is
(∇f(x + h_i e_i) - ∇f(x - h_i e_i)) / (2 h_i), then H ← (H + Hᵀ)/2. With an exact gradient
h_i uses ε^(1/3); on top of a numerical gradient it uses ε^(1/4) ≈ 1.2e-4, because the inner
gradient's own error (~1e-10) is divided by h again (relative error then about 1e-6).

>>> import numpy as np
>>> f = CallableFunction(lambda x: float(x[0] ** 2 + 3 * x[1]), n=2)
>>> np.round(f.grad(np.array([1.0, 2.0])), 6)
array([2., 3.])
>>> f.nfev, f.njev
(4, 1)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from descend.errors import InputError
from descend.expr.objective import Array

__all__ = ["CallableFunction", "FD_STEP", "FD_HESSIAN_STEP"]

_EPS = float(np.finfo(np.float64).eps)
FD_STEP = _EPS ** (1 / 3)
"""Relative step of the central-difference gradient, ε^(1/3) ≈ 6.1e-6."""
FD_HESSIAN_STEP = _EPS ** (1 / 4)
"""Relative step of the Hessian when the gradient itself is numerical, ε^(1/4) ≈ 1.2e-4."""


class CallableFunction:
    """Wrap ``f(x: ndarray) -> float`` as an ``Objective``.

    Parameters
    ----------
    f:
        The function. With ``value_and_grad=True`` it returns ``(value, gradient)`` instead.
    grad:
        Optional ``grad(x) -> array`` giving ∇f exactly. Default: central differences.
    value_and_grad:
        ``f`` returns ``(f(x), ∇f(x))`` (the ``jac=True`` convention of ``scipy.optimize``).
    n:
        Number of variables. May be left out: it is then taken from ``variables``, or fixed by
        the first point evaluated (until then ``n`` is 0 and ``variables`` is empty).
    variables:
        Names, default ``("x0", "x1", ...)``.

    Attributes
    ----------
    nfev:
        Calls of ``f`` so far (finite-difference calls included).
    njev:
        Gradients computed so far (exact or numerical).
    numeric_gradient:
        True when gradients come from central differences.
    """

    def __init__(
        self,
        f: Callable[[Array], Any],
        *,
        grad: Callable[[Array], Any] | None = None,
        value_and_grad: bool = False,
        n: int | None = None,
        variables: Sequence[str] | None = None,
    ) -> None:
        if not callable(f):
            raise InputError(f"f must be callable, got {type(f).__name__}")
        if grad is not None and not callable(grad):
            raise InputError(f"grad must be callable or None, got {type(grad).__name__}")
        if grad is not None and value_and_grad:
            raise InputError("give either grad= or value_and_grad=True, not both")
        names = None if variables is None else tuple(str(v) for v in variables)
        if n is not None:
            if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
                raise InputError(f"n must be a positive integer, got {n!r}")
            n = int(n)
            if names is not None and len(names) != n:
                raise InputError(f"n={n} but {len(names)} variables were named: {names}")
        elif names is not None:
            if not names:
                raise InputError("variables must name at least one variable")
            n = len(names)
        self._f = f
        self._grad = grad
        self._value_and_grad = bool(value_and_grad)
        self._n = n
        self._names = names
        self.nfev = 0
        self.njev = 0

    # -- Objective members --------------------------------------------------------------------
    @property
    def variables(self) -> tuple[str, ...]:
        if self._names is None:
            return tuple(f"x{i}" for i in range(self._n or 0))
        return self._names

    @property
    def n(self) -> int:
        """Number of variables (0 until known: pass ``n=`` or evaluate a point)."""
        return self._n or 0

    @property
    def numeric_gradient(self) -> bool:
        return self._grad is None and not self._value_and_grad

    def value(self, x: Array) -> float:
        """f(x) as a float."""
        x = self._point(x)
        if self._value_and_grad:
            return self._call_vg(x)[0]
        return self._call_f(x)

    def grad(self, x: Array) -> Array:
        """∇f(x): from ``grad``, from ``f`` itself, or by central differences."""
        x = self._point(x)
        if self._value_and_grad:
            return self._call_vg(x)[1]
        if self._grad is not None:
            return self._call_grad(x)
        return self._fd_grad(x)

    def value_and_grad(self, x: Array) -> tuple[float, Array]:
        x = self._point(x)
        if self._value_and_grad:
            return self._call_vg(x)
        value = self._call_f(x)
        if self._grad is not None:
            return value, self._call_grad(x)
        return value, self._fd_grad(x)

    def hessian(self, x: Array) -> Array:
        """Central differences of the gradient, symmetrised: ``(H + Hᵀ)/2``."""
        x = self._point(x)
        rel = FD_HESSIAN_STEP if self.numeric_gradient else FD_STEP
        n = x.shape[0]
        H = np.empty((n, n))
        for i in range(n):
            step = rel * max(1.0, abs(x[i]))
            xp, xm = x.copy(), x.copy()
            xp[i] += step
            xm[i] -= step
            h2 = xp[i] - xm[i]  # the step actually taken, after rounding
            H[:, i] = (self.grad(xp) - self.grad(xm)) / h2
        return (H + H.T) / 2

    def curvature_bound(self) -> float | None:
        """Not known for an arbitrary function: ``None``."""
        return None

    # -- helpers ----------------------------------------------------------------------------
    def _point(self, x: Any) -> Array:
        try:
            arr = np.array(x, dtype=np.float64)  # a copy: the user's f may keep or change it
        except (TypeError, ValueError) as exc:
            raise InputError(f"the point must be real numbers: {exc}") from None
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.ndim != 1:
            raise InputError(f"the point must be a 1-D array, got shape {arr.shape}")
        if self._n is None:
            if arr.shape[0] == 0:
                raise InputError("the point is empty; give at least one value")
            self._n = arr.shape[0]
        elif arr.shape[0] != self._n:
            raise InputError(
                f"expected {self._n} value{'s' if self._n != 1 else ''} for "
                f"({', '.join(self.variables)}), got {arr.shape[0]}"
            )
        return arr

    def _call_f(self, x: Array) -> float:
        self.nfev += 1
        return _as_float(self._f(x.copy()), "f")

    def _call_grad(self, x: Array) -> Array:
        assert self._grad is not None
        self.njev += 1
        return self._as_grad(self._grad(x.copy()), "grad")

    def _call_vg(self, x: Array) -> tuple[float, Array]:
        self.nfev += 1
        self.njev += 1
        out = self._f(x.copy())
        try:
            value, gradient = out
        except (TypeError, ValueError):
            raise InputError(
                "with value_and_grad=True, f must return (value, gradient); "
                f"got {type(out).__name__}"
            ) from None
        return _as_float(value, "f"), self._as_grad(gradient, "f's gradient")

    def _fd_grad(self, x: Array) -> Array:
        """Central differences, ``2n`` calls of f."""
        self.njev += 1
        g = np.empty(x.shape[0])
        for i in range(x.shape[0]):
            step = FD_STEP * max(1.0, abs(x[i]))
            xp, xm = x.copy(), x.copy()
            xp[i] += step
            xm[i] -= step
            # Dividing by the representable difference removes the rounding of x ± h.
            g[i] = (self._call_f(xp) - self._call_f(xm)) / (xp[i] - xm[i])
        return g

    def _as_grad(self, g: Any, what: str) -> Array:
        try:
            arr = np.array(g, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{what} must return an array of numbers: {exc}") from None
        if arr.shape[0] != self._n:
            raise InputError(f"{what} returned {arr.shape[0]} values, expected {self._n}")
        return arr

    def __repr__(self) -> str:
        name = getattr(self._f, "__name__", type(self._f).__name__)
        return f"CallableFunction({name}, n={self._n})"


def _as_float(value: Any, what: str) -> float:
    try:
        return float(np.asarray(value, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        raise InputError(
            f"{what} must return one real number, got {type(value).__name__} {value!r:.60}"
        ) from None
