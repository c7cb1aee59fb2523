"""Record builders for the sandbox seeds: plain values in, Xero and Precoro records out, in GET shape.

The demo data (:mod:`recon.sandbox.demo`) and the large-data generator (:mod:`recon.sandbox.generate`) both
describe a company as small frozen records (a supplier's name, e-mail, address...) and render each one twice:
once as Xero's ``GET`` returns it (``reference/xero-api.md`` §§9-10; dates as ISO ``YYYY-MM-DD`` and
timestamps as ISO UTC, which the Xero emulator turns into ``/Date()/``) and once as Precoro's ``GET`` returns it
(``docs/precoro-wire.md``). Keeping both renderings here means the two seeds cannot drift apart in shape.

Xero records never contain ``None`` (the SDK turns a JSON ``null`` into ``"None"`` or fails); an absent value
is an omitted key or an empty string. Precoro records use ``None`` where Precoro answers ``null`` (an empty
supplier field is ``null``, as the Precoro emulator stores it).
Amounts are JSON numbers (``float``) exactly as a JSON parser would hand them over; every amount is first
computed as a ``Decimal`` through :mod:`recon.money` and only then written out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from decimal import Decimal
from typing import Any, Iterable, Sequence

from recon import money

#: Namespace of every fixed Xero GUID in the seeds: ``uuid5(NAMESPACE, "<kind>/<key>")``.
NAMESPACE = uuid.UUID("6f0e7c1a-3c1b-5d2e-9a47-2b8c0f51d7e3")
_NAMESPACE_BYTES = NAMESPACE.bytes
ACCOUNTS_ICF = "Xero Chart of Accounts"

PRECORO_DOC_STATUS = {0: "Draft", 1: "Pending", 2: "Approved", 3: "Denied", 4: "Partly paid", 5: "Paid",
                      7: "In Revision", 8: "Canceled", 11: "Closed"}


def guid(kind: str, key: str) -> str:
    """A fixed Xero GUID for a record: the same key always gives the same id (``uuid5(NAMESPACE, kind/key)``,
    made here without :class:`uuid.UUID` objects, which cost more than the hash on a million records)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{kind}/{key}".encode()).digest()[:16])
    digest[6] = digest[6] & 0x0F | 0x50  # version 5
    digest[8] = digest[8] & 0x3F | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@lru_cache(maxsize=65536)
def _cached_guid(kind: str, key: str) -> str:
    return guid(kind, key)


# Line maths is memoised, with the JSON numbers: a large generated dataset repeats the same (quantity, price,
# rate) many times.
@lru_cache(maxsize=1 << 16)
def _xero_line(quantity: Decimal, unit: Decimal, rate: Decimal) -> tuple[money.XeroLine, tuple[float, ...]]:
    x = money.xero_line(quantity, unit, rate)
    return x, (float(quantity), float(x.unit_amount), float(x.tax_amount), float(x.line_amount))


@lru_cache(maxsize=1 << 16)
def _precoro_line(quantity: Decimal, price: Decimal, rate: Decimal,
                  precision: money.Precision) -> tuple[money.PrecoroLine, tuple[float, ...]]:
    p = money.precoro_line(quantity, price, rate, precision)
    return p, (float(p.quantity), float(p.price), float(p.net), float(p.tax), float(p.gross))


