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
