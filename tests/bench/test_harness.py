"""The ``make bench`` harness: the grid's designs and exact answers at any n, the cache key,
the rule that skips a contender whose copies do not fit, and issue 22's summary computed from
given figures. No timings are asserted: only the figures' bookkeeping."""

from __future__ import annotations

import json

import numpy as np
import pytest
from benchmarks import _grid_data as g
from benchmarks import _grid_peer as peer
from benchmarks import _summary as s
from benchmarks import bench_grid
from benchmarks._exact import exact_least_squares


def _exact_floats(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.array([float(v) for v in exact_least_squares(X.tolist(), y.tolist())])


@pytest.mark.parametrize("kind", g.DESIGNS)
def test_the_blockwise_design_and_its_sums_are_exact(kind, tmp_path, monkeypatch):
    # blocks of 700 rows, limb products of 256: the n = 1e7 path at a size Fractions can check
    monkeypatch.setattr(g, "BLOCK", 700)
    monkeypatch.setattr(g, "SUB", 256)
    n, d = 1900, 4
    X, y, e = g.design(n, d, kind)
    assert X.shape == (n, d) and len(list(g.int_blocks(n, d, kind))) == 3
    px, py, answer = g.write_design(tmp_path, n, d, kind)
    np.testing.assert_array_equal(np.load(px), X)
    np.testing.assert_array_equal(np.load(py), y)
    want = _exact_floats(X, y)  # independent: Gauss-Jordan on Fractions of the floats
    np.testing.assert_array_equal(answer, want)
    np.testing.assert_array_equal(g.exact_answer(X, y, e), want)


def test_small_designs_keep_their_values():
    # up to BLOCK rows one draw from default_rng(seed), in the order earlier runs drew them
    rng = np.random.default_rng(0)
    base = rng.integers(0, 2**10, 50) * 2**20
    Xi = base[:, None] + rng.integers(-4, 5, (50, 3))
    X, _, _ = g.design(50, 3, "correlated")
    np.testing.assert_array_equal(X, Xi.astype(np.float64))


def test_the_cache_key_names_every_input():
    keys = {g.cache_key(n, d, k, seed) for n in (10, 11) for d in (5, 6)
            for k in ("well", "mixed") for seed in (0, 1)}
    assert len(keys) == 16
    assert g.GENERATOR in g.cache_key(10, 5, "well")


def test_a_cached_answer_is_used_and_round_trips(tmp_path):
    row = bench_grid.cell(3000, 3, "badly", repeat=1, cache=str(tmp_path))
    (path,) = tmp_path.iterdir()
    assert path.name == g.cache_key(3000, 3, "badly", 0)
    stored = json.loads(path.read_text())
    X, y, _ = g.design(3000, 3, "badly")
    np.testing.assert_array_equal([float.fromhex(v) for v in stored["answer"]], _exact_floats(X, y))
    # a wrong answer in the cache is what the digits are then measured against: it is read
    stored["answer"] = [float(v + 1.0).hex() for v in _exact_floats(X, y)]
    path.write_text(json.dumps(stored))
    again = bench_grid.cell(3000, 3, "badly", repeat=1, cache=str(tmp_path))
    assert again["reference_s"] == 0.0 and row["reference_s"] >= 0.0
    assert row["lstsq_digits"] > 10 > again["lstsq_digits"]


def test_a_contender_whose_copies_do_not_fit_is_skipped_and_named():
    got = peer.plan(("descend", "lstsq", "statsmodels"), 10**7, 100, 16.5)
    assert got["descend"] is None and got["lstsq"] is None
    assert got["statsmodels"] == f"skipped: needs {peer.needs_gb('statsmodels', 10**7, 100):.0f}" \
        " GB > 16.5 GB"
    assert all(v is None for v in peer.plan(("statsmodels",), 10**6, 100, 16.5).values())
    # make bench's time: statsmodels up to n = 1e6, said in the cell
    limited = peer.plan(("lstsq", "statsmodels"), 10**7, 5, 16.5, {"statsmodels": 10**6})
    assert limited == {"lstsq": None, "statsmodels": "skipped: n > 1e+06 (time)"}


def test_large_cells_give_the_named_contenders_fewer_fits(tmp_path, monkeypatch, capsys):
    fewer = {"descend": 2, "lstsq": 2, "sklearn": 1, "statsmodels": 1}
    peers = ("descend", "lstsq", "sklearn", "statsmodels")
    assert bench_grid.runs_of(peers, 10**6, 20, 3, 2e7, fewer) == fewer  # n d = 2e7: large
    assert bench_grid.runs_of(peers, 10**6, 5, 3, 2e7, fewer) == dict.fromkeys(peers, 3)
    assert bench_grid.runs_of(peers, 10**6, 20, 1, 2e7, fewer) == dict.fromkeys(peers, 1)
    assert bench_grid.runs_of(peers, 10**7, 100, 3, float("inf"), fewer) == dict.fromkeys(peers, 3)
    # the fits each contender really gets, counted, and the row and the table say so
    calls: dict[str, int] = {}
    real = bench_grid.fitter

    def counted(name):
        fit = real(name)

        def run(X, y):
            calls[name] = calls.get(name, 0) + 1
            return fit(X, y)
        return run

    monkeypatch.setattr(bench_grid, "fitter", counted)
    row = bench_grid.cell(3000, 3, "well", repeat=3, cache=str(tmp_path), large=9000,
                          repeat_large=fewer)
    want = {p: fewer[p] for p in peer.available()}
    assert calls == want and row["runs"] == want and row["repeat"] == 2
    assert row["cell_s"] >= row["design_s"] >= 0.0
    bench_grid._print_row(row, peer.available())
    out = capsys.readouterr().out
    assert "best of " + "/".join(str(v) for v in want.values()) in out and "cell " in out
    calls.clear()
    small = bench_grid.cell(3000, 3, "well", repeat=3, cache=str(tmp_path), large=10**5,
                            repeat_large=fewer)
    assert calls == dict.fromkeys(peer.available(), 3) and small["repeat"] == 3


@pytest.mark.slow
def test_an_own_process_cell_reports_the_skipped_contenders(tmp_path, capsys):
    # only descend fits this budget: it runs in its own process on the design file, the
    # others are skipped with the memory they would need, in the row and the printed table
    budget = peer.needs_gb("descend", 4000, 3)
    row = bench_grid.cell(4000, 3, "mixed", cache=str(tmp_path), inproc_gb=0.0,
                          budget_gb=budget, folder=tmp_path / "grid", repeat_big=1)
    assert row["mode"] == "each contender in its own process"
    # the same fit as in this process (descend 10.6 digits here, lstsq 7.5: kappa ~1e8)
    inproc = bench_grid.cell(4000, 3, "mixed", cache=str(tmp_path), repeat=1)
    assert row["descend_digits"] == inproc["descend_digits"] > inproc["lstsq_digits"]
    assert row["descend_peak_rss_GB"] > 0
    assert row["lstsq_skipped"].startswith("skipped: needs ")
    assert "time_ratio_lstsq" not in row
    assert not list((tmp_path / "grid").glob("*.npy"))  # the design files are removed
    bench_grid._print_row(row, ("descend", "lstsq"))
    assert "lstsq skipped: needs" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------
# the summary, from given figures
# ---------------------------------------------------------------------------------------


def _grid(ratio: float = 0.5, margin: float = 0.0, drop: int = 0) -> dict:
    rows = [{"n": n, "d": d, "design": k, "time_ratio_lstsq": ratio, "digits_minus_lstsq": margin}
            for n in s.GRID_N for d in s.GRID_D for k in (*s.GRID_DESIGNS, "mixed")]
    return {"rows": rows[drop:]}


def _results(**over) -> dict:
    res = {
        "bench_grid": _grid(),
        "bench_bigfile": {
            kind: {"rows": 10**7, "speed_vs_duckdb": 1.1, "descend": {"wall": 3.0, "rss_MB": 500.0,
                                                                       "digits": 14.0},
                   "duckdb": {"wall": 3.3, "digits": 10.0}} for kind in ("parquet", "csv")},
        "bench_scale": {
            "dask": {"fit_file": {"rows": 10**7, "d": 10, "runs": {
                "descend stream": {"wall": 2.0},
                "descend dask (own local cluster)": {"wall": 2.8, "vs_stream": 1.4}}}},
            "kernels": [{"n": 10**7, "d": d, "dtype": "float64", "fraction_of_roofline": {
                "fused grad squared_error": 0.8, "fused moment stats (1 pass)": 0.75}}
                for d in (10, 100)]},
        "bench_startup": {"rows": [{"command": "descend plot 'x**2'", "ratio": 5.0,
                                    "seconds": 0.7, "cpu_ratio": 4.0}]},
    }
    res.update(over)
    return res


def _met(items: list[dict]) -> dict[str, bool | None]:
    return {it["item"].split(":")[0] + it["item"][-12:]: it["met"] for it in items}


def test_every_item_met_on_figures_that_meet_the_goals():
    items = s.summarise(_results())
    assert len(items) == 7 and all(it["met"] is True for it in items), items


def test_each_goal_is_judged_from_its_figures():
    def verdicts(**over):
        return [it["met"] for it in s.summarise(_results(**over))]

    # digits: 0.3 short is within the tolerance, 0.31 is not
    assert verdicts(bench_grid=_grid(margin=-0.3))[:2] == [True, True]
    assert verdicts(bench_grid=_grid(margin=-0.31))[:2] == [False, True]
    # time: equal to lstsq meets "within 1.0x", slower does not
    assert verdicts(bench_grid=_grid(ratio=1.0))[:2] == [True, True]
    assert verdicts(bench_grid=_grid(ratio=1.01))[:2] == [True, False]
    # a missing issue cell: not measured, never met
    assert verdicts(bench_grid=_grid(drop=1))[:2] == [None, None]
    slow_csv = _results()["bench_bigfile"]
    slow_csv["csv"]["speed_vs_duckdb"] = 0.97
    assert verdicts(bench_bigfile=slow_csv)[2:4] == [True, False]
    big_csv = _results()["bench_bigfile"]
    big_csv["csv"]["descend"]["rss_MB"] = 1030.0
    assert verdicts(bench_bigfile=big_csv)[3] is False
    assert verdicts(bench_bigfile={"skipped": "duckdb not installed"})[2:4] == [None, None]
    scale = _results()["bench_scale"]
    scale["dask"]["fit_file"]["runs"]["descend dask (own local cluster)"]["vs_stream"] = 1.51
    assert verdicts(bench_scale=scale)[4] is False
    # the stream failed: its ratio is nan and its wall missing: not measured, never met
    scale = _results()["bench_scale"]
    runs = scale["dask"]["fit_file"]["runs"]
    runs["descend stream"] = {"error": "stream failed"}
    runs["descend dask (own local cluster)"]["vs_stream"] = float("nan")
    assert verdicts(bench_scale=scale)[4] is None
    assert "stream failed" in s.summarise(_results(bench_scale=scale))[4]["figures"]
    scale = _results()["bench_scale"]
    scale["kernels"][0]["fraction_of_roofline"]["fused moment stats (1 pass)"] = 0.69
    assert verdicts(bench_scale=scale)[5] is False
    scale["kernels"] = scale["kernels"][:1]  # d = 100 at n = 1e7 not run
    assert verdicts(bench_scale=scale)[5] is None
    assert verdicts(bench_startup={"rows": [{"command": "descend plot", "ratio": 6.2,
                                             "seconds": 1.0, "cpu_ratio": 5.0}]})[6] is False
    assert verdicts(bench_startup={})[6] is None


def test_the_summary_names_its_figures_and_renders_as_markdown():
    items = s.summarise(_results(bench_grid=_grid(ratio=1.2, margin=-1.0)))
    assert items[0]["figures"].startswith("36 of 36 cells short; least margin -1.00")
    assert "36 of 36 cells slower" in items[1]["figures"] and "x1.20" in items[1]["figures"]
    md = s.as_markdown(items, "head")
    assert md.startswith("head\n\n| item | figures (this run) | goal | met? |")
    assert md.count("\n| ") == 1 + len(items) and "| NOT met |" in md
    assert "[NOT met]" in s.as_text(items)


# ---------------------------------------------------------------------------------------
# python -m benchmarks
# ---------------------------------------------------------------------------------------


def test_make_bench_sizes_cover_every_module_and_reach_their_run():
    from benchmarks import __main__ as bm

    names = bm._modules(None)
    assert names[-1] == "bench_grid" and set(bm.SIZES) <= set(names)
    assert bm._modules(["grid", "bench_scale"]) == ["bench_scale", "bench_grid"]
    kw = bm.module_kwargs(bench_grid, "bench_grid", quick=False, defaults=False, cache="C")
    assert kw == {"big": True, "repeat": 3, "repeat_big": 1, "cache": "C",
                  "max_n": {"statsmodels": 1_000_000}, "large": 2e7,
                  "repeat_large": {"descend": 2, "lstsq": 2, "sklearn": 1, "statsmodels": 1}}
    assert bm.module_kwargs(bench_grid, "bench_grid", quick=False, defaults=True,
                            cache="C") == {"cache": "C"}
    assert bm.module_kwargs(bench_grid, "bench_grid", quick=True, defaults=False,
                            cache="C") == {"quick": True, "cache": "C"}


def test_set_overrides_one_size_and_names_a_bad_one():
    from benchmarks import __main__ as bm

    assert bm.overrides(["grid.ns=[10000000]", "bench_scale.repeat=2"]) == {
        "bench_grid": {"ns": [10000000]}, "bench_scale": {"repeat": 2}}
    for bad in ("grid.ns", "grid=3", "grid.ns=[1e7"):
        with pytest.raises(SystemExit, match="--set"):
            bm.overrides([bad])


@pytest.mark.slow
def test_a_quick_run_writes_the_summary_as_json_and_markdown(tmp_path, capsys):
    from benchmarks import __main__ as bm

    js, md = tmp_path / "r.json", tmp_path / "r.md"
    assert bm.main(["--quick", "--only", "loop", "--json", str(js), "--md", str(md)]) == 0
    out = json.loads(js.read_text())
    assert out["quick"] and out["results"]["bench_loop"]["_run"]["wall_s"] > 0
    assert [it["met"] for it in out["summary"]] == [None] * 7  # nothing of issue 22 ran
    assert out["peak_rss_GB"] > 0
    assert "| not measured |" in md.read_text()
    assert "=== issue 22: Done when ===" in capsys.readouterr().out
    # --merge: a second part joins the first run's figures and the summary is recomputed
    startup = {"rows": [{"command": "descend plot x", "ratio": 3.0, "seconds": 0.4,
                         "cpu_ratio": 2.0}]}
    old = json.loads(js.read_text())
    old["results"]["bench_startup"] = startup
    js.write_text(json.dumps(old))
    assert bm.main(["--quick", "--only", "loop", "--merge", "--json", str(js)]) == 0
    merged = json.loads(js.read_text())
    assert merged["results"]["bench_startup"] == startup and len(merged["merged"]) == 1
    assert merged["summary"][-1]["met"] is True
