"""Deterministic large datasets for the benchmarks: the demo's shapes, at up to 100,000 suppliers and 1,000,000 lines.

``generate(suppliers, lines, seed, differences)`` returns ``(xero_payload, precoro_payload)`` with the same
keys and record shapes as :func:`recon.sandbox.demo.xero_seed` and :func:`~recon.sandbox.demo.precoro_seed`, so
an emulator loads either in-process (``XeroEmulator.load(payload)`` / ``PrecoroEmulator.load(payload)``) without
one HTTP request per record. The company is fully integrated (every Precoro record carries the ``externalId``
of its Xero twin) and a fraction ``differences`` of the linked suppliers and of the bills differ:

- suppliers: every other differing pair has its phone changed in Xero, the rest their e-mail changed in Precoro;
- bills: one line's quantity was raised by one in Xero (a material difference, totals recomputed by Xero's
  rules).

Everything else agrees exactly. Chosen records come from ``random.Random(seed)``, so the same arguments give
the same output on every platform. Amounts go through :mod:`recon.money` (memoised per distinct line), and
the nested reference objects of lines (tax, product, custom fields, tracking) are shared between lines to keep
a million lines in a few GB: treat the payload as read-only, or copy a record before changing it.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from recon import money
from recon.errors import ConfigError
from recon.schema import to_decimal
from recon.sandbox import seed_shapes as ss
from recon.sandbox.admin import paused_gc
from recon.sandbox.demo_company import ACCOUNTS, TAX_RATES, TRACKING
from recon.sandbox.seed_shapes import Doc, Line, Paid, guid

MAX_SUPPLIERS = 100_000
MAX_LINES = 1_000_000
PRECISION = money.Precision(price=4, quantity=2, total=2)
COMPANY = "Generated Procurement Ltd"
_START = dt.date(2025, 1, 1)
_STAMP = dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.timezone.utc)
_CITIES = (("Auckland", "Auckland", "1010"), ("Wellington", "Wellington", "6011"),
           ("Christchurch", "Canterbury", "8011"), ("Hamilton", "Waikato", "3204"), ("Dunedin", "Otago", "9016"),
           ("Tauranga", "Bay of Plenty", "3110"), ("Napier", "Hawke's Bay", "4110"))
_CURRENCIES = (("NZD", Decimal("1"), "INPUT2"), ("AUD", Decimal("0.9120"), "NONE"), ("USD", Decimal("0.5950"), "NONE"))
_RATES = {c[0]: c for c in _CURRENCIES}
_QUANTITIES = tuple(Decimal(q) for q in range(1, 13))
_SERVICE = (False,) * 9 + (True,)  # one line in ten is a description line
_EXPENSE_ACCOUNTS = tuple(a.code for a in ACCOUNTS if a.cls == "EXPENSE")


@dataclass(frozen=True)
class Sizes:
    """What :func:`generate` produced, for callers that want to check or report it."""

    suppliers: int
    items: int
    purchase_orders: int
    bills: int
    lines: int
    payments: int
    differing_suppliers: int
    differing_bills: int


SIDES = ("xero", "precoro")


def generate(suppliers: int = 10_000, lines: int = 100_000, seed: int = 0,
             differences: float = 0.01) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Xero organisation and a Precoro company of the given size, linked, with ``differences`` of pairs differing."""
    xero, pre = _generate_paused(suppliers, lines, seed, differences, SIDES)
    assert xero is not None and pre is not None
    return xero, pre


def generate_side(side: str, suppliers: int = 10_000, lines: int = 100_000, seed: int = 0,
                  differences: float = 0.01) -> dict[str, Any]:
    """One system's payload of :func:`generate` with the same arguments, equal to it, without building the other's:
    each emulator's process makes only what it loads. The random draws (suppliers, documents, which pairs differ)
    are the same whichever side is built; only the wire records of the other side are skipped."""
    if side not in SIDES:
        raise ConfigError(f"side is one of {', '.join(SIDES)}, not {side!r}")
    xero, pre = _generate_paused(suppliers, lines, seed, differences, (side,))
    payload = xero if side == "xero" else pre
    assert payload is not None
    return payload


