"""Line baseline keys kept as integers (``documents.LineKeys``), their look-up in Arrow (``diff.align_baseline``)
the rounding analysis' line look-up (``rounding._lines_for``) and the difference rows' shared strings
(``fields.filled``, ``diff._classify``, ``core._objects``, ``_read``): each equal, table by table, to the plain form it replaces (keys as
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
    columns, pos, rows = rounding._lines_for(lines, np.array(doc_ids, dtype=object))
    got = columns if rows is None else columns.iloc[rows]
    want, want_pos = _lines_for_by_map(lines, np.array(doc_ids, dtype=object))
    assert pos.tolist() == want_pos.tolist()
    assert (rows is None) == (len(want) == len(lines))
    assert got.index.tolist() == want.index.tolist()
    for c in got.columns:
        assert got[c].equals(want[c])


# --- difference rows: one Python string per distinct value --------------------------------------------------

from recon.reconcile import core, fields, plan  # noqa: E402
from recon.rules import rule as get_rule  # noqa: E402


@pytest.mark.parametrize("n, value", [(0, "x"), (1, "purchase_order"), (5, "mismatch"), (3, "")])
def test_filled_rows_share_one_string(n, value):
    out = fields.filled(n, value)
    assert out.dtype == object and out.tolist() == [value] * n
    assert len({id(v) for v in out}) == min(n, 1)


@pytest.mark.parametrize("kind, name", [("supplier", "name"), ("supplier", "active"), ("bill", "total")])
def test_classified_rows_hold_one_string_per_distinct_value(kind, name):
    # every situation of the diff's table at once: no baseline, one side changed, both, within rounding
    n = 6
    pk = np.array(["a", "b", "c", "false", "e", "f"], dtype=object)
    xk = np.array(["z", "y", "x", "true", "false", "g"], dtype=object)
    hb = np.array([False, True, True, True, False, False])
    eq_pb = np.array([False, True, False, False, False, False])
    eq_xb = np.array([False, False, True, False, False, False])
    near = np.array([False, False, False, False, False, True])
    columns = diff._classify(get_rule(kind), name, pk, xk, hb, eq_pb, eq_xb, near)
    for values in columns:
        assert values.dtype == object and len(values) == n
        assert len({id(v) for v in values}) == len(set(values.tolist()))


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


@pytest.mark.parametrize("values, distinct", [
    (["rounding: " + "a", "rounding: " + "a", "material"], 2),  # strings made per row, equal by value
    (["subtotal"] * 4, 1),
    (["x", ""], 2),
    (["only"], 1),
])
def test_object_text_columns_become_one_object_per_distinct_value(values, distinct):
    series = pd.Series(np.array(["".join(v) for v in values], dtype=object), dtype=object)  # fresh objects
    out = core._objects(series)
    assert out.dtype == object and out.tolist() == values
    assert len({id(v) for v in out}) == distinct


@pytest.mark.parametrize("values", [
    [True, 1, 1.0],  # equal when hashed, not the same value
    ["a", None, "a"],
    ["a", 1, "a"],
])
def test_object_columns_not_all_text_are_kept_value_for_value(values):
    series = pd.Series(np.array(values, dtype=object), dtype=object)
    out = core._objects(series)
    assert [type(v) for v in out] == [type(v) for v in values] and out.tolist() == values


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
    ([(2, 1), (0, 3), (0, 1)], [(1, 2), (0, 3), (2, 1), (0, 2)]),  # neither side in order, and a side's twice
    ([(0, 1), (2, 7), (2, 7)], [(0, 1)]),  # a side's (document, line) twice, in order: pandas
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
    for got_c, c in zip(got, ("_doc", "_n", "lp", "rp"), strict=True):
        assert got_c.dtype.kind == "i" and got_c.tolist() == want[c].to_numpy(dtype=np.int64).tolist(), c


# --- fifth pass: the plan's line values, the action column, the lines' rounding and references in Arrow ----------

from recon import money  # noqa: E402
from recon.reconcile import fields  # noqa: E402


def _lines_by_doc_by_isin(lines: pd.DataFrame, doc_ids: np.ndarray, names: tuple[str, ...]) -> dict:
    """``plan.lines_by_doc`` as it was: pandas' ``isin`` on the filled id strings of every line."""
    doc = lines["doc_id"].astype("string").fillna("")
    sub = lines[doc.isin(pd.Index(doc_ids, dtype=object)).to_numpy()]
    if sub.empty:
        return {}
    sub = sub.assign(_n=sub["line_no"].astype("Int64").fillna(0)).sort_values(["doc_id", "_n"], kind="stable")
    cols = {n: fields.text(sub[n]) for n in ("line_no", *names)}
    out: dict = {}
    for i, d in enumerate(sub["doc_id"].astype("string").tolist()):
        out.setdefault(str(d), []).append({n: str(cols[n][i]) for n in ("line_no", *names)})
    return out


