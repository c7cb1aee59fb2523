"""The field map, row by row: each row of FIELD_MAP reads the value it promises from a raw record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from recon import schema
from recon.connectors import mapping
from recon.connectors.mapping import FIELD_MAP, FieldMap, to_canonical
from recon.errors import DataError

UTC = dt.timezone.utc

#: converter -> (raw JSON value, canonical value)
SAMPLES: dict[str, tuple[Any, Any]] = {
    "text": ("Acme 00123", "Acme 00123"),
    "decimal": (Decimal("33.3333"), Decimal("33.3333")),
    "xdate": ("/Date(1552435200000+0000)/", dt.date(2019, 3, 13)),
    "xtimestamp": ("/Date(1552522946077+0000)/", dt.datetime(2019, 3, 14, 0, 22, 26, 77000, tzinfo=UTC)),
    "pdate": ("2024-03-20T00:00:00+00:00", dt.date(2024, 3, 20)),
    "ptimestamp": ("2024-03-02T10:11:00+00:00", dt.datetime(2024, 3, 2, 10, 11, tzinfo=UTC)),
    "bool": (False, False),
    "int": (3, 3),
}

ACCOUNTS = {"itemCustomField": {"id": 1, "name": "Xero Chart of Accounts"}, "option": {"id": 11, "code": "429", "name": "General Expenses"}}
REGION = {"itemCustomField": {"id": 2, "name": "Region"}, "option": {"id": 21, "code": None, "name": "North"}}
DEPT = {"itemCustomField": {"id": 3, "name": "Department"}, "option": {"id": 31, "name": "Sales"}}

#: rule name -> [(raw record, canonical value), ...]
RULE_CASES: dict[str, list[tuple[dict[str, Any], Any]]] = {
    "xero_supplier_active": [({"ContactStatus": "ACTIVE"}, True), ({"ContactStatus": "ARCHIVED"}, False), ({}, True)],
    "xero_phone": [({"Phones": [{"PhoneType": "MOBILE", "PhoneNumber": "021"},
                                {"PhoneType": "DEFAULT", "PhoneCountryCode": "+64", "PhoneAreaCode": "9", "PhoneNumber": "555 0101"}]},
                    "+64 9 555 0101"),
                   ({"Phones": [{"PhoneType": "DEFAULT"}, {"PhoneType": "MOBILE", "PhoneNumber": "021 555"}]}, "021 555"),
                   ({"Phones": []}, None)],
    "xero_address_line1": [({"Addresses": [{"AddressType": "POBOX", "AddressLine1": "PO Box 1"},
                                           {"AddressType": "STREET", "AddressLine1": "1 Queen St"}]}, "1 Queen St"),
                           ({"Addresses": [{"AddressType": "STREET"}, {"AddressType": "POBOX", "AddressLine1": "PO Box 1"}]}, "PO Box 1")],
    "xero_city": [({"Addresses": [{"AddressType": "STREET", "City": "Auckland"}]}, "Auckland")],
    "xero_region": [({"Addresses": [{"AddressType": "STREET", "City": "A", "Region": "Auckland"}]}, "Auckland")],
    "xero_postal_code": [({"Addresses": [{"AddressType": "STREET", "PostalCode": "1010"}]}, "1010")],
    "xero_country": [({"Addresses": [{"AddressType": "STREET", "Country": "NZ"}]}, "NZ"), ({}, None)],
    "xero_status_active": [({"Status": "ACTIVE"}, True), ({"Status": "ARCHIVED"}, False), ({"Status": "DELETED"}, False)],
    "xero_item_active": [({"IsPurchased": True}, True), ({"IsPurchased": False}, False), ({}, True)],
    "xero_option_active": [({"Status": "ACTIVE", "_CategoryStatus": "ACTIVE"}, True),
                           ({"Status": "ACTIVE", "_CategoryStatus": "ARCHIVED"}, False), ({"Status": "ARCHIVED"}, False)],
    "xero_po_status": [({"Status": "AUTHORISED"}, "approved"), ({"Status": "BILLED"}, "billed"), ({"Status": "DELETED"}, "deleted"),
                       ({}, "draft")],
    "xero_po_active": [({"Status": "AUTHORISED"}, True), ({"Status": "DELETED"}, False)],
    "xero_bill_status": [({"Status": "AUTHORISED", "AmountPaid": Decimal("0.00")}, "approved"),
                         ({"Status": "AUTHORISED", "AmountPaid": Decimal("10.00")}, "partly_paid"),
                         ({"Status": "PAID", "AmountPaid": Decimal("115.00")}, "paid"), ({"Status": "VOIDED"}, "voided")],
    "xero_bill_active": [({"Status": "AUTHORISED"}, True), ({"Status": "VOIDED"}, False), ({"Status": "DELETED"}, False)],
    "xero_payment_active": [({"Status": "AUTHORISED"}, True), ({"Status": "DELETED"}, False)],
    "precoro_xero_id": [({"externalId": "g-1", "xeroId": "g-2"}, "g-1"), ({"externalId": None, "xeroId": "g-2"}, "g-2"),
                        ({"externalId": "", "xeroId": None}, None)],
    "precoro_supplier_xero_id": [({"supplier": {"id": 1, "externalId": None, "xeroId": "c-9"}}, "c-9"), ({"supplier": None}, None)],
    "precoro_status": [({"status": 2}, "approved"), ({"status": 8}, "cancelled"), ({"status": 4}, "partly_paid"),
                       ({"status": 7}, "revision")],
    "precoro_doc_active": [({"status": 2}, True), ({"status": 8}, False), ({"status": 3}, False), ({"status": 5}, True)],
    "precoro_po_number": [({"customName": "PO-00012", "idn": 12}, "PO-00012"), ({"customName": None, "idn": 12}, "12")],
    "precoro_bill_number": [({"invoiceNumber": "SUP-7781", "customName": "INV-1", "idn": 118}, "SUP-7781"),
                            ({"invoiceNumber": "", "customName": "INV-1", "idn": 118}, "INV-1"),
                            ({"invoiceNumber": None, "customName": None, "idn": 118}, "118")],
    "precoro_total_tax": [({"sum": Decimal("121.0"), "netSum": Decimal("100.0")}, Decimal("21.0"))],
    "precoro_amount_due": [({"sum": Decimal("115.0"), "sumPaid": "57.50"}, Decimal("57.50")),
                           ({"sum": Decimal("115.0"), "sumPaid": None}, Decimal("115.0"))],
    "precoro_exclusive": [({}, "Exclusive")],
    "precoro_item_account": [({"dataProductCustomFields": {"data": [REGION, ACCOUNTS]}}, "429"),
                             ({"dataProductCustomFields": {"data": []}}, None)],
    "precoro_line_account": [({"itemCustomFields": [ACCOUNTS, REGION]}, "429"), ({"itemCustomFields": [REGION]}, None)],
    "precoro_line_account_id": [({"itemCustomFields": [REGION, {**ACCOUNTS, "option": {**ACCOUNTS["option"], "externalId": "A-429"}}]}, "A-429"),
                                ({"itemCustomFields": [REGION]}, None)],
    "precoro_line_item_code": [({"sku": "PA4", "product": {"id": 201, "sku": "PA4", "externalId": "g"}}, "PA4"),
                               ({"sku": "PA4", "product": {"id": 201, "sku": "PA5", "externalId": "g"}}, "PA4"),
                               ({"sku": "PA4", "product": {"id": 201, "sku": "PA4", "externalId": None, "xeroId": None}}, None),
                               ({"sku": None, "product": None}, None)],
    "precoro_line_description": [({"name": "Paper A4", "description": "80gsm", "product": {"id": 1}}, "Paper A4"),
                                 ({"name": "Row", "description": "Courier", "product": None}, "Courier"),
                                 ({"name": "Row", "description": None, "product": None}, "Row")],
    "precoro_line_tax_type": [({"tax": {"id": 301, "externalId": "INPUT2"}}, "INPUT2"), ({"tax": None}, None)],
    "precoro_tracking1_category": [({"itemCustomFields": [ACCOUNTS, REGION, DEPT]}, "Region")],
    "precoro_tracking1_option": [({"itemCustomFields": [ACCOUNTS, REGION, DEPT]}, "North"), ({"itemCustomFields": [ACCOUNTS]}, None)],
    "precoro_tracking2_category": [({"itemCustomFields": [ACCOUNTS, REGION, DEPT]}, "Department")],
    "precoro_tracking2_option": [({"itemCustomFields": [REGION, DEPT]}, "Sales"), ({"itemCustomFields": [REGION]}, None)],
    "precoro_tracking1_option_id": [({"itemCustomFields": [ACCOUNTS, {**REGION, "option": {**REGION["option"], "externalId": "T-N"}}]}, "T-N"),
                                    ({"itemCustomFields": [ACCOUNTS, REGION]}, None)],
    "precoro_tracking2_option_id": [({"itemCustomFields": [REGION, {**DEPT, "option": {**DEPT["option"], "externalId": "T-S"}}]}, "T-S")],
    "precoro_payment_active": [({"status": "paid"}, True), ({"status": "canceled"}, False)],
    "precoro_option_active": [({"enable": True, "_fieldEnable": True}, True), ({"enable": False}, False),
                              ({"enable": True, "_fieldEnable": False}, False)],
}


def _build(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A minimal raw record holding ``value`` at ``path`` (list indexes create lists)."""
    root: dict[str, Any] = {}
    cur: Any = root
    for step, nxt in zip(path, path[1:] + (None,)):
        container: Any = value if nxt is None else ([] if isinstance(nxt, int) else {})
        if isinstance(step, int):
            while len(cur) <= step:
                cur.append({} if not isinstance(nxt, int) else [])
            cur[step] = container if nxt is None else cur[step]
            cur = cur[step]
        else:
            cur[step] = container
            cur = container
    return root


