"""One exit rule: descend's own errors (a user's mistake) exit 2 in one line; anything else is a
bug in descend and exits 1 with its traceback. Messages name the CLI's flags (one table)."""

from __future__ import annotations

import errno
import pickle
from pathlib import Path

import pytest

from descend.cli._terms import FLAGS, flag_name, flag_of, to_flags
from descend.errors import DataError, DescendError, ExpressionError, InputError

ROOT = Path(__file__).resolve().parents[2]
HOUSES = str(ROOT / "examples" / "houses.csv")


def one_line(r) -> str:
    lines = r.stderr.strip().splitlines()
    assert r.code == 2 and len(lines) == 1, r
    assert lines[0].startswith("descend: error: ") and "Traceback" not in r.stderr
    return lines[0]


# ------------------------------------------------------------------ user mistakes: exit 2


def test_a_missing_file_is_one_line(cli, tmp_path):
    line = one_line(cli("fit", tmp_path / "nowhere.csv"))
    assert "nowhere.csv" in line


def test_a_folder_given_as_a_model_file_is_one_line(cli, tmp_path):
    line = one_line(cli("predict", tmp_path, "--x", "1"))
    assert str(tmp_path) in line


def test_a_bad_number_is_one_line_naming_the_flag(cli):
    line = one_line(cli("fit", HOUSES, "--init", "0,abc"))
    assert "--init: item 2 ('abc') is not a number" in line
    line = one_line(cli("minimize", "x**2", "--start", "1", "--lr", "exp:0.1"))
    assert "--lr 'exp:0.1': exp takes 2 numbers, got 1" in line and "learning_rate" not in line


@pytest.mark.parametrize(
    "exc",
    [
        PermissionError(errno.EACCES, "Permission denied", "data.csv"),
        FileNotFoundError(errno.ENOENT, "No such file or directory", "data.csv"),
        OSError(errno.ENOSPC, "No space left on device"),
    ],
)
def test_the_system_refusing_a_file_is_the_users_to_fix(cli, monkeypatch, exc):
    """Raised deep in a reader (here planted in the loader): still one line, exit 2."""
    import descend.data

    def refuse(*args, **kwargs):
        raise exc

    monkeypatch.setattr(descend.data, "load_table", refuse)
    line = one_line(cli("fit", HOUSES, "--engine", "numpy"))
    assert exc.strerror in line


