"""``diff.align_baseline``: every form of keys (strings, Arrow strings with nulls, integer key columns) meets
the baseline's last row per key, as a plain dictionary of the baseline's key texts says."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from recon.reconcile import diff


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
