"""Field comparison by type, one whole column at a time.

Text is compared after whitespace normalisation (and case folding where the systems ignore case), dates as
dates, booleans as booleans, ids and document numbers as strings, amounts as exact decimals with the
column's tolerance. :func:`text` renders values as the canonical strings used in differences and actions.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recon import money, schema

_COLS: dict[str, dict[str, schema.Column]] = {f: {c.name: c for c in cols} for f, cols in schema.FRAMES.items()}


def column(frame: str, name: str) -> schema.Column:
    """The canonical column ``name`` of ``frame``."""
    return _COLS[frame][name]


def _one_text(value: object) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def text(series: pd.Series) -> np.ndarray:
    """Canonical strings of any canonical column: exact decimal text (``money.canonical``), ISO dates,
    ``true``/``false``, ``""`` for missing. Arrow columns are rendered whole in Arrow."""
    if series.dtype == "string":
        return series.fillna("").to_numpy(dtype=object)
    if isinstance(series.dtype, pd.ArrowDtype):
        arrow_type = series.dtype.pyarrow_dtype
        if pa.types.is_decimal128(arrow_type):
            return money.column_text(series, schema.CANONICAL_PLACES.get(arrow_type.scale, 2))
        arr = money.arrow_array(series)
        if pa.types.is_boolean(arrow_type):
            out = pc.if_else(arr, "true", "false")
        else:
            out = pc.cast(arr, pa.string())
        return np.asarray(pc.fill_null(out, "").to_numpy(zero_copy_only=False), dtype=object)
    return np.array([_one_text(v) for v in series.tolist()], dtype=object)


def key(series: pd.Series, col: schema.Column, casefold: bool = False) -> Any:
    """Values ready for equality: an Arrow string array of normalised text (never missing), or for amounts the
    column's own exact values (Arrow decimals; ``Decimal`` objects for a column that is not canonical). Both
    support ``[positions]`` and :func:`equal`."""
    if col.type in schema.DECIMAL_TYPES:
        if isinstance(series.dtype, pd.ArrowDtype):
            return series.reset_index(drop=True)
        return series.to_numpy(dtype=object)
    if col.type in ("text", "id"):
        s = series.astype("string").fillna("").str.strip()
        if col.type == "text":
            # runs of whitespace and any non-space whitespace become one space (leftmost run first)
            s = s.str.replace(r"\s{2,}|[^\S ]", " ", regex=True)
        if casefold:
            # lower() runs in Arrow; casefold() would fall back to Python per value
            s = s.str.lower()
        return s.array
    if col.type == "bool":
        # an unknown flag reads as active: records are active unless a system says otherwise
        filled = series.astype("boolean").fillna(col.name == "active")
        return pd.array(np.where(filled.to_numpy(dtype=bool), "true", "false"), dtype="string")
    return pd.array(text(series), dtype="string")


#: Legal-form words that do not tell two companies apart ("Acme Ltd" is "Acme Limited" is "ACME").
LEGAL_SUFFIXES = frozenset({
    "limited", "ltd", "pty", "proprietary", "inc", "incorporated", "llc", "llp", "lp", "plc", "corp",
    "corporation", "co", "company", "gmbh", "ag", "sa", "bv", "nv", "srl", "sarl", "oy", "ab", "as", "nz", "au",
})
#: what separates words: anything but digits, lower-case letters and the letters beyond ASCII (byte ranges are
#: several times faster in RE2 than its Unicode classes; Latin-1 signs and general punctuation, such as a curly
#: apostrophe or a dash, separate words too)
_NOT_WORD = r"[^0-9a-z\x{C0}-\x{1FFF}\x{2070}-\x{10FFFF}]+"
_LEGAL_TAIL = "(?: (?:" + "|".join(sorted(LEGAL_SUFFIXES)) + "))+$"


def name_key(series: pd.Series, legal: bool = False) -> np.ndarray:
    """Names as match keys: case, spacing and punctuation ignored (``&`` reads as ``and``) and, with
    ``legal``, legal-form words at the end (Ltd, Limited, Pty, Inc, ...; a name of legal words only keeps
    them). Whole columns in Arrow, no Python loop per name."""
    names = pa.array(series.astype("string").fillna(""), type=pa.string())
    words = pc.utf8_trim_whitespace(pc.replace_substring_regex(
        pc.replace_substring(pc.utf8_lower(names), "&", " and "), _NOT_WORD, " "))
    if legal:
        stripped = pc.replace_substring_regex(words, _LEGAL_TAIL, "")
        words = pc.if_else(pc.equal(stripped, ""), words, stripped)
    return np.asarray(pc.replace_substring(words, " ", "").to_numpy(zero_copy_only=False), dtype=object)


def same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Row-aligned raw equality of two columns (both missing counts as equal); cheap, no normalisation."""
    av, bv = a.array, b.array
    eq = mask(av == bv)
    return eq | (_isna(av) & _isna(bv))


