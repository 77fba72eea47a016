"""The differential test of issue 23: the page, ``descend minimize`` and ``descend plot`` give
every run of the corpus the same verdict, and the figure's legend carries it.

The page's verdict is computed in Chromium by ``verdict.js`` (``descend.loop.verdict``'s rules
written in JavaScript); ``minimize``'s by the engine; ``plot``'s is read from its exit status
and from the legend of the figure it drew (the figure is caught before it is saved).
"""

from __future__ import annotations

import warnings

import pytest

import descend
from descend.explorer import explore

from ._corpus import CASES

pytestmark = pytest.mark.browser

FAILED = {"diverged", "oscillating", "unbounded_below"}
WORDS = {"converged": "converged", "not_a_minimum": "not a minimum", "oscillating": "oscillating",
         "diverged": "diverged", "unbounded_below": "unbounded below", "stalled": "stalled",
         "budget_spent": "not converged (max_iter)"}


def _ids():
    return [f"{i:02d}-{f}-{o}-{lr:.3g}" for i, (f, _, o, lr, _, _) in enumerate(CASES)]


@pytest.fixture(scope="module")
def corpus_pages(tmp_path_factory):
    d = tmp_path_factory.mktemp("corpus")
    pages = {}
    for i, f in enumerate(dict.fromkeys(c[0] for c in CASES)):
        start = next(c[1] for c in CASES if c[0] == f)
        pages[f] = explore(f, start=start).save(d / f"f{i}.html")
    return pages


def _minimize(f, start, name, lr, max_iter):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return descend.minimize(f, start, optimizer=descend.get_optimizer(name, learning_rate=lr),
                                max_iter=max_iter)


def _plot(f, start, name, lr, max_iter, tmp_path, monkeypatch, capsys):
    """``descend plot`` on the case (in-process): its exit status and its legend's texts."""
    import descend.plot as plot
    from descend.cli.app import main

    shown: list[str] = []

    def catch(fig, out):
        shown.extend(t.get_text() for ax in fig.axes if ax.get_legend()
                     for t in ax.get_legend().get_texts())
        with open(out, "wb") as fh:
            fh.write(b"figure")

    monkeypatch.setattr(plot, "save_figure", catch)
    args = ["plot", f, "--start", ",".join(repr(float(v)) for v in start), "--optimizer", name,
            "--lr", repr(float(lr)), "--max-iter", str(max_iter), "--out",
            str(tmp_path / "p.png"), "--force"]
    code = main(args)
    return code, shown, capsys.readouterr().err


@pytest.mark.parametrize("case", CASES, ids=_ids())
def test_page_minimize_and_plot_agree(open_page, corpus_pages, case, tmp_path, monkeypatch,
                                      capsys):
    f, start, name, lr, max_iter, expected = case
    r = _minimize(f, start, name, lr, max_iter)
    if expected is not None:
        assert str(r.verdict) == expected, r.message
    page = open_page(corpus_pages[f])
    run = page.js("o => window.descendExplorer.run(o)",
                  {"start": start, "optimizer": name, "learning_rate": lr, "max_iter": max_iter})
    assert run["verdict"] == str(r.verdict), (run["explanation"], r.message)
    assert run["nit"] == r.nit
    code, legend, output = _plot(f, start, name, lr, max_iter, tmp_path, monkeypatch, capsys)
    assert code == (3 if str(r.verdict) in FAILED else 0), output
    assert any(WORDS[str(r.verdict)] in t for t in legend), legend
    assert page.errors == []


def test_the_corpus_covers_every_behaviour():
    verdicts = [c[5] for c in CASES if c[5] is not None]
    assert len(CASES) >= 40
    for v in ("converged", "not_a_minimum", "oscillating", "diverged", "unbounded_below",
              "budget_spent"):
        assert verdicts.count(v) >= 3, v
