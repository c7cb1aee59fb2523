"""The reconcile entry point: snapshot (+ links, baselines) in, :class:`Reconciliation` out.

Pure: no I/O, no clock; the run id is injected. Per kind: link, three-way diff of linked pairs (documents:
header, lines and the rounding analysis), then records on one side only, then the plan.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as arrow_compute

from recon import money, schema
from recon.errors import DataError
from recon.reconcile import diff, documents, fields, locks, model, plan, replaced, rounding
from recon.reconcile.link import Linkage, duplicates_both_ways, link
from recon.reconcile.model import DIFF_COLUMNS, DIFF_KINDS, Action, Agreed, Plan, Reconciliation
from recon.schema import LINE_FRAMES
from recon.rules import ORDER, SENDABLE_STATUSES, TWO_WAY, Rule, rule as get_rule
from recon.snapshot import Snapshot

_ROW_COLUMNS = tuple(c for c in DIFF_COLUMNS if c != "run_id")
_NAMES = {"precoro": "Precoro", "xero": "Xero"}


@dataclass
class _KindResult:
    rows: list[pd.DataFrame] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    rounding: pd.DataFrame | None = None
    agreed: list[Agreed] = field(default_factory=list)


def reconcile(snapshot: Snapshot, kinds: Iterable[str] = ORDER, links: pd.DataFrame | None = None,
              baselines: Mapping[str, pd.DataFrame] | None = None, run_id: str = "") -> Reconciliation:
    """Reconcile ``kinds`` of ``snapshot``.

    ``links``: the state store's link table (kind, precoro_id, xero_id). ``baselines``: per kind the canonical
    frame of values both sides agreed on at the last sync, keyed by ``xero_id`` (document lines: per lines frame
    name, keyed by ``doc_id`` = Xero document id and ``line_no``). The output is deterministic.
    """
    chosen = [k for k in ORDER if k in set(kinds)]
    for k in kinds:
        get_rule(k)  # unknown kinds fail loudly
    baselines = {k: _baseline_frame(df, k) for k, df in (baselines or {}).items() if df is not None}
    _check_inputs(snapshot, chosen, links, baselines)
    snapshot = _conformed(snapshot)
    results = {k: _reconcile_kind(get_rule(k), snapshot, links, baselines, snapshot.meta or {}) for k in chosen}
    rows = [r for res in results.values() for r in res.rows]
    actions = plan.sort_actions(locks.mark_locked([a for res in results.values() for a in res.actions],
                                                  snapshot.meta or {}, {k: snapshot.frame("xero", k) for k in
                                                                        locks.DOCUMENTS if k in chosen}))
    differences = _locked_rows(_finish_rows(rows, run_id), actions)
    summary = pd.DataFrame([{"object": k, **res.summary} for k, res in results.items()],
                           columns=["object", "precoro", "xero", "linked", "equal", *DIFF_KINDS, "actions"])
    rnd = [res.rounding for res in results.values() if res.rounding is not None]
    rounding_frame = (pd.concat([rounding.expanded(r) for r in rnd], ignore_index=True) if rnd
                      else pd.DataFrame({c: pd.Series([], dtype=object) for c in rounding.ROUNDING_COLUMNS}))
    agreed = tuple(a for res in results.values() for a in res.agreed)
    return Reconciliation(differences=differences, plan=Plan(run_id=run_id, kinds=tuple(chosen), actions=actions),
                          summary=summary, rounding=rounding_frame,
                          settings_check=rounding.settings_check(snapshot.meta or {}), agreed=agreed)


def _locked_rows(differences: pd.DataFrame, actions: tuple[Action, ...]) -> pd.DataFrame:
    """The differences whose action is in a locked period say so (the plan holds the accountant's choice)."""
    reasons = locks.locked_reasons(actions)
    if not reasons or differences.empty:
        return differences
    for key in ("precoro_id", "xero_id"):
        found = pd.Series(list(zip(differences["object"], differences[key]))).map(reasons)
        hit = (found.notna() & (differences["action"] != "none")).to_numpy()
        differences.loc[hit, "reason"] = found[hit].to_numpy()
    return differences


def _conformed(snapshot: Snapshot) -> Snapshot:
    """The snapshot with every frame in the canonical dtypes (frames a fetch made already are: they are kept
    as they are; frames built by hand, with ``Decimal`` objects say, are converted once here)."""
    if all(schema.is_conformed(df, frame) for (_, frame), df in snapshot.frames.items() if frame in schema.FRAMES):
        return snapshot
    frames = {(system, frame): df if frame not in schema.FRAMES or schema.is_conformed(df, frame)
              else schema.conform(df, frame, system=system) for (system, frame), df in snapshot.frames.items()}
    return Snapshot(frames=frames, raw=snapshot.raw, meta=snapshot.meta)


def _baseline_frame(df: pd.DataFrame, frame: str) -> pd.DataFrame:
    """A baseline conformed to the canonical schema (a baseline of plain strings would compare "12.50" with
    Decimal("12.5000") as different values), keeping which fields it knows: the ``BASELINE_FIELDS`` column
    when it has one, else the columns it was given (a column it lacks is unknown, not empty)."""
    if frame not in schema.FRAMES:
        return df  # _check_inputs names it
    known = df[schema.BASELINE_FIELDS] if schema.BASELINE_FIELDS in df.columns else None
    core = df.drop(columns=[schema.BASELINE_FIELDS]) if known is not None else df
    if not schema.is_conformed(core, frame):
        given = [c for c in schema.columns(frame) if c in core.columns]
        core = schema.conform(core, frame)
        if known is None and len(given) < len(schema.columns(frame)):
            known = pd.Series(" ".join(given), index=core.index, dtype="string")
    if known is None:
        return core
    # categorical: a few distinct lists of fields over ~10^5 records, held through the whole reconcile and taken
    # at the pairs' rows (as text, ~12 MiB at 96,000 suppliers and as much again for each take)
    return core.assign(**{schema.BASELINE_FIELDS: pd.Categorical(pd.array(known.to_numpy(), dtype="string"))})


def _check_inputs(snapshot: Snapshot, kinds: list[str], links: pd.DataFrame | None,
                  baselines: Mapping[str, pd.DataFrame]) -> None:
    """Frames must carry the canonical columns: say which system, frame and columns when they do not."""
    for kind in kinds:
        frames = [kind, *([LINE_FRAMES[kind]] if kind in LINE_FRAMES else []), *(["bill"] if kind == "payment" else [])]
        for system in ("precoro", "xero"):
            for frame in frames:
                _require(snapshot.frame(system, frame), schema.columns(frame), system, frame)
    for name, frame in baselines.items():
        if name not in schema.FRAMES:
            raise DataError(f"baseline for unknown frame {name!r}", kind=name)
        _require(frame, schema.columns(name), "baseline", name)
    if links is not None and len(links):
        _require(links, ["kind", "precoro_id", "xero_id"], "state", "links")


def _require(df: pd.DataFrame, names: list[str], system: str, frame: str) -> None:
    missing = [c for c in names if c not in df.columns]
    if missing:
        raise DataError(f"missing canonical columns {missing}", system=system, kind=frame)


def _finish_rows(rows: list[pd.DataFrame], run_id: str) -> pd.DataFrame:
    """All kinds' difference rows as one frame of object columns (missing values ``""``), in the order of the
    kinds, then ids, field, kind and action (stable)."""
    rows = [r for r in rows if len(r)]
    if not rows:
        return _finish_rows_frame([], run_id)
    # the columns joined and sorted in numpy: the same rows in the same order as pandas' concat, astype,
    # fillna and stable multi-column sort, for a fraction of the cost at ~10^4 rows
    columns: dict[str, np.ndarray] = {}
    for c in _ROW_COLUMNS:
        values = np.concatenate([r[c].to_numpy(dtype=object) for r in rows])
        missing = pd.isna(values)
        if missing.any():
            values[missing] = ""
        columns[c] = values
    order = {k: i for i, k in enumerate(ORDER)}
    kind_order = np.array([order[k] for k in columns["object"].tolist()], dtype=np.int64)
    at = np.lexsort((columns["action"], columns["kind"], columns["field"], columns["xero_id"], columns["precoro_id"],
                     kind_order))
    n = len(kind_order)
    # each column reordered as its source is let go, and handed to the frame as it is: pandas 3 copies a numpy
    # array into a Series and a dict of Series into a frame unless told not to, and the sources, the reordered
    # columns and those two copies together were ~45 MiB of pointers at 10^6 lines, the bills' last peak
    data = {"run_id": fields.filled(n, run_id), **{c: columns.pop(c)[at] for c in _ROW_COLUMNS}}
    return pd.DataFrame({c: pd.Series(data.pop(c), dtype=object, copy=False) for c in DIFF_COLUMNS}, copy=False)


def _finish_rows_frame(rows: list[pd.DataFrame], run_id: str) -> pd.DataFrame:
    if rows:
        df = pd.concat([r for r in rows if len(r)] or [rows[0]], ignore_index=True)
    else:
        df = pd.DataFrame({c: pd.Series([], dtype=object) for c in _ROW_COLUMNS})
    df.insert(0, "run_id", run_id)
    order = {k: i for i, k in enumerate(ORDER)}
    df = df.astype({c: object for c in DIFF_COLUMNS}).fillna("")
    df["_o"] = df["object"].map(order)
    df = df.sort_values(["_o", "precoro_id", "xero_id", "field", "kind", "action"], kind="stable")
    return df.drop(columns="_o").reset_index(drop=True)[list(DIFF_COLUMNS)]


def _rows(sides: plan.Sides, p_pos: np.ndarray, x_pos: np.ndarray, **cols: Any) -> pd.DataFrame:
    """Difference rows for positions in ``p``/``x`` (-1: no record on that side)."""
    rule = sides.rule
    n = len(p_pos)
    pid, xid = (sides.pid if (p_pos >= 0).any() else np.array([])), (sides.xid if (x_pos >= 0).any() else np.array([]))
    plab, xlab = (sides.plab if len(pid) else np.array([])), (sides.xlab if len(xid) else np.array([]))
    has_p, has_x = p_pos >= 0, x_pos >= 0
    pi, xi = np.where(has_p, p_pos, 0), np.where(has_x, x_pos, 0)
    out = {
        "object": fields.filled(n, rule.kind),
        "precoro_id": np.where(has_p, _read(pid, pi) if len(pid) else "", "").astype(object),
        "xero_id": np.where(has_x, _read(xid, xi) if len(xid) else "", "").astype(object),
        "label": np.where(has_p, _read(plab, pi) if len(plab) else "",
                          np.where(has_x, _read(xlab, xi) if len(xlab) else "", "")).astype(object),
    }
    for c in ("field", "precoro_value", "xero_value", "baseline_value", "kind", "direction", "action", "reason"):
        value = cols.get(c, "")
        out[c] = value if isinstance(value, np.ndarray) else fields.filled(n, value)
    # object columns, as the differences table keeps them: not converted to Arrow strings and back
    return pd.DataFrame(out, columns=list(_ROW_COLUMNS), dtype=object)


def _read(strings: plan.Strings, positions: np.ndarray) -> np.ndarray:
    """``strings`` at ``positions``, each distinct position read once: the rows of one record (a document's
    line differences) share its id and label instead of holding a copy each."""
    distinct, at = np.unique(positions, return_inverse=True)
    return strings[distinct][at.reshape(-1)]


def _objects(values: pd.Series) -> np.ndarray:
    """A column of difference rows as objects, one Python string per distinct value: the diff's frames hold
    Arrow strings, whose conversion value by value made a string per row (kinds, directions, reasons, field
    names: a handful of values, ~10^5 rows each). Object columns of strings are shared the same way: a
    document kind's reasons and field names are made per row ("rounding: ..." + remedy), and the rows of one
    kind stay held while the next kinds run (~15 MiB of the purchase orders' rows at 10^6 lines)."""
    if values.dtype == "string" and not values.hasnans:
        encoded = arrow_compute.dictionary_encode(money.arrow_array(values))
        distinct = np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
        return distinct[encoded.indices.to_numpy(zero_copy_only=False)]
    out = values.to_numpy(dtype=object)
    # only all-``str`` columns: hashing would make True and 1, or 1 and 1.0, one value
    if values.dtype != object or len(out) < 2 or pd.api.types.infer_dtype(out, skipna=False) != "string":
        return out
    codes, distinct = pd.factorize(out)
    return np.asarray(distinct, dtype=object)[codes]


def _reconcile_kind(rule: Rule, snap: Snapshot, links: pd.DataFrame | None,
                    baselines: Mapping[str, pd.DataFrame], meta: Mapping[str, Any]) -> _KindResult:
    res = _KindResult()
    p = snap.frame("precoro", rule.kind).reset_index(drop=True)
    x = snap.frame("xero", rule.kind).reset_index(drop=True)
    if rule.kind == "payment":
        p = _paid_bills_in_xero(p, links)
    linkage = link(rule, p, x, links)
    sides = plan.Sides(rule, p, x)
    pairs = linkage.pairs
    p_active, x_active = fields.active(p, rule.kind), fields.active(x, rule.kind)
    is_doc = rule.lines is not None
    sendable = fields.text_in(p["status"], SENDABLE_STATUSES) if is_doc else None

    # --- linked pairs: field diff --------------------------------------------------------------------------
    pair_p, pair_x = pairs["p"].to_numpy(), pairs["x"].to_numpy()
    compare = ~(~p_active[pair_p] & ~x_active[pair_x]) if len(pair_p) else np.zeros(0, dtype=bool)
    if is_doc and len(pair_p):
        # documents still being worked on in Precoro (draft, revision, ...) are compared once sendable again
        compare &= sendable[pair_p] | ~p_active[pair_p]
    cp, cx = pair_p[compare], pair_x[compare]
    # the pairs' rows of the compared columns alone (taking every column of ~10^5 rows cost as much as the
    # comparison; a document kind's other columns, ~20 MiB of the bills' headers, were held through its lines),
    # the Xero side's ids (the baseline key), and for documents the ids and flags their lines are found by
    cols = list(dict.fromkeys(["id", "active", *rule.fields, *(c for key in rule.duplicates for c in key)])) if is_doc \
        else list(rule.fields)
    pc, xc = fields.taken(p, cols, cp), fields.taken(x, cols if is_doc else list(dict.fromkeys(["id", *cols])), cx)
    x_keys = diff.key_arrow(xc["id"])
    b, has_b = diff.align_baseline(baselines.get(rule.kind), x_keys,
                                   fields_read=None if is_doc else rule.fields)
    equal: dict[str, np.ndarray] = {}
    diffs = diff.compare(rule, rule.kind, rule.fields, pc, xc, b, has_b, cp, cx, equal=equal)
    # what both sides hold equal becomes the baseline of linked pairs (a pair only matched here is not linked yet)
    linked = ~linkage.matched[compare] if len(pair_p) else np.zeros(0, dtype=bool)
    res.agreed += _in_frame(diff.agreed(rule, rule.kind, rule.fields, pc, xc, b, has_b, _PairKeys(x_keys, linked),
                                        equal), x, cx)
    if len(diffs):
        diffs = replaced.explained(rule, _only_state_rows(rule, diffs, p_active, x_active))
    line_values: dict[str, dict[str, list[dict[str, str]]]] = {"precoro": {}, "xero": {}}
    if is_doc:
        diffs, line_values, analysed, line_agreed = documents.compare_documents(
            rule, snap, baselines, meta, p, x, cp, cx, pc, xc, diffs, linked)
        res.rounding = rounding.compact(analysed)  # held while the next kinds run
        res.agreed += line_agreed
    actions, action_col = plan.field_actions(sides, diffs, line_values)
    res.actions += actions
    if len(diffs):
        diffs = diffs.assign(action=action_col)
        res.rows.append(_rows(sides, diffs["p"].to_numpy(), diffs["x"].to_numpy(),
                              **{c: _objects(diffs[c]) for c in
                                 ("field", "precoro_value", "xero_value", "baseline_value", "kind", "direction",
                                  "action", "reason")}))

    # --- links proposed and candidates ---------------------------------------------------------------------
    _links_and_candidates(sides, linkage, res)

    # --- one side only -------------------------------------------------------------------------------------
    # the linked pairs' columns as compared, when every pair was (they hold the duplicate keys' columns)
    linked_columns = (pc, xc) if len(pair_p) and compare.all() else None
    _one_sided(sides, snap, linkage, p_active, x_active, res, links, linked_columns)

    # counted from the kind columns alone (all row frames concatenated just to count them cost a few ms)
    counts = Counter(np.concatenate([r["kind"].to_numpy(dtype=object) for r in res.rows]).tolist()) if res.rows \
        else Counter()
    differing = set(diffs["p"].tolist()) if len(diffs) else set()
    res.summary = {"precoro": len(p), "xero": len(x), "linked": len(pairs),
                   "equal": int(len(pairs) - len(differing)),
                   **{k: int(counts.get(k, 0)) for k in DIFF_KINDS}, "actions": len(res.actions)}
    return res


class _PairKeys:
    """The baseline keys of compared pairs (their Xero ids' text, ``diff.key_arrow``), made Python strings only
    at the rows read: the agreed values of ~10^5 pairs keep their rows until the store writes them. A pair
    records when it is linked (one only matched here is not yet) and has an id."""

    def __init__(self, ids: pa.Array, linked: np.ndarray) -> None:
        self.ids = ids
        self.recorded = linked & fields.mask(arrow_compute.not_equal(ids, "").to_numpy(zero_copy_only=False))

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        taken = self.ids.take(pa.array(np.asarray(rows, dtype=np.int64)))
        return np.asarray(taken.to_numpy(zero_copy_only=False), dtype=object)


class _FrameKeys:
    """The baseline keys of every record of a frame (its ids' text, ``diff.key_arrow``), made Python strings
    only at the rows read (:class:`_PairKeys`, by frame position instead of pair)."""

    def __init__(self, ids: pd.Series) -> None:
        self.ids = diff.key_arrow(ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        taken = self.ids.take(pa.array(np.asarray(rows, dtype=np.int64)))
        return np.asarray(taken.to_numpy(zero_copy_only=False), dtype=object)


def _in_frame(agreed: list[Agreed], x: pd.DataFrame, cx: np.ndarray) -> list[Agreed]:
    """Agreed values read at rows of the compared pairs' columns, pointed instead at the Xero frame's own
    columns (rows ``cx[rows]``): the same keys and values, without the pairs' taken columns, which they kept
    alive while the next kinds ran (~12 MiB for the purchase orders' header fields at 10^5 documents). A copy
    of a few agreeing values (no rows) stays as it is."""
    if not any(a.rows is not None for a in agreed):
        return agreed
    keys = _FrameKeys(x["id"])
    return [a if a.rows is None else Agreed(a.frame, a.field, keys, x[a.field], cx[np.asarray(a.rows, dtype=np.int64)])
            for a in agreed]


def _only_state_rows(rule: Rule, diffs: pd.DataFrame, p_active: np.ndarray, x_active: np.ndarray) -> pd.DataFrame:
    """A record that is, or is about to become, inactive is not edited: only its ``active`` row is kept. A
    document cancelled in Precoro or deleted in Xero counts from the moment either side is inactive; other
    records when the ``active`` difference resolves to inactive (a reactivation carries the other edits)."""
    is_active = (diffs["field"] == "active").to_numpy()
    if rule.lines is not None:
        off = ~(p_active[diffs["p"].to_numpy()] & x_active[diffs["x"].to_numpy()])
    else:
        winner = np.where(diffs["direction"].to_numpy(dtype=object) == "to_precoro",
                          diffs["xero_value"].to_numpy(dtype=object), diffs["precoro_value"].to_numpy(dtype=object))
        ending = np.unique(diffs["p"].to_numpy()[is_active & (winner == "false")])
        off = np.isin(diffs["p"].to_numpy(), ending)
    keep = ~off | is_active
    return diffs if keep.all() else diffs[keep].reset_index(drop=True)


def _links_and_candidates(sides: plan.Sides, linkage: Linkage, res: _KindResult) -> None:
    rule, p = sides.rule, sides.p
    if not (len(linkage.candidates) or len(linkage.dangling) or linkage.matched.any()):
        return
    pid, xid, plab, xlab = sides.pid, sides.xid, sides.plab, sides.xlab
    matched = linkage.pairs[linkage.matched]
    if len(matched):
        mp, mx = matched["p"].to_numpy(), matched["x"].to_numpy()
        reason = np.array([f"unique match on {on}" + ("; the Precoro supplier takes the Xero data"
                                                     if rule.kind == "supplier" else "")
                           for on in matched["on"]], dtype=object)
        res.rows.append(_rows(sides, mp, mx, field=matched["on"].to_numpy(dtype=object),
                              precoro_value=plab[mp], xero_value=xlab[mx], kind="match_candidate",
                              direction="none", action="link", reason=reason))
        res.actions += [Action(rule.kind, "precoro", "link", plan.keys(a, b), {}, {}, str(r), "match_candidate",
                               str(lab)) for a, b, r, lab in zip(pid[mp], xid[mx], reason, plab[mp])]
    c = linkage.candidates
    if len(c):
        cp, cx = c["p"].to_numpy(), c["x"].to_numpy()
        n_p = c.groupby("p")["x"].transform("size").to_numpy()
        n_x = c.groupby("x")["p"].transform("size").to_numpy()
        reason = np.array([f"ambiguous: {a} Xero and {b} Precoro candidates; a person must decide"
                           for a, b in zip(n_p, n_x)], dtype=object)
        res.rows.append(_rows(sides, cp, cx, field=c["on"].to_numpy(dtype=object), precoro_value=plab[cp],
                              xero_value=xlab[cx], kind="match_candidate", direction="none", action="none",
                              reason=reason))
    if len(linkage.dangling):
        d = linkage.dangling
        # reference data Xero deleted (an item, account, tax rate or tracking option) is inactivated in Precoro;
        # other records are only shown: recreating a deleted contact or document could duplicate it
        follows = rule.source == "xero" and rule.direction != TWO_WAY and "precoro" in rule.archive_on
        if follows:
            d = d[fields.active(p.iloc[d], rule.kind)] if len(d) else d
        stored = fields.text(p["xero_id"])[d]
        if follows and len(d):
            res.rows.append(_rows(sides, d, np.full(len(d), -1), field="xero_id", precoro_value=stored,
                                  kind="only_in_precoro", direction="to_precoro", action="archive",
                                  reason="deleted in Xero: inactivated in Precoro"))
            res.actions += [Action(rule.kind, "precoro", "archive", plan.keys(i), {"active": "false"},
                                   {"active": "true"}, "deleted in Xero: inactivated in Precoro", "only_in_precoro",
                                   str(lab)) for i, lab in zip(pid[np.asarray(d)], plab[np.asarray(d)])]
        elif len(d):
            res.rows.append(_rows(sides, d, np.full(len(d), -1), field="xero_id", precoro_value=stored,
                                  kind="only_in_precoro", direction="none", action="none",
                                  reason="the linked Xero record is not in Xero (deleted there?)"))


def _paid_bills_in_xero(payments: pd.DataFrame, links: pd.DataFrame | None) -> pd.DataFrame:
    """Precoro payments name the Xero bill they pay: the Xero id their invoice stores (filled by the fetch),
    else the link table's (an invoice recon sent to Xero is linked there)."""
    if links is None or not len(links) or payments.empty:
        return payments
    table = links[links["kind"].astype("string") == "bill"]
    lookup = pd.Series(fields.text(table["xero_id"]), index=pd.Index(fields.text(table["precoro_id"]), dtype=object))
    lookup = lookup[~lookup.index.duplicated()]
    missing = fields.text(payments["bill_xero_id"]) == ""
    if not missing.any():
        return payments
    found = pd.Series(fields.text(payments["bill_id"])[missing]).map(lookup).fillna("").to_numpy(dtype=object)
    out = payments.copy()
    out.loc[missing, "bill_xero_id"] = pd.array(np.where(found == "", None, found), dtype="string")
    return out


def _bill_ids(bills: pd.DataFrame, links: pd.DataFrame | None) -> pd.Series:
    """Precoro bill id by Xero InvoiceID: the id Precoro stores, else the link table."""
    pairs = [pd.Series(fields.text(bills["id"]), index=pd.Index(fields.text(bills["xero_id"]), dtype=object))]
    if links is not None and len(links):
        table = links[links["kind"].astype("string") == "bill"]
        pairs.append(pd.Series(fields.text(table["precoro_id"]), index=pd.Index(fields.text(table["xero_id"]), dtype=object)))
    lookup = pd.concat(pairs)
    return lookup[(lookup.index != "") & ~lookup.index.duplicated()]


def _possible_duplicates(sides: plan.Sides, linkage: Linkage, only_p: np.ndarray, only_x: np.ndarray,
                         res: _KindResult, linked_columns: tuple[pd.DataFrame, pd.DataFrame] | None = None
                         ) -> tuple[np.ndarray, np.ndarray]:
    """A record about to be created on the other side whose normalised name (or other duplicate key) equals
    that of a record already linked there is shown as a possible duplicate, for a person to decide, and is not
    created: no policy may make a second contact, supplier or document of it. Returns the records still to create."""
    rule = sides.rule
    if not rule.duplicates:
        return only_p, only_x
    linked_p, linked_x = linkage.pairs["p"].to_numpy(), linkage.pairs["x"].to_numpy()
    key_columns = {c for cols in rule.duplicates for c in cols}
    if linked_columns is not None and not all(key_columns <= set(f.columns) for f in linked_columns):
        linked_columns = None
    new_p, new_x = duplicates_both_ways(rule, sides.p, only_p, sides.x, only_x, linked_p, linked_x, linked_columns)
    for side, dup in (("precoro", new_p), ("xero", new_x)):
        if not len(dup):
            continue
        new, old = dup["p"].to_numpy(), dup["x"].to_numpy()
        p_pos, x_pos = (new, old) if side == "precoro" else (old, new)
        here, there = _NAMES[side], _NAMES[rule.other(side)]
        other_labels = (sides.xlab if side == "precoro" else sides.plab)[old]
        reason = np.array([f"possible duplicate: new in {here}, with the same {on} as {label!r}, which is already "
                           f"integrated in {there}; not created: a person must decide (rename it, or disable the "
                           f"duplicate)" for on, label in zip(dup["on"], other_labels)], dtype=object)
        res.rows.append(_rows(sides, p_pos, x_pos, field=dup["on"].to_numpy(dtype=object),
                              precoro_value=sides.plab[p_pos], xero_value=sides.xlab[x_pos],
                              kind="match_candidate", direction="none", action="none", reason=reason))
    return (np.setdiff1d(only_p, new_p["p"].to_numpy()) if len(new_p) else only_p,
            np.setdiff1d(only_x, new_x["p"].to_numpy()) if len(new_x) else only_x)


def _one_sided(sides: plan.Sides, snap: Snapshot, linkage: Linkage, p_active: np.ndarray, x_active: np.ndarray,
               res: _KindResult, links: pd.DataFrame | None = None,
               linked_columns: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> None:
    """Records on one side only: created where the rule allows it, otherwise shown. Inactive ones are skipped.
    ``linked_columns``: columns of the linked pairs, row-aligned with ``linkage.pairs``, when reconcile has them."""
    rule, p, x = sides.rule, sides.p, sides.x
    only_p = linkage.only_p[p_active[linkage.only_p]] if len(linkage.only_p) else linkage.only_p
    only_x = linkage.only_x[x_active[linkage.only_x]] if len(linkage.only_x) else linkage.only_x
    is_doc = rule.lines is not None
    if is_doc and len(only_p):
        only_p = only_p[fields.text_in(p["status"].iloc[only_p], SENDABLE_STATUSES)]
    only_p, only_x = _possible_duplicates(sides, linkage, only_p, only_x, res, linked_columns)
    pid = sides.pid if len(only_p) else np.array([], dtype=object)
    xid = sides.xid if len(only_x) else np.array([], dtype=object)
    for side, pos, frame, ids in (("precoro", only_p, p, pid), ("xero", only_x, x, xid)):
        if not len(pos):
            continue
        target = rule.other(side)
        can = target in rule.create_on
        names = list(rule.fields)
        if target == "precoro":
            names.append("xero_id")
        if is_doc:
            names += ["line_amount_types", "supplier_id"]
        # only the columns the actions read: their values, the label and, for payments, the bill paid
        read = [n for n in names if n != "xero_id"] + [rule.label, "id"] + \
            (["bill_xero_id"] if rule.kind == "payment" and side == "xero" else [])
        sub = fields.taken(frame, [c for c in dict.fromkeys(read) if c in frame.columns], pos)
        create = np.full(len(pos), can)
        extra: dict[str, np.ndarray] = {}
        reason = np.full(len(pos), f"not in {_NAMES[target]}", dtype=object)
        if rule.kind == "payment" and side == "xero":
            # a payment is created in Precoro only on a bill that is integrated there
            lookup = _bill_ids(snap.frame("precoro", "bill"), links)
            bill_id = pd.Series(fields.text(sub["bill_xero_id"])).map(lookup).fillna("").to_numpy(dtype=object)
            create &= bill_id != ""
            reason[bill_id == ""] = "the paid bill is not integrated with Precoro"
            extra["bill_id"] = bill_id
        if not can:
            reason[:] = f"not in {_NAMES[target]}; {rule.kind} records are created only in {_NAMES[rule.target or target]}"
        made = np.flatnonzero(create)
        if len(made):
            res.actions += _creates(rule, snap, side, target,
                                    sub if len(made) == len(sub) else sub.iloc[made].reset_index(drop=True),
                                    [n for n in names if n != "xero_id"], ids[pos][made],
                                    {k: v[made] for k, v in extra.items()}, reason[made])
        p_pos = pos if side == "precoro" else np.full(len(pos), -1)
        x_pos = pos if side == "xero" else np.full(len(pos), -1)
        res.rows.append(_rows(sides, p_pos, x_pos, kind=f"only_in_{side}",
                              direction=np.where(create, f"to_{target}", "none").astype(object),
                              action=np.where(create, "create", "none").astype(object), reason=reason))


def _creates(rule: Rule, snap: Snapshot, side: str, target: str, sub: pd.DataFrame, names: list[str],
             ids: np.ndarray, extra: Mapping[str, np.ndarray], reason: np.ndarray) -> list[Action]:
    """The ``create`` actions of the records ``sub`` (ids ``ids``) of ``side`` in ``target``: their values as
    canonical strings, a column at a time, and the values' JSON text too (records of plain fields; a document's
    lines are encoded per document)."""
    columns = {n: list(map(str, fields.text(sub[n]).tolist())) for n in names}
    id_text = list(map(str, ids.tolist()))
    if target == "precoro":
        columns["xero_id"] = id_text
    for k, v in extra.items():
        columns[k] = list(map(str, v.tolist()))
    n = len(sub)
    order = list(columns)
    new: list[dict[str, Any]] = [dict(zip(order, row)) for row in zip(*columns.values())] if order else [{} for _ in range(n)]
    key_name = "precoro_id" if side == "precoro" else "xero_id"
    keys = [{key_name: i} for i in id_text]
    if rule.lines is not None:
        lines = plan.lines_by_doc(snap.frame(side, rule.lines), ids, rule.line_fields)
        for values, i in zip(new, id_text):
            values["lines"] = lines.get(i, [])
        texts = None
    else:
        texts = (model.string_dict_texts({key_name: id_text}, n), model.string_dict_texts(columns, n), ["{}"] * n)
    return model.actions_of(rule.kind, target, "create", keys, new, [{} for _ in range(n)],
                            list(map(str, reason.tolist())), f"only_in_{side}",
                            list(map(str, plan.labels(rule, sub).tolist())), texts=texts)

