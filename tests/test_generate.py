"""The large-data generator: deterministic, the requested sizes, internally consistent, demo-shaped."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from recon import money
from recon.errors import ConfigError
from recon.sandbox import demo
from recon.sandbox.generate import MAX_LINES, MAX_SUPPLIERS, generate, links_of, sizes
from recon.schema import to_decimal

SMALL = dict(suppliers=200, lines=2_000, seed=7, differences=0.05)
XERO, PRE = generate(**SMALL)


def test_same_seed_same_output_and_another_seed_another() -> None:
    again = generate(**SMALL)
    assert json.dumps(again, sort_keys=True) == json.dumps((XERO, PRE), sort_keys=True)
    other = generate(**{**SMALL, "seed": 8})
    assert json.dumps(other, sort_keys=True) != json.dumps((XERO, PRE), sort_keys=True)


@pytest.mark.parametrize("n_suppliers, n_lines", [(1, 0), (10, 1), (50, 999), (200, 2_000)])
def test_sizes_are_exactly_the_requested_ones(n_suppliers: int, n_lines: int) -> None:
    xero, pre = generate(n_suppliers, n_lines, seed=1, differences=0)
    got = sizes(xero, pre)
    assert (got.suppliers, got.lines) == (n_suppliers, n_lines)
    assert len(xero["Contacts"]) == n_suppliers
    assert sum(len(d["LineItems"]) for d in xero["PurchaseOrders"] + xero["Invoices"]) == n_lines
    assert (got.differing_suppliers, got.differing_bills) == (0, 0)


def test_a_fraction_of_linked_pairs_differs() -> None:
    got = sizes(XERO, PRE)
    assert got.differing_suppliers == round(200 * 0.05)
    assert got.differing_bills == round(got.bills * 0.05) > 0
    assert got.purchase_orders > 0 and got.payments > 0


def test_same_collections_and_record_keys_as_the_demo() -> None:
    dx, dp = demo.xero_seed(), demo.precoro_seed()
    assert set(XERO) == set(dx) and set(PRE) == set(dp)
    for name in ("Contacts", "Items", "Accounts", "TaxRates", "PurchaseOrders", "Invoices", "Payments"):
        assert {frozenset(r) for r in XERO[name]} <= {frozenset(r) for r in dx[name]}, name
    for name in ("suppliers", "items", "taxes", "purchaseorders", "invoices", "payments"):
        assert {frozenset(r) for r in PRE[name]} == {frozenset(dp[name][0])}, name


def test_every_precoro_external_id_points_at_an_existing_xero_record() -> None:
    contacts = {c["ContactID"] for c in XERO["Contacts"]}
    assert {s["externalId"] for s in PRE["suppliers"]} == contacts
    assert {i["externalId"] for i in PRE["items"]} == {i["ItemID"] for i in XERO["Items"]}
    assert {p["externalId"] for p in PRE["purchaseorders"]} == {p["PurchaseOrderID"] for p in XERO["PurchaseOrders"]}
    assert {b["externalId"] for b in PRE["invoices"]} == {b["InvoiceID"] for b in XERO["Invoices"]}
    assert {p["externalId"] for p in PRE["payments"]} == {p["PaymentID"] for p in XERO["Payments"]}
    assert {t["externalId"] for t in PRE["taxes"]} == {t["TaxType"] for t in XERO["TaxRates"]}
    assert all(d["supplier"]["externalId"] in contacts for d in PRE["purchaseorders"] + PRE["invoices"])
    assert all(d["Contact"]["ContactID"] in contacts for d in XERO["PurchaseOrders"] + XERO["Invoices"])
    line_ids = [ln["LineItemID"] for d in XERO["PurchaseOrders"] + XERO["Invoices"] for ln in d["LineItems"]]
    assert len(line_ids) == len(set(line_ids))


def test_totals_follow_money_at_the_company_precision() -> None:
    precision = money.Precision.from_json(PRE["company"]["precisionData"])
    for doc in PRE["purchaseorders"] + PRE["invoices"]:
        lines = [money.precoro_line(to_decimal(ln["quantity"]), to_decimal(ln["price"]),
                                    to_decimal(ln["tax"]["percent"]), precision) for ln in doc["items"]["data"]]
        assert [ln.net for ln in lines] == [to_decimal(ln["netSum"]) for ln in doc["items"]["data"]]
        t = money.precoro_totals(lines, precision)
        assert (t.subtotal, t.total) == (to_decimal(doc["netSum"]), to_decimal(doc["sum"]))
    rates = {t["TaxType"]: to_decimal(t["EffectiveRate"]) for t in XERO["TaxRates"]}
    for doc in XERO["PurchaseOrders"] + XERO["Invoices"]:
        pairs = [(to_decimal(ln["LineAmount"]), to_decimal(ln["TaxAmount"])) for ln in doc["LineItems"]]
        assert pairs == [(x.line_amount, x.tax_amount) for x in (
            money.xero_line(to_decimal(ln["Quantity"]), to_decimal(ln["UnitAmount"]), rates[ln["TaxType"]])
            for ln in doc["LineItems"])]
        assert money.xero_totals(pairs).total == to_decimal(doc["Total"])


def test_paid_bills_are_paid_in_full_on_both_sides() -> None:
    by_id = {b["InvoiceID"]: b for b in XERO["Invoices"]}
    for bill in PRE["invoices"]:
        xbill = by_id[bill["externalId"]]
        if bill["status"] == 5:
            assert xbill["Status"] == "PAID" and to_decimal(xbill["AmountDue"]) == Decimal(0)
            assert to_decimal(bill["sumPaid"]) == to_decimal(bill["sum"])
        else:
            assert xbill["Status"] == "AUTHORISED" and bill["sumPaid"] == "0.00"


@pytest.mark.parametrize("kwargs", [dict(suppliers=0), dict(suppliers=MAX_SUPPLIERS + 1),
                                    dict(lines=MAX_LINES + 1), dict(lines=-1), dict(differences=1.5)])
def test_out_of_range_sizes_are_refused(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        generate(**{"suppliers": 10, "lines": 10, **kwargs})


def test_links_of_a_generated_payload_cover_every_record_once() -> None:
    links = links_of(PRE)
    got = sizes(XERO, PRE)
    by_kind = {k: [l for l in links if l["kind"] == k] for k in ("supplier", "bill", "purchase_order", "payment")}
    assert [len(by_kind[k]) for k in by_kind] == [got.suppliers, got.bills, got.purchase_orders, got.payments]
    assert len({(l["kind"], l["xero_id"]) for l in links}) == len(links)


def test_links_of_the_demo_are_the_demo_links() -> None:
    assert sorted(map(str, links_of(demo.precoro_seed()))) == sorted(map(str, demo.links()))
