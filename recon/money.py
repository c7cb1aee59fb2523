"""Exact money: every rounding recon does, in one place, on ``Decimal`` only.

Xero (see reference/xero-api.md section 17): ``LineAmount = Quantity × UnitAmount`` rounded to 2 dp; tax is
computed **per line** and rounded half-up to 2 dp, then summed; unit amounts are kept to 2 dp unless the
request says ``unitdp=4``. ``Exclusive``: tax on top of the line amount; ``Inclusive``: the line amount
includes tax (``tax = LineAmount × r / (100 + r)``); ``NoTax``: no tax.

Precoro: a company setting gives the decimals of prices, quantities and totals (``precisionData``); lines
and their tax are computed and rounded at that precision, half-up, and the document total is their sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Iterable

import numpy as np
import pandas as pd

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
    c = np.asarray(cents, dtype=np.int64)
    whole = pd.Series(np.abs(c) // 100).astype(str)
    frac = pd.Series(np.abs(c) % 100).astype(str).str.zfill(2)
    sign = np.where(c < 0, "-", "")
    return (sign + (whole + "." + frac).to_numpy(dtype=object)).astype(object)


def div_half_up(n: np.ndarray, d: np.ndarray | int) -> np.ndarray:
    """``n / d`` rounded half away from zero, in integers (``d`` > 0)."""
    q = (2 * np.abs(n) + d) // (2 * np.asarray(d))
    return np.where(n < 0, -q, q)


def xero_line_cents(q4: np.ndarray, u4: np.ndarray, r4: np.ndarray, line_amount_types: np.ndarray,
                    unitdp: int) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`xero_lines_array` on scaled integers (quantity, unit amount, rate × 10^4): ``(line, tax)`` in cents.

    ``None`` when the products could overflow int64."""
    if not len(q4):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    mq, mu, mr = (int(np.abs(a).max()) for a in (q4, u4, r4))
    if mq * mu >= _LIMIT or (mq * mu // 10**6 + 1) * max(mr, 1) >= _LIMIT:
        return None
    if unitdp == 4:
        line = div_half_up(q4 * u4, 10**6)
    else:
        line = div_half_up(q4 * div_half_up(u4, 100), 10**4)
    inclusive = line_amount_types == "Inclusive"
    divisor = np.where(inclusive, 100 * 10**4 + r4, 100 * 10**4)
    tax = div_half_up(line * r4, divisor)
    tax = np.where((line_amount_types == "NoTax") | (r4 == 0), 0, tax)
    return line, tax
