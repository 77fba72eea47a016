"""Render every picture README.md and docs/ show: ``python docs/images/make_images.py [OUT]``.

``OUT`` defaults to ``docs/images``. The test suite (tests/docs/test_docs_images.py) runs this
into a temporary folder and checks that it makes every image the docs reference, so no picture
in the docs comes from anywhere else. The two screenshots (``report.png``, ``explorer.png``)
need Chromium (Playwright); without it they are skipped with a line on stderr.
"""

from __future__ import annotations

import os
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

HERE = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
HERE.mkdir(parents=True, exist_ok=True)
CHROMIUM = os.environ.get("DESCEND_CHROMIUM", "/usr/bin/chromium")
DATA = Path(__file__).resolve().parents[2] / "examples" / "data.csv"
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
runs = []
for name, kw in (("gd", {"learning_rate": 0.001}), ("momentum", {"learning_rate": 0.001}),
                 ("nesterov", {"learning_rate": 0.001}), ("adam", {"learning_rate": 0.05})):
    runs.append(minimize(rosen, [-1.5, 2.0], optimizer=get_optimizer(name, **kw), max_iter=2000))
save_figure(optimizer_race(rosen, runs, xlim=(-2, 2), ylim=(-1, 3)),
            HERE / "optimizer_race.png", dpi=80)

report = sweep_report(HERE / "house_sweep.html", s, houses)

# docs/analyst.md: the residual plots of the Grunfeld fit (a formula with a text category)
import pandas as pd  # noqa: E402

from descend.models import LinearModel  # noqa: E402
from descend.models.analysis import influence  # noqa: E402
from descend.plot.residuals import residual_plots  # noqa: E402

grunfeld = pd.read_csv(DATA.parent / "grunfeld.csv")
g = LinearModel.from_formula("invest ~ value + capital + C(firm)", grunfeld)
Xg, yg, _ = g.design_.transform(grunfeld.dropna(subset=["value", "firm"]))
i = influence(g, Xg, yg)
save_figure(residual_plots(i["fitted"], i["resid"], i["leverage"], i["studentised"],
                           len(g.summary().names), target="invest"),
            HERE / "residuals.png", dpi=72)


def screenshots() -> None:
    """``report.png`` (the sweep's report) and ``explorer.png`` (the valley's explorer page)."""
    from playwright.sync_api import sync_playwright

    from descend.explorer import explore

    page_file = HERE / "valley_explorer.html"
    page_file.write_text(explore("x**2 + x*y + y**2").html, encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu"])
        for html, png in ((report, "report.png"), (page_file, "explorer.png")):
            page = browser.new_page(viewport={"width": 1100, "height": 760})
            page.goto(Path(html).resolve().as_uri())
            page.wait_for_timeout(500)
            page.screenshot(path=str(HERE / png))
            page.close()
        browser.close()
    for html in (report, page_file):
        Path(html).unlink()


if Path(CHROMIUM).exists():
    screenshots()
else:
    print(f"make_images: no Chromium at {CHROMIUM}: report.png and explorer.png not made",
          file=sys.stderr)
