"""Which extra installs a missing optional library, said in one line.

The core install (``pip install descend``) is NumPy, SciPy, SymPy, Typer and Rich: exact
gradients, the optimizers, ``minimize`` and the ``gradient``/``minimize`` verbs. The rest is in
extras (``pyproject.toml``, README "Install"); every heavy import sits inside the function that
needs it, so a missing extra shows up as a :class:`ModuleNotFoundError` at the moment it is
needed. :func:`missing_extra` turns that into a sentence naming what to install; the CLI prints
it as its one error line, and the lazy attributes of ``descend`` raise it as
:class:`MissingExtraError`.
"""

from __future__ import annotations

from descend.errors import DescendError

__all__ = ["EXTRAS", "MissingExtraError", "missing_extra"]

#: top-level module -> (the package to install, the extra that installs it, what needs it)
EXTRAS: dict[str, tuple[str, str, str]] = {
    "sklearn": ("scikit-learn", "sklearn", "the scikit-learn estimator LinearRegression"),
    "polars": ("polars", "data", "reading CSV and Parquet files"),
    "pyarrow": ("pyarrow", "data", "reading Parquet files and streaming"),
    "pandas": ("pandas", "data", "pandas DataFrames"),
    "matplotlib": ("matplotlib", "plot", "pictures"),
    "PIL": ("pillow", "plot", "animated pictures"),
    "numba": ("numba", "scale", "the fused kernels"),
    "dask": ("dask", "scale", "the Dask engine"),
    "distributed": ("distributed", "scale", "the Dask engine"),
}


class MissingExtraError(DescendError, ModuleNotFoundError):
    """An optional library is not installed; the message names the extra that installs it."""


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """The one-line explanation of ``exc`` when it is a known optional library, else ``None``.

    Args:
        exc: the error an ``import`` raised.

    Returns:
        e.g. ``"reading CSV and Parquet files needs polars, which is not installed; install
        it with: pip install 'descend[data]'"``, or ``None`` for any other module.

    >>> missing_extra(ModuleNotFoundError("No module named 'sklearn'", name="sklearn"))[:60]
    'the scikit-learn estimator LinearRegression needs scikit-lea'
    >>> missing_extra(ModuleNotFoundError("No module named 'foo'", name="foo")) is None
    True
    """
    if isinstance(exc, MissingExtraError):
        return str(exc)
    name = (exc.name or "").split(".")[0]
    known = EXTRAS.get(name)
    if known is None:
        return None
    package, extra, what = known
    return (
        f"{what} needs {package}, which is not installed; install it with: "
        f"pip install 'descend[{extra}]' (or 'descend[all]' for everything)"
    )
