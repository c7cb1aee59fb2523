"""Field comparison by type: text normalised, case folded where the systems ignore case, ids and document
numbers as strings, dates as dates, money exact with the column's tolerance."""

import datetime as dt
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from recon import schema
from recon.reconcile import fields


def compare(frame, name, a, b, casefold=False):
    col = fields.column(frame, name)
    ka = fields.key(schema.conform([{name: a}], frame)[name], col, casefold)
    kb = fields.key(schema.conform([{name: b}], frame)[name], col, casefold)
    eq, near = fields.equal(ka, kb, col)
    return bool(eq[0]), bool(near[0])


@pytest.mark.parametrize("frame, name, a, b, casefold, expected", [
    ("supplier", "name", "Acme  Ltd ", " Acme Ltd", False, (True, False)),
    ("supplier", "name", "Acme\tLtd", "Acme Ltd", False, (True, False)),
    ("supplier", "name", "ACME Ltd", "Acme Ltd", False, (False, False)),
    ("supplier", "email", "AP@Acme.test", "ap@acme.test", True, (True, False)),
    ("supplier", "name", None, "", False, (True, False)),
    ("purchase_order", "number", "00123", "123", False, (False, False)),
    ("purchase_order", "date", "2026-11-02", dt.date(2026, 11, 2), False, (True, False)),
    ("purchase_order", "date", "2026-11-02", "2026-11-03", False, (False, False)),
    ("purchase_order", "total", "120.0", "120.00", False, (True, False)),
    ("purchase_order", "total", "120.00", "120.01", False, (False, False)),
    ("payment", "amount", "50.00", "50.01", False, (False, True)),
    ("payment", "amount", "50.00", "50.02", False, (False, False)),
    ("payment", "amount", None, "50.00", False, (False, False)),
    ("supplier", "active", None, True, False, (True, False)),
    ("supplier", "active", False, True, False, (False, False)),
])
def test_values_compare_by_type(frame, name, a, b, casefold, expected):
    assert compare(frame, name, a, b, casefold) == expected


@pytest.mark.parametrize("value, text", [
    (Decimal("1.50"), "1.50"), (dt.date(2026, 1, 2), "2026-01-02"), (True, "true"), (False, "false"),
    (None, ""), ("PO-1", "PO-1"),
])
def test_canonical_text(value, text):
    assert fields.text(pd.Series([value], dtype=object))[0] == text


NAMES = ["Acme Ltd", "ACME LIMITED", "Acme, Ltd.", "Acme-Co", "ltd co", "Ltd", "", "  ", "A&B Ltd", "Zoë GmbH",
         "co ltd inc", "Acme Pty Ltd", "Acme Company Ltd x", "Acme\tLtd", "  Acme   Ltd  ", "123 Ltd", "Acme Coltd",
         "Acme Ltdx", "x ltd ltd", "...", "a.b.c", "Ab\x01cd", "café ltd", "A  &  B", None, "Ltd Acme", "co co co",
         "Acme’s Ltd", "ÅKE AB", "Smith & Co"]


@pytest.mark.parametrize("name, legal, key", [
    ("Acme, Ltd.", True, "acme"), ("ACME LIMITED", True, "acme"), ("Acme Pty Ltd", True, "acme"),
    ("Acme Ltd", False, "acmeltd"), ("ltd co", True, "ltd"), ("Ltd", True, "ltd"), ("Acme Coltd", True, "acmecoltd"),
    ("A&B Ltd", True, "aandb"), ("Zoë GmbH", True, "zoë"), ("  ", True, ""), (None, True, ""),
])
def test_name_keys(name, legal, key):
    assert fields.name_key(pd.Series([name], dtype="string"), legal).to_pylist() == [key]


@pytest.mark.parametrize("legal", [False, True])
def test_name_keys_of_plain_ascii_names_are_those_of_the_general_path(legal):
    # names of ASCII are keyed on their bytes, the others in Arrow's regular expressions: both must agree
    names = pd.Series(NAMES, dtype="string")
    general = fields._name_key_arrow(pa.array(names.fillna(""), type=pa.string()), legal).to_pylist()
    assert fields.name_key(names, legal).to_pylist() == general
    assert fields.name_key(names.iloc[3:20], legal).to_pylist() == general[3:20]  # a slice of a column


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="abAB 0.,-&'ltdcoinpy\t\né€", max_size=16), max_size=40), st.booleans())
def test_name_keys_agree_on_any_text(names, legal):
    series = pd.Series(names, dtype="string")
    general = fields._name_key_arrow(pa.array(series, type=pa.string()), legal).to_pylist()
    assert fields.name_key(series, legal).to_pylist() == general


