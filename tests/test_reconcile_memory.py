"""Line baseline keys kept as integers (``documents.LineKeys``), their look-up in Arrow (``diff.align_baseline``)
the rounding analysis' line look-up (``rounding._lines_for``) and the difference rows' shared strings
(``core._filled``, ``_objects``, ``_read``): each equal, table by table, to the plain form it replaces (keys as
strings, a pandas index, a map per line, a string per row), and holding one object per distinct value."""

import numpy as np
import pandas as pd
import pytest

from recon import schema
from recon.reconcile import diff, rounding
from recon.reconcile.documents import LineKeys

DOC_IDS = np.array(["x-a", "x-b", "x-c"], dtype=object)
DOC = np.array([0, 0, 2, 1, 2, 0])
LINE_NO = np.array([1, 2, 1, 5, 2, 10])
LINKED = np.array([True, False, True])
TEXT = ["x-a#1", "x-a#2", "x-c#1", "x-b#5", "x-c#2", "x-a#10"]


def keys() -> LineKeys:
    return LineKeys(DOC_IDS, DOC, LINE_NO, LINKED)


@pytest.mark.parametrize("rows, expected", [
    (None, TEXT),
    ([1, 3], ["x-a#2", "x-b#5"]),
    ([5, 0, 0], ["x-a#10", "x-a#1", "x-a#1"]),
    (np.array([True, False, True, False, False, True]), ["x-a#1", "x-c#1", "x-a#10"]),
    (np.arange(6), TEXT),
    (np.array([], dtype=np.int64), []),
])
def test_line_keys_read_as_their_strings(rows, expected):
    k = keys() if rows is None else keys()[rows]
    assert len(k) == len(expected)
    assert list(k) == expected
    assert np.asarray(k).tolist() == expected
    assert k.arrow().to_pylist() == expected
    assert pd.DataFrame({"key": k})["key"].tolist() == expected


@pytest.mark.parametrize("first, then, expected", [
    ([1, 3, 4], [2, 0], ["x-c#2", "x-a#2"]),
    ([5, 4, 3, 2, 1, 0], [0, 5], ["x-a#10", "x-a#1"]),
    (np.arange(6), [3], ["x-b#5"]),
])
def test_keys_of_keys_are_the_rows_of_the_rows(first, then, expected):
    assert list(keys()[first][then]) == expected


@pytest.mark.parametrize("rows, expected", [
    (None, [True, True, True, False, True, True]),
    ([3, 2], [False, True]),
])
def test_recorded_says_whether_the_document_is_linked(rows, expected):
    k = keys() if rows is None else keys()[rows]
    assert k.recorded.tolist() == expected


@pytest.mark.parametrize("chunk", [1, 2, 4, 6, 100])
def test_iteration_makes_the_text_a_chunk_at_a_time(chunk, monkeypatch):
    monkeypatch.setattr(LineKeys, "CHUNK", chunk)
    assert list(keys()) == TEXT
    assert list(keys()[[5, 4, 3]]) == ["x-a#10", "x-c#2", "x-b#5"]


def _baseline(rows: list[tuple]) -> pd.DataFrame:
    frame = schema.conform([{"doc_id": d, "line_no": n, "description": desc} for d, n, desc in rows],
                           "purchase_order_lines")
    frame[schema.BASELINE_FIELDS] = pd.array(["description"] * len(frame), dtype="string")
    return frame


@pytest.mark.parametrize("rows", [
    [("x-a", 1, "one"), ("x-c", 2, "two")],
    # a key held twice takes its last row
    [("x-a", 1, "old"), ("x-b", 5, "b"), ("x-a", 1, "new"), ("x-a", 1, "newest")],
    # missing parts of a key read as "": such rows meet no line key
    [(None, 1, "no doc"), ("x-a", None, "no line"), ("x-a", 10, "ten")],
    [("x-z", 1, "other document"), ("x-c", 1, "c1")],
])
def test_line_keys_meet_the_baseline_rows_their_strings_meet(rows):
    base = _baseline(rows)
    for k in (keys(), keys()[[4, 1, 5]]):
        got, has = diff.align_baseline(base, k, on=("doc_id", "line_no"), sep="#")
        want, want_has = diff.align_baseline(base, np.asarray(k), on=("doc_id", "line_no"), sep="#")
        assert has.tolist() == want_has.tolist()
        assert got[has].reset_index(drop=True).equals(want[want_has].reset_index(drop=True))


def test_no_baseline_aligns_nothing():
    b, has = diff.align_baseline(None, keys(), on=("doc_id", "line_no"), sep="#")
    assert b is None and has.tolist() == [False] * 6


