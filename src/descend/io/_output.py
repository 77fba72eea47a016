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
(same extension, so format-by-extension writers work), published over the target. On any
error, Ctrl-C or SIGTERM the temporary file is removed and the target is untouched; a full
disk is one :class:`~descend.errors.InputError` naming the option and the path.

Publishing: a target that existed when it was planned (and may be replaced) is replaced with
:func:`os.replace` (atomic on POSIX and Windows); a target that did not exist is published
with :func:`os.link`, which refuses when another process created the same name meanwhile --
two ``fit --save same.json`` started together: the second refuses, the first's file is intact.
A temporary file names its process (``.NAME.PID.XXXX.tmp.EXT``); one left by a killed process
(``kill -9`` cannot be caught) is removed by the next write to the same folder.

:func:`write_output` is both steps in one call, for the library (``Explorer.save``, reports,
figures, animations): ``tests/io/test_one_writer.py`` fails when a module outside
:mod:`descend.io` writes a file any other way.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from descend.errors import InputError

__all__ = ["OutputPlan", "atomic_output", "local_path", "plan_output", "write_output"]

#: Targets planned while they did not exist, with how many plans await their write: each
#: is published without replacing (no-clobber), so a second plan of one name refuses.
_NEW_TARGETS: dict[str, int] = {}
#: The option that planned each target, named when its write fails (a full disk).
_OPTIONS: dict[str, str] = {}


def local_path(path: str | os.PathLike[str]) -> str | None:
    """The local path ``path`` names: ``file:///d/x.csv`` -> ``/d/x.csv``; ``None`` for a
    URL of another protocol (``s3://b/k``), which is not a local file.

    >>> local_path("file:///tmp/a%20b.csv"), local_path("d.csv"), local_path("s3://b/k")
    ('/tmp/a b.csv', 'd.csv', None)
    """
    text = os.fspath(path)
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]+)://", text)
    if m is None:
        return text
    if m.group(1).lower() not in ("file", "local"):
        return None
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(text)
    return unquote(parts.path) if parts.netloc in ("", "localhost") else None


@dataclass
class OutputPlan:
    """The inputs of one run, and the outputs planned so far (to refuse collisions)."""

    force: bool = False
    inputs: dict[tuple[int, int], str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)

    def add_input(self, path: str | os.PathLike[str], label: str) -> None:
        """Protect ``path`` (a file, every file under a folder, or a ``file://`` URL's file)
        from being written; a remote URL is not a local file and needs no protection."""
        local = local_path(path)
        if local is None:
            return
        p = Path(local)
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
    p = _local_file(given, where, option, formats, what)
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
        _check_existing(st, target, f"{where}{shown}", plan, may_replace, may_be)
    key_out = str(target)
    if key_out in plan.outputs:
        raise InputError(
            f"{where}: {plan.outputs[key_out]} writes the same file; give each output its own name"
        )
    plan.outputs[key_out] = option
    _OPTIONS[key_out] = option
    if st is None:
        _NEW_TARGETS[key_out] = _NEW_TARGETS.get(key_out, 0) + 1
    else:  # an existing file this run may replace: nothing to race for
        _NEW_TARGETS.pop(key_out, None)
    return target


def _local_file(given: str, where: str, option: str, formats: tuple[str, ...] | None,
                what: str) -> Path:
    """``given`` as a local file name with one of ``formats``' extensions."""
    local = local_path(given)
    if local is None:
        raise InputError(
            f"{where}: descend writes local files only; give a local path (e.g. {option} "
            f"out{(formats or ('.json',))[0]}) and copy it to the store with its own tool"
        )
    if not local or local.endswith(("/", os.sep)):
        raise InputError(f"{where}: give a file name, e.g. {option} out{(formats or ('.json',))[0]}")
    p = Path(local)
    if formats is not None and p.suffix.lower() not in formats:
        ext = p.suffix.lower() or "(no extension)"
        raise InputError(
            f"{where}: unknown {what} format {ext!r}; give a file name ending in "
            f"{', '.join(formats[:-1]) + ' or ' if len(formats) > 1 else ''}{formats[-1]}"
        )
    return p


def _check_existing(st: os.stat_result, target: Path, where: str, plan: OutputPlan,
                    may_replace: Callable[[Path], bool] | None,
                    may_be: str | os.PathLike[str] | None) -> None:
    """An existing target: never an input of the run (unless it is ``may_be``), a folder or a
    non-regular file; replaced only with ``--force`` or when ``may_replace`` allows it."""
    key = (st.st_dev, st.st_ino)
    exempt = False
    if may_be is not None:
        try:
            exempt = os.path.samefile(may_be, target)
        except OSError:
            exempt = False
    if key in plan.inputs and not exempt:
        raise InputError(
            f"{where}: is an input of this run ({plan.inputs[key]}); writing there "
            "would destroy it; give another file name"
        )
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{where}: is a folder; give a file name inside it")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(
            f"{where}: is not a regular file (a device, FIFO or socket); descend "
            "writes only regular files; give another file name"
        )
    if not plan.force and not (may_replace is not None and may_replace(target)):
        raise InputError(f"{where}: already exists; choose another name or add --force")