@lru_cache(maxsize=4096)  # equal instants give the same text, so caching by equality is exact
def xero_ts(when: dt.datetime) -> str:
    """ISO UTC timestamp as the Xero seed writes it: ``2026-11-01T09:00:00Z``."""
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=4096)
def precoro_ts(when: dt.datetime | dt.date) -> str:
    """Precoro timestamp (dates at midnight UTC): ``2026-11-01T09:00:00+00:00``."""
    if not isinstance(when, dt.datetime):
        when = dt.datetime(when.year, when.month, when.day, tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def num(value: Decimal) -> float:
    """A JSON number for an exact decimal (what ``json.loads`` of the API reply would give)."""
    return float(value)


# ---------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Supplier:
    """A supplier as both systems hold it (canonical field names)."""

    name: str
    email: str
    phone: str
    tax_number: str
    company_number: str
    currency: str
    address_line1: str
    city: str
    region: str
    postal_code: str
    country: str
    active: bool = True


@dataclass(frozen=True)
class Item:
    """A purchased item: Xero ``Code`` = Precoro ``sku``."""

    code: str
    name: str
    description: str
    purchase_price: Decimal
    account_code: str
    tax_type: str = "INPUT2"


@dataclass(frozen=True)
class Account:
    """An account of the chart (Xero) = an option of the "Xero Chart of Accounts" ICF (Precoro)."""

    code: str
    name: str
    type: str
    tax_type: str = "INPUT2"
    system_account: str = ""
    cls: str = "EXPENSE"


@dataclass(frozen=True)
class TaxRate:
    """A Xero tax rate = a Precoro tax (``externalId`` = ``tax_type``); ``rate`` in percent."""

    tax_type: str
    name: str
    rate: Decimal
    report_tax_type: str


@dataclass(frozen=True)
class Line:
    """One document line. ``item_code`` empty for a description line (a Precoro empty row)."""

    item_code: str
    description: str
    quantity: Decimal
    unit_amount: Decimal
    account_code: str
    tax_type: str = "INPUT2"
    region: str = ""
    department: str = ""


@dataclass(frozen=True)
class Tracking:
    """Tracking categories (Xero) = item custom fields (Precoro), with their options, in a fixed order."""

    categories: tuple[tuple[str, tuple[str, ...]], ...]

    def category_id(self, category: str) -> str:
        return _cached_guid("tracking-category", category)

    def option_id(self, category: str, option: str) -> str:
        return _cached_guid("tracking-option", f"{category}/{option}")


@dataclass
class Catalog:
    """Lookups the line renderers need: tax rates, accounts, items, tracking, Precoro ids of options."""

    taxes: dict[str, TaxRate]
    accounts: dict[str, Account]
    items: dict[str, Item]
    tracking: Tracking
    precision: money.Precision
    precoro_tax_ids: dict[str, int] = field(default_factory=dict)
    precoro_item_ids: dict[str, int] = field(default_factory=dict)
    #: (ICF id, option name or account code) -> Precoro option id
    precoro_option_ids: dict[tuple[int, str], int] = field(default_factory=dict)
    #: ICF id of each tracking category (the accounts ICF is 1)
    precoro_icf_ids: dict[str, int] = field(default_factory=dict)
    #: when set, nested reference objects of lines (tax, product, custom fields, tracking) are built once and
    #: shared between lines: the large-data generator's way of keeping a million lines in memory
    share: bool = False
    _memo: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)

    def line_guid(self, doc: "Doc", n: int) -> str:
        """The ``LineItemID`` of line ``n`` of a document: a name-based GUID, or with :attr:`share` a numbered one."""
        if self.share:  # uuid5 costs more than the rest of a line; the generator needs a million of them
            return f"{1 if doc.kind == 'purchase_order' else 2:08x}-0000-5000-8000-{doc.idn * 1000 + n:012x}"
        return guid("line", f"{doc.kind}/{doc.idn}/{n}")

    def memo(self, key: tuple[Any, ...], build: Any) -> Any:
        """``build()``, or with :attr:`share` the object built for ``key`` the first time."""
        if not self.share:
            return build()
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = build()
        return hit

    def rate(self, tax_type: str) -> Decimal:
        return self.taxes[tax_type].rate


# ---------------------------------------------------------------------------------------------- Xero


