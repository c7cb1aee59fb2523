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
        if pa.types.is_decimal128(series.dtype.pyarrow_dtype):
            return money.column_text(series, schema.CANONICAL_PLACES.get(series.dtype.pyarrow_dtype.scale, 2))
        return np.asarray(_arrow_text(series).to_numpy(zero_copy_only=False), dtype=object)
    return np.array([_one_text(v) for v in series.tolist()], dtype=object)


def arrow_text(series: pd.Series) -> pa.Array:
    """:func:`text` as an Arrow string array: for a frame's columns of ~10^5 values, without a Python string
    per value (those and their Arrow copy in the frame existed at once)."""
    if series.dtype == "string":
        return pc.fill_null(money.arrow_array(series), "")
    if isinstance(series.dtype, pd.ArrowDtype):
        return _arrow_text(series)
    if pd.api.types.is_integer_dtype(series.dtype):
        # integers (line numbers, a key column) written by Arrow's cast, as ``str`` writes them
        return pc.fill_null(pc.cast(money.arrow_array(series), pa.string()), "")
    return pa.array(text(series), type=pa.string())


def _arrow_text(series: pd.Series) -> pa.Array:
    arrow_type = series.dtype.pyarrow_dtype
    if pa.types.is_decimal128(arrow_type):
        return money.column_arrow_text(series, schema.CANONICAL_PLACES.get(arrow_type.scale, 2))
    arr = money.arrow_array(series)
    if pa.types.is_boolean(arrow_type):
        out = pc.if_else(arr, "true", "false")
    else:
        out = pc.cast(arr, pa.string())
    return pc.fill_null(out, "")


def key(series: pd.Series, col: schema.Column, casefold: bool = False) -> Any:
    """Values ready for equality: an Arrow string array of normalised text (never missing), or for amounts the
    column's own exact values (Arrow decimals; ``Decimal`` objects for a column that is not canonical). Both
    support ``[positions]`` and :func:`equal`."""
    if col.type in schema.DECIMAL_TYPES:
        if isinstance(series.dtype, pd.ArrowDtype):
            return series.reset_index(drop=True)
        return series.to_numpy(dtype=object)
    if col.type in ("text", "id"):
        text_values = pa.array(series) if is_arrow_text(series) else pa.array(series.astype("string"))
        return pd.arrays.ArrowStringArray(text_key(text_values, col, casefold))
    if col.type == "bool":
        # an unknown flag reads as active: records are active unless a system says otherwise
        filled = series.astype("boolean").fillna(col.name == "active")
        return pd.array(np.where(filled.to_numpy(dtype=bool), "true", "false"), dtype="string")
    return pd.array(text(series), dtype="string")


def text_key(values: pa.Array | pa.ChunkedArray, col: schema.Column, casefold: bool = False) -> pa.Array:
    """:func:`key` of Arrow text of a text or id column, in Arrow."""
    # the kernels pandas' string methods call, called directly (each pandas call wraps its result anew)
    s = pc.utf8_trim_whitespace(pc.fill_null(values, ""))
    if col.type == "text":
        # runs of whitespace and any non-space whitespace become one space (leftmost run first)
        s = pc.replace_substring_regex(s, r"\s{2,}|[^\S ]", " ")
    if casefold:
        # lower() runs in Arrow; casefold() would fall back to Python per value
        s = pc.utf8_lower(s)
    return s


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


def name_key(series: pd.Series, legal: bool = False) -> pa.Array:
    """Names as match keys (an Arrow string array): case, spacing and punctuation ignored (``&`` reads as
    ``and``) and, with ``legal``, legal-form words at the end (Ltd, Limited, Pty, Inc, ...; the first word is
    always kept, so a name of legal words only keeps it). Whole columns, no Python loop per name: names of plain
    ASCII (nearly all) on their bytes in numpy, the others in Arrow's string kernels (RE2)."""
    names = _names(series)
    other = np.flatnonzero(~_bools(pc.and_(pc.string_is_ascii(names), pc.invert(pc.match_substring(names, "&")))))
    out = _ascii_name_key(names, legal)
    if len(other):
        slow = _name_key_arrow(names.take(pa.array(other)), legal)
        hit = np.zeros(len(names), dtype=bool)
        hit[other] = True
        out = pc.replace_with_mask(out, pa.array(hit), slow)
    return out


