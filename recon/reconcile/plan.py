"""Turning differences into actions (the content contract is documented in docs/reconcile.md).

Values in ``Action.new``/``old`` are canonical strings keyed by canonical column names; ``keys`` holds
``precoro_id`` and/or ``xero_id``. Loops here run over *actions* (records that differ), never over all records.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd

from recon import schema
from recon.reconcile import fields
from recon.reconcile.model import Action, actions_of, string_dict_text
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


def field_actions(sides: "Sides", diffs: pd.DataFrame,
                  line_values: dict[str, dict[str, list[dict[str, str]]]]) -> tuple[list[Action], np.ndarray]:
    """Actions for the field differences of linked pairs, and the ``action`` column for each diff row.

    One ``update`` per record and target with every changed field; ``active`` turning false is an ``archive``
    of its own. ``line_values`` holds, for documents, ``{"precoro": {doc id: lines}, "xero": {doc id: lines}}``.
    """
    rule, x = sides.rule, sides.x
    action_col = np.full(len(diffs), "none", dtype=object)
    actions: list[Action] = []
    if diffs.empty:
        return actions, action_col
    direction = diffs["direction"].to_numpy(dtype=object)
    allowed = np.array([TARGET.get(d) in rule.update_on for d in direction], dtype=bool)
    rows = np.flatnonzero(allowed)
    if not len(rows):
        return actions, action_col
    pp, xx = diffs["p"].to_numpy()[rows], diffs["x"].to_numpy()[rows]
    rows = rows[np.lexsort((direction[rows].astype(str), xx, pp))]
    # plain lists: the loop below reads them element by element, which numpy object arrays make slow
    col = {c: diffs[c].to_numpy(dtype=object).tolist() for c in ("field", "precoro_value", "xero_value", "kind", "reason")}
    p_all, x_all = diffs["p"].to_numpy(), diffs["x"].to_numpy()
    # ids and labels of the diff rows' records (read by diff row below)
    pid, xid, plab, xlab = sides.pid[p_all], sides.xid[x_all], sides.plab[p_all], sides.xlab[x_all]
    group_text: dict[str, np.ndarray] = {}
    is_doc = rule.lines is not None
    xstatus = fields.text(x["status"]) if is_doc else None
    # one group per record and direction: where (p, x, direction) changes along the sorted rows
    change = np.ones(len(rows), dtype=bool)
    change[1:] = ((p_all[rows][1:] != p_all[rows][:-1]) | (x_all[rows][1:] != x_all[rows][:-1])
                  | (direction[rows][1:] != direction[rows][:-1]))
    bounds = np.append(np.flatnonzero(change), len(rows)).tolist()
    rows_list = rows.tolist()
    pending: list[tuple[Any, ...]] = []
    marked: list[int] = []  # rows whose action is the update: set once, not per record
    for start, end in zip(bounds[:-1], bounds[1:]):
        group = rows_list[start:end]
        r0 = group[0]
        xi, target = x_all[r0], TARGET[direction[r0]]
        src, tgt = ("precoro_value", "xero_value") if target == "xero" else ("xero_value", "precoro_value")
        k = keys(pid[r0], xid[r0])
        label = str(plab[r0] or xlab[r0])
        reason = "; ".join(sorted({str(col["reason"][r]) for r in group}))
        new: dict[str, Any] = {}
        old: dict[str, Any] = {}
        updated, totals, kinds = [], [], set()
        for r in group:
            name = str(col["field"][r])
            if name == "active":
                if col[src][r] == "false":
                    archive_new = {"status": rule.cancel_status} if is_doc else {"active": "false"}
                    archive_old = {"status": str(xstatus[xi])} if xstatus is not None else {"active": "true"}
                    pending.append((target, "archive", k, archive_new, archive_old, reason, str(col["kind"][r]),
                                    label))
                    action_col[r] = "archive"
                elif not is_doc:
                    # a deleted Xero document cannot be restored; other records are reactivated
                    pending.append((target, "update", k, {"active": "true"}, {"active": "false"}, reason,
                                    str(col["kind"][r]), label))
                    action_col[r] = "update"
            elif name in DOC_TOTALS:
                if col["kind"][r] != "rounding":
                    totals.append(r)
            elif name.startswith("lines["):
                new["lines"] = line_values["precoro"].get(pid[r0], [])
                old["lines"] = line_values["xero"].get(xid[r0], [])
                updated.append(r)
                kinds.add(col["kind"][r])
            else:
                new[name], old[name] = str(col[src][r]), str(col[tgt][r])
                updated.append(r)
                kinds.add(col["kind"][r])
        if not updated:
            continue
        if target == "xero":
            for group in rule.xero_groups:
                if any(g in new for g in group):
                    for g in group:
                        if g not in new:
                            if g not in group_text:
                                group_text[g] = fields.text(x[g].iloc[x_all])
                            new[g] = old[g] = group_text[g][r0]
        difference = next((d for d in ("conflict", "blocked_edit", "mismatch", "rounding") if d in kinds), "mismatch")
        pending.append((target, "update", k, new, old, reason, difference, label))
        # totals follow from the lines Xero recomputes: they travel with the update, not as fields
        marked += updated + totals
    action_col[marked] = "update"
    if pending:
        # made together, in the order found: the encoder and the hashing without a dataclass __init__ per action
        target_, op_, keys_, new_, old_, reason_, difference_, label_ = map(list, zip(*pending))
        # records' values are strings (documents' may hold their lines): their JSON by template
        texts = None if is_doc else tuple(list(map(string_dict_text, v)) for v in (keys_, new_, old_))
        actions = actions_of(rule.kind, target_, op_, keys_, new_, old_, reason_, difference_, label_, texts=texts)
    return actions, action_col


def labels(rule: Rule, df: pd.DataFrame) -> np.ndarray:
    """What people see for each record: the rule's label column, else the id."""
    lab = df[rule.label].astype("string").fillna("")
    return lab.where(lab != "", df["id"].astype("string").fillna("")).to_numpy(dtype=object)


