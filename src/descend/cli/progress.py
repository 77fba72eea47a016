"""A Rich progress bar for long runs: iteration, loss and rate; silent when not a terminal."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from descend.cli.app import err

#: Redraw at most this often (seconds), so the bar costs nothing measurable per step.
REFRESH = 0.1


@contextmanager
def _terminal_bar(quiet: bool, *columns: Any) -> Iterator[Progress | None]:
    """A transient Rich progress display on stderr, or ``None`` when quiet or not a terminal."""
    if quiet or not err.is_terminal:
        yield None
        return
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), *columns,
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        yield bar


@contextmanager
def descent_progress(
    total: int | None, *, quiet: bool, label: str = "descending"
) -> Iterator[Callable[[Any], None] | None]:
    """Yield a ``minimize`` callback that drives a progress bar, or ``None`` when quiet.

    The bar is shown only when stderr is a terminal and ``--quiet`` was not given; it is
    transient, so the final report is all that stays on screen.
    """
    with _terminal_bar(quiet, TextColumn("iteration {task.completed:>8.0f}"),
                       TextColumn("{task.fields[loss]}"), TextColumn("{task.fields[rate]}")) as bar:
        if bar is None:
            yield None
            return
        task = bar.add_task(label, total=total, loss="", rate="")
        last = [0.0, time.perf_counter(), 0]

        def callback(r: Any) -> None:
            now = time.perf_counter()
            if now - last[0] < REFRESH:
                return
            rate = (r.nit - last[2]) / max(now - last[1], 1e-9)
            last[:] = [now, now, r.nit]
            bar.update(task, completed=r.nit, loss=f"loss {r.fun:.6g}", rate=f"{rate:,.0f} it/s")

        yield callback


@contextmanager
def pass_progress(label: str, *, quiet: bool) -> Iterator[Callable[[int, int | None], None] | None]:
    """A ``progress(rows_done, rows_total)`` for a pass over a file: a bar like the one above,
    redrawn at most every ``REFRESH`` seconds."""
    with _terminal_bar(quiet, TextColumn("{task.completed:,.0f} rows")) as bar:
        if bar is None:
            yield None
            return
        task = bar.add_task(label, total=None)
        last = [0.0]

        def progress(done: int, total: int | None) -> None:
            now = time.perf_counter()
            if now - last[0] < REFRESH and (total is None or done < total):
                return
            last[0] = now
            bar.update(task, completed=done, total=total)

        yield progress


def every(*callbacks: Callable[[Any], None] | None) -> Callable[[Any], None] | None:
    """One step callback calling each of ``callbacks`` that is not ``None``, in order."""
    given = [c for c in callbacks if c is not None]
    if len(given) <= 1:
        return given[0] if given else None

    def call_each(r: Any) -> None:
        for c in given:
            c(r)

    return call_each