@pytest.mark.parametrize("line_docs, doc_ids", [
    (["1", "1", "2", "3"], ["2", "1"]),
    (["2", "1", "2"], ["1", "2", "1"]),  # an id asked for twice; lines out of order
    ([None, "1", ""], ["", "1"]),  # a missing id reads as ""
    ([None, "1"], ["1"]),
    (["4", "5"], ["1"]),  # no line of these documents
    (["1", "2"], []),
    ([], ["1"]),
])
def test_lines_of_documents_are_those_isin_found(line_docs, doc_ids):
    lines = schema.conform([{"doc_id": d, "line_no": 3 - i % 3, "quantity": "1", "unit_amount": "2.5",
                             "account_code": "300", "description": f"line {i}"} for i, d in enumerate(line_docs)],
                           "purchase_order_lines")
    names = ("quantity", "unit_amount", "account_code", "description")
    ids = np.array(doc_ids, dtype=object)
    got = plan.lines_by_doc(lines, ids, names)
    assert got == _lines_by_doc_by_isin(lines, ids, names)
    assert list(got) == list(_lines_by_doc_by_isin(lines, ids, names))


def test_equal_values_of_lines_are_one_string():
    lines = schema.conform([{"doc_id": f"D{i % 2}", "line_no": i, "quantity": "1", "account_code": "300",
                             "description": f"line {i}"} for i in range(6)], "purchase_order_lines")
    got = plan.lines_by_doc(lines, np.array(["D0", "D1"], dtype=object), ("quantity", "account_code", "description"))
    values = [v for doc in got.values() for line in doc for v in line.items()]
    for name, distinct in (("quantity", 1), ("account_code", 1), ("description", 6)):
        assert len({id(v) for k, v in values if k == name}) == distinct, name


@pytest.mark.parametrize("kinds", [["mismatch", "mismatch", "rounding"], ["rounding"] * 4, []])
def test_rows_without_an_action_share_one_none(kinds):
    # a field with no update rule in that direction (none): no action, every row "none", one object
    sides = plan.Sides(core.get_rule("supplier"), schema.conform(pd.DataFrame({"id": ["P0"]}), "supplier"),
                       schema.conform(pd.DataFrame({"id": ["X0"]}), "supplier"))
    n = len(kinds)
    diffs = pd.DataFrame({"p": np.zeros(n, dtype=np.int64), "x": np.zeros(n, dtype=np.int64),
                          "field": [f"f{i}" for i in range(n)], "precoro_value": ["a"] * n, "xero_value": ["b"] * n,
                          "baseline_value": [""] * n, "kind": kinds, "direction": ["none"] * n, "reason": ["r"] * n})
    actions, column = plan.field_actions(sides, diffs, {"precoro": {}, "xero": {}})
    assert not actions and column.tolist() == ["none"] * n
    assert len({id(v) for v in column}) == min(n, 1)


def _rounded_by_where(series: pd.Series, other: pd.Series, places: int) -> pd.Series:
    differ = ~fields.same(series, other)
    return series if not differ.any() else money.round_column(series, places).where(differ, series)


def _decimals(values: list) -> pd.Series:
    return schema.conform(pd.DataFrame({"doc_id": ["D"] * len(values), "quantity": values}),
                          "purchase_order_lines")["quantity"]


