"""Exact money: every rounding recon does, in one place, on ``Decimal`` only.

Xero (see reference/xero-api.md section 17): ``LineAmount = Quantity × UnitAmount`` rounded to 2 dp; tax is
computed **per line** and rounded half-up to 2 dp, then summed; unit amounts are kept to 2 dp unless the
request says ``unitdp=4``. ``Exclusive``: tax on top of the line amount; ``Inclusive``: the line amount
includes tax (``tax = LineAmount × r / (100 + r)``); ``NoTax``: no tax.

Precoro: a company setting gives the decimals of prices, quantities and totals (``precisionData``); lines
and their tax are computed and rounded at that precision, half-up, and the document total is their sum.

The canonical frames hold amounts as Arrow ``decimal128`` columns (:mod:`recon.schema`). The column helpers at
the end do the same arithmetic on whole columns: on the columns' own unscaled integers (an int64 view of the
decimal128 buffer, no copy per value) when every value fits, else on ``Decimal`` objects. Arrow's own rounding
is used with ``round_mode="half_towards_infinity"``, which is half away from zero; Arrow's ``"half_up"`` rounds
ties towards +infinity (-2.675 becomes -2.67), which is not what Xero does.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

ZERO = Decimal("0")
HUNDRED = Decimal("100")
LINE_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")


@lru_cache(maxsize=64)
def step(places: int) -> Decimal:
    """The quantum for ``places`` decimals: 2 → Decimal('0.01')."""
    return Decimal(1).scaleb(-places)


def quantize(value: Decimal, places: int) -> Decimal:
    """Round half-up (away from zero on a tie, for negatives too) to ``places`` decimals."""
    return value.quantize(step(places), rounding=ROUND_HALF_UP)


def canonical(value: Decimal, places: int) -> Decimal:
    """The one canonical form of an amount: written with ``places`` decimals (its kind's scale: money 2, unit
    amounts, quantities and rates 4), or with exactly the decimals it needs beyond that. Never rounds:
    ``14.0`` and ``14.00`` both become ``14.0000`` at 4, ``12.80500`` becomes ``12.805`` at 2."""
    try:
        fixed = value.quantize(step(places))
    except ArithmeticError:  # too many digits for the context, or not finite: leave it as it is
        return value
    if fixed == value:
        return fixed
    return value.normalize()


def round2(value: Decimal) -> Decimal:
    """Round to cents, half-up: Xero's rule for line amounts, tax and totals."""
    return quantize(value, 2)


@dataclass(frozen=True)
class XeroLine:
    """One line as Xero computes it."""

    unit_amount: Decimal
    line_amount: Decimal
    tax_amount: Decimal


def xero_line(quantity: Decimal, unit_amount: Decimal, rate: Decimal | None,
              line_amount_types: str = "Exclusive", unitdp: int = 2) -> XeroLine:
    """Xero's arithmetic for one line; ``rate`` is a percentage (15 for 15 %), ``unitdp`` 2 or 4."""
    if line_amount_types not in LINE_AMOUNT_TYPES:
        raise ValueError(f"LineAmountTypes must be one of {LINE_AMOUNT_TYPES}, not {line_amount_types!r}")
    unit = quantize(unit_amount, 4 if unitdp == 4 else 2)
    line = round2(quantity * unit)
    return XeroLine(unit, line, xero_tax(line, rate, line_amount_types))


def xero_tax(line_amount: Decimal, rate: Decimal | None, line_amount_types: str = "Exclusive") -> Decimal:
    """Tax of one line, rounded to cents the way Xero does."""
    if line_amount_types == "NoTax" or not rate:
        return Decimal("0.00")
    if line_amount_types == "Inclusive":
        return round2(line_amount * rate / (HUNDRED + rate))
    return round2(line_amount * rate / HUNDRED)


@dataclass(frozen=True)
class Totals:
    """Document totals."""

    subtotal: Decimal
    total_tax: Decimal
    total: Decimal


