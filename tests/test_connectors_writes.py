"""Writes through both connectors against the emulators: create/update/archive round trips per kind,
per-record errors mapped back, batches, idempotent replay after a dropped connection, dry runs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from recon.config import load_settings
from recon.connectors.base import WriteRequest
from recon.connectors.pacing import RetryPolicy, reset_pacers
from recon.connectors.precoro import PrecoroConnector
from recon.errors import ApiError
from recon.connectors.xero import XeroConnector
from recon.sandbox import Sandbox

from connector_sandbox import sandbox  # noqa: F401  (fixture)



@pytest.fixture()
def conns(sandbox: Sandbox, tmp_path: Path):
    sandbox.reset("demo")
    reset_pacers()
    settings = load_settings(env={"RECON_TOKEN_FILE": str(tmp_path / "t.json")}).with_sandbox_urls(
        sandbox.xero_url, sandbox.precoro_url)
    xero, precoro = XeroConnector(settings), PrecoroConnector(settings)
    for conn in (xero, precoro):
        conn.pacer.set_limits({"minute": 100_000, "hour": 100_000})
        conn.pacer.policy = RetryPolicy(attempts=5, base=0.01, cap=0.05)
    yield sandbox, xero, precoro
    xero.close()
    precoro.close()
    for url in (sandbox.xero_url, sandbox.precoro_url):
        httpx.post(f"{url}/_sandbox/faults", json={"rate_drop_after": 0, "rate_drop": 0, "max_faults": None,
                                                     "methods": [], "path_regex": ""})


def _one(conn: Any, kind: str, op: str, rid: str | None, values: dict[str, Any], key: str = "k") -> Any:
    [res] = conn.write([WriteRequest(key, kind, op, rid, values)])
    return res


def _first_xero(sb: Sandbox, coll: str, **match: Any) -> dict[str, Any]:
    return next(r for r in sb.xero.dump()[coll] if all(r.get(k) == v for k, v in match.items()))


# ---- Xero ---------------------------------------------------------------------------------------------

def test_xero_supplier_create_update_archive_round_trip(conns) -> None:
    sb, xero, _ = conns
    res = _one(xero, "supplier", "create", None, {"name": "Brand New Ltd", "email": "ap@new.example", "phone": "+64 9 555 0000",
                                                  "currency": "NZD", "address_line1": "1 New St", "city": "Auckland"})
    assert res.ok and res.record_id, res
    got = xero.read("supplier", res.record_id)
    assert (got["name"], got["email"], got["city"], got["active"]) == ("Brand New Ltd", "ap@new.example", "Auckland", "true")
    assert _one(xero, "supplier", "update", res.record_id, {"email": "billing@new.example"}, "k2").ok
    assert xero.read("supplier", res.record_id)["email"] == "billing@new.example"
    assert xero.read("supplier", res.record_id)["name"] == "Brand New Ltd"  # untouched fields stay
    assert _one(xero, "supplier", "archive", res.record_id, {}, "k3").ok
    assert xero.read("supplier", res.record_id)["active"] == "false"
    assert xero.find("supplier", {"name": "Brand New Ltd"}) == res.record_id


def _po_values(sb: Sandbox, number: str) -> dict[str, Any]:
    contact = _first_xero(sb, "Contacts", ContactStatus="ACTIVE")
    return {"number": number, "supplier_xero_id": contact["ContactID"], "date": "2026-11-02", "delivery_date": "2026-11-20",
            "currency": "NZD", "status": "approved", "line_amount_types": "Exclusive",
            "lines": [{"description": "Widgets", "quantity": "3", "unit_amount": "33.3333", "account_code": "300",
                       "tax_type": "INPUT2", "tracking1_category": "Region", "tracking1_option": "Auckland"},
                      {"description": "Freight", "quantity": "1", "unit_amount": "10.00", "account_code": "300", "tax_type": "INPUT2"}]}


@pytest.mark.parametrize("kind,number,changed,archived", [
    ("purchase_order", "PO-9001", {"delivery_date": "2026-12-01"}, "deleted"),
    ("bill", "SUP-777", {"due_date": "2026-12-24"}, "voided"),
])
def test_xero_document_create_update_archive(conns, kind: str, number: str, changed: dict[str, str], archived: str) -> None:
    sb, xero, _ = conns
    values = _po_values(sb, number)
    if kind == "bill":
        values.pop("delivery_date")
        values["due_date"] = "2026-12-02"
    res = _one(xero, kind, "create", None, values)
    assert res.ok, res
    got = xero.read(kind, res.record_id)
    assert (got["number"], got["status"], got["subtotal"], got["line_amount_types"]) == (number, "approved", "110.00", "Exclusive")
    assert xero.find(kind, {"number": number, "supplier_xero_id": values["supplier_xero_id"]}) == res.record_id
    assert _one(xero, kind, "update", res.record_id, changed, "k2").ok
    column, value = next(iter(changed.items()))
    assert xero.read(kind, res.record_id)[column] == value
    assert _one(xero, kind, "archive", res.record_id, {}, "k3").ok
    assert xero.read(kind, res.record_id)["status"] == archived


def test_xero_batches_of_50_map_each_element_back(conns) -> None:
    sb, xero, _ = conns
    stats0 = httpx.get(f"{sb.xero_url}/_sandbox/stats").json()["by_route"]
    reqs = [WriteRequest(f"a{i}", "supplier", "create", None, {"name": f"Batch Supplier {i:03d}"}) for i in range(60)]
    existing = _first_xero(sb, "Contacts", ContactStatus="ACTIVE")["Name"]
    reqs.insert(30, WriteRequest("dup", "supplier", "create", None, {"name": existing}))
    results = xero.write(reqs)
    assert [r.key for r in results] == [r.key for r in reqs]
    bad = [r for r in results if not r.ok]
    assert [r.key for r in bad] == ["dup"] and "already" in (bad[0].error or "")
    assert len({r.record_id for r in results if r.ok}) == 60
    stats = httpx.get(f"{sb.xero_url}/_sandbox/stats").json()["by_route"]
    puts = sum(n for route, n in stats.items() if route.startswith("PUT") and "Contacts" in route)
    puts0 = sum(n for route, n in stats0.items() if route.startswith("PUT") and "Contacts" in route)
    assert puts - puts0 == 2  # 61 records: a batch of 50 and one of 11


def test_xero_write_replayed_after_a_dropped_reply_creates_no_duplicate(conns) -> None:
    sb, xero, _ = conns
    httpx.post(f"{sb.xero_url}/_sandbox/faults", json={"rate_drop_after": 1.0, "max_faults": 1, "methods": ["PUT"]})
    res = _one(xero, "supplier", "create", None, {"name": "Replay Safe Ltd"})
    assert res.ok, res
    named = [c for c in sb.xero.dump()["Contacts"] if c["Name"] == "Replay Safe Ltd"]
    assert len(named) == 1 and named[0]["ContactID"] == res.record_id


def test_xero_dry_run_shows_the_request_and_sends_nothing(conns) -> None:
    sb, xero, _ = conns
    before = len(sb.xero.dump()["Contacts"])
    res = _one(xero, "supplier", "create", None, {"name": "Dry Ltd"})
    assert res.ok
    dry = xero.write([WriteRequest("d", "supplier", "create", None, {"name": "Drier Ltd"})], dry_run=True)[0]
    assert dry.ok and dry.request["method"] == "PUT" and dry.request["body"]["Contacts"][0]["Name"] == "Drier Ltd"
    assert "sandbox-secret" not in repr(dry.request) and "Bearer" not in repr(dry.request)
    assert len(sb.xero.dump()["Contacts"]) == before + 1


@pytest.mark.parametrize("kind,op", [("item", "create"), ("payment", "create"), ("purchase_order", "link")])
def test_xero_refuses_what_recon_does_not_write_there_per_record(conns, kind: str, op: str) -> None:
    _, xero, _ = conns
    res = _one(xero, kind, op, "x", {"name": "n"})
    assert not res.ok and "does not" in (res.error or "")


# ---- Precoro ------------------------------------------------------------------------------------------

def test_precoro_supplier_create_update_disable_link(conns) -> None:
    sb, _, precoro = conns
    res = _one(precoro, "supplier", "create", None, {"name": "Kiwi Parts Ltd", "email": "ap@kiwi.example", "currency": "NZD",
                                                     "city": "Hamilton", "xero_id": "guid-kiwi"})
    assert res.ok, res
    got = precoro.read("supplier", res.record_id)
    assert (got["name"], got["email"], got["city"], got["xero_id"]) == ("Kiwi Parts Ltd", "ap@kiwi.example", "Hamilton", "guid-kiwi")
    assert precoro.find("supplier", {"xero_id": "guid-kiwi"}) == res.record_id
    assert _one(precoro, "supplier", "update", res.record_id, {"phone": "+64 7 555 0100"}, "k2").ok
    assert precoro.read("supplier", res.record_id)["phone"] == "+64 7 555 0100"
    assert _one(precoro, "supplier", "archive", res.record_id, {}, "k3").ok
    assert precoro.read("supplier", res.record_id)["active"] == "false"
    assert _one(precoro, "supplier", "link", res.record_id, {"xero_id": "guid-kiwi-2"}, "k4").ok
    assert precoro.read("supplier", res.record_id)["xero_id"] == "guid-kiwi-2"


def test_precoro_master_data_creates_per_kind(conns) -> None:
    sb, _, precoro = conns
    tax = _one(precoro, "tax_rate", "create", None, {"name": "Zero Rated", "rate": "0", "xero_id": "ZERORATED"})
    assert tax.ok and precoro.read("tax_rate", tax.record_id)["tax_type"] == "ZERORATED"
    acct = _one(precoro, "account", "create", None, {"code": "499", "name": "Sundry", "xero_id": "guid-acct"}, "k2")
    assert acct.ok and precoro.read("account", acct.record_id)["code"] == "499"
    item = _one(precoro, "item", "create", None, {"code": "NEW-1", "name": "New Thing", "purchase_price": "12.50",
                                                  "account_code": "499", "xero_id": "guid-item"}, "k3")
    assert item.ok, item
    got = precoro.read("item", item.record_id)
    assert (got["code"], got["account_code"], got["xero_id"]) == ("NEW-1", "499", "guid-item")
    assert Decimal(got["purchase_price"]) == Decimal("12.50")
    opt = _one(precoro, "tracking_option", "create", None, {"category": "Project", "category_id": "guid-cat",
                                                            "name": "Alpha", "xero_id": "guid-opt"}, "k4")
    assert opt.ok, opt
    got = precoro.read("tracking_option", opt.record_id)
    assert (got["category"], got["name"], got["xero_id"]) == ("Project", "Alpha", "guid-opt")
    assert _one(precoro, "tracking_option", "archive", opt.record_id, {}, "k5").ok
    assert precoro.read("tracking_option", opt.record_id)["active"] == "false"


def test_precoro_field_errors_name_the_record_and_field(conns) -> None:
    sb, _, precoro = conns
    sku = sb.precoro.dump()["items"][0]["sku"]
    res = _one(precoro, "item", "create", None, {"code": sku, "name": "Clash"})
    assert not res.ok and res.field == "code" and not res.retryable
    res = _one(precoro, "supplier", "create", None, {"email": "x@y"})
    assert not res.ok and res.field == "name"


def test_precoro_payment_create_resolves_the_invoice_from_its_idn(conns) -> None:
    sb, _, precoro = conns
    inv = next(d for d in sb.precoro.dump()["invoices"] if d["status"] == 2 and float(d["sum"]) > 10)
    res = _one(precoro, "payment", "create", None, {"bill_id": str(inv["idn"]), "amount": "10.00", "date": "2026-11-20",
                                                    "xero_id": "guid-pay"})
    assert res.ok, res
    assert precoro.find("payment", {"xero_id": "guid-pay"}) == res.record_id
    again = _one(precoro, "payment", "create", None, {"bill_id": str(inv["idn"]), "amount": "999999", "date": "2026-11-20"}, "k2")
    assert not again.ok and again.field == "amount"


def test_precoro_links_documents_to_xero(conns) -> None:
    sb, _, precoro = conns
    po = sb.precoro.dump()["purchaseorders"][0]
    assert _one(precoro, "purchase_order", "link", str(po["idn"]), {"xero_id": "guid-po"}).ok
    assert precoro.read("purchase_order", str(po["idn"]))["xero_id"] == "guid-po"
    refused = _one(precoro, "purchase_order", "create", None, {"number": "X"}, "k2")
    assert not refused.ok


def test_precoro_dry_run_sends_nothing(conns) -> None:
    sb, _, precoro = conns
    before = len(sb.precoro.dump()["suppliers"])
    res = precoro.write([WriteRequest("d", "supplier", "create", None, {"name": "Dry Ltd", "xero_id": "g"})], dry_run=True)[0]
    assert res.ok and res.request["method"] == "POST" and res.request["body"]["name"] == "Dry Ltd"
    assert "sandbox-token" not in repr(res.request)
    assert len(sb.precoro.dump()["suppliers"]) == before


@pytest.mark.parametrize("kind, path, form, values", [
    ("supplier", "/suppliers", {"name": "Orphan  Supplies Ltd"}, {"name": "orphan supplies ltd", "xero_id": "guid-o"}),
    ("item", "/items", {"name": "Orphan Item", "sku": "ORPH-1", "price": "3.00"},
     {"code": "ORPH-1", "name": "Orphan Item", "xero_id": "guid-oi"}),
    ("tax_rate", "/taxes", {"name": "Orphan Tax", "percent": "5"}, {"tax_type": "ORPH", "name": "Orphan Tax", "xero_id": "ORPH"}),
])
def test_precoro_find_sees_an_unlinked_record_only_when_asked(conns, kind, path, form, values) -> None:
    """A create whose externalId PATCH never ran leaves an unlinked record: find(unlinked=True) finds it by its
    natural key, plain find() does not (it would otherwise claim records that merely look alike)."""
    sb, _, precoro = conns
    headers = {"X-AUTH-TOKEN": "sandbox-token", "email": "sandbox@example.com"}
    made = httpx.post(f"{sb.precoro_url}{path}", data=form, headers=headers)
    assert made.status_code == 200, made.text
    assert precoro.find(kind, values) is None
    assert precoro.find(kind, values, unlinked=True) == str(made.json()["id"])


def test_precoro_find_unlinked_refuses_to_guess_between_two_lookalikes(conns) -> None:
    sb, _, precoro = conns
    headers = {"X-AUTH-TOKEN": "sandbox-token", "email": "sandbox@example.com"}
    for _ in range(2):
        assert httpx.post(f"{sb.precoro_url}/suppliers", data={"name": "Twin Traders"}, headers=headers).status_code == 200
    with pytest.raises(ApiError, match=r"2 unlinked supplier records .* match name 'twin traders'"):
        precoro.find("supplier", {"name": "Twin Traders", "xero_id": "guid-t"}, unlinked=True)
