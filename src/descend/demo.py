"""The tutorial tour: every example of the four tutorials, run by descend, with pictures.

``python -m descend.demo --out out`` (what ``make demo`` runs) prints each tutorial's numbers
-- the right ones -- and writes its pictures to ``out/``:

* 002: the gradient of ``x**2 + y**2`` at (3, 1) and (-2, -2), its direction and magnitude,
  and the gradient field with arrows perpendicular to the contour lines;
* 000: the valley ``x**2 + x*y + y**2``, the update ``b = a - gamma * grad f(a)`` written out,
  and the line fit to ``data.csv`` (learning rate 0.0001, 1000 iterations, from b = m = 0);
* 001: house prices. The tutorial prints "$167 per square foot" for learning rate 0.0001 on
  raw square feet, but that step is ~340x the stability limit 2/L and diverges; descend says
  so, and by default (standardised features, step 1/L) learns $166.67 and $0;
* 003: stopping once the loss is under a threshold, with the log of parameters and losses.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.rule import Rule

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _data_file(name: str) -> Path:
    path = EXAMPLES / name
    if not path.exists():  # installed without the source tree: ship a copy next to us
        path = Path(__file__).resolve().parent / "_examples" / name
    return path


def run(out_dir: Path, console: Console) -> None:
    """The four tutorials in order, their pictures written to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    say = console.print
    _gradients(out_dir, say)  # tutorial 002
    _valley_and_line(out_dir, say)  # tutorial 000
    houses = _house_prices(out_dir, say)  # tutorial 001
    _learning_rates(out_dir, say, houses)
    _stopping(say, houses)  # tutorial 003


def _gradients(out_dir: Path, say: Any) -> None:
    """Tutorial 002: the gradient of the bowl, its direction and magnitude, its field."""
    import descend
    from descend.plot import gradient_field, save_figure

    say(Rule("Tutorial 002 - the gradient of f(x, y) = x**2 + y**2"))
    bowl = descend.function("x**2 + y**2")
    say(f"grad f = [{', '.join(bowl.gradient_formula)}]")  # type: ignore[attr-defined]
    for point in ([3, 1], [-2, -2]):
        g = descend.gradient_at(bowl, point)
        say(
            f"grad f{tuple(point)} = {g.value.tolist()}   magnitude {g.magnitude:.6g}   "
            f"steepest ascent along {np.round(g.direction, 4).tolist()}"
        )
    path = descend.minimize(bowl, [3, 1], optimizer=descend.gd(0.1), gtol=1e-3)
    fig = gradient_field(bowl, [path])
    say(f"wrote {save_figure(fig, out_dir / 'bowl_gradient_field.png')}")


