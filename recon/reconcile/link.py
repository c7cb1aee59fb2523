"""Linking: pair each Precoro record with its Xero counterpart.

1. By the id Precoro stores of the Xero record (``xero_id``), else by the state store's link table.
2. Unlinked records get match candidates on the rule's key sets (normalised, case-folded), active with active and
   inactive with inactive (unless the rule says ``match_inactive=False``: cancelled payments). A candidate that is
   the only one for both of its records is an exact unique match (proposed as a ``link`` action); every
   other candidate is ambiguous and only shown: nobody is linked without a person deciding.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recon import money
from recon.reconcile import fields
from recon.rules import Rule

_SEP = "\x1f"


@dataclass(frozen=True)
class Linkage:
    """Result of linking one kind. Index columns ``p`` and ``x`` are row positions in the two frames.

    ``pairs``: p, x, how (``stored``, ``table`` or ``match``), on (the matching keys, for ``match``).
    ``candidates``: ambiguous candidate pairs p, x, on. ``only_p``/``only_x``: positions with no counterpart
    and no candidate. ``dangling``: Precoro positions whose stored Xero id is not in the Xero frame.
    ``matched``: per row of ``pairs``, whether it is a ``match`` (read without comparing ~10^5 strings).
    """

    pairs: pd.DataFrame
    candidates: pd.DataFrame
    only_p: np.ndarray
    only_x: np.ndarray
    dangling: np.ndarray
    matched: np.ndarray


def _ids(series: pd.Series) -> np.ndarray:
    return series.astype("string").fillna("").str.strip().to_numpy(dtype=object)


_HOW = np.array(["", "stored", "table"], dtype=object)


def _id_array(series: pd.Series) -> pa.Array:
    """:func:`_ids` as an Arrow string array."""
    # in the column's own Arrow string type (a cast to another costs a copy of every id)
    return pc.utf8_trim_whitespace(pc.fill_null(money.arrow_array(series.astype("string")), ""))


def _match_key(df: pd.DataFrame, pos: np.ndarray, rule: Rule, cols: tuple[str, ...]) -> pa.Array:
    """The key of rows ``pos`` of ``df`` on the columns ``cols`` (``""``: a column of the key set is empty)."""
    return _joined([fields.name_key(fields.at(df[c], pos), rule.legal_names) if c == "name"
                    else _column_key(df, pos, rule, c) for c in cols])


def _match_key_where_plain(df: pd.DataFrame, pos: np.ndarray | None, rule: Rule,
                           cols: tuple[str, ...]) -> tuple[pa.Array, np.ndarray]:
    """:func:`_match_key` where it is cheap (names: :func:`fields.name_key_where_plain`), and where that is:
    ``(keys, exact)``; elsewhere the keys are values to replace. ``pos`` ``None``: every row of ``df``."""
    exact = np.ones(len(df) if pos is None else len(pos), dtype=bool)
    parts = []
    for c in cols:
        if c == "name":
            part, plain = fields.name_key_where_plain(df[c] if pos is None else df[c].iloc[pos], rule.legal_names)
            exact &= plain
        else:
            part = _column_key(df, np.arange(len(df)) if pos is None else pos, rule, c)
        parts.append(part)
    return _joined(parts), exact


def _column_key(df: pd.DataFrame, pos: np.ndarray, rule: Rule, c: str) -> pa.Array:
    col, values = fields.column(rule.kind, c), df[c]
    if col.type in ("text", "id") and fields.is_arrow_text(values):
        # taken and keyed in Arrow: the pandas take and wrapping cost more than keying the few records searched
        return pc.cast(fields.text_key(money.arrow_array(values).take(pa.array(pos)), col, casefold=True), pa.string())
    return pa.array(fields.key(values.iloc[pos], col, casefold=True), type=pa.string())


def _joined(parts: list[pa.Array]) -> pa.Array:
    if len(parts) == 1:
        return parts[0]
    empty = functools.reduce(pc.or_, [pc.equal(part, "") for part in parts])
    return pc.if_else(empty, "", pc.binary_join_element_wise(*parts, _SEP))


def link(rule: Rule, p: pd.DataFrame, x: pd.DataFrame, links: pd.DataFrame | None) -> Linkage:
    """Link the Precoro frame ``p`` with the Xero frame ``x`` of ``rule.kind``."""
    # ids stay Arrow strings throughout: 10^5 of them made into Python strings cost more than the linking
    stored = _id_array(p["xero_id"])
    how = _bools(pc.not_equal(stored, "")).astype(np.int8)  # codes into _HOW
    if links is not None and len(links):
        table = links[links["kind"].astype("string") == rule.kind]
        # index_in finds the first row of a repeated Precoro id: the first link of a record counts
        row = pc.index_in(_id_array(p["id"]), value_set=_id_array(table["precoro_id"]))
        from_table = pc.fill_null(pc.take(_id_array(table["xero_id"]), row), "")
        use = _bools(pc.and_(pc.equal(stored, ""), pc.not_equal(from_table, "")))
        stored = pc.if_else(pa.array(use), from_table, stored)
        how[use] = 2
    # positions in x of the stored ids (ids are unique per system; a repeated id keeps its first row)
    xid = _id_array(x["id"])
    has = np.flatnonzero(_bools(pc.not_equal(stored, "")))
    found = np.full(len(p), -1, dtype=np.int64)
    if len(has) and len(x):
        # every row looked up (taking the rows with an id first cost more than looking the few others up too);
        # only theirs are read
        hit = pc.fill_null(pc.index_in(stored, value_set=xid), -1).to_numpy(zero_copy_only=False)
        found[has] = hit[has]
    dangling = has[found[has] < 0]
    ok = has[found[has] >= 0]
    pairs = pd.DataFrame({"p": ok, "x": found[ok], "how": pd.Series(_HOW[how[ok]], dtype=object),
                          "on": pd.Series(np.full(len(ok), "", dtype=object), dtype=object)})
    if len(ok) and np.bincount(found[ok], minlength=len(x)).max() > 1:
        # two Precoro records claiming one Xero record: the lowest Precoro id keeps it, the others go to matching;
        # where inactive records are never matched (cancelled payments), a live one keeps it before any cancelled
        # one (a payment cancelled by hand that kept its Xero id is not the Xero payment's record in Precoro)
        dead = np.zeros(len(ok), dtype=bool) if rule.match_inactive else ~fields.active(p, rule.kind)[ok]
        pairs = pairs.assign(dead=dead, pid=_ids(p["id"])[ok]).sort_values(["x", "dead", "pid"], kind="stable")
        pairs = pairs.drop_duplicates("x")[["p", "x", "how", "on"]]
    matched_rows = np.zeros(len(pairs), dtype=bool)

    free_p = _rest(len(p), pairs["p"].to_numpy(), dangling)
    free_x = _rest(len(x), pairs["x"].to_numpy())
    cands = _equal_keys(rule, rule.match_keys, p, free_p, x, free_x)
    if len(cands):
        # an active record is never matched with one inactive on the other side (a supplier archived in Xero
        # long ago, or a record a revert archived, is not the new record of the same name)
        p_on, x_on = fields.active(p, rule.kind)[cands["p"].to_numpy()], fields.active(x, rule.kind)[cands["x"].to_numpy()]
        cands = cands[(p_on & x_on) if not rule.match_inactive else (p_on == x_on)]
    if len(cands):
        n_p = cands.groupby("p")["x"].transform("size")
        n_x = cands.groupby("x")["p"].transform("size")
        unique = (n_p == 1) & (n_x == 1)
        matched = cands[unique].assign(how="match")[["p", "x", "how", "on"]]
        pairs = pd.concat([pairs, matched], ignore_index=True)
        matched_rows = np.concatenate([matched_rows, np.ones(len(matched), dtype=bool)])
        cands = cands[~unique]
    only_p = _rest(len(p), pairs["p"].to_numpy(), cands["p"].to_numpy(), dangling)
    only_x = _rest(len(x), pairs["x"].to_numpy(), cands["x"].to_numpy())
    if not pairs["p"].is_monotonic_increasing:
        order = np.argsort(pairs["p"].to_numpy(), kind="stable")
        pairs, matched_rows = pairs.iloc[order], matched_rows[order]
    if not pairs.index.equals(pd.RangeIndex(len(pairs))):
        pairs = pairs.reset_index(drop=True)
    if not (pairs["p"].dtype == np.int64 and pairs["x"].dtype == np.int64):
        pairs = pairs.astype({"p": np.int64, "x": np.int64})
    return Linkage(pairs, cands.reset_index(drop=True), only_p, only_x, np.sort(dangling), matched_rows)


def duplicates(rule: Rule, new: pd.DataFrame, new_pos: np.ndarray, other: pd.DataFrame,
               linked_pos: np.ndarray) -> pd.DataFrame:
    """Records ``new_pos`` of ``new`` (about to be created on the other side) whose key equals, on one of the
    rule's duplicate key sets, that of an already linked record ``linked_pos`` of ``other``: columns ``p``
    (positions in ``new``), ``x`` (in ``other``) and ``on`` (the key sets), one row per pair."""
    return _equal_keys(rule, rule.duplicates, new, new_pos, other, linked_pos)


def _bools(values: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def _rest(n: int, *taken: np.ndarray) -> np.ndarray:
    """Positions 0..n-1 not in any of ``taken`` (ascending)."""
    free = np.ones(n, dtype=bool)
    for t in taken:
        free[np.asarray(t, dtype=np.int64)] = False
    return np.flatnonzero(free)


def duplicates_both_ways(rule: Rule, p: pd.DataFrame, new_p: np.ndarray, x: pd.DataFrame, new_x: np.ndarray,
                         linked_p: np.ndarray, linked_x: np.ndarray,
                         linked: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`duplicates` of the new Precoro records among the linked Xero ones and of the new Xero records among
    the linked Precoro ones (``linked_p[i]`` is linked with ``linked_x[i]``). A linked pair whose key columns are
    equal on both sides has one key: the Precoro side's keys are made only where they differ (a few). Linked
    names are keyed in full only where the cheap key may not be theirs (:func:`fields.name_key_where_plain`).
    ``linked``: the two frames' key columns already taken at ``linked_p`` and ``linked_x`` (reconcile compared
    them), not taken again."""
    keys_x: dict[tuple[str, ...], tuple[pa.Array, np.ndarray]] = {}
    keys_p: dict[tuple[str, ...], tuple[pa.Array, np.ndarray]] = {}
    if len(linked_p) and (len(new_p) or len(new_x)):
        for cols in rule.duplicates:
            if linked is not None:
                pl, xl = linked
                keys_x[cols] = key_x, exact_x = _match_key_where_plain(xl, None, rule, cols)
                same = np.logical_and.reduce([fields.same(pl[c], xl[c]) for c in cols])
            else:
                keys_x[cols] = key_x, exact_x = _match_key_where_plain(x, linked_x, rule, cols)
                same = np.logical_and.reduce([fields.same(fields.at(p[c], linked_p), fields.at(x[c], linked_x))
                                              for c in cols])
            differ = np.flatnonzero(~same)
            if not len(differ):
                keys_p[cols] = keys_x[cols]
                continue
            key_p, exact_p = _match_key_where_plain(p, linked_p[differ], rule, cols)
            exact = exact_x.copy()
            exact[differ] = exact_p
            keys_p[cols] = pc.replace_with_mask(key_x, pa.array(~same), key_p), exact
    return (_equal_keys(rule, rule.duplicates, p, new_p, x, linked_x, keys_x),
            _equal_keys(rule, rule.duplicates, x, new_x, p, linked_p, keys_p))