@pytest.mark.parametrize("values, others, places", [
    (["1.23456", "2.5", "3.005"], ["1.2346", "2.5", "3.01"], 4),
    (["1.23456", "2.5", "3.005"], ["1.23", "2.5", "3"], 2),
    (["1.5", None, "-2.345"], ["1.5", "3", None], 2),  # missing on either side
    (["1", "2"], ["1", "2"], 2),  # nothing differs: the column itself
    (["-0.125", "0.125"], ["0", "0"], 2),  # half away from zero
    (["1.23456", "2.5", "-3.00449", "7"], ["1.23456", "2.5", "-3", "7"], 2),  # one in the middle differs
])
def test_rounded_lines_are_those_where_chose(values, others, places):
    series, other = _decimals(values), _decimals(others)
    got = documents._rounded(series, other, places)
    want = _rounded_by_where(series, other, places)
    assert got.dtype == want.dtype == series.dtype
    assert got.index.tolist() == want.index.tolist()
    assert got.tolist() == want.tolist()


@pytest.mark.parametrize("left, right, expected", [
    (["A", "B", "", None, "C"], ["A", "X", "", None, None], [True, False, False, False, False]),
    ([None, "A"], ["", "A"], [False, True]),
    ([], [], []),
])
def test_same_references_are_equal_ids_not_empty(left, right, expected):
    for dtype in ("string", object):  # Arrow strings, and the general path
        got = documents._same_ids(pd.Series(left, dtype=dtype), pd.Series(right, dtype=dtype))
        assert got.dtype == bool and got.tolist() == expected


def _bill_lines(rows: list[tuple]) -> pd.DataFrame:
    return schema.conform([{"doc_id": "D", "line_no": i + 1, "account_code": code, "account_id": account,
                            "tracking1_option": option, "tracking1_option_id": option_id, "quantity": q,
                            "unit_amount": u, "description": f"line {i}"}
                           for i, (code, account, option, option_id, q, u) in enumerate(rows)], "bill_lines")


PRECORO_LINES = [("999", "Z", "o0", "T0", "9", "9"), ("300", "A1", "o1", "T1", "1.00005", "2.125"),
                 ("310", "A2", None, "", "2", "3.14159"), (None, "A3", "o3", "T3", "3", "4"),
                 ("320", "", "o4", "T9", "4", "5")]
XERO_LINES = [("301", "A1", "p1", "T1", "1.0001", "2.13"), (None, "A2", "p2", "", "2", "3.14"),
              ("330", "B3", "p3", "T3", "3", "4"), ("321", "", "p4", "T4", "4", "5.5")]


def _prepared_by_row_assignment(pl: pd.DataFrame, xl: pd.DataFrame, unitdp: int) -> pd.DataFrame:
    """The Precoro side of paired lines as ``_line_diffs`` made it before: rounded where it differs, then the
    names of the records both sides name by id assigned from Xero, row by row."""
    pl = pl.copy()
    pl["unit_amount"] = _rounded_by_where(pl["unit_amount"], xl["unit_amount"], 4 if unitdp == 4 else 2)
    pl["quantity"] = _rounded_by_where(pl["quantity"], xl["quantity"], 4)
    for ref, names in documents._REFERENCES:
        same = documents._same_ids(pl[ref], xl[ref])
        for name in names:
            pl.loc[same, name] = xl.loc[same, name].to_numpy()
    return pl


@pytest.mark.parametrize("rows, xero", [
    ([1, 2, 3, 4], XERO_LINES),  # the first Precoro line unpaired
    ([4, 1], [XERO_LINES[3], XERO_LINES[0]]),  # out of order
    ([0, 1, 2, 3, 4], [XERO_LINES[0], *XERO_LINES]),  # every line in order: the columns themselves
    ([3, 3], [XERO_LINES[2], XERO_LINES[0]]),  # a line paired twice
])
@pytest.mark.parametrize("unitdp", [2, 4])
def test_precoro_lines_read_a_column_at_a_time_are_those_prepared_whole(rows, xero, unitdp):
    """``_LinesAt`` with ``_prepared``: each column as the paired lines taken whole, rounded where Xero differs and
    named as in Xero where both sides name one record by id (not empty), the row assignment it replaces."""
    lines, xl = _bill_lines(PRECORO_LINES), _bill_lines(xero)
    at = np.array(rows, dtype=np.int64)
    got = documents._LinesAt(lines, at, documents._prepared(lines, at, xl, unitdp))
    want = _prepared_by_row_assignment(lines.take(at).reset_index(drop=True), xl, unitdp)
    for name in ("account_code", "tracking1_option", "quantity", "unit_amount", "description", "tracking2_option"):
        assert got[name].dtype == want[name].dtype, name
        assert got[name].index.tolist() == list(range(len(rows)))
        assert got[name].tolist() == want[name].tolist(), name


