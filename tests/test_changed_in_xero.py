"""Documents recon sent to Xero and someone then changed in Xero, reported in every run with when (both emulators,
the real connectors, changes made through Xero's API)."""

from __future__ import annotations

import httpx
import pytest

from recon.connectors.base import WriteRequest
from recon import report_views as views
from recon.report import load_run, render
from recon.sent import NOBODY_KNOWN, changed_in_xero, sent_documents
from recon.workbench import Session
from test_apply_kit import sandbox_connectors
from test_revert import demo_run, snapshot

from test_apply_kit import start_sandbox

DOCS = ("purchase_order", "bill")


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox() as sb:
        yield sb


def test_a_document_edited_in_xero_after_recon_sent_it_is_reported_in_every_run(sandbox, tmp_path):
    s, store, plan, _ = demo_run(sandbox, tmp_path)
    assert changed_in_xero(snapshot(s), sent_documents(store.journal_rows()), store.baselines(DOCS)).empty  # as recon sent them

    po = next(a for a in plan.actions if a.label == "PO-00008")
    bill = next(a for a in plan.actions if a.label == "TH-10077")
    other = next(a for a in plan.actions if a.kind == "supplier" and a.target == "precoro" and a.keys.get("xero_id"))
    with sandbox_connectors(s) as (xero, _):
        po_id = xero.find("purchase_order", {"number": "PO-00008"})
        lines = xero.read("purchase_order", po_id)["lines"]
        edited = [{**line, "quantity": "61"} if n == 0 else line for n, line in enumerate(lines)]
        [result] = xero.write([WriteRequest("edit-po", "purchase_order", "update", po_id, {"lines": edited})])
        assert result.ok, result.error  # an app's edit through Xero's API
        token = xero.tokens.token()
    # a person's edit in Xero (the sandbox's X-Sandbox-User header stands for Xero's web app)
    reply = httpx.post(f"{sandbox.xero_url}/api.xro/2.0/Invoices/{bill.keys['xero_id']}",
                       json={"Contact": {"ContactID": other.keys["xero_id"]}},
                       headers={"Authorization": f"Bearer {token['access_token']}",
                                "xero-tenant-id": "sandbox-tenant", "X-Sandbox-User": "Hana Kereama"})
    assert reply.status_code == 200, reply.text

    found = changed_in_xero(snapshot(s), sent_documents(store.journal_rows()), store.baselines(DOCS))
    rows = {(r["label"], r["field"]): r for r in found.to_dict("records")}
    amount = rows[("PO-00008", "lines[1].quantity")]
    assert (amount["sent"], amount["found"]) == ("60.0000", "61.0000")
    assert amount["reason"] == "changed in Xero after recon sent it: the amount"
    contact = rows[("TH-10077", "supplier_xero_id")]
    assert contact["found"] == other.keys["xero_id"] and contact["reason"].endswith("the contact")
    assert amount["changed_at"] > amount["sent_at"] or amount["changed_at"].startswith("20")
    assert {r["changed_by"] for r in rows.values()} == {NOBODY_KNOWN}
    assert po.id and {r["sent_in_run"] for r in rows.values()} == {f"apply-{plan.run_id}"}

    # every run says so, in its folder and its audit report, whether or not the one-way rule puts it back
    for run in ("night-2", "night-3"):
        with Session.open(run_id=run, reports_dir=tmp_path / "reports", notebook="test", settings=s,
                          parameters={}, out=lambda _: None) as session:
            session.reconcile(session.fetch(["purchase_order", "bill"], full=True, progress=False),
                              ["purchase_order", "bill"])
            written = session.run_folder.changed_in_xero()
            assert set(zip(written["label"], written["field"])) >= {("PO-00008", "lines[1].quantity"),
                                                                    ("TH-10077", "supplier_xero_id")}
            by = dict(zip(written["label"], written["changed_by"]))  # from each document's history in Xero
            assert by["TH-10077"].startswith("Hana Kereama (Edited, ")
            assert by["PO-00008"].startswith("an app through Xero's API (Edited, ")
            shown = views.changed_in_xero_view(session.run_folder.changed_in_xero(), session.zone()).data
            assert "t-changed-in-xero" in shown and "PO-00008" in shown and "Hana Kereama (Edited, " in shown
            assert "Purchase order" in shown and "No purchase order or bill" not in shown  # the notebook's view
            report = render(load_run(session.folder))
            assert "Changed in Xero after recon sent it" in report and "changed in Xero after recon sent it: the amount" in report
        reads = sum(n for route, n in httpx.get(f"{sandbox.xero_url}/_sandbox/stats").json()["by_route"].items()
                    if route.endswith("/History"))
        assert reads == 2  # one per change, read by the first run; the second took who from the first run's file


def test_a_status_moved_to_authorised_then_paid_outside_recon_is_reported(sandbox, tmp_path):
    from recon.apply import apply_plan
    from recon.reconcile.model import Action, Decision, Plan
    from recon.store import Store
    from test_apply_kit import sandbox_settings
    from test_revert import CLOCK, _pay

    sandbox.reset("demo")
    s = sandbox_settings(sandbox, tmp_path)
    with sandbox_connectors(s) as (xero, _):
        contact = next(r["ContactID"] for p in xero.fetch_kind("supplier") for r in p.records)
    new = {"number": "SENT-1", "supplier_xero_id": contact, "date": "2026-11-20", "due_date": "2026-12-20",
           "currency": "NZD", "status": "submitted", "line_amount_types": "Exclusive",
           "lines": [{"description": "desk", "quantity": "2.0000", "unit_amount": "150.0000", "account_code": "300"}]}
    plan = Plan("sent", ("bill",), (Action("bill", "xero", "create", {"precoro_id": "900"}, new, {}, "not in Xero",
                                           "only_in_precoro", "SENT-1"),))
    with Store(s.state_path) as store, sandbox_connectors(s) as conns:
        store.record_decision(Decision(plan.fingerprint, plan.actions[0].id, "approve", "ana", CLOCK()))
        [result] = apply_plan(plan, store, conns, clock=CLOCK, progress=False).results
        assert result.status == "applied", result.message
        journal, baselines = store.journal_rows(), store.baselines(DOCS)
    assert changed_in_xero(snapshot(s), sent_documents(journal), baselines).empty

    with sandbox_connectors(s) as (xero, _):  # an accountant approves it in Xero, then pays it
        [authorised] = xero.write([WriteRequest("approve-in-xero", "bill", "update", result.target_id,
                                                {"status": "approved"})])
        assert authorised.ok, authorised.error
    found = changed_in_xero(snapshot(s), sent_documents(journal), baselines)
    assert found[["field", "sent", "found", "reason"]].values.tolist() == [
        ["status", "submitted", "approved", "changed in Xero after recon sent it: the status"]]
    _pay(sandbox, s, "SENT-1", "345.00")  # 300 + 15% GST
    found = changed_in_xero(snapshot(s), sent_documents(journal), baselines)
    assert found[["field", "sent", "found"]].values.tolist() == [["status", "submitted", "paid"]]
