"""The field map: how each system's JSON becomes the canonical schema, as one table.

Every row of :data:`FIELD_MAP` says: for ``system`` and canonical ``frame``, column ``column`` comes from
``source`` (a path into the record as the API returns it) through converter ``conv``. Rows whose value needs
more than one field (a status, a "first non-empty of") use a named rule in :data:`RULES` instead of a path.
``tests/test_connectors_mapping.py`` has a test per row.

Both connectors map from the raw JSON (parsed with ``Decimal`` for numbers), never from SDK models: the raw
JSON is what the snapshot keeps, it is exact, and a record the SDK cannot deserialise maps the same way.

Notes on choices (see also ``docs/connectors.md``):

* Xero contacts that are only customers (``IsCustomer`` and not ``IsSupplier``) are not suppliers and are
  left out; a new contact with neither flag counts as a supplier.
* Xero line ``tax_rate`` is not in the line JSON: the fetch fills it from the tax-rate frame by ``TaxType``.
* Precoro ``xero_id`` is ``externalId`` first, then ``xeroId`` (what Precoro's own connector sets).
* Precoro documents (POs, invoices) use the ``idn`` as their id, payments their ``id``; payment
  ``bill_xero_id`` is filled by the fetch from the bill frame (a payment row names only the invoice's
  ``id``/``idn``). A rejected Precoro document counts as inactive.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property
from decimal import Decimal
from typing import Any, Callable, Mapping

import pandas as pd

from recon import money, schema
from recon.errors import DataError

#: Name of the Precoro item custom field that holds the Xero chart of accounts.
ACCOUNTS_ICF = "Xero Chart of Accounts"

_MS_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{2})?(\d{2})?\)/")

# --- status maps ----------------------------------------------------------------------------------------

XERO_PO_STATUS = {"DRAFT": "draft", "SUBMITTED": "submitted", "AUTHORISED": "approved", "BILLED": "billed",
                  "DELETED": "deleted"}
XERO_BILL_STATUS = {"DRAFT": "draft", "SUBMITTED": "submitted", "AUTHORISED": "approved", "PAID": "paid",
                    "VOIDED": "voided", "DELETED": "deleted"}
#: Canonical status -> Xero status, for writes.
XERO_PO_STATUS_OUT = {"draft": "DRAFT", "submitted": "SUBMITTED", "approved": "AUTHORISED", "billed": "BILLED",
                      "deleted": "DELETED", "cancelled": "DELETED"}
XERO_BILL_STATUS_OUT = {"draft": "DRAFT", "submitted": "SUBMITTED", "approved": "AUTHORISED",
                        "partly_paid": "AUTHORISED", "paid": "AUTHORISED", "voided": "VOIDED",
                        "deleted": "DELETED", "cancelled": "VOIDED"}
#: Precoro document status codes (reference section 12).
PRECORO_STATUS = {0: "draft", 1: "submitted", 2: "approved", 3: "rejected", 4: "partly_paid", 5: "paid",
                  6: "submitted", 7: "revision", 8: "cancelled", 9: "approved", 10: "submitted", 11: "closed"}
_INACTIVE_DOC = {"deleted", "voided", "cancelled"}


# --- converters: raw JSON value -> canonical python value ------------------------------------------------

def _text(v: Any) -> str | None:
    if type(v) is str:  # the common case first: this runs for most fields of every record
        return v or None
    if v is None:
        return None
    if isinstance(v, dict):  # an enum object or nested value is a mapping bug, not a name
        raise ValueError(f"expected text, got an object {v!r}")
    return str(v)


def _dec(v: Any) -> Decimal | None:
    return v if type(v) is Decimal else schema.to_decimal(v)


def _scaled(places: int) -> Callable[[Any], Decimal | None]:
    """The ``decimal`` converter of a column whose amounts are written at ``places`` decimals: the same value
    has one text whichever page, endpoint or system it came from (``14.0`` and ``14.00`` alike)."""
    def convert(v: Any) -> Decimal | None:
        number = v if type(v) is Decimal else schema.to_decimal(v)
        return None if number is None else money.canonical(number, places)
    return convert


def xero_date(v: Any) -> dt.date | None:
    """``/Date(ms+hhmm)/`` as the day it names (local offsets honoured, unlike the SDK); ISO accepted too."""
    if v is None or v == "":
        return None
    if isinstance(v, dt.date):
        return schema.to_date(v)
    m = _MS_DATE.fullmatch(str(v).strip())
    if not m:
        return schema.to_date(str(v))
    ms, hh, mm = int(m.group(1)), m.group(2), m.group(3)
    offset = dt.timedelta(hours=int(hh), minutes=(int(mm or 0) if not hh.startswith("-") else -int(mm or 0))) if hh else dt.timedelta(0)
    return (dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=ms) + offset).date()


def xero_timestamp(v: Any) -> dt.datetime | None:
    """``/Date(ms+hhmm)/`` as an aware UTC instant (the ms are UTC already)."""
    if v is None or v == "":
        return None
    m = _MS_DATE.fullmatch(str(v).strip())
    if not m:
        return iso_timestamp(v)
    return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(milliseconds=int(m.group(1)))


def iso_timestamp(v: Any) -> dt.datetime | None:
    """An ISO 8601 instant (no offset means UTC) as an aware UTC datetime."""
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v if v.tzinfo else v.replace(tzinfo=dt.timezone.utc)
    t = dt.datetime.fromisoformat(str(v).strip().replace("Z", "+00:00"))
    return (t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)


def iso_date(v: Any) -> dt.date | None:
    """A Precoro date (ISO instant at midnight UTC, or a plain date) as a date."""
    if v is None or v == "":
        return None
    return schema.to_date(v)


def _bool(v: Any) -> bool | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if v in (0, 1, "0", "1"):
        return bool(int(v))
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    raise ValueError(f"{v!r} is not a boolean")


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "text": _text, "decimal": _dec, "xdate": xero_date, "xtimestamp": xero_timestamp,
    "pdate": iso_date, "ptimestamp": iso_timestamp, "bool": _bool, "int": lambda v: None if v is None else int(v),
}


def get_path(record: Mapping[str, Any], path: tuple[Any, ...]) -> Any:
    """Follow ``path`` (keys, list indexes) into ``record``; ``None`` as soon as a step is missing."""
    cur: Any = record
    for step in path:
        # concrete types, not typing.Mapping: this runs for every field of every record
        if type(step) is int:
            if type(cur) is not list or len(cur) <= step:
                return None
            cur = cur[step]
        else:
            if not isinstance(cur, dict):
                return None
            cur = cur.get(step)
        if cur is None:
            return None
    return cur


# --- rules: values computed from several fields ---------------------------------------------------------

def _xero_address(rec: Mapping[str, Any]) -> Mapping[str, Any]:
    addresses = rec.get("Addresses") or []
    for kind in ("STREET", "POBOX"):
        for a in addresses:
            if a.get("AddressType") == kind and any(a.get(k) for k in ("AddressLine1", "City", "PostalCode", "Country")):
                return a
    return {}


def _xero_phone(rec: Mapping[str, Any]) -> str | None:
    phones = rec.get("Phones") or []
    chosen = next((p for p in phones if p.get("PhoneType") == "DEFAULT" and p.get("PhoneNumber")), None)
    chosen = chosen or next((p for p in phones if p.get("PhoneNumber")), None)
    if not chosen:
        return None
    parts = [chosen.get(k) for k in ("PhoneCountryCode", "PhoneAreaCode", "PhoneNumber")]
    return " ".join(str(p) for p in parts if p) or None


def _xero_bill_status(rec: Mapping[str, Any]) -> str | None:
    status = XERO_BILL_STATUS.get(str(rec.get("Status") or ""))
    paid = _dec(rec.get("AmountPaid")) or Decimal(0)
    if status == "approved" and paid > 0:
        return "partly_paid"
    return status


def _precoro_xero_id(rec: Mapping[str, Any] | None) -> str | None:
    if not rec:
        return None
    return _text(rec.get("externalId")) or _text(rec.get("xeroId"))


def _precoro_status(rec: Mapping[str, Any]) -> str | None:
    code = rec.get("status")
    if code is None:
        return None
    try:
        return PRECORO_STATUS[int(code)]
    except (KeyError, ValueError, TypeError):
        raise ValueError(f"unknown Precoro status {code!r}") from None


def _icf_option(fields: Any, *, accounts: bool) -> list[Mapping[str, Any]]:
    """ICF entries of a Precoro item or line: the accounts one, or the tracking ones in order."""
    entries = fields.get("data") if isinstance(fields, dict) else fields
    out = []
    for entry in entries or ():
        field = entry.get("itemCustomField")
        name = field.get("name") if isinstance(field, dict) else None
        if (name == ACCOUNTS_ICF) == accounts and entry.get("option"):
            out.append(entry)
    return out


def _precoro_account_code(rec: Mapping[str, Any], key: str) -> str | None:
    found = _icf_option(rec.get(key), accounts=True)
    return _text(get_path(found[0], ("option", "code"))) if found else None


def _precoro_account_id(rec: Mapping[str, Any]) -> str | None:
    found = _icf_option(rec.get("itemCustomFields"), accounts=True)
    return _precoro_xero_id(found[0].get("option")) if found else None


def _precoro_tracking(rec: Mapping[str, Any], i: int, part: str) -> str | None:
    found = _icf_option(rec.get("itemCustomFields"), accounts=False)
    if len(found) <= i:
        return None
    if part == "option_id":
        return _precoro_xero_id(found[i].get("option"))
    return _text(get_path(found[i], ("itemCustomField", "name") if part == "category" else ("option", "name")))


def _precoro_doc_number(rec: Mapping[str, Any], bill: bool) -> str | None:
    if bill and _text(rec.get("invoiceNumber")):
        return _text(rec.get("invoiceNumber"))
    return _text(rec.get("customName")) or _text(rec.get("idn"))


def _precoro_line_item_code(rec: Mapping[str, Any]) -> str | None:
    product = rec.get("product")
    if not product or not _precoro_xero_id(product):
        return None  # a non-integrated item or an empty row goes to Xero as a description line
    # the code the line was made with, as Xero keeps the code it was sent (the product shows today's)
    return _text(rec.get("sku")) or _text(product.get("sku"))


def _minus(a: str, b: str) -> Callable[[Mapping[str, Any]], Any]:
    def rule(rec: Mapping[str, Any]) -> Decimal | None:
        x, y = _dec(rec.get(a)), _dec(rec.get(b))
        return None if x is None else x - (y or Decimal(0))
    return rule


RULES: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "xero_supplier_active": lambda r: (r.get("ContactStatus") or "ACTIVE") == "ACTIVE",
    "xero_phone": _xero_phone,
    "xero_address_line1": lambda r: _text(_xero_address(r).get("AddressLine1")),
    "xero_city": lambda r: _text(_xero_address(r).get("City")),
    "xero_region": lambda r: _text(_xero_address(r).get("Region")),
    "xero_postal_code": lambda r: _text(_xero_address(r).get("PostalCode")),
    "xero_country": lambda r: _text(_xero_address(r).get("Country")),
    "xero_status_active": lambda r: (r.get("Status") or "ACTIVE") == "ACTIVE",
    "xero_item_active": lambda r: r.get("IsPurchased") is not False,
    "xero_option_active": lambda r: (r.get("Status") or "ACTIVE") == "ACTIVE" and (r.get("_CategoryStatus") or "ACTIVE") == "ACTIVE",
    "xero_po_status": lambda r: XERO_PO_STATUS.get(str(r.get("Status") or "DRAFT")),
    "xero_po_active": lambda r: XERO_PO_STATUS.get(str(r.get("Status") or "DRAFT")) not in _INACTIVE_DOC,
    "xero_bill_status": _xero_bill_status,
    "xero_bill_active": lambda r: _xero_bill_status(r) not in _INACTIVE_DOC,
    "xero_payment_active": lambda r: (r.get("Status") or "AUTHORISED") == "AUTHORISED",
    "precoro_xero_id": _precoro_xero_id,
    "precoro_supplier_xero_id": lambda r: _precoro_xero_id(r.get("supplier")),
    "precoro_status": _precoro_status,
    "precoro_doc_active": lambda r: _precoro_status(r) not in _INACTIVE_DOC | {"rejected"},
    "precoro_po_number": lambda r: _precoro_doc_number(r, bill=False),
    "precoro_bill_number": lambda r: _precoro_doc_number(r, bill=True),
    "precoro_total_tax": _minus("sum", "netSum"),
    "precoro_amount_due": _minus("sum", "sumPaid"),
    "precoro_exclusive": lambda r: "Exclusive",
    "precoro_item_account": lambda r: _precoro_account_code(r, "dataProductCustomFields"),
    "precoro_line_account": lambda r: _precoro_account_code(r, "itemCustomFields"),
    "precoro_line_account_id": _precoro_account_id,
    "precoro_line_item_code": _precoro_line_item_code,
    # a catalogue line shows the item's name; an empty row has only its description
    "precoro_line_description": lambda r: (_text(r.get("name")) or _text(r.get("description"))) if r.get("product")
    else (_text(r.get("description")) or _text(r.get("name"))),
    "precoro_line_tax_type": lambda r: _precoro_xero_id(r.get("tax")),
    "precoro_tracking1_category": lambda r: _precoro_tracking(r, 0, "category"),
    "precoro_tracking1_option": lambda r: _precoro_tracking(r, 0, "option"),
    "precoro_tracking2_category": lambda r: _precoro_tracking(r, 1, "category"),
    "precoro_tracking2_option": lambda r: _precoro_tracking(r, 1, "option"),
    "precoro_tracking1_option_id": lambda r: _precoro_tracking(r, 0, "option_id"),
    "precoro_tracking2_option_id": lambda r: _precoro_tracking(r, 1, "option_id"),
    "precoro_payment_active": lambda r: (r.get("status") or "paid") != "canceled",
    "precoro_option_active": lambda r: r.get("enable") is not False and r.get("_fieldEnable") is not False,
}


@dataclass(frozen=True)
class FieldMap:
    """One row of the map: ``column`` of ``frame`` on ``system`` comes from ``source`` via ``conv``.

    ``source`` is a path tuple into the raw record, or ``("rule", NAME)`` for a rule of :data:`RULES`
    (whose result is converted by ``conv`` too).
    """

    system: str
    frame: str
    column: str
    source: tuple[Any, ...]
    conv: str = "text"

    @cached_property
    def read(self) -> Callable[[Mapping[str, Any]], Any]:
        """``value`` as one function, its rule, path and converter looked up once."""
        names: dict[str, Any] = {}
        return eval(f"lambda record: {self.code(0, names)}", names)  # noqa: S307 - built by code() from this row

    def code(self, i: int, names: dict[str, Any]) -> str:
        """This row as a Python expression of ``record`` (the one place that says how a source is read), its
        converter, rule, key or path bound in ``names`` under names numbered ``i``."""
        names["get_path"] = get_path
        names[f"C{i}"] = self.converter
        if self.source[0] == R:
            names[f"S{i}"] = RULES[self.source[1]]
            return f"C{i}(S{i}(record))"
        names[f"S{i}"] = self.source[0] if len(self.source) == 1 else self.source
        return f"C{i}(record.get(S{i}))" if len(self.source) == 1 else f"C{i}(get_path(record, S{i}))"

    @cached_property
    def converter(self) -> Callable[[Any], Any]:
        """``CONVERTERS[conv]``; for ``decimal``, the one of the column's amount type (``schema.SCALES``)."""
        if self.conv == "decimal":
            return _scaled(schema.SCALES[_TYPES[self.frame][self.column]])
        return CONVERTERS[self.conv]

    def value(self, record: Mapping[str, Any]) -> Any:
        """The canonical value of this row's column for one raw record."""
        return self.read(record)


