"""The Xero emulator's wire format: parsing request JSON into typed records and rendering them back.

Records are kept as dicts with Xero's own (PascalCase) keys and Python values: ``date`` for dates,
timezone-aware ``datetime`` for timestamps, ``Decimal`` for numbers. Field types are looked up by name,
because Xero names a field the same way on every entity (``ContactID``, ``Date``, ``LineAmount``...).

Rendering follows what the unmodified ``xero-python`` SDK demands (reference/xero-api.md section 7):
``/Date(ms+0000)/`` at midnight UTC for dates, ``/Date(ms+0000)/`` for timestamps, no JSON ``null`` anywhere
(keys without a value are omitted), real booleans, money printed with 2 decimals and unit amounts with 2 or
(``unitdp=4``) 4 decimals. Enum values are checked with the SDK's own model setters, so an emulator reply
can never carry a value the SDK refuses.
"""

from __future__ import annotations

import calendar
import json
import re
import sys
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from enum import Enum
from functools import lru_cache
from typing import Any, Callable

from recon.money import quantize

ZERO_GUID = "00000000-0000-0000-0000-000000000000"

DATE_FIELDS = frozenset({
    "Date", "DueDate", "DeliveryDate", "ExpectedArrivalDate", "FullyPaidOnDate", "ExpectedPaymentDate",
    "PlannedPaymentDate", "PeriodLockDate", "EndOfYearLockDate",
})
TIMESTAMP_FIELDS = frozenset({"UpdatedDateUTC", "CreatedDateUTC", "DateUTC"})
MONEY_FIELDS = frozenset({
    "SubTotal", "TotalTax", "Total", "AmountDue", "AmountPaid", "AmountCredited", "LineAmount", "TaxAmount",
    "Amount", "BankAmount", "TotalDiscount", "Outstanding", "Overdue", "DiscountAmount", "TotalCostPool",
})
UNIT_FIELDS = frozenset({"UnitAmount", "UnitPrice"})
FOUR_DP_FIELDS = frozenset({"Quantity", "QuantityOnHand", "DisplayTaxRate", "EffectiveRate", "Rate", "DiscountRate"})
OTHER_NUMBERS = frozenset({"CurrencyRate"})
NUMBER_FIELDS = MONEY_FIELDS | UNIT_FIELDS | FOUR_DP_FIELDS | OTHER_NUMBERS
INT_FIELDS = frozenset({"FinancialYearEndDay", "FinancialYearEndMonth"})
BOOL_FIELDS = frozenset({
    "IsSupplier", "IsCustomer", "IsSold", "IsPurchased", "IsTrackedAsInventory", "EnablePaymentsToAccount",
    "ShowInExpenseClaims", "HasAttachments", "HasValidationErrors", "HasErrors", "IsReconciled", "SentToContact",
    "IsDiscounted", "CanApplyToAssets", "CanApplyToEquity", "CanApplyToExpenses", "CanApplyToLiabilities",
    "CanApplyToRevenue", "IsCompound", "IsNonRecoverable", "PaysTax", "IsDemoCompany", "HasAccount",
    "IncludeInEmails", "IsPrimary", "AddToWatchlist",
})
LIST_FIELDS = frozenset({
    "Addresses", "Phones", "LineItems", "Tracking", "Options", "Payments", "TaxComponents", "ContactPersons",
    "ContactGroups", "ValidationErrors", "Warnings", "CreditNotes", "Prepayments", "Overpayments",
    "Attachments", "ExternalLinks", "SalesTrackingCategories", "PurchasesTrackingCategories",
})
OBJECT_FIELDS = frozenset({
    "Contact", "Invoice", "Account", "PurchaseDetails", "SalesDetails", "Balances", "AccountsPayable",
    "AccountsReceivable", "PaymentTerms", "Bills", "Sales", "Item", "CreditNote", "BatchPayment", "BrandingTheme",
})
#: Fields a client may never set: accepted (and ignored) on API writes, kept when loading a GET's output.
READ_ONLY = frozenset({
    "HasAttachments", "HasValidationErrors", "HasErrors", "ValidationErrors", "Warnings", "StatusAttributeString",
    "UpdatedDateUTC", "IsSupplier", "IsCustomer", "Balances", "AmountDue", "AmountPaid", "AmountCredited",
    "FullyPaidOnDate", "Payments", "CreditNotes", "Prepayments", "Overpayments", "TotalDiscount", "HasAccount",
    "PaymentType", "Class", "SubTotal", "TotalTax", "Total", "CreatedDateUTC", "Attachments", "Type_",
})

