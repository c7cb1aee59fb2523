"""Rounding analysis: do the two systems' rounding settings agree, and is each PO/bill total difference
explained by the rounding rules (``rounding``) or not (``material``)?

For every linked document the Precoro total, the Xero total and the total Xero computes for the Precoro
lines (``money.xero_lines_array``: per-line tax half-up to 2 dp, unit amounts at the organisation's 2 or 4
dp) are compared. A difference is ``rounding`` when Xero's own arithmetic on the Precoro lines gives the Xero
total (at 2 or 4 dp unit amounts); every other difference is ``material``. The lines whose amount differs
between the two systems' arithmetic are named, and the remedy is proposed: send the lines again when Xero's
arithmetic on them gives the Precoro total (Xero kept fewer decimals than the Precoro prices have), send unit
amounts at 4 decimals when that does, else a rounding line (never of zero) to the organisation's ROUNDING
account. Material differences are to be reviewed.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as arrow_compute

from recon import money
from recon.reconcile import fields

ROUNDING_COLUMNS = ("object", "precoro_id", "xero_id", "number", "precoro_total", "xero_total", "xero_expected",
                    "difference", "classification", "lines", "remedy")


def settings_check(meta: Mapping[str, Any]) -> dict[str, Any]:
    """Compare Precoro's company precision with Xero's organisation rounding; a plain sentence when they differ."""
    pmeta = (meta or {}).get("precoro") or {}
    xmeta = (meta or {}).get("xero") or {}
    precision = pmeta.get("precision")
    unitdp = int(xmeta.get("unitdp", 2) or 2)
    xero = {"unitdp": unitdp, "amount_dp": 2, "tax": "per line, half-up to 2 dp",
            "rounding_account_code": str(xmeta.get("rounding_account_code", "") or "")}
    if not precision:
        return {"agree": None, "precoro": None, "xero": xero,
                "message": "Precoro's rounding precision is not known, so the rounding settings cannot be checked."}
    prec = money.Precision.from_json(precision)
    problems = []
    if prec.total != 2:
        problems.append(f"Precoro rounds totals to {prec.total} decimals but Xero keeps amounts to 2")
    if prec.price > unitdp:
        problems.append(f"Precoro prices have {prec.price} decimals but Xero unit amounts are sent with {unitdp}"
                        + (" (send unitdp=4)" if prec.price <= 4 else ""))
    if prec.quantity > 4:
        problems.append(f"Precoro quantities have {prec.quantity} decimals but Xero accepts 4")
    message = ("The rounding settings agree." if not problems else "; ".join(problems) + ".")
    return {"agree": not problems, "precoro": prec.to_json(), "xero": xero, "message": message}


#: the line columns the analysis reads
_LINE_COLUMNS = ("line_no", "quantity", "unit_amount", "tax_rate", "line_amount", "tax_amount")


def _lines_for(lines: pd.DataFrame, doc_ids: np.ndarray | pa.Array
               ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
    """The columns the analysis reads of the lines, the rows of the lines of the given documents (``None``: every
    line) and, per such line, the position of its document in ``doc_ids`` (the first, if an id is there twice; a
    missing id reads as ``""``). Looked up in Arrow's hash kernels on the id text: no Python string per line. The
    columns are not filtered: read as integers first and those taken at the rows, as a copy of ~5 * 10^5 lines'
    decimal columns was the peak of the analysis."""
    ids = arrow_compute.fill_null(money.arrow_array(lines["doc_id"].astype("string")), "")
    value_set = doc_ids if isinstance(doc_ids, pa.Array) else pa.array(list(doc_ids), type=ids.type)
    where = arrow_compute.index_in(ids, value_set=value_set.cast(ids.type))
    del ids
    keep = arrow_compute.is_valid(where).to_numpy(zero_copy_only=False)
    # int32 positions: half the bytes of int64 at ~5 * 10^5 lines, and numpy indexes with them as well
    pos = arrow_compute.fill_null(where, 0).to_numpy(zero_copy_only=False)
    columns = lines[[c for c in _LINE_COLUMNS if c in lines.columns]]
    if keep.all():
        return columns, pos, None
    rows = np.flatnonzero(keep)
    return columns, pos[rows], rows


def _exact_sum(cents: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    """Per-group sums of integer cents, in integers (``np.add.at``: exact, and faster than a float bincount)."""
    out = np.zeros(n, dtype=np.int64)
    if len(cents):
        np.add.at(out, groups, np.asarray(cents, dtype=np.int64))
    return out


def line_cents(lines: pd.DataFrame, lat: np.ndarray, unitdps: tuple[int, ...],
               rows: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Xero's line amount and tax of every line (``rows``: of the lines at those positions) in integer cents,
    for each unit precision in ``unitdps`` (column maths on the lines' decimal columns, ``money.xero_line_columns``)."""
    cols = [lines[c] for c in ("quantity", "unit_amount", "tax_rate")]
    return [money.xero_line_columns(*cols, lat, unitdp, rows=rows) for unitdp in unitdps]


