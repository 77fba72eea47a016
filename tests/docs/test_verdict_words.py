"""One word for one outcome: the verdict table of docs/verdicts.md, read here, is what every
command says.

For each verdict the table gives ``success``, the CLI's exit code and what goes to stderr.
Each command below is known (by hand: a saddle, a step at 2/L, log(x) towards 0, ...) to end
with one verdict; the test checks that the JSON, the text table, the exit code and stderr
agree with the table, so a command that words an outcome differently fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOUSES = str(ROOT / "examples" / "houses.csv")


def _cells(row: str) -> list[str]:
    """A markdown table row split on the ``|`` that are not inside a code span."""
    cells, cur, code = [], "", False
    for ch in row.strip().strip("|"):
        if ch == "`":
            code = not code
        if ch == "|" and not code:
            cells.append(cur.strip())
            cur = ""
        else:
            cur += ch
    cells.append(cur.strip())
    return cells


def verdict_table(path: Path = ROOT / "docs" / "verdicts.md") -> dict[str, dict[str, object]]:
    """``{word: {"success": bool, "exit": int, "stderr": str}}`` from the table whose header
    starts ``| verdict | when | `success` |``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("| verdict | when | `success`"))
    header = _cells(lines[start])
    rows: dict[str, dict[str, object]] = {}
    for ln in lines[start + 2:]:
        if not ln.startswith("|"):
            break
        cell = dict(zip(header, _cells(ln), strict=True))
        word = cell["verdict"].strip("`")
        rows[word] = {
            "success": cell["`success`"] == "true",
            "exit": int(re.match(r"\d+", cell["exit code (CLI)"]).group()),  # type: ignore[union-attr]
            "stderr": cell["on stderr"],
        }
    return rows


TABLE = verdict_table()


def test_table_is_the_library_vocabulary() -> None:
    from descend import Verdict
    from descend.loop.verdict import FAILED

    assert set(TABLE) == {str(v) for v in Verdict}
    for v in Verdict:
        row = TABLE[str(v)]
        assert row["success"] is v.success, v
        assert (row["exit"] == 3) is (v in FAILED), v
        assert (row["stderr"] == "the diagnosis") is (v in FAILED), v


