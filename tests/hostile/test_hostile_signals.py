"""Signals, through a real process: Ctrl-C exits 130 and SIGTERM 143, cleanly; a checkpointed
fit saves its last step first, prints the resume command and leaves no temporary file; an
interrupted ``minimize`` never claims a minimum."""

from __future__ import annotations

import signal
import time

import pytest
from hostile_data import HOUSES, run_subprocess

pytestmark = pytest.mark.slow  # real processes interrupted by signals after seconds of descent

# A fit that runs for minutes unless stopped: a tiny rate on raw units never stalls.
LONG_FIT = ["--lr", "1e-12", "--no-scale", "--tol", "0", "--max-iter", "100000000", "-q"]


def _wait_for(path, timeout=60.0):
    t0 = time.monotonic()
    while not path.exists():
        if time.monotonic() - t0 > timeout:
            pytest.fail(f"{path} never appeared")
        time.sleep(0.05)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_checkpointed_fit_saves_and_says_how_to_resume(tmp_path, sig, code):
    from descend.scale.checkpoint import load_checkpoint

    (tmp_path / "h.csv").write_text(HOUSES)
    proc = run_subprocess(
        ["fit", "h.csv", *LONG_FIT, "--checkpoint", "run.json", "--checkpoint-every", "50"],
        cwd=tmp_path,
    )
    _wait_for(tmp_path / "run.json")  # the descent is running
    saved_before = load_checkpoint(tmp_path / "run.json").nit
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    # what the user must see: how far it got, that it saved, the exact command to resume
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert "saved run.json. Resume with: descend fit h.csv" in err and "--resume run.json" in err
    assert load_checkpoint(tmp_path / "run.json").nit >= saved_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.csv", "run.json"]  # no .tmp


def test_a_fit_without_checkpoint_says_nothing_was_saved(tmp_path):
    (tmp_path / "h.csv").write_text(HOUSES)
    proc = run_subprocess(["fit", "h.csv", *LONG_FIT], cwd=tmp_path)
    time.sleep(4.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err
    assert "nothing saved (add --checkpoint FILE" in err


def test_an_interrupted_minimize_claims_no_minimum(tmp_path):
    proc = run_subprocess(
        ["minimize", "x**2 + y**2", "--start", "3,1", "--lr", "1e-12", "--tol", "0",
         "--max-iter", "100000000", "-q"],
        cwd=tmp_path,
    )
    time.sleep(4.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "minimum near" not in out
    assert "interrupted after" in err and "not a minimum" in err


def test_sigterm_while_loading_exits_143(tmp_path):
    (tmp_path / "h.csv").write_text(HOUSES)
    proc = run_subprocess(["fit", "h.csv", *LONG_FIT], cwd=tmp_path)
    time.sleep(0.3)  # still importing or loading
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode in (143, -signal.SIGTERM), err  # before main() runs, the default
    assert "Traceback" not in err