def _generate_paused(suppliers: int, lines: int, seed: int, differences: float,
                     sides: tuple[str, ...]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    # Millions of new containers make the cyclic collector run over and over (two thirds of the time); nothing
    # built here is cyclic, so it is paused and restored (the payload moved to the oldest generation, see
    # paused_gc).
    with paused_gc():
        return _generate(suppliers, lines, seed, differences, "xero" in sides, "precoro" in sides)


def _generate(suppliers: int, lines: int, seed: int, differences: float, with_xero: bool,
              with_precoro: bool) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    if not 1 <= suppliers <= MAX_SUPPLIERS:
        raise ConfigError(f"suppliers must be between 1 and {MAX_SUPPLIERS}, not {suppliers}")
    if not 0 <= lines <= MAX_LINES:
        raise ConfigError(f"lines must be between 0 and {MAX_LINES}, not {lines}")
    if not 0 <= differences <= 1:
        raise ConfigError(f"differences is a fraction between 0 and 1, not {differences}")
    rng = random.Random(seed)
    items = _items(max(20, min(500, suppliers // 10)))
    cat = ss.build_catalog(TAX_RATES, ACCOUNTS, items, TRACKING, PRECISION)
    cat.share = True

    xero: dict[str, Any] | None = None
    pre: dict[str, Any] | None = None
    if with_xero:
        xero = {"Organisations": [_organisation()], "Contacts": [], "Items": [], "Accounts": [],
                "TrackingCategories": ss.xero_tracking(TRACKING),
                "TaxRates": [ss.xero_tax_rate(t) for t in TAX_RATES],
                "PurchaseOrders": [], "Invoices": [], "Payments": []}
    if with_precoro:
        pre = {"company": {"id": 1, "name": COMPANY, "currency": "NZD", "precisionData": PRECISION.to_json()},
               "suppliers": [], "items": [], "taxes": [], "itemcustomfields": ss.precoro_icfs(cat, ACCOUNTS, _STAMP),
               "purchaseorders": [], "invoices": [], "payments": []}
    if xero is not None:
        xero["Accounts"] = [ss.xero_account(a, _STAMP) for a in ACCOUNTS]
    if pre is not None:
        pre["taxes"] = [ss.precoro_tax(t, cat.precoro_tax_ids[t.tax_type], _STAMP) for t in TAX_RATES]
    if xero is not None:
        xero["Items"] = [ss.xero_item(it, _STAMP) for it in items]
    if pre is not None:
        pre["items"] = [ss.precoro_item(it, cat.precoro_item_ids[it.code], cat, _STAMP, _STAMP) for it in items]

    # the skeleton (every random draw) is made whichever sides are built, so each side is the same on its own
    sups = [_supplier(n, rng) for n in range(suppliers)]
    contact_ids = [_contact_id(n) for n in range(suppliers)]
    differing = set(rng.sample(range(suppliers), round(suppliers * differences)))
    for n, s in enumerate(sups):
        x, p = s, s
        if n in differing:
            if n % 2:
                x = replace(s, phone=s.phone[:-4] + "9999")
            else:
                p = replace(s, email="ap." + s.email)
        if xero is not None:
            xero["Contacts"].append(ss.xero_contact(x, contact_ids[n], _STAMP))
        if pre is not None:
            pre["suppliers"].append(ss.precoro_supplier(p, 100_001 + n, f"G-{n + 1:06d}", contact_ids[n], _STAMP,
                                                        _STAMP))
    # a supplier's reference objects are shared by its documents, like the lines' (the payload is read-only)
    if xero is not None:
        contact_refs = [ss.contact_ref(s, contact_ids[n]) for n, s in enumerate(sups)]
    if pre is not None:
        supplier_refs = [ss.supplier_ref(s, 100_001 + n, contact_ids[n]) for n, s in enumerate(sups)]

    docs = _documents(lines, [s.currency for s in sups], items, rng)
    bills = [d for d in docs if d.kind == "bill"]
    edited = set(rng.sample(range(len(bills)), round(len(bills) * differences))) if bills else set()
    n_bill = n_pay = 0
    for doc in docs:
        sup = int(doc.supplier)
        xlines = doc.lines
        paid: list[Paid] = []
        if doc.kind == "bill":
            if n_bill in edited:
                xlines = (replace(doc.lines[0], quantity=doc.lines[0].quantity + 1),) + doc.lines[1:]
            elif n_bill % 10 == 0:  # every tenth unedited bill is paid in full, on both sides
                _, totals = ss.precoro_lines(doc.lines, cat, 0)
                paid = [Paid(f"g{doc.idn}", doc.idn, doc.second_date, totals.total, f"Payment {doc.number}")]
                doc = replace(doc, precoro_status=5, xero_status="PAID")
            n_bill += 1
        if xero is not None:
            xdoc = ss.xero_document(doc, xlines, cat, contact_refs[sup], _STAMP, paid)
            if doc.kind == "purchase_order":
                xero["PurchaseOrders"].append(xdoc)
            else:
                xero["Invoices"].append(xdoc)
                for p in paid:
                    xero["Payments"].append(ss.xero_payment(p, doc, xdoc, cat.accounts["090"], _STAMP))
        if pre is not None:
            pre_pay = [ss.precoro_payment(p, 700_001 + n_pay + k, n_pay + k + 1, doc.currency, guid("payment", p.key),
                                          _STAMP, PRECISION.total) for k, p in enumerate(paid)]
            # the Xero twin's id, as xero_document names it
            external_id = guid("purchase-order" if doc.kind == "purchase_order" else "bill", str(doc.idn))
            pdoc = ss.precoro_document(doc, doc.lines, cat, doc.idn, supplier_refs[sup], external_id,
                                       _stamp(doc.date), _STAMP, doc.idn * 100, pre_pay)
            if doc.kind == "purchase_order":
                pre["purchaseorders"].append(pdoc)
            else:
                pre["invoices"].append(pdoc)
                for pp in pre_pay:
                    pre["payments"].append({**pp, "invoice": {"id": pdoc["id"], "idn": doc.idn}})
        if doc.kind == "bill":
            n_pay += len(paid)
    return xero, pre


def sizes(xero: dict[str, Any], precoro: dict[str, Any]) -> Sizes:
    """Count what a generated pair holds (and how many pairs differ), from the payloads themselves."""
    phones = {c["ContactID"]: (c["Phones"][0]["PhoneNumber"], c["EmailAddress"]) for c in xero["Contacts"]}
    diff_sup = sum(1 for s in precoro["suppliers"]
                   if phones[s["externalId"]] != (s["phone"], s["contacts"]["data"][0]["email"]))
    totals = {i["InvoiceID"]: to_decimal(i["Total"]) for i in xero["Invoices"]}
    diff_bills = sum(1 for b in precoro["invoices"] if totals[b["externalId"]] != to_decimal(b["sum"]))
    docs = precoro["purchaseorders"] + precoro["invoices"]
    return Sizes(len(precoro["suppliers"]), len(precoro["items"]), len(precoro["purchaseorders"]),
                 len(precoro["invoices"]), sum(len(d["items"]["data"]) for d in docs), len(precoro["payments"]),
                 diff_sup, diff_bills)


def links_of(precoro: dict[str, Any]) -> list[dict[str, str]]:
    """The linked pairs of a generated (or any fully integrated) Precoro payload, from its ``externalId``s:
    ``{"kind", "precoro_id", "xero_id"}`` as :func:`recon.sandbox.demo.links` gives them (documents by ``idn``)."""
    icf = precoro["itemcustomfields"]
    pairs = [("supplier", s["id"], s["externalId"]) for s in precoro["suppliers"]]
    pairs += [("item", i["id"], i["externalId"]) for i in precoro["items"]]
    pairs += [("tax_rate", t["id"], t["externalId"]) for t in precoro["taxes"]]
    pairs += [("account", o["id"], o["externalId"]) for o in icf[0]["options"]]
    pairs += [("tracking_option", o["id"], o["externalId"]) for f in icf[1:] for o in f["options"]]
    pairs += [("purchase_order", d["idn"], d["externalId"]) for d in precoro["purchaseorders"]]
    pairs += [("bill", d["idn"], d["externalId"]) for d in precoro["invoices"]]
    pairs += [("payment", p["id"], p["externalId"]) for p in precoro["payments"]]
    return [{"kind": k, "precoro_id": str(pid), "xero_id": xid} for k, pid, xid in pairs if xid]


def _contact_id(n: int) -> str:
    return guid("generated-contact", str(n))


def _stamp(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=dt.timezone.utc)


def _items(count: int) -> tuple[ss.Item, ...]:
    return tuple(ss.Item(f"G{n + 1:05d}", f"Generated item {n + 1}", f"Catalogue item number {n + 1}",
                         Decimal(f"{(n * 37) % 97 + 1}.{(n * 13) % 4 * 25:02d}"),
                         _EXPENSE_ACCOUNTS[n % len(_EXPENSE_ACCOUNTS)]) for n in range(count))


def _supplier(n: int, rng: random.Random) -> ss.Supplier:
    city, region, postcode = _CITIES[rng.randrange(len(_CITIES))]
    currency = _CURRENCIES[0 if rng.random() < 0.9 else rng.randrange(1, 3)][0]
    return ss.Supplier(
        f"Generated Supplier {n + 1:06d} Ltd", f"accounts@supplier{n + 1:06d}.example", f"+64 9 {n + 1:07d}",
        f"{100 + n // 1_000_000:03d}-{n // 1000 % 1000:03d}-{n % 1000:03d}", f"94290{n + 1:08d}", currency,
        f"{rng.randrange(1, 400)} Generated Rd", city, region, postcode, "NZ")


def _documents(lines: int, currencies: list[str], items: tuple[ss.Item, ...], rng: random.Random) -> list[Doc]:
    """Documents of 1-20 lines (mean about 10) until ``lines`` lines exist; POs and bills alternate."""
    docs: list[Doc] = []
    made: dict[tuple[Any, ...], Line] = {}
    left, idn = lines, 0
    while left > 0:
        size = min(left, rng.randint(1, 20))
        left -= size
        idn += 1
        sup = rng.randrange(len(currencies))
        currency, rate, tax = _RATES[currencies[sup]]
        day = _START + dt.timedelta(days=rng.randrange(600))
        region = TRACKING.categories[0][1][rng.randrange(3)]
        dept = TRACKING.categories[1][1][rng.randrange(4)]
        # drawn in bulk, and from small sets of quantities and prices, so the memoised line maths is reused; equal
        # lines are one (frozen) object
        body = []
        for it, qty, service in zip(rng.choices(items, k=size), rng.choices(_QUANTITIES, k=size),
                                    rng.choices(_SERVICE, k=size)):
            key = (it.code, qty, service, tax, region, dept)
            line = made.get(key)
            if line is None:
                line = made[key] = (
                    Line("", f"Service for {it.name}", qty, it.purchase_price, it.account_code, tax, region, dept)
                    if service else Line(it.code, it.name, qty, it.purchase_price, it.account_code, tax, region, dept))
            body.append(line)
        kind = "purchase_order" if idn % 2 else "bill"
        number = f"PO-{idn:07d}" if kind == "purchase_order" else f"GINV-{idn:07d}"
        docs.append(Doc(kind, idn, number, str(sup), day, day + dt.timedelta(days=30), currency, tuple(body),
                        currency_rate=rate))
    return docs


def _organisation() -> dict[str, Any]:
    return {"OrganisationID": guid("organisation", "generated"), "Name": COMPANY, "LegalName": COMPANY,
            "PaysTax": True, "Version": "NZ", "OrganisationType": "COMPANY", "BaseCurrency": "NZD",
            "CountryCode": "NZ", "IsDemoCompany": False, "OrganisationStatus": "ACTIVE",
            "FinancialYearEndDay": 31, "FinancialYearEndMonth": 3, "SalesTaxBasis": "INVOICE",
            "SalesTaxPeriod": "TWOMONTHS", "CreatedDateUTC": "2019-04-01T00:00:00Z",
            "Timezone": "NEWZEALANDSTANDARDTIME", "OrganisationEntityType": "COMPANY", "Class": "STANDARD",
            "Edition": "BUSINESS", "Addresses": [], "Phones": [], "ExternalLinks": [], "PaymentTerms": {}}
