"""``recon revert``: the reverse plan of a demo run, applied through the real connectors against both emulators.

The demo run creates, updates, archives and links records of every kind it writes (suppliers both ways, an item
price put back, a PO created and one deleted, a bill's lines put back, a payment created in Precoro, a supplier
linked). Its revert puts every field back, archives, disables, deletes or cancels what it created, removes the
links it made, and lists what Xero's rules keep.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pandas as pd
import pytest

from recon.apply import apply_plan
from recon.approve import ApprovalModel, Policy, apply_policy
from recon.fetch import FetchOptions, fetch
from recon.reconcile import reconcile
from recon.revert import REVERT, reverse_plan
from recon.sandbox import demo
from recon.schema import FRAME_NAMES, KINDS
from recon.store import Store
from test_apply_kit import SANDBOX_LIMITS, sandbox_connectors, sandbox_settings, start_sandbox

CLOCK = lambda: "2026-11-23T10:00:00Z"  # noqa: E731
ROOT = Path(__file__).resolve().parents[1]
#: what a revert cannot put back, by frame: the columns that show it (write timestamps always move)
KEPT = ("updated_at",)


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox() as sb:
        yield sb


def snapshot(s):
    return fetch(s, kinds=KINDS, full=True, progress=False, options=FetchOptions(limits=SANDBOX_LIMITS))


def demo_run(sb, folder):
    """The demo: both emulators seeded, every action approved by the demo policy and applied."""
    sb.reset("demo")
    s = sandbox_settings(sb, folder)
    store = Store(s.state_path)
    store.seed(links=demo.links(), baselines=demo.baseline())
    before = snapshot(s)
    plan = reconcile(before, KINDS, store.links(), store.baselines(FRAME_NAMES), run_id="night").plan
    apply_policy(ApprovalModel(plan, store, "ana", CLOCK), Policy.parse("demo"))
    with sandbox_connectors(s) as conns:
        outcome = apply_plan(plan, store, conns, clock=CLOCK, progress=False)
    assert outcome.counts()["applied"] == len(plan.actions)
    return s, store, plan, before


def revert(s, store, plan, run_id="undo"):
    with sandbox_connectors(s) as conns:
        rp = reverse_plan(plan, store, conns, run_id=run_id, reverts=plan.run_id)
    apply_policy(ApprovalModel(rp, store, "ana", CLOCK), Policy.parse("demo"))
    with sandbox_connectors(s) as conns:
        return rp, apply_plan(rp, store, conns, clock=CLOCK, progress=False, run_id=f"apply-{run_id}")


def frame(snap, system, kind):
    df = snap.frame(system, kind)
    return df.drop(columns=[c for c in KEPT if c in df.columns]).astype("string").fillna("")


def by_id(df):
    return {r["id"]: r for r in df.to_dict("records")}


def test_a_full_revert_of_the_demo_run_gives_back_both_systems_but_what_the_rules_keep(sandbox, tmp_path):
    s, store, plan, before = demo_run(sandbox, tmp_path)
    ops = {(a.kind, a.op, a.target) for a in plan.actions}
    assert {("supplier", "create", "xero"), ("supplier", "create", "precoro"), ("supplier", "update", "xero"),
            ("supplier", "update", "precoro"), ("supplier", "archive", "precoro"), ("item", "update", "precoro"),
            ("purchase_order", "create", "xero"), ("purchase_order", "archive", "xero"), ("bill", "update", "xero"),
            ("payment", "create", "precoro")} <= ops
    assert any(a.op == "link" for a in plan.actions)

    rp, outcome = revert(s, store, plan)
    assert rp.reverts == "night" and {a.difference for a in rp.actions} == {REVERT}
    assert outcome.counts()["applied"] == len(rp.actions), [(r.action_id, r.status, r.message) for r in outcome.results
                                                            if r.status != "applied"]
    # what Xero cannot undo is listed, not tried: the PO the run deleted stays deleted
    assert [(h["label"], h["why"]) for h in rp.held] == [("PO-00007", "a deleted or voided Xero document cannot be restored")]

    after = snapshot(s)
    created = {a.keys.get("precoro_id") or a.keys.get("xero_id"): a for a in plan.actions if a.op == "create"}
    for system in ("xero", "precoro"):
        for kind in KINDS:
            was, now = by_id(frame(before, system, kind)), by_id(frame(after, system, kind))
            new_ids = set(now) - set(was)
            for rid in new_ids:  # records the run created: still there, inactive (archived, disabled, deleted)
                assert now[rid]["active"].lower() == "false", (system, kind, now[rid])
            for rid, record in was.items():
                if kind == "purchase_order" and record.get("number") == "PO-00007":
                    assert now[rid]["status"] in ("deleted", "cancelled")  # kept: Xero cannot restore it
                    continue
                if kind == "supplier" and system == "precoro" and record["xero_id"] == "" and now[rid]["xero_id"]:
                    pytest.fail(f"{record['name']}: the link the run made is still in Precoro")
                assert now[rid] == record, (system, kind, {k: (v, now[rid].get(k)) for k, v in record.items()
                                                           if now[rid].get(k) != v})
    # the links the run made are gone from the state; the demo's own links stay
    assert set(store.links()["xero_id"]) == {link["xero_id"] for link in demo.links()}
    assert created  # the run did create records


def test_a_second_revert_changes_nothing(sandbox, tmp_path):
    s, store, plan, _ = demo_run(sandbox, tmp_path)
    first, _ = revert(s, store, plan, "undo-1")
    x0 = httpx.get(f"{sandbox.xero_url}/_sandbox/stats").json()["by_route"]
    p0 = httpx.get(f"{sandbox.precoro_url}/_sandbox/stats").json()["by_route"]
    again, outcome = revert(s, store, plan, "undo-2")
    assert again.fingerprint == first.fingerprint
    assert {r.status for r in outcome.results} == {"skipped"}
    assert all("already applied" in r.message for r in outcome.results)
    # no write into either system (a new connector's token request is no write)
    writes = lambda by: sum(n for r, n in by.items() if not r.startswith("GET") and "token" not in r)  # noqa: E731
    assert writes(httpx.get(f"{sandbox.xero_url}/_sandbox/stats").json()["by_route"]) == writes(x0) > 0
    assert writes(httpx.get(f"{sandbox.precoro_url}/_sandbox/stats").json()["by_route"]) == writes(p0) > 0


def _pay(sb, s, bill_number, amount="10.00"):
    with sandbox_connectors(s) as (xero, _):
        bill = next(r for p in xero.fetch_kind("bill") for r in p.records if r["InvoiceNumber"] == bill_number)
        account = next(r for r in xero.fetch_kind("account").__next__().records if r.get("Type") == "BANK")
    body = {"Invoice": {"InvoiceID": bill["InvoiceID"]}, "Account": {"AccountID": account["AccountID"]},
            "Date": "2026-11-24", "Amount": str(amount)}
    token = httpx.post(f"{sb.xero_url}/connect/token", data={"grant_type": "client_credentials", "client_id": "sandbox-client",
                                                             "client_secret": "sandbox-secret"}).json()["access_token"]
    reply = httpx.put(f"{sb.xero_url}/api.xro/2.0/Payments", json=body,
                      headers={"Authorization": f"Bearer {token}", "xero-tenant-id": "sandbox-tenant"})
    assert reply.status_code == 200, reply.text


def test_reverts_blocked_by_a_payment_a_lock_date_and_a_later_edit(sandbox, tmp_path):
    s, store, plan, _ = demo_run(sandbox, tmp_path)
    _pay(sandbox, s, "TH-10077")  # a payment on the bill whose lines the run put back
    httpx.post(f"{sandbox.xero_url}/_sandbox/organisation", json={"PeriodLockDate": "2026-11-20"}).raise_for_status()
    coastal = next(a for a in plan.actions if a.label == "Coastal Packaging Ltd" and a.op == "update")
    with sandbox_connectors(s) as (xero, _):  # someone edits in Xero the e-mail recon wrote
        contact = xero.read("supplier", coastal.keys["xero_id"])
        from recon.connectors.base import WriteRequest

        [res] = xero.write([WriteRequest("edit-later", "supplier", "update", coastal.keys["xero_id"],
                                         {"email": "payables@coastalpack.example"})])
        assert res.ok and contact["email"] == coastal.new["email"]
    try:
        rp, outcome = revert(s, store, plan)
    finally:
        httpx.post(f"{sandbox.xero_url}/_sandbox/organisation", json={"PeriodLockDate": None})
    held = {h["label"]: h["why"] for h in rp.held}
    assert "has a payment" in held["TH-10077"]
    assert "locked period" in held["PO-00008"] and "period lock date" in held["PO-00008"]
    results = {rp.by_id()[r.action_id].label: r for r in outcome.results}
    stale = results["Coastal Packaging Ltd"]
    assert stale.status == "refused" and "payables@coastalpack.example" in stale.message
    assert coastal.new["email"] in stale.message  # the value recon wrote, which the revert expected


def test_recon_revert_then_recon_apply_on_the_command_line(sandbox, tmp_path):
    from test_apply_roundtrip import _cli_env

    s, store, plan, _ = demo_run(sandbox, tmp_path)
    store.close()
    reports = tmp_path / "reports"
    night = reports / "night"
    night.mkdir(parents=True)
    (night / "plan.json").write_text(plan.to_json())
    (night / "run.json").write_text(json.dumps({"run_id": "night", "started_at": "2026-11-23T10:00:00Z"}))
    env = {**_cli_env(sandbox, tmp_path), "RECON_REPORTS_DIR": str(reports)}
    made = subprocess.run([sys.executable, "-m", "recon.cli", "revert", "night"], env=env, capture_output=True,
                          text=True, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    folder = Path(made.stdout.strip().splitlines()[-1])
    assert folder.parent == reports and json.loads((folder / "plan.json").read_text())["reverts"] == "night"
    assert "cannot revert archive of purchase_order PO-00007" in made.stdout
    done = subprocess.run([sys.executable, "-m", "recon.cli", "apply", str(folder), "--approve", "all"], env=env,
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    outcome = json.loads((folder / "outcome.json").read_text())
    assert outcome["counts"]["applied"] == len(json.loads((folder / "plan.json").read_text())["actions"]) > 0
    # its own audit report names the run it reverts and what of it cannot be reverted
    from recon.report import load_run, render

    report = render(load_run(folder))
    assert "This run reverts run night" in report and "a deleted or voided Xero document cannot be restored" in report


def test_the_whole_loop_with_a_served_sandbox_then_sync_ipynb_carries_out_the_revert(tmp_path):
    """recon reconcile, recon apply, recon revert, then sync.ipynb with the revert's run id under a policy: the
    reverse plan goes through the same approval and apply as any plan, and leaves nothing to revert."""
    from conftest import clean_env
    from served import recon, recon_sandbox

    env = clean_env(RECON_DATA_DIR=str(tmp_path / "data"), USER="ana")
    reports = tmp_path / "data" / "profiles" / "sandbox" / "reports"
    with recon_sandbox(env):
        made = recon("reconcile", "--objects", "supplier", "--out", str(reports / "night"), env=env)
        assert made.returncode == 0, made.stderr
        applied = recon("apply", "night", "--approve", "all", env=env)
        assert applied.returncode == 0, applied.stdout + applied.stderr
        reverse = recon("revert", "night", "--out", str(reports / "undo"), env=env)
        assert reverse.returncode == 0, reverse.stderr
        assert reverse.stdout.strip().splitlines()[-1] == str(reports / "undo")
        synced = recon("run", "sync.ipynb", "-p", "run_id", "undo", "-p", "policy", "demo", env=env, cwd=tmp_path)
        assert synced.returncode == 0, synced.stdout + synced.stderr
        outcome = json.loads((reports / "undo" / "outcome.json").read_text())
        plan = json.loads((reports / "undo" / "plan.json").read_text())
        assert plan["reverts"] == "night" and outcome["counts"]["applied"] == len(plan["actions"]) > 0
        again = recon("reconcile", "--objects", "supplier", "--out", str(reports / "after"), env=env)
        assert again.returncode == 0, again.stderr
    night = json.loads((reports / "night" / "plan.json").read_text())
    after = json.loads((reports / "after" / "plan.json").read_text())
    # the same changes proposed again, creates included: the revert put both systems back where the night's
    # reconcile found them (the records it created are archived or disabled and unlinked, which reconcile leaves
    # alone: an active record is not matched with an inactive one)
    proposed = lambda plan: {(a["kind"], a["op"], a["target"], a["label"]) for a in plan["actions"]}  # noqa: E731
    assert proposed(after) == proposed(night) and len(proposed(night)) >= 5
