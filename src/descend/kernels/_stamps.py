"""Which compiled kernels are on disk already, and compiling the missing ones in the background.

numba compiles a kernel the first time it meets a signature (dtype, layout, loss) and keeps
the machine code in its disk cache (:func:`cache_dir`). Compiling the parallel kernels costs
seconds each (on the 2-core development machine: the statistics kernel ~15 s, a gradient
kernel ~6 s; under load several times that) -- far more than the pass it would speed up on a
first fit, which the NumPy path does in well under a second per 10^7 values.

So a compiled kernel is used only once it is known to be on disk: a *stamp* (an empty file
named after the signature, in a folder named after numba's version, Python's and a hash of
the kernels' source) is written after it compiled. A call whose stamp is missing runs the
NumPy path now and starts one detached, low-priority process (``python -m descend.kernels``)
that compiles that one signature for the next run. ``descend doctor`` compiles every
signature ahead of time, in the foreground, saying so on stderr.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["cache_dir", "compile_lock", "is_ready", "kernel_threads", "mark_ready", "notice", "run_compiled", "start_background", "stamp_dir"]

#: A lock older than this is a compiler that died: start another.
_STALE_LOCK_S = 1800.0
_STARTED: set[str] = set()
#: Signatures compiled or loaded in this process.
_LOADED: set[str] = set()


def cache_dir() -> str:
    """Where compiled kernels are cached: ``$NUMBA_CACHE_DIR`` if set, else the user's cache
    folder (``$XDG_CACHE_HOME/descend/numba``, default ``~/.cache/descend/numba``).

    Not numba's default (``__pycache__`` beside this file): inside an installed package that
    folder may be read-only or shared between users, and a wheel upgrade would leave stale
    entries there.
    """
    given = os.environ.get("NUMBA_CACHE_DIR")
    if given:
        return given
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "descend", "numba")


def _tag() -> str:
    """numba's and Python's versions, the kernels' folder and a hash of their source: a change
    of any of them makes numba compile again (its cache is kept per source path, so the same
    source installed elsewhere compiles anew), so the stamps of the old ones no longer count."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        nb = version("numba")
    except PackageNotFoundError:  # pragma: no cover - numba is a dependency
        nb = "none"
    h = hashlib.sha256(f"{nb} {sys.version_info[:2]} {Path(__file__).parent.resolve()}".encode())
    for name in _KERNEL_FILES:  # numba re-compiles when one of these changes
        h.update((Path(__file__).parent / name).read_bytes())
    return h.hexdigest()[:16]


_KERNEL_FILES = ("_jit.py", "_moments.py", "_full_pass.py", "_predict.py", "_blocks.py", "_dot2.py")
_TAG: list[str] = []


def stamp_dir() -> Path:
    """The folder of stamps for this numba, Python and kernels source."""
    if not _TAG:
        _TAG.append(_tag())
    return Path(cache_dir()) / "descend-ready" / _TAG[0]


def is_ready(key: str) -> bool:
    """True when the kernel signature ``key`` is compiled: in this process, or on disk."""
    return key in _LOADED or (stamp_dir() / key).is_file()