#: a plain ASCII name whose last word is a legal-form word after another word: its key drops a legal tail
_LEGAL_END = "[0-9a-z][^0-9a-z]+(?:" + "|".join(sorted(LEGAL_SUFFIXES)) + ")[^0-9a-z]*$"


def name_key_where_plain(series: pd.Series, legal: bool = False) -> tuple[pa.Array, np.ndarray]:
    """:func:`name_key` where it is cheap, and where that is: ``(keys, exact)``, the keys equal to
    :func:`name_key`'s wherever ``exact``, elsewhere values callers replace. Exact are the names of plain ASCII
    without ``&`` that, with ``legal``, do not end in a legal-form word after another word (their key is their
    words joined, a third of the work of keying them). A search among many names for a few keys keys only the
    rest (usually few) in full."""
    names = _names(series)
    low = pc.ascii_lower(names)
    # a byte beyond ASCII or an "&" (the other path's cases): found on the bytes, usually none
    n = len(low)
    offsets = np.frombuffer(low.buffers()[1], dtype=np.int32)[low.offset:low.offset + n + 1]
    data = low.buffers()[2]
    raw = np.frombuffer(data, dtype=np.uint8)[offsets[0]:offsets[-1]] if data is not None else \
        np.zeros(0, dtype=np.uint8)
    odd = np.flatnonzero((raw >= 0x80) | (raw == 0x26)) + offsets[0]
    exact = np.ones(n, dtype=bool)
    if len(odd):
        exact[np.searchsorted(offsets, odd, side="right") - 1] = False
    if legal:
        exact &= ~_bools(pc.match_substring_regex(low, _LEGAL_END))
    return _ascii_name_key(names, legal=False), exact


def _names(series: pd.Series) -> pa.StringArray:
    """Names as one Arrow string array without missing values whose offsets start at zero: Arrow 26's
    ``ascii_lower`` of an array whose offsets do not (a slice of a column, cast from large strings) returns an
    invalid array (its bytes shifted)."""
    if is_arrow_text(series):
        # in Arrow: pandas' astype and fillna cost more than the few names a search among new records keys
        names = money.arrow_array(pc.cast(pc.fill_null(pa.array(series), ""), pa.string()))
    else:
        names = money.arrow_array(pa.array(series.astype("string").fillna(""), type=pa.string()))
    start = np.frombuffer(names.buffers()[1], dtype=np.int32)[names.offset] if len(names) else 0
    if start == 0:
        return names
    return names.take(pa.array(np.arange(len(names))))