#: (context, field) -> SDK model and attribute whose setter checks the value, or an Enum class name.
_ENUMS: dict[tuple[str, str], tuple[str, str | None]] = {
    ("Contacts", "ContactStatus"): ("Contact", "contact_status"),
    ("Contacts", "TaxNumberType"): ("Contact", "tax_number_type"),
    ("Contacts", "SalesDefaultLineAmountType"): ("Contact", "sales_default_line_amount_type"),
    ("Contacts", "PurchasesDefaultLineAmountType"): ("Contact", "purchases_default_line_amount_type"),
    ("Contacts", "DefaultCurrency"): ("CurrencyCode", None),
    ("Accounts", "Status"): ("Account", "status"),
    ("Accounts", "Type"): ("AccountType", None),
    ("Accounts", "Class"): ("Account", "_class"),
    ("Accounts", "BankAccountType"): ("Account", "bank_account_type"),
    ("Accounts", "SystemAccount"): ("Account", "system_account"),
    ("Accounts", "CurrencyCode"): ("CurrencyCode", None),
    ("TrackingCategories", "Status"): ("TrackingCategory", "status"),
    ("Options", "Status"): ("TrackingOption", "status"),
    ("TaxRates", "Status"): ("TaxRate", "status"),
    ("TaxRates", "ReportTaxType"): ("TaxRate", "report_tax_type"),
    ("PurchaseOrders", "Status"): ("PurchaseOrder", "status"),
    ("PurchaseOrders", "LineAmountTypes"): ("LineAmountTypes", None),
    ("PurchaseOrders", "CurrencyCode"): ("CurrencyCode", None),
    ("Invoices", "Type"): ("Invoice", "type"),
    ("Invoices", "Status"): ("Invoice", "status"),
    ("Invoices", "LineAmountTypes"): ("LineAmountTypes", None),
    ("Invoices", "CurrencyCode"): ("CurrencyCode", None),
    ("Payments", "Status"): ("Payment", "status"),
    ("Payments", "PaymentType"): ("Payment", "payment_type"),
    ("Addresses", "AddressType"): ("Address", "address_type"),
    ("Phones", "PhoneType"): ("Phone", "phone_type"),
    ("Organisations", "BaseCurrency"): ("CurrencyCode", None),
    ("Organisations", "CountryCode"): ("CountryCode", None),
    ("Organisations", "Timezone"): ("TimeZone", None),
    ("Organisations", "OrganisationStatus"): ("Organisation", "organisation_status"),
    ("Organisations", "Version"): ("Organisation", "version"),
    ("Organisations", "OrganisationType"): ("Organisation", "organisation_type"),
}
#: Max lengths the SDK checks on deserialization (an over-long value would break a client's whole call).
MAX_LENGTHS = {
    ("Contacts", "Name"): 255, ("Contacts", "AccountNumber"): 50, ("Contacts", "TaxNumber"): 50,
    ("Contacts", "ContactNumber"): 50, ("Items", "Code"): 30, ("Items", "Name"): 50, ("Accounts", "Name"): 150,
    ("Accounts", "Code"): 10, ("TrackingCategories", "Name"): 100, ("Options", "Name"): 100,
    ("Phones", "PhoneNumber"): 50, ("Items", "Description"): 4000, ("Items", "PurchaseDescription"): 4000,
}
_MAX_AMOUNT = Decimal("1e15")
#: A nested reference is checked like the kind it refers to (an echoed ``Contact`` must still deserialize).
_NESTED_KIND = {"Contact": "Contacts", "Invoice": "Invoices", "Account": "Accounts", "Item": "Items"}