def write_output(
    path: str | os.PathLike[str],
    write: Callable[[Path], object],
    *,
    option: str = "path",
    force: bool = False,
    formats: tuple[str, ...] | None = None,
    what: str = "file",
    plan: OutputPlan | None = None,
) -> Path:
    """Plan ``path`` (:func:`plan_output`) and write it atomically (:func:`atomic_output`):
    ``write(tmp)`` writes the temporary file. The library's writers call this; the CLI plans
    first (before the work) and calls :func:`atomic_output` when the work is done.
    """
    target = plan_output(path, option, plan if plan is not None else OutputPlan(force=force),
                         formats=formats, what=what)
    with atomic_output(target) as tmp:
        write(tmp)
    return target


@contextmanager
def atomic_output(target: str | os.PathLike[str], *, option: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``target`` (same extension); publish it as ``target``
    when the block ends normally, remove it on any exception (Ctrl-C and SIGTERM included).

    A target planned as new (:func:`plan_output` found no file) is published without replacing
    what another process may have written meanwhile: then an :class:`InputError`, and the other
    file is intact. An ``OSError`` while writing (a full disk, a quota) is an
    :class:`InputError` naming ``option`` (or the option that planned the target) and the path.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> with atomic_output(os.path.join(d, "a.txt")) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> sorted(os.listdir(d))
    ['a.txt']
    """
    t = Path(target)
    key = str(Path(os.path.realpath(t)))
    shown = f"{option or _OPTIONS.get(key, 'writing')} {t}"
    new = _NEW_TARGETS.get(key, 0) > 0
    if new:  # this write uses up its plan, whether it succeeds or not
        _NEW_TARGETS[key] -= 1
    _sweep_stale(t)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{t.name}.{os.getpid()}.", suffix=f".tmp{t.suffix}",
                                   dir=t.parent)
    except OSError as exc:
        raise _write_error(shown, exc) from None
    os.close(fd)
    try:  # mkstemp makes it private (0600); give it the mode a plain open() would
        mode = os.stat(t).st_mode & 0o777 if t.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
    except OSError:
        pass
    try:
        try:
            yield Path(tmp)
            with open(tmp, "rb+") as fh:  # durable before it replaces anything
                os.fsync(fh.fileno())
        except OSError as exc:
            if exc.errno in _DISK_ERRNOS:
                raise _write_error(shown, exc) from None
            raise
        _publish(tmp, t, new, shown)
        _sync_folder(t.parent)
    finally:
        if os.path.lexists(tmp):
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _sync_folder(folder: Path) -> None:
    """fsync the folder, so the rename itself survives a power cut (POSIX only)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        dfd = os.open(folder, os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO}


def _write_error(shown: str, exc: OSError) -> InputError:
    why = exc.strerror or type(exc).__name__
    fix = ("free some space or choose another folder" if exc.errno in (errno.ENOSPC, errno.EDQUOT)
           else "choose another folder")
    return InputError(f"{shown}: cannot be written ({why}); {fix}; nothing was written there")


def _publish(tmp: str, t: Path, new: bool, shown: str) -> None:
    """Rename ``tmp`` to ``t``: replacing only a target planned as existing."""
    if not new:
        os.replace(tmp, t)
        return
    try:
        os.link(tmp, t)  # fails if the name exists: never clobbers another writer's file
    except FileExistsError:
        raise InputError(
            f"{shown}: was created by another program while this one worked; it is kept as it "
            "is; run again with another name (or --force to replace it)"
        ) from None
    except OSError:  # a filesystem without hard links: the best we can do
        if os.path.lexists(t):
            raise InputError(
                f"{shown}: was created by another program while this one worked; it is kept; "
                "run again with another name (or --force to replace it)"
            ) from None
        os.replace(tmp, t)


_STALE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp")


def _sweep_stale(t: Path) -> None:
    """Remove temporary files of ``t`` left by processes that no longer run (``kill -9``)."""
    try:
        names = [n for n in os.listdir(t.parent) if n.startswith(f".{t.name}.")]
    except OSError:
        return
    for n in names:
        m = _STALE.match(n)
        if m is None or m.group("name") != t.name:
            continue
        pid = int(m.group("pid"))
        if pid == os.getpid() or _alive(pid):
            continue
        try:
            os.unlink(t.parent / n)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _umask() -> int:
    old = os.umask(0o022)
    os.umask(old)
    return old
