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


def _lines_for(lines: pd.DataFrame, doc_ids: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
    """The columns the analysis reads of the lines, the rows of the lines of the given documents (``None``: every
    line) and, per such line, the position of its document in ``doc_ids`` (the first, if an id is there twice; a
    missing id reads as ``""``). Looked up in Arrow's hash kernels on the id text: no Python string per line. The
    columns are not filtered: read as integers first and those taken at the rows, as a copy of ~5 * 10^5 lines'
    decimal columns was the peak of the analysis."""
    ids = arrow_compute.fill_null(money.arrow_array(lines["doc_id"].astype("string")), "")
    where = arrow_compute.index_in(ids, value_set=pa.array(list(doc_ids), type=ids.type))
    keep = arrow_compute.is_valid(where).to_numpy(zero_copy_only=False)
    pos = arrow_compute.fill_null(where, 0).to_numpy(zero_copy_only=False).astype(np.int64)
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


def _doc_totals(amount: np.ndarray, tax: np.ndarray, doc_pos: np.ndarray, n_docs: int,
                doc_lat: np.ndarray) -> np.ndarray:
    amount_c = _exact_sum(amount, doc_pos, n_docs)
    tax_c = _exact_sum(tax, doc_pos, n_docs)
    return np.where(doc_lat == "Inclusive", amount_c, amount_c + tax_c)


def analyse(kind: str, p: pd.DataFrame, x: pd.DataFrame, pairs: pd.DataFrame, p_lines: pd.DataFrame,
            meta: Mapping[str, Any]) -> pd.DataFrame:
    """One row per linked document (``ROUNDING_COLUMNS``, all strings), ordered by Precoro id."""
    xmeta = (meta or {}).get("xero") or {}
    unitdp = int(xmeta.get("unitdp", 2) or 2)
    account = str(xmeta.get("rounding_account_code", "") or "") or "the ROUNDING account"
    if pairs.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in ROUNDING_COLUMNS})
    # only the header columns read here: every column of ~10^5 documents a side was copied for four
    pd_docs = p[["id", "number", "line_amount_types", "total"]].iloc[pairs["p"].to_numpy()].reset_index(drop=True)
    xd_docs = x[["id", "total"]].iloc[pairs["x"].to_numpy()].reset_index(drop=True)
    n = len(pd_docs)
    ids = pd_docs["id"].astype("string").fillna("").to_numpy(dtype=object)
    lines, pos, rows = _lines_for(p_lines, ids)
    lat = pd_docs["line_amount_types"].astype("string").fillna("Exclusive").replace("", "Exclusive")
    lat = lat.to_numpy(dtype=object)
    line_lat = lat[pos] if len(pos) else np.array([], dtype=object)
    # the other precision's lines are summed per document and let go before this precision's are made: both
    # pairs of line arrays at once (~16 MiB at 5 * 10^5 lines) were the peak of a document kind's reconcile
    expected_other = _doc_totals(*line_cents(lines, line_lat, (4 if unitdp == 2 else 2,), rows)[0], pos, n, lat)
    ((amount, tax),) = line_cents(lines, line_lat, (unitdp,), rows)
    expected = _doc_totals(amount, tax, pos, n, lat)
    expected2, expected4 = (expected, expected_other) if unitdp == 2 else (expected_other, expected)
    known = (pd_docs["total"].notna() & xd_docs["total"].notna()).to_numpy(dtype=bool)
    pc = np.where(known, _cents(pd_docs["total"]), 0)
    xc = np.where(known, _cents(xd_docs["total"]), 0)
    diff = pc - xc
    n_lines = np.bincount(pos, minlength=n) if len(pos) else np.zeros(n, dtype=np.int64)
    # explained: Xero's own arithmetic on the Precoro lines gives the Xero total, within a cent per line
    # and the Precoro total is within a cent per line of the exact (4 dp) arithmetic
    close = (np.abs(pc - expected4) <= np.maximum(n_lines, 1)) | (np.abs(pc - expected) <= np.maximum(n_lines, 1))
    explained = ((xc == expected) | (xc == expected2) | (xc == expected4)) & close
    cls = np.where(~known, "unknown", np.where(diff == 0, "equal", np.where(explained, "rounding", "material")))

    # lines whose amounts differ between Precoro's figures and Xero's arithmetic
    p_gross = _cents(lines["line_amount"], rows) + _cents(lines["tax_amount"], rows)
    x_gross = np.where(line_lat == "Inclusive", 0, tax)
    x_gross += amount
    off = p_gross != x_gross
    del p_gross, x_gross, amount, tax, line_lat  # ~5 * 10^5 lines each, not read again
    line_no = lines["line_no"].astype("Int64").fillna(0).astype(np.int64).to_numpy()
    line_no = line_no if rows is None else line_no[rows]
    cause_text = np.full(n, "", dtype=object)
    if off.any():
        order = np.lexsort((line_no[off], pos[off]))
        docs, numbers = pos[off][order], line_no[off][order].astype(str).tolist()
        # each document's lines are contiguous here: joined per run (a pandas groupby of Python joins cost ~1 s)
        starts = np.flatnonzero(np.concatenate([[True], docs[1:] != docs[:-1]]))
        ends = np.append(starts[1:], len(docs))
        cause_text[docs[starts]] = [", ".join(numbers[a:b]) for a, b in zip(starts.tolist(), ends.tolist())]

    remedy = np.full(n, "", dtype=object)
    is_rounding = cls == "rounding"
    # the lines sent again give the Precoro total: Xero holds them at fewer decimals than it was sent them
    resend = is_rounding & (pc == expected)
    remedy[resend] = f"send the lines again with unit amounts at {unitdp} decimals (unitdp={unitdp})"
    fix4 = is_rounding & ~resend & (pc == expected4)
    remedy[fix4] = "send unit amounts at 4 decimals (unitdp=4)"
    # what is left is a real adjustment, never of zero (pc differs from expected here)
    adjust = is_rounding & ~resend & ~fix4
    remedy[adjust] = "add a rounding line of " + money.cents_text(pc[adjust] - expected[adjust]) + \
        f" to account {account}"
    remedy[cls == "material"] = "review: the difference is not explained by rounding"

    out = pd.DataFrame({
        "object": kind, "precoro_id": ids, "xero_id": fields.text(xd_docs["id"]),
        "number": fields.text(pd_docs["number"]), "precoro_total": fields.text(pd_docs["total"]),
        "xero_total": fields.text(xd_docs["total"]), "xero_expected": money.cents_text(expected),
        "difference": np.where(known, money.cents_text(diff), ""),
        "classification": cls, "lines": cause_text, "remedy": remedy,
    })
    return out.sort_values("precoro_id", kind="stable").reset_index(drop=True)


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