def test_readme_names_the_same_words() -> None:
    """README's short verdict table lists exactly the words of docs/verdicts.md."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    part = text[text.index("| verdict | shown by | CLI |"):]
    part = part[: part.index("\n\n")]
    words = set(re.findall(r"^\| `(\w+)`(?:, `(\w+)`)?", part, flags=re.M))
    assert {w for pair in words for w in pair if w} == set(TABLE)


MINIMIZE = [
    ("converged", ["x**2 + y**2", "--start", "3,1"]),
    ("not_a_minimum", ["(x**2 - 1)**2 + y**2", "--start", "0,1", "--method", "gd"]),
    ("oscillating", ["x**2 + x*y + y**2", "--start", "3,1", "--lr", "0.6666666666666666"]),
    ("diverged", ["x**2 + x*y + y**2", "--start", "3,1", "--lr", "0.7"]),
    ("unbounded_below", ["log(x) + y**2", "--start", "1,1"]),
    ("unbounded_below", ["0 - x**2", "--start", "1", "--lr", "0.5"]),
    ("stalled", ["x**2 + x*y + y**2", "--start", "3,1", "--lr", "cosine:0.05,20"]),
    ("budget_spent", ["x**2 + y**2", "--start", "3,1", "--lr", "0.01", "--max-iter", "5"]),
    ("target_reached", ["x**2 + y**2", "--start", "3,1", "--lr", "0.01",
                        "--target-loss", "5"]),
]


def _check_stderr(word: str, stderr: str) -> None:
    said = TABLE[word]["stderr"]
    if said == "nothing":
        assert stderr == "", (word, stderr)
    elif said == "a warning":
        assert stderr.startswith("descend: warning:"), (word, stderr)
    else:  # the diagnosis: one line, not an error of usage
        assert stderr.startswith("descend: ") and "error:" not in stderr, (word, stderr)


@pytest.mark.parametrize(("word", "args"), MINIMIZE, ids=[f"{w}-{a[0]}" for w, a in MINIMIZE])
def test_minimize_says_the_tables_word(cli, word: str, args: list[str]) -> None:
    j = cli("minimize", *args, "--json")
    obj = json.loads(j.stdout)
    assert obj["verdict"] == word, obj["message"]
    assert obj["success"] is TABLE[word]["success"]
    assert j.code == TABLE[word]["exit"]
    t = cli("minimize", *args, "-q")
    assert t.code == TABLE[word]["exit"]
    row = next(ln for ln in t.stdout.splitlines() if ln.startswith("verdict"))
    assert row.split()[1].rstrip(":") == word, row  # the word itself, not a paraphrase
    _check_stderr(word, t.stderr)
    if TABLE[word]["stderr"] != "nothing":  # the sentence once: on stderr, not in the table too
        sentence = obj["message"].split(" [")[0][-40:]
        assert sentence not in " ".join(t.stdout.split()), sentence


FIT = [
    ("converged", [HOUSES]),
    ("budget_spent", [HOUSES, "--lr", "0.01", "--max-iter", "5"]),
    ("diverged", [HOUSES, "--lr", "0.0001", "--no-scale"]),
    ("oscillating", [HOUSES, "--lr", "1"]),
    ("target_reached", [HOUSES, "--optimizer", "gd", "--lr", "0.1", "--target-loss", "1e9"]),
]


@pytest.mark.parametrize(("word", "args"), FIT, ids=[w for w, _ in FIT])
def test_fit_says_the_tables_word(cli, word: str, args: list[str]) -> None:
    j = cli("fit", *args, "--json")
    assert j.code == TABLE[word]["exit"], j.stderr
    if j.stdout:
        obj = json.loads(j.stdout)
        assert obj["verdict"] == word, obj["message"]
        assert obj["success"] is TABLE[word]["success"]
    t = cli("fit", *args, "-q")
    assert t.code == TABLE[word]["exit"]
    row = next(ln for ln in t.stdout.splitlines() if "verdict" in ln)
    assert word in row.replace("│", " ").split(), row
    _check_stderr(word, t.stderr)


def test_sweep_words_and_exit(cli) -> None:
    """Each run's word is the table's; a sweep whose every run failed exits 3 (finding 15)."""
    some = cli("sweep", HOUSES, "--lr", "0.001,0.1,1.0", "--json")
    words = [r["verdict"] for r in json.loads(some.stdout)["runs"]]
    assert set(words) <= set(TABLE) and "converged" in words and "oscillating" in words
    assert some.code == 0
    text = cli("sweep", HOUSES, "--lr", "0.001,0.1,1.0")
    for w in words:
        assert w in text.stdout.replace("│", " ").split()
    bad = cli("sweep", HOUSES, "--lr", "0.001,0.01,0.1,1.0", "--no-scale", "--max-iter", "50")
    assert bad.code == TABLE["diverged"]["exit"] == 3
    assert bad.stderr.startswith("descend: every run of the sweep failed")
    bad_json = cli("sweep", HOUSES, "--lr", "0.001,1.0", "--no-scale", "--json")
    assert bad_json.code == 3
    assert {r["verdict"] for r in json.loads(bad_json.stdout)["runs"]} == {"diverged"}


def test_library_callback_is_stopped() -> None:
    import descend

    def halt(xk: object) -> None:
        raise StopIteration

    r = descend.minimize("x**2 + x*y + y**2", [3, 1], optimizer=descend.gd(0.01), callback=halt)
    assert str(r.verdict) == "stopped" and r.success is TABLE["stopped"]["success"]


def test_fit_target_loss_is_target_reached() -> None:
    """Finding 9: a fit stopped by target_loss is ``target_reached``, as minimize's is."""
    import numpy as np

    from descend import LinearRegression

    X = np.array([[1200.0], [1500.0], [1800.0], [2100.0], [2400.0]])
    y = X[:, 0] * 500.0 / 3.0
    m = LinearRegression(optimizer="gd", learning_rate=0.1, target_loss=1e9).fit(X, y)
    assert m.stop_reason_ == "target_loss" and str(m.verdict_) == "target_reached"
    assert m.loss_curve_[-1] <= 1e9 < m.loss_curve_[-2]
