"""Fused kernels against plain NumPy references (1e-10 relative), the facade's NumPy path
against the same references, and the cold start: a first run compiles nothing in the
foreground, a direct kernel call announces its compile, ``descend doctor`` reports."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from descend.data.stats import moment_stats
from descend.errors import InputError
from descend.scale import kernels as K


def _ref_loss_grad(X, y, w, b, loss, eps):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    r = X @ w + b - y
    if loss == "squared_error":
        val, p = r * r, 2 * r
    elif loss == "huber":
        a = np.abs(r)
        val = np.where(a <= eps, r * r, eps * (2 * a - eps))
        p = 2 * np.clip(r, -eps, eps)
    else:
        val, p = np.abs(r), np.sign(r)
    n = len(y)
    return val.mean(), X.T @ p / n, p.mean()


def _close(a, b, rtol=1e-10):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(b)))) if b.size else 1.0
    assert np.max(np.abs(a - b), initial=0.0) <= rtol * scale, (a, b)


def _data(n, d, dtype=np.float64, seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    X = (rng.standard_normal((n, d)) * rng.uniform(0.5, 3, d) + offset).astype(dtype)
    y = (X.astype(np.float64) @ rng.standard_normal(d) + rng.standard_normal(n)).astype(dtype)
    return X, y


SHAPES = [(1, 1), (7, 3), (1000, 10), (5000, 40), (3001, 1)]


@pytest.mark.parametrize("n,d", SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss", K.LOSSES)
def test_loss_and_grad_matches_numpy(n, d, dtype, loss):
    X, y = _data(n, d, dtype)
    rng = np.random.default_rng(1)
    w, b = rng.standard_normal(d), 0.3
    L, gw, gb = K.loss_and_grad_fast(X, y, w, b, loss, 0.9)
    Lr, gwr, gbr = _ref_loss_grad(X, y, w, b, loss, 0.9)
    _close(L, Lr)
    _close(gw, gwr)
    _close(gb, gbr)


@pytest.mark.parametrize("n,d", SHAPES + [(70000, 2)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_moment_stats_matches_two_pass(n, d, dtype):
    X, y = _data(n, d, dtype)
    s = K.moment_stats_fast(X, y)
    r = moment_stats(X.astype(np.float64), y.astype(np.float64))
    assert s.n == r.n
    for a, b in [(s.mean_x, r.mean_x), (s.mean_y, r.mean_y), (s.cxx, r.cxx), (s.cxy, r.cxy),
                 (s.cyy, r.cyy)]:
        _close(a, b)


# Column-major X goes to the column kernels: shapes with several blocks of _COL_ROWS rows
# and a partial last one, and d with 0-3 columns left over by the four-column loops.
COLUMN_SHAPES = [(7, 3), (9000, 10), (12289, 5), (4100, 7), (3001, 40), (50, 1)]


@pytest.mark.parametrize("n,d", COLUMN_SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss", K.LOSSES)
def test_column_major_matches_numpy(n, d, dtype, loss):
    X, y = _data(n, d, dtype, seed=n + d)
    X = np.asfortranarray(X)
    w, b = np.random.default_rng(2).standard_normal(d), -0.4
    L, gw, gb = K.loss_and_grad_fast(X, y, w, b, loss, 0.9)
    Lr, gwr, gbr = _ref_loss_grad(X, y, w, b, loss, 0.9)
    _close(L, Lr)
    _close(gw, gwr)
    _close(gb, gbr)
    _close(K.predict_fast(X, w, b), X.astype(np.float64) @ w + b)
    s = K.moment_stats_fast(X, y)
    r = moment_stats(X.astype(np.float64), y.astype(np.float64))
    for a, c in [(s.mean_x, r.mean_x), (s.cxx, r.cxx), (s.cxy, r.cxy), (s.cyy, r.cyy)]:
        _close(a, c)


@pytest.mark.skipif(not K.HAVE_NUMBA, reason="numba kernels only")
def test_column_major_goes_to_the_column_kernels():
    # the dispatch itself: F-ordered X reaches the column kernels (as X.T), C-ordered the row
    # kernels -- read from the signatures this process has compiled or loaded
    from descend.kernels._stamps import _LOADED

    X, y = _data(500, 6)
    w = np.ones(6)
    K.loss_and_grad_fast(np.asfortranarray(X), y, w, 0.0)
    K.predict_fast(np.asfortranarray(X), w)
    K.loss_and_grad_fast(X, y, w, 0.0)
    K.predict_fast(X, w)
    assert {"grad_cols-0-float64C-float64C", "predict_cols-0-float64C",
            "grad-0u-float64C-float64C", "predict-0u-float64C"} <= _LOADED


def test_read_pass_reads_column_major_in_place():
    X = np.asfortranarray(np.arange(12.0).reshape(4, 3))
    assert K.read_pass(X) == K.read_pass(np.ascontiguousarray(X.T))


@pytest.mark.parametrize("loss", K.LOSSES)
def test_same_numbers_as_models_losses(loss):
    losses = pytest.importorskip("descend.models.losses")
    X, y = _data(2000, 6)
    w = np.linspace(-1, 1, 6)
    ours = K.loss_and_grad_fast(X, y, w, 0.2, loss, 0.7)
    theirs = losses.loss_and_grad(loss, X, y, w, 0.2, epsilon=0.7)
    for a, b in zip(ours, theirs, strict=True):
        _close(a, b)


def _exact_centred(X, y):
    """Centred cross-products of [X, y] in exact rational arithmetic (an independent reference)."""
    from fractions import Fraction

    Z = [[Fraction(float(v)) for v in row] + [Fraction(float(t))] for row, t in zip(X, y, strict=True)]
    n, e = len(Z), len(Z[0])
    mu = [sum(r[j] for r in Z) / n for j in range(e)]
    C = np.empty((e, e))
    for j in range(e):
        for q in range(j, e):
            C[j, q] = C[q, j] = float(sum((r[j] - mu[j]) * (r[q] - mu[q]) for r in Z))
    return np.array([float(m) for m in mu]), C


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("kind", ["large mean", "drift"])
def test_moment_stats_exact_where_raw_sums_cancel(order, kind):
    # values ~1e8 with unit spread, or rows sorted along a trend (block means far from the
    # first row): raw sums would cancel catastrophically; shifted blocks + Chan's merge do not.
    X, y = _data(6000, 3, offset=1e8 if kind == "large mean" else 0.0)
    if kind == "drift":
        X = X + np.arange(6000.0)[:, None] * [1e4, -3e3, 1.0]
        y = y + 1e3 * np.arange(6000.0)
    X = np.asarray(X, order=order)
    mu, C = _exact_centred(X, y)
    s = K.moment_stats_fast(X, y)
    np.testing.assert_allclose(s.mean_x, mu[:3], rtol=1e-14)
    np.testing.assert_allclose(s.cxx, C[:3, :3], rtol=1e-11, atol=1e-11 * np.abs(C).max())
    np.testing.assert_allclose(s.cxy, C[:3, 3], rtol=1e-11, atol=1e-11 * np.abs(C).max())
    np.testing.assert_allclose(s.cyy, C[3, 3], rtol=1e-12)


@pytest.mark.parametrize("n,d", SHAPES + [(5003, 40), (20003, 17)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_predict_matches_numpy(n, d, dtype):
    # one row at a time (small d) and four (d > 16, with 1-3 rows left over at the end)
    X, _ = _data(n, d, dtype)
    w = np.linspace(-2, 1, d)
    got = K.predict_fast(X, w, -0.5)
    assert got.dtype == np.float64
    _close(got, X.astype(np.float64) @ w - 0.5)


def test_predict_into_out_and_bad_out():
    X, _ = _data(1001, 5)
    w = np.arange(5.0)
    out = np.full(1001, np.nan)
    assert K.predict_fast(X, w, 1.0, out=out) is out
    _close(out, X @ w + 1.0)
    for bad in (np.empty(1000), np.empty(1001, dtype=np.float32), np.empty((1001, 2))[:, 0], [0.0] * 1001):
        with pytest.raises(InputError, match=r"out must be a writeable, contiguous float64 array"):
            K.predict_fast(X, w, 1.0, out=bad)


def test_large_model_predictions_go_through_the_fused_pass():
    # LinearRegression.predict on an array past the size threshold goes to the facade's
    # predict -- the compiled kernel once it is on disk -- and gives X @ coef + intercept
    from descend import kernels
    from descend.kernels._common import predict_key
    from descend.models import LinearRegression

    X, y = _data(1 << 16, 4)  # 2^18 elements
    assert kernels.use_fast("predict", X) and not kernels.use_fast("predict", X[:10])
    m = LinearRegression().fit(X, y)
    ref = X @ m.coef_ + m.intercept_
    K.predict_fast(X[:8], m.coef_, 0.0)  # compiles (or loads) the signature X needs
    assert kernels.is_ready(predict_key(X))
    _close(m.predict(X), ref, rtol=1e-13)
    _close(m.predict(X[:10]), ref[:10], rtol=1e-13)  # small: plain NumPy


def test_predict_and_read_pass():
    X, _ = _data(10_000, 7)
    w = np.arange(7.0)
    _close(K.predict_fast(X, w, 2.5), X @ w + 2.5)
    words = np.ascontiguousarray(X).reshape(-1).view(np.uint64)
    assert K.read_pass(X) == int(words.sum(dtype=np.uint64))
    assert K.read_pass(np.zeros((0, 3))) == 0
    odd = np.ones(3, dtype=np.float32)  # 12 bytes: one 64-bit word and a 4-byte tail
    assert K.read_pass(odd) == int(odd[:2].view(np.uint64)[0]) + int(odd[2:].view(np.uint8).sum())


@pytest.mark.parametrize("loss", K.LOSSES)
def test_batched_equals_one_by_one(loss):
    X, y = _data(4000, 5)
    rng = np.random.default_rng(2)
    W, B = rng.standard_normal((4, 5)), rng.standard_normal(4)
    L, G, GB = K.loss_and_grad_batched_fast(X, y, W, B, loss, 1.1)
    for q in range(4):
        Lq, gq, gbq = K.loss_and_grad_fast(X, y, W[q], B[q], loss, 1.1)
        _close(L[q], Lq)
        _close(G[q], gq)
        _close(GB[q], gbq)


@pytest.mark.parametrize(("runs", "d", "dtype", "order"), [
    (1, 5, np.float64, "C"),   # one run: handed to the fused single pass
    (3, 3, np.float64, "C"),   # fewer features than the four-feature loops
    (8, 9, np.float32, "C"),   # four + four + one features, float32
    (5, 12, np.float64, "F"),  # column-major X
])
def test_batched_matches_numpy(runs, d, dtype, order):
    # 2,503 rows: several blocks of the batched pass and a ragged last one
    X, y = _data(2503, d, dtype=dtype, seed=runs)
    X = np.asarray(X, order=order)
    rng = np.random.default_rng(runs)
    W, B = rng.standard_normal((runs, d)), rng.standard_normal(runs)
    for loss in K.LOSSES:
        L, G, GB = K.loss_and_grad_batched_fast(X, y, W, B, loss, 0.7)
        assert L.shape == (runs,) and G.shape == (runs, d) and GB.shape == (runs,)
        for q in range(runs):
            Lq, gq, gbq = _ref_loss_grad(X, y, W[q], B[q], loss, 0.7)
            _close(L[q], Lq)
            _close(G[q], gq)
            _close(GB[q], gbq)


def test_deterministic():
    X, y = _data(100_000, 10)
    w = np.ones(10)
    a = K.loss_and_grad_fast(X, y, w, 0.0)
    b = K.loss_and_grad_fast(X, y, w, 0.0)
    assert a[0] == b[0] and np.array_equal(a[1], b[1])


def test_bad_inputs_name_the_problem():
    X, y = _data(10, 2)
    with pytest.raises(InputError, match="loss='hinge'"):
        K.loss_and_grad_fast(X, y, np.zeros(2), 0.0, "hinge")
    with pytest.raises(InputError, match="2 columns"):
        K.loss_and_grad_fast(X, y, np.zeros(3), 0.0)
    with pytest.raises(InputError, match="9 values"):
        K.moment_stats_fast(X, y[:9])


def test_numpy_fallback_same_answers():
    code = (
        "import numpy as np\n"
        "from descend.scale import kernels as K\n"
        "assert not K.HAVE_NUMBA\n"
        "rng = np.random.default_rng(0); X = rng.standard_normal((3000, 4)); y = rng.standard_normal(3000)\n"
        "for loss in K.LOSSES:\n"
        "    L, g, gb = K.loss_and_grad_fast(X, y, np.ones(4), 0.5, loss)\n"
        "    print(repr(float(L)), repr(float(gb)), *[repr(float(v)) for v in g])\n"
        "s = K.moment_stats_fast(X, y); print(*[repr(float(v)) for v in s.cxx.ravel()])\n"
        "print(*map(repr, K.loss_and_grad_batched_fast(X, y, np.ones((2, 4)), np.zeros(2))[1].ravel()))\n"
    )
    env = dict(os.environ, DESCEND_NO_NUMBA="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 4))
    y = rng.standard_normal(3000)
    for line, loss in zip(out[:3], K.LOSSES, strict=True):
        L, gb, *g = map(float, line.split())
        Lr, gr, gbr = K.loss_and_grad_fast(X, y, np.ones(4), 0.5, loss)
        _close([L, gb, *g], [Lr, gbr, *gr])
    _close([float(v) for v in out[3].split()], K.moment_stats_fast(X, y).cxx.ravel())


def test_moment_stats_same_bits_any_thread_count():
    # > 64 blocks, so each fixed group merges several blocks before the groups are merged
    X, y = _data(100_000, 40, offset=5.0)
    with K.kernel_threads(1):
        a = K.moment_stats_fast(X, y)
    with K.kernel_threads(2):
        b = K.moment_stats_fast(X, y)
    for u, v in [(a.mean_x, b.mean_x), (a.cxx, b.cxx), (a.cxy, b.cxy)]:
        assert np.array_equal(u, v)
    assert a.cyy == b.cyy and a.mean_y == b.mean_y
    r = moment_stats(X, y)
    _close(a.cxx, r.cxx)
    _close(a.cxy, r.cxy)


@pytest.mark.skipif(not K.HAVE_NUMBA, reason="numba kernels only")
def test_kernel_closures_hold_only_constants_so_the_disk_cache_hits():
    # numba keys a cached closure by its pickled cells; a cell holding a compiled function
    # pickles differently in every process, so every `descend` command recompiled (seconds)
    def cells(fn):
        return [c.cell_contents for c in fn.py_func.__closure__ or ()]

    from descend.kernels import _full_pass, _predict

    kernels = [_full_pass._kernel("grad", 1, True), _full_pass._kernel("grad_cols", 1),
               _full_pass._kernel("batched", 2), _predict._predict_rows(True)]
    for fn in kernels:
        assert all(type(c) in (int, bool) for c in cells(fn)), (fn, cells(fn))
    assert sorted(cells(_full_pass._kernel("grad", 1, True))) == [True, 1]  # LOSS and UNROLL


# ---------------------------------------------------------------------- the facade, cold start


def _run(code, cache, **env):
    """``code`` in a fresh Python whose kernel cache is the empty folder ``cache``."""
    e = dict(os.environ, XDG_CACHE_HOME=str(cache), DESCEND_KERNELS_BACKGROUND="0", **env)
    e.pop("NUMBA_CACHE_DIR", None)
    return subprocess.run([sys.executable, "-c", code], env=e, capture_output=True, text=True,
                          check=True, timeout=600)


def _files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_the_facade_runs_numpy_until_a_kernel_is_compiled(tmp_path):
    # an empty cache: the three entry points answer (NumPy), numba is never imported, no
    # environment variable is written, and nothing is compiled or stamped
    code = (
        "import os, sys, numpy as np\n"
        "before = dict(os.environ)\n"
        "from descend import kernels\n"
        "rng = np.random.default_rng(0)\n"
        "X = np.asfortranarray(rng.standard_normal((3001, 5)) * [1, 2, 3, 4, 5] + 7.0)\n"
        "y = X @ [1.0, -1.0, 0.5, 0.0, 2.0] + rng.standard_normal(3001)\n"
        "w = np.linspace(-1, 1, 5)\n"
        "for loss in kernels.LOSSES:\n"
        "    L, g, gb = kernels.full_pass(X, y, w, 0.3, loss, 0.9)\n"
        "    print(repr(float(L)), repr(float(gb)), *[repr(float(v)) for v in g])\n"
        "s = kernels.moments(np.ascontiguousarray(X), y)\n"
        "print(*[repr(float(v)) for v in s.cxx.ravel()])\n"
        "print(*[repr(float(v)) for v in kernels.predict(X, w, 0.3)[:5]])\n"
        "print('numba' in sys.modules, dict(os.environ) == before)\n"
    )
    out = _run(code, tmp_path).stdout.splitlines()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3001, 5)) * [1, 2, 3, 4, 5] + 7.0
    y = X @ [1.0, -1.0, 0.5, 0.0, 2.0] + rng.standard_normal(3001)
    w = np.linspace(-1, 1, 5)
    for line, loss in zip(out[:3], K.LOSSES, strict=True):
        Lr, gr, gbr = _ref_loss_grad(X, y, w, 0.3, loss, 0.9)
        _close([float(v) for v in line.split()], [Lr, gbr, *gr])
    _close([float(v) for v in out[3].split()], moment_stats(X, y).cxx.ravel())
    _close([float(v) for v in out[4].split()], (X @ w + 0.3)[:5])
    assert out[5] == "False True"
    assert _files(tmp_path) == []


def test_a_cold_streamed_fit_compiles_nothing_in_the_foreground(tmp_path):
    # issue 27: the first streamed fit on an empty cache either announces a compile on stderr
    # or compiles nothing in the foreground; descend does the latter -- no machine code or
    # stamp is written, the answer is the least-squares one
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    rng = np.random.default_rng(3)
    X = rng.standard_normal((5000, 3))
    y = X @ [1.0, -2.0, 0.5] + 1.0 + 0.01 * rng.standard_normal(5000)
    data = tmp_path / "d.parquet"
    pq.write_table(pa.table({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y}), data)
    cache = tmp_path / "cache"
    cache.mkdir()
    e = dict(os.environ, XDG_CACHE_HOME=str(cache), DESCEND_KERNELS_BACKGROUND="0")
    e.pop("NUMBA_CACHE_DIR", None)
    done = subprocess.run([sys.executable, "-m", "descend", "fit", str(data), "--engine",
                           "stream", "--json"], env=e, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    compiled = _files(cache)
    assert "compiling fast kernels" in done.stderr or compiled == [], (done.stderr, compiled)
    assert compiled == []  # and in fact: nothing compiled at all
    import json

    fit = json.loads(done.stdout)
    A = np.column_stack([X, np.ones(len(y))])
    exact = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose([*fit["coef"], fit["intercept"]], exact, rtol=1e-8, atol=1e-10)


@pytest.mark.skipif(not K.HAVE_NUMBA, reason="numba kernels only")
def test_a_direct_kernel_call_announces_its_compile_once(tmp_path):
    # the read kernel (the smallest): the first call on an empty cache says so on stderr and
    # stamps the signature; a second process loads it from disk without a word
    # (and importing numba through descend writes no environment variable)
    code = ("import os\nbefore = dict(os.environ)\n"
            "import numpy as np\nfrom descend.scale import read_pass\n"
            "print(read_pass(np.arange(10.0)), dict(os.environ) == before)\n")
    first = _run(code, tmp_path)
    assert "compiling fast kernels, once: ~" in first.stderr
    words = np.arange(10.0).view(np.uint64)
    assert first.stdout.split() == [str(int(words.sum(dtype=np.uint64))), "True"]
    assert any(f.endswith("read-0-uint64C") for f in _files(tmp_path))
    second = _run(code, tmp_path)
    assert second.stderr == "" and second.stdout == first.stdout


def test_doctor_check_counts_the_compiled_kernels(tmp_path):
    from descend import kernels

    e = dict(os.environ, XDG_CACHE_HOME=str(tmp_path))
    e.pop("NUMBA_CACHE_DIR", None)
    done = subprocess.run([sys.executable, "-m", "descend", "doctor", "--check"], env=e,
                          capture_output=True, text=True, timeout=300, check=True)
    assert done.stdout.startswith(f"0 of {len(kernels.all_keys())} fast kernels compiled")


def test_every_warm_up_key_names_the_signature_of_its_specimen():
    # descend doctor compiles each key from small arrays; they must reach that very signature
    from descend.kernels import all_keys
    from descend.kernels._common import signature_key, specimen

    keys = all_keys()
    assert len(set(keys)) == len(keys)
    for key in keys:
        if key.startswith("read-"):
            continue
        kernel, loss, unrolled, X, y = specimen(key)
        assert signature_key(kernel, X, y, loss, unrolled) == key
    ro = np.zeros((64, 3))
    ro.setflags(write=False)
    assert signature_key("grad", ro, np.zeros(64)[::2], 2, True) == "grad-2u-float64Cr-float64A"
    kernel, loss, unrolled, X, y = specimen("grad-2u-float64Cr-float64A")
    assert (not X.flags.writeable and X.flags.c_contiguous and not y.flags.c_contiguous
            and loss == 2 and unrolled)


def test_the_kernels_loss_codes_are_the_registrys():
    from descend.kernels import LOSS_CODES
    from descend.models.losses import LOSS_REGISTRY

    assert {name: loss.code for name, loss in LOSS_REGISTRY.items()} == LOSS_CODES


@pytest.mark.skipif(not K.HAVE_NUMBA, reason="numba kernels only")
def test_the_background_compiler_serves_requests_and_exits(tmp_path):
    # what a first run starts: a request file per signature and one compiler process, which
    # compiles each request, stamps it, removes the request and its lock, and exits (run here
    # in the foreground, on the smallest kernel)
    code = (
        "from descend.kernels._stamps import stamp_dir, start_background\n"
        "import os\n"
        "os.environ['DESCEND_KERNELS_BACKGROUND'] = '0'\n"
        "assert not start_background('read-0-uint64C')\n"  # switched off: nothing asked
        "print(stamp_dir())\n"
    )
    folder = tmp_path / _run(code, tmp_path).stdout.strip()
    assert not folder.exists() or _files(folder) == []
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "read-0-uint64C.want").touch()
    (folder / "compiler.lock").touch()
    e = dict(os.environ, XDG_CACHE_HOME=str(tmp_path))
    e.pop("NUMBA_CACHE_DIR", None)
    subprocess.run([sys.executable, "-m", "descend.kernels", "--background"], env=e,
                   check=True, timeout=600)
    assert sorted(p.name for p in folder.iterdir()) == ["read-0-uint64C"]
    assert _run("from descend.kernels import is_ready\nprint(is_ready('read-0-uint64C'))",
                tmp_path).stdout.strip() == "True"
