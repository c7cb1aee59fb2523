"""The Xero emulator's wire helpers and where/order parser, as tables (no server needed)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from recon.sandbox.xero_where import WhereError, order_terms, sort_records, where
from recon.sandbox.xero_wire import dumps, parse_date, parse_http_date, parse_record, render, render_date

UTC = timezone.utc


@pytest.mark.parametrize("text, day", [
    ("/Date(1552435200000+0000)/", date(2019, 3, 13)),
    ("/Date(1552435200000)/", date(2019, 3, 13)),
    ("/Date(1455447600000+1300)/", date(2016, 2, 15)),   # Xero's local style: the offset names the day
    ("2024-02-29", date(2024, 2, 29)),
    ("2024-02-29T00:00:00", date(2024, 2, 29)),
])
def test_dates_in(text: str, day: date) -> None:
    assert parse_date(text) == day


@pytest.mark.parametrize("text", ["2024-02-30", "31/12/2024", "/Date(abc)/", "", "/Date(99999999999999999)/"])
def test_bad_dates_are_value_errors(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_dates_out_are_midnight_utc_with_offset() -> None:
    assert render_date(date(2019, 3, 13)) == "/Date(1552435200000+0000)/"


@pytest.mark.parametrize("header, moment", [
    ("2024-01-02T03:04:05", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("2024-01-02T16:04:05+13:00", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("Tue, 02 Jan 2024 03:04:05 GMT", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
])
def test_if_modified_since_forms(header: str, moment: datetime) -> None:
    assert parse_http_date(header) == moment


def test_render_omits_nulls_and_prints_money_exactly() -> None:
    record = {"Total": Decimal("55"), "UnitAmount": Decimal("33.3333"), "Quantity": Decimal("3"), "Reference": None,
              "Date": date(2019, 3, 13), "LineItems": [], "IsSupplier": False}
    assert dumps(render(record)) == (b'{"Total":55.00,"UnitAmount":33.33,"Quantity":3.0000,'
                                     b'"Date":"/Date(1552435200000+0000)/","LineItems":[],"IsSupplier":false}')
    assert dumps(render(record, unitdp=4)).startswith(b'{"Total":55.00,"UnitAmount":33.3333,')


def test_parse_record_drops_read_only_fields_and_reports_bad_ones() -> None:
    errors: list[str] = []
    data = parse_record("Contacts", {"Name": "A", "IsSupplier": True, "ContactStatus": "WEIRD", "Balances": {},
                                     "ContactID": "nope", "Unknown": {"x": 1}}, errors)
    assert data == {"Name": "A"}
    assert len(errors) == 2 and any("ContactStatus" in e for e in errors) and any("GUID" in e for e in errors)


RECORDS = [
    {"Name": "Acme", "Type": "ACCPAY", "Total": Decimal("10.00"), "Date": date(2024, 1, 5), "Contact": {"Name": "X"}},
    {"Name": "bolt", "Type": "ACCREC", "Total": Decimal("25.50"), "Date": date(2024, 2, 1), "Email": "b@x"},
    {"Name": "Cog", "Type": "ACCPAY", "Total": Decimal("7"), "Date": date(2023, 12, 31)},
]


@pytest.mark.parametrize("clause, names", [
    ('Type=="ACCPAY"', ["Acme", "Cog"]),
    ('Type == "ACCPAY" AND Total > 8', ["Acme"]),
    ('Type=="ACCREC" || Total < 8', ["bolt", "Cog"]),
    ('NOT (Type=="ACCPAY")', ["bolt"]),
    ('Date >= DateTime(2024, 01, 01) && Date < DateTime(2024,2,1)', ["Acme"]),
    ('Email != null', ["bolt"]),
    ('Email == null', ["Acme", "Cog"]),
    ('Name.StartsWith("B")', ["bolt"]),
    ('Contact.Name == "x"', ["Acme"]),
    ('Name.EndsWith("g") OR Name.Contains("CM")', ["Acme", "Cog"]),
])
def test_where(clause: str, names: list[str]) -> None:
    predicate = where(clause)
    assert [r["Name"] for r in RECORDS if predicate(r)] == names


@pytest.mark.parametrize("clause", ['Type==', 'Type=="A" AND', 'Name.Upper()', 'DateTime(2024, 13, 1) == Date',
                                    'Name', '"unterminated'])
def test_unreadable_where(clause: str) -> None:
    with pytest.raises(WhereError):
        predicate = where(clause)
        for r in RECORDS:
            predicate(r)


@pytest.mark.parametrize("order, names", [
    ("Name", ["Acme", "bolt", "Cog"]), ("Total DESC", ["bolt", "Acme", "Cog"]),
    ("Type ASC, Date DESC", ["Acme", "Cog", "bolt"]), ("Email", ["bolt", "Acme", "Cog"]),
])
def test_order(order: str, names: list[str]) -> None:
    assert [r["Name"] for r in sort_records(RECORDS, order_terms(order))] == names


def test_nested_references_are_checked_like_their_kind() -> None:
    errors: list[str] = []
    data = parse_record("Payments", {"Invoice": {"Type": "WEIRD", "Contact": {"ContactStatus": "NOPE", "Name": "A"}},
                                     "Account": {"Type": "NOTATYPE"}}, errors)
    assert data == {"Invoice": {"Contact": {"Name": "A"}}, "Account": {}} and len(errors) == 3