@lru_cache(maxsize=None)
def _checker(context: str, name: str) -> Callable[[str], bool] | None:
    spec = _ENUMS.get((context, name))
    if spec is None:
        return None
    import xero_python.accounting.models as models  # the SDK decides which values a client can read

    cls = getattr(models, spec[0])
    if spec[1] is None:
        assert issubclass(cls, Enum)
        values = {e.value for e in cls}
        return lambda v: v in values

    def check(value: str) -> bool:
        try:
            setattr(cls(), spec[1], value)
        except ValueError:
            return False
        return value != "None"
    return check


_MODELS = {
    "Contacts": "Contact", "Items": "Item", "Accounts": "Account", "TrackingCategories": "TrackingCategory",
    "Options": "TrackingOption", "TaxRates": "TaxRate", "TaxComponents": "TaxComponent",
    "PurchaseOrders": "PurchaseOrder", "Invoices": "Invoice", "Payments": "Payment", "LineItems": "LineItem",
    "Tracking": "LineItemTracking", "Addresses": "Address", "Phones": "Phone", "ContactPersons": "ContactPerson",
    "PurchaseDetails": "Purchase", "SalesDetails": "Purchase", "Organisations": "Organisation",
}


@lru_cache(maxsize=None)
def known_fields(context: str) -> frozenset[str] | None:
    """The JSON keys Xero has for ``context`` (from the SDK's models); None where the emulator keeps all."""
    name = _MODELS.get(context)
    if name is None:
        return None
    import xero_python.accounting.models as models

    return frozenset(getattr(models, name).attribute_map.values())


@lru_cache(maxsize=8192)
def enum_ok(context: str, name: str, value: str) -> bool:
    """True when ``value`` is a value the SDK accepts for ``name`` in ``context`` (a kind or nested list)."""
    check = _checker(context, name)
    return check is None or check(value)


# ---------------------------------------------------------------- scalars

_MS_DATE = re.compile(r"^/Date\((-?\d{1,16})([+-]\d{4})?\)/$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")


def ms_of(moment: datetime) -> int:
    return calendar.timegm(moment.utctimetuple()) * 1000 + moment.microsecond // 1000


def render_date(value: date) -> str:
    """``/Date(ms+0000)/`` at midnight UTC of ``value``."""
    return f"/Date({calendar.timegm(value.timetuple()) * 1000}+0000)/"


def render_timestamp(value: datetime) -> str:
    return f"/Date({ms_of(value)}+0000)/"


def _offset(text: str | None) -> timedelta:
    if not text or text == "Z":
        return timedelta(0)
    text = text.replace(":", "")
    sign = -1 if text[0] == "-" else 1
    return sign * timedelta(hours=int(text[1:3]), minutes=int(text[3:5]))