def xero_contact(s: Supplier, contact_id: str, updated: dt.datetime, *, supplier: bool = True) -> dict[str, Any]:
    """A Contact as ``GET /Contacts/{id}`` returns it; the phone is kept whole in the DEFAULT ``PhoneNumber``."""
    return {
        "ContactID": contact_id,
        "ContactStatus": "ACTIVE" if s.active else "ARCHIVED",
        "Name": s.name,
        "EmailAddress": s.email,
        "TaxNumber": s.tax_number,
        "CompanyNumber": s.company_number,
        "DefaultCurrency": s.currency,
        "BankAccountDetails": "",
        "Addresses": [
            {"AddressType": "POBOX", "AddressLine1": "", "City": "", "Region": "", "PostalCode": "", "Country": ""},
            {"AddressType": "STREET", "AddressLine1": s.address_line1, "City": s.city, "Region": s.region,
             "PostalCode": s.postal_code, "Country": s.country},
        ],
        "Phones": [
            {"PhoneType": "DEFAULT", "PhoneNumber": s.phone, "PhoneAreaCode": "", "PhoneCountryCode": ""},
            {"PhoneType": "DDI", "PhoneNumber": "", "PhoneAreaCode": "", "PhoneCountryCode": ""},
            {"PhoneType": "FAX", "PhoneNumber": "", "PhoneAreaCode": "", "PhoneCountryCode": ""},
            {"PhoneType": "MOBILE", "PhoneNumber": "", "PhoneAreaCode": "", "PhoneCountryCode": ""},
        ],
        "ContactGroups": [],
        "ContactPersons": [],
        "IsSupplier": supplier,
        "IsCustomer": not supplier,
        "AccountsPayableTaxType": "INPUT2",
        "HasAttachments": False,
        "HasValidationErrors": False,
        "UpdatedDateUTC": xero_ts(updated),
    }


def contact_ref(s: Supplier, contact_id: str) -> dict[str, Any]:
    """The contact summary embedded in a document."""
    return {"ContactID": contact_id, "Name": s.name, "ContactStatus": "ACTIVE" if s.active else "ARCHIVED"}


def xero_item(it: Item, updated: dt.datetime) -> dict[str, Any]:
    return {
        "ItemID": guid("item", it.code),
        "Code": it.code,
        "Name": it.name,
        "Description": it.name,
        "PurchaseDescription": it.description,
        "PurchaseDetails": {"UnitPrice": num(it.purchase_price), "AccountCode": it.account_code,
                            "TaxType": it.tax_type},
        "SalesDetails": {},
        "IsSold": False,
        "IsPurchased": True,
        "IsTrackedAsInventory": False,
        "UpdatedDateUTC": xero_ts(updated),
    }


def xero_account(a: Account, updated: dt.datetime) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "AccountID": guid("account", a.code), "Code": a.code, "Name": a.name, "Type": a.type, "Status": "ACTIVE",
        "Description": "", "TaxType": a.tax_type, "Class": a.cls, "EnablePaymentsToAccount": a.type == "BANK",
        "ShowInExpenseClaims": a.cls == "EXPENSE", "ReportingCode": "", "HasAttachments": False,
        "UpdatedDateUTC": xero_ts(updated),
    }
    if a.system_account:
        rec["SystemAccount"] = a.system_account
    if a.type == "BANK":
        rec.update(BankAccountNumber="12-3140-0123456-00", BankAccountType="BANK", CurrencyCode="NZD")
    return rec


def xero_tax_rate(t: TaxRate) -> dict[str, Any]:
    return {
        "Name": t.name, "TaxType": t.tax_type, "ReportTaxType": t.report_tax_type, "Status": "ACTIVE",
        "CanApplyToAssets": True, "CanApplyToEquity": True, "CanApplyToExpenses": True,
        "CanApplyToLiabilities": True, "CanApplyToRevenue": t.report_tax_type.startswith("OUTPUT"),
        "DisplayTaxRate": num(t.rate), "EffectiveRate": num(t.rate),
        "TaxComponents": [{"Name": "GST" if t.rate else "No tax", "Rate": num(t.rate), "IsCompound": False,
                           "IsNonRecoverable": False}],
    }


def xero_tracking(tr: Tracking) -> list[dict[str, Any]]:
    return [
        {"TrackingCategoryID": tr.category_id(cat), "Name": cat, "Status": "ACTIVE",
         "Options": [{"TrackingOptionID": tr.option_id(cat, opt), "Name": opt, "Status": "ACTIVE"} for opt in opts]}
        for cat, opts in tr.categories
    ]


