"""The exact least-squares answer in rational arithmetic: the reference that descend's accuracy
is measured against, in the benchmarks (``bench_accuracy``) and the tests
(``tests/models/test_accuracy.py``). Independent of descend: only :mod:`fractions`."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction as F
from typing import Any


def exact_least_squares(X: Sequence[Sequence[Any]], y: Sequence[Any],
                        intercept: bool = True) -> list[F]:
    """``[b, w...]`` (or ``[w...]``) solving the normal equations exactly (Gauss-Jordan).

    ``X``, ``y``: floats (taken exactly) or decimal strings (taken as the decimals they spell).
    """
    A = [([F(1)] if intercept else []) + [F(v) for v in row] for row in X]
    yf = [F(v) for v in y]
    p = len(A[0])
    M = [[sum(r[i] * r[j] for r in A) for j in range(p)] for i in range(p)]
    v = [sum(r[i] * t for r, t in zip(A, yf, strict=True)) for i in range(p)]
    for c in range(p):
        piv = next(r for r in range(c, p) if M[r][c] != 0)
        M[c], M[piv], v[c], v[piv] = M[piv], M[c], v[piv], v[c]
        for r in range(p):
            if r != c and M[r][c] != 0:
                f = M[r][c] / M[c][c]
                M[r] = [a - f * b for a, b in zip(M[r], M[c], strict=True)]
                v[r] -= f * v[c]
    return [v[c] / M[c][c] for c in range(p)]
