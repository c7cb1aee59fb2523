"""Xero's and Precoro's arithmetic on known examples."""

from decimal import Decimal as D

import pytest

from recon import money


@pytest.mark.parametrize(
    "amounts, rate, expected_tax",
    [
        (["25.06", "25.61", "25.63"], "15", "11.44"),  # Xero docs: per-line rounding; 11.45 on the total
        (["45.45", "45.45"], "10", "9.10"),            # Xero docs: 9.09 on the total
    ],
)
def test_xero_tax_is_rounded_per_line(amounts, rate, expected_tax):
    lines = [money.xero_line(D(1), D(a), D(rate)) for a in amounts]
    totals = money.xero_totals((l.line_amount, l.tax_amount) for l in lines)
    assert totals.total_tax == D(expected_tax)


@pytest.mark.parametrize(
    "qty, unit, rate, lat, unitdp, line, tax",
    [
        ("3", "33.3333", "15", "Exclusive", 4, "100.00", "15.00"),
        ("3", "33.3333", "15", "Exclusive", 2, "99.99", "15.00"),
        ("1", "115.00", "15", "Inclusive", 2, "115.00", "15.00"),
        ("2", "2.165", "0", "NoTax", 4, "4.33", "0.00"),
        ("1", "-2.165", "0", "NoTax", 4, "-2.17", "0.00"),
    ],
)
def test_xero_line(qty, unit, rate, lat, unitdp, line, tax):
    got = money.xero_line(D(qty), D(unit), D(rate), lat, unitdp)
    assert (got.line_amount, got.tax_amount) == (D(line), D(tax))


def test_precoro_at_four_decimals_keeps_what_xero_rounds_away():
    p4 = money.Precision(price=4, quantity=2, total=4)
    lines = [money.precoro_line(D(1), D(a), D(15), p4) for a in ("25.06", "25.61", "25.63")]
    assert money.precoro_totals(lines, p4).total_tax == D("11.4450")


def test_half_up_not_bankers():
    assert money.round2(D("2.165")) == D("2.17")
    assert money.round2(D("2.175")) == D("2.18")


# --- whole-column helpers agree with the one-line functions ------------------------------------------------
from decimal import Decimal as _D

import numpy as _np
from hypothesis import given as _given, settings as _settings, strategies as _st

from recon import money as _money

_amounts = _st.decimals(min_value=_D("-9999"), max_value=_D("9999"), places=4)
_qty = _st.decimals(min_value=_D("0"), max_value=_D("999"), places=4)
_rates = _st.sampled_from([_D("0"), _D("12.5"), _D("15"), _D("20"), _D("7.6543")])


@_settings(max_examples=200, deadline=None)
@_given(_st.lists(_st.tuples(_qty, _amounts, _rates, _st.sampled_from(_money.LINE_AMOUNT_TYPES)), min_size=1,
                  max_size=8), _st.sampled_from([2, 4]))
def test_column_and_integer_line_maths_match_xero_line(rows, unitdp):
    q, u, r, lat = (_np.array(c, dtype=object) for c in zip(*rows))
    expected = [_money.xero_line(a, b, c, d, unitdp) for a, b, c, d in rows]
    amount, tax = _money.xero_lines_array(q, u, r, lat, unitdp)
    assert list(amount) == [e.line_amount for e in expected] and list(tax) == [e.tax_amount for e in expected]
    cents = _money.xero_line_cents(_money.scaled(q, 4), _money.scaled(u, 4), _money.scaled(r, 4), lat, unitdp)
    assert cents is not None
    assert list(cents[0]) == [int(e.line_amount * 100) for e in expected]
    assert list(cents[1]) == [int(e.tax_amount * 100) for e in expected]


def test_scaled_refuses_values_finer_than_the_scale():
    assert _money.scaled(_np.array([_D("1.00001")], dtype=object), 4) is None
    assert list(_money.scaled(_np.array([_D("-1.5"), None], dtype=object), 2)) == [-150, 0]


def test_cents_text_is_canonical_two_decimal_text():
    assert list(_money.cents_text(_np.array([0, 5, -5, 123456, -100]))) == ["0.00", "0.05", "-0.05", "1234.56", "-1.00"]


# --- the canonical schema's Arrow decimal columns ----------------------------------------------------------
import pandas as _pd
import pyarrow as _pa

from recon import schema as _schema


def _col(values, kind="unit"):
    return _pd.Series([None if v is None else _D(v) for v in values], dtype=_schema._DTYPES[kind])


@_settings(max_examples=100, deadline=None)
@_given(_st.lists(_st.tuples(_qty, _amounts, _rates, _st.sampled_from(_money.LINE_AMOUNT_TYPES)), min_size=1,
                  max_size=8), _st.sampled_from([2, 4]))
