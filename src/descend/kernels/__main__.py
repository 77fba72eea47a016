"""``python -m descend.kernels --background KEY``: compile one kernel signature, at low
priority, for the next run (started by :func:`descend.kernels._stamps.start_background`);
``python -m descend.kernels`` alone compiles every signature (as ``descend doctor``)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> int:
    from descend.kernels import warm_up
    from descend.kernels._stamps import stamp_dir

    if argv[:1] == ["--background"]:
        keys = argv[1:]
        try:
            os.nice(10)  # the foreground fit keeps the cores it needs
        except OSError:  # pragma: no cover - not permitted here
            pass
        try:
            warm_up(keys, quiet=True)
        finally:
            for key in keys:
                (stamp_dir() / f"{key}.lock").unlink(missing_ok=True)
        return 0
    warm_up()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
