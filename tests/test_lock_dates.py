"""Xero's lock dates, end to end: the emulator refuses a document dated on or before them with Xero's message,
recon reads both in the fetch, the plan holds such documents back with the accountant's choice, no policy
sends them, and approving one dates it the day after the lock."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest
from xero_python.accounting import models as xm

from recon.apply import apply_plan
from recon.approve import ApprovalModel, Policy, apply_policy
from recon.connectors.base import WriteRequest
from recon.errors import RemoteValidationError
from recon.fetch import FetchOptions, fetch
from recon.reconcile import reconcile
from recon.reconcile.locks import LOCKED
from recon.sandbox import demo
from recon.schema import FRAME_NAMES, KINDS
from recon.store import Store
from test_apply_kit import SANDBOX_LIMITS, sandbox_connectors, sandbox_settings, start_sandbox

CLOCK = lambda: "2026-11-23T10:00:00Z"  # noqa: E731
PERIOD = "The document date cannot be before the period lock date"
YEAR_END = "The document date cannot be before the end of year lock date"


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox() as sb:
        yield sb


def lock(sb, **dates: str | None) -> dict:
    reply = httpx.post(f"{sb.xero_url}/_sandbox/organisation", json=dates)
    reply.raise_for_status()
    return reply.json()


def reconciled(s, store, run_id):
    snap = fetch(s, kinds=KINDS, full=True, progress=False, options=FetchOptions(limits=SANDBOX_LIMITS))
    return snap, reconcile(snap, KINDS, store.links(), store.baselines(FRAME_NAMES), run_id=run_id)


def a_bill(xero, date: str) -> WriteRequest:
    supplier = next(r["ContactID"] for p in xero.fetch_kind("supplier") for r in p.records)
    return WriteRequest(key=f"lock-test-{date}", kind="bill", op="create", record_id=None, values={
        "number": f"LOCK-{date}", "supplier_xero_id": supplier, "date": date, "due_date": date, "currency": "NZD",
        "lines": [{"description": "desk", "quantity": "1", "unit_amount": "100.00", "account_code": "300"}]})


def test_the_admin_surface_sets_lock_dates_that_get_organisation_returns(sandbox, tmp_path):
    sandbox.reset("demo")
    with pytest.raises(httpx.HTTPStatusError):
        lock(sandbox, Name="renamed")  # only the lock dates can be set
    lock(sandbox, PeriodLockDate="2026-10-31", EndOfYearLockDate="2026-03-31")
    with sandbox_connectors(sandbox_settings(sandbox, tmp_path)) as (xero, _):
        org = xero.organisation()
        raw, _ = xero.call("get_organisations", operation="GET /Organisation")
    assert (org["period_lock_date"], org["end_of_year_lock_date"]) == ("2026-10-31", "2026-03-31")
    assert raw["Organisations"][0]["PeriodLockDate"].startswith("/Date(1793404800000")  # 2026-10-31, as Xero writes
    lock(sandbox, PeriodLockDate=None, EndOfYearLockDate=None)
    with sandbox_connectors(sandbox_settings(sandbox, tmp_path)) as (xero, _):
        assert xero.organisation()["period_lock_date"] == ""


@pytest.mark.parametrize("dates, on, message", [
    ({"PeriodLockDate": "2026-10-31"}, "2026-10-31", PERIOD),   # on the lock date: refused
    ({"PeriodLockDate": "2026-10-31"}, "2026-10-01", PERIOD),
    ({"EndOfYearLockDate": "2026-03-31", "PeriodLockDate": "2026-10-31"}, "2026-03-01", YEAR_END),
])
def test_a_bill_dated_in_a_locked_period_is_refused_with_xeros_message(sandbox, tmp_path, dates, on, message):
    sandbox.reset("demo")
    lock(sandbox, **dates)
    with sandbox_connectors(sandbox_settings(sandbox, tmp_path)) as (xero, _):
        [refused] = xero.write([a_bill(xero, on)])
        [taken] = xero.write([a_bill(xero, "2026-11-01")])
        # the whole-request shape (summarizeErrors=true): a 400 ValidationException naming the message
        contact = taken.request["body"]["Invoices"][0]["Contact"]["ContactID"]
        body = xm.Invoices(invoices=[xm.Invoice(type="ACCPAY", contact=xm.Contact(contact_id=contact),
                                                date=dt.date.fromisoformat(on), line_items=[xm.LineItem(
                                                    description="x", quantity=1, unit_amount=10, account_code="300")])])
        with pytest.raises(RemoteValidationError) as raised:
            xero.call("create_invoices", body, operation="PUT /Invoices", write=True)
    assert not refused.ok and refused.error == message
    assert taken.ok
    assert raised.value.status == 400 and str(raised.value).endswith(f"HTTP 400: {message}")
    error = json.loads(raised.value.body)
    assert error["Type"] == "ValidationException" and error["ErrorNumber"] == 10
    assert error["Elements"][0]["ValidationErrors"] == [{"Message": message}]
    # a document already in the locked period cannot be voided either
    with sandbox_connectors(sandbox_settings(sandbox, tmp_path)) as (xero, _):
        lock(sandbox, PeriodLockDate="2026-11-30", EndOfYearLockDate=None)
        [void] = xero.write([WriteRequest("void-it", "bill", "archive", taken.record_id, {"status": "voided"})])
    assert not void.ok and void.error == PERIOD


def test_the_plan_holds_locked_documents_back_and_no_policy_sends_them(sandbox, tmp_path):
    sandbox.reset("demo")
    lock(sandbox, PeriodLockDate="2026-11-20")
    s = sandbox_settings(sandbox, tmp_path)
    with Store(s.state_path) as store:
        store.seed(links=demo.links(), baselines=demo.baseline())
        snap, rec = reconciled(s, store, "locked")
        assert snap.meta["xero"]["period_lock_date"] == "2026-11-20"
        locked = {a.label: a for a in rec.plan.actions if a.difference == LOCKED}
        # PO-00008 (dated 2026-11-16) would be created: the choice is to date it the day after the lock
        po = locked["PO-00008"]
        assert po.op == "create" and po.new["date"] == "2026-11-21"
        assert "approve to date it 2026-11-21" in po.reason and PERIOD in po.reason
        # TH-10077 (a bill dated 2026-10-09 already in Xero) and PO-00007's delete: Xero refuses any change
        assert {"TH-10077", "PO-00007"} <= set(locked)
        assert "Xero refuses any change" in locked["TH-10077"].reason
        shown = rec.differences[rec.differences["label"].isin(["PO-00008", "TH-10077"])
                                & (rec.differences["action"] != "none")]
        assert len(shown) and shown["reason"].str.startswith("in a locked period").all()

        model = ApprovalModel(rec.plan, store, "ana", CLOCK)
        approved = apply_policy(model, Policy.parse("demo"))  # demo approves everything else, never these
        assert approved and not {d.action_id for d in approved} & {a.id for a in locked.values()}
        model.decide(po.id, "approve", "date it after the lock")
        model.decide(locked["TH-10077"].id, "approve", "try anyway")
        with sandbox_connectors(s) as conns:
            outcome = apply_plan(rec.plan, store, conns, clock=CLOCK, progress=False)
    results = {r.action_id: r for r in outcome.results}
    assert results[po.id].status == "applied"
    assert results[locked["TH-10077"].id].status == "failed" and PERIOD in results[locked["TH-10077"].id].message
    assert results[locked["PO-00007"].id].status == "skipped"
    sent = next(p for p in sandbox.xero.dump()["PurchaseOrders"] if p["PurchaseOrderNumber"] == "PO-00008")
    assert sent["Date"].startswith("/Date(1795219200000")  # 2026-11-21


def test_an_incremental_fetch_reads_the_lock_dates_again(sandbox, tmp_path):
    sandbox.reset("demo")
    s = sandbox_settings(sandbox, tmp_path)
    first = fetch(s, kinds=KINDS, full=True, progress=False, options=FetchOptions(limits=SANDBOX_LIMITS))
    lock(sandbox, PeriodLockDate="2026-11-20")
    second = fetch(s, kinds=KINDS, previous=first, progress=False, options=FetchOptions(limits=SANDBOX_LIMITS))
    assert first.meta["xero"]["period_lock_date"] == "" and second.meta["xero"]["period_lock_date"] == "2026-11-20"