def parse_timestamp(value: Any) -> datetime:
    """A ``/Date(ms[+hhmm])/`` or ISO timestamp as an aware UTC datetime; ``ValueError`` otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"expected a date string, got {value!r}")
    text = value.strip()
    try:
        m = _MS_DATE.match(text)
        if m:
            return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=int(m.group(1)))
        m = _ISO_DATE.match(text)
        if m:
            y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups()[:6])
            local = datetime(y, mo, d, h, mi, s, tzinfo=timezone.utc)
            return local - _offset(m.group(7))
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{value!r} is not a valid date") from exc
    raise ValueError(f"{value!r} is not a valid date (use /Date(ms)/ or YYYY-MM-DD)")


def parse_date(value: Any) -> date:
    """A date from ``/Date(ms[+hhmm])/`` (the offset names the local day, as Xero means it) or ISO text."""
    if not isinstance(value, str):
        raise ValueError(f"expected a date string, got {value!r}")
    m = _MS_DATE.match(value.strip())
    try:
        if m:
            moment = datetime(1970, 1, 1) + timedelta(milliseconds=int(m.group(1))) + _offset(m.group(2))
            return moment.date()
        m = _ISO_DATE.match(value.strip())
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{value!r} is not a valid date") from exc
    raise ValueError(f"{value!r} is not a valid date (use /Date(ms)/ or YYYY-MM-DD)")


def parse_http_date(value: str) -> datetime:
    """``If-Modified-Since``: ISO 8601 (naive means UTC) or RFC 1123; ``ValueError`` otherwise."""
    text = value.strip()
    if _ISO_DATE.match(text):
        return parse_timestamp(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"If-Modified-Since {value!r} is not a valid date") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def parse_decimal(value: Any) -> Decimal:
    """A finite number from a JSON number or numeric string, within Xero's range."""
    kind = type(value)
    if kind is bool:
        raise ValueError(f"expected a number, got {value!r}")
    try:
        number = Decimal(repr(value)) if kind is float else Decimal(value)
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValueError(f"{value!r} is not a number") from exc
    if not number.is_finite() or abs(number) >= _MAX_AMOUNT:
        raise ValueError(f"{value!r} is not a number Xero accepts")
    return number


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"{value!r} is not a boolean")


_GUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


def is_guid(value: Any) -> bool:
    return isinstance(value, str) and _GUID.match(value) is not None


def norm_guid(value: str) -> str:
    """The canonical (lower-case, dashed) text of a GUID already checked with :func:`is_guid`."""
    if len(value) == 36:
        return value.lower()
    return str(uuid.UUID(value))


# ---------------------------------------------------------------- records

def parse_record(context: str, data: Any, errors: list[str], *, read_only: bool = False,
                 shared: dict[int, tuple[Any, Any]] | None = None) -> dict[str, Any]:
    """Typed copy of one JSON object. Bad fields are left out and reported in ``errors``.

    ``read_only=False`` (an API write) drops the fields a client may not set; ``True`` keeps them (load).
    Fields Xero does not have for ``context`` are ignored, as Xero ignores them. ``shared`` (loads only: a load
    is all or nothing, so an error reported once fails it) parses each ``Tracking`` list object once and shares
    the result, as a generated payload shares it between thousands of lines.
    """
    if not isinstance(data, dict):
        errors.append(f"{context}: expected an object, got {type(data).__name__}")
        return {}
    out: dict[str, Any] = {}
    parsers = _parsers(context, read_only)
    for key, value in data.items():
        if value is None:
            continue
        spec = parsers.get(key)
        if spec is None:
            spec = _spec(context, key, read_only)
            if len(parsers) < 4096:  # request bodies may carry any keys: remember a bounded number
                parsers[key] = spec
        # the two commonest cases without a call: plain text within its limit, a JSON number met before
        code = spec[0]
        if code == _TEXT:
            if type(value) is str and len(value) <= spec[1]:
                out[key] = value
                continue
        elif code == _NUMBER:
            if type(value) is float:
                hit = _FLOATS.get(value)
                if hit is not None:
                    out[key] = hit
                    continue
        elif code == _DROP:
            continue
        try:
            parsed = spec[2](value, errors, shared)
        except ValueError as exc:
            errors.append(f"Field {key}: {exc}")
            continue
        if parsed is not _SKIP:
            out[key] = parsed
    return out


_DROP, _TEXT, _NUMBER, _OTHER = range(4)


def _spec(context: str, key: Any, read_only: bool) -> tuple[int, int, Parser | None]:
    """How :func:`parse_record` reads ``key``: (a case it handles inline, the text limit, the parser)."""
    parser = _parser(context, key, read_only)
    if parser is None:
        return (_DROP, 0, None)
    kind = _type_of(key)
    if kind == "text" and (context, key) not in _ENUMS:
        return (_TEXT, MAX_LENGTHS.get((context, key), sys.maxsize), parser)
    return (_NUMBER if kind == "number" else _OTHER, 0, parser)


_UNSEEN = object()
Parser = Callable[[Any, list[str], "dict[int, tuple[Any, Any]] | None"], Any]


