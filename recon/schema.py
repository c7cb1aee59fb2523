"""The canonical schema: one set of columns per kind, the same on the Xero and the Precoro side.

A snapshot holds, for each system and *frame*, one DataFrame in this schema. Record kinds are the eight of
DESIGN.md; purchase orders and bills also have a lines frame (``purchase_order_lines``, ``bill_lines``) keyed
by ``doc_id``.

Column types (``Column.type``) and their pandas form:

==========  ==========================================  =============================================
type        pandas dtype                                values
==========  ==========================================  =============================================
id, text    ``string`` (Arrow strings)                  ``str`` or ``<NA>``; ids are never numbers
money       ``decimal128(30, 6)[pyarrow]``              exact amounts (2 dp as Xero keeps them; Precoro
                                                        may have more), ``<NA>`` when unknown
unit        ``decimal128(30, 8)[pyarrow]``              unit amounts/prices (up to 4 dp in Xero)
quantity    ``decimal128(30, 8)[pyarrow]``              quantities
rate        ``decimal128(30, 8)[pyarrow]``              percentage (15 means 15 %)
date        ``date32[day][pyarrow]``                    days or ``<NA>``
timestamp   ``datetime64[ns, UTC]``                     aware UTC instants or ``NaT``
bool        ``bool[pyarrow]``                           ``True``/``False``/``<NA>``
int         ``Int64``                                   integers or ``<NA>``
==========  ==========================================  =============================================

Amounts are Arrow ``decimal128`` columns (pandas ``ArrowDtype``): exact, vectorised, 16 bytes a value against
some 100 for a ``Decimal`` object, and written to Parquet as they are. The storage scale (``STORAGE_SCALES``)
is wider than the canonical text's (``SCALES``) so that a value with more decimals than its kind usually has
is kept exactly; a value with more decimals than the storage scale is refused as bad input. ``Decimal`` stays
the type at the edges (the SDK models, JSON, the plan's text), converted once per column.

Every record frame has ``id`` (the record's id in its own system: a Xero GUID, Xero's ``TaxType`` for tax
rates, a Precoro ``id``, or the ``idn`` for Precoro documents), ``xero_id`` (the Xero id of the record it is
integrated with: the same as ``id`` on the Xero side, Precoro's ``xeroId``/``externalId`` on the other, empty
when not integrated), ``active`` and ``updated_at``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.types import infer_dtype

from recon import money
from recon.errors import DataError

KINDS: tuple[str, ...] = (
    "supplier", "item", "account", "tracking_option", "tax_rate", "purchase_order", "bill", "payment",
)
SYSTEMS: tuple[str, ...] = ("precoro", "xero")
LINE_FRAMES: dict[str, str] = {"purchase_order": "purchase_order_lines", "bill": "bill_lines"}

#: Canonical document statuses (POs and bills) on both sides.
DOC_STATUSES: tuple[str, ...] = (
    "draft", "submitted", "approved", "rejected", "revision", "billed", "partly_paid", "paid",
    "cancelled", "closed", "voided", "deleted",
)


@dataclass(frozen=True)
class Column:
    """One canonical column: its type, whether reconcile compares it, and its meaning."""

    name: str
    type: str
    doc: str
    compare: bool = True
    #: absolute tolerance for money comparisons (as a string so the dataclass stays hashable and exact)
    tolerance: str = "0"


def _common(*cols: Column) -> tuple[Column, ...]:
    return (
        Column("id", "id", "the record's id in its own system", compare=False),
        Column("xero_id", "id", "Xero id of the integrated counterpart (Xero side: same as id)", compare=False),
        *cols,
        Column("active", "bool", "active (not archived, disabled, deleted or cancelled)"),
        Column("updated_at", "timestamp", "last change in its own system (UTC)", compare=False),
    )


_DOC_HEADER = (
    Column("number", "text", "document number (Precoro: custom number, else IDN; bills: supplier invoice number first)"),
    Column("supplier_id", "id", "supplier's id in the same system", compare=False),
    Column("supplier_xero_id", "id", "Xero ContactID of the supplier (Precoro: the supplier's xeroId)"),
    Column("date", "date", "document date (Precoro PO: creation date; bill: issue date)"),
    Column("currency", "text", "ISO currency code"),
    Column("status", "text", f"canonical status, one of {', '.join(DOC_STATUSES)}"),
    Column("line_amount_types", "text", "Exclusive, Inclusive or NoTax", compare=False),
    Column("subtotal", "money", "sum of line amounts net of tax", tolerance="0"),
    Column("total_tax", "money", "total tax", tolerance="0"),
    Column("total", "money", "document total", tolerance="0"),
)

_LINE = (
    Column("doc_id", "id", "id of the document in the same system", compare=False),
    Column("line_no", "int", "1-based position of the line in its document", compare=False),
    Column("line_id", "id", "the line's own id in its system", compare=False),
    Column("item_code", "text", "Xero item Code / Precoro sku of an integrated item; empty for description lines"),
    Column("description", "text", "line description (item name for Precoro catalogue lines)"),
    Column("quantity", "quantity", "quantity"),
    Column("unit_amount", "unit", "unit price, up to 4 dp"),
    Column("account_code", "text", "Xero account code (Precoro: the 'Xero Chart of Accounts' ICF option code)"),
    Column("tax_type", "text", "Xero TaxType (Precoro: the tax's xeroId)"),
    Column("tax_rate", "rate", "tax percentage of the line"),
    Column("tax_amount", "money", "tax of the line as that system computed it"),
    Column("line_amount", "money", "line amount as that system computed it"),
    Column("tracking1_category", "text", "first tracking category name"),
    Column("tracking1_option", "text", "first tracking option name"),
    Column("tracking2_category", "text", "second tracking category name"),
    Column("tracking2_option", "text", "second tracking option name"),
    Column("account_id", "id", "Xero AccountID of the line's account (Precoro: the account option's externalId); the "
           "fetch writes the account's current code", compare=False),
    Column("tracking1_option_id", "id", "Xero TrackingOptionID of the first tracking option (Precoro: the option's "
           "externalId); the fetch names it from Xero's current tracking options", compare=False),
    Column("tracking2_option_id", "id", "Xero TrackingOptionID of the second tracking option", compare=False),
)

FRAMES: dict[str, tuple[Column, ...]] = {
    "supplier": _common(
        Column("name", "text", "supplier / contact name"),
        Column("email", "text", "main e-mail (Precoro: first contact's e-mail)"),
        Column("phone", "text", "main phone number"),
        Column("tax_number", "text", "tax number (VAT/GST/ABN...)"),
        Column("company_number", "text", "business registration number"),
        Column("currency", "text", "default currency"),
        Column("address_line1", "text", "street address"),
        Column("city", "text", "city"),
        Column("region", "text", "region / state"),
        Column("postal_code", "text", "postal code"),
        Column("country", "text", "country"),
    ),
    "item": _common(
        Column("code", "text", "Xero Code = Precoro sku"),
        Column("name", "text", "item name"),
        Column("description", "text", "purchase description"),
        Column("purchase_price", "unit", "purchase unit price (Precoro: price)"),
        Column("account_code", "text", "purchases account code"),
        Column("tax_type", "text", "purchases tax type", compare=False),
    ),
    "account": _common(
        Column("code", "text", "account code"),
        Column("name", "text", "account name"),
        Column("type", "text", "Xero account type (Precoro side: empty)", compare=False),
        Column("tax_type", "text", "default tax type (Precoro side: empty)", compare=False),
    ),
    "tracking_option": _common(
        Column("category_id", "id", "Xero TrackingCategoryID / Precoro item custom field id", compare=False),
        Column("category", "text", "tracking category name (Precoro: the ICF's name)"),
        Column("name", "text", "option name"),
    ),
    "tax_rate": _common(
        Column("tax_type", "text", "Xero TaxType (Precoro: the tax's xeroId)"),
        Column("name", "text", "tax rate name"),
        Column("rate", "rate", "effective rate in percent"),
    ),
    "purchase_order": _common(
        *_DOC_HEADER,
        Column("delivery_date", "date", "delivery date"),
        Column("reference", "text", "reference", compare=False),
    ),
    "bill": _common(
        *_DOC_HEADER,
        Column("due_date", "date", "due date (Precoro: requiredDate)"),
        Column("amount_paid", "money", "amount paid so far", compare=False),
        Column("amount_due", "money", "amount still due", compare=False),
    ),
    "payment": _common(
        Column("bill_id", "id", "id of the paid bill in the same system", compare=False),
        Column("bill_xero_id", "id", "Xero InvoiceID of the paid bill"),
        Column("date", "date", "payment date"),
        Column("amount", "money", "amount paid, in the bill's currency", tolerance="0.01"),
        Column("currency", "text", "currency", compare=False),
        Column("reference", "text", "payment reference", compare=False),
    ),
    "purchase_order_lines": _LINE,
    "bill_lines": _LINE,
}

#: Every frame name, record kinds first then lines frames (the order of fetch output).
#: Line columns that name a record the line refers to by its Xero id (column named -> id column). The fetch
#: writes the referenced record's current name; a line whose id is unchanged refers to the same record even
#: when a copy of the document read earlier still carries the old name.
LINE_REFERENCES: dict[str, str] = {
    "tracking1_category": "tracking1_option_id", "tracking1_option": "tracking1_option_id",
    "tracking2_category": "tracking2_option_id", "tracking2_option": "tracking2_option_id",
    "account_code": "account_id",
}

FRAME_NAMES: tuple[str, ...] = (*KINDS, *LINE_FRAMES.values())

DECIMAL_TYPES = frozenset({"money", "unit", "quantity", "rate"})
#: Decimals of each amount type's canonical text (``money.canonical``): money as Xero keeps it, unit amounts,
#: quantities and rates at the 4 decimals Xero allows them; more decimals are kept when a value has them.
SCALES: dict[str, int] = {"money": 2, "unit": 4, "quantity": 4, "rate": 4}
#: Digits and decimals each amount type is stored with (Arrow ``decimal128(PRECISION, scale)``): 30 digits leave
#: Arrow room to add and multiply without leaving decimal128 (38 digits at most).
PRECISION = 30
STORAGE_SCALES: dict[str, int] = {"money": 6, "unit": 8, "quantity": 8, "rate": 8}
#: the canonical text's decimals of a stored decimal column, by its storage scale (one look-up: a column's
#: text needs nothing but the column)
CANONICAL_PLACES: dict[int, int] = {STORAGE_SCALES[k]: SCALES[k] for k in SCALES}
ARROW_TYPES: dict[str, pa.DataType] = {
    **{k: pa.decimal128(PRECISION, STORAGE_SCALES[k]) for k in DECIMAL_TYPES}, "date": pa.date32(), "bool": pa.bool_(),
}
_DTYPES: dict[str, Any] = {
    "id": "string", "text": "string", "timestamp": "datetime64[ns, UTC]", "int": "Int64",
    **{k: pd.ArrowDtype(t) for k, t in ARROW_TYPES.items()},
}
#: Optional column of a baseline frame: the fields that baseline knows, space-separated (a field it does not
#: name is unknown, as if there were no baseline for it). A baseline frame without it knows its columns.
BASELINE_FIELDS = "baseline_fields"


def columns(frame: str) -> list[str]:
    """Column names of ``frame`` in canonical order."""
    return [c.name for c in FRAMES[frame]]


def compared(frame: str) -> list[Column]:
    """Columns reconcile compares field by field."""
    return [c for c in FRAMES[frame] if c.compare]


def empty(frame: str) -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes (a copy: callers may add to it)."""
    return _empty(frame).copy()


