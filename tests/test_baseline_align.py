"""``diff.align_baseline``: every form of keys (strings, Arrow strings with nulls, integer key columns) meets
the baseline's last row per key, as a plain dictionary of the baseline's key texts says."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from recon.reconcile import diff, fields


def _reference(baseline: pd.DataFrame, wanted: list[str | None]) -> tuple[list[bool], list[str]]:
    """The last baseline row of each key, by a dictionary of its ``xero_id`` text (missing ids read as "")."""
    last = {("" if pd.isna(k) else str(k)): i for i, k in enumerate(baseline["xero_id"].tolist())}
    found = [last.get("" if w is None else w) for w in wanted]
    return [f is not None for f in found], [baseline["name"].iloc[f] for f in found if f is not None]


def _baseline(ids: list, dtype: str = "string") -> pd.DataFrame:
    return pd.DataFrame({"xero_id": pd.array(ids, dtype=dtype),
                         "name": pd.array([f"row {i}" for i in range(len(ids))], dtype="string")})


CASES = [
    (["a", "b", "c"], ["c", "a", "z"]),
    # a key held twice takes its last row, wherever the copies are
    (["a", "b", "a", "a", "b"], ["a", "b", "b", "q"]),
    # a baseline row without an id meets only an empty (or missing) wanted key
    ([None, "a", "b"], ["", "b", None]),
    (["a"], []),
    (["x-1", "x-10", "x-100"], ["x-10", "x-1", "x-1000", "x-100"]),
    # non-ASCII and separators inside ids are plain text
    (["é", "a\x1fb", "A"], ["a\x1fb", "É", "é", "A"]),
]


@pytest.mark.parametrize("ids, wanted", CASES)
@pytest.mark.parametrize("form", ["objects", "arrow", "chunked", "series_key"])
def test_the_last_row_per_key_whatever_form_the_keys_take(ids, wanted, form):
    base = _baseline(ids)
    if form == "objects":
        keys = np.array(["" if w is None else w for w in wanted], dtype=object)
    elif form == "arrow":
        keys = pa.array(wanted, type=pa.string())
    elif form == "chunked":
        keys = pa.chunked_array([pa.array(wanted[:1], type=pa.string()), pa.array(wanted[1:], type=pa.string())])
    else:
        keys = diff.key_arrow(pd.Series(pd.array(wanted, dtype="string")))
    got, has = diff.align_baseline(base, keys)
    want_has, want_names = _reference(base, wanted)
    assert has.tolist() == want_has
    assert len(got) == len(wanted)
    assert got["name"][has].tolist() == want_names


def test_integer_baseline_keys_meet_their_text():
    base = _baseline([10, 2, 10], dtype="Int64")
    got, has = diff.align_baseline(base, np.array(["10", "2", "3"], dtype=object))
    assert has.tolist() == [True, True, False]
    assert got["name"][has].tolist() == ["row 2", "row 1"]


def test_no_baseline_aligns_nothing():
    for base in (None, _baseline([])):
        b, has = diff.align_baseline(base, pa.array(["a", "b"]))
        assert b is None and has.tolist() == [False, False]


# --- diff.agreed against a baseline: what a pair holds equal is recorded unless its baseline holds it already ---

from recon import schema  # noqa: E402
from recon.rules import rule as get_rule  # noqa: E402

SUPPLIER = get_rule("supplier")

# (Precoro, Xero, baseline or None for no baseline row, fields the baseline knows, recorded): agreed value or None
AGREED_CASES = [
    ("a@x.com", "a@x.com", "a@x.com", "email name", True, None),          # held already, raw-equal
    ("a@x.com", "a@x.com", " A@X.com ", "email name", True, None),        # held: equal once normalised
    ("a@x.com", "A@x.com", "a@x.com", "email name", True, None),          # held: the pair's case differs only
    ("a@x.com", "a@x.com", "old@x.com", "email name", True, "a@x.com"),   # the baseline is older: recorded
    ("a@x.com", "a@x.com", None, "", True, "a@x.com"),                     # no baseline row
    ("a@x.com", "a@x.com", "a@x.com", "name", True, "a@x.com"),           # the baseline does not know email
    ("a@x.com", "b@x.com", "a@x.com", "email name", True, None),          # not equal: a difference, not agreed
    ("a@x.com", "a@x.com", "old@x.com", "email name", False, None),       # a pair not linked records nothing
    (None, None, "a@x.com", "email name", True, ""),                       # both emptied: agreed empty
    (None, None, None, "email", True, None),                               # known as empty: held
]


def test_agreed_records_what_the_baseline_does_not_hold():
    n = len(AGREED_CASES)
    p = schema.conform([{"id": f"p{i}", "email": c[0]} for i, c in enumerate(AGREED_CASES)], "supplier")
    x = schema.conform([{"id": f"x{i}", "email": c[1]} for i, c in enumerate(AGREED_CASES)], "supplier")
    rows = [(i, c) for i, c in enumerate(AGREED_CASES) if c[2] is not None or c[3]]
    base = schema.conform([{"xero_id": f"x{i}", "email": c[2]} for i, c in rows], "supplier")
    base[schema.BASELINE_FIELDS] = pd.array([c[3] for _, c in rows], dtype="string")
    # the baseline in another order than the pairs, with a stale copy of one key before its last row
    stale = base.iloc[[0]].assign(email=pd.array(["stale@x.com"], dtype="string"))
    base = pd.concat([stale, base.iloc[::-1]], ignore_index=True)
    b, has_b = diff.align_baseline(base, diff.key_arrow(x["id"]))
    keys = np.array([f"x{i}" if c[4] else "" for i, c in enumerate(AGREED_CASES)], dtype=object)
    for equal in (None, {}):
        if equal is not None:
            diff.compare(SUPPLIER, "supplier", ("email",), p, x, b, has_b, np.arange(n), np.arange(n), equal=equal)
        got = {k: v for a in diff.agreed(SUPPLIER, "supplier", ("email",), p, x, b, has_b, keys, equal)
               for k, v in zip(a.keys, a.texts())}
        want = {f"x{i}": c[5] for i, c in enumerate(AGREED_CASES) if c[5] is not None}
        assert got == want


@pytest.mark.parametrize("ids, wanted", CASES)
def test_only_the_fields_read_are_taken_with_the_same_rows(ids, wanted):
    base = _baseline(ids).assign(email=pd.array([f"e{i}" for i in range(len(ids))], dtype="string"))
    base[schema.BASELINE_FIELDS] = pd.array(["name email"] * len(ids), dtype="string")
    keys = pa.array(wanted, type=pa.string())
    whole, has = diff.align_baseline(base, keys)
    read, read_has = diff.align_baseline(base, keys, fields_read=("email",))
    assert read_has.tolist() == has.tolist()
    assert list(read.columns) == ["email", schema.BASELINE_FIELDS]
    assert read[has].equals(whole[["email", schema.BASELINE_FIELDS]][has])


@pytest.mark.parametrize("rows", [[0, 2, 3], [], [3, 1], [0, 1, 2, 3]])
def test_agreed_at_rows_reads_what_a_copy_of_them_holds(rows):
    from recon.reconcile.model import Agreed

    keys = np.array(["x0", "x1", "", "x3"], dtype=object)
    values = pd.Series(pd.array(["a", None, "c", "d"], dtype="string"))
    at = np.array(rows, dtype=np.int64)
    lazy = Agreed("supplier", "email", keys, values, at)
    copy = Agreed("supplier", "email", keys[at], values.iloc[at].reset_index(drop=True))
    assert len(lazy) == len(copy) == len(rows)
    assert list(lazy.keys) == list(copy.keys) and lazy.texts() == copy.texts()
    assert lazy.values.equals(copy.values)


@pytest.mark.parametrize("agreeing", [1, 3, 4, 8])
def test_agreed_keeps_rows_or_a_copy_and_records_the_same(agreeing):
    # the first `agreeing` of 8 pairs hold the same email; the rest differ
    n = 8
    p = schema.conform([{"id": f"p{i}", "email": f"e{i}@x.com"} for i in range(n)], "supplier")
    x = schema.conform([{"id": f"x{i}", "email": f"e{i}@x.com" if i < agreeing else "other@x.com"}
                        for i in range(n)], "supplier")
    keys = np.array([f"x{i}" for i in range(n)], dtype=object)
    [a] = diff.agreed(SUPPLIER, "supplier", ("email",), p, x, None, np.zeros(n, dtype=bool), keys)
    assert (a.rows is not None) == (2 * agreeing >= n)
    assert list(a.keys) == [f"x{i}" for i in range(agreeing)]
    assert a.texts() == [f"e{i}@x.com" for i in range(agreeing)]


@pytest.mark.parametrize("ids, linked, rows", [
    (["x0", "x1", "x2"], [True, False, True], [2, 0]),
    # a linked pair without a Xero id records nothing (its key would be "")
    (["x0", None, ""], [True, True, True], [0]),
    ([], [], []),
])
def test_pair_keys_record_linked_pairs_with_an_id_and_read_their_text(ids, linked, rows):
    from recon.reconcile.core import _PairKeys

    keys = _PairKeys(diff.key_arrow(pd.Series(pd.array(ids, dtype="string"))), np.array(linked, dtype=bool))
    assert len(keys) == len(ids)
    assert keys.recorded.tolist() == [bool(l) and bool(i) for i, l in zip(ids, linked)]
    got = keys[np.array(rows, dtype=np.int64)]
    assert got.dtype == object and got.tolist() == [ids[r] for r in rows]


@pytest.mark.parametrize("values", [
    pd.Series(["a", None, "b"], dtype="string"),
    pd.Series(pd.array([1, None, 3], dtype="Int64")),
    pd.Series([1, 2, 3]),
    pd.Series(["x", None, 1], dtype=object),
    pd.Series([True, None], dtype="boolean"),
    pd.Series(pd.array([5, None], dtype=pd.ArrowDtype(pa.int64()))),
    pd.Series(pd.array(["a", None], dtype=pd.ArrowDtype(pa.large_string()))),
    pd.Series([], dtype="string"),
])
def test_key_text_in_arrow_is_the_canonical_text(values):
    # the keys' Arrow text is fields.text of the column, as one Arrow type for both sides of a look-up
    keys = diff.key_arrow(values)
    assert keys.type == pa.string()
    assert keys.to_pylist() == fields.text(values).tolist()
