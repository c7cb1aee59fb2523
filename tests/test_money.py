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