_TYPES = {frame: {c.name: c.type for c in cols} for frame, cols in schema.FRAMES.items()}


def _rows(system: str, frame: str, spec: list[tuple[Any, ...]]) -> list[FieldMap]:
    return [FieldMap(system, frame, col, src if isinstance(src, tuple) else (src,), *conv) for col, src, *conv in spec]


R = "rule"
_X_LINE = [
    ("line_id", "LineItemID"), ("item_code", "ItemCode"), ("description", "Description"),
    ("quantity", "Quantity", "decimal"), ("unit_amount", "UnitAmount", "decimal"), ("account_code", "AccountCode"),
    ("tax_type", "TaxType"), ("tax_amount", "TaxAmount", "decimal"), ("line_amount", "LineAmount", "decimal"),
    ("tracking1_category", ("Tracking", 0, "Name")), ("tracking1_option", ("Tracking", 0, "Option")),
    ("tracking2_category", ("Tracking", 1, "Name")), ("tracking2_option", ("Tracking", 1, "Option")),
    ("account_id", "AccountID"),
    ("tracking1_option_id", ("Tracking", 0, "TrackingOptionID")), ("tracking2_option_id", ("Tracking", 1, "TrackingOptionID")),
]
_P_LINE = [
    ("line_id", "id"), ("line_no", "position", "int"), ("item_code", (R, "precoro_line_item_code")),
    ("description", (R, "precoro_line_description")), ("quantity", "quantity", "decimal"),
    ("unit_amount", "price", "decimal"), ("account_code", (R, "precoro_line_account")),
    ("tax_type", (R, "precoro_line_tax_type")), ("tax_rate", ("tax", "percent"), "decimal"),
    ("tax_amount", "taxSum", "decimal"), ("line_amount", "netSum", "decimal"),
    ("tracking1_category", (R, "precoro_tracking1_category")), ("tracking1_option", (R, "precoro_tracking1_option")),
    ("tracking2_category", (R, "precoro_tracking2_category")), ("tracking2_option", (R, "precoro_tracking2_option")),
    ("account_id", (R, "precoro_line_account_id")),
    ("tracking1_option_id", (R, "precoro_tracking1_option_id")), ("tracking2_option_id", (R, "precoro_tracking2_option_id")),
]
_X_DOC = [
    ("supplier_id", ("Contact", "ContactID")), ("supplier_xero_id", ("Contact", "ContactID")),
    ("date", "Date", "xdate"), ("currency", "CurrencyCode"), ("line_amount_types", "LineAmountTypes"),
    ("subtotal", "SubTotal", "decimal"), ("total_tax", "TotalTax", "decimal"), ("total", "Total", "decimal"),
    ("updated_at", "UpdatedDateUTC", "xtimestamp"),
]
_P_DOC = [
    ("id", "idn"), ("xero_id", (R, "precoro_xero_id")), ("supplier_id", ("supplier", "id")),
    ("supplier_xero_id", (R, "precoro_supplier_xero_id")), ("currency", "currency"),
    ("status", (R, "precoro_status")), ("line_amount_types", (R, "precoro_exclusive")),
    ("subtotal", "netSum", "decimal"), ("total_tax", (R, "precoro_total_tax"), "decimal"),
    ("total", "sum", "decimal"), ("active", (R, "precoro_doc_active"), "bool"),
    ("updated_at", "updateDate", "ptimestamp"),
]

