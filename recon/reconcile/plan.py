"""Turning differences into actions (the content contract is documented in docs/reconcile.md).

Values in ``Action.new``/``old`` are canonical strings keyed by canonical column names; ``keys`` holds
``precoro_id`` and/or ``xero_id``. Loops here run over *actions* (records that differ), never over all records.
"""

from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recon import money, schema
from recon.reconcile import fields
from recon.reconcile.model import Action, actions_of, json_string, string_dict_text
from recon.rules import DOC_TOTALS, RULES, Rule

TARGET = {"to_xero": "xero", "to_precoro": "precoro"}
_OP_ORDER = {"link": 0, "create": 1, "update": 2, "archive": 3}
# Kinds the target replaces (payments): a cancel frees what a create needs (Precoro refuses a payment that would
# overpay its invoice, so a payment deleted in Xero and recorded again is cancelled before the new one is made).
_CANCEL_FIRST = {"link": 0, "archive": 1, "update": 2, "create": 3}


def keys(precoro_id: str = "", xero_id: str = "") -> dict[str, str]:
    """Action keys: whichever ids exist."""
    return {k: v for k, v in (("precoro_id", precoro_id), ("xero_id", xero_id)) if v}


def record_values(df: pd.DataFrame, names: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    """Canonical string values of ``names`` for every row of ``df`` (one dict per row). Equal values of a column
    are one Python string: the dicts of document lines stay in the plan, and their accounts, tax types, units
    and quantities repeat from line to line."""
    cols = {n: _shared(fields.text(df[n])) for n in names}
    return [{n: cols[n][i] for n in names} for i in range(len(df))]


def _shared(values: np.ndarray) -> list[str]:
    """``values`` as ``str``, each distinct value one object."""
    seen: dict[str, str] = {}
    return [seen.setdefault(v, v) for v in map(str, values.tolist())]


def lines_by_doc(lines: pd.DataFrame, doc_ids: np.ndarray, names: tuple[str, ...]) -> dict[str, list[dict[str, str]]]:
    """Lines (as canonical strings, ordered by ``line_no``) of the documents ``doc_ids``, keyed by doc id."""
    sub = lines.take(_rows_of_docs(lines["doc_id"], doc_ids))
    if sub.empty:
        return {}
    sub = sub.assign(_n=sub["line_no"].astype("Int64").fillna(0)).sort_values(["doc_id", "_n"], kind="stable")
    values = record_values(sub, ("line_no", *names))
    out: dict[str, list[dict[str, str]]] = {}
    for d, v in zip(sub["doc_id"].astype("string").tolist(), values):
        out.setdefault(str(d), []).append(v)
    return out


def _rows_of_docs(doc_column: pd.Series, doc_ids: np.ndarray) -> np.ndarray:
    """Positions of the lines whose document (its id as text, ``""`` when missing) is one of ``doc_ids``: found by
    Arrow's hash kernel on the id text. The ~10^3 documents asked for have ~10^4 lines among a million; the
    pandas ``isin`` on the column made as filled strings copied the million ids first, once per side and kind."""
    values = [str(d) for d in np.asarray(doc_ids, dtype=object).tolist()]
    if not values or not len(doc_column):
        return np.zeros(0, dtype=np.int64)
    ids = pc.fill_null(money.arrow_array(doc_column.astype("string")), "")
    found = pc.is_in(ids, value_set=pa.array(values, type=pa.string()))
    return np.flatnonzero(found.to_numpy(zero_copy_only=False))


def field_actions(sides: "Sides", diffs: pd.DataFrame, line_values: dict[str, dict[str, list[dict[str, str]]]],
                  columnar: bool = True) -> tuple[list[Action], np.ndarray]:
    """Actions for the field differences of linked pairs, and the ``action`` column for each diff row.

    One ``update`` per record and target with every changed field; ``active`` turning false is an ``archive``
    of its own. ``line_values`` holds, for documents, ``{"precoro": {doc id: lines}, "xero": {doc id: lines}}``.
    ``columnar``: a record other than a document with one differing field (nearly all) is made a column at a time
    (``False``: every record by the general loop, the same actions in the same order; for tests).
    """
    rule = sides.rule
    # one "none" for every row: ``np.full`` with a string makes a copy of it per row (~10^5 in a large run)
    action_col = np.empty(len(diffs), dtype=object)
    action_col.fill("none")
    if diffs.empty:
        return [], action_col
    direction = diffs["direction"].to_numpy(dtype=object)
    allowed = np.zeros(len(diffs), dtype=bool)
    for d, system in TARGET.items():
        if system in rule.update_on:
            allowed |= direction == d
    rows = np.flatnonzero(allowed)
    if not len(rows):
        return [], action_col
    p_all, x_all = diffs["p"].to_numpy(), diffs["x"].to_numpy()
    at_p, at_x = p_all[rows], x_all[rows]
    rows = rows[np.lexsort((direction[rows].astype(str), at_x, at_p))]
    # one group per record and direction: where (p, x, direction) changes along the sorted rows
    change = np.ones(len(rows), dtype=bool)
    change[1:] = ((p_all[rows][1:] != p_all[rows][:-1]) | (x_all[rows][1:] != x_all[rows][:-1])
                  | (direction[rows][1:] != direction[rows][:-1]))
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], len(rows))
    # ids and labels of the records of the rows that make actions (read by diff row below; a document's ~10^5
    # rounding rows make none, and their records' ids and labels were as many Python strings)
    ids = tuple(_at_rows(values, rows, len(diffs)) for values in
                (sides.pid[p_all[rows]], sides.xid[x_all[rows]], _record_labels(sides, p_all[rows], x_all[rows])))
    fast = np.zeros(len(starts), dtype=bool)
    if columnar and rule.lines is None:
        fast = (ends - starts == 1) & _one_field(rule, diffs["field"].to_numpy(dtype=object)[rows[starts]],
                                                  direction[rows[starts]])
    made = _single_field_actions(rule, diffs, rows[starts[fast]], ids, action_col)
    slow = np.flatnonzero(~fast)
    rest, at = _group_actions(sides, diffs, [rows[s:e].tolist() for s, e in zip(starts[slow], ends[slow])], ids,
                              line_values, action_col)
    if not rest:
        return made, action_col
    if not made:
        return rest, action_col
    # in the order of the groups, as one loop over them makes them
    together = made + rest
    order = np.argsort(np.concatenate([np.flatnonzero(fast), slow[at]]), kind="stable")
    return [together[i] for i in order.tolist()], action_col