def _bools(values: pa.Array) -> np.ndarray:
    """An Arrow boolean array (or chunked array) without missing values as numpy booleans."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=bool)


def _name_key_arrow(names: pa.Array, legal: bool) -> pa.Array:
    """:func:`name_key` of any text, in Arrow (RE2)."""
    words = pc.utf8_trim_whitespace(pc.replace_substring_regex(
        pc.replace_substring(pc.utf8_lower(names), "&", " and "), _NOT_WORD, " "))
    if legal:
        stripped = pc.replace_substring_regex(words, _LEGAL_TAIL, "")
        words = pc.if_else(pc.equal(stripped, ""), words, stripped)
    return pc.replace_substring(words, " ", "")


_LEGAL_WORDS = pa.array(sorted(LEGAL_SUFFIXES), type=pa.string())


def _ascii_name_key(names: pa.Array, legal: bool) -> pa.Array:
    """:func:`_name_key_arrow` for names of ASCII without ``&``, on the bytes of the whole column: the words are
    the runs of letters and digits (lower-cased); the key is the words joined, less, with ``legal``, the run of
    legal-form words that ends the name after its first word. Other names get a value callers replace."""
    n = len(names)
    names = pc.ascii_lower(names)
    offsets = np.frombuffer(names.buffers()[1], dtype=np.int32)[names.offset:names.offset + n + 1].astype(np.int64)
    data = names.buffers()[2]
    low = np.frombuffer(data, dtype=np.uint8)[offsets[0]:offsets[-1]] if data is not None else \
        np.zeros(0, dtype=np.uint8)
    offsets -= offsets[0]
    word = ((low >= 0x61) & (low <= 0x7A)) | ((low >= 0x30) & (low <= 0x39))
    keep = word
    if legal and len(word):
        # a word starts at a letter or digit not preceded by one of the same name, and ends likewise
        begins, ends = word.copy(), word.copy()
        begins[1:] &= ~word[:-1]
        ends[:-1] &= ~word[1:]
        begins[offsets[:-1][offsets[:-1] < len(word)]] = word[offsets[:-1][offsets[:-1] < len(word)]]
        last = offsets[1:] - 1
        ends[last[last >= offsets[:-1]]] = word[last[last >= offsets[:-1]]]
        starts, stops = np.flatnonzero(begins), np.flatnonzero(ends) + 1
        lengths = stops - starts
        words = pa.StringArray.from_buffers(len(starts), pa.py_buffer(_offsets(lengths)), pa.py_buffer(low[word]))
        is_legal = _bools(pc.is_in(words, value_set=_LEGAL_WORDS))
        # words of each name: [first[i], first[i + 1])
        first = np.searchsorted(starts, offsets)
        per_name = np.diff(first)
        # a word is in the legal tail when it is not its name's first and every word from it on is legal
        plain = np.where(is_legal, -1, np.arange(len(starts)))
        last_plain = np.maximum.accumulate(plain) if len(plain) else plain
        has = per_name > 0
        bound = np.full(n, -1, dtype=np.int64)
        bound[has] = np.maximum(last_plain[first[1:][has] - 1], first[:-1][has])
        drop = np.arange(len(starts)) > np.repeat(bound, per_name)
        if drop.any():
            edges = np.zeros(len(word) + 1, dtype=np.int8)
            edges[starts[drop]] = 1
            edges[stops[drop]] -= 1
            keep = word & (np.cumsum(edges[:-1], dtype=np.int32) == 0)
    kept = _offsets(keep)[offsets]
    return pa.StringArray.from_buffers(n, pa.py_buffer(kept), pa.py_buffer(low[keep]))


def _offsets(lengths: np.ndarray) -> np.ndarray:
    """Arrow string offsets (int32, as ``pa.string()`` has them) of values ``lengths`` long (booleans: 1 byte each).
    A cumulative sum is several times faster into int32 than into numpy's default int64 for booleans."""
    out = np.zeros(len(lengths) + 1, dtype=np.int32)
    np.cumsum(lengths, dtype=np.int32, out=out[1:])
    return out


def same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Row-aligned raw equality of two columns (both missing counts as equal); cheap, no normalisation."""
    if _arrow_backed(a) and _arrow_backed(b) and a.dtype == b.dtype:
        # in Arrow directly: pandas' comparison makes a masked array first, then numpy of it
        aa, bb = pa.array(a), pa.array(b)
        if not (aa.null_count or bb.null_count):
            return _bools(pc.equal(aa, bb))
        return _bools(pc.fill_null(pc.equal(aa, bb), pc.and_(pc.is_null(aa), pc.is_null(bb))))
    av, bv = a.array, b.array
    eq = mask(av == bv)
    return eq | (_isna(av) & _isna(bv))


def at(series: pd.Series, rows: np.ndarray) -> pd.Series:
    """``series.iloc[rows].reset_index(drop=True)``, the column's array taken directly (:func:`taken`)."""
    return pd.Series(_column_at(series, np.asarray(rows, dtype=np.int64), None), copy=False)


