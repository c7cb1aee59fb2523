"""A linked payment that differs is replaced in Precoro (cancelled, recorded anew), end to end on the emulators.

Precoro payments have no PUT (reference/precoro-api.md sections 7 and 9: create and cancel only), so an update
of one is a cancel and a create (recon/apply_payments.py). Each change is made through a public API, as a person
makes it: a Precoro payment recorded by hand with the wrong amount (Precoro's POST /payments), a Precoro payment
cancelled by hand (PATCH status=canceled), a Xero payment's date edited (what Xero's UI allows on an unreconciled
payment and its API does not: the emulator's load stands in for it). Then reconcile, approve, apply, reconcile:
nothing is left, twice over; and a run killed between the two writes, or after the second, finishes on resume.
"""

from __future__ import annotations

import copy
import datetime as dt
import signal
from decimal import Decimal

import httpx
import pytest
from xero_python.accounting import Account, Invoice, Payment, PaymentDelete, Payments

from recon.apply import apply_plan
from recon.approve import ApprovalModel
from recon.config import SANDBOX_PRECORO_EMAIL, SANDBOX_PRECORO_TOKEN, SANDBOX_XERO_TENANT_ID
from recon.reconcile import NO_CHANGES
from recon.store import Store
from test_apply_kit import sandbox_connectors, sandbox_settings, start_sandbox
from test_apply_roundtrip import CLOCK, apply_settings_in_child, fresh, reconciled
from xero_sdk import make_sdk

HEADERS = {"X-AUTH-TOKEN": SANDBOX_PRECORO_TOKEN, "email": SANDBOX_PRECORO_EMAIL}


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox() as sb:
        yield sb


def in_step(sb, folder):
    """The demo synced once, so that a reconcile finds nothing to do; returns the settings."""
    plan = fresh(sb, folder)
    s = sandbox_settings(sb, folder)
    with Store(s.state_path) as store, sandbox_connectors(s) as conns:
        apply_plan(plan, store, conns, clock=CLOCK, progress=False)
        assert reconciled(s, store, "in-step").message == NO_CHANGES
    return s


def payments_of(sb, xero_id):
    """Precoro's payments that name ``xero_id`` or were cancelled, by status."""
    return [p for p in sb.precoro.dump()["payments"] if p.get("externalId") == xero_id]


def precoro(sb):
    return httpx.Client(base_url=sb.precoro_url, headers=HEADERS)


def approve_all(store, plan):
    ApprovalModel(plan, store, "ana", CLOCK).decide_many([a.id for a in plan.actions], "approve")


def edit_xero_payment_date(sb, xero_id, day):
    record = copy.deepcopy(next(p for p in sb.xero.dump()["Payments"] if p["PaymentID"] == xero_id))
    record["Date"] = f"{day}T00:00:00"
    record.pop("UpdatedDateUTC")  # the edit bumps it
    sb.xero.load({"Payments": [record]})


def linked_payment(s):
    with Store(s.state_path) as store:
        links = store.links("payment")
    return str(links["precoro_id"].iloc[0]), str(links["xero_id"].iloc[0])


def plan_after(s, run_id):
    with Store(s.state_path) as store:
        rec = reconciled(s, store, run_id)
        approve_all(store, rec.plan)
    return rec


def apply_and_check_converged(s, plan):
    with Store(s.state_path) as store, sandbox_connectors(s) as conns:
        outcome = apply_plan(plan, store, conns, clock=CLOCK, progress=False)
        assert outcome.counts()["applied"] == len(plan.actions), [(r.action_id, r.message) for r in outcome.results]
        for n in (1, 2):  # a second night finds nothing either
            after = reconciled(s, store, f"after-{n}")
            assert after.message == NO_CHANGES, after.differences.to_string()
        again = apply_plan(plan, store, conns, clock=CLOCK, progress=False)
        assert {r.status for r in again.results} == {"skipped"}  # never applied twice
    return outcome


