"""``Whitening.to_user`` keeps the last point's ``(b, w)``: the kept answer must be the one of
this whitening's anchor (never a stale one carried over by ``anchored``), and the caller may not
change it through the array it gets back."""

from __future__ import annotations

import math

import numpy as np

from descend.data.stats import moment_stats
from descend.models._whitened import whiten_moments


def _white():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((200, 3)) * [1.0, 10.0, 0.1] + [5.0, -2.0, 0.0]
    y = X @ [1.0, -0.5, 3.0] + 0.7 + rng.standard_normal(200)
    white, _ = whiten_moments(moment_stats(X, y), intercept=True, alpha=0.0)
    return white


def _by_hand(white, theta, b_a, w_a):
    """``w = w_a + sqrt(n) V_k S_k^-1 u / scale``, ``b = b_a + c - (mean / scale) . dv``."""
    k = white.keep
    dv = math.sqrt(white.n) * (white.V[:, k] @ (theta[1:] / white.sv[k]))
    return b_a + theta[0] - (white.mean / white.scale) @ dv, w_a + dv / white.scale


def test_to_user_after_anchored_is_measured_from_the_new_anchor():
    white = _white()
    theta = np.array([0.3, 0.2, -0.1, 0.05])
    b0, w0 = white.to_user(theta)  # kept by `white`
    eb, ew = _by_hand(white, theta, 0.0, np.zeros(3))
    np.testing.assert_allclose(w0, ew, rtol=1e-12)
    assert math.isclose(b0, eb, rel_tol=1e-12)
    moved = white.anchored(1.5, np.array([0.4, -0.2, 2.0]))
    b1, w1 = moved.to_user(theta)  # the same theta, another anchor
    eb, ew = _by_hand(white, theta, 1.5, np.array([0.4, -0.2, 2.0]))
    np.testing.assert_allclose(w1, ew, rtol=1e-12)
    assert math.isclose(b1, eb, rel_tol=1e-12)
    assert not np.allclose(w1, w0)
    # and asked again, the kept answer is the same, bit for bit
    b2, w2 = moved.to_user(theta.copy())
    assert b2 == b1 and w2.tobytes() == w1.tobytes()


def test_kept_answer_is_not_changed_through_the_returned_array():
    white = _white()
    theta = np.array([0.1, 0.0, 0.3, -0.2])
    _, w = white.to_user(theta)
    first = w.copy()
    w[:] = 99.0
    _, again = white.to_user(theta)
    assert again.tobytes() == first.tobytes()


def test_path_from_a_row_equals_the_rows_of_the_whole_path():
    white = _white()
    thetas = np.array([[0.0, 0.0, 0.0, 0.0], [0.3, 0.2, -0.1, 0.05], [0.31, 0.2, -0.1, 0.06]])
    whole = white.path_to_user(thetas)
    assert white.path_to_user(thetas, first=1).tobytes() == whole[1:].tobytes()
    for i, th in enumerate(thetas):
        b, w = _by_hand(white, th, 0.0, np.zeros(3))
        np.testing.assert_allclose(whole[i, 1:], w, rtol=1e-12, atol=1e-15)
        assert math.isclose(whole[i, 0], b, rel_tol=1e-12, abs_tol=1e-15)
