"""Run the real CLI entry point in-process and capture what it prints."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    from descend.cli.app import main

    def run(*args: str) -> Run:
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
