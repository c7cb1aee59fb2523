"""Rate limits, Idempotency-Key, injected faults, malformed requests and the admin surface of the Xero emulator."""

from __future__ import annotations

import json
from decimal import Decimal
import re

import pytest
from xero_python.accounting import Contact, Contacts
from xero_python.exceptions import AccountingBadRequestException, HTTPStatusException, RateLimitException

from xero_sdk import HTTP, TENANT, Sdk, chart, emu, sdk, served  # noqa: F401  (fixtures)


def test_remaining_headers_on_every_response_then_429_per_minute(emu, sdk: Sdk) -> None:
    emu.app.configure({"limits": {"minute": 3, "day": 100}})
    _, status, headers = sdk.acc.get_contacts(TENANT, _return_http_data_only=False)
    assert (status, headers["X-MinLimit-Remaining"], headers["X-DayLimit-Remaining"]) == (200, "2", "99")
    assert int(headers["X-AppMinLimit-Remaining"]) > 0
    sdk.acc.get_contacts(TENANT)
    sdk.acc.get_contacts(TENANT)
    with pytest.raises(RateLimitException) as err:
        sdk.acc.get_contacts(TENANT)
    assert err.value.rate_limit == "minute"
    assert 1 <= int(err.value.headers["Retry-After"]) <= 60
    assert err.value.headers["X-MinLimit-Remaining"] == "0"


def test_429_for_the_day_limit_and_the_minute_window_frees_up(served, emu, sdk: Sdk) -> None:
    emu.app.configure({"limits": {"minute": 2, "day": 3}})
    sdk.acc.get_contacts(TENANT)
    sdk.acc.get_contacts(TENANT)
    with pytest.raises(RateLimitException) as err:
        sdk.acc.get_contacts(TENANT)
    assert err.value.rate_limit == "minute"
    served.clock.advance(61)
    sdk.client.get_client_credentials_token()
    sdk.acc.get_contacts(TENANT)
    with pytest.raises(RateLimitException) as err:
        sdk.acc.get_contacts(TENANT)
    assert err.value.rate_limit == "day" and int(err.value.headers["Retry-After"]) > 60


def test_idempotent_replay_and_key_reuse_on_another_request(emu, sdk: Sdk) -> None:
    body = Contacts(contacts=[Contact(name="Once Only")])
    first = sdk.acc.create_contacts(TENANT, body, idempotency_key="key-1").contacts[0]
    again = sdk.acc.create_contacts(TENANT, body, idempotency_key="key-1").contacts[0]
    assert again.contact_id == first.contact_id
    assert [c.name for c in sdk.acc.get_contacts(TENANT).contacts] == ["Once Only"]
    with pytest.raises(AccountingBadRequestException) as err:
        sdk.acc.create_contacts(TENANT, Contacts(contacts=[Contact(name="Other")]), idempotency_key="key-1")
    assert err.value.reason == "Idempotency Key key-1 is used with a different request"
    with pytest.raises(AccountingBadRequestException):  # errors replay too: still the duplicate-name refusal
        for _ in range(2):
            sdk.acc.create_contacts(TENANT, body, idempotency_key="key-2")
    with pytest.raises(AccountingBadRequestException):
        sdk.acc.create_contacts(TENANT, Contacts(contacts=[Contact(name="Long")]), idempotency_key="k" * 129)


def test_idempotent_replay_survives_a_dropped_reply(emu, sdk: Sdk) -> None:
    emu.app.configure({"rate_drop_after": 1.0, "methods": ["PUT"], "max_faults": 1})
    body = Contacts(contacts=[Contact(name="Maybe Written")])
    with pytest.raises(Exception):
        sdk.acc.create_contacts(TENANT, body, idempotency_key="drop-1")
    made = sdk.acc.create_contacts(TENANT, body, idempotency_key="drop-1").contacts[0]
    assert [c.contact_id for c in sdk.acc.get_contacts(TENANT).contacts] == [made.contact_id]


