"""Payments (one-way Xero → Precoro): created on integrated bills, rounding-sized differences shown as such."""

import pytest

from reconcile_data import doc, snap
from recon.reconcile import reconcile


def pay(id, xero_id, **kw):
    return {"id": id, "xero_id": xero_id, "bill_id": "XB1", "bill_xero_id": "XB1", "date": "2026-11-20",
            "amount": "50.00", "currency": "EUR", "reference": "wire 7", "active": True, **kw}


BILLS = {"precoro": [doc("118", "XB1", number="INV-1")], "xero": [doc("XB1", "XB1", number="INV-1")]}


def run(p_pay, x_pay, bills=BILLS):
    s = snap({"payment": p_pay, "bill": bills["precoro"]}, {"payment": x_pay, "bill": bills["xero"]})
    return reconcile(s, kinds=["payment"], run_id="t")


def rows(rec):
    d = rec.differences
    return sorted(zip(d["field"], d["kind"], d["direction"], d["action"]))


def test_xero_payment_on_an_integrated_bill_is_created_in_precoro():
    rec = run([], [pay("XP9", "XP9")])
    assert rows(rec) == [("", "only_in_xero", "to_precoro", "create")]
    (a,) = rec.plan.actions
    assert (a.target, a.new["bill_id"], a.new["date"], a.new["amount"], a.new["xero_id"]) == (
        "precoro", "118", "2026-11-20", "50.00", "XP9")


def test_xero_payment_on_a_bill_not_in_precoro_is_only_shown():
    rec = run([], [pay("XP9", "XP9", bill_xero_id="XB-OTHER")])
    assert rows(rec) == [("", "only_in_xero", "none", "none")]
    assert "not integrated" in rec.differences["reason"].iloc[0]
    assert not rec.plan.actions


@pytest.mark.parametrize("p_amount, expected", [
    ("50.00", []),
    ("50.01", [("amount", "rounding", "none", "none")]),
    ("49.99", [("amount", "rounding", "none", "none")]),
    ("45.00", [("amount", "mismatch", "to_precoro", "update")]),
])
def test_payment_amounts(p_amount, expected):
    rec = run([pay("P1", "XP9", bill_id="118", amount=p_amount)], [pay("XP9", "XP9")])
    assert rows(rec) == expected


def test_unlinked_payments_match_by_bill_and_date():
    rec = run([pay("P1", None, bill_id="118")], [pay("XP9", "XP9")])
    assert rows(rec) == [("bill_xero_id+date", "match_candidate", "none", "link")]


def test_precoro_payment_not_in_xero_is_shown():
    rec = run([pay("P1", None, bill_id="118", date="2026-11-01")], [])
    assert rows(rec) == [("", "only_in_precoro", "none", "none")]


def test_a_bill_linked_only_in_the_link_table_still_receives_its_payments():
    import pandas as pd

    bills = {"precoro": [doc("118", None, number="INV-1")], "xero": [doc("XB1", "XB1", number="INV-1")]}
    s = snap({"payment": [], "bill": bills["precoro"]}, {"payment": [pay("XP9", "XP9")], "bill": bills["xero"]})
    links = pd.DataFrame({"kind": ["bill"], "precoro_id": ["118"], "xero_id": ["XB1"]})
    rec = reconcile(s, kinds=["payment"], links=links, run_id="t")
    (a,) = rec.plan.actions
    assert (a.op, a.new["bill_id"]) == ("create", "118")
