"""The demo data: one small company in Xero and Precoro, already integrated, with planted differences.

Kowhai Outdoor Supplies Ltd (base currency NZD; suppliers in NZD, AUD and USD) was last synced at
:data:`LAST_SYNC`; since then both sides moved on. Every difference a correct reconcile should find at
:data:`NOW` is listed in :data:`PLANTED` (and in ``docs/demo-cases.md``); everything else agrees exactly, with
each other and with :func:`baseline`.

Public surface (the emulators, ``recon demo`` and the reconcile tests call exactly this):

- :func:`xero_seed` and :func:`precoro_seed`: the records as each API's ``GET`` returns them;
- :func:`baseline`: per kind, the canonical records both sides agreed on at the last sync;
- :func:`links`: every linked pair; :data:`PLANTED`; :data:`NOW`; :data:`SANDBOX_COMPANY`.

Each call returns a fresh deep copy, so a caller may mutate what it gets.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal as D
from functools import lru_cache
from typing import Any

from recon import money
from recon.schema import LINE_FRAMES
from recon.sandbox import seed_shapes as ss
from recon.sandbox.demo_company import ACCOUNTS, CUSTOMERS, ITEMS, SUPPLIERS, TAX_RATES, TRACKING
from recon.sandbox.seed_shapes import Doc, Line, Paid, guid

UTC = dt.timezone.utc
#: The fixed "now" of the demo data.
NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
#: When the two systems last agreed (the baseline's moment).
LAST_SYNC = dt.datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
SANDBOX_COMPANY = "Kowhai Outdoor Supplies Ltd"
XERO_ORG_NAME = SANDBOX_COMPANY
PRECORO_COMPANY_NAME = SANDBOX_COMPANY
BASE_CURRENCY = "NZD"
#: Precoro's company rounding settings: prices to 4 dp, quantities and totals to 2 dp.
PRECISION = money.Precision(price=4, quantity=2, total=2)
BANK_ACCOUNT = "090"
ROUNDING_ACCOUNT = "860"

CATALOG = ss.build_catalog(TAX_RATES, ACCOUNTS, ITEMS, TRACKING, PRECISION)


def _t(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@dataclass(frozen=True)
class PlantedCase:
    """One difference planted in the demo data, as reconcile should report it."""

    kind: str
    label: str
    field: str
    difference: str
    direction: str
    action: str
    description: str
    precoro_id: str = ""
    xero_id: str = ""


# ------------------------------------------------------------------------------------ suppliers

#: Precoro-only or changed values. Keys absent here are linked pairs that agree with the baseline.
_SUPPLIER_XERO = {
    "southern": {"phone": "+64 3 555 0199"},
    "kauri": {"address_line1": "40 Karangahape Rd"},
    "pacific": {"active": False},
}
_SUPPLIER_PRECORO = {
    "coastal": {"email": "ap@coastalpack.example"},
    "kauri": {"address_line1": "38 Karangahape Rd"},
    "harbourcafe": {"email": "harbour.coffee@example.com", "phone": "", "tax_number": "", "company_number": "",
                    "address_line1": "8 Jellicoe Street"},
}
_SUPPLIER_CHANGED = {  # when each side changed after the last sync
    ("xero", "southern"): "2026-11-05", ("xero", "kauri"): "2026-11-04", ("xero", "pacific"): "2026-11-08",
    ("precoro", "coastal"): "2026-11-06", ("precoro", "kauri"): "2026-11-09",
    ("precoro", "harbourcafe"): "2026-11-10", ("xero", "greenleaf"): "2026-11-11", ("precoro", "tui"): "2026-11-13",
}
_XERO_ONLY = ("greenleaf",)
_PRECORO_ONLY = ("tui",)
_UNLINKED = ("harbourcafe",)  # on both sides, not linked: the match candidate
_ARCHIVED = ("oldmill",)  # archived in Xero and disabled in Precoro before the last sync


def _supplier(key: str, side: str) -> ss.Supplier:
    base = SUPPLIERS[key]
    if key in _ARCHIVED:
        base = replace(base, active=False)
    over = (_SUPPLIER_XERO if side == "xero" else _SUPPLIER_PRECORO).get(key, {})
    return replace(base, **over)


def _in_xero(key: str) -> bool:
    return key not in _PRECORO_ONLY


def _in_precoro(key: str) -> bool:
    return key not in _XERO_ONLY


def _linked(key: str) -> bool:
    return _in_xero(key) and _in_precoro(key) and key not in _UNLINKED


_PRECORO_SUPPLIER_IDS = {k: 101 + n for n, k in enumerate(k for k in SUPPLIERS if _in_precoro(k))}


def _contact_id(key: str) -> str:
    return guid("contact", key)


def _updated(side: str, key: str, default: str) -> dt.datetime:
    return _t(_SUPPLIER_CHANGED.get((side, key), default), 10)


# ------------------------------------------------------------------------------------ items

_ITEM_PRECORO = {"HV-VEST": {"purchase_price": D("14.00")}}  # edited in Precoro: a blocked edit


# ------------------------------------------------------------------------------------ documents

L = Line
_NZD, _AUD, _USD = D("1"), D("0.9120"), D("0.5950")
PURCHASE_ORDERS: tuple[Doc, ...] = (
    Doc("purchase_order", 1, "PO-00001", "alpine", dt.date(2026, 9, 8), dt.date(2026, 9, 22), "NZD", (
        L("GAS-230", "Gas Canister 230g", D("48"), D("6.85"), "300", region="Auckland", department="Warehouse"),
        L("STOVE-G", "Gas Canister Stove", D("12"), D("39.95"), "300", region="Auckland", department="Warehouse"))),
    Doc("purchase_order", 2, "PO-00002", "tasman", dt.date(2026, 9, 10), dt.date(2026, 10, 15), "AUD", (
        L("TENT-2P", "Trailhead 2P Tent", D("20"), D("172.80"), "300", "NONE", "Auckland", "Retail"),
        L("TENT-4P", "Trailhead 4P Tent", D("8"), D("300.00"), "300", "NONE", "Wellington", "Retail")),
        currency_rate=_AUD),
    Doc("purchase_order", 3, "PO-00003", "summit", dt.date(2026, 9, 15), dt.date(2026, 10, 30), "USD", (
        L("PACK-45", "Ridge 45L Pack", D("30"), D("84.20"), "300", "NONE", "Auckland", "Online"),
        L("PACK-65", "Ridge 65L Pack", D("20"), D("104.50"), "300", "NONE", "Christchurch", "Retail")),
        currency_rate=_USD),
    Doc("purchase_order", 4, "PO-00004", "ruapehu", dt.date(2026, 9, 21), dt.date(2026, 10, 5), "NZD", (
        L("BAG-DN", "Down Sleeping Bag -5C", D("15"), D("214.00"), "300", region="Wellington", department="Retail"),)),
    Doc("purchase_order", 5, "PO-00005", "officemax", dt.date(2026, 9, 28), dt.date(2026, 10, 2), "NZD", (
        L("PAPER-A4", "Copy Paper A4", D("10"), D("32.50"), "461", region="Auckland", department="Admin"),
        L("TONER-58A", "Toner Cartridge 58A", D("2"), D("129.00"), "453", region="Auckland", department="Admin"),
        L("", "Desk organiser set, bamboo", D("3"), D("24.90"), "453", region="Auckland", department="Admin"))),
    Doc("purchase_order", 6, "PO-00006", "techhub", dt.date(2026, 10, 1), dt.date(2026, 10, 8), "NZD", (
        L("LAPTOP-14", "Laptop 14in", D("2"), D("1649.00"), "720", region="Auckland", department="Admin"),
        L("MONITOR-27", "Monitor 27in", D("2"), D("429.00"), "720", region="Auckland", department="Admin"))),
    Doc("purchase_order", 7, "PO-00007", "waka", dt.date(2026, 10, 6), dt.date(2026, 11, 30), "NZD", (
        L("KAYAK-SOT", "Sit-on-top Kayak", D("6"), D("545.00"), "300", region="Auckland", department="Retail"),),
        precoro_status=8),
    Doc("purchase_order", 8, "PO-00008", "kiwiwater", dt.date(2026, 11, 16), dt.date(2026, 11, 27), "NZD", (
        L("BOTTLE-1L", "Insulated Bottle 1L", D("60"), D("21.60"), "300", region="Auckland", department="Online"),)),
    Doc("purchase_order", 9, "PO-00009", "manuka", dt.date(2026, 11, 18), dt.date(2026, 12, 4), "NZD", (
        L("HV-VEST", "Hi-vis Safety Vest", D("25"), D("12.50"), "429", region="Auckland", department="Warehouse"),
        L("GLOVE-W", "Work Gloves", D("40"), D("8.40"), "429", region="Auckland", department="Warehouse")),
        precoro_status=1),
    Doc("purchase_order", 10, "PO-00010", "coastal", dt.date(2026, 10, 12), dt.date(2026, 10, 19), "NZD", (
        L("BOX-L", "Shipping Carton Large", D("500"), D("2.35"), "310", region="Auckland", department="Warehouse"),
        L("TAPE-48", "Packing Tape 48mm", D("72"), D("3.20"), "310", region="Auckland", department="Warehouse"))),
    Doc("purchase_order", 11, "PO-00011", "cascade", dt.date(2026, 10, 14), dt.date(2026, 11, 25), "USD", (
        L("JKT-RAIN", "Storm Rain Jacket", D("40"), D("66.00"), "300", "NONE", "Auckland", "Online"),),
        currency_rate=_USD),
)

BILLS: tuple[Doc, ...] = (
    replace(PURCHASE_ORDERS[0], kind="bill", idn=1, number="INV-4471", date=dt.date(2026, 9, 24),
            second_date=dt.date(2026, 10, 20), precoro_status=5, xero_status="PAID", purchase_order_idn=1),
    replace(PURCHASE_ORDERS[1], kind="bill", idn=2, number="TT-20931", date=dt.date(2026, 10, 14),
            second_date=dt.date(2026, 11, 13), precoro_status=5, xero_status="PAID", purchase_order_idn=2),
    replace(PURCHASE_ORDERS[3], kind="bill", idn=3, number="88123", date=dt.date(2026, 10, 6),
            second_date=dt.date(2026, 11, 20), precoro_status=4, purchase_order_idn=4),
    replace(PURCHASE_ORDERS[4], kind="bill", idn=4, number="CO-5521", date=dt.date(2026, 10, 3),
            second_date=dt.date(2026, 11, 20), purchase_order_idn=5),
    replace(PURCHASE_ORDERS[5], kind="bill", idn=5, number="TH-10077", date=dt.date(2026, 10, 9),
            second_date=dt.date(2026, 11, 20), purchase_order_idn=6),
    # The rounding bill: unit prices at 4 dp in Precoro; Xero keeps them at 2 dp (nets 25.06/25.61/25.63 here).
    Doc("bill", 6, "GB-2210", "glovebox", dt.date(2026, 10, 16), dt.date(2026, 11, 20), "NZD", (
        L("GLOVE-W", "Work Gloves", D("3"), D("8.3533"), "429", region="Auckland", department="Warehouse"),
        L("HV-VEST", "Hi-vis Safety Vest", D("2"), D("12.8050"), "429", region="Auckland", department="Warehouse"),
        L("", "Safety glasses, clear", D("7"), D("3.6614"), "429", region="Auckland", department="Warehouse"))),
    replace(PURCHASE_ORDERS[10], kind="bill", idn=7, number="CASC-3390", date=dt.date(2026, 10, 28),
            second_date=dt.date(2026, 11, 27), purchase_order_idn=11),
    Doc("bill", 8, "SPK-771204", "sparkline", dt.date(2026, 10, 20), dt.date(2026, 11, 20), "NZD", (
        L("", "Fibre broadband and phones, October 2026", D("1"), D("189.00"), "489", region="Auckland",
          department="Admin"),)),
    Doc("bill", 9, "FH-NOV26", "fernhill", dt.date(2026, 10, 25), dt.date(2026, 11, 1), "NZD", (
        L("", "Rent, 44 Great South Rd, November 2026", D("1"), D("4500.00"), "469", region="Auckland",
          department="Admin"),)),
    Doc("bill", 10, "BC-0932", "beancounter", dt.date(2026, 10, 31), dt.date(2026, 11, 20), "NZD", (
        L("", "Monthly bookkeeping, October 2026", D("1"), D("850.00"), "412", region="Auckland", department="Admin"),
        L("", "GST return, Sep-Oct period", D("1"), D("180.00"), "412", region="Auckland", department="Admin"))),
    Doc("bill", 11, "TF-1203", "trailfuel", dt.date(2026, 11, 17), dt.date(2026, 12, 20), "NZD", (
        L("", "Freeze-dried meals, assorted", D("120"), D("9.80"), "300", region="Christchurch", department="Retail"),),
        precoro_status=1),
)

#: Bills and POs Precoro has but Xero has not: the unsent approved PO and the documents still in approval.
_NOT_IN_XERO = {("purchase_order", 8), ("purchase_order", 9), ("bill", 11)}
#: Xero-side edits of synced documents (line index -> new quantity): the material difference.
_XERO_LINE_EDITS = {("bill", 5): {1: D("3")}}
_DOC_CHANGED = {("precoro", "purchase_order", 7): "2026-11-10", ("xero", "bill", 5): "2026-11-09",
                ("xero", "bill", 3): "2026-11-12", ("precoro", "purchase_order", 8): "2026-11-16",
                ("precoro", "purchase_order", 9): "2026-11-18", ("precoro", "bill", 11): "2026-11-17"}

PAYMENTS: tuple[Paid, ...] = (
    Paid("inv-4471", 1, dt.date(2026, 10, 20), None, "Alpine INV-4471"),  # None: the bill's total
    Paid("tt-20931", 2, dt.date(2026, 10, 30), None, "Tasman TT-20931"),
    Paid("88123-1", 3, dt.date(2026, 10, 25), D("1000.00"), "Ruapehu 88123 part 1"),
    Paid("88123-2", 3, dt.date(2026, 11, 12), D("500.00"), "Ruapehu 88123 part 2"),
)
_PAYMENTS_XERO_ONLY = ("88123-2",)


def _xero_lines_of(doc: Doc) -> tuple[Line, ...]:
    edits = _XERO_LINE_EDITS.get((doc.kind, doc.idn), {})
    return tuple(replace(ln, quantity=edits[n]) if n in edits else ln for n, ln in enumerate(doc.lines))


def _bill(idn: int) -> Doc:
    return next(b for b in BILLS if b.idn == idn)


@lru_cache(maxsize=1)
def _payments() -> tuple[Paid, ...]:
    """Payments with full-payment amounts filled in from the bills' totals (the same on both sides)."""
    out = []
    for p in PAYMENTS:
        if p.amount is None:
            _, totals = ss.precoro_lines(_bill(p.bill_idn).lines, CATALOG, 0)
            p = replace(p, amount=totals.total)
        out.append(p)
    return tuple(out)