FIELD_MAP: tuple[FieldMap, ...] = tuple(
    _rows("xero", "supplier", [
        ("id", "ContactID"), ("xero_id", "ContactID"), ("name", "Name"), ("email", "EmailAddress"),
        ("phone", (R, "xero_phone")), ("tax_number", "TaxNumber"), ("company_number", "CompanyNumber"),
        ("currency", "DefaultCurrency"), ("address_line1", (R, "xero_address_line1")), ("city", (R, "xero_city")),
        ("region", (R, "xero_region")), ("postal_code", (R, "xero_postal_code")), ("country", (R, "xero_country")),
        ("active", (R, "xero_supplier_active"), "bool"), ("updated_at", "UpdatedDateUTC", "xtimestamp"),
    ])
    + _rows("xero", "item", [
        ("id", "ItemID"), ("xero_id", "ItemID"), ("code", "Code"), ("name", "Name"),
        ("description", "PurchaseDescription"), ("purchase_price", ("PurchaseDetails", "UnitPrice"), "decimal"),
        ("account_code", ("PurchaseDetails", "AccountCode")), ("tax_type", ("PurchaseDetails", "TaxType")),
        ("active", (R, "xero_item_active"), "bool"), ("updated_at", "UpdatedDateUTC", "xtimestamp"),
    ])
    + _rows("xero", "account", [
        ("id", "AccountID"), ("xero_id", "AccountID"), ("code", "Code"), ("name", "Name"), ("type", "Type"),
        ("tax_type", "TaxType"), ("active", (R, "xero_status_active"), "bool"),
        ("updated_at", "UpdatedDateUTC", "xtimestamp"),
    ])
    # tracking options are flattened by the connector: each option record carries its category's
    # TrackingCategoryID, Name (as _CategoryName) and Status (as _CategoryStatus)
    + _rows("xero", "tracking_option", [
        ("id", "TrackingOptionID"), ("xero_id", "TrackingOptionID"), ("category_id", "TrackingCategoryID"),
        ("category", "_CategoryName"), ("name", "Name"), ("active", (R, "xero_option_active"), "bool"),
    ])
    + _rows("xero", "tax_rate", [
        ("id", "TaxType"), ("xero_id", "TaxType"), ("tax_type", "TaxType"), ("name", "Name"),
        ("rate", "EffectiveRate", "decimal"), ("active", (R, "xero_status_active"), "bool"),
    ])
    + _rows("xero", "purchase_order", [
        ("id", "PurchaseOrderID"), ("xero_id", "PurchaseOrderID"), ("number", "PurchaseOrderNumber"),
        *_X_DOC, ("status", (R, "xero_po_status")), ("active", (R, "xero_po_active"), "bool"),
        ("delivery_date", "DeliveryDate", "xdate"), ("reference", "Reference"),
    ])
    + _rows("xero", "bill", [
        ("id", "InvoiceID"), ("xero_id", "InvoiceID"), ("number", "InvoiceNumber"), *_X_DOC,
        ("status", (R, "xero_bill_status")), ("active", (R, "xero_bill_active"), "bool"),
        ("due_date", "DueDate", "xdate"), ("amount_paid", "AmountPaid", "decimal"),
        ("amount_due", "AmountDue", "decimal"),
    ])
    + _rows("xero", "payment", [
        ("id", "PaymentID"), ("xero_id", "PaymentID"), ("bill_id", ("Invoice", "InvoiceID")),
        ("bill_xero_id", ("Invoice", "InvoiceID")), ("date", "Date", "xdate"), ("amount", "Amount", "decimal"),
        ("currency", ("Invoice", "CurrencyCode")), ("reference", "Reference"),
        ("active", (R, "xero_payment_active"), "bool"), ("updated_at", "UpdatedDateUTC", "xtimestamp"),
    ])
    + _rows("xero", "purchase_order_lines", _X_LINE)
    + _rows("xero", "bill_lines", _X_LINE)
    + _rows("precoro", "supplier", [
        ("id", "id"), ("xero_id", (R, "precoro_xero_id")), ("name", "name"),
        ("email", ("contacts", "data", 0, "email")), ("phone", "phone"), ("tax_number", "taxPayerNumber"),
        ("company_number", "businessRegistrationNumber"), ("currency", "currency"),
        ("address_line1", "legalAddress"), ("city", "city"), ("region", "state"), ("postal_code", "postalCode"),
        ("country", "country"), ("active", "enable", "bool"), ("updated_at", "updateDate", "ptimestamp"),
    ])
    + _rows("precoro", "item", [
        ("id", "id"), ("xero_id", (R, "precoro_xero_id")), ("code", "sku"), ("name", "name"),
        ("description", "description"), ("purchase_price", "price", "decimal"),
        ("account_code", (R, "precoro_item_account")), ("active", "enable", "bool"),
        ("updated_at", "updateDate", "ptimestamp"),
    ])
    # account and tracking option records are ICF options; the connector adds the field's id, name and
    # enable as _fieldId, _fieldName, _fieldEnable
    + _rows("precoro", "account", [
        ("id", "id"), ("xero_id", (R, "precoro_xero_id")), ("code", "code"), ("name", "name"),
        ("active", (R, "precoro_option_active"), "bool"), ("updated_at", "updateDate", "ptimestamp"),
    ])
    + _rows("precoro", "tracking_option", [
        ("id", "id"), ("xero_id", (R, "precoro_xero_id")), ("category_id", "_fieldId"), ("category", "_fieldName"),
        ("name", "name"), ("active", (R, "precoro_option_active"), "bool"), ("updated_at", "updateDate", "ptimestamp"),
    ])
    + _rows("precoro", "tax_rate", [
        ("id", "id"), ("xero_id", (R, "precoro_xero_id")), ("tax_type", (R, "precoro_xero_id")), ("name", "name"),
        ("rate", "percent", "decimal"), ("active", "enable", "bool"), ("updated_at", "updateDate", "ptimestamp"),
    ])
    + _rows("precoro", "purchase_order", [
        *_P_DOC, ("number", (R, "precoro_po_number")), ("date", "createDate", "pdate"),
        ("delivery_date", "requiredDate", "pdate"),
    ])
    + _rows("precoro", "bill", [
        *_P_DOC, ("number", (R, "precoro_bill_number")), ("date", "issueDate", "pdate"),
        ("due_date", "requiredDate", "pdate"), ("amount_paid", "sumPaid", "decimal"),
        ("amount_due", (R, "precoro_amount_due"), "decimal"),
    ])
    + _rows("precoro", "payment", [
        ("id", "id"), ("xero_id", (R, "precoro_xero_id")), ("bill_id", ("invoice", "idn")),
        ("date", "payDate", "pdate"), ("amount", "sumPaid", "decimal"), ("currency", "currency"),
        ("active", (R, "precoro_payment_active"), "bool"), ("updated_at", "updateDate", "ptimestamp"),
    ])
    + _rows("precoro", "purchase_order_lines", _P_LINE)
    + _rows("precoro", "bill_lines", _P_LINE)
)

