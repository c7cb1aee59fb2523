"""Planning of linked payments (pure core, no emulator): which differences become a replacement in Precoro.

Precoro cannot edit a payment (reference/precoro-api.md sections 7, 9 and 18.6: create and cancel only), so
a linked payment that differs from Xero's beyond the tolerance is one ``update`` the apply carries out as cancel
+ create (recon/apply_payments.py). These tables pin what gives such an action and what does not, what the
new payment is made of, and that a cancelled Precoro payment is never linked to a Xero payment again.
"""

from __future__ import annotations

import pytest

from recon import apply_payments
from recon.reconcile.model import Action
from test_reconcile_payments import pay, rows, run

EDITED = "Precoro cannot edit a payment: recon cancels this one in Precoro and records Xero's payment there anew"
REMOVED = "deleted or voided in Xero: recon cancels the payment in Precoro too, so both books show it unpaid"
RESTORED = "a cancelled payment cannot be restored: recon records Xero's payment in Precoro anew"


def linked(**kw):
    """Precoro's payment P1, linked to Xero's XP9 by its stored Xero id."""
    return pay("P1", "XP9", bill_id="118", **kw)


def xero(**kw):
    return pay("XP9", "XP9", **kw)


# (case, Precoro payments, Xero payments, the one action expected as (op, new, old) or None, reason holds)
CASES = [
    ("equal", [linked()], [xero()], None, None),
    ("amount a cent above: rounding, within the tolerance", [linked(amount="50.01")], [xero()], None, None),
    ("amount a cent below: rounding", [linked(amount="49.99")], [xero()], None, None),
    ("amount two cents off: beyond the tolerance", [linked(amount="50.02")], [xero()],
     ("update", {"amount": "50.00"}, {"amount": "50.02"}), EDITED),
    ("amount differs", [linked(amount="45.00")], [xero()],
     ("update", {"amount": "50.00"}, {"amount": "45.00"}), EDITED),
    ("date differs", [linked(date="2026-11-21")], [xero()],
     ("update", {"date": "2026-11-20"}, {"date": "2026-11-21"}), EDITED),
    ("date and amount differ: one replacement", [linked(date="2026-11-21", amount="40.00")], [xero()],
     ("update", {"date": "2026-11-20", "amount": "50.00"}, {"date": "2026-11-21", "amount": "40.00"}), EDITED),
    ("date differs, amount within the tolerance: only the date", [linked(date="2026-11-21", amount="50.01")],
     [xero()], ("update", {"date": "2026-11-20"}, {"date": "2026-11-21"}), EDITED),
    ("another bill", [linked(bill_xero_id="XB2")], [xero()],
     ("update", {"bill_xero_id": "XB1"}, {"bill_xero_id": "XB2"}), EDITED),
    ("cancelled in Precoro while Xero keeps it", [linked(active=False)], [xero()],
     ("update", {"active": "true"}, {"active": "false"}), RESTORED),
    ("cancelled in Precoro and its amount differs: one replacement", [linked(active=False, amount="40.00")],
     [xero()], ("update", {"amount": "50.00", "active": "true"}, {"amount": "40.00", "active": "false"}), RESTORED),
    ("reference differs: not compared", [linked(reference="wire 8")], [xero()], None, None),
    ("currency differs: not compared", [linked(currency="USD")], [xero()], None, None),
    ("cancelled on both sides", [linked(active=False)], [xero(active=False)], None, None),
    ("deleted in Xero: cancelled in Precoro, not replaced", [linked()], [xero(active=False)],
     ("archive", {"active": "false"}, {"active": "true"}), REMOVED),
]


@pytest.mark.parametrize("case, p, x, expected, reason", CASES, ids=[c[0] for c in CASES])
def test_which_payment_differences_are_replaced(case, p, x, expected, reason):
    rec = run(p, x)
    actions = rec.plan.actions
    if expected is None:
        assert not actions, [(a.op, dict(a.new)) for a in actions]
        return
    (action,) = actions  # every difference of one payment is one decision
    assert (action.op, dict(action.new), dict(action.old)) == expected
    assert (action.target, action.keys.get("precoro_id"), action.keys.get("xero_id")) == ("precoro", "P1", "XP9")
    assert apply_payments.replaces(action) == (action.op == "update")
    if reason is None:
        assert "cannot edit" not in action.reason and "anew" not in action.reason
    else:
        assert (reason == REMOVED) == ("anew" not in action.reason), action.reason
        assert reason in action.reason, action.reason


def test_every_difference_row_of_a_replaced_payment_says_so():
    rec = run([linked(date="2026-11-21", amount="40.00")], [xero()])
    assert rows(rec) == [("amount", "mismatch", "to_precoro", "update"), ("date", "mismatch", "to_precoro", "update")]
    assert all(EDITED in r for r in rec.differences["reason"])