def test_a_xero_payment_whose_date_changed_is_recorded_anew_in_precoro(sandbox, tmp_path):
    s = in_step(sandbox, tmp_path)
    old_id, xero_id = linked_payment(s)
    before = next(p for p in sandbox.precoro.dump()["payments"] if str(p["id"]) == old_id)
    edit_xero_payment_date(sandbox, xero_id, "2026-10-23")
    rec = plan_after(s, "edited")
    (action,) = rec.plan.actions
    assert (action.kind, action.target, action.op, dict(action.new)) == ("payment", "precoro", "update",
                                                                         {"date": "2026-10-23"})
    assert "cannot edit a payment" in action.reason and "anew" in action.reason
    outcome = apply_and_check_converged(s, rec.plan)
    (result,) = outcome.results
    old, new = [p for p in sandbox.precoro.dump()["payments"] if str(p["id"]) in (old_id, result.target_id)]
    assert (old["status"], old["externalId"]) == ("canceled", None)  # cancelled, and no longer naming Xero's
    assert (new["status"], new["externalId"], new["payDate"][:10]) == ("paid", xero_id, "2026-10-23")
    assert (new["sumPaid"], new["invoice"]) == (before["sumPaid"], before["invoice"])
    invoice = next(i for i in sandbox.precoro.dump()["invoices"] if i["id"] == before["invoice"]["id"])
    assert Decimal(invoice["sumPaid"]) >= Decimal(before["sumPaid"])  # the invoice keeps the payment
    with Store(s.state_path) as store:
        assert store.xero_id_of("payment", result.target_id) == xero_id
        assert store.xero_id_of("payment", old_id) is None


def test_a_payment_recorded_by_hand_in_precoro_with_another_amount_is_linked_then_replaced(sandbox, tmp_path):
    s = in_step(sandbox, tmp_path)
    x = sandbox.xero.dump()
    linked = {p["PaymentID"] for p in x["Payments"]}
    bill = next(i for i in x["Invoices"] if i["Type"] == "ACCPAY" and i["Status"] == "AUTHORISED"
                and i["AmountDue"] >= Decimal("30") and i["InvoiceID"] in
                {b["externalId"] for b in sandbox.precoro.dump()["invoices"] if b.get("externalId")})
    invoice = next(b for b in sandbox.precoro.dump()["invoices"] if b.get("externalId") == bill["InvoiceID"])
    # Xero: a payment of 20.00 on the bill, through the official SDK
    sdk = make_sdk(sandbox.xero_url).acc
    sdk.create_payments(SANDBOX_XERO_TENANT_ID, Payments(payments=[Payment(
        invoice=Invoice(invoice_id=bill["InvoiceID"]), account=Account(code="090"), amount=Decimal("20.00"),
        date=dt.date(2026, 11, 2))]))
    xero_id = next(p["PaymentID"] for p in sandbox.xero.dump()["Payments"] if p["PaymentID"] not in linked)
    # Precoro: the same payment typed in by hand, 2.00 wrong, with no Xero id
    with precoro(sandbox) as api:
        made = api.post("/payments", data={"invoice[id]": invoice["id"], "sumPaid": "22.00", "logicType": "0",
                                           "payDate": "2026-11-02T00:00:00+00:00"})
        assert made.status_code == 200, made.text
    hand = str(made.json()["id"])
    rec = plan_after(s, "by-hand")
    assert sorted((a.op, a.keys.get("precoro_id"), dict(a.new)) for a in rec.plan.actions) == [
        ("link", hand, {}), ("update", hand, {"amount": "20.00"})]
    apply_and_check_converged(s, rec.plan)
    live = [p for p in payments_of(sandbox, xero_id) if p["status"] == "paid"]
    assert [(p["sumPaid"], p["payDate"][:10]) for p in live] == [("20.00", "2026-11-02")]
    hand_now = next(p for p in sandbox.precoro.dump()["payments"] if str(p["id"]) == hand)
    assert (hand_now["status"], hand_now["externalId"]) == ("canceled", None)


def test_a_payment_cancelled_by_hand_in_precoro_is_recorded_again(sandbox, tmp_path):
    s = in_step(sandbox, tmp_path)
    old_id, xero_id = linked_payment(s)
    idn = next(p["idn"] for p in sandbox.precoro.dump()["payments"] if str(p["id"]) == old_id)
    with precoro(sandbox) as api:
        assert api.patch(f"/payments/{idn}", data={"status": "canceled"}).status_code == 200
    rec = plan_after(s, "cancelled")
    (action,) = rec.plan.actions
    assert (action.op, dict(action.new), dict(action.old)) == ("update", {"active": "true"}, {"active": "false"})
    assert "cannot be restored" in action.reason
    stats_before = sandbox.precoro.middleware.stats.snapshot()
    apply_and_check_converged(s, rec.plan)
    assert [p["status"] for p in payments_of(sandbox, xero_id)] == ["paid"]
    assert _calls(sandbox, "PATCH /payments/{id}") - _calls_in(stats_before, "PATCH /payments/{id}") == 1  # unlink only


def _calls_in(snapshot, route):
    return int((snapshot.get("routes") or snapshot.get("by_route") or {}).get(route, 0))


def _calls(sb, route):
    return _calls_in(sb.precoro.middleware.stats.snapshot(), route)


