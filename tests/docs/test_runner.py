"""The docs runner's own rules: the normaliser (times, paths, trailing spaces, nothing more),
the ``...`` elision and the update's rewrite."""

from __future__ import annotations

from pathlib import Path

from docs_blocks import ROOT, commands, matches, normalise, read_blocks, updated


def test_normaliser_touches_times_paths_and_trailing_spaces_only(tmp_path: Path) -> None:
    text = f"time           2.74 ms   \n│ time │   0.00877 s │\nwrote {tmp_path}/a.png\n{ROOT}/x\n\n"
    assert normalise(text, tmp_path) == ["time <time>", "│ time │ <time> │", "wrote ./a.png",
                                         "<repo>/x"]
    # numbers that are not durations stay: a learning rate, a loss, 10 s-ish words
    assert normalise("lr 0.5 loss 9.5e-07 steps 106 xs") == ["lr 0.5 loss 9.5e-07 steps 106 xs"]
    assert normalise("f = 1") != normalise("f = 2")


def test_ellipsis_stands_for_whole_lines_only() -> None:
    real = ["a", "b", "c", "d"]
    assert matches(["a", "...", "d"], real) and matches(["...", "c", "d"], real)
    assert matches(["a", "...", "c", "..."], real) and matches(["..."], real)
    assert not matches(["a", "...", "x"], real) and not matches(["a", "b"], real)
    assert not matches(["a", "b..."], real)  # '...' inside a line is literal


def test_update_keeps_the_ellipsis_and_takes_the_real_lines() -> None:
    shown = ["minimum near x = 0.9999990978", "...", "stopped after 111 steps"]
    real = ["minimum near x = 0.999999509", "f 1e-13", "|grad f| 8e-7", "stopped after 106 steps"]
    new = updated(shown, real)
    assert new == ["minimum near x = 0.999999509", "...", "stopped after 106 steps"]
    assert matches(new, real)
    assert updated(["old"], ["new", "lines"]) == ["new", "lines"]


def test_console_commands_and_markers(tmp_path: Path) -> None:
    md = tmp_path / "x.md"
    md.write_text("<!-- not-run: needs S3 -->\n```console\n$ descend fit s3://b/x.csv\n```\n\n"
                  "```console\n$ descend a \\\n    --b 1\nout\n$ echo $?\n0\n```\n")
    first, second = read_blocks(md)
    assert first.not_run == "needs S3" and not first.runs and second.runs
    cmds = commands(second.body)
    assert [c.text for c in cmds] == ["descend a  --b 1", "echo $?"]
    assert cmds[0].shown(second.body) == ["out"]
