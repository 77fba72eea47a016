"""Writing figures to files: the format from the extension, never a surprise overwrite."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the report checks paths without importing matplotlib
    from matplotlib.figure import Figure

from descend.errors import InputError

__all__ = ["FIGURE_FORMATS", "check_output_path", "save_figure"]

FIGURE_FORMATS = (".png", ".svg", ".pdf")


def check_output_path(
    path: str | os.PathLike[str], formats: tuple[str, ...], *, what: str = "figure"
) -> Path:
    """``path`` as a Path once its extension is one of ``formats`` and its folder exists.

    Folders are never created silently: a typo in a folder name should be an error the user
    sees, not a new directory they have to find.
    """
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in formats:
        raise InputError(
            f"{p}: unknown {what} format {ext or '(no extension)'!r}; "
            f"end the file name with {', '.join(formats[:-1])} or {formats[-1]}"
        )
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(
            f"{p}: the folder {folder} does not exist; create it first "
            f"(mkdir -p {folder}) or choose another path"
        )
    if p.is_dir():
        raise InputError(f"{p} is a folder; give a file name such as {p / ('figure' + ext)}")
    return p


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 150) -> Path:
    """Write ``fig`` to ``path`` as PNG, SVG or PDF (chosen by the extension).

    Only the named file is written (and may be replaced: the user named it). A missing folder
    or an unknown extension raises :class:`~descend.errors.InputError` naming the fix.
    """
    from descend.io import atomic_output

    p = check_output_path(path, FIGURE_FORMATS)
    with atomic_output(p) as tmp:
        # "tight": the saved canvas holds every artist (a legend row under the axes was clipped)
        fig.savefig(tmp, format=p.suffix.lower()[1:], dpi=dpi, bbox_inches="tight", pad_inches=0.08)
    return p