def _row_id(row: FieldMap) -> str:
    return f"{row.system}-{row.frame}-{row.column}"


@pytest.mark.parametrize("row", FIELD_MAP, ids=_row_id)
def test_each_map_row_reads_its_source(row: FieldMap) -> None:
    if row.source[0] == "rule":
        cases = RULE_CASES[row.source[1]]
        for record, expected in cases:
            assert row.value(record) == expected, (record, expected)
    else:
        raw, expected = SAMPLES[row.conv]
        assert row.value(_build(row.source, raw)) == expected
        assert row.value({}) is None  # a missing field is none, never an error


@pytest.mark.parametrize("system,frame", sorted({(r.system, r.frame) for r in FIELD_MAP}))
def test_every_canonical_column_is_mapped_or_declared_unmapped(system: str, frame: str) -> None:
    mapped = {r.column for r in mapping.rows(system, frame)}
    declared = mapping.UNMAPPED.get((system, frame), frozenset())
    assert mapped | declared == set(schema.columns(frame))
    assert not mapped & declared
    assert len(mapped) == len(mapping.rows(system, frame)), "a column is mapped twice"


def test_every_frame_of_both_systems_has_a_map() -> None:
    assert {(r.system, r.frame) for r in FIELD_MAP} == {(s, f) for s in schema.SYSTEMS for f in schema.FRAME_NAMES}