# journal writes of one replacement: 1 started (cancel), 2 started (create), 3 done. Killed before row 2 the
# cancel has committed and the create not begun; before row 3 the create has committed and is not recorded.
@pytest.mark.parametrize("kill_at", [(1, "after"), (2, "before"), (2, "after"), (3, "before")])
def test_a_replacement_killed_between_its_writes_finishes_on_resume(sandbox, tmp_path, kill_at):
    s = in_step(sandbox, tmp_path)
    old_id, xero_id = linked_payment(s)
    edit_xero_payment_date(sandbox, xero_id, "2026-10-24")
    rec = plan_after(s, "edited")
    (action,) = rec.plan.actions
    patches = _calls(sandbox, "PATCH /payments/{id}")
    assert apply_settings_in_child(s, rec.plan, kill_at=kill_at) == signal.SIGKILL
    outcome = apply_and_check_converged(s, rec.plan)
    (result,) = outcome.results
    assert result.status == "applied", result.message
    payments = payments_of(sandbox, xero_id)
    assert [(p["status"], p["payDate"][:10]) for p in payments] == [("paid", "2026-10-24")]  # one, never two
    old = next(p for p in sandbox.precoro.dump()["payments"] if str(p["id"]) == old_id)
    assert (old["status"], old["externalId"]) == ("canceled", None)
    assert _calls(sandbox, "PATCH /payments/{id}") - patches == 1  # cancelled once, never twice


def delete_xero_payment(sb, xero_id):
    """What Xero's API allows on a payment: delete it (POST /Payments/{id} with Status DELETED), via the SDK."""
    make_sdk(sb.xero_url).acc.delete_payment(SANDBOX_XERO_TENANT_ID, xero_id, PaymentDelete(status="DELETED"))


def record_xero_payment(sb, bill_id, amount, day):
    before = {p["PaymentID"] for p in sb.xero.dump()["Payments"]}
    make_sdk(sb.xero_url).acc.create_payments(SANDBOX_XERO_TENANT_ID, Payments(payments=[Payment(
        invoice=Invoice(invoice_id=bill_id), account=Account(code="090"), amount=amount, date=day)]))
    return next(p["PaymentID"] for p in sb.xero.dump()["Payments"] if p["PaymentID"] not in before)


@pytest.mark.parametrize("recorded_again", [False, True], ids=["deleted", "deleted-and-recorded-again"])
def test_a_payment_deleted_in_xero_is_cancelled_in_precoro(sandbox, tmp_path, recorded_again):
    """Xero's only correction of a payment: delete it and, for a new date or amount, record another (a new
    PaymentID). The old Precoro payment is cancelled (rule archive_on = Precoro), the new one created, and the
    cancelled one, which may keep naming the deleted Xero payment, is never linked again."""
    s = in_step(sandbox, tmp_path)
    old_id, xero_id = linked_payment(s)
    old = next(p for p in sandbox.precoro.dump()["payments"] if str(p["id"]) == old_id)
    bill_id = next(p["Invoice"]["InvoiceID"] for p in sandbox.xero.dump()["Payments"] if p["PaymentID"] == xero_id)
    delete_xero_payment(sandbox, xero_id)
    new_xero = record_xero_payment(sandbox, bill_id, Decimal(str(old["sumPaid"])), dt.date(2026, 10, 25)) \
        if recorded_again else None
    rec = plan_after(s, "deleted")
    ops = sorted((a.op, a.keys.get("precoro_id") or "", a.keys.get("xero_id") or "") for a in rec.plan.actions)
    expected = [("archive", old_id, xero_id)] + ([("create", "", new_xero)] if recorded_again else [])
    assert ops == expected, [(a.op, dict(a.keys), a.reason) for a in rec.plan.actions]
    archive = next(a for a in rec.plan.actions if a.op == "archive")
    assert "deleted or voided in Xero: recon cancels the payment in Precoro" in archive.reason
    apply_and_check_converged(s, rec.plan)
    old_now = next(p for p in sandbox.precoro.dump()["payments"] if str(p["id"]) == old_id)
    assert (old_now["status"], old_now["externalId"]) == ("canceled", xero_id)  # still naming the deleted one
    with Store(s.state_path) as store:
        links = store.links("payment")
        # the cancelled payment stays paired only with the deleted Xero payment (both inactive, which Xero never
        # restores): an audit trail, not a link a later plan could write through or adopt
        assert list(links.loc[links["precoro_id"].astype(str) == old_id, "xero_id"].astype(str)) == [xero_id]
        if recorded_again:
            (new,) = [p for p in payments_of(sandbox, new_xero)]
            assert (new["status"], new["payDate"][:10]) == ("paid", "2026-10-25")
            assert store.xero_id_of("payment", str(new["id"])) == new_xero