def _isna(values: Any) -> np.ndarray:
    return np.asarray(values.isna() if hasattr(values, "isna") else pd.isna(values), dtype=bool)


def mask(values: Any) -> np.ndarray:
    """A plain numpy boolean array (from a pandas BooleanArray, missing as False)."""
    if isinstance(values, np.ndarray) and values.dtype == bool:
        return values
    if hasattr(values, "to_numpy"):
        return values.to_numpy(dtype=bool, na_value=False)
    return np.asarray(pd.array(values, dtype="boolean").fillna(False), dtype=bool)


def active(df: pd.DataFrame, frame: str) -> np.ndarray:
    """Whether each record is active (unknown reads as active)."""
    return mask(key(df["active"], column(frame, "active")) == "true")


def equal(a: Any, b: Any, col: schema.Column) -> tuple[np.ndarray, np.ndarray]:
    """``(equal, within_tolerance)``: exact equality, and unequal amounts no further apart than the tolerance."""
    if col.type not in schema.DECIMAL_TYPES:
        return mask(a == b), np.zeros(len(a), dtype=bool)
    if isinstance(a, pd.Series) and isinstance(b, pd.Series):
        return _equal_arrow(money.arrow_array(a), money.arrow_array(b), Decimal(col.tolerance))
    a, b = _objects(a), _objects(b)
    a_null, b_null = pd.isna(a), pd.isna(b)
    both = ~a_null & ~b_null
    eq = a_null & b_null
    near = np.zeros(len(a), dtype=bool)
    if both.any():
        aa, bb = a[both], b[both]
        same = np.asarray(aa == bb, dtype=bool)
        eq[both] = same
        tol = Decimal(col.tolerance)
        if tol > 0:
            close = np.asarray(np.abs(aa - bb) <= tol, dtype=bool)
            near[both] = close & ~same
    return eq, near


def _objects(values: Any) -> np.ndarray:
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=object, na_value=None)
    return np.asarray(values, dtype=object)


def _equal_arrow(a: pa.Array, b: pa.Array, tolerance: Decimal) -> tuple[np.ndarray, np.ndarray]:
    """:func:`equal` on Arrow decimal arrays, in Arrow (exact: no value leaves its decimal type)."""
    a_null = np.asarray(a.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    b_null = np.asarray(b.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    same = np.asarray(pc.fill_null(pc.equal(a, b), False).to_numpy(zero_copy_only=False), dtype=bool)
    eq = same | (a_null & b_null)
    near = np.zeros(len(a), dtype=bool)
    if tolerance > 0:
        gap = pc.abs(pc.subtract(a, b))
        within = pc.less_equal(gap, pa.scalar(tolerance).cast(gap.type))
        near = np.asarray(pc.fill_null(within, False).to_numpy(zero_copy_only=False), dtype=bool) & ~eq
    return eq, near