def _cents(values: pd.Series, rows: np.ndarray | None = None) -> np.ndarray:
    """Integer cents of a money column (``rows``: of its values at those positions; missing → 0; a value finer
    than a cent rounded half away from zero)."""
    exact = money.unscaled(values, 2)
    if exact is not None:
        return exact if rows is None else exact[rows]
    if rows is not None:
        values = values.iloc[rows]
    if isinstance(values.dtype, pd.ArrowDtype):
        exact = money.unscaled(money.round_column(values, 2), 2)
        if exact is not None:
            return exact
    return money.to_cents(money.quantize_array(values.to_numpy(dtype=object, na_value=None), 2))


#: the lines are read this many at a time: every per-line integer array (the columns' unscaled values, the
#: maths' intermediates, Xero's and Precoro's cents) exists for one chunk only: 0.5 MiB an int64 array
_CHUNK = 1 << 16
#: a document's line amount types as codes: the maths reads only "is it Inclusive" and "is it NoTax"
_LAT_TEXT = np.array(["Exclusive", "Inclusive", "NoTax"], dtype=object)


class _LineSums:
    """What the analysis keeps of the lines, read a chunk at a time: per document the sums of Xero's line amounts
    and tax at each unit precision, and the (document, line number) of every line whose Precoro amount and tax
    differ from Xero's arithmetic at the organisation's precision."""

    def __init__(self, lines: pd.DataFrame, pos: np.ndarray, rows: np.ndarray | None, lat_code: np.ndarray,
                 n: int, unitdp: int):
        other = 4 if unitdp == 2 else 2
        self.amount = {dp: np.zeros(n, dtype=np.int64) for dp in (unitdp, other)}
        self.tax = {dp: np.zeros(n, dtype=np.int64) for dp in (unitdp, other)}
        off_docs, off_numbers = [], []
        for start in range(0, len(pos), _CHUNK):
            at = slice(start, start + _CHUNK)
            chunk = lines.iloc[at] if rows is None else lines.iloc[rows[at]]
            docs = pos[at]
            codes = lat_code[docs]
            lat = _LAT_TEXT[codes]
            for dp in (other, unitdp):
                amount, tax = line_cents(chunk, lat, (dp,))[0]
                np.add.at(self.amount[dp], docs, amount)
                np.add.at(self.tax[dp], docs, tax)
            # the lines whose amounts differ between Precoro's figures and Xero's arithmetic
            p_gross = _cents(chunk["line_amount"]) + _cents(chunk["tax_amount"])
            tax[codes == 1] = 0
            tax += amount
            off = p_gross != tax
            if off.any():
                off_docs.append(docs[off])
                off_numbers.append(chunk["line_no"].iloc[np.flatnonzero(off)].astype("Int64").fillna(0)
                                   .astype(np.int64).to_numpy())
        self.off_docs = np.concatenate(off_docs) if off_docs else np.zeros(0, dtype=np.int64)
        self.off_numbers = np.concatenate(off_numbers) if off_numbers else np.zeros(0, dtype=np.int64)

    def expected(self, unitdp: int, inclusive: np.ndarray) -> np.ndarray:
        """Xero's total of each document's lines at ``unitdp``."""
        return np.where(inclusive, self.amount[unitdp], self.amount[unitdp] + self.tax[unitdp])