@lru_cache(maxsize=None)
def _empty(frame: str) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series([], dtype=_DTYPES[c.type]) for c in FRAMES[frame]})


def to_decimal(value: Any) -> Decimal | None:
    """Exact decimal from a JSON number, string or Decimal (never through binary float arithmetic)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if value is pd.NA:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not an amount")
    if isinstance(value, (int, str)):
        text = str(value).strip()
        if text == "":
            return None
        return Decimal(text)
    if isinstance(value, float):
        # A float here came from a JSON parser; its shortest repr is the number that was written.
        return Decimal(repr(value))
    raise TypeError(f"cannot read {type(value).__name__} as an amount")


def canonical_decimal(value: Any, kind: str) -> Decimal | None:
    """``to_decimal`` written at the scale of the amount type ``kind`` (one text per value, never rounded)."""
    number = to_decimal(value)
    return None if number is None else money.canonical(number, SCALES[kind])


def to_date(value: Any) -> dt.date | None:
    """A ``datetime.date`` from a date, a datetime (its UTC day) or an ISO string (a float NaN, pandas' filler
    for a value that is not there, reads as no date)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date() if "T" in text else dt.date.fromisoformat(text[:10])
    raise TypeError(f"cannot read {type(value).__name__} as a date")


def _bad(value: Any, kind: str, frame: str, system: str | None, rid: Any, col: Column, why: str) -> DataError:
    return DataError(f"{value!r} is not a valid {kind} ({why})", system=system, kind=frame,
                     record=None if rid is None or rid is pd.NA else str(rid), field=col.name, value=value)


