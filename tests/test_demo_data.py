"""The demo data: well-formed on both sides, consistent, and differing exactly where PLANTED says.

The canonical mapping below is written independently of ``recon/sandbox/demo.py`` (which builds its baseline
from its own tables): the check that both sides and the baseline agree only means something because the two
readings are separate. It follows the mapping documented in ``docs/demo-cases.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any, Iterator

import pandas as pd
import pytest

from recon import money, schema
from recon.sandbox import demo

XERO = demo.xero_seed()
PRE = demo.precoro_seed()
BASE = demo.baseline()
LINKS = demo.links()
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
PRECORO_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$")
DIFFERENCES = {"only_in_precoro", "only_in_xero", "mismatch", "conflict", "blocked_edit", "rounding",
               "match_candidate"}

# ---------------------------------------------------------------------------- Xero well-formedness

ENUMS: dict[tuple[str, str], set[str]] = {
    ("Contacts", "ContactStatus"): {"ACTIVE", "ARCHIVED", "GDPRREQUEST"},
    ("Addresses", "AddressType"): {"POBOX", "STREET"},
    ("Phones", "PhoneType"): {"DEFAULT", "DDI", "MOBILE", "FAX", "OFFICE"},
    ("Accounts", "Status"): {"ACTIVE", "ARCHIVED", "DELETED"},
    ("Accounts", "Class"): {"ASSET", "EQUITY", "EXPENSE", "LIABILITY", "REVENUE"},
    ("Accounts", "Type"): {"BANK", "CURRENT", "CURRLIAB", "DEPRECIATN", "DIRECTCOSTS", "EQUITY", "EXPENSE", "FIXED",
                           "INVENTORY", "LIABILITY", "NONCURRENT", "OTHERINCOME", "OVERHEADS", "PREPAYMENT",
                           "REVENUE", "SALES", "TERMLIAB", "PAYG"},
    ("Accounts", "BankAccountType"): {"BANK", "CREDITCARD", "PAYPAL", "NONE", ""},
    ("Accounts", "SystemAccount"): {"DEBTORS", "CREDITORS", "BANKCURRENCYGAIN", "GST", "GSTONIMPORTS", "HISTORICAL",
                                    "REALISEDCURRENCYGAIN", "RETAINEDEARNINGS", "ROUNDING", "TRACKINGTRANSFERS",
                                    "UNPAIDEXPCLM", "UNREALISEDCURRENCYGAIN", "WAGEPAYABLES", ""},
    ("TrackingCategories", "Status"): {"ACTIVE", "ARCHIVED", "DELETED"},
    ("Options", "Status"): {"ACTIVE", "ARCHIVED", "DELETED"},
    ("TaxRates", "Status"): {"ACTIVE", "DELETED", "ARCHIVED", "PENDING"},
    ("PurchaseOrders", "Status"): {"DRAFT", "SUBMITTED", "AUTHORISED", "BILLED", "DELETED"},
    ("Invoices", "Type"): {"ACCPAY", "ACCPAYCREDIT", "APOVERPAYMENT", "APPREPAYMENT", "ACCREC", "ACCRECCREDIT",
                           "AROVERPAYMENT", "ARPREPAYMENT"},
    ("Invoices", "Status"): {"DRAFT", "SUBMITTED", "DELETED", "AUTHORISED", "PAID", "VOIDED"},
    ("Payments", "Status"): {"AUTHORISED", "DELETED"},
    ("Payments", "PaymentType"): {"ACCPAYPAYMENT"},
    ("*", "LineAmountTypes"): {"Exclusive", "Inclusive", "NoTax"},
    ("*", "CurrencyCode"): {"NZD", "AUD", "USD"},
    ("*", "DefaultCurrency"): {"NZD", "AUD", "USD"},
}
MAX_LEN = {("Items", "Code"): 30, ("Items", "Name"): 50, ("Contacts", "Name"): 255, ("Contacts", "TaxNumber"): 50,
           ("Accounts", "Code"): 10, ("Accounts", "Name"): 150, ("TrackingCategories", "Name"): 100}
DATE_KEYS = {"Date", "DueDate", "DeliveryDate", "FullyPaidOnDate"}
TS_KEYS = {"UpdatedDateUTC", "CreatedDateUTC"}


def walk(node: Any, parent: str, path: str) -> Iterator[tuple[str, str, Any, str]]:
    """(collection-ish parent key, key, value, path) for every key in a JSON tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield parent, key, value, f"{path}.{key}"
            yield from walk(value, key if isinstance(value, (list, dict)) else parent, f"{path}.{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from walk(value, parent, f"{path}[{n}]")


XERO_KEYS = list(walk(XERO, "", "xero"))


def test_xero_seed_has_no_null_anywhere_and_is_plain_json() -> None:
    assert [p for _, _, v, p in XERO_KEYS if v is None] == []
    assert json.loads(json.dumps(XERO)) == XERO


def test_xero_enums_come_from_the_allowed_lists() -> None:
    bad = [(p, v) for parent, key, v, p in XERO_KEYS
           for (where, name), allowed in ENUMS.items()
           if key == name and (where in ("*", parent)) and v not in allowed]
    assert bad == []
    # and the enum checks did look at something
    assert {k for _, k, _, _ in XERO_KEYS} >= {n for _, n in ENUMS}


def test_xero_dates_are_iso_and_timestamps_iso_utc() -> None:
    dates = [(p, v) for _, k, v, p in XERO_KEYS if k in DATE_KEYS]
    stamps = [(p, v) for _, k, v, p in XERO_KEYS if k in TS_KEYS]
    assert dates and stamps
    assert [d for d in dates if not ISO_DATE.match(d[1])] == []
    assert [s for s in stamps if not ISO_UTC.match(s[1])] == []


def test_xero_items_have_codes_and_lengths_fit_the_sdk() -> None:
    assert all(i.get("Code") for i in XERO["Items"])
    too_long = [(c, f, r[f]) for (c, f), n in MAX_LEN.items() for r in XERO[c] if len(r[f]) > n]
    assert too_long == []


def test_xero_has_rounding_and_bank_accounts_and_two_tracking_categories() -> None:
    by_code = {a["Code"]: a for a in XERO["Accounts"]}
    assert by_code["860"]["SystemAccount"] == "ROUNDING"
    assert by_code["090"]["Type"] == "BANK"
    assert [c["Name"] for c in XERO["TrackingCategories"]] == ["Region", "Department"]
    assert {t["TaxType"]: t["EffectiveRate"] for t in XERO["TaxRates"]}.items() >= {"INPUT2": 15.0, "NONE": 0.0}.items()
    assert XERO["Organisations"][0]["BaseCurrency"] == "NZD"
    assert {i["CurrencyCode"] for i in XERO["Invoices"]} >= {"NZD", "AUD", "USD"}


def test_demo_is_a_believable_small_company() -> None:
    counts = {k: len(v) for k, v in XERO.items()}
    assert counts["Contacts"] >= 30 and counts["Items"] >= 20 and counts["Accounts"] >= 25
    assert counts["PurchaseOrders"] >= 8 and counts["Invoices"] >= 8 and counts["Payments"] >= 3
    assert len(PRE["suppliers"]) >= 28


# ---------------------------------------------------------------------------- Precoro shapes

PRECORO_KEYS = {
    "suppliers": {"id", "uniqueCode", "name", "enable", "status", "currency", "currencies", "legalAddress", "city",
                  "state", "country", "postalCode", "phone", "businessRegistrationNumber", "taxPayerNumber",
                  "contacts", "externalId", "xeroId", "integrationStatus", "createDate", "updateDate"},
    "items": {"id", "name", "sku", "description", "price", "type", "typeString", "enable", "unit",
              "dataProductCustomFields", "externalId", "xeroId", "createDate", "updateDate"},
    "taxes": {"id", "name", "percent", "value", "isWithholdingTax", "enable", "externalId", "xeroId", "updateDate"},
    "itemcustomfields": {"id", "name", "enable", "externalId", "updateDate", "options"},
    "options": {"id", "name", "code", "enable", "externalId", "xeroId", "parent", "updateDate"},
    "purchaseorders": {"id", "idn", "customName", "status", "statusString", "createDate", "updateDate",
                       "approvalDate", "requiredDate", "currency", "sum", "netSum", "supplier", "externalId",
                       "xeroId", "precisionData", "note", "exchangeRate", "items"},
    "line": {"id", "position", "name", "sku", "description", "quantity", "price", "netSum", "taxSum", "sum", "tax",
             "product", "itemCustomFields"},
    "payment": {"id", "idn", "sumPaid", "payDate", "status", "externalId", "currency", "updateDate"},
}
PRECORO_KEYS["invoices"] = PRECORO_KEYS["purchaseorders"] | {"invoiceNumber", "issueDate", "sumPaid", "logicType",
                                                             "purchaseOrder", "payments"}


@pytest.mark.parametrize("collection", ["suppliers", "items", "taxes", "itemcustomfields", "purchaseorders",
                                        "invoices"])
def test_precoro_records_have_exactly_the_wire_keys(collection: str) -> None:
    assert PRE[collection]
    assert [r["id"] for r in PRE[collection] if set(r) != PRECORO_KEYS[collection]] == []


def test_precoro_nested_shapes() -> None:
    docs = PRE["purchaseorders"] + PRE["invoices"]
    assert all(set(o) == PRECORO_KEYS["options"] for f in PRE["itemcustomfields"] for o in f["options"])
    assert all(set(ln) == PRECORO_KEYS["line"] for d in docs for ln in d["items"]["data"])
    assert all(set(p) == PRECORO_KEYS["payment"] for d in PRE["invoices"] for p in d["payments"]["data"])
    assert all(set(p) == PRECORO_KEYS["payment"] | {"invoice"} for p in PRE["payments"])
    assert all(isinstance(d["sumPaid"], str) and isinstance(d["sum"], float) for d in PRE["invoices"])
    assert all(d["precisionData"] == PRE["company"]["precisionData"] == {"price": 4, "quantity": 2, "total": 2}
               for d in docs)
    stamps = [d[k] for d in docs for k in ("createDate", "updateDate", "requiredDate")]
    assert all(PRECORO_TS.match(s) for s in stamps)
    assert json.loads(json.dumps(PRE)) == PRE


def test_precoro_lists_are_ordered_by_id_and_ids_unique() -> None:
    for name in ("suppliers", "items", "taxes", "purchaseorders", "invoices", "payments"):
        ids = [r["id"] for r in PRE[name]]
        assert ids == sorted(set(ids)), name


# ---------------------------------------------------------------------------- referential integrity


def xero_ids() -> dict[str, set[str]]:
    return {
        "supplier": {c["ContactID"] for c in XERO["Contacts"]},
        "item": {i["ItemID"] for i in XERO["Items"]},
        "account": {a["AccountID"] for a in XERO["Accounts"]},
        "tracking_option": {o["TrackingOptionID"] for c in XERO["TrackingCategories"] for o in c["Options"]},
        "tax_rate": {t["TaxType"] for t in XERO["TaxRates"]},
        "purchase_order": {p["PurchaseOrderID"] for p in XERO["PurchaseOrders"]},
        "bill": {i["InvoiceID"] for i in XERO["Invoices"]},
        "payment": {p["PaymentID"] for p in XERO["Payments"]},
    }


def precoro_ids() -> dict[str, set[str]]:
    icf = PRE["itemcustomfields"]
    return {
        "supplier": {str(s["id"]) for s in PRE["suppliers"]},
        "item": {str(i["id"]) for i in PRE["items"]},
        "account": {str(o["id"]) for o in icf[0]["options"]},
        "tracking_option": {str(o["id"]) for f in icf[1:] for o in f["options"]},
        "tax_rate": {str(t["id"]) for t in PRE["taxes"]},
        "purchase_order": {str(p["idn"]) for p in PRE["purchaseorders"]},
        "bill": {str(i["idn"]) for i in PRE["invoices"]},
        "payment": {str(p["id"]) for p in PRE["payments"]},
    }


def test_every_link_resolves_on_both_sides_and_is_one_to_one() -> None:
    xi, pi = xero_ids(), precoro_ids()
    assert {l["kind"] for l in LINKS} == set(schema.KINDS)
    assert [l for l in LINKS if l["xero_id"] not in xi[l["kind"]] or l["precoro_id"] not in pi[l["kind"]]] == []
    for side in ("xero_id", "precoro_id"):
        keys = [(l["kind"], l[side]) for l in LINKS]
        assert len(keys) == len(set(keys))


def test_every_precoro_external_id_is_a_link() -> None:
    """Every Precoro record carrying an externalId is in links() with exactly that Xero id (and vice versa)."""
    icf = PRE["itemcustomfields"]
    marked = {("supplier", str(s["id"]), s["externalId"]) for s in PRE["suppliers"] if s["externalId"]}
    marked |= {("item", str(i["id"]), i["externalId"]) for i in PRE["items"] if i["externalId"]}
    marked |= {("tax_rate", str(t["id"]), t["externalId"]) for t in PRE["taxes"]}
    marked |= {("account", str(o["id"]), o["externalId"]) for o in icf[0]["options"]}
    marked |= {("tracking_option", str(o["id"]), o["externalId"]) for f in icf[1:] for o in f["options"]}
    marked |= {("purchase_order", str(d["idn"]), d["externalId"]) for d in PRE["purchaseorders"] if d["externalId"]}
    marked |= {("bill", str(d["idn"]), d["externalId"]) for d in PRE["invoices"] if d["externalId"]}
    marked |= {("payment", str(p["id"]), p["externalId"]) for p in PRE["payments"] if p["externalId"]}
    assert marked == {(l["kind"], l["precoro_id"], l["xero_id"]) for l in LINKS}
    tracking = {c["TrackingCategoryID"] for c in XERO["TrackingCategories"]}
    assert {f["externalId"] for f in icf[1:]} == tracking


def test_documents_reference_existing_records() -> None:
    contacts = {c["ContactID"] for c in XERO["Contacts"] if c["IsSupplier"]}
    codes = {i["Code"] for i in XERO["Items"]}
    accounts = {a["Code"] for a in XERO["Accounts"]}
    taxes = {t["TaxType"] for t in XERO["TaxRates"]}
    options = {o["TrackingOptionID"] for c in XERO["TrackingCategories"] for o in c["Options"]}
    for doc in XERO["PurchaseOrders"] + XERO["Invoices"]:
        assert doc["Contact"]["ContactID"] in contacts
        for ln in doc["LineItems"]:
            assert ln.get("ItemCode", "ZZ") in codes | {"ZZ"} and ln["AccountCode"] in accounts
            assert ln["TaxType"] in taxes and {t["TrackingOptionID"] for t in ln["Tracking"]} <= options
    bills = {i["InvoiceID"] for i in XERO["Invoices"]}
    bank = {a["Code"] for a in XERO["Accounts"] if a["Type"] == "BANK"}
    assert all(p["Invoice"]["InvoiceID"] in bills and p["Account"]["Code"] in bank for p in XERO["Payments"])

    suppliers = {s["id"] for s in PRE["suppliers"]}
    items = {i["id"]: i for i in PRE["items"]}
    taxes_p = {t["id"] for t in PRE["taxes"]}
    opts = {o["id"] for f in PRE["itemcustomfields"] for o in f["options"]}
    for doc in PRE["purchaseorders"] + PRE["invoices"]:
        assert doc["supplier"]["id"] in suppliers
        for ln in doc["items"]["data"]:
            assert ln["product"] is None or items[ln["product"]["id"]]["sku"] == ln["sku"]
            assert ln["tax"]["id"] in taxes_p and {c["option"]["id"] for c in ln["itemCustomFields"]} <= opts
    pos = {(p["id"], p["idn"]) for p in PRE["purchaseorders"]}
    assert all((r["id"], r["idn"]) in pos for i in PRE["invoices"] for r in i["purchaseOrder"])
    invoices = {(i["id"], i["idn"]): i for i in PRE["invoices"]}
    for pay in PRE["payments"]:
        inv = invoices[(pay["invoice"]["id"], pay["invoice"]["idn"])]
        assert {k: v for k, v in pay.items() if k != "invoice"} in inv["payments"]["data"]


# ---------------------------------------------------------------------------- totals


def d(value: Any) -> Decimal:
    return schema.to_decimal(value)


def test_xero_documents_follow_xero_maths() -> None:
    rates = {t["TaxType"]: d(t["EffectiveRate"]) for t in XERO["TaxRates"]}
    for doc in XERO["PurchaseOrders"] + XERO["Invoices"]:
        pairs = []
        for ln in doc["LineItems"]:
            x = money.xero_line(d(ln["Quantity"]), d(ln["UnitAmount"]), rates[ln["TaxType"]], doc["LineAmountTypes"])
            assert (x.line_amount, x.tax_amount) == (d(ln["LineAmount"]), d(ln["TaxAmount"]))
            pairs.append((x.line_amount, x.tax_amount))
        t = money.xero_totals(pairs, doc["LineAmountTypes"])
        assert (t.subtotal, t.total_tax, t.total) == (d(doc["SubTotal"]), d(doc["TotalTax"]), d(doc["Total"]))
        if doc.get("Type") == "ACCPAY":
            paid = sum((d(p["Amount"]) for p in doc["Payments"]), Decimal(0))
            assert d(doc["AmountPaid"]) == paid and d(doc["AmountDue"]) == t.total - paid
            assert (doc["Status"] == "PAID") == (paid == t.total)


def test_precoro_documents_follow_the_company_precision() -> None:
    precision = money.Precision.from_json(PRE["company"]["precisionData"])
    for doc in PRE["purchaseorders"] + PRE["invoices"]:
        lines = []
        for ln in doc["items"]["data"]:
            p = money.precoro_line(d(ln["quantity"]), d(ln["price"]), d(ln["tax"]["percent"]), precision)
            assert (p.net, p.tax, p.gross) == (d(ln["netSum"]), d(ln["taxSum"]), d(ln["sum"]))
            lines.append(p)
        t = money.precoro_totals(lines, precision)
        assert (t.subtotal, t.total) == (d(doc["netSum"]), d(doc["sum"]))
        if "sumPaid" in doc:
            paid = sum((d(p["sumPaid"]) for p in doc["payments"]["data"] if p["status"] == "paid"), Decimal(0))
            assert d(doc["sumPaid"]) == paid
            assert doc["status"] == (5 if paid == t.total else 4 if paid else doc["status"])


def test_the_rounding_bill_reproduces_the_documented_example() -> None:
    """Precoro nets 25.06, 25.61, 25.63 at 15 %: tax 11.44 per line (11.45 on the total); Xero keeps 2-dp units."""
    pre = next(i for i in PRE["invoices"] if i["invoiceNumber"] == "GB-2210")
    xero = next(i for i in XERO["Invoices"] if i["InvoiceNumber"] == "GB-2210")
    assert [d(ln["netSum"]) for ln in pre["items"]["data"]] == [Decimal("25.06"), Decimal("25.61"), Decimal("25.63")]
    assert sum(d(ln["taxSum"]) for ln in pre["items"]["data"]) == Decimal("11.44")
    assert d(pre["sum"]) - d(xero["Total"]) == Decimal("0.01")
    # explained by rounding: Precoro's unit prices rounded the way Xero rounds them give Xero's lines exactly
    for p, x in zip(pre["items"]["data"], xero["LineItems"]):
        as_xero = money.xero_line(d(p["quantity"]), d(p["price"]), d(p["tax"]["percent"]))
        assert as_xero.line_amount == d(x["LineAmount"])


# ---------------------------------------------------------------------------- canonical reading (independent)

PRECORO_STATUS = {0: "draft", 1: "submitted", 2: "approved", 3: "rejected", 4: "partly_paid", 5: "paid",
                  7: "revision", 8: "cancelled", 11: "closed"}
XERO_STATUS = {"DRAFT": "draft", "SUBMITTED": "submitted", "AUTHORISED": "approved", "BILLED": "billed",
               "PAID": "paid", "VOIDED": "voided", "DELETED": "deleted"}


def _icf(ln_or_item: list[dict[str, Any]], name: str | None) -> dict[str, Any] | None:
    for entry in ln_or_item:
        if (name is None and entry["itemCustomField"]["id"] == 1) or entry["itemCustomField"]["name"] == name:
            return entry["option"]
    return None


def precoro_frames() -> dict[str, pd.DataFrame]:
    icf = PRE["itemcustomfields"]
    f: dict[str, list[dict[str, Any]]] = {k: [] for k in schema.FRAME_NAMES}
    for s in PRE["suppliers"]:
        f["supplier"].append({"id": s["id"], "xero_id": s["externalId"], "name": s["name"],
                              "email": s["contacts"]["data"][0]["email"], "phone": s["phone"],
                              "tax_number": s["taxPayerNumber"], "company_number": s["businessRegistrationNumber"],
                              "currency": s["currency"], "address_line1": s["legalAddress"], "city": s["city"],
                              "region": s["state"], "postal_code": s["postalCode"], "country": s["country"],
                              "active": s["enable"]})
    for i in PRE["items"]:
        f["item"].append({"id": i["id"], "xero_id": i["externalId"], "code": i["sku"], "name": i["name"],
                          "description": i["description"], "purchase_price": i["price"], "active": i["enable"],
                          "account_code": _icf(i["dataProductCustomFields"]["data"], None)["code"]})
    f["account"] = [{"id": o["id"], "xero_id": o["externalId"], "code": o["code"], "name": o["name"],
                     "active": o["enable"]} for o in icf[0]["options"]]
    f["tracking_option"] = [{"id": o["id"], "xero_id": o["externalId"], "category_id": c["id"], "category": c["name"],
                             "name": o["name"], "active": o["enable"]} for c in icf[1:] for o in c["options"]]
    f["tax_rate"] = [{"id": t["id"], "xero_id": t["externalId"], "tax_type": t["externalId"], "name": t["name"],
                      "rate": t["percent"], "active": t["enable"]} for t in PRE["taxes"]]
    categories = [c["name"] for c in icf[1:]]
    for kind, coll in (("purchase_order", "purchaseorders"), ("bill", "invoices")):
        for doc in PRE[coll]:
            rec = {"id": doc["idn"], "xero_id": doc["externalId"],
                   "number": doc.get("invoiceNumber") or doc["customName"] or str(doc["idn"]),
                   "supplier_id": doc["supplier"]["id"], "supplier_xero_id": doc["supplier"]["externalId"],
                   "date": doc["issueDate"] if kind == "bill" else doc["createDate"], "currency": doc["currency"],
                   "status": PRECORO_STATUS[doc["status"]], "active": doc["status"] not in (3, 8),
                   "subtotal": doc["netSum"], "total": doc["sum"], "line_amount_types": "Exclusive",
                   "total_tax": d(doc["sum"]) - d(doc["netSum"])}
            rec["due_date" if kind == "bill" else "delivery_date"] = doc["requiredDate"]
            f[kind].append(rec)
            for ln in doc["items"]["data"]:
                product = ln["product"]
                row = {"doc_id": doc["idn"], "line_no": ln["position"], "line_id": ln["id"],
                       "item_code": product["sku"] if product and product["externalId"] else None,
                       "description": ln["name"] if product else ln["description"], "quantity": ln["quantity"],
                       "unit_amount": ln["price"], "account_code": _icf(ln["itemCustomFields"], None)["code"],
                       "tax_type": ln["tax"]["externalId"], "tax_rate": ln["tax"]["percent"],
                       "tax_amount": ln["taxSum"], "line_amount": ln["netSum"]}
                for n, cat in enumerate(categories, 1):
                    opt = _icf(ln["itemCustomFields"], cat)
                    if opt:
                        row[f"tracking{n}_category"], row[f"tracking{n}_option"] = cat, opt["name"]
                f[schema.LINE_FRAMES[kind]].append(row)
    bills = {d_["idn"]: d_ for d_ in PRE["invoices"]}
    f["payment"] = [{"id": p["id"], "xero_id": p["externalId"], "bill_id": p["invoice"]["idn"],
                     "bill_xero_id": bills[p["invoice"]["idn"]]["externalId"], "date": p["payDate"],
                     "amount": p["sumPaid"], "currency": p["currency"], "active": p["status"] == "paid"}
                    for p in PRE["payments"]]
    return {k: schema.conform(v, k, system="precoro") for k, v in f.items()}


def xero_frames() -> dict[str, pd.DataFrame]:
    f: dict[str, list[dict[str, Any]]] = {k: [] for k in schema.FRAME_NAMES}
    for c in XERO["Contacts"]:
        if not c["IsSupplier"]:
            continue
        street = next(a for a in c["Addresses"] if a["AddressType"] == "STREET")
        phone = next(p for p in c["Phones"] if p["PhoneType"] == "DEFAULT")
        f["supplier"].append({"id": c["ContactID"], "xero_id": c["ContactID"], "name": c["Name"],
                              "email": c["EmailAddress"], "phone": phone["PhoneNumber"], "tax_number": c["TaxNumber"],
                              "company_number": c["CompanyNumber"], "currency": c["DefaultCurrency"],
                              "address_line1": street["AddressLine1"], "city": street["City"],
                              "region": street["Region"], "postal_code": street["PostalCode"],
                              "country": street["Country"], "active": c["ContactStatus"] == "ACTIVE"})
    f["item"] = [{"id": i["ItemID"], "xero_id": i["ItemID"], "code": i["Code"], "name": i["Name"],
                  "description": i["PurchaseDescription"], "purchase_price": i["PurchaseDetails"]["UnitPrice"],
                  "account_code": i["PurchaseDetails"]["AccountCode"], "active": True} for i in XERO["Items"]]
    f["account"] = [{"id": a["AccountID"], "xero_id": a["AccountID"], "code": a["Code"], "name": a["Name"],
                     "active": a["Status"] == "ACTIVE"} for a in XERO["Accounts"]]
    f["tracking_option"] = [{"id": o["TrackingOptionID"], "xero_id": o["TrackingOptionID"],
                             "category_id": c["TrackingCategoryID"], "category": c["Name"], "name": o["Name"],
                             "active": o["Status"] == "ACTIVE"} for c in XERO["TrackingCategories"]
                            for o in c["Options"]]
    rates = {t["TaxType"]: t["EffectiveRate"] for t in XERO["TaxRates"]}
    f["tax_rate"] = [{"id": t["TaxType"], "xero_id": t["TaxType"], "tax_type": t["TaxType"], "name": t["Name"],
                      "rate": t["EffectiveRate"], "active": t["Status"] == "ACTIVE"} for t in XERO["TaxRates"]]
    for kind, coll, idkey, numkey, second in (
            ("purchase_order", "PurchaseOrders", "PurchaseOrderID", "PurchaseOrderNumber", "DeliveryDate"),
            ("bill", "Invoices", "InvoiceID", "InvoiceNumber", "DueDate")):
        for doc in XERO[coll]:
            status = XERO_STATUS[doc["Status"]]
            if status == "approved" and d(doc.get("AmountPaid", 0)) > 0:
                status = "partly_paid"
            rec = {"id": doc[idkey], "xero_id": doc[idkey], "number": doc[numkey],
                   "supplier_id": doc["Contact"]["ContactID"], "supplier_xero_id": doc["Contact"]["ContactID"],
                   "date": doc["Date"], "currency": doc["CurrencyCode"], "status": status,
                   "active": doc["Status"] not in ("DELETED", "VOIDED"), "line_amount_types": doc["LineAmountTypes"],
                   "subtotal": doc["SubTotal"], "total_tax": doc["TotalTax"], "total": doc["Total"]}
            rec["due_date" if kind == "bill" else "delivery_date"] = doc[second]
            f[kind].append(rec)
            for n, ln in enumerate(doc["LineItems"], 1):
                row = {"doc_id": doc[idkey], "line_no": n, "line_id": ln["LineItemID"], "item_code": ln.get("ItemCode"),
                       "description": ln["Description"], "quantity": ln["Quantity"], "unit_amount": ln["UnitAmount"],
                       "account_code": ln["AccountCode"], "tax_type": ln["TaxType"], "tax_rate": rates[ln["TaxType"]],
                       "tax_amount": ln["TaxAmount"], "line_amount": ln["LineAmount"]}
                for m, t in enumerate(ln["Tracking"], 1):
                    row[f"tracking{m}_category"], row[f"tracking{m}_option"] = t["Name"], t["Option"]
                f[schema.LINE_FRAMES[kind]].append(row)
    f["payment"] = [{"id": p["PaymentID"], "xero_id": p["PaymentID"], "bill_id": p["Invoice"]["InvoiceID"],
                     "bill_xero_id": p["Invoice"]["InvoiceID"], "date": p["Date"], "amount": p["Amount"],
                     "currency": p["Invoice"]["CurrencyCode"], "reference": p["Reference"],
                     "active": p["Status"] == "AUTHORISED"} for p in XERO["Payments"]]
    return {k: schema.conform(v, k, system="xero") for k, v in f.items()}


P_FRAMES, X_FRAMES = precoro_frames(), xero_frames()
B_FRAMES = {k: schema.conform(v, k) for k, v in BASE.items()}

#: fields allowed to differ on a planted linked pair, beyond the PLANTED field itself
_ALSO = {("purchase_order", "PO-00007"): {"status"}, ("bill", "GB-2210"): {"subtotal"},
         ("bill", "TH-10077"): {"subtotal", "total_tax"}}


def planted_fields() -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for case in demo.PLANTED:
        if case.precoro_id and case.xero_id and case.field:
            out[(case.kind, case.precoro_id)] = {case.field} | _ALSO.get((case.kind, case.label), set())
    return out


def row(frame: pd.DataFrame, key: str, value: str) -> dict[str, Any]:
    hit = frame[frame[key] == value]
    assert len(hit) == 1, (key, value)
    return hit.iloc[0].to_dict()


def same(a: Any, b: Any) -> bool:
    return (pd.isna(a) and pd.isna(b)) if (a is None or a is pd.NA or b is None or b is pd.NA) else a == b


@pytest.mark.parametrize("kind", schema.KINDS)
def test_linked_pairs_agree_with_each_other_and_the_baseline_except_where_planted(kind: str) -> None:
    planted = planted_fields()
    cols = [c.name for c in schema.compared(kind)]
    checked = 0
    for link in (l for l in LINKS if l["kind"] == kind):
        p = row(P_FRAMES[kind], "id", link["precoro_id"])
        x = row(X_FRAMES[kind], "id", link["xero_id"])
        b = row(B_FRAMES[kind], "id", link["precoro_id"])
        assert b["xero_id"] == link["xero_id"] == p["xero_id"]
        differing = {c for c in cols if not (same(p[c], x[c]) and same(p[c], b[c]))}
        assert differing == planted.get((kind, link["precoro_id"]), set()), (kind, p.get("name"), differing)
        checked += 1
    assert checked == len(BASE[kind]) > 0


@pytest.mark.parametrize("kind", ["purchase_order", "bill"])
def test_lines_of_linked_documents_agree_except_on_planted_bills(kind: str) -> None:
    frame = schema.LINE_FRAMES[kind]
    cols = [c.name for c in schema.compared(frame)]
    skip = {c.precoro_id for c in demo.PLANTED if c.kind == kind and c.field == "total"}
    compared = 0
    for link in (l for l in LINKS if l["kind"] == kind):
        p = P_FRAMES[frame][P_FRAMES[frame]["doc_id"] == link["precoro_id"]].reset_index(drop=True)
        x = X_FRAMES[frame][X_FRAMES[frame]["doc_id"] == link["xero_id"]].reset_index(drop=True)
        b = B_FRAMES[frame][B_FRAMES[frame]["doc_id"] == link["xero_id"]].reset_index(drop=True)
        assert len(p) == len(x) == len(b) > 0
        diffs = {(n, c) for c in cols for n in range(len(p))
                 if not (same(p.at[n, c], x.at[n, c]) and same(p.at[n, c], b.at[n, c]))}
        if link["precoro_id"] in skip:
            assert diffs
        else:
            assert diffs == set(), (link, diffs)
            compared += 1
    assert compared >= 5


# ---------------------------------------------------------------------------- planted cases


def test_planted_cases_are_well_formed_and_unique() -> None:
    assert len({(c.kind, c.label, c.field) for c in demo.PLANTED}) == len(demo.PLANTED)
    for c in demo.PLANTED:
        assert c.kind in schema.KINDS and c.difference in DIFFERENCES and c.description
        assert c.direction in ("to_xero", "to_precoro", "none")
        assert c.action in ("create", "update", "archive", "link", "none")
        assert c.field == "" or c.field in schema.columns(c.kind)
    assert {c.difference for c in demo.PLANTED} == DIFFERENCES


def _label_of(kind: str, frame: pd.DataFrame, rid: str) -> set[str]:
    r = row(frame, "id", rid)
    return {str(r.get(k)) for k in ("name", "code", "number", "reference") if k in r}


@pytest.mark.parametrize("case", demo.PLANTED, ids=lambda c: f"{c.kind}:{c.label}")
def test_planted_case_points_at_existing_records(case: demo.PlantedCase) -> None:
    linked = {(l["kind"], l["precoro_id"], l["xero_id"]) for l in LINKS}
    if case.precoro_id:
        assert case.label in _label_of(case.kind, P_FRAMES[case.kind], case.precoro_id)
    if case.xero_id:
        assert case.label in _label_of(case.kind, X_FRAMES[case.kind], case.xero_id)
    if case.difference == "only_in_precoro":
        assert case.precoro_id and not case.xero_id
        assert not any(l["kind"] == case.kind and l["precoro_id"] == case.precoro_id for l in LINKS)
    elif case.difference == "only_in_xero":
        assert case.xero_id and not case.precoro_id
        assert not any(l["kind"] == case.kind and l["xero_id"] == case.xero_id for l in LINKS)
    elif case.difference == "match_candidate":
        assert (case.kind, case.precoro_id, case.xero_id) not in linked
        assert not any(l["kind"] == case.kind and case.xero_id == l["xero_id"] for l in LINKS)
        assert row(P_FRAMES["supplier"], "id", case.precoro_id)["name"] == case.label
    else:
        assert (case.kind, case.precoro_id, case.xero_id) in linked


@pytest.mark.parametrize("case", [c for c in demo.PLANTED if c.difference in ("mismatch", "conflict", "blocked_edit")
                                  and c.field not in ("total",)], ids=lambda c: f"{c.kind}:{c.label}")
def test_planted_field_change_has_the_three_way_shape(case: demo.PlantedCase) -> None:
    """Who changed what since the baseline decides the direction; this checks the data says what PLANTED says."""
    p = row(P_FRAMES[case.kind], "id", case.precoro_id)[case.field]
    x = row(X_FRAMES[case.kind], "id", case.xero_id)[case.field]
    b = row(B_FRAMES[case.kind], "id", case.precoro_id)[case.field]
    changed = {"precoro": not same(p, b), "xero": not same(x, b)}
    expected = {"conflict": {"precoro": True, "xero": True},
                "blocked_edit": {"precoro": case.direction == "to_precoro", "xero": case.direction == "to_xero"},
                "mismatch": {"precoro": case.direction == "to_xero", "xero": case.direction == "to_precoro"}}
    assert changed == expected[case.difference]


def test_unlinked_records_are_exactly_the_planted_ones_and_the_ignored_drafts() -> None:
    """Only planted records (and Precoro documents still in approval, and Xero customers) lack a link."""
    planted = {(c.kind, c.precoro_id or c.xero_id) for c in demo.PLANTED}
    for kind in schema.KINDS:
        linked_p = {l["precoro_id"] for l in LINKS if l["kind"] == kind}
        linked_x = {l["xero_id"] for l in LINKS if l["kind"] == kind}
        for rid in set(P_FRAMES[kind]["id"]) - linked_p:
            status = row(P_FRAMES[kind], "id", rid).get("status")
            assert (kind, rid) in planted or status == "submitted", (kind, rid)
        for rid in set(X_FRAMES[kind]["id"]) - linked_x:
            assert (kind, rid) in planted or kind == "supplier", (kind, rid)


def test_baseline_frames_conform_and_updates_after_last_sync_are_planted() -> None:
    for frame, records in BASE.items():
        assert len(schema.conform(records, frame)) == len(records)
    assert demo.NOW.tzinfo is not None and demo.LAST_SYNC < demo.NOW
    late = {s["name"] for s in PRE["suppliers"]
            if dt.datetime.fromisoformat(s["updateDate"]) > demo.LAST_SYNC}
    late |= {c["Name"] for c in XERO["Contacts"]
             if dt.datetime.fromisoformat(c["UpdatedDateUTC"].replace("Z", "+00:00")) > demo.LAST_SYNC}
    assert late == {c.label for c in demo.PLANTED if c.kind == "supplier"}


def test_seeds_are_deterministic_and_returned_as_fresh_copies() -> None:
    a = demo.xero_seed()
    a["Contacts"].clear()
    assert demo.xero_seed() == XERO and demo.precoro_seed() == PRE and demo.baseline() == BASE
    assert demo.links() == LINKS


# ---------------------------------------------------------------------------- the emulators load it


def _by(records: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    return {r[key]: r for r in records}


def test_both_emulators_load_the_demo_and_give_back_the_same_records() -> None:
    from recon.sandbox.precoro import PrecoroEmulator
    from recon.sandbox.xero import XeroEmulator

    xero, pre = XeroEmulator(seed="demo").dump(), PrecoroEmulator(seed="demo").dump()
    assert {k: len(v) for k, v in xero.items()} == {k: len(v) for k, v in XERO.items()}
    assert {k: len(v) for k, v in pre.items() if k != "company"} == {k: len(v) for k, v in PRE.items()
                                                                       if k != "company"}
    # the emulators recompute totals and payment state by their own rules: they must land on the seed's
    for seed_bill in XERO["Invoices"]:
        got = _by(xero["Invoices"], "InvoiceID")[seed_bill["InvoiceID"]]
        assert got["Status"] == seed_bill["Status"]
        assert [d(got[k]) for k in ("SubTotal", "TotalTax", "Total", "AmountPaid", "AmountDue")] == \
               [d(seed_bill[k]) for k in ("SubTotal", "TotalTax", "Total", "AmountPaid", "AmountDue")]
    for seed_doc in PRE["purchaseorders"] + PRE["invoices"]:
        coll = "invoices" if "invoiceNumber" in seed_doc else "purchaseorders"
        got = _by(pre[coll], "id")[seed_doc["id"]]
        assert (got["status"], d(got["sum"]), d(got["netSum"])) == \
               (seed_doc["status"], d(seed_doc["sum"]), d(seed_doc["netSum"]))
        assert coll == "purchaseorders" or d(got["sumPaid"]) == d(seed_doc["sumPaid"])
    assert pre["company"]["precisionData"] == PRE["company"]["precisionData"]


def test_both_emulators_load_a_generated_dataset_in_process() -> None:
    from recon.sandbox.generate import generate, sizes
    from recon.sandbox.precoro import PrecoroEmulator
    from recon.sandbox.xero import XeroEmulator

    xero_payload, pre_payload = generate(suppliers=50, lines=300, seed=3)
    want = sizes(xero_payload, pre_payload)
    x_counts = XeroEmulator().load(xero_payload)
    p_counts = PrecoroEmulator().load(pre_payload)
    assert (x_counts["Contacts"], x_counts["Invoices"], x_counts["PurchaseOrders"]) == \
           (want.suppliers, want.bills, want.purchase_orders)
    assert (p_counts["suppliers"], p_counts["invoices"], p_counts["payments"]) == \
           (want.suppliers, want.bills, want.payments)


# ---------------------------------------------------------------------------- what reconcile finds


def _assert_exactly_planted(differences: pd.DataFrame) -> None:
    found = {tuple(r) for r in differences[["object", "label", "field", "kind", "direction", "action"]]
             .astype(str).itertuples(index=False)}
    missing = [c for c in demo.PLANTED
               if (c.kind, c.label, c.field, c.difference, c.direction, c.action) not in found]
    assert missing == []
    assert {(r[0], r[1]) for r in found} == {(c.kind, c.label) for c in demo.PLANTED}


def test_reconcile_finds_exactly_the_planted_cases() -> None:
    """The real reconcile over the demo (read by this file's mapping) reports every planted case, and nothing
    about records that are not planted."""
    from recon.reconcile.core import reconcile
    from recon.snapshot import Snapshot

    frames = {("precoro", k): v for k, v in P_FRAMES.items()} | {("xero", k): v for k, v in X_FRAMES.items()}
    meta = {"precoro": {"precision": PRE["company"]["precisionData"]},
            "xero": {"unitdp": 2, "rounding_account_code": demo.ROUNDING_ACCOUNT}}
    rec = reconcile(Snapshot(frames=frames, meta=meta), links=pd.DataFrame(LINKS), baselines=B_FRAMES, run_id="t")
    _assert_exactly_planted(rec.differences)


def test_fetched_over_http_and_reconciled_the_demo_shows_exactly_the_planted_cases(tmp_path: Any) -> None:
    """What ``recon demo`` does: both emulators on loopback, the real connectors fetch, reconcile with the
    demo's links and baseline."""
    from recon.config import load_settings
    from recon.connectors.pacing import reset_pacers
    from recon.fetch import FetchOptions, fetch
    from recon.reconcile.core import reconcile
    from recon.sandbox import Sandbox

    high = {"minute": 1_000_000, "hour": 1_000_000, "day": 1_000_000}
    options = FetchOptions(limits={"xero": {"minute": 100_000}, "precoro": {"minute": 100_000, "hour": 100_000}})
    reset_pacers()
    try:
        with Sandbox(seed="demo", xero_limits={"minute": 1_000_000, "day": 1_000_000}, precoro_limits=high) as sb:
            settings = load_settings(env={"RECON_TOKEN_FILE": str(tmp_path / "tokens.json")}).with_sandbox_urls(
                sb.xero_url, sb.precoro_url)
            snap = fetch(settings, full=True, progress=False, options=options)
    finally:
        reset_pacers()
    rec = reconcile(snap, links=pd.DataFrame(LINKS), baselines=B_FRAMES, run_id="t")
    _assert_exactly_planted(rec.differences)


def test_docs_table_lists_exactly_the_planted_cases() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "demo-cases.md").read_text(encoding="utf-8")
    rows = {tuple(cell.strip() for cell in line.strip("|").split("|")[1:7])
            for line in text.splitlines() if re.match(r"^\| \d+ \| ", line)}
    assert rows == {(c.kind, c.label, c.field, c.difference, c.direction, c.action) for c in demo.PLANTED}
