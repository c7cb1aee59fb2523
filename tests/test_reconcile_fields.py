"""Field comparison by type: text normalised, case folded where the systems ignore case, ids and document
numbers as strings, dates as dates, money exact with the column's tolerance."""

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from recon import schema
from recon.reconcile import fields


def compare(frame, name, a, b, casefold=False):
    col = fields.column(frame, name)
    ka = fields.key(schema.conform([{name: a}], frame)[name], col, casefold)
    kb = fields.key(schema.conform([{name: b}], frame)[name], col, casefold)
    eq, near = fields.equal(ka, kb, col)
    return bool(eq[0]), bool(near[0])


@pytest.mark.parametrize("frame, name, a, b, casefold, expected", [
    ("supplier", "name", "Acme  Ltd ", " Acme Ltd", False, (True, False)),
    ("supplier", "name", "Acme\tLtd", "Acme Ltd", False, (True, False)),
    ("supplier", "name", "ACME Ltd", "Acme Ltd", False, (False, False)),
    ("supplier", "email", "AP@Acme.test", "ap@acme.test", True, (True, False)),
    ("supplier", "name", None, "", False, (True, False)),
    ("purchase_order", "number", "00123", "123", False, (False, False)),
    ("purchase_order", "date", "2026-11-02", dt.date(2026, 11, 2), False, (True, False)),
    ("purchase_order", "date", "2026-11-02", "2026-11-03", False, (False, False)),
    ("purchase_order", "total", "120.0", "120.00", False, (True, False)),
    ("purchase_order", "total", "120.00", "120.01", False, (False, False)),
    ("payment", "amount", "50.00", "50.01", False, (False, True)),
    ("payment", "amount", "50.00", "50.02", False, (False, False)),
    ("payment", "amount", None, "50.00", False, (False, False)),
    ("supplier", "active", None, True, False, (True, False)),
    ("supplier", "active", False, True, False, (False, False)),
])
def test_values_compare_by_type(frame, name, a, b, casefold, expected):
    assert compare(frame, name, a, b, casefold) == expected


@pytest.mark.parametrize("value, text", [
    (Decimal("1.50"), "1.50"), (dt.date(2026, 1, 2), "2026-01-02"), (True, "true"), (False, "false"),
    (None, ""), ("PO-1", "PO-1"),
])
def test_canonical_text(value, text):
    assert fields.text(pd.Series([value], dtype=object))[0] == text
