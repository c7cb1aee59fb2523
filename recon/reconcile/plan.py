"""Turning differences into actions (the content contract is documented in docs/reconcile.md).

Values in ``Action.new``/``old`` are canonical strings keyed by canonical column names; ``keys`` holds
``precoro_id`` and/or ``xero_id``. Loops here run over *actions* (records that differ), never over all records.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from recon import schema
from recon.reconcile import fields
from recon.reconcile.model import Action
from recon.rules import DOC_TOTALS, Rule

TARGET = {"to_xero": "xero", "to_precoro": "precoro"}
_OP_ORDER = {"link": 0, "create": 1, "update": 2, "archive": 3}


def keys(precoro_id: str = "", xero_id: str = "") -> dict[str, str]:
    """Action keys: whichever ids exist."""
    return {k: v for k, v in (("precoro_id", precoro_id), ("xero_id", xero_id)) if v}


def record_values(df: pd.DataFrame, names: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    """Canonical string values of ``names`` for every row of ``df`` (one dict per row)."""
    cols = {n: fields.text(df[n]) for n in names}
    return [{n: str(cols[n][i]) for n in names} for i in range(len(df))]


def lines_by_doc(lines: pd.DataFrame, doc_ids: np.ndarray, names: tuple[str, ...]) -> dict[str, list[dict[str, str]]]:
    """Lines (as canonical strings, ordered by ``line_no``) of the documents ``doc_ids``, keyed by doc id."""
    doc = lines["doc_id"].astype("string").fillna("")
    sub = lines[doc.isin(pd.Index(doc_ids, dtype=object)).to_numpy()]
    if sub.empty:
        return {}
    sub = sub.assign(_n=sub["line_no"].astype("Int64").fillna(0)).sort_values(["doc_id", "_n"], kind="stable")
    values = record_values(sub, ("line_no", *names))
    out: dict[str, list[dict[str, str]]] = {}
    for d, v in zip(sub["doc_id"].astype("string").tolist(), values):
        out.setdefault(str(d), []).append(v)
    return out


def field_actions(rule: Rule, diffs: pd.DataFrame, p: pd.DataFrame, x: pd.DataFrame,
                  line_values: dict[str, dict[str, list[dict[str, str]]]]) -> tuple[list[Action], np.ndarray]:
    """Actions for the field differences of linked pairs, and the ``action`` column for each diff row.

    ``line_values`` holds, for documents, ``{"precoro": {doc id: lines}, "xero": {doc id: lines}}``.
    """
    action_col = np.full(len(diffs), "none", dtype=object)
    actions: list[Action] = []
    if diffs.empty:
        return actions, action_col
    movable = diffs["direction"].isin(list(TARGET)).to_numpy()
    targets = diffs["direction"].map(TARGET).to_numpy(dtype=object)
    allowed = np.array([t in rule.update_on if isinstance(t, str) else False for t in targets]) & movable
    work = diffs[allowed]
    if work.empty:
        return actions, action_col
    pid = fields.text(p["id"])
    xid = fields.text(x["id"])
    plab, xlab = labels(rule, p, x)
    is_doc = rule.lines is not None
    xstatus = fields.text(x["status"]) if is_doc else None
    for (pi, xi, direction), group in work.groupby(["p", "x", "direction"], sort=True):
        target = TARGET[direction]
        src_col, tgt_col = ("precoro_value", "xero_value") if target == "xero" else ("xero_value", "precoro_value")
        k = keys(pid[pi], xid[xi])
        label = plab[pi] or xlab[xi]
        reason = "; ".join(sorted(set(group["reason"])))
        idx = group.index.to_numpy()
        names = group["field"].to_numpy(dtype=object)
        is_active = names == "active"
        for row in idx[is_active]:
            turn_off = diffs.at[row, src_col] == "false"
            if turn_off:
                new = {"status": rule.cancel_status} if is_doc else {"active": "false"}
                old = {"status": str(xstatus[xi])} if xstatus is not None else {"active": "true"}
                actions.append(Action(rule.kind, target, "archive", k, new, old, reason,
                                      str(diffs.at[row, "kind"]), label))
                action_col[diffs.index.get_loc(row)] = "archive"
            elif not is_doc:
                actions.append(Action(rule.kind, target, "update", k, {"active": "true"}, {"active": "false"},
                                      reason, str(diffs.at[row, "kind"]), label))
                action_col[diffs.index.get_loc(row)] = "update"
        rest = idx[~is_active & ~np.isin(names, DOC_TOTALS)]
        if not len(rest):
            continue
        new: dict[str, Any] = {}
        old: dict[str, Any] = {}
        for row in rest:
            name = str(diffs.at[row, "field"])
            if name.startswith("lines["):
                continue
            new[name] = str(diffs.at[row, src_col])
            old[name] = str(diffs.at[row, tgt_col])
        if any(str(diffs.at[r, "field"]).startswith("lines[") for r in rest):
            new["lines"] = line_values["precoro"].get(pid[pi], [])
            old["lines"] = line_values["xero"].get(xid[xi], [])
        kinds = set(group.loc[rest, "kind"])
        difference = next((d for d in ("conflict", "blocked_edit", "mismatch") if d in kinds), "mismatch")
        actions.append(Action(rule.kind, target, "update", k, new, old, reason, difference, label))
        positions = diffs.index.get_indexer(rest)
        action_col[positions] = "update"
        if is_doc:
            # totals follow from the lines Xero recomputes: they travel with the update, not as fields
            totals = group.index[np.isin(names, DOC_TOTALS) & (group["kind"] != "rounding").to_numpy()]
            action_col[diffs.index.get_indexer(totals)] = "update"
    return actions, action_col


def labels(rule: Rule, p: pd.DataFrame, x: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """What people see for each record: the rule's label column, else the id."""
    def one(df: pd.DataFrame) -> np.ndarray:
        lab = fields.text(df[rule.label])
        ids = fields.text(df["id"])
        return np.where(lab == "", ids, lab).astype(object)
    return one(p), one(x)


def sort_actions(actions: list[Action]) -> tuple[Action, ...]:
    """Dependency order (kinds, then link/create/update/archive), then a stable content order; duplicates go."""
    order = {k: i for i, k in enumerate(schema.KINDS)}
    unique = {a.id: a for a in actions}
    return tuple(sorted(unique.values(), key=lambda a: (order[a.kind], _OP_ORDER[a.op], a.target, a.label, a.id)))
