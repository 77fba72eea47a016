"""The descent, step by step, as a GIF (Pillow) or an MP4 (when ffmpeg is installed)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import animation

from descend.errors import InputError
from descend.plot._data import VERDICT_WORDS, as_paths, path_verdicts
from descend.plot._io import check_output_path
from descend.plot.field import gradient_field

__all__ = ["animate", "ANIMATION_FORMATS"]

ANIMATION_FORMATS = (".gif", ".mp4")


def animate(
    fun: Any,
    paths: Any,
    out: str | os.PathLike[str],
    *,
    labels: Sequence[str] | None = None,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    fps: int = 10,
    max_frames: int = 80,
    dpi: int = 72,
    title: str | None = None,
    width: int | None = None,
) -> Path:
    """Write an animation of the descent to ``out`` (``.gif`` or ``.mp4``); return the path.

    The contour map is drawn once; each frame extends every path by one step (steps are
    skipped evenly when a run is longer than ``max_frames``, the last step always shown) and
    moves a marker to the current point. ``width`` sets the frame's width in pixels (the
    resolution, so the legend stays readable when it grows); ``fps`` the frames per second.
    The default size (~500x400 px, 72 dpi, <= 80
    frames) keeps a GIF small enough to put in a README.
    """
    p = check_output_path(out, ANIMATION_FORMATS, what="animation")
    if p.suffix.lower() == ".mp4" and not animation.FFMpegWriter.isAvailable():
        raise InputError(f"{p}: writing .mp4 needs ffmpeg, which is not installed; use .gif")
    path_list, path_labels = as_paths(paths, labels)
    if not path_list:
        raise InputError("animate needs at least one path")
    verdicts = path_verdicts(paths)
    path_labels = [f"{lab}: {VERDICT_WORDS.get(v, v)}" if v else lab
                   for lab, v in zip(path_labels, verdicts + [None] * len(path_labels), strict=False)]
    fig = gradient_field(fun, path_list, labels=path_labels, xlim=xlim, ylim=ylim,
                         title=title, arrows=12)
    fig.set_size_inches(7.0, fig.get_size_inches()[1] * 7.0 / fig.get_size_inches()[0])
    if width is not None:  # the frame's width in pixels: text and lines scale with it
        if not (isinstance(width, int) and 200 <= width <= 4000):
            raise InputError(f"width={width!r}: give the animation's width in pixels, 200 to 4000")
        dpi = max(1, round(width / 7.0))
    if not (isinstance(fps, int) and 1 <= fps <= 60):
        raise InputError(f"fps={fps!r}: give frames per second from 1 to 60, e.g. 10")
    ax = fig.axes[0]
    lines = [ax.get_lines()[i] for i, ln in enumerate(ax.get_lines())
             if str(ln.get_gid() or "").startswith("path-")]
    heads = [ax.plot([], [], "o", ms=10, color=ln.get_color(), mec="black", mew=1.2,
                     zorder=9)[0] for ln in lines]
    counter = ax.text(0.98, 0.02, "", transform=ax.transAxes, ha="right", va="bottom",
                      fontsize=10, bbox={"fc": "white", "ec": "#999", "alpha": 0.9})
    longest = max(len(q) for q in path_list)
    frames = np.unique(np.linspace(0, longest - 1, min(longest, max_frames)).astype(int))

    def draw(k: int) -> list[Any]:
        for q, line, head in zip(path_list, lines, heads, strict=True):
            j = min(k, len(q) - 1)
            line.set_data(q[: j + 1, 0], q[: j + 1, 1])
            head.set_data([q[j, 0]], [q[j, 1]])
        counter.set_text(f"iteration {k}")
        return [*lines, *heads, counter]

    from descend.io import atomic_output

    with atomic_output(p) as tmp:
        if p.suffix.lower() == ".gif":
            _write_gif(fig, draw, list(frames), [*lines, *heads, counter], tmp, fps=fps, dpi=dpi)
        else:
            anim = animation.FuncAnimation(fig, draw, frames=list(frames), blit=False)
            anim.save(str(tmp), writer=animation.FFMpegWriter(fps=fps), dpi=dpi)
    return p


def _write_gif(fig: Any, draw: Any, frames: list[int], moving: list[Any], p: Path, *,
               fps: int, dpi: int) -> None:
    """Blit the moving artists over one rendered background and let Pillow write the GIF.

    Redrawing the filled contours for every frame (matplotlib's PillowWriter) costs ~0.2-1 s
    a frame; restoring a saved background and drawing three artists costs milliseconds. All
    frames share one palette (taken from the last, fullest frame), so quantising is cheap.
    """
    from PIL import Image

    fig.set_dpi(dpi)
    canvas = fig.canvas
    for a in moving:
        a.set_animated(True)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    images = []
    for k in frames:
        draw(k)
        canvas.restore_region(background)
        for a in moving:
            fig.draw_artist(a)
        images.append(Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3].copy()))
    palette = images[-1].quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    gif = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
    gif[0].save(p, save_all=True, append_images=gif[1:], duration=max(20, round(1000 / fps)),
                loop=0, optimize=False)