def _lines_for_by_map(lines: pd.DataFrame, doc_ids: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """The look-up as it was: a map of every line's id text to its document's first position."""
    pos = pd.Series(np.arange(len(doc_ids)), index=pd.Index(doc_ids, dtype=object))
    pos = pos[~pos.index.duplicated()]
    where = pd.Series(lines["doc_id"].astype("string").fillna("").to_numpy(dtype=object)).map(pos)
    keep = where.notna().to_numpy()
    return lines[keep], where[keep].to_numpy(dtype=np.int64)


@pytest.mark.parametrize("line_docs, doc_ids", [
    (["1", "1", "2", "3"], ["2", "1"]),
    (["1", "2", "1"], ["1", "2", "1"]),  # an id twice: its first position
    ([None, "1", ""], ["", "1"]),  # a missing id reads as ""
    (["4", "5"], ["1"]),  # no line of these documents
    (["1", "2"], ["2", "1", "3"]),
])
def test_rounding_finds_the_lines_of_the_documents_as_a_map_does(line_docs, doc_ids):
    lines = schema.conform([{"doc_id": d, "line_no": i + 1, "quantity": "1", "unit_amount": "2.5"}
                            for i, d in enumerate(line_docs)], "purchase_order_lines")
    got, pos = rounding._lines_for(lines, np.array(doc_ids, dtype=object))
    want, want_pos = _lines_for_by_map(lines, np.array(doc_ids, dtype=object))
    assert pos.tolist() == want_pos.tolist()
    assert got.index.tolist() == want.index.tolist()
    for c in got.columns:
        assert got[c].equals(want[c])


# --- difference rows: one Python string per distinct value --------------------------------------------------

from recon.reconcile import core, plan  # noqa: E402


@pytest.mark.parametrize("n, value", [(0, "x"), (1, "purchase_order"), (5, "mismatch"), (3, "")])
def test_filled_rows_share_one_string(n, value):
    out = core._filled(n, value)
    assert out.dtype == object and out.tolist() == [value] * n
    assert len({id(v) for v in out}) == min(n, 1)


@pytest.mark.parametrize("values", [
    ["mismatch", "rounding", "mismatch", "mismatch"],
    ["a"],
    [],
    ["lines[1].quantity", "lines[2].quantity", "lines[1].quantity"],
])
def test_arrow_text_columns_become_one_object_per_distinct_value(values):
    series = pd.Series(np.array(values, dtype=object), dtype="string")
    out = core._objects(series)
    assert out.dtype == object and out.tolist() == series.to_numpy(dtype=object).tolist()
    assert len({id(v) for v in out}) == len(set(values))


@pytest.mark.parametrize("series", [
    pd.Series(["a", None, "b"], dtype="string"),  # missing values: converted as before
    pd.Series(np.array([1, 2, 2]), dtype=np.int64),
    pd.Series(np.array(["a", "b"], dtype=object), dtype=object),
])
def test_other_columns_convert_as_before(series):
    assert core._objects(series).tolist() == series.to_numpy(dtype=object).tolist()


@pytest.mark.parametrize("positions", [[0, 0, 2, 2, 2, 1], [3], [], [1, 0]])
def test_rows_of_one_record_share_its_id(positions):
    made: list[int] = []

    def make(pos: np.ndarray) -> np.ndarray:
        made.extend(pos.tolist())
        return np.array([f"id-{p}" for p in pos.tolist()], dtype=object)

    out = core._read(plan.Strings(make, 4), np.array(positions, dtype=np.int64))
    assert out.tolist() == [f"id-{p}" for p in positions]
    assert sorted(made) == sorted(set(positions))
    assert len({id(v) for v in out}) == len(set(positions))


# --- lines paired on (document, line number) -------------------------------------------------------------------

from recon.reconcile import documents  # noqa: E402


def _pair_by_merge(left_doc, left_n, left_pos, right_doc, right_n, right_pos) -> pd.DataFrame:
    """The outer join as pandas makes it (the form ``documents._pair_lines`` keeps for repeated keys)."""
    left = pd.DataFrame({"_doc": left_doc, "_n": left_n, "lp": left_pos})
    right = pd.DataFrame({"_doc": right_doc, "_n": right_n, "rp": right_pos})
    both = left.merge(right, on=["_doc", "_n"], how="outer").sort_values(["_doc", "_n"], kind="stable")
    both = both.reset_index(drop=True)
    both["lp"] = both["lp"].fillna(-1).astype(np.int64)
    both["rp"] = both["rp"].fillna(-1).astype(np.int64)
    return both


@pytest.mark.parametrize("left, right", [
    ([(0, 1), (0, 2), (1, 1)], [(0, 1), (0, 2), (1, 1)]),
    ([(0, 1), (0, 2), (2, 5)], [(0, 2), (0, 3), (1, 1)]),  # lines only on one side, documents only on one
    ([(1, 0), (0, 10), (0, 1)], [(0, 10), (1, 0)]),  # line number 0 (missing), out of order
    ([], [(0, 1)]),
    ([(3, 1)], []),
    ([(0, 1), (0, 1), (0, 2)], [(0, 1), (0, 2)]),  # a line number twice: pandas' many-to-many join
    ([(0, 1)], [(0, 1), (0, 1)]),
    ([(0, -1), (0, 2)], [(0, -1)]),  # negative numbers: pandas
])
def test_lines_pair_as_the_outer_merge_pairs_them(left, right):
    def sides(rows, offset):
        doc = np.array([d for d, _ in rows], dtype=np.int64)
        n = np.array([k for _, k in rows], dtype=np.int64)
        return doc, offset + np.arange(len(rows), dtype=np.int64), n

    ld, lpos, ln = sides(left, 100)
    rd, rpos, rn = sides(right, 200)
    got = documents._pair_lines(ld, ln, lpos, rd, rn, rpos)
    want = _pair_by_merge(ld, ln, lpos, rd, rn, rpos)
    for c in ("_doc", "_n", "lp", "rp"):
        assert got[c].to_numpy(dtype=np.int64).tolist() == want[c].to_numpy(dtype=np.int64).tolist(), c
