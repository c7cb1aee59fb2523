"""Reading Precoro's PHP/Symfony bracket forms and writing exact JSON numbers."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from recon.sandbox.precoro_forms import Invalid, dumps, loads, nest, number, parse_body, parse_query, timestamp


@pytest.mark.parametrize("pairs, nested", [
    ([("name", "Fabrikam")], {"name": "Fabrikam"}),
    ([("currencies[]", "USD"), ("currencies[]", "NZD")], {"currencies": ["USD", "NZD"]}),
    ([("contacts[data][0][email]", "a@b.c"), ("contacts[data][1][email]", "d@e.f"),
      ("contacts[data][0][name]", "A")],
     {"contacts": {"data": [{"email": "a@b.c", "name": "A"}, {"email": "d@e.f"}]}}),
    ([("contacts[data][10][email]", "x"), ("contacts[data][2][email]", "y")],
     {"contacts": {"data": [{"email": "y"}, {"email": "x"}]}}),  # digit keys in numeric order
    ([("invoice[id]", "956598"), ("sumPaid", "1.0")], {"invoice": {"id": "956598"}, "sumPaid": "1.0"}),
    ([("approvalDate[left_date]", "01.12.2023")], {"approvalDate": {"left_date": "01.12.2023"}}),
    ([("rows[][name]", "a"), ("rows[][name]", "b")], {"rows": [{"name": "a"}, {"name": "b"}]}),
])
def test_bracket_keys_nest_like_php(pairs, nested):
    assert nest(pairs) == nested


@pytest.mark.parametrize("pairs", [
    [("a", "1"), ("a[b]", "2")], [("a[b]", "2"), ("a", "1")], [("a[]", "1"), ("a[b]", "2")],
    [("a[b", "1")], [("", "1")], [("a" + "[x]" * 10, "1")],
])
def test_malformed_bracket_keys_are_invalid(pairs):
    with pytest.raises(Invalid):
        nest(pairs)


def test_query_and_form_and_json_bodies_agree():
    form = parse_body("application/x-www-form-urlencoded; charset=UTF-8", b"invoice%5Bid%5D=7&sumPaid=1.50")
    body = parse_body("application/json", b'{"invoice": {"id": "7"}, "sumPaid": "1.50"}')
    assert form == body == {"invoice": {"id": "7"}, "sumPaid": "1.50"}
    assert parse_query(b"status[]=2&status[]=4&per_page=10") == {"status": ["2", "4"], "per_page": "10"}
    assert parse_body("application/json", b'{"sumPaid": 1.50}') == {"sumPaid": Decimal("1.50")}


@pytest.mark.parametrize("value, wire", [
    (Decimal("115.00"), "115.00"), (Decimal("11.4450"), "11.4450"), (Decimal("-0.00"), "0.00"),
    (Decimal("1E+2"), "100"), ({"a": [None, True, "é"]}, '{"a":[null,true,"é"]}'),
    (datetime(2024, 3, 2, 10, 11, tzinfo=timezone.utc), '"2024-03-02T10:11:00+00:00"'),
])
def test_json_writes_decimals_exactly(value, wire):
    assert dumps(value) == wire


def test_decimals_survive_a_json_round_trip():
    assert loads(dumps({"sum": Decimal("87.7450")})) == {"sum": Decimal("87.7450")}


@pytest.mark.parametrize("text, moment", [
    ("2023-10-10T00:00:00", datetime(2023, 10, 10, tzinfo=timezone.utc)),
    ("2023-10-10T02:00:00+02:00", datetime(2023, 10, 10, tzinfo=timezone.utc)),
    ("2023-12-01T20:00:00Z", datetime(2023, 12, 1, 20, tzinfo=timezone.utc)),
    ("2023-12-01", datetime(2023, 12, 1, tzinfo=timezone.utc)),
])
def test_timestamps_without_offset_are_utc(text, moment):
    assert timestamp("modifiedSince", text) == moment


@pytest.mark.parametrize("value", [Decimal("sNaN"), Decimal("NaN"), Decimal("Infinity"), float("nan"), float("inf"),
                                   "1e5", "0x10", "1_000", " ", "١٢", True])
def test_numbers_that_are_not_amounts_are_invalid(value):
    with pytest.raises(Invalid):
        number("price", value, required=True)
