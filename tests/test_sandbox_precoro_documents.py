"""Precoro documents and payments in the emulator over HTTP: maths under the company precision, summary vs
detail, document filters, externalId, payments (partial, full, over-payment, cancel) and load/dump round trips."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import httpx
import pytest

from recon.errors import DataError
from recon.money import Precision, precoro_line, precoro_totals
from recon.sandbox.precoro import PrecoroEmulator

from precoro_served import serve

T0 = 1_700_000_000.0
BIG = {"minute": 100_000, "hour": 100_000, "day": 100_000}
GST = {"id": 301, "name": "GST on Expenses", "percent": 15, "externalId": "INPUT2", "xeroId": None}


def _line(price: str, quantity: str = "1", tax: dict | None = GST, **extra) -> dict:
    return {"name": "Paper A4", "sku": "PA4", "quantity": quantity, "price": price, "tax": tax,
            "product": {"id": 201, "sku": "PA4", "externalId": "item-guid", "xeroId": None},
            "itemCustomFields": [{"itemCustomField": {"id": 1, "name": "Xero Chart of Accounts"},
                                  "option": {"id": 11, "code": "429", "name": "General Expenses", "externalId": "acc"}}],
            **extra}


def _doc(idn: int, lines: list[dict], **header) -> dict:
    return {"idn": idn, "status": 2, "currency": "NZD", "supplier": {"id": 101},
            "createDate": "2024-03-01T09:00:00+00:00", "updateDate": f"2024-03-{idn:02d}T10:00:00+00:00",
            "approvalDate": f"2024-03-{idn:02d}T10:11:00+00:00", "items": {"data": lines}, **header}


def _base() -> dict:
    return {
        "company": {"name": "Demo Procurement Ltd", "currency": "NZD",
                    "precisionData": {"price": 2, "quantity": 2, "total": 2}},
        "suppliers": [{"id": 101, "uniqueCode": "S-1", "name": "Acme Ltd", "externalId": "acme-guid"},
                      {"id": 102, "uniqueCode": "S-2", "name": "Bolt Co"}],
        "items": [{"id": 201, "name": "Paper A4", "sku": "PA4", "price": 10, "externalId": "item-guid"}],
        "taxes": [{"id": 301, "name": "GST on Expenses", "percent": 15, "externalId": "INPUT2"}],
        "itemcustomfields": [{"id": 1, "name": "Xero Chart of Accounts", "externalId": "accounts",
                              "options": [{"id": 11, "name": "General Expenses", "code": "429", "externalId": "acc"}]}],
        "purchaseorders": [
            _doc(1, [_line("10", "10")], customName="PO-00001", requiredDate="2024-03-20T00:00:00+00:00"),
            _doc(2, [_line("5")], status=8, supplier={"id": 102}, externalId="xero-po-2"),
            _doc(3, [_line("7")], status=1, approvalDate=None, note=""),
        ],
        "invoices": [
            _doc(1, [_line("100")], invoiceNumber="SUP-1", issueDate="2024-03-01T00:00:00+00:00"),
            _doc(2, [_line("50")], invoiceNumber="CN-1", logicType=1, externalId="xero-cn"),
            _doc(3, [_line("20")], status=0),
        ],
    }


@pytest.fixture(scope="module")
def served():
    yield from serve(T0, limits=BIG)


@pytest.fixture()
def api(served):
    emu, client, clock = served
    clock.now = T0
    emu.reset("empty")
    emu.load(_base())
    return client, emu, clock


def _exact(response: httpx.Response):
    return json.loads(response.content, parse_float=Decimal)


# ---- maths --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("total, taxes, tax, net, gross", [
    (2, ["3.76", "3.84", "3.84"], "11.44", "76.30", "87.74"),
    (4, ["3.7590", "3.8415", "3.8445"], "11.4450", "76.3000", "87.7450"),
])
def test_document_maths_follow_the_company_precision(api, total, taxes, tax, net, gross):
    client, emu, clock = api
    emu.reset("empty")
    emu.load({"company": {"precisionData": {"price": 2, "quantity": 2, "total": total}},
              "invoices": [_doc(9, [_line("25.06"), _line("25.61"), _line("25.63")])]})
    body = _exact(client.get("/invoices/9"))
    lines = body["items"]["data"]
    assert [str(x["taxSum"]) for x in lines] == taxes
    assert sum(x["taxSum"] for x in lines) == Decimal(tax)
    assert (str(body["netSum"]), str(body["sum"])) == (net, gross)
    assert body["precisionData"] == {"price": 2, "quantity": 2, "total": total}
    # the same figures as recon.money computes them
    precision = Precision(2, 2, total)
    expected = precoro_totals([precoro_line(Decimal("1"), Decimal(p), Decimal(15), precision)
                               for p in ("25.06", "25.61", "25.63")], precision)
    assert (body["netSum"], body["sum"]) == (expected.subtotal, expected.total)


def test_prices_and_quantities_are_kept_at_their_precision(api):
    client, emu, clock = api
    emu.reset("empty")
    emu.load({"company": {"precisionData": {"price": 4, "quantity": 3, "total": 2}},
              "purchaseorders": [_doc(1, [_line("1.2345", "2.500", tax=None)])]})
    line = _exact(client.get("/purchaseorders/1"))["items"]["data"][0]
    assert (str(line["price"]), str(line["quantity"]), str(line["netSum"]), str(line["taxSum"])) == \
        ("1.2345", "2.500", "3.09", "0.00")


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d.update(sum=999), "sum"),
    (lambda d: d.update(netSum="76.31"), "netSum"),
    (lambda d: d["items"]["data"][0].update(taxSum="3.75"), "items[0].taxSum"),
    (lambda d: d["items"]["data"][0].update(price="25.061"), "items[0].price"),
    (lambda d: d["items"]["data"][0].update(quantity="abc"), "items[0].quantity"),
    (lambda d: d.update(currency="dollars"), "currency"),
    (lambda d: d.update(updateDate="yesterday"), "updateDate"),
])
def test_loading_an_inconsistent_document_is_refused_naming_it(api, mutate, field):
    client, emu, clock = api
    doc = _doc(9, [_line("25.06"), _line("25.61"), _line("25.63")], sum="87.74", netSum="76.30")
    mutate(doc)
    before = emu.dump()
    with pytest.raises(DataError) as err:
        emu.load({"invoices": [doc]})
    assert (err.value.kind, err.value.record, err.value.field) == ("invoices", "idn=9", field)
    assert emu.dump() == before  # nothing half-loaded
    r = client.post("/_sandbox/load", json={"invoices": [json.loads(json.dumps(doc, default=str))]})
    assert r.status_code == 400 and field in r.json()["errors"]["errors"]


# ---- lists, detail, filters ---------------------------------------------------------------------------

def test_lists_are_summaries_and_detail_has_lines(api):
    client, emu, clock = api
    row = client.get("/purchaseorders").json()["data"][0]
    assert {"items", "precisionData", "note", "exchangeRate"}.isdisjoint(row)
    assert (row["idn"], row["customName"], row["statusString"], row["sum"], row["netSum"]) == \
        (1, "PO-00001", "Approved", 115.0, 100.0)
    assert row["supplier"] == {"id": 101, "name": "Acme Ltd", "externalId": "acme-guid", "xeroId": None}
    detail = client.get("/purchaseorders/1").json()
    line = detail["items"]["data"][0]
    assert (line["quantity"], line["price"], line["netSum"], line["taxSum"], line["sum"]) == (10, 10, 100, 15, 115)
    assert line["tax"] == GST and line["product"]["externalId"] == "item-guid"
    assert line["itemCustomFields"][0]["option"]["code"] == "429"
    assert detail["requiredDate"] == "2024-03-20T00:00:00+00:00"
    invoice = client.get("/invoices/1").json()
    assert (invoice["invoiceNumber"], invoice["sumPaid"], invoice["logicType"], invoice["payments"]) == \
        ("SUP-1", "0.00", 0, {"data": []})
    assert client.get("/invoices").json()["data"][0]["sumPaid"] == "0.00"


@pytest.mark.parametrize("path, params, idns", [
    ("/purchaseorders", {"status[]": ["2"]}, [1]),
    ("/purchaseorders", {"status[]": ["2", "8"]}, [1, 2]),
    ("/purchaseorders", {"sent_to_external": "0"}, [1, 3]),
    ("/purchaseorders", {"sent_to_external": "1"}, [2]),
    ("/purchaseorders", {"supplier[]": ["102"]}, [2]),
    ("/purchaseorders", {"modifiedSince": "2024-03-02T10:00:00"}, [2, 3]),
    ("/purchaseorders", {"approvalLeftDate": "2024-03-01T12:00:00"}, [2]),
    ("/purchaseorders", {"approvalRightDate": "2024-03-01T12:00:00"}, [1]),
    ("/purchaseorders", {"approvalDate[left_date]": "02.03.2024"}, [2]),
    ("/purchaseorders", {"approvalDate[right_date]": "01.03.2024"}, [1]),
    ("/purchaseorders", {"approvalDate[left_date]": "01.03.2024", "approvalDate[right_date]": "02.03.2024"}, [1, 2]),
    ("/purchaseorders", {"approvalLeftDate": "2024-03-01T00:00:00", "approvalDate[right_date]": "01.03.2024"}, [1]),
    ("/purchaseorders", {"createDate[left_date]": "01.03.2024", "createDate[right_date]": "01.03.2024"}, [1, 2, 3]),
    ("/purchaseorders", {"createDate[left_date]": "02.03.2024"}, []),
    ("/invoices", {"logicType[]": ["1", "5"]}, [2]),
    ("/invoices", {"logicType[]": ["0"], "status[]": ["2"]}, [1]),
    ("/invoices", {"id": "6002"}, [2]),
    ("/invoices", {"external_id[]": ["xero-cn"]}, [2]),
])
def test_document_filters(api, path, params, idns):
    client, emu, clock = api
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    assert [d["idn"] for d in r.json()["data"]] == idns


@pytest.mark.parametrize("params, field", [
    ({"approvalDate[left_date]": "2024-03-01"}, "approvalDate[left_date]"),
    ({"approvalDate[right_date]": "31.02.2024"}, "approvalDate[right_date]"),
    ({"approvalLeftDate": "soon"}, "approvalLeftDate"),
    ({"createDate[left_date]": "1 March"}, "createDate[left_date]"),
    ({"createDate": "01.03.2024"}, "createDate"),
    ({"status[]": ["approved"]}, "status"),
    ({"logicType[]": ["x"]}, "logicType"),
    ({"modifiedSince": "2024-13-01T00:00:00"}, "modifiedSince"),
    ({"sent_to_external": "maybe"}, "sent_to_external"),
])
def test_bad_document_filters_are_400(api, params, field):
    client, emu, clock = api
    r = client.get("/invoices", params=params)
    assert r.status_code == 400 and list(r.json()["errors"]["errors"]) == [field]


@pytest.mark.parametrize("kind", ["purchaseorders", "invoices"])
def test_patch_external_id_on_documents(api, kind):
    client, emu, clock = api
    clock.now += 10
    r = client.patch(f"/{kind}/1", data={"externalId": "xero-guid"})
    assert r.status_code == 200 and r.json()["externalId"] == "xero-guid"
    assert r.json()["updateDate"] == "2023-11-14T22:13:30+00:00"
    assert [d["idn"] for d in client.get(f"/{kind}", params={"sent_to_external": 1}).json()["data"]] == [1, 2]


def test_documents_show_the_live_supplier_link(api):
    client, emu, clock = api
    client.patch("/suppliers/102", data={"externalId": "bolt-guid"})
    assert client.get("/purchaseorders/2").json()["supplier"]["externalId"] == "bolt-guid"


# ---- payments -----------------------------------------------------------------------------------------

def _pay(client, amount: str, invoice_id: int = 6001, **extra) -> httpx.Response:
    return client.post("/payments", data={"invoice[id]": str(invoice_id), "sumPaid": amount, "logicType": "0",
                                          "payDate": "2023-12-01T20:00:00Z", **extra})


def test_payments_move_the_invoice_to_partly_paid_then_paid(api):
    client, emu, clock = api
    r = _pay(client, "57.50", externalId="xero-pay-1")
    assert (r.status_code, r.json()) == (200, {"id": 7001, "idn": 1})
    invoice = client.get("/invoices/1").json()
    assert (invoice["status"], invoice["statusString"], invoice["sumPaid"]) == (4, "Partly Paid", "57.50")
    assert invoice["payments"]["data"] == [{"id": 7001, "idn": 1, "sumPaid": "57.50",
                                            "payDate": "2023-12-01T20:00:00+00:00", "status": "paid",
                                            "externalId": "xero-pay-1", "currency": "NZD",
                                            "updateDate": "2023-11-14T22:13:20+00:00"}]
    r = client.post("/payments", json={"invoice": {"id": 6001}, "sumPaid": 57.5, "payDate": "2023-12-02T00:00:00"})
    assert r.json() == {"id": 7002, "idn": 2}
    invoice = client.get("/invoices/1").json()
    assert (invoice["status"], invoice["statusString"], invoice["sumPaid"]) == (5, "Paid", "115.00")


@pytest.mark.parametrize("first, second, message", [
    ("115", "0.01", "The Invoice is already fully paid."),
    ("100", "15.01", "The amount must be greater than 0 and not exceed 15.00"),
    (None, "0", "The amount must be greater than 0 and not exceed 115.00"),
    (None, "-5", "The amount must be greater than 0 and not exceed 115.00"),
    (None, "115.01", "The amount must be greater than 0 and not exceed 115.00"),
])
def test_over_payment_is_refused_with_precoros_messages(api, first, second, message):
    client, emu, clock = api
    if first:
        assert _pay(client, first).status_code == 200
    r = _pay(client, second)
    assert (r.status_code, r.json()) == (400, {"errors": {"errors": {"sumPaid": message}}})


@pytest.mark.parametrize("data, field", [
    ({"sumPaid": "1"}, "invoice"),
    ({"invoice[id]": "999999", "sumPaid": "1"}, "invoice"),
    ({"invoice[id]": "abc", "sumPaid": "1"}, "invoice"),
    ({"invoice[id]": "6003", "sumPaid": "1"}, "invoice"),  # a draft invoice cannot be paid
    ({"invoice[id]": "6001"}, "sumPaid"),
    ({"invoice[id]": "6001", "sumPaid": "lots"}, "sumPaid"),
    ({"invoice[id]": "6001", "sumPaid": "1", "payDate": "01/12/2023"}, "payDate"),
    ({"invoice[id]": "6001", "sumPaid": "1", "logicType": "1"}, "logicType"),
])
def test_bad_payments_are_refused(api, data, field):
    client, emu, clock = api
    r = client.post("/payments", data=data)
    assert r.status_code == 400 and list(r.json()["errors"]["errors"]) == [field]
    assert client.get("/payments").json()["data"] == []


def test_cancelling_a_payment_recomputes_the_invoice(api):
    client, emu, clock = api
    _pay(client, "100")
    _pay(client, "15")
    assert client.get("/invoices/1").json()["status"] == 5
    clock.now += 60
    r = client.patch("/payments/2", data={"status": "canceled"})
    assert r.status_code == 200 and r.json()["status"] == "canceled"
    invoice = client.get("/invoices/1").json()
    assert (invoice["status"], invoice["sumPaid"], invoice["updateDate"]) == (4, "100.00", "2023-11-14T22:14:20+00:00")
    client.patch("/payments/1", data={"status": "canceled"})
    invoice = client.get("/invoices/1").json()
    assert (invoice["status"], invoice["statusString"], invoice["sumPaid"]) == (2, "Approved", "0.00")
    assert _pay(client, "115").status_code == 200  # the full amount is due again


def test_payments_cannot_be_updated(api):
    client, emu, clock = api
    _pay(client, "10")
    assert client.put("/payments/1", data={"sumPaid": "20"}).status_code == 405
    r = client.patch("/payments/1", data={"status": "paid"})
    assert r.status_code == 400 and list(r.json()["errors"]["errors"]) == ["status"]
    assert client.patch("/payments/1", data={"sumPaid": "20"}).status_code == 400
    r = client.patch("/payments/1", data={"externalId": "xero-pay"})
    assert (r.json()["externalId"], r.json()["sumPaid"], r.json()["status"]) == ("xero-pay", "10.00", "paid")


def test_payments_list_links_each_payment_to_its_invoice(api):
    client, emu, clock = api
    _pay(client, "10")
    clock.now += 3600
    _pay(client, "20")
    rows = client.get("/payments", params={"modifiedSince": "2023-11-14T23:00:00"}).json()["data"]
    assert [(p["idn"], p["sumPaid"], p["invoice"]) for p in rows] == [(2, "20.00", {"id": 6001, "idn": 1})]
    assert client.get("/payments", params={"per_page": 10}).json()["meta"]["pagination"]["total"] == 2


# ---- load / dump round trips --------------------------------------------------------------------------

def test_load_get_load_round_trip(api):
    client, emu, clock = api
    _pay(client, "57.50", externalId="xero-pay-1")
    _pay(client, "10")
    client.patch("/payments/2", data={"status": "canceled"})
    dumped = emu.dump()
    assert dumped["purchaseorders"][2]["note"] == ""  # blank text stays blank, not null
    fresh = PrecoroEmulator(limits=BIG, clock=lambda: T0)
    fresh.load(copy.deepcopy(dumped))
    assert fresh.dump() == dumped
    # over HTTP: what a GET returns is what the dump holds, and loads back unchanged
    detail = _exact(client.get("/invoices/1"))
    assert detail == next(d for d in dumped["invoices"] if d["idn"] == 1)
    served_dump = client.get("/_sandbox/dump").content
    assert _exact(client.get("/_sandbox/dump")) == dumped
    emu.reset("empty")
    r = client.post("/_sandbox/load", content=served_dump, headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert emu.dump() == dumped
    # a client that parsed the GETs with plain floats loads back the same records too
    floats = PrecoroEmulator(limits=BIG)
    floats.load(client.get("/_sandbox/dump").json())
    assert floats.dump() == dumped


def test_loaded_payments_must_match_the_invoice_sum_paid(api):
    client, emu, clock = api
    invoice = _doc(7, [_line("100")], sumPaid="50.00", status=4,
                   payments={"data": [{"id": 7100, "idn": 50, "sumPaid": "40.00", "status": "paid"}]})
    with pytest.raises(DataError) as err:
        emu.load({"invoices": [invoice]})
    assert (err.value.kind, err.value.record, err.value.field) == ("invoices", "idn=7", "sumPaid")
    invoice["payments"]["data"][0]["sumPaid"] = "50.00"
    emu.load({"invoices": [invoice]})
    assert client.get("/invoices/7").json()["sumPaid"] == "50.00"
    assert client.get("/payments/50").json()["invoice"] == {"id": 6004, "idn": 7}


@pytest.mark.parametrize("line, precision, field", [
    ({"quantity": "9999999999999", "price": "9999999999999.5"}, 8, "items[0].price"),
    ({"quantity": 1e-5, "price": float("nan")}, 2, "items[0].price"),
    ({"quantity": 1e-40, "price": 1}, 2, "items[0].quantity"),
    ({"quantity": "1", "price": "1", "tax": {"id": 1, "percent": "lots"}}, 2, "items[0].tax.percent"),
    ({"quantity": "1", "price": "1", "tax": 15}, 2, "items[0].tax"),
    ("a line", 2, "items[0]"),
])
def test_loading_impossible_numbers_is_refused(api, line, precision, field):
    client, emu, clock = api
    with pytest.raises(DataError) as err:
        emu.load({"company": {"precisionData": {"price": precision, "quantity": precision, "total": precision}},
                  "invoices": [{"idn": 9, "items": {"data": [line]}}]})
    assert err.value.field == field
    assert client.get("/company").json()["precisionData"]["total"] == 2  # the whole load was refused
