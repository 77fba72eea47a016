"""The one writer under hostile conditions: a same-name race, a full disk, a killed writer,
``file://`` inputs, the library's own writers (``Explorer.save``, reports, figures)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from descend.errors import InputError
from descend.io import OutputPlan, atomic_output, plan_output, write_output


def _csv(path: Path, n: int = 20) -> Path:
    path.write_text("x,y\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(n)))
    return path


def test_a_same_name_race_loses_nothing(tmp_path: Path) -> None:
    """Two runs plan the same new file; the first publishes, the second refuses: the first's
    file is intact (``os.replace`` alone would silently replace it)."""
    target = tmp_path / "same.json"
    a = plan_output(target, "--save", OutputPlan())
    b = plan_output(target, "--save", OutputPlan())
    with atomic_output(a) as tmp:
        tmp.write_text("first")
    with pytest.raises(InputError, match=r"--save .*same.json: was created by another program"):
        with atomic_output(b) as tmp:
            tmp.write_text("second")
    assert target.read_text() == "first"
    assert sorted(os.listdir(tmp_path)) == ["same.json"]


def test_two_fit_processes_saving_the_same_model_one_refuses(tmp_path: Path) -> None:
    data = _csv(tmp_path / "d.csv", 200)
    code = (
        "import sys, time; from descend.cli.app import main\n"
        "import descend.io._output as o\n"
        "orig = o._publish\n"
        "def slow(*a):\n    time.sleep(1.5); return orig(*a)\n"
        "o._publish = slow\n"
        f"sys.exit(main(['fit', {str(data)!r}, '--save', {str(tmp_path / 'm.json')!r}]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], outs
    err = next(o[1] for p, o in zip(procs, outs, strict=True) if p.returncode == 2)
    assert "was created by another program" in err and err.count("\n") == 1
    assert (tmp_path / "m.json").read_text().startswith("{")
    assert [n for n in os.listdir(tmp_path) if ".tmp" in n] == []


def test_a_full_disk_names_the_option_and_the_path(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    target = plan_output(tmp_path / "m.json", "--save", OutputPlan())

    def full(*_a: object, **_k: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(InputError) as info:
        with atomic_output(target) as tmp:
            tmp.write_text("{}")
            monkeypatch.setattr(os, "fsync", full)
    msg = str(info.value)
    assert msg.startswith(f"--save {target}: cannot be written (No space left on device)")
    assert "free some space" in msg
    assert os.listdir(tmp_path) == []


def test_a_full_disk_in_the_cli_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from descend.cli.app import main

    data = _csv(tmp_path / "d.csv")
    real = os.fsync

    def full(fd: int) -> None:
        if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).startswith(".m.json."):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(os, "fsync", full)
    rc = main(["fit", str(data), "--save", str(tmp_path / "m.json")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1
    assert err.startswith(f"descend: error: --save {tmp_path / 'm.json'}: cannot be written")
    assert sorted(os.listdir(tmp_path)) == ["d.csv"]


def test_a_failed_periodic_checkpoint_warns_and_the_fit_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from descend.loop import minimize
    from descend.optim import gd
    from descend.scale.checkpoint import Checkpointer

    saver = Checkpointer(tmp_path / "c.json", every=5)

    def full(*_a: object, **_k: object) -> None:
        raise InputError("--checkpoint c.json: cannot be written (No space left on device)")

    monkeypatch.setattr("descend.loop.checkpoint.save_checkpoint", full)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = minimize("x**2 + y**2", [3.0, 1.0], optimizer=gd(0.1), max_iter=20, callback=saver)
    assert r.nit == 20 or r.success
    assert saver.failed >= 2 and saver.saved == 0
    assert any("checkpoint at step 5 not saved" in str(w.message) for w in caught)


def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".m.json.{dead.pid}.abc123.tmp.json"
    stale.write_text("half")
    mine_alive = tmp_path / f".m.json.{os.getppid()}.abc123.tmp.json"  # a live process: kept
    mine_alive.write_text("in progress")
    with atomic_output(tmp_path / "m.json") as tmp:
        tmp.write_text("{}")
    assert sorted(os.listdir(tmp_path)) == [mine_alive.name, "m.json"]


def test_kill_9_during_a_write_leaves_nothing_after_the_next_write(tmp_path: Path) -> None:
    code = (
        "import time; from descend.io import atomic_output\n"
        f"with atomic_output({str(tmp_path / 'c.json')!r}) as tmp:\n"
        "    tmp.write_text('x'); print('ready', flush=True); time.sleep(60)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    p = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    p.kill()
    p.wait()
    assert any(".tmp" in n for n in os.listdir(tmp_path))  # SIGKILL cannot be caught
    with atomic_output(tmp_path / "c.json") as tmp:
        tmp.write_text("{}")
    assert os.listdir(tmp_path) == ["c.json"]


def test_explorer_save_never_writes_over_the_data_it_explores(tmp_path: Path) -> None:
    from descend.explorer import explore

    data = _csv(tmp_path / "ev.csv")
    before = data.read_bytes()
    page = explore(str(data))
    (tmp_path / "ev.html").symlink_to(data)
    os.link(data, tmp_path / "hl.html")
    for name in ("ev.html", "hl.html"):
        with pytest.raises(InputError, match="is an input of this run"):
            page.save(tmp_path / name, force=True)
    assert data.read_bytes() == before
    (tmp_path / "p.html").write_text("mine")
    with pytest.raises(InputError, match="already exists"):
        page.save(tmp_path / "p.html")
    assert (tmp_path / "p.html").read_text() == "mine"
    page.save(tmp_path / "p.html", force=True)
    assert (tmp_path / "p.html").read_text() == page.html


def test_a_file_url_data_is_an_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from descend.cli.app import main

    data = _csv(tmp_path / "d.csv")
    before = data.read_bytes()
    (tmp_path / "m.json").symlink_to(data)
    for opt in ("--save", "--checkpoint"):
        rc = main(["fit", data.as_uri(), opt, str(tmp_path / "m.json"), "--force"])
        assert rc == 2
        assert "is an input of this run" in capsys.readouterr().err
    assert data.read_bytes() == before


def test_an_output_url_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"--save s3://bkt/m.json: descend writes local files"):
        plan_output("s3://bkt/m.json", "--save", OutputPlan())
    p = plan_output((tmp_path / "m.json").as_uri(), "--save", OutputPlan())
    assert p == tmp_path / "m.json"


def test_write_output_is_atomic_on_failure(tmp_path: Path) -> None:
    (tmp_path / "r.html").write_text("old")

    def half(tmp: Path) -> None:
        tmp.write_text("partial")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_output(tmp_path / "r.html", half, force=True)
    assert os.listdir(tmp_path) == ["r.html"]
    assert (tmp_path / "r.html").read_text() == "old"


def test_library_figures_are_written_atomically(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    from descend.plot import save_figure

    fig = plt.figure()
    fig.gca().plot(np.arange(3))
    p = save_figure(fig, tmp_path / "f.png")
    plt.close(fig)
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert os.listdir(tmp_path) == ["f.png"]
