"""The peak memory of a whole benchmark job: this process and every process below it.

A thread samples ``/proc`` every ``interval`` seconds and keeps the largest sums of resident
memory (``VmRSS``) and of its anonymous part (``RssAnon``: what cannot be dropped; the rest
is files mapped from the page cache, such as the grid's n = 1e7 designs) over the job's
process tree. Linux only; elsewhere the peaks stay 0.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(p.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _rss_kb(pid: int) -> tuple[int, int]:
    rss = anon = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("RssAnon:"):
                anon = int(line.split()[1])
    except OSError:
        pass
    return rss, anon


class PeakMemory:
    """``with PeakMemory() as m: ...``; then ``m.rss_GB`` and ``m.anon_GB``, the peaks."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.rss_GB = self.anon_GB = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def sample(self) -> None:
        pids = _tree(os.getpid()) if Path("/proc").exists() else []
        sizes = [_rss_kb(p) for p in pids]
        self.rss_GB = max(self.rss_GB, sum(s[0] for s in sizes) / 1024**2)
        self.anon_GB = max(self.anon_GB, sum(s[1] for s in sizes) / 1024**2)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> PeakMemory:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