def xero_totals(lines: Iterable[tuple[Decimal, Decimal]], line_amount_types: str = "Exclusive") -> Totals:
    """Totals from ``(line_amount, tax_amount)`` pairs as Xero sums them."""
    pairs = list(lines)
    amount = sum((a for a, _ in pairs), Decimal("0.00"))
    tax = sum((t for _, t in pairs), Decimal("0.00"))
    if line_amount_types == "Inclusive":
        return Totals(amount - tax, tax, amount)
    return Totals(amount, tax, amount + tax)


@dataclass(frozen=True)
class Precision:
    """Precoro's company rounding settings (``precisionData``): decimals of price, quantity and totals."""

    price: int = 2
    quantity: int = 2
    total: int = 2

    @classmethod
    def from_json(cls, data: dict | None) -> "Precision":
        data = data or {}
        return cls(int(data.get("price", 2)), int(data.get("quantity", 2)), int(data.get("total", 2)))

    def to_json(self) -> dict[str, int]:
        return {"price": self.price, "quantity": self.quantity, "total": self.total}


@dataclass(frozen=True)
class PrecoroLine:
    """One line as Precoro computes it under the company precision."""

    price: Decimal
    quantity: Decimal
    net: Decimal
    tax: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


def precoro_line(quantity: Decimal, price: Decimal, percent: Decimal | None, precision: Precision) -> PrecoroLine:
    """Precoro's arithmetic for one line: net price × quantity and its tax, each at the total precision."""
    p = quantize(price, precision.price)
    q = quantize(quantity, precision.quantity)
    net = quantize(p * q, precision.total)
    tax = quantize(net * (percent or ZERO) / HUNDRED, precision.total)
    return PrecoroLine(p, q, net, tax)


def precoro_totals(lines: Iterable[PrecoroLine], precision: Precision) -> Totals:
    """Document totals in Precoro: sums of the lines' net and tax at the company precision."""
    lines = list(lines)
    zero = quantize(ZERO, precision.total)
    net = sum((line.net for line in lines), zero)
    tax = sum((line.tax for line in lines), zero)
    return Totals(net, tax, net + tax)


def fmt(value: Decimal | None, places: int | None = None) -> str:
    """Canonical text of an amount (exact; fixed ``places`` when given). ``None`` → empty string."""
    if value is None:
        return ""
    return format(quantize(value, places) if places is not None else value, "f")


# --- whole columns at once -------------------------------------------------------------------------------
# The same arithmetic as above over numpy object arrays of Decimal, so a million lines are rounded without a
# Python loop per line. Missing values (None/NA) count as zero.

def _dec_array(values: np.ndarray | pd.Series | list) -> np.ndarray:
    arr = np.asarray(values, dtype=object)
    missing = pd.isna(arr)
    if missing.any():
        arr = arr.copy()
        arr[missing] = ZERO
    return arr


