"""Purchase orders and bills: lines paired by position and compared, header totals classified by the
rounding analysis (explained by rounding, or material)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping

import numpy as np
import pandas as pd

from recon import money, schema
from recon.reconcile import diff, fields, plan, rounding
from recon.reconcile.model import Agreed
from recon.rules import DOC_TOTALS, Rule
from recon.snapshot import Snapshot


def compare_documents(rule: Rule, snap: Snapshot, baselines: Mapping[str, pd.DataFrame], meta: Mapping[str, Any],
                      p: pd.DataFrame, x: pd.DataFrame, cp: np.ndarray, cx: np.ndarray, pc: pd.DataFrame,
                      xc: pd.DataFrame, diffs: pd.DataFrame, linked: np.ndarray
                      ) -> tuple[pd.DataFrame, dict[str, dict[str, list[dict[str, str]]]], pd.DataFrame, list[Agreed]]:
    """Lines diff, rounding analysis, and the totals' difference kinds for linked documents ``cp``/``cx``.

    Returns the differences (header and lines), the lines of the documents whose lines differ (as action
    values, per system and document id), the rounding analysis, and the line fields both sides agree on
    (only for the ``linked`` documents, not those matched in this run)."""
    assert rule.lines is not None
    lp, lx = snap.frame("precoro", rule.lines), snap.frame("xero", rule.lines)
    unitdp = int(((meta or {}).get("xero") or {}).get("unitdp", 2) or 2)
    active_both = fields.active(pc, rule.kind) & fields.active(xc, rule.kind)
    pids, xids = fields.text(pc["id"]), fields.text(xc["id"])
    line_diffs, line_agreed = _line_diffs(rule, lp, lx, pids[active_both], xids[active_both], cp[active_both],
                                          cx[active_both], baselines.get(rule.lines), unitdp, linked[active_both])
    pairs = pd.DataFrame({"p": cp, "x": cx})
    analysis = rounding.analyse(rule.kind, p, x, pairs, lp, meta)
    if len(diffs):
        totals = diffs["field"].isin(list(DOC_TOTALS)).to_numpy()
        if totals.any():
            by_id = analysis.set_index("precoro_id")
            ids = fields.text(p["id"].iloc[diffs["p"].to_numpy()])
            cls = by_id["classification"].reindex(ids).fillna("").to_numpy(dtype=object)
            remedy = by_id["remedy"].reindex(ids).fillna("").to_numpy(dtype=object)
            is_round = totals & (cls == "rounding")
            diffs = diffs.copy()
            diffs.loc[is_round, "kind"] = "rounding"
            diffs.loc[is_round, "direction"] = "none"
            diffs.loc[is_round, "reason"] = "rounding: explained by the rounding rules; " + remedy[is_round]
            material = totals & ~is_round & (diffs["kind"] != "rounding").to_numpy()
            diffs.loc[material, "reason"] = "material: not explained by rounding, review it; Xero computes totals " \
                "from the lines"
    diffs = pd.concat([d for d in (diffs, line_diffs) if len(d)] or [diffs], ignore_index=True)
    diffs = _paid_bills_kept(rule, x, diffs)
    changed = diffs["field"].str.startswith("lines[").to_numpy() if len(diffs) else np.zeros(0, dtype=bool)
    docs_p = np.unique(fields.text(p["id"].iloc[diffs["p"].to_numpy()[changed]])) if changed.any() else np.array([])
    docs_x = np.unique(fields.text(x["id"].iloc[diffs["x"].to_numpy()[changed]])) if changed.any() else np.array([])
    # the lines an update replaces also carry the ids their names stand for, so the stale check before the
    # write can tell a record renamed in Xero (same id) from a line pointed at another record
    references = tuple(dict.fromkeys(schema.LINE_REFERENCES[c] for c in rule.line_fields if c in schema.LINE_REFERENCES))
    values = {"precoro": plan.lines_by_doc(lp, docs_p, rule.line_fields),
              "xero": plan.lines_by_doc(lx, docs_x, rule.line_fields + references)}
    return diffs, values, analysis, line_agreed


def _line_diffs(rule: Rule, lp: pd.DataFrame, lx: pd.DataFrame, pids: np.ndarray, xids: np.ndarray,
                cp: np.ndarray, cx: np.ndarray, baseline: pd.DataFrame | None, unitdp: int,
                linked: np.ndarray) -> tuple[pd.DataFrame, list[Agreed]]:
    """Lines of linked documents paired by position (``line_no``) and compared like header fields; and the
    line fields both sides agree on (baseline keys ``<Xero document id>#<line_no>``)."""
    frame = rule.lines
    assert frame is not None
    agreed: list[Agreed] = []
    if not len(pids):
        return diff.empty_diffs(), agreed
    # the join is made on the keys and row numbers only, and each side's compared columns are then taken by
    # row: merging the whole line frames would copy every line column of both sides (a million rows each)
    left, right = _line_keys(lp, pids), _line_keys(lx, xids)
    both = left.merge(right, on=["_doc", "_n"], how="outer", suffixes=("", "__x"), indicator=True)
    both = both.sort_values(["_doc", "_n"], kind="stable").reset_index(drop=True)
    doc = both["_doc"].to_numpy(dtype=np.int64)
    line_no = both["_n"].to_numpy(dtype=np.int64)
    row_p = both["_row"].to_numpy(dtype=np.int64, na_value=-1)
    row_x = both["_row__x"].to_numpy(dtype=np.int64, na_value=-1)
    out = []
    matched = (both["_merge"] == "both").to_numpy()
    if matched.any():
        rp, rx, m_doc = row_p[matched], row_x[matched], doc[matched]
        names = list(rule.line_fields)
        pl = lp[names].iloc[rp].reset_index(drop=True)
        xl = lx[names].iloc[rx].reset_index(drop=True)
        # Xero keeps unit amounts at unitdp and quantities at 4 dp: compare what Xero will hold
        pl["unit_amount"] = _rounded(pl["unit_amount"], xl["unit_amount"], 4 if unitdp == 4 else 2)
        pl["quantity"] = _rounded(pl["quantity"], xl["quantity"], 4)
        _same_references(pl, xl, lp, lx, rp, rx)
        wanted = np.array([f"{d}\x1f{n}" for d, n in zip(xids[m_doc], line_no[matched])], dtype=object)
        b, has_b = diff.align_baseline(baseline, wanted, on=("doc_id", "line_no"))
        d = diff.compare(rule, frame, rule.line_fields, pl, xl, b, has_b, cp[m_doc], cx[m_doc], line_no[matched])
        out.append(_unit_rounding(d))
        keys = np.array([w.replace("\x1f", "#") for w in wanted], dtype=object)
        agreed = diff.agreed(rule, frame, rule.line_fields, pl, xl, b, has_b, np.where(linked[m_doc], keys, ""))
    only = ~matched
    if only.any():
        side = both["_merge"].to_numpy(dtype=object)[only]
        desc_p = np.where(row_p[only] >= 0, fields.text(lp["description"].iloc[np.maximum(row_p[only], 0)]), "")
        desc_x = np.where(row_x[only] >= 0, fields.text(lx["description"].iloc[np.maximum(row_x[only], 0)]), "")
        in_p = side == "left_only"
        out.append(pd.DataFrame({
            "p": cp[doc[only]], "x": cx[doc[only]], "field": np.array([f"lines[{n}]" for n in line_no[only].tolist()], dtype=object),
            "precoro_value": np.where(in_p, desc_p, ""), "xero_value": np.where(in_p, "", desc_x),
            "baseline_value": "", "kind": "mismatch" if rule.source == "precoro" else "blocked_edit",
            "direction": "to_xero",
            "reason": np.where(in_p, "line only in Precoro", "line only in Xero: put back from Precoro"),
        }))
    return (pd.concat(out, ignore_index=True) if out else diff.empty_diffs()), agreed


#: what Xero refuses to change on a bill that has a payment
_LOCKED_WHEN_PAID = ("currency", "supplier_xero_id", "line_amount_types", *DOC_TOTALS)


def _paid_bills_kept(rule: Rule, x: pd.DataFrame, diffs: pd.DataFrame) -> pd.DataFrame:
    """A bill with a payment in Xero cannot have its lines, totals, contact or currency changed there (Xero
    refuses): those differences are shown with no action, for a person to settle in Xero."""
    if rule.kind != "bill" or not len(diffs):
        return diffs
    has_paid = money.unscaled(x["amount_paid"].iloc[diffs["x"].to_numpy()], schema.STORAGE_SCALES["money"])
    has_paid = has_paid > 0 if has_paid is not None else np.array(
        [not pd.isna(v) and v > 0 for v in x["amount_paid"].iloc[diffs["x"].to_numpy()].tolist()], dtype=bool)
    field_names = diffs["field"].astype(str)
    locked = has_paid & (field_names.str.startswith("lines[") | field_names.isin(_LOCKED_WHEN_PAID)).to_numpy() \
        & (diffs["direction"] == "to_xero").to_numpy()
    if not locked.any():
        return diffs
    diffs = diffs.copy()
    diffs.loc[locked, "direction"] = "none"
    diffs.loc[locked, "reason"] = diffs.loc[locked, "reason"] + "; the bill has a payment in Xero, which then " \
        "refuses to change it: settle it there by hand"
    return diffs


#: line columns naming a record by its Xero id: lines naming the same record agree on the names it has
_REFERENCES = (("account_id", ("account_code",)),
               ("tracking1_option_id", ("tracking1_category", "tracking1_option")),
               ("tracking2_option_id", ("tracking2_category", "tracking2_option")))


def _line_keys(lines: pd.DataFrame, doc_ids: np.ndarray) -> pd.DataFrame:
    """The lines of the documents ``doc_ids``: their document's position in ``doc_ids`` (``_doc``), line number
    (``_n``) and row in ``lines`` (``_row``)."""
    docs = pd.DataFrame({"doc_id": pd.array(doc_ids, dtype="string"), "_doc": np.arange(len(doc_ids))})
    keys = pd.DataFrame({"doc_id": lines["doc_id"].reset_index(drop=True),
                         "_n": lines["line_no"].astype("Int64").fillna(0).astype(np.int64).to_numpy(),
                         "_row": pd.array(np.arange(len(lines)), dtype="Int64")})
    return keys.merge(docs, on="doc_id", how="inner")[["_doc", "_n", "_row"]]


def _same_references(pl: pd.DataFrame, xl: pd.DataFrame, lp: pd.DataFrame, lx: pd.DataFrame, rp: np.ndarray,
                     rx: np.ndarray) -> None:
    """Lines naming the same account or tracking option (by its Xero id) agree on it, whatever name or code
    each side shows: one renamed or deleted in Xero is still the one the line was sent with. ``rp``/``rx`` are
    the rows of the paired lines in ``lp``/``lx``."""
    for ref, names in _REFERENCES:
        ref_p = fields.text(lp[ref].iloc[rp])
        same = (ref_p != "") & (ref_p == fields.text(lx[ref].iloc[rx]))
        if same.any():
            for name in names:
                pl.loc[same, name] = xl.loc[same, name].to_numpy()


def _unit_rounding(d: pd.DataFrame) -> pd.DataFrame:
    """Unit amounts Xero holds at 2 dp where Precoro has 4 are rounding, not edits: nobody changed them, the
    document went to Xero without ``unitdp=4``. They stay in the plan (sending them again at 4 dp is the
    remedy) but are labelled ``rounding`` with that reason."""
    if not len(d):
        return d
    rows = np.flatnonzero(d["field"].str.endswith(".unit_amount").to_numpy())
    if not len(rows):
        return d
    pv = d["precoro_value"].to_numpy(dtype=object)[rows]
    xv = d["xero_value"].to_numpy(dtype=object)[rows]
    explained = np.array([bool(a) and bool(b) and money.quantize(Decimal(a), 2) == Decimal(b)
                          for a, b in zip(pv, xv)], dtype=bool)
    if not explained.any():
        return d
    d = d.copy()
    hit = d.index[rows[explained]]
    d.loc[hit, "kind"] = "rounding"
    d.loc[hit, "reason"] = "Xero kept the unit amount to 2 decimals: send it again with unitdp=4"
    return d


def _rounded(series: pd.Series, other: pd.Series, places: int) -> pd.Series:
    """``series`` with the values that differ from ``other`` rounded to ``places`` (what Xero would keep)."""
    differ = ~fields.same(series, other)
    if not differ.any():
        return series
    rounded = money.round_column(series, places)
    return rounded.where(differ, series)