class Strings:
    """Canonical strings of one column of a frame, made at the positions asked for (an integer array): reconcile
    reads the ids and labels of the ~10^4 records that differ, and a Python string for each of ~10^5 records
    cost more than the rest of the plan's lookups."""

    def __init__(self, make: Callable[[np.ndarray], np.ndarray], n: int) -> None:
        self._make, self._n = make, n

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, positions: np.ndarray) -> np.ndarray:
        positions = np.asarray(positions)
        if positions.ndim != 1 or (len(positions) and positions.dtype.kind not in "iu"):
            raise TypeError("Strings are read at an array of positions")
        return self._make(positions.astype(np.int64))


class Sides:
    """The two frames of one kind with their ids and labels, read at the positions asked for."""

    def __init__(self, rule: Rule, p: pd.DataFrame, x: pd.DataFrame) -> None:
        self.rule, self.p, self.x = rule, p, x
        label_columns = list(dict.fromkeys([rule.label, "id"]))
        self.pid = Strings(lambda pos: fields.text(p["id"].iloc[pos]), len(p))
        self.xid = Strings(lambda pos: fields.text(x["id"].iloc[pos]), len(x))
        self.plab = Strings(lambda pos: labels(rule, p[label_columns].iloc[pos]), len(p))
        self.xlab = Strings(lambda pos: labels(rule, x[label_columns].iloc[pos]), len(x))


def sort_actions(actions: list[Action]) -> tuple[Action, ...]:
    """Dependency order (kinds, then link/create/update/archive), then a stable content order; duplicates go."""
    order = {k: i for i, k in enumerate(schema.KINDS)}
    unique = {a.id: a for a in actions}
    return tuple(sorted(unique.values(), key=lambda a: (order[a.kind], _OP_ORDER[a.op], a.target, a.label, a.id)))