def _arrow_column(series: pd.Series, col: Column, frame: str, system: str | None, ids: pd.Series) -> pd.Series:
    """A decimal or date column as its Arrow type: in one conversion when the values are already exact
    (``Decimal``/``date`` objects or another Arrow column), else value by value, naming a bad one."""
    kind = col.type
    target = _DTYPES[kind]
    if series.dtype == target:
        return series
    arrow_type = ARROW_TYPES[kind]
    try:
        if isinstance(series.dtype, pd.ArrowDtype):
            return pd.Series(pa.array(series).cast(arrow_type), index=series.index, dtype=target)
        inferred = infer_dtype(series, skipna=True) if series.dtype == object else ""
        if inferred in ("empty", "decimal" if kind in DECIMAL_TYPES else "date"):
            values = series.to_numpy(dtype=object)
            values = np.where(pd.isna(values), None, values)
            return pd.Series(pa.array(values, type=arrow_type), index=series.index, dtype=target)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        pass  # the value-by-value path names the record
    out = []
    for rid, value in zip(ids, series.tolist()):
        try:
            out.append(canonical_decimal(value, kind) if kind in DECIMAL_TYPES else to_date(value))
        except (InvalidOperation, TypeError, ValueError) as exc:
            raise _bad(value, kind, frame, system, rid, col, str(exc)) from None
        number = out[-1]
        if kind in DECIMAL_TYPES and number is not None:
            if not number.is_finite():
                raise _bad(value, kind, frame, system, rid, col, "not a finite number")
            exponent = number.normalize().as_tuple().exponent
            if isinstance(exponent, int) and -exponent > STORAGE_SCALES[kind]:
                raise _bad(value, kind, frame, system, rid, col, f"more than {STORAGE_SCALES[kind]} decimals")
            if number.adjusted() >= PRECISION - STORAGE_SCALES[kind]:
                raise _bad(value, kind, frame, system, rid, col, "too large")
    return pd.Series(pa.array(out, type=arrow_type), index=series.index, dtype=target)