def _at_rows(values: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """An object array of ``n`` holding ``values`` at ``rows`` (``None`` elsewhere, never read)."""
    out = np.empty(n, dtype=object)
    out[rows] = values
    return out


def _one_field(rule: Rule, field: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Which records' one differing field makes exactly one action without looking at other fields: any field
    but totals, lines and, for Xero, a field of a group that is written whole (an address)."""
    # the few distinct field names looked at once each
    other = [f for f in set(field.tolist()) if f in DOC_TOTALS or str(f).startswith("lines[")]
    ok = ~np.isin(field, other) if other else np.ones(len(field), dtype=bool)
    grouped = [g for group in rule.xero_groups for g in group]
    if grouped:
        ok &= ~((direction == "to_xero") & np.isin(field, grouped))
    return ok


_ACTIVE = {"false": '{"active":"false"}', "true": '{"active":"true"}'}
_DIFFERENCES = ("conflict", "blocked_edit", "mismatch", "rounding")


def _single_field_actions(rule: Rule, diffs: pd.DataFrame, rows: np.ndarray, ids: tuple[np.ndarray, ...],
                          action_col: np.ndarray) -> list[Action]:
    """The one action of each record of ``rows`` (diff rows, one per record: its only differing field), a
    column at a time: what :func:`_group_actions` makes of a group of one row."""
    if not len(rows):
        return []
    pid, xid, record_labels = (v[rows] for v in ids)
    to_xero = diffs["direction"].to_numpy(dtype=object)[rows] == "to_xero"
    target = np.where(to_xero, "xero", "precoro").astype(object)
    pv, xv = diffs["precoro_value"].to_numpy(dtype=object)[rows], diffs["xero_value"].to_numpy(dtype=object)[rows]
    src, tgt = np.where(to_xero, pv, xv), np.where(to_xero, xv, pv)
    name = list(map(str, diffs["field"].to_numpy(dtype=object)[rows].tolist()))
    kind = diffs["kind"].to_numpy(dtype=object)[rows].tolist()
    is_active = [n == "active" for n in name]
    archive = [a and s == "false" for a, s in zip(is_active, src.tolist())]
    op = ["archive" if a else "update" for a in archive]
    action_col[rows] = np.array(op, dtype=object)
    src_text, tgt_text = list(map(str, src.tolist())), list(map(str, tgt.tolist()))
    new, old, new_text, old_text = [], [], [], []
    quoted = {n: json_string(n) for n in set(name)}
    for n, a, is_archive, s, t in zip(name, is_active, archive, src_text, tgt_text):
        if a:
            # an archive, or a reactivation (which, alone, carries no other edits)
            s, t = ("false", "true") if is_archive else ("true", "false")
            new.append({"active": s})
            old.append({"active": t})
            new_text.append(_ACTIVE[s])
            old_text.append(_ACTIVE[t])
        else:
            new.append({n: s})
            old.append({n: t})
            new_text.append("{%s:%s}" % (quoted[n], json_string(s)))
            old_text.append("{%s:%s}" % (quoted[n], json_string(t)))
    difference = [str(k) if a else (k if k in _DIFFERENCES else "mismatch") for k, a in zip(kind, is_active)]
    keys_, keys_text = key_dicts(pid, xid)
    label = list(map(str, record_labels.tolist()))
    reason = list(map(str, diffs["reason"].to_numpy(dtype=object)[rows].tolist()))
    return actions_of(rule.kind, target.tolist(), op, keys_, new, old, reason, difference, label,
                      texts=(keys_text, new_text, old_text))


def _record_labels(sides: "Sides", p_pos: np.ndarray, x_pos: np.ndarray) -> np.ndarray:
    """The label of each pair: the Precoro record's, else the Xero record's (read only where needed)."""
    out = sides.plab[p_pos]
    blank = np.flatnonzero(out == "")
    if len(blank):
        out[blank] = sides.xlab[x_pos[blank]]
    return out


def key_dicts(pid: np.ndarray, xid: np.ndarray) -> tuple[list[dict[str, str]], list[str]]:
    """:func:`keys` of each pair of ids, and their canonical JSON."""
    dicts, texts = [], []
    for p, x in zip(pid.tolist(), xid.tolist()):
        if p and x:
            dicts.append({"precoro_id": p, "xero_id": x})
            texts.append('{"precoro_id":%s,"xero_id":%s}' % (json_string(p), json_string(x)))
        else:
            k = keys(p, x)
            dicts.append(k)
            texts.append(string_dict_text(k))
    return dicts, texts


def _group_actions(sides: "Sides", diffs: pd.DataFrame, groups: list[list[int]], ids: tuple[np.ndarray, ...],
                   line_values: dict[str, dict[str, list[dict[str, str]]]],
                   action_col: np.ndarray) -> tuple[list[Action], list[int]]:
    """The actions of each group of diff rows (one record, one direction), and for each action its group."""
    rule, x = sides.rule, sides.x
    pid, xid, record_labels = ids
    direction = diffs["direction"].to_numpy(dtype=object)
    x_all = diffs["x"].to_numpy()
    # the grouped rows' values by row, in plain dicts: the loop reads them one by one (numpy object arrays make
    # that slow), and the rows not grouped (a document's ~10^5 rounding rows, which make no action) are never
    # made Python strings
    read = np.unique(np.fromiter((r for group in groups for r in group), dtype=np.int64)) if groups \
        else np.zeros(0, dtype=np.int64)
    col = {c: dict(zip(read.tolist(), diffs[c].take(read).to_numpy(dtype=object).tolist()))
           for c in ("field", "precoro_value", "xero_value", "kind", "reason")}
    group_text: dict[str, np.ndarray] = {}
    is_doc = rule.lines is not None
    # Xero's status of every document, made the first time a document is archived (rare; ~10^5 strings otherwise)
    xstatus: np.ndarray | None = None
    pending: list[tuple[Any, ...]] = []
    owner: list[int] = []
    marked: list[int] = []  # rows whose action is the update: set once, not per record
    for at, group in enumerate(groups):
        r0 = group[0]
        xi, target = x_all[r0], TARGET[direction[r0]]
        src, tgt = ("precoro_value", "xero_value") if target == "xero" else ("xero_value", "precoro_value")
        k = keys(pid[r0], xid[r0])
        label = str(record_labels[r0])
        reason = "; ".join(sorted({str(col["reason"][r]) for r in group}))
        new: dict[str, Any] = {}
        old: dict[str, Any] = {}
        updated, totals, kinds = [], [], set()
        for r in group:
            name = str(col["field"][r])
            if name == "active":
                if col[src][r] == "false":
                    archive_new = {"status": rule.cancel_status} if is_doc else {"active": "false"}
                    if is_doc and xstatus is None:
                        xstatus = fields.text(x["status"])
                    archive_old = {"status": str(xstatus[xi])} if xstatus is not None else {"active": "true"}
                    pending.append((target, "archive", k, archive_new, archive_old, reason, str(col["kind"][r]),
                                    label))
                    owner.append(at)
                    action_col[r] = "archive"
                elif target in rule.replaced_on:
                    # recreated, with the other fields that differ: one replacement (one decision), not two
                    new["active"], old["active"] = "true", "false"
                    updated.append(r)
                    kinds.add(col["kind"][r])
                elif not is_doc:
                    # a deleted Xero document cannot be restored; other records are reactivated
                    pending.append((target, "update", k, {"active": "true"}, {"active": "false"}, reason,
                                    str(col["kind"][r]), label))
                    owner.append(at)
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
            for fields_of_group in rule.xero_groups:
                if any(g in new for g in fields_of_group):
                    for g in fields_of_group:
                        if g not in new:
                            if g not in group_text:
                                group_text[g] = fields.text(x[g].iloc[x_all])
                            new[g] = old[g] = group_text[g][r0]
        difference = next((d for d in _DIFFERENCES if d in kinds), "mismatch")
        pending.append((target, "update", k, new, old, reason, difference, label))
        owner.append(at)
        # totals follow from the lines Xero recomputes: they travel with the update, not as fields
        marked += updated + totals
    action_col[marked] = "update"
    if not pending:
        return [], owner
    # made together, in the order found: the encoder and the hashing without a dataclass __init__ per action
    target_, op_, keys_, new_, old_, reason_, difference_, label_ = map(list, zip(*pending))
    # records' values are strings (documents' may hold their lines): their JSON by template
    texts = None if is_doc else tuple(list(map(string_dict_text, v)) for v in (keys_, new_, old_))
    return actions_of(rule.kind, target_, op_, keys_, new_, old_, reason_, difference_, label_, texts=texts), owner


def labels(rule: Rule, df: pd.DataFrame) -> np.ndarray:
    """What people see for each record: the rule's label column, else the id."""
    if fields.is_arrow_text(df[rule.label]) and fields.is_arrow_text(df["id"]):
        return _label_text(pa.array(df[rule.label]), pa.array(df["id"]))
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
        self.pid = Strings(lambda pos: _text_at(p["id"], pos), len(p))
        self.xid = Strings(lambda pos: _text_at(x["id"], pos), len(x))
        self.plab = Strings(lambda pos: _labels_at(rule, p, pos), len(p))
        self.xlab = Strings(lambda pos: _labels_at(rule, x, pos), len(x))


def _text_at(series: pd.Series, pos: np.ndarray) -> np.ndarray:
    """``fields.text(series.iloc[pos])``; for Arrow strings taken in Arrow (no pandas Series on the way)."""
    if not fields.is_arrow_text(series):
        return fields.text(series.iloc[pos])
    return np.asarray(pc.fill_null(pa.array(series).take(pa.array(pos)), "").to_numpy(zero_copy_only=False),
                      dtype=object)


def _labels_at(rule: Rule, df: pd.DataFrame, pos: np.ndarray) -> np.ndarray:
    """``labels(rule, df.iloc[pos])``; for Arrow strings in Arrow (pandas' string methods cost several times
    more at the ~10^4 positions of the records that differ)."""
    label, ids = df[rule.label], df["id"]
    if not (fields.is_arrow_text(label) and fields.is_arrow_text(ids)):
        return labels(rule, df[list(dict.fromkeys([rule.label, "id"]))].iloc[pos])
    at = pa.array(pos)
    return _label_text(pa.array(label).take(at), pa.array(ids).take(at))


def _label_text(label: Any, ids: Any) -> np.ndarray:
    """:func:`labels` of Arrow strings, in Arrow (pandas' string methods cost several times more)."""
    lab, idv = pc.fill_null(label, ""), pc.fill_null(ids, "")
    return np.asarray(pc.if_else(pc.not_equal(lab, ""), lab, idv).to_numpy(zero_copy_only=False), dtype=object)


def sort_actions(actions: list[Action]) -> tuple[Action, ...]:
    """Dependency order (kinds, then link/create/update/archive), then a stable content order; duplicates go."""
    order = {k: i for i, k in enumerate(schema.KINDS)}
    unique = {a.id: a for a in actions}
    # the order of (kind, operation, target, label, id): the few (kind, operation, target) groups in their order,
    # each sorted by label and id with a key made in C (a Python key function per action cost more than the sort)
    groups: dict[tuple[str, str, str], list[Action]] = {}
    for a in unique.values():
        groups.setdefault((a.kind, a.op, a.target), []).append(a)
    out: list[Action] = []
    ops = {k: _CANCEL_FIRST if RULES[k].replaced_on else _OP_ORDER for k in order}
    for group in sorted(groups, key=lambda g: (order[g[0]], ops[g[0]][g[1]], g[2])):
        out += sorted(groups[group], key=_LABEL_ID)
    return tuple(out)


_LABEL_ID = operator.attrgetter("label", "id")