@pytest.mark.parametrize("name, legal, exact", [
    ("Acme Trading", True, True), ("Acme Ltd", True, False), ("Acme, Ltd.", True, False), ("Ltd", True, True),
    ("Acme Coltd", True, True), ("Acme Ltdx", True, True), ("123 ltd", True, False), ("Ltd Acme", True, True),
    ("Acme Ltd", False, True), ("A&B", True, False), ("Zoë", True, False), ("Zoë", False, False), ("", True, True),
    (None, True, True), ("x co co", True, False), ("Supplier 12", True, True),
])
def test_names_keyed_cheaply_only_where_the_cheap_key_is_theirs(name, legal, exact):
    keys, where = fields.name_key_where_plain(pd.Series([name], dtype="string"), legal)
    assert where.tolist() == [exact]
    if exact:
        assert keys.to_pylist() == fields.name_key(pd.Series([name], dtype="string"), legal).to_pylist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="abAB 0.,-&'ltdcoinpy\t\né€", max_size=16), max_size=40), st.booleans(),
       st.integers(0, 5))
def test_cheap_name_keys_are_the_keys_wherever_they_say_so(names, legal, start):
    series = pd.Series(names, dtype="string").iloc[start:]  # a slice of a column too
    keys, exact = fields.name_key_where_plain(series, legal)
    full = fields.name_key(series, legal).to_pylist()
    assert len(exact) == len(full)
    assert [k for k, e in zip(keys.to_pylist(), exact) if e] == [k for k, e in zip(full, exact) if e]


def test_name_keys_of_a_slice_cast_from_large_strings():
    # the cast keeps the slice's offsets (not from zero), which Arrow 26's ascii_lower mishandled
    series = pd.Series(["Zero Ltd", "Acme Ltd", "Bolt Co"], dtype="string").iloc[1:]
    assert fields.name_key(series, True).to_pylist() == ["acme", "bolt"]
    keys, exact = fields.name_key_where_plain(series, False)
    assert (keys.to_pylist(), exact.tolist()) == (["acmeltd", "boltco"], [True, True])


def _mixed_frame():
    return pd.DataFrame({
        "text": pd.Series(["a", None, "c", "d ", "", "f"], dtype="string"),
        "flag": pd.Series([True, False, None, True, True, False], dtype="bool[pyarrow]"),
        "masked": pd.Series([True, None, False, True, False, True], dtype="boolean"),
        "amount": schema.conform([{"total": v} for v in ("1.50", None, "2", "3.25", "0", "9.99")],
                                 "purchase_order")["total"],
        "plain": pd.Series([1, "x", None, 2.5, dt.date(2026, 1, 2), "y"], dtype=object),
    })


@pytest.mark.parametrize("pos", [
    [0, 2, 5], [1, 2, 3, 4], [0, 1, 2, 3, 4, 5], [5, 3, 1], [2, 2, 3], [4], [], [3, 0], [0, 5],
])
def test_columns_taken_at_positions_are_those_of_iloc(pos):
    # increasing positions go through Arrow's filter, the others through a take: both are iloc's rows
    df = _mixed_frame()
    cols = list(df.columns)
    got = fields.taken(df, cols, pd.Series(pos, dtype="int64").to_numpy())
    pd.testing.assert_frame_equal(got, df[cols].iloc[pos].reset_index(drop=True))


def test_columns_taken_from_a_slice_of_a_frame():
    # a frame sliced from a larger one: its Arrow columns start at an offset the filter must respect
    df = pd.concat([_mixed_frame()] * 3, ignore_index=True).iloc[4:15].reset_index(drop=True)
    for pos in ([0, 3, 10], [10, 3, 0], list(range(11))):
        got = fields.taken(df, ["text", "flag", "amount"], pd.Series(pos, dtype="int64").to_numpy())
        pd.testing.assert_frame_equal(got, df[["text", "flag", "amount"]].iloc[pos].reset_index(drop=True))


@pytest.mark.parametrize("values, kind, casefold", [
    ([" Acme  Ltd ", None, "a\tb", "ÉCOLE", ""], "text", True),
    ([" Acme  Ltd ", None, "a\tb", "ÉCOLE", ""], "text", False),
    ([" ID-1 ", None, "id  2", "Ab"], "id", True),
])
def test_text_keys_of_arrow_text_are_those_of_the_series(values, kind, casefold):
    col = schema.Column("c", kind, "a test column")
    series = pd.Series(values, dtype="string")
    assert fields.text_key(pa.array(series), col, casefold).to_pylist() == \
        list(fields.key(series, col, casefold))


@pytest.mark.parametrize("rows", [[0, 2, 5], [5, 3, 1], [2, 2], [], [4]])
def test_a_column_at_rows_is_that_of_iloc(rows):
    for name, series in _mixed_frame().items():
        got = fields.at(series, pd.Series(rows, dtype="int64").to_numpy())
        pd.testing.assert_series_equal(got, series.iloc[rows].reset_index(drop=True), check_names=False)
