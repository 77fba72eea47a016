"""``descend fit --checkpoint/--resume``: what names a run, and whether a resume is the same run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from descend.cli._terms import flag_name
from descend.cli.app import fail


def data_identity(
    data: str, files: list[Any], *, hashed: bool, so: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What names the data of a checkpointed run: the resolved path, its size and (with a
    checkpoint) a SHA-256 of its content, so data edited in place is never resumed on."""
    p = Path(data)
    ident: dict[str, Any] = {
        "path": str(p.resolve()) if p.exists() else data,
        "bytes": sum(_size(f, so) for f in files),
    }
    if hashed:
        from descend.io import data_fingerprint

        ident["sha256"] = data_fingerprint(
            [f if isinstance(f, str) else Path(f) for f in files], storage_options=so
        )["sha256"]
    return ident


def _size(f: Any, so: dict[str, Any] | None) -> int:
    from descend.data.urls import is_url
    from descend.data.urls import url_size as remote_size

    return remote_size(f, so) if is_url(f) else Path(f).stat().st_size


def check_resume(ckpt_path: str, saved: dict[str, Any], now: dict[str, Any]) -> None:
    """Refuse a resume whose checkpoint was written for other data or other settings."""
    where = f"--resume {ckpt_path}"
    s_data, n_data = saved.get("data") or {}, now["data"]
    if s_data.get("path") is not None and s_data.get("path") != n_data["path"]:
        fail(
            f"{where}: the checkpoint is of a fit of {s_data['path']}, not {n_data['path']}; "
            "resume it with the same DATA"
        )
    if s_data.get("bytes") is not None and s_data.get("bytes") != n_data["bytes"]:
        fail(
            f"{where}: {n_data['path']} changed since the checkpoint ({s_data['bytes']} bytes "
            f"then, {n_data['bytes']} now); start afresh without --resume"
        )
    if s_data.get("sha256") is not None and s_data.get("sha256") != n_data.get("sha256"):
        fail(
            f"{where}: {n_data['path']} changed since the checkpoint (same size, other content: "
            "its SHA-256 differs); start afresh without --resume"
        )
    s_model = saved.get("model") or {}
    for key, value in now["model"].items():
        if key in s_model and s_model[key] != value:
            fail(
                f"{where}: the checkpoint is of a fit with {flag_name(key)} "
                f"{s_model[key]!r}, this one has {value!r}; use the same setting to resume"
            )
    for key, option in (("target", "--target"), ("features", "--features")):
        if key in saved and key in now and saved[key] != now[key]:
            then, here = (
                (",".join(saved[key]), ",".join(now[key]))
                if key == "features"
                else (saved[key], now[key])
            )
            fail(
                f"{where}: the checkpoint is of a fit with {option} {then}, this one has "
                f"{here}; use the same columns to resume"
            )


def given(ctx: Any, name: str) -> bool:
    """Whether option ``name`` was typed on the command line (not left at its default)."""
    # By the enum's name: typer may carry its own copy of click, with its own enum class.
    return getattr(ctx.get_parameter_source(name), "name", None) == "COMMANDLINE"


def command_line(ctx: Any, resume_from: str) -> str:
    """The exact ``descend fit ...`` command given, with ``--resume`` pointing at the checkpoint."""
    import shlex

    words = ["descend", "fit"]
    for param in ctx.command.params:
        name = param.name
        if name == "resume" or not given(ctx, name):
            continue
        value = ctx.params[name]
        opts = list(getattr(param, "opts", []))
        if param.param_type_name == "argument":
            words.append(str(value))
        elif getattr(param, "is_flag", False):
            secondary = list(getattr(param, "secondary_opts", []))
            if value:
                words.append(opts[0])
            elif secondary:
                words.append(secondary[0])
        else:
            words += [opts[0], str(value)]
    words += ["--resume", resume_from]
    return shlex.join(words)


def stopped_by() -> str:
    """``interrupted`` (Ctrl-C) or ``terminated (SIGTERM)``: what stopped the run."""
    import signal

    from descend.io import received

    return "terminated (SIGTERM)" if received() == signal.SIGTERM else "interrupted"
