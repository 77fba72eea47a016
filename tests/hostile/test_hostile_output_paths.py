"""Nothing lost: every input tried as every kind of output, directly and through a symlink,
with and without --force; the input must be byte-for-byte unchanged and the user told which
input the path is. Also: non-regular targets, existing files, missing folders (checked before
the work), and no temporary file left behind."""

from __future__ import annotations

import os
import shutil

import pytest
from hostile_data import HOUSES

# option -> extension the option accepts (so the refusal tested is the input check)
FIT_OUTPUTS = {"--save": ".json", "--plot": ".png", "--html": ".html", "--checkpoint": ".json"}
SWEEP_OUTPUTS = {"--plot": ".png", "--html": ".html"}


def _snapshot(folder):
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def _no_temporaries(folder):
    left = [p.name for p in folder.rglob("*") if ".tmp" in p.name]
    assert not left, left


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("via", ["direct", "symlink", "hardlink"])
@pytest.mark.parametrize(("command", "option"), [
    *(("fit", o) for o in FIT_OUTPUTS), *(("sweep", o) for o in SWEEP_OUTPUTS)
])
def test_the_data_file_is_never_an_output(cli, tmp_path, command, option, via, force):
    ext = (FIT_OUTPUTS if command == "fit" else SWEEP_OUTPUTS)[option]
    data = tmp_path / f"houses{ext}"  # a CSV under the output's extension: still the data
    data.write_text(HOUSES)
    target = data
    if via == "symlink":
        target = tmp_path / f"link{ext}"
        target.symlink_to(data.name)
    elif via == "hardlink":
        target = tmp_path / f"other{ext}"
        os.link(data, target)
    before = _snapshot(tmp_path)
    r = cli(command, data, option, target, *(["--force"] if force else []))
    # what the user must see: the path is an input of this run, named, nothing written
    assert r.one_line_error, r
    assert "is an input of this run (the data file" in r.stderr
    assert _snapshot(tmp_path) == before
    _no_temporaries(tmp_path)


@pytest.mark.parametrize("option", ["--save", "--plot", "--html"])
def test_the_checkpoint_being_resumed_is_never_another_output(cli, tmp_path, option):
    data = tmp_path / "h.csv"
    data.write_text(HOUSES)
    ext = FIT_OUTPUTS[option]
    ck = tmp_path / f"run{ext}" if ext == ".json" else tmp_path / "run.json"
    assert cli("fit", data, "--max-iter", "3", "--checkpoint", ck).code == 0
    target = ck if ext == ".json" else tmp_path / f"ck{ext}"
    if target != ck:
        target.symlink_to(ck.name)
    before = _snapshot(tmp_path)
    r = cli("fit", data, "--max-iter", "6", "--resume", ck, option, target, "--force")
    assert r.one_line_error and "is an input of this run (the checkpoint being resumed" in r.stderr
    assert _snapshot(tmp_path) == before


def test_a_resumed_run_may_keep_saving_to_its_checkpoint(cli, tmp_path):
    data = tmp_path / "h.csv"
    data.write_text(HOUSES)
    ck = tmp_path / "run.json"
    assert cli("fit", data, "--max-iter", "3", "--checkpoint", ck).code == 0
    r = cli("fit", data, "--max-iter", "6", "--resume", ck, "--checkpoint", ck)
    assert r.code == 0, r.stderr
    from descend.scale.checkpoint import load_checkpoint

    assert load_checkpoint(ck).nit >= 3


@pytest.mark.parametrize("engine", ["stream"])
def test_files_of_a_folder_or_glob_are_inputs(cli, tmp_path, engine):
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = tmp_path / "parts"
    parts.mkdir()
    for i in range(2):
        pq.write_table(
            pa.table({"x": [1.0 + i, 2.0 + i, 3.0], "y": [2.0, 4.0 + i, 7.0]}),
            parts / f"p{i}.parquet",
        )
    link = tmp_path / "ck.json"
    link.symlink_to(parts / "p1.parquet")
    before = _snapshot(tmp_path)
    for spec in (parts, f"glob:{parts}/p*.parquet", f"{parts}/p?.parquet"):
        r = cli("fit", spec, "--engine", engine, "--checkpoint", link, "--force")
        assert r.one_line_error and "is an input of this run (the data file" in r.stderr, r
        assert "p1.parquet" in r.stderr
    assert _snapshot(tmp_path) == before