def taken(df: pd.DataFrame, cols: list[str], pos: np.ndarray) -> pd.DataFrame:
    """``df[cols].iloc[pos].reset_index(drop=True)``, each column's array taken directly (a quarter cheaper than
    pandas' frame take at ~10^5 rows). Positions that only increase and select nearly every row (the Precoro
    side of linked pairs, and the Xero side of frames in the same order) select Arrow columns by a mask: Arrow's
    filter copies the long runs of rows kept whole, at half the cost of a take (of fewer rows, a take is cheaper)."""
    pos = np.asarray(pos, dtype=np.int64)
    keep = None
    if len(pos) > 1 and 10 * len(pos) >= 9 * len(df) and bool((pos[1:] > pos[:-1]).all()) and pos[0] >= 0 \
            and pos[-1] < len(df):
        chosen = np.zeros(len(df), dtype=bool)
        chosen[pos] = True
        keep = pa.array(chosen)
    return pd.DataFrame({c: _column_at(df[c], pos, keep) for c in cols}, columns=cols)


def _column_at(series: pd.Series, pos: np.ndarray, keep: pa.Array | None) -> Any:
    """The array of ``series`` at ``pos`` (``keep``: the same rows as a mask), Arrow's in Arrow: pandas' take
    checks and converts the positions first, most of the cost at ~10^3 rows."""
    values = series.array
    if isinstance(values, (pd.arrays.ArrowStringArray, pd.arrays.ArrowExtensionArray)):
        arr = money.arrow_array(series)
        kept = arr.filter(keep) if keep is not None else arr.take(pa.array(pos))
        out = pd.arrays.ArrowStringArray(kept) if isinstance(values, pd.arrays.ArrowStringArray) else \
            pd.arrays.ArrowExtensionArray(kept)
        if out.dtype == values.dtype:
            return out
    return values.take(pos)


def is_arrow_text(series: pd.Series) -> bool:
    """A text column held in Arrow (pandas' ``string[pyarrow]``): read and compared in Arrow's kernels."""
    return series.dtype == "string" and series.dtype.storage == "pyarrow"


def _arrow_backed(series: pd.Series) -> bool:
    return is_arrow_text(series) or isinstance(series.dtype, pd.ArrowDtype)


def _isna(values: Any) -> np.ndarray:
    return np.asarray(values.isna() if hasattr(values, "isna") else pd.isna(values), dtype=bool)


def text_in(series: pd.Series, values: Any) -> np.ndarray:
    """Per row: the canonical text of ``series`` (:func:`text`, ``""`` when missing) is one of ``values``. Arrow
    text is looked up in Arrow's hash kernel: a document kind's statuses as ~10^5 Python strings were held through
    its whole reconcile."""
    found = pc.is_in(arrow_text(series), value_set=pa.array([str(v) for v in values], type=pa.string()))
    return found.to_numpy(zero_copy_only=False).astype(bool)


def filled(n: int, value: str) -> np.ndarray:
    """``n`` references to the one string ``value``. ``np.full(n, value, dtype=object)`` goes through a numpy
    string and makes a copy of it per row: ~10^5 copies of "purchase_order" kept in the differences, and three
    such columns per compared field (kind, direction, reason) held through a document kind's lines."""
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def mask(values: Any) -> np.ndarray:
    """A plain numpy boolean array (from a pandas BooleanArray, missing as False)."""
    if isinstance(values, np.ndarray) and values.dtype == bool:
        return values
    if hasattr(values, "to_numpy"):
        return values.to_numpy(dtype=bool, na_value=False)
    return np.asarray(pd.array(values, dtype="boolean").fillna(False), dtype=bool)


def active(df: pd.DataFrame, frame: str) -> np.ndarray:
    """Whether each record is active (unknown reads as active)."""
    # key()'s reading of a flag (unknown is active), without making its "true"/"false" text for every record
    flags = df["active"]
    if isinstance(flags.dtype, pd.ArrowDtype) and pa.types.is_boolean(flags.dtype.pyarrow_dtype):
        return _bools(pc.fill_null(pa.array(flags), True))
    return np.asarray(flags.astype("boolean").fillna(True).to_numpy(dtype=bool), dtype=bool)


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