@pytest.mark.parametrize("raw,expected", [
    ("/Date(1552435200000+0000)/", dt.date(2019, 3, 13)),
    ("/Date(1455447600000+1300)/", dt.date(2016, 2, 15)),  # Xero local style: the SDK would give the 14th
    ("/Date(0+0000)/", dt.date(1970, 1, 1)),
    ("/Date(1552435200000)/", dt.date(2019, 3, 13)),
    ("2024-03-01T00:00:00", dt.date(2024, 3, 1)),
    (None, None),
])
def test_xero_dates_name_the_day_they_were_written_for(raw: Any, expected: Any) -> None:
    assert mapping.xero_date(raw) == expected


def test_a_whole_xero_purchase_order_maps_to_a_canonical_row() -> None:
    po = {"PurchaseOrderID": "56204648", "PurchaseOrderNumber": "PO-0004", "Date": "/Date(1552435200000+0000)/",
          "CurrencyCode": "NZD", "Contact": {"ContactID": "430fa14a"}, "Status": "AUTHORISED", "LineAmountTypes": "Exclusive",
          "SubTotal": Decimal("20.0"), "TotalTax": Decimal("3.0"), "Total": Decimal("23.0"),
          "UpdatedDateUTC": "/Date(1552522946077+0000)/"}
    row = to_canonical("xero", "purchase_order", po)
    frame = schema.conform([row], "purchase_order", system="xero")
    assert frame.loc[0, "total"] == Decimal("23.0") and frame.loc[0, "status"] == "approved"
    assert frame.loc[0, "supplier_xero_id"] == "430fa14a" and frame.loc[0, "date"] == dt.date(2019, 3, 13)


def test_a_bad_value_names_system_kind_record_and_field() -> None:
    with pytest.raises(DataError) as err:
        to_canonical("precoro", "purchase_order", {"idn": 12, "status": 99})
    assert (err.value.system, err.value.kind, err.value.record, err.value.field) == ("precoro", "purchase_order", "12", "status")
    with pytest.raises(DataError) as err:
        to_canonical("xero", "bill", {"InvoiceID": "b-1", "Total": "lots"})
    assert (err.value.record, err.value.field) == ("b-1", "total")


@pytest.mark.parametrize("value,text", [
    (Decimal("1.50"), "1.50"), (dt.date(2024, 1, 2), "2024-01-02"), (True, "true"), (False, "false"), (None, ""),
    ("x", "x"), (dt.datetime(2024, 1, 2, 3, 4, tzinfo=UTC), "2024-01-02T03:04:00+00:00"),
])
def test_canonical_strings_follow_the_write_protocol(value: Any, text: str) -> None:
    assert mapping.canonical_string(value) == text
