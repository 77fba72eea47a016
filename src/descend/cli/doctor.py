"""``descend doctor``: compile every fast kernel now, once, for the runs to come."""

from __future__ import annotations

import typer

from descend.cli.app import app, err, fail, out


@app.command("doctor")
def doctor_command(
    check: bool = typer.Option(
        False, "--check", help="Only report which kernels are compiled; compile nothing."
    ),
) -> None:
    """Compile the fast kernels now, once, so that no later fit waits for them.

    Without it, a large fit's first run uses NumPy and compiles its kernel in the background.

    Example: descend doctor
    """
    from descend import kernels

    if not kernels.have_numba():
        fail("numba is not available (or DESCEND_NO_NUMBA is set): fits use the NumPy passes; "
             "install it with pip install 'descend[scale]'")
    keys = kernels.all_keys()
    missing = [k for k in keys if not kernels.is_ready(k)]
    if check:
        out.print(f"{len(keys) - len(missing)} of {len(keys)} fast kernels compiled "
                  f"(cache: {kernels.cache_dir()})", markup=False)
        return
    done = kernels.warm_up(missing)
    total = sum(s for _, s in done)
    err.print(f"compiled {len(done)} fast kernels in {total:.0f} s", markup=False)
    out.print(f"{len(keys)} of {len(keys)} fast kernels compiled (cache: {kernels.cache_dir()})",
              markup=False)
