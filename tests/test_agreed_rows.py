"""model.compact_rows: the agreed rows kept as a range or int32, the same positions as given (issue 14)."""
import numpy as np
import pandas as pd
import pytest

from recon.reconcile.model import Agreed, compact_rows


@pytest.mark.parametrize("rows, kind, positions", [
    (np.arange(5, 10), range, [5, 6, 7, 8, 9]),
    (np.array([3]), range, [3]),
    (np.array([], dtype=np.int64), range, []),
    (np.array([True, False, True, True]), np.ndarray, [0, 2, 3]),
    (np.array([False, True, True]), range, [1, 2]),
    (np.array([0, 2, 4]), np.ndarray, [0, 2, 4]),
    (np.array([4, 3, 2]), np.ndarray, [4, 3, 2]),       # descending: not a range
    (np.array([1, 1, 2]), np.ndarray, [1, 1, 2]),       # repeated: last-first+1 == len but not consecutive
    (range(2, 4), range, [2, 3]),
])
def test_compact_rows_keeps_the_positions(rows, kind, positions):
    out = compact_rows(rows)
    assert isinstance(out, kind)
    assert list(np.asarray(out)) == positions
    if isinstance(out, np.ndarray):
        assert out.dtype == np.int32


def test_compact_rows_beyond_int32_stays_int64():
    out = compact_rows(np.array([0, 2**31 + 5]))
    assert out.dtype == np.int64


@pytest.mark.parametrize("rows", [np.arange(1, 4), np.array([0, 3]), np.array([True, False, True, True, False])])
def test_agreed_reads_the_same_keys_and_values(rows):
    keys = np.array(list("abcde"), dtype=object)
    values = pd.Series(["v0", "v1", "v2", "v3", "v4"], dtype="string")
    a = Agreed("supplier", "name", keys, values, rows)
    expect = np.flatnonzero(rows) if rows.dtype == bool else rows
    assert list(a.keys) == list(keys[expect])
    assert a.values.tolist() == values.iloc[expect].tolist()
    assert len(a) == len(expect)


# --- agreed values of compared pairs pointed at the Xero frame's own columns (core._in_frame) -------------------

from recon.reconcile import core, diff, fields  # noqa: E402


@pytest.mark.parametrize("cx, rows", [
    (np.array([0, 1, 2, 3]), np.arange(4)),        # every record, in order: the rows stay a range of the frame
    (np.array([3, 0, 2]), np.array([0, 2])),       # pairs in another order than the frame
    (np.array([1, 2, 4]), np.array([1])),
    (np.array([4]), np.array([0])),
])
def test_agreed_in_the_frame_reads_the_same_keys_and_values(cx, rows):
    x = pd.DataFrame({"id": pd.Series(["x0", "x1", "x2", "x3", "x4"], dtype="string"),
                      "name": pd.Series(["n0", "n1", None, "n3", "n4"], dtype="string")})
    xc = fields.taken(x, ["id", "name"], cx)
    pair_keys = core._PairKeys(diff.key_arrow(xc["id"]), np.ones(len(cx), dtype=bool))
    made = Agreed("supplier", "name", pair_keys, xc["name"], rows)
    few = Agreed("supplier", "email", np.array(["x9"], dtype=object), pd.Series(["e"], dtype="string"))
    out = core._in_frame([made, few], x, cx)
    assert out[1] is few
    moved = out[0]
    assert moved.column_values is x["name"] or moved.column_values.array is x["name"].array
    assert list(moved.keys) == list(made.keys) == [f"x{i}" for i in cx[rows]]
    assert moved.values.tolist() == made.values.tolist()
    assert str(moved.values.dtype) == str(made.values.dtype) and len(moved) == len(made)
    assert list(np.asarray(moved.rows)) == cx[rows].tolist()
