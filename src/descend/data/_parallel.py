"""Reading a file's pieces on several threads, yielding their chunks in file order.

A streamed pass is bound by decoding the file (Parquet pages, CSV text), which pyarrow does
with the GIL released; one reader thread leaves the other cores to a kernel that needs a
fraction of one. :func:`round_robin` reads independent pieces (Parquet row groups) on
``workers`` threads, piece ``i`` on thread ``i mod workers``, each thread ``depth`` chunks
ahead in its own queue; :func:`ordered_map` applies a function to items (CSV blocks) on a
pool, a bounded number in flight. Both yield in the order of the pieces, so a pass's sums are
added in the same order on every run (the same bits), and both keep memory at
``workers x (depth + 1)`` chunks whatever the file's size.

Errors are re-raised in the consumer at the piece they belong to; closing the consumer early
stops the threads.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

__all__ = ["ordered_map", "reader_threads", "round_robin"]

T = TypeVar("T")
U = TypeVar("U")

_END = object()  # a piece's last chunk was queued


def reader_threads() -> int:
    """Threads that decode a file: every core, at most four (at least one).

    On two cores the pass's kernel (one thread, ~1/3 of a core at d = 10) and two readers
    fill the machine, as a database's scan does; past four readers the copies out of the page
    cache, not the decoding, set the pace, and the kernel's own threads need the cores.
    """
    import os

    return max(1, min(4, os.cpu_count() or 1))


def _put(q: queue.Queue[Any], item: Any, stop: threading.Event) -> bool:
    """Put ``item`` unless the consumer stopped; ``False`` when it did."""
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def round_robin(
    pieces: Sequence[Callable[[], Iterable[T]]], workers: int, depth: int
) -> Iterator[T]:
    """The chunks of ``pieces`` (each a callable returning its chunks), in order, read by
    ``workers`` threads each ``depth`` chunks ahead of the consumer.

    While the consumer drains piece ``i`` from thread ``i mod workers``, the other threads
    read the next pieces into their queues: with pieces of at most ``depth`` chunks every
    thread decodes all the time; a larger piece is read partly in parallel, in the same memory.
    """
    workers = max(1, min(int(workers), len(pieces)))
    if not pieces:
        return
    queues: list[queue.Queue[Any]] = [queue.Queue(maxsize=max(1, depth)) for _ in range(workers)]
    stop = threading.Event()

    def work(k: int) -> None:
        try:
            for i in range(k, len(pieces), workers):
                for item in pieces[i]():
                    if not _put(queues[k], item, stop):
                        return
                if not _put(queues[k], _END, stop):
                    return
        except BaseException as exc:  # handed to the consumer, at its piece
            _put(queues[k], exc, stop)

    threads = [threading.Thread(target=work, args=(k,), name=f"descend-reader-{k}", daemon=True)
               for k in range(workers)]
    try:
        for t in threads:
            t.start()
    except RuntimeError:  # "can't start new thread" (a tight ulimit -v): read in this one
        stop.set()
        for piece in pieces:
            yield from piece()
        return
    try:
        for i in range(len(pieces)):
            q = queues[i % workers]
            while True:
                item = q.get()
                if item is _END:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
    finally:
        stop.set()
        for k, t in enumerate(threads):
            while t.is_alive():  # unblock a reader waiting on a full queue
                try:
                    queues[k].get_nowait()
                except queue.Empty:
                    pass
                t.join(timeout=0.05)


def ordered_map(fn: Callable[[T], U], items: Iterable[T], workers: int, ahead: int
                ) -> Iterator[U]:
    """``fn(item)`` for each of ``items``, computed on ``workers`` threads with at most
    ``ahead`` items handed out and not yet yielded, yielded in the items' order. ``items`` is
    consumed lazily in the caller's thread (a file's blocks are cut there, in order). Where no
    thread can be started (a tight ``ulimit -v``), ``fn`` runs in the caller's thread."""
    jobs: queue.Queue[Any] = queue.Queue()
    done: dict[int, tuple[bool, Any]] = {}
    cond = threading.Condition()
    stop = threading.Event()

    def work() -> None:
        while True:
            job = jobs.get()
            if job is None or stop.is_set():
                return
            i, item = job
            try:
                res: tuple[bool, Any] = (True, fn(item))
            except BaseException as exc:  # handed to the consumer, at its item
                res = (False, exc)
            with cond:
                done[i] = res
                cond.notify_all()

    threads = []
    for k in range(max(1, workers)):
        t = threading.Thread(target=work, name=f"descend-parse-{k}", daemon=True)
        try:
            t.start()
        except RuntimeError:  # "can't start new thread"
            break
        threads.append(t)
    if not threads:
        yield from map(fn, items)
        return
    source = iter(items)
    sent = got = 0
    more = True
    try:
        while True:
            while more and sent - got < max(1, ahead):
                try:
                    jobs.put((sent, next(source)))
                    sent += 1
                except StopIteration:
                    more = False
            if got == sent:
                return
            with cond:
                while got not in done:
                    cond.wait()
                ok, value = done.pop(got)
            got += 1
            if not ok:
                raise value
            yield value
    finally:
        stop.set()
        for _ in threads:
            jobs.put(None)
        for t in threads:
            t.join()