def xero_lines(lines: Sequence[Line], cat: Catalog, doc: "Doc") -> tuple[list[dict[str, Any]], money.Totals]:
    """Xero line items (unit amounts at 2 dp, tax per line) and the document totals Xero computes."""
    if cat.share:
        return _shared_xero_lines(lines, cat, doc)
    out, pairs = [], []
    for n, ln in enumerate(lines, 1):
        x, (qty_f, unit_f, tax_f, line_f) = _xero_line(ln.quantity, ln.unit_amount, cat.rate(ln.tax_type))
        rec: dict[str, Any] = {"LineItemID": cat.line_guid(doc, n)}
        if ln.item_code:
            rec["ItemCode"] = ln.item_code
        rec.update(Description=ln.description, Quantity=qty_f, UnitAmount=unit_f,
                   AccountCode=ln.account_code, TaxType=ln.tax_type, TaxAmount=tax_f, LineAmount=line_f,
                   Tracking=cat.memo(("xt", ln.region, ln.department), lambda: _xero_line_tracking(ln, cat.tracking)))
        out.append(rec)
        pairs.append((x.line_amount, x.tax_amount))
    return out, money.xero_totals(pairs)


def _shared_xero_lines(lines: Sequence[Line], cat: Catalog, doc: "Doc") -> tuple[list[dict[str, Any]], money.Totals]:
    """:func:`xero_lines` for the generator (:attr:`Catalog.share`): the same records, but each distinct line's
    maths and tracking looked up in one dict and the record built in one go (a million lines)."""
    memo = cat._memo
    out, pairs = [], []
    prefix, base = f"{1 if doc.kind == 'purchase_order' else 2:08x}-0000-5000-8000-", doc.idn * 1000  # line_guid
    for n, ln in enumerate(lines, 1):
        key = ("xn", ln.quantity, ln.unit_amount, ln.tax_type)
        maths = memo.get(key)
        if maths is None:
            maths = memo[key] = _xero_line(ln.quantity, ln.unit_amount, cat.rate(ln.tax_type))
        x, (qty_f, unit_f, tax_f, line_f) = maths
        tracking = memo.get(("xt", ln.region, ln.department))
        if tracking is None:
            tracking = cat.memo(("xt", ln.region, ln.department), lambda: _xero_line_tracking(ln, cat.tracking))
        if ln.item_code:
            out.append({"LineItemID": f"{prefix}{base + n:012x}", "ItemCode": ln.item_code,
                        "Description": ln.description, "Quantity": qty_f, "UnitAmount": unit_f,
                        "AccountCode": ln.account_code, "TaxType": ln.tax_type, "TaxAmount": tax_f,
                        "LineAmount": line_f, "Tracking": tracking})
        else:
            out.append({"LineItemID": f"{prefix}{base + n:012x}", "Description": ln.description, "Quantity": qty_f,
                        "UnitAmount": unit_f, "AccountCode": ln.account_code, "TaxType": ln.tax_type,
                        "TaxAmount": tax_f, "LineAmount": line_f, "Tracking": tracking})
        pairs.append((x.line_amount, x.tax_amount))
    return out, money.xero_totals(pairs)


def _xero_line_tracking(ln: Line, tr: Tracking) -> list[dict[str, str]]:
    chosen = [(cat, opt) for (cat, _), opt in zip(tr.categories, (ln.region, ln.department)) if opt]
    return [{"TrackingCategoryID": tr.category_id(c), "TrackingOptionID": tr.option_id(c, o), "Name": c, "Option": o}
            for c, o in chosen]


# ---------------------------------------------------------------------------------------------- Precoro


