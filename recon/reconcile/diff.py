"""Three-way field diff of linked records, one column block at a time.

For each compared field of each linked pair: the Precoro value ``p``, the Xero value ``x`` and, when there is a
baseline for the pair, the agreed value ``b``. Equal ``p`` and ``x`` are no difference. Otherwise:

============================  ======================  ==============================================
situation                     two-way (suppliers)     one-way (source S, target T)
============================  ======================  ==============================================
only Xero changed (p == b)    mismatch → Precoro      S = Xero: mismatch → T; S = Precoro: blocked_edit → T
only Precoro changed (x == b) mismatch → Xero         S = Precoro: mismatch → T; S = Xero: blocked_edit → T
both changed                  conflict, Xero wins     conflict, S wins
no baseline                   mismatch, Xero wins     mismatch, S wins
amounts within tolerance      rounding, no action     rounding, no action
============================  ======================  ==============================================

``active`` without a baseline is the exception: an inactivation on either side of a two-way kind wins (a
supplier disabled in Precoro archives the Xero contact, an archived contact inactivates the Precoro supplier).

A baseline may know only some fields (``schema.BASELINE_FIELDS``): a field it does not know is judged as if
there were no baseline. :func:`agreed` lists the fields both sides hold equal, the baseline the caller records.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recon import money
from recon.reconcile import fields
from recon.reconcile.model import Agreed
from recon.schema import BASELINE_FIELDS
from recon.rules import TWO_WAY, Rule

DIFF_FRAME_COLUMNS = ("p", "x", "field", "precoro_value", "xero_value", "baseline_value", "kind", "direction", "reason")
_NAMES = {"precoro": "Precoro", "xero": "Xero"}


def knows(b: pd.DataFrame | None, has_b: np.ndarray, name: str) -> np.ndarray:
    """Rows whose baseline exists and knows field ``name``."""
    if b is None or BASELINE_FIELDS not in b.columns:
        return has_b
    listed = b[BASELINE_FIELDS]
    pattern = rf"(?:^| ){name}(?: |$)"
    if isinstance(listed.dtype, pd.CategoricalDtype):
        # looked for in each distinct list once (``core`` holds them categorical), then read at each row's code
        lists = pd.Series(listed.cat.categories, dtype="string")
        found = np.append(fields.mask(lists.str.contains(pattern, regex=True)), False)
        return has_b & found[listed.cat.codes.to_numpy()]
    return has_b & fields.mask(listed.astype("string").fillna("").str.contains(pattern, regex=True))


def empty_diffs() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=np.int64 if c in ("p", "x") else object) for c in DIFF_FRAME_COLUMNS})


def align_baseline(baseline: pd.DataFrame | None, wanted: Any, on: tuple[str, ...] = ("xero_id",), sep: str = "\x1f",
                   fields_read: tuple[str, ...] | None = None) -> tuple[pd.DataFrame | None, np.ndarray]:
    """Baseline rows aligned with the keys ``wanted`` (the ``on`` columns' text joined by ``sep``; an array of
    strings, an Arrow string array (:func:`key_arrow`), or keys that make their own text in Arrow,
    ``documents.LineKeys``), and a mask of the rows that have one (rows without one hold filler values that
    callers never read). A key the baseline holds twice takes its last row. ``fields_read``: the only fields
    the caller reads (with the fields the baseline knows), the other columns not taken."""
    if baseline is None or baseline.empty:
        return None, np.zeros(len(wanted), dtype=bool)
    if hasattr(wanted, "arrow"):
        wanted = wanted.arrow()
    elif isinstance(wanted, (pa.Array, pa.ChunkedArray)):
        wanted = pc.fill_null(money.arrow_array(wanted), "")
    else:
        wanted = pa.array(np.asarray(wanted, dtype=object), type=pa.string())
    # looked up in Arrow's hash kernels: a pandas index of ~10^5 Python strings cost three times as much
    return _align_in_arrow(baseline, wanted, on, sep, fields_read)


def _align_in_arrow(baseline: pd.DataFrame, wanted: pa.Array, on: tuple[str, ...], sep: str,
                    fields_read: tuple[str, ...] | None) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`align_baseline` for keys given as Arrow strings: the baseline's keys joined and looked up in
    Arrow's hash kernels (a million line keys as Python strings, twice, was most of the look-up's memory)."""
    k = pc.binary_join_element_wise(*(key_arrow(baseline[c]) for c in on), sep) if len(on) > 1 else key_arrow(baseline[on[0]])
    n = len(k)
    # index_in finds the first equal key: looked up in the keys reversed, that is the baseline's last row
    last = pc.index_in(wanted, value_set=k.take(pa.array(np.arange(n - 1, -1, -1))))
    has = pc.is_valid(last).to_numpy(zero_copy_only=False)
    rows = (n - 1) - pc.fill_null(last, n - 1).to_numpy(zero_copy_only=False).astype(np.int64)
    if fields_read is not None:
        read = set(fields_read) | {BASELINE_FIELDS}
        baseline = baseline[[c for c in baseline.columns if c in read]]
    return baseline.iloc[rows].reset_index(drop=True), has