def _valley_and_line(out_dir: Path, say: Any) -> None:
    """Tutorial 000: the valley's update written out, and the line fit to data.csv."""
    import descend
    from descend.data import load_table
    from descend.models import LinearRegression
    from descend.plot import fit_figures, minimize_figures

    say(Rule("Tutorial 000 - the valley f(x, y) = x**2 + x*y + y**2"))
    valley = descend.function("x**2 + x*y + y**2")
    say(f"grad f = [{', '.join(valley.gradient_formula)}]")  # type: ignore[attr-defined]
    r = descend.minimize(valley, [3, 1], optimizer=descend.gd(0.1))
    for line in descend.explain_steps(valley, r, k=3):
        say(f"  {line}")
    say(f"after {r.nit} steps: x = {r.x.round(8).tolist()}, f = {r.fun:.3g} ({r.status})")
    for p in minimize_figures(valley, [r], out_dir / "valley_descent.png"):
        say(f"wrote {p}")

    say(Rule("Tutorial 000 - fitting y = m x + b to data.csv"))
    table = load_table(_data_file("data.csv"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter is the tutorial's choice, not a mistake
        line = LinearRegression(learning_rate=0.0001, max_iter=1000, scale=False).fit_table(table)
    say(f"Starting gradient descent at b = 0, m = 0, error = {line.initial_loss_:.10f}")
    say(
        f"After {line.n_iter_} iterations b = {line.intercept_:.10f}, "
        f"m = {line.coef_[0]:.10f}, error = {line.loss_:.10f}"
    )
    say(
        f"(the least-squares line has error {line.optimal_loss_:.10f}: 1000 steps of 0.0001 "
        "on raw x leave the intercept far from its optimum)"
    )
    for p in fit_figures(line, table, out_dir / "data_line_fit.png"):
        say(f"wrote {p}")


def _house_prices(out_dir: Path, say: Any) -> Any:
    """Tutorial 001: the tutorial's rate diverges (said so), descend's default fits."""
    from descend.data import load_table
    from descend.models import LinearRegression
    from descend.plot import fit_figures

    say(Rule("Tutorial 001 - house prices from their size"))
    houses = load_table(_data_file("houses.csv"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        as_written = LinearRegression(learning_rate=0.0001, max_iter=1000, scale=False)
        as_written.fit_table(houses)
    say(
        "As the tutorial wrote it (learning rate 0.0001 on raw square feet): "
        f"{as_written.stop_reason_} after {as_written.n_iter_} steps."
    )
    for w in caught:
        if "diverged" in str(w.message):
            say(f"  why: {w.message}")
    say("The tutorial's printed '$167 per square foot, base price $0' cannot come from that code.")
    model = LinearRegression().fit_table(houses)
    price = float(model.predict(np.array([[2000.0]]))[0])
    say(
        f"descend's default (gradient descent in whitened coordinates, step 1/L): "
        f"${model.coef_[0]:.2f} per square foot, base price ${abs(model.intercept_):.0f}; "
        f"2000 sq ft -> ${price:,.0f} (verdict: {model.verdict_}, "
        f"{model.trusted_digits_} digits to trust)"
    )
    for p in fit_figures(model, houses, out_dir / "house_fit.png"):
        say(f"wrote {p}")
    return houses


def _learning_rates(out_dir: Path, say: Any, houses: Any) -> None:
    """Tutorial 001's learning-rate experiment, each rate with its verdict."""
    from descend.models import sweep_learning_rates
    from descend.plot import sweep_figures
    from descend.report import sweep_report

    rates = [0.001, 0.01, 0.1, 1.0, 1.5]
    sweep = sweep_learning_rates(
        houses.X, houses.y, rates, max_iter=50, feature_names=houses.feature_names
    )
    say(f"Learning-rate experiment (standardised; stability limit 2/L = {sweep.stability_limit:g}):")
    words = {
        "diverged": "DIVERGED",
        "oscillating": "oscillating: a step of 2/L never settles",
        "budget_spent": "not converged: 50 steps were too few at this rate",
        "converged": "converged",
        "stalled": "stalled",
    }
    for lr, loss, n, verdict in zip(
        sweep.learning_rates, sweep.final_loss, sweep.n_iter, sweep.verdicts, strict=True
    ):
        say(f"  lr {lr:<6g} final loss {loss:<12.4g} after {n:>3} steps  {words[verdict]}")
    for p in sweep_figures(sweep, houses, out_dir / "house_sweep.png"):
        say(f"wrote {p}")
    say(f"wrote {sweep_report(out_dir / 'house_sweep_report.html', sweep, houses)}")


def _stopping(say: Any, houses: Any) -> None:
    """Tutorial 003: stop once the loss is under a threshold; the log of parameters."""
    from descend.models import LinearRegression

    say(Rule("Tutorial 003 - stop after N iterations or once the loss is under a threshold"))
    stop = LinearRegression(learning_rate=0.1, target_loss=1e3, max_iter=1000).fit_table(houses)
    say(
        f"target_loss=1e3: stopped by {stop.stop_reason_} after {stop.n_iter_} steps, "
        f"loss {stop.loss_:.4g}; the log holds {len(stop.history_)} parameter vectors "
        f"(first {np.round(stop.history_[0], 3).tolist()}, last {np.round(stop.history_[-1], 3).tolist()})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The descend tutorial tour.")
    parser.add_argument("--out", default="out", help="folder for the pictures [default: out]")
    args = parser.parse_args(argv)
    console = Console(highlight=False)
    run(Path(args.out), console)
    console.print(Rule())
    console.print(f"pictures and the interactive report are in {Path(args.out).resolve()}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
