"""``python -m descend.kernels --background``: compile the requested kernel signatures, at the
lowest priority, for the next run (started by :func:`descend.kernels._stamps.start_background`);
``python -m descend.kernels`` alone compiles every signature (as ``descend doctor``)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> int:
    from descend.kernels import warm_up
    from descend.kernels._stamps import serve_requests

    if argv[:1] == ["--background"]:
        try:
            os.nice(19)  # the lowest priority: the foreground fit keeps the cores it needs
        except OSError:  # pragma: no cover - not permitted here
            pass
        serve_requests(lambda key: warm_up([key], quiet=True))
        return 0
    warm_up()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