#: Columns that no row fills, by design (filled by the fetch or empty on that side).
UNMAPPED: dict[tuple[str, str], frozenset[str]] = {
    ("xero", "purchase_order_lines"): frozenset({"doc_id", "line_no", "tax_rate"}),
    ("xero", "bill_lines"): frozenset({"doc_id", "line_no", "tax_rate"}),
    ("xero", "tracking_option"): frozenset({"updated_at"}),
    ("xero", "tax_rate"): frozenset({"updated_at"}),
    ("precoro", "purchase_order_lines"): frozenset({"doc_id"}),
    ("precoro", "bill_lines"): frozenset({"doc_id"}),
    ("precoro", "item"): frozenset({"tax_type"}),
    ("precoro", "account"): frozenset({"type", "tax_type"}),
    ("precoro", "purchase_order"): frozenset({"reference"}),
    ("precoro", "payment"): frozenset({"bill_xero_id", "reference"}),
}

_BY_FRAME: dict[tuple[str, str], tuple[FieldMap, ...]] = {}
for _row in FIELD_MAP:
    _BY_FRAME.setdefault((_row.system, _row.frame), ())
    _BY_FRAME[(_row.system, _row.frame)] += (_row,)


def rows(system: str, frame: str) -> tuple[FieldMap, ...]:
    """The map rows of one system and frame."""
    return _BY_FRAME[(system, frame)]


