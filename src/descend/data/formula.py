"""Model formulas (``price ~ size + C(city) + size:rooms + np.log(area)``): the design-matrix
stage between a table and the fit.

Why formulaic: it is the actively maintained formula library (patsy's own documentation says
patsy is in maintenance mode and points to formulaic), it is what statsmodels 0.15 reads
formulas with, and it separates *parsing* a formula into terms from *evaluating* its factors --
which lets descend check every factor before anything runs.

A formula is untrusted text, like an expression. formulaic evaluates the Python in a factor
(``np.log(area)``) with Python's evaluator, so descend never hands it the user's text: the
formula is parsed into terms, every factor's Python is parsed with :mod:`ast` and checked
against a small grammar (column names, numbers, ``+ - * / **``, ``C(...)``, ``I(...)``,
``Treatment('level')`` and the elementwise functions in :data:`FUNCTIONS`), and the formula
formulaic materialises is rebuilt from those checked trees (``ast.unparse``), with only the
allowed functions in its namespace. A call, attribute or name outside the grammar
(``__import__``, ``os.system``, ``x.__class__``) is refused before any row is read.

Categories: a text column (or any column wrapped in ``C(...)``) becomes treatment-coded
indicators, the first level in sorted order the reference unless ``C(x, Treatment('b'))`` names
another. The levels are learnt from all the rows (one first pass when streaming), kept with the
model, and a level not seen in training is refused at prediction, naming it, its column and row.

Missing cells (``NaN``, an empty cell, ``None``) in the columns the formula uses: ``drop`` (the
default; the count per column is reported) or ``raise``. Columns the formula does not name are
never read, so a date or an ID column elsewhere in the file is no obstacle.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.errors import DataError, InputError

Array = NDArray[np.float64]

__all__ = [
    "FUNCTIONS",
    "MAX_LEVELS",
    "Design",
    "FormulaPlan",
    "MissingReport",
    "parse_formula",
]

#: The elementwise functions a formula may call, bare or as ``np.NAME``/``numpy.NAME``.
FUNCTIONS = ("log", "log2", "log10", "log1p", "exp", "expm1", "sqrt", "abs", "square")

#: The most levels a text column may have (each level is one column of the design).
MAX_LEVELS = 1000

_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_TRANSFORMS = ("C", "I")
_CONTRASTS = ("Treatment", "treatment")


@dataclass(frozen=True)
class MissingReport:
    """Rows read, rows used, and the missing cells per column (a row may miss several)."""

    total: int
    used: int
    by_column: tuple[tuple[str, int], ...] = ()

    @property
    def dropped(self) -> int:
        return self.total - self.used

    def merge(self, other: MissingReport) -> MissingReport:
        counts = dict(self.by_column)
        for name, k in other.by_column:
            counts[name] = counts.get(name, 0) + k
        return MissingReport(self.total + other.total, self.used + other.used,
                             tuple((c, k) for c, k in counts.items() if k))

    def sentence(self) -> str:
        """``n = 9,412 of 10,000 rows used; 588 dropped: size 401, city 187``."""
        head = f"n = {self.used:,} of {self.total:,} rows used"
        if not self.dropped:
            return head + "; none dropped"
        cells = ", ".join(f"{c} {k:,}" for c, k in self.by_column)
        return f"{head}; {self.dropped:,} dropped for missing cells: {cells}"

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.total, "used": self.used, "dropped": self.dropped,
                "missing_by_column": dict(self.by_column)}


@dataclass(frozen=True)
class FormulaPlan:
    """A checked formula: its target, the columns it reads, and the text formulaic is given."""

    text: str
    target: str
    columns: tuple[str, ...]
    categorical: tuple[str, ...]  # columns wrapped in C(...)
    intercept: bool
    safe_text: str  # rebuilt from the checked trees
    terms: tuple[str, ...] = ()  # the right-hand side's terms, as in safe_text


def _where(text: str) -> str:
    return f"in the formula {text!r}"


def parse_formula(text: str) -> FormulaPlan:
    """Check ``text`` (``y ~ terms``) and list what it reads; nothing is evaluated.

    Raises:
        InputError: not a formula, more or less than one target, or a factor outside the
            formula language (a call, attribute or name descend does not allow).

    >>> p = parse_formula("price ~ size + C(city) + np.log(area)")
    >>> p.target, p.columns, p.intercept
    ('price', ('size', 'city', 'area'), True)
    >>> parse_formula("y ~ __import__('os').system('x')")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    descend.errors.InputError: formula: ...
    """
    from formulaic import Formula

    raw = str(text)
    if "~" not in raw:
        raise InputError(f"formula {raw!r} has no '~': write it as 'target ~ feature + ...'")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = Formula(raw)
    except Exception as exc:  # formulaic raises many kinds for a malformed formula
        raise InputError(f"formula: {raw!r} is not a formula descend can read ({_first(exc)}); "
                         "write it as 'target ~ a + b + C(text_column)'") from None
    lhs = list(parsed.lhs)
    if len(lhs) != 1 or len(lhs[0].factors) != 1:
        raise InputError(f"formula: {raw!r} needs exactly one target column left of '~'")
    columns: list[str] = []
    categorical: list[str] = []
    target_tree = _check_factor(lhs[0].factors[0], raw, columns, categorical)
    target_cols = list(columns)
    columns.clear()
    if len(target_cols) != 1 or not isinstance(target_tree, str):
        raise InputError(f"formula: the target of {raw!r} must be one column, as written in the "
                         "file (transform it in the file, or fit log(y) by naming a column)")
    terms: list[str] = []
    intercept = False
    for term in parsed.rhs:
        parts = []
        for factor in term.factors:
            if str(factor.expr) == "1" and str(factor.eval_method.value) == "literal":
                intercept = True
                break
            parts.append(_check_factor(factor, raw, columns, categorical))
        else:
            terms.append(":".join(parts))
    if not terms:
        raise InputError(f"formula: {raw!r} has no feature right of '~'")
    rhs = " + ".join(terms) + ("" if intercept else " - 1")
    names = tuple(dict.fromkeys(columns))
    return FormulaPlan(raw, target_cols[0], names, tuple(dict.fromkeys(categorical)),
                       intercept, f"{_quote(target_cols[0])} ~ {rhs}", tuple(terms))


def _first(exc: BaseException) -> str:
    line = str(exc).strip().splitlines()
    return line[0] if line else type(exc).__name__


def _quote(name: str) -> str:
    return name if name.isidentifier() else "`" + name.replace("`", "") + "`"


def _check_factor(factor: Any, raw: str, columns: list[str], categorical: list[str]) -> str:
    """One factor as safe formula text: a column lookup, or checked Python in ``{...}``."""
    method = str(factor.eval_method.value)
    expr = str(factor.expr)
    if method == "lookup":
        if expr.startswith("_") or "__" in expr:
            raise InputError(f"formula: the name {expr!r} {_where(raw)} is not allowed (names "
                             "starting with _ or holding __ are refused)")
        columns.append(expr)
        return _quote(expr)
    if method != "python":
        raise InputError(f"formula: the term {expr!r} {_where(raw)} is not a column or a "
                         "function of columns")
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        raise InputError(f"formula: {expr!r} {_where(raw)} is not valid") from None
    checked = _Checker(raw, columns, categorical).visit(tree.body)
    return "{" + ast.unparse(checked) + "}"


class _Checker:
    """Walks a factor's tree, allowing only the formula language; returns a rebuilt tree."""

    def __init__(self, raw: str, columns: list[str], categorical: list[str]):
        self.raw, self.columns, self.categorical = raw, columns, categorical

    def refuse(self, node: ast.AST, why: str) -> InputError:
        return InputError(f"formula: {ast.unparse(node)!r} {_where(self.raw)} {why}; a formula "
                          "may use column names, numbers, + - * / **, C(column), "
                          "C(column, Treatment('level')), I(...) and "
                          + ", ".join(FUNCTIONS))

    def visit(self, node: ast.AST) -> ast.expr:
        if isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise self.refuse(node, "names a private object")
            self.columns.append(node.id)
            return ast.Name(node.id, ast.Load())
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) \
                and not isinstance(node.value, bool):
            return ast.Constant(node.value)
        if isinstance(node, ast.BinOp) and isinstance(node.op, _BINOPS):
            return ast.BinOp(self.visit(node.left), node.op, self.visit(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            return ast.UnaryOp(node.op, self.visit(node.operand))
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.refuse(node, "is outside the formula language")

    def call(self, node: ast.Call) -> ast.expr:
        name = _function_name(node.func)
        if name is None:
            raise self.refuse(node, "calls something that is not a formula function")
        if name in FUNCTIONS:
            if node.keywords or len(node.args) != 1:
                raise self.refuse(node, f"passes {name} other than one argument")
            return _call(f"np.{name}", [self.visit(node.args[0])])
        if name == "I":
            if node.keywords or len(node.args) != 1:
                raise self.refuse(node, "passes I(...) other than one expression")
            return _call("I", [self.visit(node.args[0])])
        if name == "C":
            return self.categorical_call(node)
        raise self.refuse(node, "calls a function a formula may not use")

    def categorical_call(self, node: ast.Call) -> ast.expr:
        if node.keywords or not 1 <= len(node.args) <= 2 or not isinstance(node.args[0], ast.Name):
            raise self.refuse(node, "is not C(column) or C(column, Treatment('level'))")
        column = self.visit(node.args[0])
        self.categorical.append(node.args[0].id)
        if len(node.args) == 1:
            return _call("C", [column])
        return _call("C", [column, self.contrast(node.args[1])])

    def contrast(self, node: ast.expr) -> ast.expr:
        name = _function_name(node.func) if isinstance(node, ast.Call) else None
        if isinstance(node, ast.Call) and name in (*_CONTRASTS, "contr.treatment"):
            args = list(node.args) + [k.value for k in node.keywords
                                      if k.arg in ("reference", "base")]
            if len(args) == 1 and len(node.keywords) <= 1 and isinstance(args[0], ast.Constant) \
                    and isinstance(args[0].value, str | int | float):
                return _call("Treatment", [ast.Constant(args[0].value)])
        raise self.refuse(node, "is not Treatment('level') (the reference level)")


def _function_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        if func.value.id in ("np", "numpy") and func.attr in FUNCTIONS:
            return func.attr
        if func.value.id == "contr" and func.attr == "treatment":
            return "contr.treatment"
    return None


def _call(name: str, args: list[ast.expr]) -> ast.expr:
    head, _, attr = name.partition(".")
    func: ast.expr = ast.Name(head, ast.Load())
    if attr:
        func = ast.Attribute(func, attr, ast.Load())
    return ast.Call(func, args, [])


class _Numpy:
    """The only ``np`` a formula sees: the elementwise functions of :data:`FUNCTIONS`."""

    def __init__(self) -> None:
        for name in FUNCTIONS:
            setattr(self, name, getattr(np, name))


def _treatment(reference: Any = None) -> Any:
    """``Treatment('b')`` (patsy's and statsmodels' spelling): treatment coding, reference b."""
    from formulaic.transforms.contrasts import TreatmentContrasts

    return TreatmentContrasts(base=reference)


def _context() -> dict[str, Any]:
    return {"np": _Numpy(), "Treatment": _treatment}


@dataclass(frozen=True)
class Design:
    """A formula with what it learnt from the data: the levels of every text column.

    :meth:`transform` turns a table (a pandas DataFrame, or anything ``pandas.DataFrame()``
    takes) into ``(X, y, report)`` with the same columns for every chunk and every engine.
    """

    plan: FormulaPlan
    levels: tuple[tuple[str, tuple[Any, ...]], ...]  # text/categorical column -> sorted levels
    names: tuple[str, ...] = ()
    spec: Any = field(default=None, compare=False, repr=False)

    @property
    def target(self) -> str:
        return self.plan.target

    @property
    def intercept(self) -> bool:
        return self.plan.intercept

    @classmethod
    def learn(cls, plan: FormulaPlan, tables: Iterable[Any]) -> Design:
        """Learn the levels of the categorical columns from every table (chunk) given."""
        levels: dict[str, set[Any]] = {}
        for table in tables:
            frame = _frame(table, plan, partial=True)
            for col in plan.columns:
                if col in frame.columns and (col in plan.categorical or _is_text(frame[col])):
                    seen = levels.setdefault(col, set())
                    seen.update(v for v in frame[col].dropna().unique().tolist() if v != "")
                    if len(seen) > MAX_LEVELS:
                        raise DataError(
                            f"column {col!r} has more than {MAX_LEVELS} distinct values; as a "
                            f"category it would add over {MAX_LEVELS} columns. Leave it out of "
                            "the formula (an ID?), or group its levels in the file")
        sorted_levels = tuple((c, tuple(sorted(v, key=_order))) for c, v in levels.items())
        return cls(plan, sorted_levels)._with_spec()

    def layout(self) -> tuple[tuple[str, str, tuple[Any, ...], int], ...] | None:
        """The design's columns built directly, when every term is one column: ``(kind, column,
        levels, reference index)`` per term (kind ``num`` or ``cat``), or ``None`` (an
        interaction or a function: formulaic builds those). Checked against formulaic's own
        column names, so a layout that would differ is never used."""
        levels = dict(self.levels)
        out: list[tuple[str, str, tuple[Any, ...], int]] = []
        names: list[str] = []
        for term in self.plan.terms:
            expr = term[1:-1] if term.startswith("{") else term
            col, ref = _single_column(expr)
            if col is None or ":" in term:
                return None
            if col in levels:
                lv = levels[col]
                k = lv.index(ref) if ref is not None and ref in lv else 0
                if ref is not None and ref not in lv:
                    return None
                out.append(("cat", col, lv, k))
                names += [f"{expr}[T.{v}]" for i, v in enumerate(lv) if i != k]
            else:
                out.append(("num", col, (), -1))
                names.append(col)
        return tuple(out) if tuple(names) == self.names and self.plan.intercept else None

    def _direct(self, kept: Any, layout: Any) -> Array:
        """The design of the kept rows from :meth:`layout`: numbers copied, indicators set."""
        import pandas as pd

        m = len(kept)
        X = np.zeros((m, len(self.names)))
        j = 0
        for kind, col, lv, ref in layout:
            if kind == "num":
                X[:, j] = np.asarray(kept[col], dtype=np.float64)
                j += 1
                continue
            codes = np.asarray(pd.Categorical(kept[col], categories=list(lv)).codes)
            on = codes != ref
            X[np.flatnonzero(on), j + codes[on] - (codes[on] > ref)] = 1.0
            j += len(lv) - 1
        return X

    def _with_spec(self) -> Design:
        """Materialise a prototype with every level once, keeping formulaic's model spec."""
        import pandas as pd
        from formulaic import model_matrix

        size = max([1, *(len(v) for _, v in self.levels)])
        proto: dict[str, Any] = {c: np.ones(size) for c in (self.target, *self.plan.columns)}
        for col, vals in self.levels:
            if not vals:
                raise DataError(f"column {col!r} has no values in the rows used")
            proto[col] = pd.Categorical([vals[i % len(vals)] for i in range(size)],
                                        categories=list(vals))
        self._check_references()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                mm = model_matrix(self.plan.safe_text, pd.DataFrame(proto), context=_context(),
                                  na_action="ignore")
            except ValueError as exc:  # e.g. a reference level inside an interaction
                raise DataError(f"the formula {self.plan.text!r} cannot be built from the data: "
                                f"{_first(exc)}") from None
        names = tuple(c for c in mm.rhs.columns if c != "Intercept")
        return Design(self.plan, self.levels, names, mm.rhs.model_spec)

    def _check_references(self) -> None:
        """A ``Treatment('b')`` reference that is not a level of its column, named."""
        levels = dict(self.levels)
        for term in self.plan.terms:
            for factor in term.strip("{}").split(":"):
                col, ref = _single_column(factor)
                if col in levels and ref is not None and ref not in levels[col]:
                    shown = ", ".join(map(repr, levels[col][:6]))
                    raise DataError(
                        f"in the formula {self.plan.text!r}: {ref!r} is not a level of column "
                        f"{col!r} (its levels: {shown}{', ...' if len(levels[col]) > 6 else ''}); "
                        "name one of them in Treatment(...)")

    def transform(self, table: Any, *, missing: str = "drop", row_offset: int = 0,
                  source: str = "the data") -> tuple[Array, Array, MissingReport]:
        """``(X, y, report)``: the design (no intercept column) and target of the rows kept.

        ``row_offset`` is the number of data rows before this chunk (for row numbers in
        messages); ``missing`` is ``"drop"`` or ``"raise"``.
        """
        X, y, report, _ = self.rows(table, missing=missing, row_offset=row_offset,
                                    source=source)
        return X, y, report

    def rows(self, table: Any, *, missing: str = "drop", row_offset: int = 0,
             source: str = "the data", target: bool = True,
             ) -> tuple[Array, Array, MissingReport, NDArray[np.bool_]]:
        """:meth:`transform`, and the mask of the table's rows that were kept.

        ``target=False`` (new rows to predict): the target column is neither needed nor read,
        and ``y`` comes back empty.
        """
        import pandas as pd

        frame = _frame(table, self.plan, partial=not target)
        if not target:
            lacking = [c for c in self.plan.columns if c not in frame.columns]
            if lacking:
                raise DataError(f"{source} has no column {', '.join(map(repr, lacking))}, "
                                f"which the model's formula {self.plan.text!r} uses")
            frame = frame.assign(**{self.target: np.zeros(len(frame))})
        keep = ~self.missing_mask(frame, missing=missing, row_offset=row_offset, source=source)
        kept = frame.loc[keep]
        for col, vals in self.levels:
            self._check_levels(kept[col], col, vals, row_offset, source)
            kept = kept.assign(**{col: pd.Categorical(kept[col], categories=list(vals))})
        self._check_numeric(kept, source, row_offset)
        layout = self.layout()
        if layout is not None:  # one column per term: built directly, as formulaic would
            X = self._direct(kept, layout)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mm = self.spec.get_model_matrix(kept, context=_context(), na_action="ignore")
            X = np.asarray(mm[[c for c in mm.columns if c != "Intercept"]], dtype=np.float64)
        y = np.asarray(kept[self.target], dtype=np.float64) if target else np.zeros(0)
        counts = tuple((c, int(_missing(frame[c]).sum())) for c in self._used())
        report = MissingReport(len(frame), len(kept), tuple((c, k) for c, k in counts if k))
        bad_rows = ~np.isfinite(X).all(axis=1)
        if bad_rows.any():
            row = row_offset + int(np.flatnonzero(keep)[np.argmax(bad_rows)]) + 1
            raise DataError(not_finite_message(source, row))
        return X, y, report, keep

    def _used(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.target, *self.plan.columns)))

    def missing_mask(self, frame: Any, *, missing: str = "drop", row_offset: int = 0,
                     source: str = "the data") -> NDArray[np.bool_]:
        """Rows with an empty cell in a column the formula uses (``missing="raise"``: refused)."""
        bad = np.zeros(len(frame), dtype=bool)
        for col in self._used():
            miss = _missing(frame[col])
            if missing == "raise" and miss.any():
                row = row_offset + int(np.argmax(miss)) + 1
                raise DataError(empty_cell_message(source, row, col))
            bad |= miss
        return bad

    def _check_levels(self, values: Any, col: str, levels: Sequence[Any], row_offset: int,
                      source: str) -> None:
        known = set(levels)
        unseen = ~values.isin(known).to_numpy()
        if unseen.any():
            pos = int(np.argmax(unseen))
            row = row_offset + int(values.index[pos]) + 1
            raise DataError(unseen_level_message(source, row, col, values.iloc[pos], levels))

    def _check_numeric(self, frame: Any, source: str, row_offset: int) -> None:
        cat = dict(self.levels)
        for col in dict.fromkeys((self.target, *self.plan.columns)):
            if col in cat:
                continue
            values = frame[col]
            if _is_text(values):
                raise DataError(f"{source}: column {col!r} holds text; as the target or inside "
                                "arithmetic it must be numbers (wrap a feature in C(...) to "
                                "treat it as a category)")

    def to_dict(self) -> dict[str, Any]:
        """What a model file keeps: the formula and the learnt levels."""
        return {"formula": self.plan.text,
                "levels": {c: list(v) for c, v in self.levels}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Design:
        plan = parse_formula(str(data["formula"]))
        levels = tuple((str(c), tuple(v)) for c, v in dict(data.get("levels", {})).items())
        return cls(plan, levels)._with_spec()


def _single_column(expr: str) -> tuple[str | None, Any]:
    """``(column, reference level or None)`` of a term that is one column or ``C(column[,
    Treatment(ref)])``; ``(None, None)`` for anything else."""
    if expr.startswith("`") and expr.endswith("`"):
        return expr[1:-1], None
    try:
        tree = ast.parse(expr, mode="eval").body
    except SyntaxError:
        return None, None
    if isinstance(tree, ast.Name):
        return tree.id, None
    if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id == "C" \
            and tree.args and isinstance(tree.args[0], ast.Name):
        if len(tree.args) == 1:
            return tree.args[0].id, None
        con = tree.args[1]
        if isinstance(con, ast.Call) and con.args and isinstance(con.args[0], ast.Constant):
            return tree.args[0].id, con.args[0].value
    return None, None


def _order(v: Any) -> tuple[int, Any]:
    return (0, v) if isinstance(v, int | float) else (1, str(v))


def not_finite_message(source: str, row: int) -> str:
    return (f"{source}: row {row}: the formula's terms are not finite there (e.g. log of 0 or "
            "of a negative number); change the formula or the data")


def empty_cell_message(source: str, row: int, col: str) -> str:
    return (f"{source}: row {row}, column {col!r} is empty; fill it, or drop rows with missing "
            "cells (missing='drop')")


def unseen_level_message(source: str, row: int, col: str, value: Any,
                         levels: Sequence[Any]) -> str:
    known = len(set(levels))
    return (f"{source}: row {row}, column {col!r} has the level {value!r}, which the model "
            f"never saw in training (it knows {known}: "
            f"{', '.join(map(repr, list(levels)[:5]))}{', ...' if known > 5 else ''}); refit "
            "with rows of that level, or leave those rows out")


def _is_text(series: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_object_dtype(series.dtype)
                or pd.api.types.is_string_dtype(series.dtype)
                or isinstance(series.dtype, pd.CategoricalDtype))


def _missing(series: Any) -> NDArray[np.bool_]:
    """Empty cells: NaN, None, or an empty string in a text column."""
    import pandas as pd

    miss = series.isna().to_numpy()
    if _is_text(series) and not isinstance(series.dtype, pd.CategoricalDtype):
        miss = miss | series.eq("").fillna(False).to_numpy(bool)
    return miss  # type: ignore[no-any-return]


def _frame(table: Any, plan: FormulaPlan, *, partial: bool = False) -> Any:
    """The table as a pandas DataFrame, with a clear error for a column it lacks."""
    import pandas as pd

    if hasattr(table, "to_pandas") and not isinstance(table, pd.DataFrame):
        table = table.to_pandas()
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table)
    lacking = [c for c in (plan.target, *plan.columns) if c not in frame.columns]
    if lacking and not partial:
        have = ", ".join(map(repr, list(frame.columns)[:8]))
        raise DataError(f"the formula {plan.text!r} names {', '.join(map(repr, lacking))}, "
                        f"which the data does not have (its columns: {have})")
    return frame.reset_index(drop=True)