def test_injected_5xx_then_recovery_and_stats(served, emu, sdk: Sdk) -> None:
    emu.app.configure({"rate_5xx": 1.0, "max_faults": 1})
    with pytest.raises(HTTPStatusException) as err:
        sdk.acc.get_contacts(TENANT)
    assert err.value.status == 503
    assert sdk.acc.get_contacts(TENANT).contacts == []
    stats = HTTP.get(f"{served.url}/_sandbox/stats").json()
    assert stats["by_route"]["GET /api.xro/2.0/Contacts"] == 2
    faults = HTTP.get(f"{served.url}/_sandbox/faults").json()
    assert faults["injected"] == 1 and faults["limits"]["minute"] == 1_000_000


BAD = [
    ("PUT", "/Contacts", b"{not json", 400),
    ("PUT", "/Contacts", b"[1, 2]", 400),
    ("PUT", "/Contacts", b'{"Contacts": []}', 400),
    ("PUT", "/Contacts", b'{"Contacts": [{"Name": "X", "ContactID": "not-a-guid"}]}', 400),
    ("PUT", "/Contacts", b'{"Contacts": [{"Name": "X", "ContactStatus": "WEIRD"}]}', 400),
    ("PUT", "/Contacts", b'{"Contacts": [{"Name": "' + b"x" * 300 + b'"}]}', 400),
    ("PUT", "/Contacts", b'{"Contacts": ["just a string"]}', 400),
    ("PUT", "/Invoices", b'{"Invoices": [{"Type": "ACCPAY", "Date": "31/12/2026"}]}', 400),
    ("PUT", "/Invoices", b'{"Invoices": [{"Type": "ACCPAY", "Date": "/Date(99999999999999999)/"}]}', 400),
    ("PUT", "/Invoices", b'{"Invoices": [{"Type": "ACCPAY", "LineItems": [{"Quantity": "abc"}]}]}', 400),
    ("PUT", "/Invoices", b'{"Invoices": [{"Type": "ACCPAY", "LineItems": [{"UnitAmount": 1e400}]}]}', 400),
    ("PUT", "/Invoices", b'{"Invoices": [{"Type": "ACCPAY", "LineItems": [{"UnitAmount": NaN}]}]}', 400),
    ("PUT", "/Invoices", b'{"Invoices": [{"Type": "ACCPAY", "LineItems": "lines"}]}', 400),
    ("PUT", "/Payments", b'{"Payments": [{"Amount": true}]}', 400),
    ("GET", "/Contacts?page=abc", b"", 400),
    ("GET", "/Contacts?page=-1", b"", 400),
    ("GET", "/Contacts?pageSize=99999999999999999999", b"", 200),
    ("GET", "/Invoices?unitdp=four", b"", 400),
    ("GET", "/Invoices?IDs=nope", b"", 400),
    ("GET", "/Invoices?includeArchived=maybe", b"", 400),
    ("GET", "/Invoices?where=Total%20%3E", b"", 400),
    ("GET", "/PurchaseOrders?DateFrom=yesterday", b"", 400),
    ("GET", "/Contacts/not-a-guid", b"", 404),
    ("GET", "/Accounts/%00%ff", b"", 404),
    ("GET", "/Nothing", b"", 404),
    ("DELETE", "/Contacts", b"", 405),
    ("POST", "/Contacts/7d2b8d3c-0000-4000-8000-000000000000", b'{"Contacts": [{}]}', 404),
]


@pytest.mark.parametrize("method, path, body, status", BAD)
def test_malformed_requests_get_xero_errors_never_500(served, sdk: Sdk, method, path, body, status) -> None:
    sdk.acc  # logged in
    headers = {"Authorization": f"Bearer {sdk.store['token']['access_token']}", "Content-Type": "application/json"}
    extra = {"If-Modified-Since": "not a date"} if path == "/Nothing" else {}
    r = HTTP.request(method, f"{served.url}/api.xro/2.0{path}", content=body, headers={**headers, **extra})
    assert r.status_code == status, r.text
    if status == 400:
        assert r.json()["Type"] in ("ValidationException", "PostDataInvalidException", "QueryParseException")


