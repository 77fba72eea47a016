"""The habits of the ecosystem's CLIs, through the real entry points (new processes).

``descend --version``, ``python -m descend``, shell completion, ``fit``'s help panels,
``NO_COLOR``, one-line errors, and a light command that loads no heavy library.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import descend

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("descend")
HEAVY = ("sklearn", "numba", "dask", "matplotlib", "plotly", "polars", "pyarrow", "statsmodels")
COLOR = re.compile(r"\x1b\[[0-9;]*(?:3[0-9]|9[0-7]|38;[0-9;]+)m")  # a foreground colour


def _env(**more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = "120"
    env.update(more)
    return env


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "descend", *args],
        capture_output=True,
        text=True,
        env=_env(**env),
        timeout=120,
    )


def _python(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` run by a new Python process (a clean ``sys.modules``) in the repository."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), cwd=ROOT,
        timeout=120,
    )


def test_version_matches_the_package_and_pyproject():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["version"] == descend.__version__
    for flag in ("--version", "-V"):
        r = _run(flag)
        assert r.returncode == 0 and r.stdout == f"descend {descend.__version__}\n", r
        assert r.stderr == ""


@pytest.mark.skipif(not SCRIPT.exists(), reason="the console script is not installed here")
def test_console_script_and_python_m_agree():
    r1 = subprocess.run([str(SCRIPT), "--version"], capture_output=True, text=True, env=_env())
    r2 = _run("--version")
    assert r1.returncode == r2.returncode == 0 and r1.stdout == r2.stdout


def test_python_m_descend_bare_prints_the_commands():
    r = _run()
    assert r.returncode == 0
    for verb in ("gradient", "minimize", "fit", "predict", "sweep", "plot"):
        assert re.search(rf"^\W*{verb}\s", r.stdout, re.M), verb


@pytest.mark.slow  # bash and three new processes
def test_completion_script_and_completions():
    # Typer finds the user's shell by walking up the process tree (shellingham): run the
    # command from bash, as a user would (under `make`, the nearest shell would be sh).
    import shlex

    bash = subprocess.run(
        ["bash", "-c", f"{shlex.quote(sys.executable)} -m descend --show-completion; true"],
        capture_output=True, text=True, env=_env(), timeout=120,
    )
    assert "_DESCEND_COMPLETE" in bash.stdout and "complete" in bash.stdout, bash.stderr
    r = _run(_DESCEND_COMPLETE="complete_bash", COMP_WORDS="descend fi", COMP_CWORD="1")
    assert r.returncode == 0 and r.stdout.split() == ["fit"]
    r = _run(_DESCEND_COMPLETE="complete_bash", COMP_WORDS="descend fit --sum", COMP_CWORD="2")
    assert r.stdout.split() == ["--summary"]


def _panels(text: str) -> dict[str, str]:
    """Panel title -> its body, from Rich's boxed help."""
    found: dict[str, str] = {}
    title = None
    for line in text.splitlines():
        m = re.match(r"^╭─ (.+?) ─", line)
        if m:
            title = m.group(1)
            found[title] = ""
        elif line.startswith("╰"):
            title = None
        elif title is not None:
            found[title] += line + "\n"
    return found


def test_fit_options_are_grouped_into_panels():
    r = _run("fit", "--help", NO_COLOR="1", COLUMNS="200")
    assert r.returncode == 0
    panels = _panels(r.stdout)
    expected = {
        "Data": ["--target", "--features"],
        "Model": ["--loss", "--alpha", "--epsilon", "--init"],
        "Descent": ["--optimizer", "--lr", "--scale", "--batch-size", "--random-state"],
        "Stopping": ["--max-iter", "--tol", "--gtol", "--target-loss", "--time-limit"],
        "Scale: engines and checkpoints": ["--engine", "--scheduler", "--chunk-rows",
                                           "--checkpoint", "--resume"],
        "Output": ["--json", "--summary", "--save", "--plot", "--html", "--quiet"],
    }
    for title, options in expected.items():
        assert title in panels, (title, list(panels))
        for option in options:
            assert re.search(rf"{option}\b", panels[title]), (title, option)
    # Rich markup must not eat the bracketed defaults of the help texts.
    assert "[default: the last]" in panels["Data"]
    assert "[default: all rows]" in panels["Descent"]


@pytest.mark.slow  # four new processes
def test_no_color_is_honoured():
    colored = _run("--help", FORCE_COLOR="1")
    assert "\x1b[" in colored.stdout  # forced colour is on without NO_COLOR
    plain = _run("--help", FORCE_COLOR="1", NO_COLOR="1")
    assert "\x1b[" not in plain.stdout and "Usage" in plain.stdout
    table = _run("gradient", "x**2 + y**2", "--at", "3,1", FORCE_COLOR="1", NO_COLOR="1")
    assert table.returncode == 0 and "6.32455532" in table.stdout
    assert not COLOR.search(table.stdout)
    # NO_COLOR set but empty means "not set" (https://no-color.org).
    assert COLOR.search(_run("--help", FORCE_COLOR="1", NO_COLOR="").stdout)