@lru_cache(maxsize=None)
def _parsers(context: str, read_only: bool) -> dict[Any, tuple[int, int, Parser | None]]:
    """How to read each key met so far in ``context`` (filled as keys come; see :func:`_spec`)."""
    return {}


def _parser(context: str, key: Any, read_only: bool) -> Parser | None:
    """One key's parser: the common value types inline, anything else through :func:`_parse_field`."""
    known = known_fields(context)
    if (key in READ_ONLY and not read_only) or (known is not None and key not in known):
        return None

    def general(value: Any, errors: list[str], shared: Any) -> Any:
        return _parse_field(context, key, value, errors, read_only, shared)

    kind = _type_of(key)
    if kind == "number":
        def number(value: Any, errors: list[str], shared: Any) -> Any:
            if type(value) is float and value:  # JSON numbers repeat: each distinct one is converted once
                hit = _FLOATS.get(value)
                if hit is None:
                    hit = parse_decimal(value)
                    if len(_FLOATS) < 1 << 16:
                        _FLOATS[value] = hit
                return hit
            return general(value, errors, shared)
        return number
    if kind == "text":
        limit = MAX_LENGTHS.get((context, key))
        if (context, key) in _ENUMS:
            accepted: set[str] = set()  # the values the SDK took so far (an enum has a few)

            def enum(value: Any, errors: list[str], shared: Any) -> Any:
                if type(value) is str and value in accepted:
                    return value
                parsed = general(value, errors, shared)
                if type(value) is str and len(accepted) < 1024:
                    accepted.add(value)
                return parsed
            return enum

        def text(value: Any, errors: list[str], shared: Any) -> Any:
            if type(value) is not str or (limit is not None and len(value) > limit):
                return general(value, errors, shared)
            return value
        return text
    if kind == "guid":
        def guid(value: Any, errors: list[str], shared: Any) -> Any:
            if type(value) is str and len(value) == 36 and _GUID.match(value) is not None:
                return value.lower()
            return general(value, errors, shared)
        return guid
    if kind in ("date", "timestamp"):
        parse = _cached_date if kind == "date" else _cached_timestamp

        def moment(value: Any, errors: list[str], shared: Any) -> Any:
            return parse(value) if type(value) is str else general(value, errors, shared)
        return moment
    if key == "Tracking":
        def tracking(value: Any, errors: list[str], shared: Any) -> Any:
            if shared is None or type(value) is not list:
                return general(value, errors, shared)
            hit = shared.get(id(value))
            if hit is None:  # keeping ``value`` alive keeps its id unique while the load runs
                hit = shared[id(value)] = (value, general(value, errors, shared))
            return hit[1]
        return tracking
    return general


#: float -> its exact Decimal (of its shortest repr); zero is left out, as -0.0 == 0.0 would share a key
_FLOATS: dict[float, Decimal] = {}


@lru_cache(maxsize=1 << 14)
def _cached_date(value: str) -> date:
    return parse_date(value)


@lru_cache(maxsize=1 << 14)
def _cached_timestamp(value: str) -> datetime:
    return parse_timestamp(value)


_SKIP = object()


@lru_cache(maxsize=4096)
def _type_of(key: str) -> str:
    if key in LIST_FIELDS:
        return "list"
    if key in OBJECT_FIELDS:
        return "object"
    if key.endswith("ID") and key != "APIKey":
        return "guid"
    for name, names in (("date", DATE_FIELDS), ("timestamp", TIMESTAMP_FIELDS), ("number", NUMBER_FIELDS),
                        ("int", INT_FIELDS), ("bool", BOOL_FIELDS)):
        if key in names:
            return name
    return "text"