def test_bad_if_modified_since_is_400(served, sdk: Sdk) -> None:
    headers = {"Authorization": f"Bearer {sdk.store['token']['access_token']}", "If-Modified-Since": "soon"}
    assert HTTP.get(f"{served.url}/api.xro/2.0/Contacts", headers=headers).status_code == 400
    headers["If-Modified-Since"] = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert HTTP.get(f"{served.url}/api.xro/2.0/Contacts", headers=headers).status_code == 200


def test_load_dump_round_trip_and_admin_reset(served, emu, sdk: Sdk) -> None:
    from test_sandbox_xero_documents import _create_bill, _line, _pay
    emu.load(chart())
    bill = _create_bill(sdk, _line("100"), _line("25.06"))
    _pay(sdk, bill.invoice_id, "20.00")
    raw = HTTP.get(f"{served.url}/_sandbox/dump").content
    first = json.loads(raw, parse_float=Decimal)
    assert first == emu.dump() and first["Invoices"][0]["LineItems"][1]["UnitAmount"] == Decimal("25.0600")
    assert HTTP.post(f"{served.url}/_sandbox/reset", json={"seed": "empty"}).status_code == 200
    assert emu.dump()["Invoices"] == []
    r = HTTP.post(f"{served.url}/_sandbox/load", content=raw)
    assert r.status_code == 200 and r.json()["loaded"]["Payments"] == 1
    assert emu.dump() == first


def test_a_get_loads_back_unchanged(served, emu, sdk: Sdk) -> None:
    emu.load(chart())
    auth = {"Authorization": f"Bearer {sdk.store['token']['access_token']}"}
    got = HTTP.get(f"{served.url}/api.xro/2.0/Items?unitdp=4", headers=auth).json()["Items"]
    emu.reset("empty")
    emu.load({k: v for k, v in chart().items() if k != "Items"} | {"Items": got})
    assert HTTP.get(f"{served.url}/api.xro/2.0/Items?unitdp=4", headers=auth).json()["Items"] == got


@pytest.mark.parametrize("payload, message", [
    ({"Widgets": []}, "unknown kinds Widgets"),
    ({"Contacts": [{"Name": "X", "UpdatedDateUTC": "yesterday"}]}, r"Contacts\[0\]"),
    ({"Invoices": [{"Type": "ACCPAY", "Contact": {"ContactID": "7d2b8d3c-0000-4000-8000-000000000000"}}]}, "must be loaded"),
])
def test_bad_loads_change_nothing_and_say_why(served, emu, payload, message) -> None:
    before = emu.dump()
    with pytest.raises(ValueError, match=message):
        emu.load({"Contacts": [{"Name": "Good"}], **payload} if "Contacts" not in payload else payload)
    assert emu.dump() == before
    r = HTTP.post(f"{served.url}/_sandbox/load", json=payload)
    assert r.status_code == 400 and re.search(message, r.json()["error"])


def test_demo_seed_is_loaded_lazily(emu) -> None:
    try:
        import recon.sandbox.demo  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="demo"):
            emu.reset("demo")
    else:
        emu.reset("demo")
        assert emu.dump()["Contacts"]
    with pytest.raises(ValueError, match="unknown seed"):
        emu.reset("lots")


def test_huge_amounts_are_refused_not_crashed(served, sdk: Sdk, emu) -> None:
    emu.load(chart())
    headers = {"Authorization": f"Bearer {sdk.store['token']['access_token']}"}
    body = {"Invoices": [{"Type": "ACCPAY", "Contact": {"ContactID": "33333333-0000-4000-8000-000000000001"},
                          "LineItems": [{"Quantity": 999999999999999, "UnitAmount": 999999999999999, "AccountCode": "300"}]}]}
    r = HTTP.put(f"{served.url}/api.xro/2.0/Invoices", json=body, headers=headers)
    assert r.status_code == 400 and r.json()["Elements"][0]["ValidationErrors"][0]["Message"] == "The line amount is too large."