def _equal_keys(rule: Rule, key_sets: tuple[tuple[str, ...], ...], a: pd.DataFrame, a_pos: np.ndarray,
                b: pd.DataFrame, b_pos: np.ndarray,
                b_keys: dict[tuple[str, ...], tuple[pa.Array, np.ndarray]] | None = None) -> pd.DataFrame:
    """Pairs of positions ``p`` (of ``a``) and ``x`` (of ``b``) equal on all columns of a key set (``on``).
    ``b_keys``: the keys of ``b_pos`` per key set, when already made, with where they are exact (the others are
    made here)."""
    found = []
    if len(a_pos) and len(b_pos):
        for cols in key_sets:
            left = _match_key(a, a_pos, rule, cols)
            if b_keys and cols in b_keys:
                right, exact = b_keys[cols]
                if not exact.all():
                    right = pc.replace_with_mask(right, pa.array(~exact),
                                                 _match_key(b, b_pos[np.flatnonzero(~exact)], rule, cols))
            else:
                right = _match_key(b, b_pos, rule, cols)
            # only the rows whose key the other side has (few) are joined: look the (usually smaller) side of
            # new or unpaired records up in the other, then back
            left = pc.if_else(pc.equal(left, ""), None, left)
            rk = _bools(pc.is_in(right, value_set=left, skip_nulls=True))
            if not rk.any():
                continue
            lk = _bools(pc.is_in(left, value_set=right.filter(pa.array(rk)), skip_nulls=True))
            hit = pd.DataFrame({"p": a_pos[lk], "key": left.filter(pa.array(lk)).to_pylist()}).merge(
                pd.DataFrame({"x": b_pos[rk], "key": right.filter(pa.array(rk)).to_pylist()}), on="key")
            found.append(hit[["p", "x"]].assign(on="+".join(cols)))
    if not found:
        return pd.DataFrame({"p": pd.Series([], dtype=np.int64), "x": pd.Series([], dtype=np.int64),
                             "on": pd.Series([], dtype=object)})
    allc = pd.concat(found, ignore_index=True)
    allc = allc.groupby(["p", "x"], sort=True, as_index=False)["on"].agg(lambda s: ", ".join(sorted(set(s))))
    return allc.astype({"p": np.int64, "x": np.int64})