@pytest.mark.parametrize(
    "args, word",
    [
        (["fit", "examples/data.csv", "--bogus"], "--bogus"),
        (["fit"], "data"),
        (["fit", "examples/data.csv", "--max-iter", "many"], "--max-iter"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_errors_stay_one_line(args, word):
    r = subprocess.run(
        [sys.executable, "-m", "descend", *args],
        capture_output=True, text=True, env=_env(NO_COLOR="1"), cwd=ROOT, timeout=120,
    )
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("descend: error: ") and word in lines[0], r
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["gradient", "x**2 + y**2", "--at", "3,1"],
        ["fit", "--help"],  # the help of a heavy command is light too
        ["predict", "{model}", "--x", "2000"],
        ["minimize", "x**2 + x*y + y**2", "--start", "3,1"],
    ],
)
def test_light_commands_load_no_heavy_library(args, tmp_path):
    if "{model}" in args:  # a model file written by a fit of houses.csv
        model = tmp_path / "model.json"
        model.write_text(json.dumps({
            "format": "descend.linear-model", "version": 1, "features": ["size"],
            "coef": [166.66666666666666], "intercept": 0.0, "loss": "squared_error",
            "target": "price"}))
        args = [str(model) if a == "{model}" else a for a in args]
    code = (
        "import sys\n"
        "from descend.cli.app import main\n"
        f"rc = main({args!r})\n"
        f"print('LOADED', sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    r = _python(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "LOADED []"


@pytest.mark.parametrize("command", ["gradient", "fit"])
def test_a_command_builds_only_its_own_options(command):
    """``descend fit ...`` imports the fit command's module, not the six others' (start-up);
    ``--help`` lists them all. pydantic (typer >= 0.29 coerces options through it, ~50 ms
    per command) is never loaded."""
    args = {"gradient": ["gradient", "x**2", "--at", "1"],
            "fit": ["fit", "examples/houses.csv", "--json", "-q"]}[command]
    code = (
        "import sys, contextlib, io\n"
        "from descend.cli.app import main\n"
        "from descend.cli.commands import MODULES\n"
        f"with contextlib.redirect_stdout(io.StringIO()): rc = main({args!r})\n"
        "print(rc, sorted(m for m in MODULES if 'descend.cli.' + m in sys.modules),"
        " 'pydantic' in sys.modules)\n"
        "with contextlib.redirect_stdout(io.StringIO()) as help_text: main(['--help'])\n"
        "print(all(m in help_text.getvalue() for m in MODULES))\n"
    )
    r = _python(code)
    first, second = r.stdout.strip().splitlines()[-2:]
    assert first == f"0 ['{command}'] False", r.stderr
    assert second == "True"


@pytest.mark.parametrize(
    "blocked, args, extra",
    [
        # a small CSV is read without polars (start-up); a large one needs it
        ("polars", ["fit", "{tmp}/big.csv"], "descend[data]"),
        ("matplotlib", ["plot", "x**2 + y**2", "--out", "{tmp}/f.png"], "descend[plot]"),
    ],
)
def test_a_missing_extra_is_named_in_one_line(tmp_path, blocked, args, extra):
    """As in a core-only install: the library is made unimportable in a new process."""
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    rows = "\n".join(f"{i},{2 * i + 1}.125" for i in range(40_000))
    (tmp_path / "big.csv").write_text("x,y\n" + rows + "\n")  # > 256 KB
    code = (
        "import sys\n"
        f"sys.modules[{blocked!r}] = None  # import {blocked} -> ModuleNotFoundError\n"
        "from descend.cli.app import main\n"
        f"sys.exit(main({args!r}))\n"
    )
    r = _python(code)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1, r
    assert lines[0].startswith("descend: error: ") and f"pip install '{extra}'" in lines[0]


def test_library_names_the_extra():
    code = (
        "import sys\n"
        "sys.modules['sklearn'] = None\n"
        "import descend\n"
        "try:\n"
        "    descend.LinearRegression\n"
        "except ModuleNotFoundError as exc:\n"
        "    print(type(exc).__name__, isinstance(exc, descend.DescendError), exc)\n"
    )
    r = _python(code)
    assert r.stdout.startswith("MissingExtraError True ") and "descend[sklearn]" in r.stdout


@pytest.mark.slow  # four new processes
def test_saved_model_refuses_a_file_with_other_columns(tmp_path):
    """A model keeps its feature names; a file without them is refused, naming them."""
    train = tmp_path / "train.csv"
    rng = __import__("numpy").random.default_rng(0)
    rows = ["size,rooms,price"]
    for _ in range(30):
        size, rooms = rng.uniform(1000, 3000), rng.integers(1, 6)
        rows.append(f"{size},{rooms},{150 * size + 1e4 * rooms + rng.normal(0, 1e3)}")
    train.write_text("\n".join(rows) + "\n")
    model = tmp_path / "model.json"
    assert _run("fit", str(train), "--save", str(model), "-q").returncode == 0
    # Same columns in another order: picked by name, so the predictions are the same.
    swapped = tmp_path / "swapped.csv"
    swapped.write_text("rooms,size\n3,2000\n")
    same = tmp_path / "same.csv"
    same.write_text("size,rooms\n2000,3\n")
    a, b = _run("predict", str(model), str(swapped)), _run("predict", str(model), str(same))
    assert a.returncode == b.returncode == 0 and a.stdout == b.stdout
    other = tmp_path / "other.csv"
    other.write_text("size,bedrooms\n2000,3\n")
    r = _run("predict", str(model), str(other))
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1
    assert "missing: rooms" in lines[0] and "bedrooms" in lines[0]


@pytest.mark.slow  # imports scikit-learn in a new process
def test_convergence_warning_is_scikit_learns_once_it_is_loaded():
    code = (
        "import sys, warnings\n"
        "import descend\n"
        "print('sklearn loaded by import descend:', 'sklearn' in sys.modules)\n"
        "from sklearn.exceptions import ConvergenceWarning as SkCW\n"
        "from descend.models import LinearRegression, DivergenceWarning\n"
        "print(issubclass(descend.ConvergenceWarning, SkCW), issubclass(DivergenceWarning, SkCW))\n"
        "with warnings.catch_warnings():\n"
        "    warnings.simplefilter('error')\n"
        "    warnings.filterwarnings('ignore', category=SkCW)\n"
        "    m = LinearRegression(optimizer=\"gd\", max_iter=2).fit([[0.0, 1.0], [1.0, 0.5], [2.0, 2.5], [4.0, 3.0], [3.0, 1.0]], [1, 3, 2, 9, 4])\n"
        "print(m.stop_reason_)\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    LinearRegression(optimizer=\"gd\", max_iter=2).fit([[0.0, 1.0], [1.0, 0.5], [2.0, 2.5], [4.0, 3.0], [3.0, 1.0]], [1, 3, 2, 9, 4])\n"
        "print([c.category.__name__ for c in w], isinstance(w[0].message, UserWarning))\n"
    )
    r = _python(code)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "sklearn loaded by import descend: False"
    assert lines[1] == "True True"
    assert lines[2] == "max_iter"  # the sklearn filter silenced it; 'error' would have raised
    assert lines[-1] == "['ConvergenceWarning'] True"


@pytest.mark.slow  # four new processes, one loading scikit-learn
def test_choices_are_shown_and_completed_from_the_registries():
    from descend.cli._engines import ENGINES
    from descend.models.losses import LOSSES
    from descend.optim.registry import OPTIMIZERS

    help_text = _run("fit", "--help", NO_COLOR="1", COLUMNS="200").stdout
    for names in (LOSSES, ENGINES, tuple(OPTIMIZERS)):
        # fit's own choices (auto, preconditioned) come first: issue 24
        assert "|".join(names) + ">" in help_text, names
    # A value outside them is refused where it is used, in one line naming them all.
    r = _run("fit", "examples/data.csv", "--loss", "hubr", NO_COLOR="1")
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "'hubr'" in lines[0]
    assert all(n in lines[0] for n in LOSSES)
    r = _run("minimize", "x**2", "--start", "1", "--optimizer", "adma", NO_COLOR="1")
    assert r.returncode == 2 and "did you mean 'adam'" in r.stderr
    r = _run(_DESCEND_COMPLETE="complete_bash", COMP_WORDS="descend fit --engine s",
             COMP_CWORD="3")
    assert r.stdout.split() == ["stream"]


def test_a_small_fit_needs_no_scikit_learn_numba_or_dask():
    """The engine is plain NumPy: fitting a small CSV loads none of the heavy libraries."""
    code = (
        "import sys, json, io, contextlib\n"
        "sys.modules['sklearn'] = None  # as in an install without the sklearn extra\n"
        "from descend.cli.app import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    rc = main(['fit', 'examples/houses.csv', '--json'])\n"
        "print(rc, json.loads(buf.getvalue())['coef'])\n"
        "print(sorted(m for m in ('numba', 'dask', 'distributed', 'matplotlib', 'statsmodels')"
        " if m in sys.modules))\n"
    )
    r = _python(code)
    assert r.returncode == 0, r.stderr
    first, loaded = r.stdout.strip().splitlines()[-2:]
    rc, coef = first.split(" ", 1)
    assert rc == "0" and abs(json.loads(coef)[0] - 500.0 / 3.0) < 1e-9  # $166.67 per sq ft
    assert loaded == "[]"