def _parse_field(context: str, key: str, value: Any, errors: list[str], read_only: bool,
                 shared: dict[int, tuple[Any, Any]] | None = None) -> Any:
    kind = _type_of(key)
    if kind == "number":
        if type(value) is Decimal and value.is_finite() and abs(value) < _MAX_AMOUNT:
            return value
        return parse_decimal(value)
    if kind == "text" and type(value) is str:
        if (context, key) in _ENUMS and not enum_ok(context, key, value):
            raise ValueError(f"{value!r} is not a valid value")
        limit = MAX_LENGTHS.get((context, key))
        if limit is not None and len(value) > limit:
            raise ValueError(f"must be at most {limit} characters long")
        return value
    if kind == "guid":
        if not is_guid(value):
            raise ValueError(f"{value!r} is not a valid GUID")
        return norm_guid(value)
    if key in LIST_FIELDS:
        if not isinstance(value, list):
            raise ValueError("expected a list")
        if key in ("ValidationErrors", "Warnings", "ContactGroups", "Attachments", "ExternalLinks",
                   "CreditNotes", "Prepayments", "Overpayments"):
            return _SKIP  # derived or decorative: the emulator computes or ignores them
        return [parse_record(key, item, errors, read_only=read_only, shared=shared) for item in value]
    if key in OBJECT_FIELDS:
        if not isinstance(value, dict):
            raise ValueError("expected an object")
        return parse_record(_NESTED_KIND.get(key, key), value, errors, read_only=read_only, shared=shared)
    if key in DATE_FIELDS:
        return parse_date(value)
    if key in TIMESTAMP_FIELDS:
        return parse_timestamp(value)
    if key in NUMBER_FIELDS:
        return parse_decimal(value)
    if key in INT_FIELDS:
        number = parse_decimal(value)
        if number != number.to_integral_value():
            raise ValueError(f"{value!r} is not a whole number")
        return int(number)
    if key in BOOL_FIELDS:
        return parse_bool(value)
    if isinstance(value, (dict, list)):
        return _SKIP  # an unknown structure: ignored, as Xero ignores what it does not know
    if isinstance(value, bool):
        value = "true" if value else "false"
    text = value if isinstance(value, str) else str(value)
    if not enum_ok(context, key, text):
        raise ValueError(f"{text!r} is not a valid value")
    limit = MAX_LENGTHS.get((context, key))
    if limit is not None and len(text) > limit:
        raise ValueError(f"must be at most {limit} characters long")
    return text


def render(value: Any, unitdp: int = 2, key: str = "") -> Any:
    """JSON-ready copy of a record: dates as ``/Date()/``, ``None`` omitted, numbers at their precision."""
    if isinstance(value, dict):
        return {k: render(v, unitdp, k) for k, v in value.items() if v is not None and not k.startswith("_")}
    if isinstance(value, list):
        return [render(v, unitdp, key) for v in value if v is not None]
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime):
        return render_timestamp(value)
    if isinstance(value, date):
        return render_date(value)
    if isinstance(value, Decimal):
        if key in MONEY_FIELDS:
            return quantize(value, 2)
        if key in UNIT_FIELDS:
            return quantize(value, 4 if unitdp == 4 else 2)
        if key in FOUR_DP_FIELDS:
            return quantize(value, 4)
        return value
    return value


# A Decimal goes through the C encoder as a bracketed marker string, then the brackets and quotes are cut.
_OPEN, _CLOSE = "\x00\x01", "\x01\x00"
_OPEN_JSON, _CLOSE_JSON = '"\\u0000\\u0001', '\\u0001\\u0000"'


def _mark(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{_OPEN}{value:f}{_CLOSE}"
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(value: Any) -> bytes:
    """JSON bytes of an already rendered value, printing ``Decimal`` exactly (``55.00`` stays ``55.00``)."""
    text = json.dumps(value, default=_mark, separators=(",", ":"))
    return text.replace(_OPEN_JSON, "").replace(_CLOSE_JSON, "").encode()


def loads(body: bytes) -> Any:
    """Request JSON with every number as ``Decimal`` (NaN and Infinity refused)."""
    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not a number")
    return json.loads(body, parse_float=Decimal, parse_int=Decimal, parse_constant=refuse)


def today_of(moment: datetime) -> date:
    return moment.astimezone(timezone.utc).date()