def run_compiled(key: str, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` for a compiled kernel ``fn`` whose signature is ``key``; a signature not
    compiled yet is announced on stderr first (:func:`notice`) and stamped after."""
    if key in _LOADED:
        with _threads_applied():
            return fn(*args)
    fresh = not is_ready(key)
    if fresh:
        notice([key])
    t0 = time.perf_counter()
    with compile_lock() if fresh else _no_lock(), _threads_applied():
        out = fn(*args)
    _LOADED.add(key)
    if fresh:
        mark_ready(key, time.perf_counter() - t0)
    return out


@contextmanager
def compile_lock() -> Iterator[None]:
    """Hold the one lock on writing numba's cache (``compile.flock`` in :func:`cache_dir`) while a
    kernel compiles, in this process or another.

    numba numbers a new cache entry by the length of the index it read, so two processes
    compiling kernels of one source file at once can both take number k: one index then
    points at the other's machine code (seen as ``'descr' is NULL`` in a later call, and it
    could load a kernel of another loss). The background compiler, ``descend doctor`` and a
    foreground compile all take this lock, so they write one after the other. Where the
    folder cannot be written or ``fcntl`` is missing (Windows) it is not taken.
    """
    try:
        import fcntl

        folder = Path(cache_dir())
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / "compile.flock", os.O_CREAT | os.O_RDWR, 0o644)
    except (ImportError, OSError):
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextmanager
def _no_lock() -> Iterator[None]:
    yield


def mark_ready(key: str, seconds: float) -> None:
    """Record that ``key`` compiled (in ``seconds``); quietly skipped where the cache folder
    is not writable (numba then compiles in every process, and says nothing either)."""
    from descend.io import atomic_output

    try:
        folder = stamp_dir()
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_output(folder / key) as tmp:
            tmp.write_text(f"{seconds:.1f}\n")
    except OSError:
        pass


#: Seconds each kernel family takes to compile on the 2-core development machine, unloaded
#: (issue 27: the squared-loss stream fit paid ~16 s, the huber one ~22 s, once).
ESTIMATE_S = {"stats": 15, "grad": 6, "grad_cols": 6, "batched": 8, "predict": 3,
              "predict_cols": 3, "read": 1, "dot2": 3}


def notice(keys: list[str]) -> None:
    """The one line on stderr before compiling ``keys`` in the foreground."""
    if not keys:
        return
    seconds = sum(ESTIMATE_S.get(k.split("-")[0], 5) for k in keys)
    print(f"descend: compiling fast kernels, once: ~{seconds} s "
          f"(cached in {cache_dir()}; `descend doctor` compiles them ahead of time)",
          file=sys.stderr, flush=True)


_LOCAL = threading.local()  # each thread's stack of kernel_threads counts (Dask's worker threads)
def _threads() -> list[int]:
    stack: list[int] | None = getattr(_LOCAL, "threads", None)
    if stack is None:
        stack = _LOCAL.threads = []
    return stack


@contextmanager
def kernel_threads(n: int | None) -> Iterator[None]:
    """Run the compiled kernels called inside on ``n`` threads (``None``: leave as is).

    Streaming uses one: the reader thread decodes the next chunk on the other core while the
    kernel reduces this one, which beats two kernel threads fighting the reader (measured 0.45 s
    against 0.65 s for 10^7 x 10 rows of Parquet on 2 cores). Loads nothing: the count is
    applied around each compiled call (:func:`run_compiled`), so the NumPy path never imports
    numba.
    """
    if n is None:
        yield
        return
    stack = _threads()
    stack.append(max(1, int(n)))
    try:
        with _blas_threads(stack[-1]):
            yield
    finally:
        stack.pop()


@contextmanager
def _blas_threads(n: int) -> Iterator[None]:
    """NumPy's BLAS on ``n`` threads too (threadpoolctl, where installed): the NumPy path of a
    stream shares the cores with the reader as the kernels do, and OpenBLAS threads that
    spin-wait for a busy core made its products 10-50x slower on a loaded 2-core machine.

    Only from the main thread: BLAS's count is one setting for the whole process, which
    worker threads (a Dask cluster's, each in its own ``kernel_threads``) would set and put
    back in any order, leaving it at one thread after the fit (and OpenBLAS ignores a raise
    asked from another thread).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings it
        yield
        return
    with threadpool_limits(limits=n, user_api="blas"):
        yield


@contextmanager
def _threads_applied() -> Iterator[None]:
    numba = sys.modules.get("numba")
    stack = _threads()
    if not stack or numba is None:
        yield
        return
    old = numba.get_num_threads()
    numba.set_num_threads(min(stack[-1], numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(old)


def _lock_is_fresh(lock: Path) -> bool:
    try:
        return time.time() - lock.stat().st_mtime < _STALE_LOCK_S
    except OSError:
        return False


def start_background(key: str) -> bool:
    """Ask for ``key`` to be compiled in the background: a request file beside the stamps,
    and, unless one is running already (a fresh ``compiler.lock``), one detached process at
    the lowest priority that compiles every request, one after the other, and exits. One
    compiler at a time: two (the moments' and the gradient's, asked for by one huber fit)
    took both cores of a 2-core machine from the fit. Nothing is started where
    ``DESCEND_KERNELS_BACKGROUND=0``, or twice for one key by one process. Returns whether a
    process was started."""
    if key in _STARTED or os.environ.get("DESCEND_KERNELS_BACKGROUND", "1") == "0":
        return False
    _STARTED.add(key)
    try:
        folder = stamp_dir()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{key}.want").touch()
        lock = folder / "compiler.lock"
        if _lock_is_fresh(lock):
            return False
        lock.unlink(missing_ok=True)
        os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "descend.kernels", "--background"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, close_fds=True,
        )
    except OSError:
        return False
    return True


def serve_requests(compile_one: Callable[[str], object]) -> None:
    """The background compiler's loop: compile each requested key, oldest request first,
    until none is left; then release ``compiler.lock``."""
    folder = stamp_dir()
    lock = folder / "compiler.lock"
    try:
        while True:
            wants = sorted(folder.glob("*.want"), key=lambda p: p.stat().st_mtime)
            if not wants:
                break
            for want in wants:
                key = want.name[: -len(".want")]
                if not is_ready(key):
                    compile_one(key)
                want.unlink(missing_ok=True)
                lock.touch()  # still alive: not stale
    finally:
        lock.unlink(missing_ok=True)
