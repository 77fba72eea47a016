"""Re-render the README images: ``.venv/bin/python docs/images/make_images.py``."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

from descend.data import load_table
from descend.expr import function
from descend.loop import minimize
from descend.models import LinearRegression, sweep_learning_rates
from descend.optim import get_optimizer
from descend.plot import fit_figure, gradient_field, optimizer_race, save_figure, sweep_figure
from descend.report import sweep_report

HERE = Path(__file__).parent
DATA = HERE.parents[1] / "examples" / "data.csv"
warnings.simplefilter("ignore")

bowl = function("x**2 + y**2")
r = minimize(bowl, [3, 1], optimizer=get_optimizer("gd", learning_rate=0.1), max_iter=40)
save_figure(gradient_field(bowl, [r], xlim=(-3.5, 3.5), ylim=(-2.5, 2.5)),
            HERE / "gradient_field.png", dpi=90)

valley = function("x**2 + x*y + y**2")
r = minimize(valley, [3, 1], optimizer=get_optimizer("gd", learning_rate=0.3), max_iter=40)
save_figure(gradient_field(valley, [r], title="The valley f = x**2 + x*y + y**2, gd lr = 0.3"),
            HERE / "valley.png", dpi=90)

t = load_table(DATA)
m = LinearRegression(learning_rate=0.0001, max_iter=1000, scale=False).fit_table(t)
save_figure(fit_figure(m, t), HERE / "line_fit.png", dpi=72)

X = np.array([1200, 1500, 1800, 2100, 2400.0])
y = np.array([200000, 250000, 300000, 350000, 400000.0])
houses = load_table((X, y))
houses = type(houses)(houses.X, houses.y, ("size (sq ft)",), "price ($)", "tutorial houses")
s = sweep_learning_rates(houses.X, houses.y, [0.001, 0.01, 0.1, 1.0, 1.5], max_iter=50)
save_figure(sweep_figure(s, houses), HERE / "house_sweep.png", dpi=72)

rosen = function("(1 - x)**2 + 100*(y - x**2)**2")
runs = {}
for name, kw in (("gd", {"learning_rate": 0.001}), ("momentum", {"learning_rate": 0.001}),
                 ("nesterov", {"learning_rate": 0.001}), ("adam", {"learning_rate": 0.05})):
    res = minimize(rosen, [-1.5, 2.0], optimizer=get_optimizer(name, **kw), max_iter=2000)
    runs[f"{name}, lr = {kw['learning_rate']:g}"] = res.history.x
save_figure(optimizer_race(rosen, runs, xlim=(-2, 2), ylim=(-1, 3)),
            HERE / "optimizer_race.png", dpi=80)

report = sweep_report(Path("/tmp") / "house_sweep.html", s, houses)
if len(sys.argv) > 1:
    print(report)