def quantize_array(values: np.ndarray, places: int) -> np.ndarray:
    """:func:`quantize` (half-up, away from zero on a tie) over an object array of ``Decimal``."""
    arr = _dec_array(values)
    q = step(places)
    magnitude = ((np.abs(arr) / q + Decimal("0.5")) // 1) * q
    return np.where(arr < 0, -magnitude, magnitude)


def xero_lines_array(quantity: np.ndarray, unit_amount: np.ndarray, rate: np.ndarray,
                     line_amount_types: np.ndarray | str = "Exclusive", unitdp: int = 2
                     ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`xero_line` for whole columns: ``(line_amount, tax_amount)`` arrays."""
    unit = quantize_array(unit_amount, 4 if unitdp == 4 else 2)
    line = quantize_array(_dec_array(quantity) * unit, 2)
    r = _dec_array(rate)
    lat = np.broadcast_to(np.asarray(line_amount_types, dtype=object), line.shape)
    inclusive = lat == "Inclusive"
    divisor = np.where(inclusive, HUNDRED + r, HUNDRED)
    tax = quantize_array(line * r / divisor, 2)
    tax = np.where((lat == "NoTax") | (r == 0), Decimal("0.00"), tax)
    return line, tax


def precoro_lines_array(quantity: np.ndarray, price: np.ndarray, percent: np.ndarray,
                        precision: Precision) -> tuple[np.ndarray, np.ndarray]:
    """:func:`precoro_line` for whole columns: ``(net, tax)`` arrays at the company precision."""
    p = quantize_array(price, precision.price)
    q = quantize_array(quantity, precision.quantity)
    net = quantize_array(p * q, precision.total)
    tax = quantize_array(net * _dec_array(percent) / HUNDRED, precision.total)
    return net, tax


def to_cents(values: np.ndarray) -> np.ndarray:
    """Exact integer cents of amounts that are whole cents (raises ``ValueError`` for finer amounts)."""
    scaled = _dec_array(values) * HUNDRED
    whole = scaled == (scaled // 1)
    if not bool(np.all(whole)):
        raise ValueError("amount with more than 2 decimals where cents were expected")
    return scaled.astype(np.int64)


def from_cents(cents: np.ndarray) -> np.ndarray:
    """Decimal amounts with 2 places from integer cents."""
    return np.array([Decimal(int(c)).scaleb(-2) for c in cents], dtype=object)


# --- exact integer arithmetic for whole columns ----------------------------------------------------------
# Amounts scaled to integers (quantities, unit amounts and rates × 10^4, amounts in cents) make Xero's line
# maths plain int64 numpy. Every helper returns None when a value does not fit exactly, and callers then use
# the Decimal path above.

_LIMIT = 2**62


def scaled(values: np.ndarray, places: int) -> np.ndarray | None:
    """Exact ``int64`` values × 10^places (missing → 0), or ``None`` when a value has more places or is too big.

    Each distinct value is converted once (columns repeat prices, quantities and rates a lot)."""
    codes, uniques = pd.factorize(_dec_array(values))
    s = np.asarray(uniques, dtype=object) * (10 ** places)
    try:
        ints = s.astype(np.int64)
    except (OverflowError, ValueError):
        return None
    if not bool(np.all(s == ints)):
        return None
    return ints[codes] if len(codes) else np.zeros(0, dtype=np.int64)


def cents_text(cents: np.ndarray) -> np.ndarray:
    """Canonical 2-decimal text of integer cents (``-1234`` → ``"-12.34"``), for whole columns."""
    return np.asarray(cents_arrow_text(cents).to_numpy(zero_copy_only=False), dtype=object)


def cents_arrow_text(cents: np.ndarray) -> pa.Array:
    """:func:`cents_text` as an Arrow string array, made in Arrow's kernels (no Python string per value)."""
    c = np.asarray(cents, dtype=np.int64)
    magnitude = np.abs(c)
    whole = pc.cast(pa.array(magnitude // 100), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(magnitude % 100), pa.string()), width=2, padding="0")
    sign = pc.if_else(pa.array(c < 0), "-", "")
    return pc.binary_join_element_wise(sign, pc.binary_join_element_wise(whole, frac, "."), "")


def div_half_up(n: np.ndarray, d: np.ndarray | int) -> np.ndarray:
    """``n / d`` rounded half away from zero, in integers (``d`` > 0)."""
    q = (2 * np.abs(n) + d) // (2 * np.asarray(d))
    return np.where(n < 0, -q, q)


def _div_half_up_in_place(n: np.ndarray, d: np.ndarray | int) -> np.ndarray:
    """:func:`div_half_up` written over ``n`` (and ``d`` when an array): the same integer steps without their
    temporaries, each the size of a column."""
    negative = n < 0
    np.abs(n, out=n)
    n *= 2
    n += d
    if isinstance(d, np.ndarray):
        d *= 2
        n //= d
    else:
        n //= 2 * d
    np.negative(n, out=n, where=negative)
    return n


def xero_line_cents(q4: np.ndarray, u4: np.ndarray, r4: np.ndarray, line_amount_types: np.ndarray,
                    unitdp: int) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`xero_lines_array` on scaled integers (quantity, unit amount, rate × 10^4): ``(line, tax)`` in cents.

    ``None`` when the products could overflow int64."""
    if not len(q4):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    mq, mu, mr = (int(np.abs(a).max()) for a in (q4, u4, r4))
    if mq * mu >= _LIMIT or (mq * mu // 10**6 + 1) * max(mr, 1) >= _LIMIT:
        return None
    # each step written over an array of its own: the line maths of ~5 * 10^5 lines made ~6 column-sized
    # temporaries at once
    if unitdp == 4:
        line = _div_half_up_in_place(q4 * u4, 10**6)
    else:
        line = _div_half_up_in_place(u4.copy(), 100)
        line *= q4
        line = _div_half_up_in_place(line, 10**4)
    divisor = np.where(line_amount_types == "Inclusive", 100 * 10**4 + r4, 100 * 10**4)
    tax = _div_half_up_in_place(line * r4, divisor)
    del divisor
    no_tax = r4 == 0
    no_tax |= line_amount_types == "NoTax"
    tax[no_tax] = 0
    return line, tax


# --- Arrow decimal columns ---------------------------------------------------------------------------------
#: Arrow's name for half away from zero (see the module docstring)
HALF_AWAY_FROM_ZERO = "half_towards_infinity"


def arrow_array(values: pd.Series | pa.Array | pa.ChunkedArray) -> pa.Array:
    """One Arrow array of a column (an Arrow-backed Series, a chunked array or an array)."""
    arr = pa.array(values) if isinstance(values, pd.Series) else values
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _is_decimal_column(values: object) -> bool:
    if isinstance(values, pd.Series):
        return isinstance(values.dtype, pd.ArrowDtype) and pa.types.is_decimal128(values.dtype.pyarrow_dtype)
    return isinstance(values, (pa.Array, pa.ChunkedArray)) and pa.types.is_decimal128(values.type)


def _raw_ints(arr: pa.Array) -> np.ndarray | None:
    """The unscaled integers of a decimal128 array as int64 (missing → 0), without copying each value; ``None``
    when one needs more than 64 bits."""
    words = np.frombuffer(arr.buffers()[1], dtype=np.int64)[2 * arr.offset: 2 * (arr.offset + len(arr))]
    low, high = words[0::2], words[1::2]
    valid = ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool) if arr.null_count else None
    # the high word only repeats the sign bit (compared as booleans: ``low >> 63`` was a column of int64)
    fits = np.where(low < 0, high == -1, high == 0)
    if valid is not None:
        fits |= ~valid
    if not bool(np.all(fits)):
        return None
    return np.where(valid, low, 0) if valid is not None else low.copy()


def unscaled(values: pd.Series | pa.Array | np.ndarray, places: int) -> np.ndarray | None:
    """Exact ``int64`` values × 10^places of a decimal column (missing → 0), or ``None`` when a value has more
    places or does not fit. Arrow decimal columns are read from their buffers; object arrays of ``Decimal`` go
    through :func:`scaled`."""
    if not _is_decimal_column(values):
        return scaled(np.asarray(values, dtype=object), places)
    arr = arrow_array(values)
    ints = _raw_ints(arr)
    if ints is None:
        return None
    shift = places - arr.type.scale
    if shift >= 0:
        factor = 10 ** shift
        if len(ints) and max(int(ints.max()), -int(ints.min())) >= _LIMIT // factor:
            return None
        ints *= factor  # ints is the reader's own copy
        return ints
    factor = 10 ** -shift
    if bool(np.any(ints % factor)):
        return None
    ints //= factor
    return ints


def column_text(values: pd.Series | pa.Array, places: int) -> np.ndarray:
    """:func:`canonical` text of every value of a decimal column (``""`` when missing): ``places`` decimals, or
    exactly the decimals a value needs beyond them."""
    out = _column_text(values, places)
    return out if isinstance(out, np.ndarray) else np.asarray(out.to_numpy(zero_copy_only=False), dtype=object)


def column_arrow_text(values: pd.Series | pa.Array, places: int) -> pa.Array:
    """:func:`column_text` as an Arrow string array: no Python string per value when the column is Arrow
    decimals that fit in 64 bits."""
    out = _column_text(values, places)
    return pa.array(out, type=pa.string()) if isinstance(out, np.ndarray) else out


def _column_text(values: pd.Series | pa.Array, places: int) -> np.ndarray | pa.Array:
    """:func:`column_text`, as an Arrow array when made in Arrow. Built from the unscaled integers (Arrow's own
    decimal text turns to exponent notation for small values such as 0E-8)."""
    arr = arrow_array(values) if _is_decimal_column(values) else None
    if arr is None:
        return np.array(["" if pd.isna(v) else format(canonical(v, places), "f")
                         for v in np.asarray(values, dtype=object)], dtype=object)
    scale = arr.type.scale
    ints = _raw_ints(arr)
    if ints is None or scale < places:
        return np.array(["" if v is None else format(canonical(v, places), "f") for v in arr.to_pylist()],
                        dtype=object)
    magnitude = pa.array(np.abs(ints))
    factor = pa.scalar(10 ** scale, pa.int64())
    whole = pc.cast(pc.divide(magnitude, factor), pa.string())
    frac = pc.utf8_lpad(pc.cast(pc.subtract(magnitude, pc.multiply(pc.divide(magnitude, factor), factor)),
                                pa.string()), width=scale, padding="0")
    kept = pc.utf8_slice_codeunits(frac, 0, places)
    extra = pc.utf8_rtrim(pc.utf8_slice_codeunits(frac, places, scale), characters="0")
    sign = pc.if_else(pa.array(ints < 0), "-", "")
    body = pc.binary_join_element_wise(whole, pc.binary_join_element_wise(kept, extra, ""), ".") if places or scale \
        else whole
    out = pc.binary_join_element_wise(sign, body, "")
    if arr.null_count:
        out = pc.if_else(arr.is_null(), "", out)
    return out


def round_column(values: pd.Series, places: int) -> pd.Series:
    """:func:`quantize` (half away from zero) of a whole decimal column, in Arrow; the column keeps its type."""
    arr = arrow_array(values)
    rounded = pc.cast(pc.round(arr, places, round_mode=HALF_AWAY_FROM_ZERO), arr.type)
    return pd.Series(rounded, index=values.index, dtype=values.dtype)


def from_unscaled(ints: np.ndarray, type_: pa.Decimal128Type, places: int) -> pa.Array:
    """A decimal128 array of ``type_`` from exact int64 values × 10^places (e.g. cents with ``places=2``)."""
    shift = type_.scale - places
    low = np.asarray(ints, dtype=np.int64) * (10 ** shift) if shift >= 0 else None
    if low is None or (len(ints) and int(np.abs(ints).max()) >= _LIMIT // (10 ** shift)):
        return pa.array([Decimal(int(v)).scaleb(-places) for v in ints], type=type_)
    words = np.empty(2 * len(low), dtype=np.int64)
    words[0::2], words[1::2] = low, low >> 63
    return pa.Array.from_buffers(type_, len(low), [None, pa.py_buffer(words)])


def xero_line_columns(quantity: pd.Series, unit_amount: pd.Series, rate: pd.Series,
                      line_amount_types: np.ndarray, unitdp: int,
                      rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`xero_line` for whole decimal columns: ``(line amount, tax)`` in integer cents. Integer maths on
    the columns' unscaled values when they fit (quantity, unit amount and rate at 4 dp), else ``Decimal``.
    ``rows``: only the lines at those positions (``line_amount_types`` is theirs): the columns' integers are
    read whole and taken there, which is lighter than taking the decimal columns first."""
    q4, u4, r4 = (unscaled(c, 4) for c in (quantity, unit_amount, rate))
    if not (q4 is None or u4 is None or r4 is None):
        if rows is not None:
            q4, u4, r4 = q4[rows], u4[rows], r4[rows]
        fast = xero_line_cents(q4, u4, r4, line_amount_types, unitdp)
        if fast is not None:
            return fast
    if rows is not None:
        quantity, unit_amount, rate = (c.iloc[rows] if isinstance(c, pd.Series) else np.asarray(c, dtype=object)[rows]
                                       for c in (quantity, unit_amount, rate))
    objects = [np.asarray(c.to_numpy(dtype=object, na_value=None) if isinstance(c, pd.Series) else c, dtype=object)
               for c in (quantity, unit_amount, rate)]
    amount, tax = xero_lines_array(*objects, line_amount_types, unitdp)
    return to_cents(amount), to_cents(tax)
