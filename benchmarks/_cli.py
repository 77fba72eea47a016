"""What every ``python -m benchmarks.bench_*`` command shares: its parser's common options and
the JSON file it writes."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def parser(doc: str | None, quick: str | None = None) -> argparse.ArgumentParser:
    """A parser described by the module docstring's first line, with ``--json`` (and ``--quick``
    helped by ``quick`` when given); puts the repository on ``sys.path`` for ``benchmarks.*``."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    ap = argparse.ArgumentParser(description=(doc or "").splitlines()[0] if doc else None)
    if quick is not None:
        ap.add_argument("--quick", action="store_true", help=quick)
    ap.add_argument("--json", default=None, help="write the figures to this JSON file")
    return ap


def write_json(path: str | Path | None, out: Any) -> None:
    """Write ``out`` to ``path`` (folders made as needed); nothing when ``path`` is None."""
    if not path:
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(out, indent=1, default=float))