def precoro_supplier(s: Supplier, pid: int, code: str, external_id: str | None, created: dt.datetime,
                     updated: dt.datetime) -> dict[str, Any]:
    return {
        "id": pid, "uniqueCode": code, "name": s.name, "enable": s.active, "status": 2,
        "currency": s.currency, "currencies": [s.currency], "legalAddress": s.address_line1 or None,
        "city": s.city or None, "state": s.region or None, "country": s.country or None,
        "postalCode": s.postal_code or None, "phone": s.phone or None,
        "businessRegistrationNumber": s.company_number or None, "taxPayerNumber": s.tax_number or None,
        "contacts": {"data": [{"id": pid * 10 + 1, "name": "Accounts", "email": s.email}]},
        "externalId": external_id, "xeroId": None, "integrationStatus": None,
        "createDate": precoro_ts(created), "updateDate": precoro_ts(updated),
    }


def supplier_ref(s: Supplier, pid: int, external_id: str | None) -> dict[str, Any]:
    return {"id": pid, "name": s.name, "externalId": external_id, "xeroId": None}


def precoro_option(oid: int, name: str, code: str | None, external_id: str, updated: dt.datetime) -> dict[str, Any]:
    return {"id": oid, "name": name, "code": code, "enable": True, "externalId": external_id, "xeroId": None,
            "parent": None, "updateDate": precoro_ts(updated)}


def precoro_item(it: Item, pid: int, cat: Catalog, created: dt.datetime, updated: dt.datetime) -> dict[str, Any]:
    account = cat.accounts[it.account_code]
    return {
        "id": pid, "name": it.name, "sku": it.code, "description": it.description, "price": num(it.purchase_price),
        "type": 1, "typeString": "Product", "enable": True, "unit": "each",
        "dataProductCustomFields": {"data": [{"itemCustomField": {"id": 1, "name": ACCOUNTS_ICF},
                                              "option": _account_option_ref(account, cat)}]},
        "externalId": guid("item", it.code), "xeroId": None,
        "createDate": precoro_ts(created), "updateDate": precoro_ts(updated),
    }


def precoro_tax(t: TaxRate, pid: int, updated: dt.datetime) -> dict[str, Any]:
    return {"id": pid, "name": t.name, "percent": num(t.rate), "value": num(t.rate), "isWithholdingTax": False,
            "enable": True, "externalId": t.tax_type, "xeroId": None, "updateDate": precoro_ts(updated)}


def _account_option_ref(a: Account, cat: Catalog) -> dict[str, Any]:
    return {"id": cat.precoro_option_ids[(1, a.code)], "code": a.code, "name": a.name,
            "externalId": guid("account", a.code)}


def precoro_lines(lines: Sequence[Line], cat: Catalog, first_id: int) -> tuple[list[dict[str, Any]], money.Totals]:
    """Precoro line rows (``items.data``) computed at the company precision, and the document totals."""
    if cat.share:
        return _shared_precoro_lines(lines, cat, first_id)
    out, computed = [], []
    for n, ln in enumerate(lines, 1):
        tax = cat.taxes[ln.tax_type]
        p, (qty_f, price_f, net_f, tax_f, gross_f) = _precoro_line(ln.quantity, ln.unit_amount, tax.rate,
                                                                   cat.precision)
        item = cat.items.get(ln.item_code) if ln.item_code else None
        out.append({
            "id": first_id + n - 1, "position": n,
            "name": item.name if item else ln.description, "sku": item.code if item else None,
            "description": item.description if item else ln.description,
            "quantity": qty_f, "price": price_f, "netSum": net_f, "taxSum": tax_f, "sum": gross_f,
            "tax": cat.memo(("pt", tax.tax_type), lambda: {
                "id": cat.precoro_tax_ids[tax.tax_type], "name": tax.name, "percent": num(tax.rate),
                "externalId": tax.tax_type, "xeroId": None}),
            "product": cat.memo(("pp", ln.item_code), lambda: (
                {"id": cat.precoro_item_ids[item.code], "sku": item.code, "externalId": guid("item", item.code),
                 "xeroId": None} if item else None)),
            "itemCustomFields": cat.memo(("pi", ln.account_code, ln.region, ln.department),
                                         lambda: _precoro_line_icfs(ln, cat)),
        })
        computed.append(p)
    return out, money.precoro_totals(computed, cat.precision)