def test_library_messages_reach_the_user_in_flags(cli, tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("x,y\n1,2\n2,4.5\n3,5.5\n")
    r = cli("fit", p, "--optimizer", "gd", "--lr", "1e-9", "--max-iter", "3")
    assert r.code == 0 and "--max-iter" in r.stderr and "max_iter" not in r.stderr
    r = cli("fit", p, "--max-iter", "-1")
    assert "--max-iter" in one_line(r)


# ------------------------------------------------------------------ bugs: traceback, exit 1


@pytest.mark.parametrize(
    "exc",
    [KeyError("coef"), ValueError("operands could not be broadcast"), OSError("boom"),
     ZeroDivisionError("division by zero")],
)
def test_a_bug_shows_its_traceback_and_exits_1(cli, monkeypatch, exc):
    """A planted bug in the renderer: not the user's mistake, so not exit 2 nor one line."""
    import descend.cli.fit

    def broken(*args, **kwargs):
        raise exc

    monkeypatch.setattr(descend.cli.fit, "fit_json", broken)
    r = cli("fit", HOUSES, "--json")
    assert r.code == 1
    assert "Traceback (most recent call last)" in r.stderr and "in broken" in r.stderr
    assert type(exc).__name__ in r.stderr.strip().splitlines()[-1]
    assert "internal error" in r.stderr and "descend: error:" not in r.stderr


def test_a_bare_value_error_from_the_library_is_a_bug(cli, monkeypatch):
    """A ValueError the library did not mean (not an InputError) used to read as exit 2."""
    import descend.expr

    def broken(*args, **kwargs):
        raise ValueError("math domain error")

    monkeypatch.setattr(descend.expr, "function", broken)
    r = cli("gradient", "x**2", "--at", "1")
    assert r.code == 1 and "Traceback" in r.stderr and "ValueError" in r.stderr


# ------------------------------------------------------------------ the errors themselves


def test_input_error_carries_the_parameter_and_value():
    e = InputError("learning_rate=-1.0 is out of range", param="learning_rate", value=-1.0)
    assert isinstance(e, DescendError) and isinstance(e, ValueError)
    assert (str(e), e.param, e.value) == ("learning_rate=-1.0 is out of range", "learning_rate", -1.0)
    assert InputError("plain").param is None  # today's uses are unchanged
    for exc in (e, DataError("data.csv: row 3"), ExpressionError("bad", text="x+", column=3)):
        back = pickle.loads(pickle.dumps(exc))  # Dask sends errors between processes
        assert type(back) is type(exc) and str(back) == str(exc)
        assert back.__dict__ == exc.__dict__
    assert str(ExpressionError("bad", text="x+", column=3)) == "bad (column 3)"


def test_validators_fill_param_and_value():
    from descend.loop.stopping import Rules
    from descend.optim import adam, parse_learning_rate

    with pytest.raises(InputError) as info:
        adam(learning_rate=-1.0)
    assert (info.value.param, info.value.value) == ("learning_rate", -1.0)
    with pytest.raises(InputError) as info:
        parse_learning_rate("exp:0.1")
    assert (info.value.param, info.value.value) == ("learning_rate", "exp:0.1")
    assert "--lr" not in str(info.value)  # the library speaks parameter names
    with pytest.raises(InputError) as info:
        Rules(max_iter=-3, tol=0.0, n_iter_no_change=5)
    assert (info.value.param, info.value.value) == ("max_iter", -3)


# ------------------------------------------------------------------ the one table


def _all_flags() -> set[str]:
    """Every flag of every command, from the commands themselves."""
    import typer.main

    from descend.cli.app import app
    from descend.cli.commands import register

    register(None)
    group = typer.main.get_command(app)
    flags: set[str] = set()
    for command in group.commands.values():  # type: ignore[attr-defined]
        for param in command.params:
            flags |= set(getattr(param, "opts", ())) | set(getattr(param, "secondary_opts", ()))
    return flags


def test_every_flag_of_the_table_is_a_real_flag():
    flags = _all_flags()
    for param, flag in FLAGS.items():
        assert flag.on in flags, (param, flag.on)
        assert flag.off is None or flag.off in flags, (param, flag.off)


@pytest.mark.parametrize(
    "library, cli_text",
    [
        ("raise max_iter", "raise --max-iter"),
        ("reached max_iter = 1000 with gtol = 1e-06", "reached --max-iter 1000 with --gtol 1e-06"),
        ("use learning_rate='auto' or 'armijo'", "use --lr auto or 'armijo'"),
        ("learning_rate=0.5 is above 2/L", "--lr 0.5 is above 2/L"),
        ("scale=True (coefficients in your units)", "--scale (coefficients in your units)"),
        ("fit through the origin (fit_intercept=False)", "fit through the origin (--no-intercept)"),
        ("loss='l3' is not one of", "--loss 'l3' is not one of"),
        ("the loss is flat; an optimizer", "the loss is flat; an optimizer"),  # words, not flags
        ("batch_size=None: full batch", "batch_size=None: full batch"),
        ("LinearModel: tol=-1 must be >= 0", "--tol -1 must be >= 0"),
        # while a message still carries both spellings, the flag is said once
        ("use learning_rate='auto' (--lr auto) or", "use --lr auto or"),
        ("standardise (scale=True, --scale; or not)", "standardise (--scale; or not)"),
        ("a ridge penalty (alpha, --alpha)", "a ridge penalty (--alpha)"),
    ],
)
def test_library_words_become_flags(library, cli_text):
    assert to_flags(library) == cli_text


def test_flag_names():
    assert flag_of("learning_rate") == "--lr" and flag_of("scale", False) == "--no-scale"
    assert flag_of("shuffle") is None
    assert flag_name("fit_intercept") == "--intercept/--no-intercept" and flag_name("x") == "x"