def to_canonical(system: str, frame: str, record: Mapping[str, Any], *, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Map one raw record to canonical values; a value that cannot be read raises :class:`DataError`
    naming the system, frame, record id and column."""
    out: dict[str, Any] = dict(extra) if extra else {}
    if type(record) is not dict and not isinstance(record, Mapping):  # the cheap test first: every record
        parent = out.get("doc_id")
        raise DataError(f"a record is {type(record).__name__} {str(record)[:60]!r}, not an object", system=system,
                        kind=frame, record=None if parent is None else f"line of {parent}")
    try:
        values = _compiled(system, frame)(record)
    except (ValueError, TypeError, ArithmeticError):
        pass  # the row-by-row walk below finds the field and names it
    else:
        if not out:
            return values
        out.update(values)
        return out
    for row in _BY_FRAME[(system, frame)]:
        try:
            out[row.column] = row.read(record)
        except (ValueError, TypeError, ArithmeticError) as exc:
            rid = out.get("id") or out.get("line_id") or out.get("doc_id")
            raise DataError(f"{exc}", system=system, kind=frame, record=None if rid is None else str(rid),
                            field=row.column, value=get_path(record, row.source) if row.source[0] != R else None) from None
    return out


_COMPILED: dict[tuple[str, str], Callable[[Mapping[str, Any]], dict[str, Any]]] = {}


def _compiled(system: str, frame: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """The rows of one frame as a single generated function returning the whole mapped dict, from the same
    :meth:`FieldMap.code` as each row's :attr:`FieldMap.read`, without a call and a loop step per field (the
    fetch maps millions of fields). On an error, :func:`to_canonical` walks the rows one by one instead, to
    name the field."""
    found = _COMPILED.get((system, frame))
    if found is not None:
        return found
    names: dict[str, Any] = {}
    items = []
    for i, row in enumerate(_BY_FRAME[(system, frame)]):
        names[f"K{i}"] = row.column
        items.append(f"K{i}: {row.code(i, names)}")
    source = "def mapper(record):\n    return {" + ", ".join(items) + "}\n"
    exec(compile(source, f"<field map {system} {frame}>", "exec"), names)  # noqa: S102 - text built above from the table
    _COMPILED[(system, frame)] = names["mapper"]
    return names["mapper"]


def canonical_string(value: Any) -> str:
    """One canonical value as the canonical string of the write protocol (``""`` for none)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def canonical_strings(record: Mapping[str, Any], frame: str) -> dict[str, str]:
    """A mapped record as ``{column: canonical string}`` over the frame's columns."""
    return {col: canonical_string(record.get(col)) for col in schema.columns(frame)}


def markdown() -> str:
    """The field map as a Markdown table (for ``docs/connectors.md``)."""
    out = ["| system | frame | column | source | converter |", "|---|---|---|---|---|"]
    for row in FIELD_MAP:
        src = f"rule `{row.source[1]}`" if row.source[0] == R else "`" + ".".join(str(s) for s in row.source) + "`"
        out.append(f"| {row.system} | {row.frame} | {row.column} | {src} | {row.conv} |")
    return "\n".join(out)