# ------------------------------------------------------------------------------------ assembly


def _doc_updated(side: str, doc: Doc) -> dt.datetime:
    return _t(_DOC_CHANGED.get((side, doc.kind, doc.idn), (doc.date + dt.timedelta(days=1)).isoformat()), 11)


def _doc_id(doc: Doc) -> str:
    """The Xero id of a document (the PurchaseOrderID or InvoiceID)."""
    return guid("purchase-order" if doc.kind == "purchase_order" else "bill", str(doc.idn))


@lru_cache(maxsize=1)
def _world() -> tuple[dict[str, Any], dict[str, Any], dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """Build both seeds, the baseline and the links once; callers get deep copies."""
    xero: dict[str, list[dict[str, Any]]] = {k: [] for k in (
        "Organisations", "Contacts", "Items", "Accounts", "TrackingCategories", "TaxRates", "PurchaseOrders",
        "Invoices", "Payments")}
    pre: dict[str, Any] = {"company": {"id": 1, "name": PRECORO_COMPANY_NAME, "currency": BASE_CURRENCY,
                                       "precisionData": PRECISION.to_json()},
                           "suppliers": [], "items": [], "taxes": [], "itemcustomfields": [],
                           "purchaseorders": [], "invoices": [], "payments": []}
    base: dict[str, list[dict[str, Any]]] = {k: [] for k in (
        "supplier", "item", "account", "tracking_option", "tax_rate", "purchase_order", "bill", "payment",
        "purchase_order_lines", "bill_lines")}
    links: list[dict[str, Any]] = []

    def link(kind: str, pid: Any, xid: str) -> None:
        links.append({"kind": kind, "precoro_id": str(pid), "xero_id": xid})

    xero["Organisations"].append(_organisation())
    old = _t("2026-03-02")

    # suppliers
    for key, sup in SUPPLIERS.items():
        if _in_xero(key):
            xero["Contacts"].append(ss.xero_contact(_supplier(key, "xero"), _contact_id(key),
                                                    _updated("xero", key, "2026-06-15")))
        if _in_precoro(key):
            pid = _PRECORO_SUPPLIER_IDS[key]
            created = _t(_SUPPLIER_CHANGED[("precoro", key)], 10) if key in _UNLINKED + _PRECORO_ONLY else old
            pre["suppliers"].append(ss.precoro_supplier(
                _supplier(key, "precoro"), pid, f"S-{pid - 100:04d}", _contact_id(key) if _linked(key) else None,
                created, _updated("precoro", key, "2026-06-16")))
        if _linked(key):
            link("supplier", _PRECORO_SUPPLIER_IDS[key], _contact_id(key))
            agreed = replace(sup, active=key not in _ARCHIVED)
            base["supplier"].append({"id": str(_PRECORO_SUPPLIER_IDS[key]), "xero_id": _contact_id(key),
                                     **_canon(agreed), "updated_at": LAST_SYNC.isoformat()})
    for key, cust in CUSTOMERS.items():
        xero["Contacts"].append(ss.xero_contact(cust, _contact_id(key), _t("2026-05-04"), supplier=False))

    # accounts, tracking, taxes (one-way, all linked and equal)
    for a in ACCOUNTS:
        xero["Accounts"].append(ss.xero_account(a, old))
        oid = CATALOG.precoro_option_ids[(1, a.code)]
        link("account", oid, guid("account", a.code))
        base["account"].append({"id": str(oid), "xero_id": guid("account", a.code), "code": a.code, "name": a.name,
                                "active": True, "updated_at": LAST_SYNC.isoformat()})
    xero["TrackingCategories"] = ss.xero_tracking(TRACKING)
    pre["itemcustomfields"] = ss.precoro_icfs(CATALOG, ACCOUNTS, old)
    for category, opts in TRACKING.categories:
        icf = CATALOG.precoro_icf_ids[category]
        for o in opts:
            oid, xid = CATALOG.precoro_option_ids[(icf, o)], TRACKING.option_id(category, o)
            link("tracking_option", oid, xid)
            base["tracking_option"].append({"id": str(oid), "xero_id": xid, "category_id": str(icf),
                                            "category": category, "name": o, "active": True,
                                            "updated_at": LAST_SYNC.isoformat()})
    for t in TAX_RATES:
        tid = CATALOG.precoro_tax_ids[t.tax_type]
        xero["TaxRates"].append(ss.xero_tax_rate(t))
        pre["taxes"].append(ss.precoro_tax(t, tid, old))
        link("tax_rate", tid, t.tax_type)
        base["tax_rate"].append({"id": str(tid), "xero_id": t.tax_type, "tax_type": t.tax_type, "name": t.name,
                                 "rate": money.fmt(t.rate), "active": True, "updated_at": LAST_SYNC.isoformat()})

    # items
    for it in ITEMS:
        pid = CATALOG.precoro_item_ids[it.code]
        edited = _ITEM_PRECORO.get(it.code)
        xero["Items"].append(ss.xero_item(it, _t("2026-04-20")))
        pre["items"].append(ss.precoro_item(replace(it, **edited) if edited else it, pid, CATALOG, _t("2026-04-21"),
                                            _t("2026-11-07", 10) if edited else _t("2026-04-21")))
        link("item", pid, guid("item", it.code))
        base["item"].append({"id": str(pid), "xero_id": guid("item", it.code), "code": it.code, "name": it.name,
                             "description": it.description, "purchase_price": money.fmt(it.purchase_price),
                             "account_code": it.account_code, "tax_type": it.tax_type, "active": True,
                             "updated_at": LAST_SYNC.isoformat()})

    # documents
    payments = _payments()
    for doc in PURCHASE_ORDERS + BILLS:
        in_xero = (doc.kind, doc.idn) not in _NOT_IN_XERO
        sup = _supplier(doc.supplier, "precoro")
        spid = _PRECORO_SUPPLIER_IDS[doc.supplier]
        xid = _doc_id(doc) if in_xero else None
        paid = [p for p in payments if doc.kind == "bill" and p.bill_idn == doc.idn]
        first_line = (100000 if doc.kind == "purchase_order" else 200000) + doc.idn * 100
        if in_xero:
            rec = ss.xero_document(doc, _xero_lines_of(doc), CATALOG,
                                   ss.contact_ref(_supplier(doc.supplier, "xero"), _contact_id(doc.supplier)),
                                   _doc_updated("xero", doc), paid)
            xero["PurchaseOrders" if doc.kind == "purchase_order" else "Invoices"].append(rec)
        pre_pay = [ss.precoro_payment(p, 7001 + payments.index(p), 1 + payments.index(p), doc.currency,
                                      guid("payment", p.key), _t(p.date.isoformat(), 12), PRECISION.total)
                   for p in paid if p.key not in _PAYMENTS_XERO_ONLY]
        po_ref = ({"id": 5000 + doc.purchase_order_idn, "idn": doc.purchase_order_idn}
                  if doc.purchase_order_idn else None)
        pre_doc = ss.precoro_document(doc, doc.lines, CATALOG, (5000 if doc.kind == "purchase_order" else 6000)
                                      + doc.idn, ss.supplier_ref(sup, spid, _contact_id(doc.supplier)), xid,
                                      _t(doc.date.isoformat()), _doc_updated("precoro", doc), first_line, pre_pay,
                                      po_ref)
        pre["purchaseorders" if doc.kind == "purchase_order" else "invoices"].append(pre_doc)
        for pay in pre_pay:
            pre["payments"].append({**pay, "invoice": {"id": pre_doc["id"], "idn": doc.idn}})
        if in_xero:
            link(doc.kind, doc.idn, xid)
            base[doc.kind].append(_canon_doc(doc, pre_doc, xid, paid))
            base[LINE_FRAMES[doc.kind]].extend(_canon_lines(doc))
    bills_by_idn = {b["InvoiceNumber"]: b for b in xero["Invoices"]}
    bank = CATALOG.accounts[BANK_ACCOUNT]
    for n, p in enumerate(payments):
        doc = _bill(p.bill_idn)
        xero["Payments"].append(ss.xero_payment(p, doc, bills_by_idn[doc.number], bank, _t(p.date.isoformat(), 12)))
        if p.key not in _PAYMENTS_XERO_ONLY:
            link("payment", 7001 + n, guid("payment", p.key))
            base["payment"].append({"id": str(7001 + n), "xero_id": guid("payment", p.key), "bill_id": str(doc.idn),
                                    "bill_xero_id": _doc_id(doc), "date": p.date.isoformat(),
                                    "amount": money.fmt(p.amount, 2), "currency": doc.currency, "active": True,
                                    "updated_at": LAST_SYNC.isoformat()})
    return xero, pre, base, links


def _canon(s: ss.Supplier) -> dict[str, Any]:
    return {"name": s.name, "email": s.email, "phone": s.phone, "tax_number": s.tax_number,
            "company_number": s.company_number, "currency": s.currency, "address_line1": s.address_line1,
            "city": s.city, "region": s.region, "postal_code": s.postal_code, "country": s.country,
            "active": s.active}


_STATUS = {2: "approved", 4: "partly_paid", 5: "paid", 8: "cancelled"}


def _canon_doc(doc: Doc, pre_doc: dict[str, Any], xid: str, paid: list[Paid]) -> dict[str, Any]:
    """The agreed header: Precoro's values at the last sync (a cancellation came later)."""
    _, totals = ss.precoro_lines(doc.lines, CATALOG, 0)
    # the status both sides agreed on at the last sync: PO 7 was still approved, bill 3 had one payment
    status = _STATUS[doc.precoro_status if doc.precoro_status != 8 else 2]
    rec = {"id": str(doc.idn), "xero_id": xid, "number": doc.number, "supplier_id": str(pre_doc["supplier"]["id"]),
           "supplier_xero_id": _contact_id(doc.supplier), "date": doc.date.isoformat(), "currency": doc.currency,
           "status": status, "line_amount_types": "Exclusive", "subtotal": money.fmt(totals.subtotal, 2),
           "total_tax": money.fmt(totals.total_tax, 2), "total": money.fmt(totals.total, 2), "active": True,
           "updated_at": LAST_SYNC.isoformat()}
    if doc.kind == "purchase_order":
        rec["delivery_date"] = doc.second_date.isoformat()
    else:
        synced = sum((p.amount for p in paid if p.key not in _PAYMENTS_XERO_ONLY), money.ZERO)
        rec.update(due_date=doc.second_date.isoformat(), amount_paid=money.fmt(synced, 2),
                   amount_due=money.fmt(totals.total - synced, 2))
    return rec


def _canon_lines(doc: Doc) -> list[dict[str, Any]]:
    """The agreed lines: Precoro's, as sent (keyed by the Xero document id and the line number)."""
    out = []
    for n, ln in enumerate(doc.lines, 1):
        amounts = money.precoro_line(ln.quantity, ln.unit_amount, CATALOG.rate(ln.tax_type), PRECISION)
        out.append({
            "doc_id": _doc_id(doc), "line_no": n, "line_id": CATALOG.line_guid(doc, n),
            "item_code": ln.item_code or None, "description": ln.description, "quantity": money.fmt(ln.quantity),
            "unit_amount": money.fmt(ln.unit_amount), "account_code": ln.account_code, "tax_type": ln.tax_type,
            "tax_rate": money.fmt(CATALOG.rate(ln.tax_type)), "tax_amount": money.fmt(amounts.tax),
            "line_amount": money.fmt(amounts.net),
            "tracking1_category": "Region" if ln.region else None, "tracking1_option": ln.region or None,
            "tracking2_category": "Department" if ln.department else None, "tracking2_option": ln.department or None,
        })
    return out


def _organisation() -> dict[str, Any]:
    return {
        "OrganisationID": guid("organisation", "demo"), "APIKey": "", "Name": XERO_ORG_NAME,
        "LegalName": XERO_ORG_NAME, "PaysTax": True, "Version": "NZ", "OrganisationType": "COMPANY",
        "BaseCurrency": BASE_CURRENCY, "CountryCode": "NZ", "IsDemoCompany": False, "OrganisationStatus": "ACTIVE",
        "RegistrationNumber": "9429049990001", "TaxNumber": "111-222-333", "FinancialYearEndDay": 31,
        "FinancialYearEndMonth": 3, "SalesTaxBasis": "INVOICE", "SalesTaxPeriod": "TWOMONTHS",
        "DefaultSalesTax": "Tax Exclusive", "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": "2019-04-01T00:00:00Z", "Timezone": "NEWZEALANDSTANDARDTIME",
        "OrganisationEntityType": "COMPANY", "ShortCode": "!kWh4t", "Class": "STANDARD", "Edition": "BUSINESS",
        "LineOfBusiness": "Outdoor equipment retail",
        "Addresses": [{"AddressType": "STREET", "AddressLine1": "210 Dominion Rd", "City": "Auckland",
                       "Region": "Auckland", "PostalCode": "1024", "Country": "NZ"}],
        "Phones": [{"PhoneType": "OFFICE", "PhoneNumber": "+64 9 555 0100"}], "ExternalLinks": [],
        "PaymentTerms": {},
    }


# ------------------------------------------------------------------------------------ public API


def xero_seed() -> dict[str, list[dict[str, Any]]]:
    """The Xero organisation: every collection as ``GET`` returns it (ISO dates; the emulator formats them)."""
    return copy.deepcopy(_world()[0])


def precoro_seed() -> dict[str, Any]:
    """The Precoro company: company settings and every collection in the shapes of ``docs/precoro-wire.md``."""
    return copy.deepcopy(_world()[1])


def baseline() -> dict[str, list[dict[str, Any]]]:
    """Per kind (and lines frame), the canonical records both sides agreed on at :data:`LAST_SYNC`.

    ``id`` is the Precoro id (the ``idn`` for documents), ``xero_id`` the Xero id; the lines frames
    (``purchase_order_lines``, ``bill_lines``) are keyed by ``doc_id`` = the Xero document id and ``line_no``, as
    ``recon.reconcile.reconcile`` expects. Values are strings (money, dates, ISO timestamps), ``active`` a bool
    and ``line_no`` an int: ``recon.schema.conform`` reads them.
    """
    return copy.deepcopy(_world()[2])


def links() -> list[dict[str, Any]]:
    """Every linked pair: ``{"kind", "precoro_id", "xero_id"}``."""
    return copy.deepcopy(_world()[3])


def _sid(key: str) -> str:
    return str(_PRECORO_SUPPLIER_IDS[key]) if _in_precoro(key) else ""


def _xid(key: str) -> str:
    return _contact_id(key) if _in_xero(key) else ""


_P = PlantedCase
#: Every difference planted in the demo data, each exactly once (docs/demo-cases.md explains each).
PLANTED: tuple[PlantedCase, ...] = (
    _P("supplier", "Southern Alps Timber Ltd", "phone", "mismatch", "to_precoro", "update",
       "Phone changed in Xero only (+64 3 555 0142 -> +64 3 555 0199); Precoro still has the baseline value.",
       _sid("southern"), _xid("southern")),
    _P("supplier", "Coastal Packaging Ltd", "email", "mismatch", "to_xero", "update",
       "E-mail changed in Precoro only (accounts@ -> ap@coastalpack.example); Xero still has the baseline value.",
       _sid("coastal"), _xid("coastal")),
    _P("supplier", "Kauri Print & Signs", "address_line1", "conflict", "to_precoro", "update",
       "Street changed on both sides since the baseline (12 Ponsonby Rd): Xero 40 Karangahape Rd, Precoro 38 "
       "Karangahape Rd. Xero wins.", _sid("kauri"), _xid("kauri")),
    _P("supplier", "Harbour Coffee Roasters", "name", "match_candidate", "none", "link",
       "New Precoro supplier (no externalId) with the exact name of an unlinked Xero contact: link them. The "
       "Precoro supplier then takes the Xero data, shown as mismatch rows (to_precoro, update) for e-mail, "
       "phone, tax and company numbers and street.",
       _sid("harbourcafe"), _xid("harbourcafe")),
    _P("supplier", "Pacific Freight Forwarders", "active", "mismatch", "to_precoro", "archive",
       "Contact archived in Xero (ContactStatus ARCHIVED, listed only with includeArchived=true); still enabled "
       "in Precoro: disable it there.", _sid("pacific"), _xid("pacific")),
    _P("supplier", "Greenleaf Cleaning Services", "", "only_in_xero", "to_precoro", "create",
       "Supplier contact created in Xero after the last sync: create it in Precoro.", "", _xid("greenleaf")),
    _P("supplier", "Tui Electrical Contractors", "", "only_in_precoro", "to_xero", "create",
       "Approved supplier created in Precoro after the last sync, no Xero contact of that name: create it in "
       "Xero.", _sid("tui"), ""),
    _P("item", "Hi-vis Safety Vest", "purchase_price", "blocked_edit", "to_precoro", "update",
       "Item HV-VEST price edited in Precoro (12.50 -> 14.00); items are one-way from Xero, so the "
       "Xero price is put back.", str(CATALOG.precoro_item_ids["HV-VEST"]), guid("item", "HV-VEST")),
    _P("purchase_order", "PO-00008", "", "only_in_precoro", "to_xero", "create",
       "Approved Precoro PO (Kiwi Water Bottles, 60 x 21.60) not yet sent to Xero: create it.", "8", ""),
    _P("purchase_order", "PO-00007", "active", "mismatch", "to_xero", "archive",
       "PO cancelled in Precoro (status 8) after it was synced; Xero still has it AUTHORISED: set it DELETED. "
       "The status field differs too (cancelled vs approved).", "7", guid("purchase-order", "7")),
    _P("bill", "GB-2210", "total", "rounding", "none", "none",
       "Unit prices at 4 dp in Precoro (8.3533, 12.8050, 3.6614) are kept at 2 dp by Xero, so line amounts "
       "25.06/25.61/25.63 become 25.05/25.62/25.62: totals 87.74 vs 87.73, explained by rounding.",
       "6", guid("bill", "6")),
    _P("bill", "TH-10077", "total", "blocked_edit", "to_xero", "update",
       "Material difference: the Monitor 27in line was edited in Xero (quantity 2 -> 3, +429.00 + GST); bills "
       "are one-way from Precoro, so the Precoro line is put back. Totals 4,779.40 (Precoro) vs 5,272.75 (Xero).",
       "5", guid("bill", "5")),
    _P("payment", "Ruapehu 88123 part 2", "", "only_in_xero", "to_precoro", "create",
       "Second payment (500.00 on 2026-11-12) on the partly paid bill 88123, made in Xero after the last sync: "
       "create it in Precoro. The first payment (1,000.00) is linked on both sides and the bill stays partly "
       "paid on both sides.", "", guid("payment", "88123-2")),
)