def test_an_existing_file_is_replaced_only_with_force(cli, tmp_path):
    data = tmp_path / "h.csv"
    data.write_text(HOUSES)
    model = tmp_path / "model.json"
    assert cli("fit", data, "--save", model).code == 0
    saved = model.read_bytes()
    # a saved model is not a checkpoint of this run: --checkpoint must not overwrite it
    r = cli("fit", data, "--checkpoint", model)
    assert r.one_line_error and "model.json: already exists; choose another name or add --force" in r.stderr
    assert model.read_bytes() == saved
    for option, name in (("--save", "model.json"), ("--plot", "p.png"), ("--html", "r.html")):
        (tmp_path / name).write_bytes(b"precious") if name != "model.json" else None
        before = (tmp_path / name).read_bytes()
        r = cli("fit", data, option, tmp_path / name)
        assert r.one_line_error and "already exists" in r.stderr
        assert (tmp_path / name).read_bytes() == before
    r = cli("fit", data, "--save", model, "--force", "--max-iter", "2")
    assert r.code == 0 and model.read_bytes() != saved
    _no_temporaries(tmp_path)


def test_minimize_and_plot_outputs_need_force_to_replace(cli, tmp_path):
    out = tmp_path / "f.png"
    out.write_bytes(b"precious")
    r = cli("plot", "x**2 + y**2", "--out", out)
    assert r.one_line_error and "already exists" in r.stderr and out.read_bytes() == b"precious"
    r = cli("minimize", "x**2 + y**2", "--start", "1,1", "--plot", out)
    assert r.one_line_error and out.read_bytes() == b"precious"
    r = cli("plot", "x**2 + y**2", "--out", out, "--force")
    assert r.code == 0 and out.read_bytes().startswith(b"\x89PNG")
    _no_temporaries(tmp_path)


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_non_regular_targets_are_refused(cli, tmp_path, kind):
    data = tmp_path / "h.csv"
    data.write_text(HOUSES)
    target = tmp_path / "out.json"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "device":
        target.symlink_to("/dev/null")
    else:
        target.mkdir()
    r = cli("fit", data, "--save", target, "--force")
    assert r.one_line_error, r
    assert ("not a regular file" in r.stderr) or ("is a folder" in r.stderr)
    r = cli("fit", data, "--checkpoint", target, "--force")
    assert r.one_line_error


def test_the_folder_is_checked_before_the_work(cli, tmp_path):
    data = tmp_path / "h.csv"
    data.write_text(HOUSES)
    for option, name in (("--plot", "x.png"), ("--save", "m.json"), ("--checkpoint", "c.json"),
                         ("--html", "r.html")):
        r = cli("fit", data, option, tmp_path / "no-such-folder" / name)
        assert r.one_line_error and "the folder" in r.stderr and "does not exist" in r.stderr
        assert r.stdout == ""  # refused before the fit: nothing was computed or printed
    assert not (tmp_path / "no-such-folder").exists()  # never created silently


def test_two_outputs_on_one_file_are_refused(cli, tmp_path):
    data = tmp_path / "h.csv"
    data.write_text(HOUSES)
    r = cli("fit", data, "--save", tmp_path / "a.json", "--checkpoint", tmp_path / "a.json")
    assert r.one_line_error and "writes the same file" in r.stderr


def test_writing_keeps_a_symlinked_output_a_symlink(cli, tmp_path):
    data = tmp_path / "h.csv"
    data.write_text(HOUSES)
    real = tmp_path / "real.json"
    real.write_text("{}")
    link = tmp_path / "m.json"
    link.symlink_to(real.name)
    assert cli("fit", data, "--save", link, "--force").code == 0
    assert link.is_symlink() and '"descend.linear-model"' in real.read_text()
    _no_temporaries(tmp_path)


def test_atomic_output_removes_its_temporary_on_error(tmp_path):
    from descend.io import atomic_output

    target = tmp_path / "x.png"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(target) as tmp:
            tmp.write_bytes(b"half")
            raise KeyboardInterrupt
    assert target.read_bytes() == b"old" and sorted(os.listdir(tmp_path)) == ["x.png"]
    shutil.rmtree(tmp_path / "none", ignore_errors=True)