def _shared_precoro_lines(lines: Sequence[Line], cat: Catalog,
                          first_id: int) -> tuple[list[dict[str, Any]], money.Totals]:
    """:func:`precoro_lines` for the generator, as :func:`_shared_xero_lines` is for Xero."""
    memo = cat._memo
    out, computed = [], []
    for n, ln in enumerate(lines, 1):
        key = ("pn", ln.quantity, ln.unit_amount, ln.tax_type)
        maths = memo.get(key)
        if maths is None:
            maths = memo[key] = _precoro_line(ln.quantity, ln.unit_amount, cat.taxes[ln.tax_type].rate, cat.precision)
        p, (qty_f, price_f, net_f, tax_f, gross_f) = maths
        key = ("pr", ln.item_code, ln.description, ln.tax_type, ln.account_code, ln.region, ln.department)
        refs = memo.get(key)
        if refs is None:
            refs = memo[key] = _precoro_line_refs(ln, cat)
        name, sku, description, tax, product, icfs = refs
        out.append({"id": first_id + n - 1, "position": n, "name": name, "sku": sku, "description": description,
                    "quantity": qty_f, "price": price_f, "netSum": net_f, "taxSum": tax_f, "sum": gross_f,
                    "tax": tax, "product": product, "itemCustomFields": icfs})
        computed.append(p)
    return out, money.precoro_totals(computed, cat.precision)


def _precoro_line_refs(ln: Line, cat: Catalog) -> tuple[Any, ...]:
    """The texts and (shared) references of a Precoro line row, as :func:`precoro_lines` makes them."""
    tax = cat.taxes[ln.tax_type]
    item = cat.items.get(ln.item_code) if ln.item_code else None
    return (item.name if item else ln.description, item.code if item else None,
            item.description if item else ln.description,
            cat.memo(("pt", tax.tax_type), lambda: {
                "id": cat.precoro_tax_ids[tax.tax_type], "name": tax.name, "percent": num(tax.rate),
                "externalId": tax.tax_type, "xeroId": None}),
            cat.memo(("pp", ln.item_code), lambda: (
                {"id": cat.precoro_item_ids[item.code], "sku": item.code, "externalId": guid("item", item.code),
                 "xeroId": None} if item else None)),
            cat.memo(("pi", ln.account_code, ln.region, ln.department), lambda: _precoro_line_icfs(ln, cat)))


def _precoro_line_icfs(ln: Line, cat: Catalog) -> list[dict[str, Any]]:
    icfs = [{"itemCustomField": {"id": 1, "name": ACCOUNTS_ICF},
             "option": _account_option_ref(cat.accounts[ln.account_code], cat)}]
    for (category, _), opt in zip(cat.tracking.categories, (ln.region, ln.department)):
        if opt:
            icf = cat.precoro_icf_ids[category]
            icfs.append({"itemCustomField": {"id": icf, "name": category},
                         "option": {"id": cat.precoro_option_ids[(icf, opt)], "code": None, "name": opt,
                                    "externalId": cat.tracking.option_id(category, opt)}})
    return icfs


def precoro_icfs(cat: Catalog, accounts: Iterable[Account], updated: dt.datetime) -> list[dict[str, Any]]:
    """The item custom fields with their options: the chart of accounts and one per tracking category."""
    fields_ = [{"id": 1, "name": ACCOUNTS_ICF, "enable": True, "externalId": "accounts",
                "updateDate": precoro_ts(updated),
                "options": [precoro_option(cat.precoro_option_ids[(1, a.code)], a.name, a.code,
                                           guid("account", a.code), updated) for a in accounts]}]
    for category, opts in cat.tracking.categories:
        icf = cat.precoro_icf_ids[category]
        fields_.append({"id": icf, "name": category, "enable": True, "externalId": cat.tracking.category_id(category),
                        "updateDate": precoro_ts(updated),
                        "options": [precoro_option(cat.precoro_option_ids[(icf, o)], o, None,
                                                   cat.tracking.option_id(category, o), updated) for o in opts]})
    return fields_