def _coerce_column(series: pd.Series, col: Column, frame: str, system: str | None, ids: pd.Series) -> pd.Series:
    kind = col.type
    if kind in DECIMAL_TYPES or kind == "date":
        return _arrow_column(series, col, frame, system, ids)
    try:
        if kind == "timestamp":
            return pd.to_datetime(series, utc=True).astype("datetime64[ns, UTC]")
        if kind in ("id", "text"):
            # ids and numbers stay text: 00123 and 123 are different document numbers
            if isinstance(series.dtype, pd.StringDtype) or (
                    series.dtype == object and infer_dtype(series, skipna=True) in ("string", "empty")):
                return series.astype("string")
            return series.map(lambda v: None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)).astype("string")
        if kind == "bool":
            if series.dtype == _DTYPES["bool"]:
                return series
            return series.astype("boolean").astype(_DTYPES["bool"])
        if kind == "int":
            return series.astype("Int64")
    except (TypeError, ValueError) as exc:
        bad = ids.iloc[0] if len(ids) else None
        raise DataError(f"column cannot be read as {kind}: {exc}", system=system, kind=frame, field=col.name,
                        record=None if bad is None else str(bad)) from None
    raise AssertionError(f"unknown column type {kind}")


def _arrow_kept(arrow_type: pa.DataType) -> pd.ArrowDtype | None:
    """``to_pandas``' type mapper: decimals, dates and booleans stay the Arrow columns they are (the canonical
    dtypes); pandas' default would make a ``Decimal`` or ``date`` object of every value, which at a million lines
    costs seconds and hundreds of MiB before :func:`conform` turns them back into Arrow columns."""
    if pa.types.is_decimal(arrow_type) or pa.types.is_date(arrow_type) or pa.types.is_boolean(arrow_type):
        return pd.ArrowDtype(arrow_type)
    return None