def test_precoro_lines_hold_only_the_column_read_last():
    lines, xl = _bill_lines(PRECORO_LINES), _bill_lines([XERO_LINES[0], *XERO_LINES])
    at = np.arange(len(lines))
    got = documents._LinesAt(lines, at, documents._prepared(lines, at, xl, 2))
    first = got["account_code"]
    assert got["account_code"] is first  # read twice (compared, then taken at the differing rows): taken once
    got["quantity"]
    assert got["account_code"] is not first and got["account_code"].tolist() == first.tolist()
    assert first.tolist() == ["999", "301", pd.NA, pd.NA, "320"]


@pytest.mark.parametrize("rows", [None, [0, 2], [3], [], [1, 1, 0]])
@pytest.mark.parametrize("fast", [True, False])  # integers, or Decimal maths (a unit amount beyond 4 dp)
def test_line_maths_at_rows_are_those_of_the_lines_taken(rows, fast):
    """The analysis reads the lines of its documents through ``rows``, not a copy of their decimal columns: the
    same cents as the maths on the lines taken first."""
    lines = schema.conform([{"doc_id": "1", "line_no": i + 1, "quantity": q, "unit_amount": u, "tax_rate": r,
                             "line_amount": a, "tax_amount": t}
                            for i, (q, u, r, a, t) in enumerate([("3", "1.005" if fast else "1.00005", "20", "3.02", "0.60"),
                                                                 ("1", "2.5", "0", "2.50", "0"),
                                                                 ("2", "0.3333", "15", "0.67", "0.10"),
                                                                 ("7", "1.25", "20", "", "")])], "purchase_order_lines")
    at = None if rows is None else np.array(rows, dtype=np.int64)
    taken = lines if at is None else lines.iloc[at].reset_index(drop=True)
    lat = np.full(len(taken), "Exclusive", dtype=object)
    for unitdp in (2, 4):
        got = rounding.line_cents(lines, lat, (unitdp,), at)[0]
        want = rounding.line_cents(taken, lat, (unitdp,))[0]
        assert [g.tolist() for g in got] == [w.tolist() for w in want]
    for c in ("line_amount", "tax_amount"):
        assert rounding._cents(lines[c], at).tolist() == rounding._cents(taken[c]).tolist()


@pytest.mark.parametrize("rows", [[0, 1, 2, 3], [2, 0], [3], [], [1, 1, 3]])
def test_lines_taken_are_those_of_a_take(rows):
    """``documents._taken`` shares the columns (every row in order) and the columns with no value (a slice),
    and takes the rest: the same frame as a take."""
    from recon.reconcile import documents

    lines = schema.conform([{"doc_id": str(i), "line_no": i + 1, "quantity": str(i), "description": d}
                            for i, d in enumerate(["a", None, "c", "d"])], "purchase_order_lines")
    columns = ["description", "tracking1_option", "quantity", "account_id", "line_no"]
    at = np.array(rows, dtype=np.int64)
    got = documents._taken(lines, columns, at)
    want = lines[columns].take(at).reset_index(drop=True)
    assert got.columns.tolist() == columns and got.index.tolist() == list(range(len(rows)))
    for c in columns:
        assert got[c].dtype == want[c].dtype
        assert got[c].equals(want[c]), c