def build_catalog(taxes: Sequence[TaxRate], accounts: Sequence[Account], items: Sequence[Item], tracking: Tracking,
                  precision: money.Precision) -> Catalog:
    """A :class:`Catalog` with the Precoro ids of every tax, item, ICF and option assigned in a fixed order.

    Precoro ids: taxes 301+, item custom fields 1 (chart of accounts) then 2, 3 (tracking categories), account
    options 1001+, tracking options 3001+, items 2001+.
    """
    cat = Catalog({t.tax_type: t for t in taxes}, {a.code: a for a in accounts}, {i.code: i for i in items},
                  tracking, precision)
    cat.precoro_tax_ids = {t.tax_type: 301 + n for n, t in enumerate(taxes)}
    cat.precoro_item_ids = {i.code: 2001 + n for n, i in enumerate(items)}
    cat.precoro_option_ids = {(1, a.code): 1001 + n for n, a in enumerate(accounts)}
    option_id = 3001
    for n, (category, opts) in enumerate(tracking.categories):
        cat.precoro_icf_ids[category] = 2 + n
        for opt in opts:
            cat.precoro_option_ids[(2 + n, opt)] = option_id
            option_id += 1
    return cat


# ---------------------------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class Doc:
    """A purchase order or a bill. ``second_date`` is the PO delivery date or the bill due date."""

    kind: str  # "purchase_order" | "bill"
    idn: int
    number: str
    supplier: str  # key of the supplier
    date: dt.date
    second_date: dt.date
    currency: str
    lines: tuple[Line, ...]
    #: Xero ``CurrencyRate`` (foreign units per NZD); Precoro's ``exchangeRate.rate`` is its inverse
    currency_rate: Decimal = Decimal("1")
    precoro_status: int = 2
    xero_status: str = "AUTHORISED"
    purchase_order_idn: int | None = None


@dataclass(frozen=True)
class Paid:
    """A payment on a bill: amount in the bill's currency (``None`` in a table: the bill's total)."""

    key: str
    bill_idn: int
    date: dt.date
    amount: Decimal | None
    reference: str


def xero_document(doc: Doc, lines: Sequence[Line], cat: Catalog, contact: dict[str, Any], updated: dt.datetime,
                  payments: Sequence[Paid] = ()) -> dict[str, Any]:
    """A PurchaseOrder or an ACCPAY Invoice as a GET by id returns it (with lines; bills with payments)."""
    items, totals = xero_lines(lines, cat, doc)
    common = {"Contact": contact, "Date": doc.date.isoformat(), "Status": doc.xero_status,
              "LineAmountTypes": "Exclusive", "LineItems": items, "SubTotal": num(totals.subtotal),
              "TotalTax": num(totals.total_tax), "Total": num(totals.total), "CurrencyCode": doc.currency,
              "CurrencyRate": num(doc.currency_rate), "UpdatedDateUTC": xero_ts(updated), "HasAttachments": False}
    if doc.kind == "purchase_order":
        return {"PurchaseOrderID": guid("purchase-order", str(doc.idn)), "PurchaseOrderNumber": doc.number,
                "Type": "PURCHASEORDER", "DeliveryDate": doc.second_date.isoformat(), "Reference": "",
                "SentToContact": False, "TotalDiscount": 0.0, **common}
    paid = sum((p.amount for p in payments), money.ZERO)
    rec = {"Type": "ACCPAY", "InvoiceID": guid("bill", str(doc.idn)), "InvoiceNumber": doc.number, "Reference": "",
           **common, "DueDate": doc.second_date.isoformat(), "AmountDue": num(totals.total - paid),
           "AmountPaid": num(paid), "AmountCredited": 0.0, "IsDiscounted": False, "HasErrors": False,
           "Payments": [{"PaymentID": guid("payment", p.key), "Date": p.date.isoformat(), "Amount": num(p.amount),
                         "Reference": p.reference, "CurrencyRate": num(doc.currency_rate), "HasAccount": False,
                         "HasValidationErrors": False} for p in payments],
           "CreditNotes": [], "Prepayments": [], "Overpayments": []}
    if doc.xero_status == "PAID":
        rec["FullyPaidOnDate"] = max(p.date for p in payments).isoformat()
    return rec