def from_arrow(table: pa.Table, frame: str, *, system: str | None = None) -> pd.DataFrame:
    """A frame read back from Arrow (a saved snapshot's Parquet file), conformed to the canonical schema: a file
    recon wrote with the canonical types converts column for column; an older one (amounts saved as ``Decimal``
    objects, another decimal precision) is conformed like any other input. Columns without a value share one
    all-missing array per type: Parquet gives each its own offsets (a line frame's empty tracking and id columns,
    about 30 MiB at 500,000 lines)."""
    empty: dict[pa.DataType, pa.ChunkedArray] = {}
    columns_ = [empty.setdefault(col.type, pa.chunked_array([pa.nulls(len(col), col.type)]))
                if len(col) and col.null_count == len(col) else col for col in table.columns]
    table = pa.table(columns_, schema=table.schema)
    return conform(table.to_pandas(types_mapper=_arrow_kept), frame, system=system)


def is_conformed(df: pd.DataFrame, frame: str) -> bool:
    """Cheap check that ``df`` already has the canonical columns of ``frame`` with their canonical dtypes."""
    if list(df.columns) != columns(frame):
        return False
    return all(dtype == _DTYPES[col.type] or (col.type == "timestamp" and "UTC" in str(dtype))
               for col, dtype in zip(FRAMES[frame], df.dtypes.tolist()))


def conform(df: pd.DataFrame | Iterable[Mapping[str, Any]], frame: str, *, system: str | None = None) -> pd.DataFrame:
    """Return ``df`` (or records) with exactly the canonical columns of ``frame``, in order and typed.

    Missing columns are added empty; unknown columns are an error (they mean a mapping bug). A value that
    cannot be converted raises :class:`DataError` naming the record id and the field.
    """
    if frame not in FRAMES:
        raise DataError(f"unknown frame {frame!r}; known: {', '.join(FRAME_NAMES)}")
    if not isinstance(df, pd.DataFrame):
        df = pd.DataFrame.from_records(list(df))
    if df.empty and len(df.columns) == 0:
        return empty(frame)
    names = columns(frame)
    unknown = [c for c in df.columns if c not in names]
    if unknown:
        raise DataError(f"unknown columns {unknown}", system=system, kind=frame)
    idcol = "doc_id" if frame in LINE_FRAMES.values() else "id"
    ids = df[idcol] if idcol in df.columns else pd.Series([None] * len(df), index=df.index)
    out = {}
    for col in FRAMES[frame]:
        series = df[col.name] if col.name in df.columns else pd.Series([None] * len(df), index=df.index, dtype="object")
        out[col.name] = _coerce_column(series, col, frame, system, ids)
    return pd.DataFrame(out, index=df.index).reset_index(drop=True)
