"""The one writer of every output file (``--save``, ``--plot``, ``--html``, ``--animate``,
``--out``, ``--checkpoint``): nothing a user has is lost.

A command first *plans* each output with :func:`plan_output`, before any work starts:

1. the extension is one the writer knows;
2. symlinks are resolved, so a link named ``sw.png`` that points at the data is seen as the
   data;
3. the folder exists (it is never created silently) and is writable;
4. the target is not an input of the run -- the data file, every file of a folder or glob,
   the model, the checkpoint being resumed -- compared by device and inode, so hard links
   and symlinks are caught too;
5. an existing target is a regular file (never a device, FIFO or folder), and is replaced
   only with ``--force`` -- or, for a checkpoint, when it is a checkpoint of the same run;
6. no two outputs of the run name the same file.

Then the file is written with :func:`atomic_output`: a temporary file in the same folder
(same extension, so format-by-extension writers work), renamed over the target with
:func:`os.replace` (atomic on POSIX and Windows). On any error, Ctrl-C or SIGTERM the
temporary file is removed and the target is untouched.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from descend.errors import InputError

__all__ = ["OutputPlan", "atomic_output", "plan_output"]


@dataclass
class OutputPlan:
    """The inputs of one run, and the outputs planned so far (to refuse collisions)."""

    force: bool = False
    inputs: dict[tuple[int, int], str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)

    def add_input(self, path: str | os.PathLike[str], label: str) -> None:
        """Protect ``path`` (a file, or every file under a folder) from being written."""
        p = Path(path)
        try:
            if p.is_dir():
                for q in p.rglob("*"):
                    if q.is_file():
                        self._add(q, f"{label} ({q})")
                return
            self._add(p, label)
        except OSError:
            return  # what cannot be stat-ed cannot be compared; the reader will say why

    def add_inputs(self, paths: Iterable[str | os.PathLike[str]], label: str) -> None:
        for p in paths:
            self.add_input(p, f"{label} {p}" if label else str(p))

    def _add(self, p: Path, label: str) -> None:
        try:
            st = os.stat(p)
        except OSError:
            return
        self.inputs[(st.st_dev, st.st_ino)] = label


def plan_output(
    path: str | os.PathLike[str],
    option: str,
    plan: OutputPlan,
    *,
    formats: tuple[str, ...] | None = None,
    what: str = "file",
    may_replace: Callable[[Path], bool] | None = None,
    may_be: str | os.PathLike[str] | None = None,
) -> Path:
    """Check that ``path`` may be written for ``option``; return the resolved target.

    ``may_replace(target)`` says whether an existing target may be replaced without
    ``--force`` (a checkpoint of the same run); ``may_be`` is the one input the output may
    be (the checkpoint a resumed run keeps saving to). Every refusal is an :class:`InputError`
    naming the option, the path and the fix.
    """
    given = os.fspath(path)
    where = f"{option} {given}"
    if not given or given.endswith(("/", os.sep)):
        raise InputError(f"{where}: give a file name, e.g. {option} out{(formats or ('.json',))[0]}")
    p = Path(given)
    if formats is not None and p.suffix.lower() not in formats:
        ext = p.suffix.lower() or "(no extension)"
        raise InputError(
            f"{where}: unknown {what} format {ext!r}; give a file name ending in "
            f"{', '.join(formats[:-1]) + ' or ' if len(formats) > 1 else ''}{formats[-1]}"
        )
    target = Path(os.path.realpath(p))  # symlinks resolved, dangling ones as far as they go
    shown = "" if target == Path(os.path.abspath(p)) else f" (a link to {target})"
    folder = target.parent
    if not folder.is_dir():
        raise InputError(
            f"{where}: the folder {p.parent if str(p.parent) else '.'} does not exist; create "
            f"it first (mkdir -p {p.parent}) or choose another path"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{where}: the folder {folder} is not writable; choose another path")
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InputError(f"{where}: cannot be checked ({exc.strerror}); choose another path") from None
    if st is not None:
        key = (st.st_dev, st.st_ino)
        exempt = False
        if may_be is not None:
            try:
                exempt = os.path.samefile(may_be, target)
            except OSError:
                exempt = False
        if key in plan.inputs and not exempt:
            raise InputError(
                f"{where}{shown}: is an input of this run ({plan.inputs[key]}); writing there "
                "would destroy it; give another file name"
            )
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{where}{shown}: is a folder; give a file name inside it")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(
                f"{where}{shown}: is not a regular file (a device, FIFO or socket); descend "
                "writes only regular files; give another file name"
            )
        if not plan.force and not (may_replace is not None and may_replace(target)):
            raise InputError(f"{where}{shown}: already exists; choose another name or add --force")
    key_out = str(target)
    if key_out in plan.outputs:
        raise InputError(
            f"{where}: {plan.outputs[key_out]} writes the same file; give each output its own name"
        )
    plan.outputs[key_out] = option
    return target


@contextmanager
def atomic_output(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``target`` (same extension); rename it over ``target``
    when the block ends normally, remove it on any exception (Ctrl-C and SIGTERM included).

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> with atomic_output(os.path.join(d, "a.txt")) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> sorted(os.listdir(d))
    ['a.txt']
    """
    t = Path(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{t.stem}.", suffix=f".tmp{t.suffix}", dir=t.parent)
    os.close(fd)
    try:  # mkstemp makes it private (0600); give it the mode a plain open() would
        mode = os.stat(t).st_mode & 0o777 if t.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
    except OSError:
        pass
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as fh:  # durable before it replaces anything
            os.fsync(fh.fileno())
        os.replace(tmp, t)
    finally:
        if os.path.lexists(tmp):
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _umask() -> int:
    old = os.umask(0o022)
    os.umask(old)
    return old