#: the frame's text dtype (pandas' ``str``), whose columns are given as Arrow arrays
_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def _str_column(values: pa.Array) -> pd.arrays.ArrowStringArray:
    return pd.arrays.ArrowStringArray(values.cast(pa.large_string()), dtype=_STR)


def _repeated(texts: list[str], codes: np.ndarray) -> pa.Array:
    """The text of each code: one Arrow string array, no Python string per row."""
    return pa.array(texts, type=pa.large_string()).take(pa.array(codes))


def analyse(kind: str, p: pd.DataFrame, x: pd.DataFrame, pairs: pd.DataFrame, p_lines: pd.DataFrame,
            meta: Mapping[str, Any]) -> pd.DataFrame:
    """One row per linked document (``ROUNDING_COLUMNS``, all strings), ordered by Precoro id."""
    xmeta = (meta or {}).get("xero") or {}
    unitdp = int(xmeta.get("unitdp", 2) or 2)
    account = str(xmeta.get("rounding_account_code", "") or "") or "the ROUNDING account"
    if pairs.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in ROUNDING_COLUMNS})
    # the documents taken in the frame's order (by Precoro id, a stable sort: Arrow's, as pandas' sort of the
    # frame was), so that no column is made twice, once unordered and once sorted
    p_at, x_at = pairs["p"].to_numpy(), pairs["x"].to_numpy()
    ids = fields.arrow_text(p["id"].iloc[p_at])
    by_id = arrow_compute.sort_indices(ids).to_numpy()
    ids, p_at, x_at = ids.take(pa.array(by_id)), p_at[by_id], x_at[by_id]
    # only the header columns read here: every column of ~10^5 documents a side was copied for four
    pd_docs = p[["number", "line_amount_types", "total"]].iloc[p_at].reset_index(drop=True)
    xd_docs = x[["id", "total"]].iloc[x_at].reset_index(drop=True)
    n = len(pd_docs)
    lines, pos, rows = _lines_for(p_lines, ids)
    # a code per document (Exclusive or anything else 0, Inclusive 1, NoTax 2), not a string per line
    lat = money.arrow_array(pd_docs["line_amount_types"].astype("string"))
    lat_code = sum(code * arrow_compute.fill_null(arrow_compute.equal(lat, text), False)
                   .to_numpy(zero_copy_only=False).astype(np.int8) for code, text in ((1, "Inclusive"), (2, "NoTax")))
    del lat
    inclusive = lat_code == 1
    sums = _LineSums(lines, pos, rows, lat_code, n, unitdp)
    expected = sums.expected(unitdp, inclusive)
    expected2, expected4 = sums.expected(2, inclusive), sums.expected(4, inclusive)
    known = (pd_docs["total"].notna() & xd_docs["total"].notna()).to_numpy(dtype=bool)
    pc = np.where(known, _cents(pd_docs["total"]), 0)
    xc = np.where(known, _cents(xd_docs["total"]), 0)
    diff = pc - xc
    n_lines = np.bincount(pos, minlength=n) if len(pos) else np.zeros(n, dtype=np.int64)
    del pos, rows
    # explained: Xero's own arithmetic on the Precoro lines gives the Xero total, within a cent per line
    # and the Precoro total is within a cent per line of the exact (4 dp) arithmetic
    close = (np.abs(pc - expected4) <= np.maximum(n_lines, 1)) | (np.abs(pc - expected) <= np.maximum(n_lines, 1))
    explained = ((xc == expected) | (xc == expected2) | (xc == expected4)) & close
    classes = ["unknown", "equal", "rounding", "material"]
    cls = np.where(~known, 0, np.where(diff == 0, 1, np.where(explained, 2, 3))).astype(np.int8)

    cause_text = _repeated([""], np.zeros(n, dtype=np.int8))
    if len(sums.off_docs):
        order = np.lexsort((sums.off_numbers, sums.off_docs))
        docs, numbers = sums.off_docs[order], sums.off_numbers[order].astype(str).tolist()
        # each document's lines are contiguous here: joined per run (a pandas groupby of Python joins cost ~1 s)
        starts = np.flatnonzero(np.concatenate([[True], docs[1:] != docs[:-1]]))
        ends = np.append(starts[1:], len(docs))
        joined = pa.array([", ".join(numbers[a:b]) for a, b in zip(starts.tolist(), ends.tolist())],
                          type=pa.large_string())
        mask = np.zeros(n, dtype=bool)
        mask[docs[starts]] = True
        cause_text = arrow_compute.replace_with_mask(cause_text, pa.array(mask), joined)
        del docs, numbers, joined
    del sums

    # by code; 3, a rounding line of the document's own amount, is written in below
    remedies = ["", f"send the lines again with unit amounts at {unitdp} decimals (unitdp={unitdp})",
                "send unit amounts at 4 decimals (unitdp=4)", "", "review: the difference is not explained by rounding"]
    is_rounding = cls == 2
    # the lines sent again give the Precoro total: Xero holds them at fewer decimals than it was sent them
    resend = is_rounding & (pc == expected)
    fix4 = is_rounding & ~resend & (pc == expected4)
    # what is left is a real adjustment, never of zero (pc differs from expected here)
    adjust = is_rounding & ~resend & ~fix4
    remedy_code = np.select([resend, fix4, adjust, cls == 3], [1, 2, 3, 4], 0).astype(np.int8)
    remedy = _repeated(remedies, remedy_code)
    if adjust.any():
        amounts = money.cents_arrow_text(pc[adjust] - expected[adjust])
        lines_of = arrow_compute.binary_join_element_wise("add a rounding line of ", amounts,
                                                          f" to account {account}", "")
        remedy = arrow_compute.replace_with_mask(remedy, pa.array(adjust), lines_of.cast(pa.large_string()))

    columns = {
        "object": _repeated([kind], np.zeros(n, dtype=np.int8)), "precoro_id": ids,
        "xero_id": fields.arrow_text(xd_docs["id"]), "number": fields.arrow_text(pd_docs["number"]),
        "precoro_total": fields.arrow_text(pd_docs["total"]), "xero_total": fields.arrow_text(xd_docs["total"]),
        "xero_expected": money.cents_arrow_text(expected),
        "difference": arrow_compute.if_else(pa.array(known), money.cents_arrow_text(diff), ""),
        "classification": _repeated(classes, cls), "lines": cause_text, "remedy": remedy,
    }
    return pd.DataFrame({name: _str_column(values) for name, values in columns.items()})


#: Columns of a few distinct values (a kind, a class, a remedy, the causing line numbers, the cents a document is
#: off by): ~10^5 rows of them as text were ~7 MiB of a document kind's analysis held while the next kind ran.
_FEW_VALUES = ("object", "difference", "classification", "lines", "remedy")


def compact(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (an :func:`analyse` result) as it is held until the reconcile ends: its few-valued columns
    categorical. :func:`expanded` gives back the same frame, dtypes included."""
    return frame.astype({c: "category" for c in _FEW_VALUES if c in frame.columns and frame[c].dtype == "str"})


def expanded(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame :func:`compact` was given: every column text again."""
    return frame.astype({c: "str" for c in _FEW_VALUES if c in frame.columns
                         and isinstance(frame[c].dtype, pd.CategoricalDtype)})