# (case, Precoro payments, Xero payments, the plan's actions as (op, precoro id, new))
NEVER_RELINKED = [
    ("a cancelled unlinked payment is not matched: Xero's is created", [pay("P1", None, bill_id="118", active=False)],
     [xero()], [("create", None, "XP9")]),
    ("cancelled on both sides, unlinked: nothing", [pay("P1", None, bill_id="118", active=False)],
     [xero(active=False)], []),
    ("a live unlinked payment on the same bill and day is matched", [pay("P1", None, bill_id="118")], [xero()],
     [("link", "P1", None)]),
    ("a cancelled payment still naming the Xero one gives way to the live one",
     [pay("P0", "XP9", bill_id="118", active=False), linked()], [xero()], []),
    ("... whatever the order of their ids", [pay("P2", "XP9", bill_id="118", active=False), linked()], [xero()], []),
    ("two live payments naming one Xero payment: the lowest id keeps it",
     [pay("P0", "XP9", bill_id="118", amount="45.00"), linked()], [xero()], [("update", "P0", None)]),
]


@pytest.mark.parametrize("case, p, x, expected", NEVER_RELINKED, ids=[c[0] for c in NEVER_RELINKED])
def test_a_cancelled_precoro_payment_is_never_linked_again(case, p, x, expected):
    rec = run(p, x)
    got = sorted((a.op, a.keys.get("precoro_id"), a.new.get("xero_id")) for a in rec.plan.actions)
    assert got == expected


def _update(new, old=None):
    return Action("payment", "precoro", "update", {"precoro_id": "P1", "xero_id": "XP9"}, new, old or {}, "r")


CURRENT = {"bill_id": "118", "bill_xero_id": "XB1", "date": "2026-11-21", "amount": "50.01", "active": True,
           "reference": "wire 7", "xero_id": "XP9"}

# (case, the action's new values, the new payment recorded in Precoro)
NEW_PAYMENT = [
    ("a new date: the invoice and the amount within the tolerance carry over", {"date": "2026-11-20"},
     {"bill_id": "118", "date": "2026-11-20", "amount": "50.01", "xero_id": "XP9"}),
    ("a new amount", {"amount": "45.00"}, {"bill_id": "118", "date": "2026-11-21", "amount": "45.00", "xero_id": "XP9"}),
    ("restored: the cancelled payment's values again", {"active": "true"},
     {"bill_id": "118", "date": "2026-11-21", "amount": "50.01", "xero_id": "XP9"}),
    ("another bill: found by its Xero id, not the old invoice", {"bill_xero_id": "XB2"},
     {"bill_xero_id": "XB2", "date": "2026-11-21", "amount": "50.01", "xero_id": "XP9"}),
]


@pytest.mark.parametrize("case, new, expected", NEW_PAYMENT, ids=[c[0] for c in NEW_PAYMENT])
def test_what_the_new_payment_is_made_of(case, new, expected):
    assert apply_payments._new_values(_update(new), CURRENT, "XP9") == expected


@pytest.mark.parametrize("kind, target, op, replaced", [
    ("payment", "precoro", "update", True),
    ("payment", "precoro", "create", False),
    ("payment", "precoro", "archive", False),
    ("payment", "precoro", "link", False),
    ("payment", "xero", "update", False),
    ("supplier", "precoro", "update", False),
    ("bill", "precoro", "update", False),
])
def test_only_an_update_of_a_precoro_payment_is_a_replacement(kind, target, op, replaced):
    action = Action(kind, target, op, {"precoro_id": "P1", "xero_id": "XP9"}, {"amount": "1.00"}, {}, "r")
    assert apply_payments.replaces(action) is replaced


def test_the_approval_grid_says_what_the_replacement_does():
    import datetime as dt

    from recon.approval_grid import grid

    rec = run([linked(date="2026-11-21", amount="40.00")], [xero()])
    shown = grid(rec.plan, {}, dt.timezone.utc)
    assert "Replace payment in Precoro: cancel payment P1 and record it again with Xero&#x27;s date and amount" in shown
    assert "Update payment" not in shown


@pytest.mark.parametrize("kind, expected", [("payment", ["archive", "update", "create"]),
                                            ("bill", ["create", "update", "archive"])])
def test_a_payment_is_cancelled_before_one_is_created(kind, expected):
    """Precoro refuses a payment that would overpay its invoice: a payment Xero deleted and recorded anew is
    cancelled first. Other kinds keep link/create/update/archive."""
    from recon.reconcile.plan import sort_actions

    made = [Action(kind, "precoro", op, {"xero_id": op}, {}, {}, "", "", op) for op in ("create", "archive", "update")]
    assert [a.op for a in sort_actions(made)] == expected


@pytest.mark.parametrize("xero_side", [
    [pay("XP9", "XP9", active=False), pay("XP10", "XP10")],  # deleted, recorded again the same day and amount
    [pay("XP10", "XP10")],  # the deleted one no longer listed
], ids=["deleted-listed", "deleted-gone"])
def test_a_cancelled_payment_still_naming_a_deleted_xero_payment_is_never_adopted(xero_side):
    """A cancel keeps the payment's externalId (only a replacement clears it): harmless. That id keeps the
    cancelled payment paired with the deleted Xero payment (listed or not), which Xero never restores, so it is
    no match candidate for the new one: the stored link is what keeps it apart (this passes with the rule's
    match_inactive set either way); the new one is created."""
    rec = run([linked(active=False)], xero_side)
    assert [(a.op, a.keys.get("precoro_id"), a.keys.get("xero_id")) for a in rec.plan.actions] == [
        ("create", None, "XP10")]