def test_line_maths_on_arrow_columns_match_xero_line(rows, unitdp):
    q, u, r, lat = zip(*rows)
    expected = [_money.xero_line(a, b, c, d, unitdp) for a, b, c, d in rows]
    cols = [_pd.Series(list(v), dtype=_schema._DTYPES[k]) for v, k in ((q, "quantity"), (u, "unit"), (r, "rate"))]
    amount, tax = _money.xero_line_columns(*cols, _np.array(lat, dtype=object), unitdp)
    assert list(amount) == [int(e.line_amount * 100) for e in expected]
    assert list(tax) == [int(e.tax_amount * 100) for e in expected]


@pytest.mark.parametrize("amounts, rate, expected_tax", [
    (["25.06", "25.61", "25.63"], "15", 1144),  # Xero docs: per-line rounding; 11.45 on the total
    (["45.45", "45.45"], "10", 910),            # Xero docs: 9.09 on the total
])
def test_xero_documented_examples_on_columns(amounts, rate, expected_tax):
    n = len(amounts)
    _, tax = _money.xero_line_columns(_col(["1"] * n, "quantity"), _col(amounts), _col([rate] * n, "rate"),
                                      _np.full(n, "Exclusive", dtype=object), 2)
    assert int(tax.sum()) == expected_tax


@pytest.mark.parametrize("value, places, text", [
    ("14", 4, "14.0000"), ("12.805", 2, "12.805"), ("-0.5", 2, "-0.50"), ("0", 2, "0.00"),
    ("0.00000001", 4, "0.00000001"), ("-2.165", 2, "-2.165"), (None, 2, ""),
])
def test_column_text_is_canonical(value, places, text):
    kind = "money" if places == 2 and value != "0.00000001" else "unit"
    assert list(_money.column_text(_col([value], kind), places)) == [text]
    if value is not None:
        assert text == format(_money.canonical(_D(value), places), "f")


@pytest.mark.parametrize("value, rounded", [("2.165", "2.17"), ("-2.165", "-2.17"), ("2.175", "2.18"),
                                            ("-2.675", "-2.68"), ("2.1649", "2.16")])
def test_column_rounding_is_half_away_from_zero(value, rounded):
    got = _money.round_column(_col([value]), 2)
    assert got.iloc[0] == _D(rounded) and got.dtype == _schema._DTYPES["unit"]
    assert got.iloc[0] == _money.round2(_D(value))


def test_unscaled_reads_the_exact_integers_or_refuses():
    col = _col(["1.5", None, "-0.25"], "money")
    assert list(_money.unscaled(col, 2)) == [150, 0, -25]
    assert _money.unscaled(col, 1) is None  # -0.25 has two places
    assert list(_money.unscaled(col.iloc[1:], 4)) == [0, -2500]  # a slice keeps its offset
    huge = _pd.Series([_D("123456789012345678901.5")], dtype=_schema._DTYPES["money"])
    assert _money.unscaled(huge, 2) is None  # beyond int64: callers fall back to Decimal
    assert list(_money.from_unscaled(_np.array([1234, -5]), _schema.ARROW_TYPES["money"], 2).to_pylist()) == \
        [_D("12.34"), _D("-0.05")]


@pytest.mark.parametrize("d", [1, 2, 100, 10**6, "array"])
def test_division_in_place_is_the_division(d):
    """The line maths divide over their own arrays: the same quotients, ties away from zero, as ``div_half_up``."""
    n = _np.array([0, 1, -1, 2, -2, 3, -3, 49, 50, -50, 51, -51, 150, -150, 999_999, 10**15 + 1, -(10**15) - 5])
    divisor = _np.arange(1, len(n) + 1) * 7 if d == "array" else d
    want = _money.div_half_up(n, divisor)
    got = _money._div_half_up_in_place(n.copy(), divisor.copy() if d == "array" else divisor)
    assert got.tolist() == want.tolist()
    assert _money.div_half_up(_np.array([5, -5, 15]), 10).tolist() == [1, -1, 2]


@pytest.mark.parametrize("value, ints", [
    (2**63 - 1, [2**63 - 1]), (-(2**63), [-(2**63)]), (2**63, None), (-(2**63) - 1, None), (2**64, None),
    (-1, [-1]), (0, [0]), (None, [0]),
])
def test_the_decimal_words_are_read_when_they_fit_in_64_bits(value, ints):
    import pyarrow as pa

    arr = pa.array([_D(0), None if value is None else _D(value), _D(-7)], type=pa.decimal128(38, 0))
    got = _money._raw_ints(arr)
    assert (None if got is None else got.tolist()) == (None if ints is None else [0, *ints, -7])
    assert (None if got is None else _money._raw_ints(arr.slice(1, 1)).tolist()) == ints  # a slice: its offset
