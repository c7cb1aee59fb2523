"""The whole loop on the sandbox: fetch, reconcile the demo data, approve all, apply, reconcile again.

Real parts throughout: both emulators over loopback HTTP, the xero-python SDK and httpx connectors, the
reconcile core, SQLite. Kill/resume and fault runs must end in the same emulator state as an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest

from recon.apply import apply_plan
from recon.approve import ApprovalModel, Policy, apply_policy
from recon.fetch import FetchOptions, fetch
from recon.reconcile import NO_CHANGES, reconcile
from recon.reconcile.model import Plan
from recon.sandbox import demo
from recon.schema import FRAME_NAMES, KINDS
from recon.store import Store
from test_apply_kit import SANDBOX_LIMITS, emulator_state, sandbox_connectors, sandbox_settings, start_sandbox

CLOCK = lambda: "2026-11-23T10:00:00Z"  # noqa: E731
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox() as sb:
        yield sb


settings, connectors, state = sandbox_settings, sandbox_connectors, emulator_state


def reconciled(s, store, run_id):
    snap = fetch(s, kinds=KINDS, full=True, progress=False, options=FetchOptions(limits=SANDBOX_LIMITS))
    return reconcile(snap, KINDS, store.links(), store.baselines(FRAME_NAMES), run_id=run_id)


def fresh(sb, folder) -> Plan:
    """Demo data in both emulators, the demo links and baselines in a new store, every action approved."""
    sb.reset("demo")
    s = settings(sb, folder)
    with Store(s.state_path) as store:
        store.seed(links=demo.links(), baselines=demo.baseline())
        plan = reconciled(s, store, "before").plan
        apply_policy(ApprovalModel(plan, store, "ana", CLOCK), Policy.parse("demo"))
    return plan


def apply_in_child(sb, folder, plan, *, kill_at: tuple[int, str] | None = None) -> int:
    """Apply in a forked process that SIGKILLs itself at ``kill_at`` = (n-th journal write, before/after)."""
    return apply_settings_in_child(settings(sb, folder), plan, kill_at=kill_at)


def apply_settings_in_child(s, plan, *, kill_at: tuple[int, str] | None = None) -> int:
    """:func:`apply_in_child` with the profile's settings ``s`` made already; the child's wait status."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            def hook(n: int, when: str) -> None:
                if (n, when) == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
            with Store(s.state_path) as store, connectors(s) as conns:
                apply_plan(plan, store, conns, clock=CLOCK, progress=False, on_journal=hook)
            code = 0
        finally:
            os._exit(code)
    return os.waitpid(pid, 0)[1]


def no_duplicates(sb) -> None:
    x, p = sb.xero.dump(), sb.precoro.dump()
    for name, keys in ((x["Contacts"], ("Name",)), (x["PurchaseOrders"], ("PurchaseOrderNumber",)),
                       (x["Invoices"], ("InvoiceNumber", "Type")), (x["Payments"], ("PaymentID",)),
                       (p["suppliers"], ("name",)), (p["payments"], ("externalId",) )):
        counts = Counter(tuple(r.get(k) for k in keys) for r in name)
        assert not [k for k, n in counts.items() if n > 1 and any(k)], f"duplicates: {counts.most_common(3)}"