def test_load_accepts_iso_dates_and_computes_missing_totals(emu, sdk: Sdk) -> None:
    emu.load(chart())
    emu.load({"Invoices": [{"InvoiceID": "77777777-0000-4000-8000-000000000001", "Type": "ACCPAY", "Status": "AUTHORISED",
                            "Contact": {"ContactID": "33333333-0000-4000-8000-000000000001"}, "Date": "2026-04-01",
                            "DueDate": "2026-04-30T00:00:00", "LineItems": [
                                {"Description": "x", "Quantity": 2, "UnitAmount": 10, "TaxAmount": 3, "AccountCode": "300"}]}]})
    bill = sdk.acc.get_invoice(TENANT, "77777777-0000-4000-8000-000000000001").invoices[0]
    assert (bill.date.isoformat(), bill.due_date.isoformat()) == ("2026-04-01", "2026-04-30")
    assert (bill.sub_total, bill.total_tax, bill.total, bill.amount_due) == (
        Decimal("20.00"), Decimal("3.00"), Decimal("23.00"), Decimal("23.00"))
    assert sdk.acc.get_contact(TENANT, "33333333-0000-4000-8000-000000000001").contacts[0].is_supplier is True


@pytest.mark.parametrize("kind, older, newer", [
    ("Items", {"Code": "OLD-1"}, {"Code": "NEW-1"}),
    ("Accounts", {"Code": "701", "Name": "Old", "Type": "EXPENSE"}, {"Code": "702", "Name": "New", "Type": "EXPENSE"}),
    ("Invoices", {"Type": "ACCPAY", "Contact": {"ContactID": "33333333-0000-4000-8000-000000000001"}, "Reference": "old",
                  "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 1}]},
     {"Type": "ACCPAY", "Contact": {"ContactID": "33333333-0000-4000-8000-000000000001"}, "Reference": "new",
      "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 1}]}),
    ("PurchaseOrders", {"Contact": {"ContactID": "33333333-0000-4000-8000-000000000001"}, "Reference": "old",
                        "LineItems": [{"Description": "x"}]},
     {"Contact": {"ContactID": "33333333-0000-4000-8000-000000000001"}, "Reference": "new", "LineItems": [{"Description": "x"}]}),
])
def test_if_modified_since_on_every_kind_that_supports_it(served, emu, sdk: Sdk, kind, older, newer) -> None:
    emu.load(chart())
    headers = {"Authorization": f"Bearer {sdk.store['token']['access_token']}"}
    assert HTTP.put(f"{served.url}/api.xro/2.0/{kind}", json={kind: [older]}, headers=headers).status_code == 200
    served.clock.advance(10)
    since = served.clock.now - 5
    assert HTTP.put(f"{served.url}/api.xro/2.0/{kind}", json={kind: [newer]}, headers=headers).status_code == 200
    from datetime import datetime, timezone
    stamp = datetime.fromtimestamp(since, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    got = HTTP.get(f"{served.url}/api.xro/2.0/{kind}", headers={**headers, "If-Modified-Since": stamp}).json()[kind]
    assert len(got) == 1 and all(got[0].get(k) == v for k, v in newer.items() if isinstance(v, str))


def test_unknown_fields_are_ignored_not_stored(served, sdk: Sdk) -> None:
    headers = {"Authorization": f"Bearer {sdk.store['token']['access_token']}"}
    body = {"Contacts": [{"Name": "Quirky", "Favourite": "blue", "IsSupplier": True, "Nested": {"a": 1}}]}
    made = HTTP.put(f"{served.url}/api.xro/2.0/Contacts", json=body, headers=headers).json()["Contacts"][0]
    assert made["Name"] == "Quirky" and made["IsSupplier"] is False
    assert "Favourite" not in made and "Nested" not in made