def key_arrow(values: pd.Series) -> pa.Array:
    """``fields.text`` of a key column as an Arrow ``string`` array (for :func:`align_baseline`, whose keys of
    both sides are joined and looked up as one type): ``fields.arrow_text``, in that type."""
    text = fields.arrow_text(values)
    return text if text.type == pa.string() else pc.cast(text, pa.string())


def compare(rule: Rule, frame: str, field_names: tuple[str, ...], p: pd.DataFrame, x: pd.DataFrame,
            b: pd.DataFrame | None, has_b: np.ndarray, p_pos: np.ndarray, x_pos: np.ndarray,
            prefix: np.ndarray | str = "", equal: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Differences between row-aligned frames ``p`` and ``x`` (and baseline ``b``) on ``field_names``.

    ``p_pos``/``x_pos`` are carried into the output's ``p``/``x`` columns; ``prefix`` is put before the field
    name: one string, or per row the line number of document lines (``lines[2].quantity``). ``equal``, when
    given, receives per field which rows are equal (for :func:`agreed` of the same frames).
    """
    out = []
    for name in field_names:
        col = fields.column(frame, name)
        fold = name in rule.casefold
        # equal raw values are equal after any normalisation: normalise only the rest (usually few)
        same = fields.same(p[name], x[name])
        rows = np.flatnonzero(~same)
        if equal is not None:
            equal[name] = same
        if not len(rows):
            continue
        pv, xv = fields.at(p[name], rows), fields.at(x[name], rows)
        pk, xk = fields.key(pv, col, fold), fields.key(xv, col, fold)
        eq, near = fields.equal(pk, xk, col)
        if eq.any():
            if equal is not None:
                equal[name] = same.copy()
                equal[name][rows[eq]] = True
            rows, pk, xk, near, pv, xv = rows[~eq], pk[~eq], xk[~eq], near[~eq], pv[~eq], xv[~eq]
        if not len(rows):
            continue
        hb = knows(b, has_b, name)[rows]
        if b is not None:
            bv = fields.at(b[name], rows)
            bk = fields.key(bv, col, fold)
            eq_pb, _ = fields.equal(pk, bk, col)
            eq_xb, _ = fields.equal(xk, bk, col)
            bv = np.where(hb, fields.text(bv), "")
        else:
            eq_pb = eq_xb = np.zeros(len(rows), dtype=bool)
            bv = fields.filled(len(rows), "")
        kind, direction, reason = _classify(rule, name, pk, xk, hb, eq_pb, eq_xb, near)
        field_name = _field_names(prefix, rows, name)
        out.append({
            "p": p_pos[rows], "x": x_pos[rows],
            "field": fields.filled(len(rows), field_name) if isinstance(field_name, str) else field_name,
            "precoro_value": fields.text(pv), "xero_value": fields.text(xv),
            "baseline_value": bv.astype(object), "kind": kind, "direction": direction, "reason": reason,
        })
    if not out:
        return empty_diffs()
    # one frame of all the fields' rows (a frame per field, then their concatenation, cost twice over), of object
    # columns: pandas would make the strings Arrow text, which the differences table turns back into objects
    return pd.DataFrame({c: _column(np.concatenate([np.asarray(part[c]) for part in out])) for c in DIFF_FRAME_COLUMNS})


def _column(values: np.ndarray) -> np.ndarray | pd.Series:
    return pd.Series(values, dtype=object, copy=False) if values.dtype == object else values


def agreed(rule: Rule, frame: str, field_names: tuple[str, ...], p: pd.DataFrame, x: pd.DataFrame,
           b: pd.DataFrame | None, has_b: np.ndarray, keys: Any,
           equal: dict[str, np.ndarray] | None = None) -> list[Agreed]:
    """The fields of row-aligned pairs that both sides hold equal and that their baseline does not already
    hold, one :class:`Agreed` per field (``keys``: the baseline key per row, ``""`` for a pair that records
    nothing). Raw-equal values are equal without normalising them; only the rest are compared by type.
    ``equal``: what :func:`compare` of the same frames found equal, per field (not compared again)."""
    out = []
    # line keys say which of them record (their document is linked); other keys are "" when they do not
    recorded = keys.recorded if hasattr(keys, "recorded") else np.asarray(keys != "", dtype=bool)
    for name in field_names:
        col = fields.column(frame, name)
        fold = name in rule.casefold
        if equal is not None and name in equal:
            eq = equal[name]
        else:
            eq = fields.same(p[name], x[name])
            rest = np.flatnonzero(~eq)
            if len(rest):
                pk, xk = fields.key(p[name].iloc[rest], col, fold), fields.key(x[name].iloc[rest], col, fold)
                eq[rest] = fields.equal(pk, xk, col)[0]
        rows = np.flatnonzero(eq & recorded)
        if not len(rows):
            continue
        known = knows(b, has_b, name)[rows]
        if b is not None and known.any():
            held = np.zeros(len(rows), dtype=bool)
            at = np.flatnonzero(known)
            # b and x are row-aligned: compared whole and read at the rows (two takes per field cost more than
            # the comparison); only the raw-unequal rows are taken, to compare by type
            same = fields.same(b[name], x[name])[rows[at]]
            differ = np.flatnonzero(~same)
            if len(differ):
                there = rows[at[differ]]
                bk, xk = fields.key(b[name].iloc[there], col, fold), fields.key(x[name].iloc[there], col, fold)
                same[differ] = fields.equal(bk, xk, col)[0]
            held[at] = same
            rows = rows[~held]
        if len(rows):
            values = x[name]
            if 2 * len(rows) >= len(values):
                # most rows agree: the column is kept whole and read at the rows only if the values are recorded
                out.append(Agreed(frame, name, keys, values, rows))
            else:
                # few agree (a baseline holds the rest): a copy of them, not the whole column, is kept
                out.append(Agreed(frame, name, keys[rows], values.iloc[rows].reset_index(drop=True)))
    return out


def _field_names(prefix: np.ndarray | str, rows: np.ndarray, name: str) -> np.ndarray | str:
    if isinstance(prefix, str):
        return prefix + name
    return line_names(prefix[rows], name)


def line_names(line_no: np.ndarray, name: str = "") -> np.ndarray:
    """``lines[<n>]`` (``lines[<n>].<name>`` with a field name) per line, one string per line number shared by
    its rows (a string per row was ~10^5 objects kept in the result)."""
    numbers, at = np.unique(line_no, return_inverse=True)
    suffix = f".{name}" if name else ""
    return np.array([f"lines[{n}]{suffix}" for n in numbers.tolist()], dtype=object)[at.reshape(-1)]


def _classify(rule: Rule, name: str, pk: np.ndarray, xk: np.ndarray, hb: np.ndarray, eq_pb: np.ndarray,
              eq_xb: np.ndarray, near: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    changed_x = hb & eq_pb & ~eq_xb
    changed_p = hb & eq_xb & ~eq_pb
    both = hb & ~eq_pb & ~eq_xb
    src, tgt = rule.source, rule.other(rule.source)
    to = {"precoro": "to_precoro", "xero": "to_xero"}
    n = len(pk)
    kind = fields.filled(n, "mismatch")
    direction = fields.filled(n, to[tgt])
    reason = fields.filled(n, f"no baseline: {_NAMES[src]} is the source")
    if rule.direction == TWO_WAY:
        direction[changed_x] = "to_precoro"
        reason[changed_x] = "changed in Xero since the last sync"
        direction[changed_p] = "to_xero"
        reason[changed_p] = "changed in Precoro since the last sync"
        kind[both] = "conflict"
        direction[both] = to[rule.other(rule.conflict_winner)]
        reason[both] = f"changed on both sides: {_NAMES[rule.conflict_winner]} wins"
        if name == "active":
            nob = ~hb
            # without a baseline an inactivation on either side wins
            p_off = nob & fields.mask(pk == "false")
            direction[p_off] = "to_xero"
            reason[p_off] = "inactive in Precoro"
            x_off = nob & fields.mask(xk == "false")
            direction[x_off] = "to_precoro"
            reason[x_off] = "archived in Xero"
    else:
        in_src, in_tgt = (changed_x, changed_p) if src == "xero" else (changed_p, changed_x)
        reason[in_src] = f"changed in {_NAMES[src]} since the last sync"
        kind[in_tgt] = "blocked_edit"
        reason[in_tgt] = f"edited in {_NAMES[tgt]}, which is read-only for this kind: put back from {_NAMES[src]}"
        kind[both] = "conflict"
        reason[both] = f"changed on both sides: {_NAMES[src]} is the source"
    kind[near] = "rounding"
    direction[near] = "none"
    reason[near] = "differs by no more than rounding"
    return kind, direction, reason