@pytest.fixture(scope="module")
def reference(sandbox, tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference")
    plan = fresh(sandbox, folder)
    assert apply_in_child(sandbox, folder, plan) == 0
    return plan, state(sandbox)


def test_reconcile_approve_apply_reconcile_says_nothing_to_do(sandbox, tmp_path):
    plan = fresh(sandbox, tmp_path)
    assert len(plan.actions) >= 10 and {a.target for a in plan.actions} == {"xero", "precoro"}
    s = settings(sandbox, tmp_path)
    with Store(s.state_path) as store, connectors(s) as conns:
        outcome = apply_plan(plan, store, conns, clock=CLOCK, progress=False, out_dir=tmp_path)
        assert outcome.counts()["applied"] == len(plan.actions), [(r.action_id, r.message) for r in outcome.results
                                                                  if r.status != "applied"]
        after = reconciled(s, store, "after")
        assert after.message == NO_CHANGES, after.differences.to_string()
    x, p = sandbox.xero.dump(), sandbox.precoro.dump()
    assert "Tui Electrical Contractors" in {c["Name"] for c in x["Contacts"]}
    assert "PO-00008" in {po["PurchaseOrderNumber"] for po in x["PurchaseOrders"]}
    green = next(r for r in p["suppliers"] if r["name"] == "Greenleaf Cleaning Services")
    assert green["externalId"] or green.get("xeroId")
    no_duplicates(sandbox)
    assert json.loads((tmp_path / "outcome.json").read_text())["counts"]["applied"] == len(plan.actions)


@pytest.mark.reliability
def test_sigkill_at_many_points_then_resume_equals_an_uninterrupted_run(sandbox, reference, tmp_path):
    plan, expected = reference
    # every third journal write; after a "started" row (before the call) or before a "done" row (after the
    # system committed the write), the two windows where a crash can duplicate or lose a write
    points = [(n, "after" if n % 2 else "before") for n in range(1, 2 * len(plan.actions) + 1, 3)]
    for point in points:
        folder = tmp_path / f"kill{point}"
        folder.mkdir()
        assert fresh(sandbox, folder).fingerprint == plan.fingerprint
        status = apply_in_child(sandbox, folder, plan, kill_at=point)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, point
        assert apply_in_child(sandbox, folder, plan) == 0
        assert state(sandbox) == expected, f"killed after journal write {point}"
        no_duplicates(sandbox)


@pytest.mark.reliability
@pytest.mark.parametrize("faults, urls", [
    ({"rate_5xx": 0.3, "max_faults": 8, "seed": 5}, ("xero_url", "precoro_url")),
    ({"rate_drop_after": 0.3, "max_faults": 8, "seed": 6, "methods": ["POST", "PUT", "PATCH"]}, ("xero_url", "precoro_url")),
    # a 429 from Xero holds every call for the rest of its minute (X-MinLimit-Remaining: 0): Precoro's only
    ({"rate_429": 0.5, "max_faults": 3, "seed": 7, "retry_after": 0}, ("precoro_url",)),
])
def test_injected_faults_reach_the_same_state(sandbox, reference, tmp_path, faults, urls):
    plan, expected = reference
    fresh(sandbox, tmp_path)
    for url in (getattr(sandbox, u) for u in urls):
        httpx.post(f"{url}/_sandbox/faults", json=faults).raise_for_status()
    s = settings(sandbox, tmp_path)
    try:
        with Store(s.state_path) as store, connectors(s) as conns:
            for attempt in range(6):
                out = apply_plan(plan, store, conns, clock=CLOCK, progress=False, run_id=f"attempt-{attempt}")
                if out.counts()["failed"] == 0:
                    break
        injected = sum(httpx.get(f"{u}/_sandbox/faults").json()["injected"] for u in (sandbox.xero_url, sandbox.precoro_url))
    finally:
        for url in (sandbox.xero_url, sandbox.precoro_url):
            httpx.post(f"{url}/_sandbox/faults", json={"rate_5xx": 0, "rate_drop_after": 0, "rate_429": 0, "methods": []})
    assert injected > 0 and out.counts()["failed"] == 0
    assert state(sandbox) == expected
    no_duplicates(sandbox)


def _cli_env(sb, folder) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECON_")}
    return {**env, "PYTHONPATH": str(ROOT), "USER": "ana", "RECON_STATE": str(folder / "state.sqlite"),
            "RECON_TOKEN_FILE": str(folder / "tokens.json"),
            "RECON_XERO_CLIENT_ID": "sandbox-client", "RECON_XERO_CLIENT_SECRET": "sandbox-secret",
            "RECON_XERO_TENANT_ID": "sandbox-tenant", "RECON_XERO_API_URL": sb.xero_url,
            "RECON_XERO_IDENTITY_URL": sb.xero_url, "RECON_PRECORO_TOKEN": "sandbox-token",
            "RECON_PRECORO_EMAIL": "sandbox@example.com", "RECON_PRECORO_BASE_URL": sb.precoro_url}


def test_recon_apply_command_line(sandbox, tmp_path):
    sandbox.reset("demo")
    s = settings(sandbox, tmp_path)
    with Store(s.state_path) as store:
        store.seed(links=demo.links(), baselines=demo.baseline())
        plan = reconciled(s, store, "cli").plan
    (tmp_path / "plan.json").write_text(plan.to_json())
    env = _cli_env(sandbox, tmp_path)
    cmd = [sys.executable, "-m", "recon.cli", "apply", str(tmp_path / "plan.json")]

    dry = subprocess.run([*cmd, "--approve", "all", "--dry-run"], env=env, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.count("dry_run ") == len(plan.actions) and '"method":"PUT"' in dry.stdout

    with Store(s.state_path) as store, store.apply_lock("default", at="2026-11-23T10:00:00Z"):
        busy = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert busy.returncode == 5 and f"held by pid {os.getpid()}" in busy.stderr  # the state store refused

    with Store(s.state_path) as store:
        assert store.decisions(plan.fingerprint) == []  # the dry run approved nothing for real
    done = subprocess.run([*cmd, "--approve", "all"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(plan.actions)} applied" in done.stdout.splitlines()[-1]
    with Store(s.state_path) as store:
        assert reconciled(s, store, "cli-after").message == NO_CHANGES
    assert len((tmp_path / "approvals.jsonl").read_text().splitlines()) == len(plan.actions)
    verify = subprocess.run([sys.executable, "-m", "recon.cli", "verify"], env=env, capture_output=True, text=True)
    assert verify.returncode == 0 and f"{len(plan.actions)} rows intact" in verify.stdout


@pytest.mark.reliability
@pytest.mark.parametrize("system, path, method", [
    # reply lost after Precoro created the supplier (POST), so its externalId PATCH never ran: the next apply
    # finds the unlinked supplier by name and links it instead of creating it again
    ("precoro_url", r"/suppliers$", "POST"),
    ("xero_url", r"/Contacts", "PUT"),          # reply lost after Xero created the contact
    ("xero_url", r"/PurchaseOrders", "PUT"),
])
def test_reply_lost_after_a_committed_create_does_not_duplicate(sandbox, reference, tmp_path, system, path, method):
    plan, expected = reference
    fresh(sandbox, tmp_path)
    url = getattr(sandbox, system)
    httpx.post(f"{url}/_sandbox/faults", json={"rate_drop_after": 1.0, "max_faults": 1, "path_regex": path,
                                               "methods": [method]}).raise_for_status()
    s = settings(sandbox, tmp_path)
    try:
        with Store(s.state_path) as store, connectors(s) as conns:
            first = apply_plan(plan, store, conns, clock=CLOCK, progress=False, run_id="first")
            second = apply_plan(plan, store, conns, clock=CLOCK, progress=False, run_id="second")
        injected = httpx.get(f"{url}/_sandbox/faults").json()["injected"]
    finally:
        httpx.post(f"{url}/_sandbox/faults", json={"rate_drop_after": 0, "path_regex": "", "methods": [], "max_faults": None})
    assert injected == 1
    assert second.counts()["failed"] == 0, [(r.action_id, r.message) for r in second.results if r.status == "failed"]
    no_duplicates(sandbox)
    assert state(sandbox) == expected