@pytest.mark.parametrize("columns", [
    {"object": ["bill", "bill", "bill"], "difference": ["", "0.01", ""], "precoro_id": ["1", "2", "3"]},
    {"object": [], "classification": [], "precoro_id": []},
    {"remedy": ["", "review: the difference is not explained by rounding", ""], "lines": ["1, 2", "", "1, 2"],
     "precoro_id": ["7", "8", "9"]},
])
def test_a_held_rounding_frame_gives_back_the_same_frame(columns):
    frame = pd.DataFrame({name: pd.Series(values, dtype="str") for name, values in columns.items()})
    held = rounding.compact(frame)
    few = [c for c in frame.columns if c != "precoro_id"]
    assert all(isinstance(held[c].dtype, pd.CategoricalDtype) for c in few)
    assert held["precoro_id"].dtype == "str"  # one value per document: nothing to share
    back = rounding.expanded(held)
    pd.testing.assert_frame_equal(back, frame)
    assert back.to_csv(index=False) == frame.to_csv(index=False)


@pytest.mark.parametrize("ids, active", [
    (["1", "2", "3"], [True, False, True]),
    (["2", None, "1", "2"], [True, True, True, True]),  # a missing id reads as "", an id twice
    (["1"], [False]),
    ([], []),
])
def test_lines_of_documents_named_in_arrow_are_those_named_by_strings(ids, active):
    """The documents' ids given to the lines' look-up as Arrow text (``_ids_at``) find the lines the ids as
    strings (``fields.text``) found, each at the same document position."""
    lines = schema.conform([{"doc_id": d, "line_no": i % 3 + 1, "description": f"line {i}"}
                            for i, d in enumerate(["1", "3", None, "2", "", "1", "4"])], "bill_lines")
    column = schema.conform(pd.DataFrame({"id": pd.Series(ids, dtype=object)}), "bill")["id"]
    mask = np.array(active, dtype=bool)
    as_arrow, as_strings = documents._ids_at(column, mask), fields.text(column)[mask]
    assert as_arrow.to_pylist() == as_strings.tolist()
    for got, want in zip(documents._lines_of(lines, as_arrow), documents._lines_of(lines, as_strings), strict=True):
        assert got.tolist() == want.tolist()


@pytest.mark.parametrize("values, dtype", [
    (["approved", None, "draft", "", "paid"], "string"),
    (["approved", None, "draft", "", "paid"], object),
    (["partly_paid"], "string"),
    ([], "string"),
    ([None, None], "string"),
])
def test_statuses_are_looked_up_as_their_text_is(values, dtype):
    # the look-up in Arrow is the plain one on the canonical text (missing reads as "")
    series = pd.Series(values, dtype=dtype)
    for wanted in (("approved", "partly_paid", "paid"), ("",), ()):
        got = fields.text_in(series, wanted)
        assert got.dtype == bool
        assert got.tolist() == np.isin(fields.text(series), list(wanted)).tolist()


@pytest.mark.parametrize("lists", [
    ["name email", None, "email", "name email", "city name"],
    ["name"],
    [None, None],
    ["email name_extra", "name", ""],
])
@pytest.mark.parametrize("field", ["name", "email", "city", "name_extra"])
def test_known_fields_read_the_same_from_their_categories(lists, field):
    # core holds a baseline's field lists categorical; they are read as the text they were
    text = pd.DataFrame({schema.BASELINE_FIELDS: pd.array(lists, dtype="string")})
    held = pd.DataFrame({schema.BASELINE_FIELDS: pd.Categorical(pd.array(lists, dtype="string"))})
    has_b = np.array([True, False] * len(lists))[: len(lists)]
    for has in (has_b, np.ones(len(lists), dtype=bool)):
        assert diff.knows(held, has, field).tolist() == diff.knows(text, has, field).tolist()
        assert diff.knows(held.iloc[::-1].reset_index(drop=True), has, field).tolist() == \
            diff.knows(text.iloc[::-1].reset_index(drop=True), has, field).tolist()


def test_a_held_empty_analysis_gives_back_the_same_frame():
    frame = rounding.analyse("bill", pd.DataFrame(), pd.DataFrame(), pd.DataFrame({"p": [], "x": []}),
                             pd.DataFrame(), {})
    back = rounding.expanded(rounding.compact(frame))
    assert back.dtypes.tolist() == frame.dtypes.tolist() == [object] * len(rounding.ROUNDING_COLUMNS)
    pd.testing.assert_frame_equal(back, frame)