def xero_payment(p: Paid, doc: Doc, bill: dict[str, Any], bank: Account, updated: dt.datetime) -> dict[str, Any]:
    """A Payment as ``GET /Payments`` returns it (the bill embedded as a summary); paid from ``bank`` in NZD."""
    return {
        "PaymentID": guid("payment", p.key), "Date": p.date.isoformat(), "Amount": num(p.amount),
        "BankAmount": num(money.round2(p.amount / doc.currency_rate)), "CurrencyRate": num(doc.currency_rate),
        "Reference": p.reference, "IsReconciled": False, "Status": "AUTHORISED", "PaymentType": "ACCPAYPAYMENT",
        "Account": {"AccountID": guid("account", bank.code), "Code": bank.code},
        "Invoice": {"InvoiceID": bill["InvoiceID"], "InvoiceNumber": bill["InvoiceNumber"], "Type": "ACCPAY",
                    "CurrencyCode": bill["CurrencyCode"], "Contact": bill["Contact"], "Payments": [],
                    "CreditNotes": [], "Prepayments": [], "Overpayments": [], "LineItems": []},
        "HasAccount": True, "HasValidationErrors": False, "UpdatedDateUTC": xero_ts(updated),
    }


def precoro_document(doc: Doc, lines: Sequence[Line], cat: Catalog, pid: int, supplier: dict[str, Any],
                     external_id: str | None, created: dt.datetime, updated: dt.datetime,
                     first_line_id: int, payments: Sequence[dict[str, Any]] = (),
                     purchase_order: dict[str, int] | None = None) -> dict[str, Any]:
    """A purchase order or invoice as ``GET /purchaseorders/{idn}`` or ``GET /invoices/{idn}`` returns it."""
    rows, totals = precoro_lines(lines, cat, first_line_id)
    places = cat.precision.total
    rec: dict[str, Any] = {
        "id": pid, "idn": doc.idn, "customName": doc.number if doc.kind == "purchase_order" else None,
        "status": doc.precoro_status, "statusString": PRECORO_DOC_STATUS[doc.precoro_status],
        "createDate": precoro_ts(created), "updateDate": precoro_ts(updated),
        "approvalDate": precoro_ts(created) if doc.precoro_status not in (0, 1) else None,
        "requiredDate": precoro_ts(doc.second_date), "currency": doc.currency,
        "sum": num(totals.total), "netSum": num(totals.subtotal),
        "supplier": supplier, "externalId": external_id, "xeroId": None,
        "precisionData": cat.precision.to_json(), "note": "",
        "exchangeRate": {"rate": num(money.quantize(Decimal(1) / doc.currency_rate, 6))},
        "items": {"data": rows},
    }
    if doc.kind == "bill":
        paid = sum((Decimal(p["sumPaid"]) for p in payments if p["status"] == "paid"), money.ZERO)
        rec.update(invoiceNumber=doc.number, issueDate=precoro_ts(doc.date), logicType=0,
                   sumPaid=money.fmt(paid, places), purchaseOrder=[purchase_order] if purchase_order else [],
                   payments={"data": list(payments)})
    return rec


def precoro_payment(p: Paid, pid: int, idn: int, currency: str, external_id: str | None, updated: dt.datetime,
                    places: int) -> dict[str, Any]:
    """A payment as it appears in an invoice detail (``GET /payments`` adds ``invoice``)."""
    return {"id": pid, "idn": idn, "sumPaid": money.fmt(p.amount, places), "payDate": precoro_ts(p.date),
            "status": "paid", "externalId": external_id, "currency": currency, "updateDate": precoro_ts(updated)}
