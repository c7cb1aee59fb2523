"""Apply through the real connectors (xero-python SDK, httpx) against both emulators on loopback.

The plan is written by hand from the demo data's planted supplier cases (two updates, one create each way)
until the fetch orchestration lands; the reconcile round trip is in ``test_apply_roundtrip.py`` then.
"""

from __future__ import annotations

import json
import os
import signal

import httpx
import pytest

from recon.apply import apply_plan
from recon.approve import ApprovalModel, Policy, apply_policy
from recon.config import load_settings
from recon.connectors import mapping, open_connectors
from recon.reconcile.model import Action, Plan
from recon.sandbox import Sandbox, demo
from recon.store import Store

CLOCK = lambda: "2026-11-23T10:00:00Z"  # noqa: E731
LIMITS = {"minute": 100000, "day": 1000000}
TIMESTAMPS = {"UpdatedDateUTC", "updateDate", "createDate", "createdAt", "updatedAt"}


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(seed="demo", xero_limits=LIMITS, precoro_limits={**LIMITS, "hour": 100000}) as sb:
        yield sb


def settings(sb, tmp_path):
    env = {"RECON_STATE": str(tmp_path / "state.sqlite"), "USER": "ana"}
    return load_settings(env=env).with_sandbox_urls(sb.xero_url, sb.precoro_url)


def suppliers(conn, system) -> dict[str, dict[str, str]]:
    out = {}
    for page in conn.fetch_kind("supplier"):
        for rec in page.records:
            c = mapping.canonical_strings(mapping.to_canonical(system, "supplier", rec), "supplier")
            out[c["name"]] = c
    return out


def build_plan(sb, tmp_path) -> Plan:
    with open_connectors(settings(sb, tmp_path)) as (xero, precoro):
        xs, ps = suppliers(xero, "xero"), suppliers(precoro, "precoro")
    sa, cp = ps["Southern Alps Timber Ltd"], xs["Coastal Packaging Ltd"]
    green = {k: v for k, v in xs["Greenleaf Cleaning Services"].items() if k not in ("id", "updated_at")}
    tui = {k: v for k, v in ps["Tui Electrical Contractors"].items() if k not in ("id", "xero_id", "updated_at")}
    actions = (
        Action("supplier", "precoro", "update", {"precoro_id": sa["id"], "xero_id": sa["xero_id"]},
               {"phone": xs["Southern Alps Timber Ltd"]["phone"]}, {"phone": sa["phone"]}, "phone changed in Xero",
               "mismatch", "Southern Alps Timber Ltd"),
        Action("supplier", "xero", "update", {"precoro_id": ps["Coastal Packaging Ltd"]["id"], "xero_id": cp["id"]},
               {"email": ps["Coastal Packaging Ltd"]["email"]}, {"email": cp["email"]}, "email changed in Precoro",
               "mismatch", "Coastal Packaging Ltd"),
        Action("supplier", "precoro", "create", {"xero_id": green["xero_id"]}, green, {}, "only in Xero",
               "only_in_xero", "Greenleaf Cleaning Services"),
        Action("supplier", "xero", "create", {"precoro_id": ps["Tui Electrical Contractors"]["id"]}, tui, {},
               "only in Precoro", "only_in_precoro", "Tui Electrical Contractors"),
    )
    return Plan("sandbox-run", ("supplier",), actions)


def normalised(sb) -> str:
    """Both emulators' state with the write timestamps taken out (they follow the wall clock)."""
    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k not in TIMESTAMPS}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v
    return json.dumps({"xero": strip(sb.xero.dump()), "precoro": strip(sb.precoro.dump())}, sort_keys=True, default=str)


def set_faults(sb, body, systems=("xero", "precoro")) -> None:
    for system in systems:
        url = sb.xero_url if system == "xero" else sb.precoro_url
        httpx.post(f"{url}/_sandbox/faults", json=body).raise_for_status()


def apply_in_child(sb, tmp_path, plan, *, kill_at: int | None = None) -> int:
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            def hook(n: int) -> None:
                if n == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
            with Store(tmp_path / "state.sqlite") as store, open_connectors(settings(sb, tmp_path)) as conns:
                apply_plan(plan, store, conns, clock=CLOCK, progress=False, on_journal=hook)
            code = 0
        finally:
            os._exit(code)
    return os.waitpid(pid, 0)[1]


def fresh(sb, tmp_path) -> Plan:
    sb.reset("demo")
    plan = build_plan(sb, tmp_path)
    with Store(tmp_path / "state.sqlite") as store:
        store.seed(links=demo.links())
        apply_policy(ApprovalModel(plan, store, "ana", CLOCK), Policy.parse("demo"))
    return plan


@pytest.fixture(scope="module")
def reference(sandbox, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ref")
    plan = fresh(sandbox, tmp)
    assert apply_in_child(sandbox, tmp, plan) == 0
    return normalised(sandbox)


def test_apply_through_both_apis(sandbox, tmp_path):
    plan = fresh(sandbox, tmp_path)
    s = settings(sandbox, tmp_path)
    with Store(s.state_path) as store, open_connectors(s) as (xero, precoro):
        outcome = apply_plan(plan, store, (xero, precoro), clock=CLOCK, progress=False)
        assert outcome.counts()["applied"] == 4, [r.message for r in outcome.results]
        xs, ps = suppliers(xero, "xero"), suppliers(precoro, "precoro")
        assert ps["Southern Alps Timber Ltd"]["phone"] == xs["Southern Alps Timber Ltd"]["phone"]
        assert xs["Coastal Packaging Ltd"]["email"] == ps["Coastal Packaging Ltd"]["email"] == "ap@coastalpack.example"
        assert ps["Greenleaf Cleaning Services"]["xero_id"] == xs["Greenleaf Cleaning Services"]["id"]
        tui_x = xs["Tui Electrical Contractors"]["id"]
        assert store.xero_id_of("supplier", ps["Tui Electrical Contractors"]["id"]) == tui_x
        base = store.baselines(["supplier"])["supplier"].set_index("xero_id")
        assert base.loc[tui_x, "name"] == "Tui Electrical Contractors"
        before = (sandbox.xero.dump(), sandbox.precoro.dump())
        again = apply_plan(plan, store, (xero, precoro), clock=CLOCK, progress=False, run_id="again")
        assert again.counts()["skipped"] == 4 and (sandbox.xero.dump(), sandbox.precoro.dump()) == before


def test_dry_run_shows_the_sdk_and_http_requests(sandbox, tmp_path):
    plan = fresh(sandbox, tmp_path)
    before = normalised(sandbox)
    s = settings(sandbox, tmp_path)
    with Store(s.state_path) as store, open_connectors(s) as conns:
        outcome = apply_plan(plan, store, conns, clock=CLOCK, progress=False, dry_run=True)
    requests = {plan.by_id()[r.action_id].label: r.request for r in outcome.results}
    assert requests["Tui Electrical Contractors"]["method"] == "PUT"
    assert requests["Tui Electrical Contractors"]["path"].startswith("/api.xro/2.0/Contacts")
    assert requests["Southern Alps Timber Ltd"]["method"] in ("PUT", "PATCH", "POST")
    assert normalised(sandbox) == before


def test_stale_target_in_precoro_is_refused(sandbox, tmp_path):
    plan = fresh(sandbox, tmp_path)
    s = settings(sandbox, tmp_path)
    with Store(s.state_path) as store, open_connectors(s) as (xero, precoro):
        sa = suppliers(precoro, "precoro")["Southern Alps Timber Ltd"]
        from recon.connectors.base import WriteRequest
        [res] = precoro.write([WriteRequest("someone-else", "supplier", "update", sa["id"], {"phone": "+64 3 555 0000"})])
        assert res.ok, res.error
        outcome = apply_plan(plan, store, (xero, precoro), clock=CLOCK, progress=False)
        [refused] = [r for r in outcome.results if r.status == "refused"]
        assert plan.by_id()[refused.action_id].label == "Southern Alps Timber Ltd"
        assert "phone: plan saw '+64 3 555 0142', now '+64 3 555 0000'" in refused.message
        assert suppliers(precoro, "precoro")["Southern Alps Timber Ltd"]["phone"] == "+64 3 555 0000"
        assert outcome.counts()["applied"] == 3


@pytest.mark.slow
@pytest.mark.parametrize("point", range(1, 9))
def test_sigkill_at_each_journal_write_then_resume(sandbox, reference, tmp_path, point):
    plan = fresh(sandbox, tmp_path)
    status = apply_in_child(sandbox, tmp_path, plan, kill_at=point)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert apply_in_child(sandbox, tmp_path, plan) == 0
    assert normalised(sandbox) == reference


@pytest.mark.slow
@pytest.mark.parametrize("faults, systems", [
    # a 429 in Xero holds every call for the rest of the minute (X-MinLimit-Remaining: 0): Precoro's only here
    ({"rate_429": 0.5, "max_faults": 3, "seed": 1}, ("precoro",)),
    ({"rate_5xx": 0.4, "max_faults": 6, "seed": 2}, ("xero", "precoro")),
    ({"rate_drop_after": 0.4, "max_faults": 6, "seed": 3}, ("xero", "precoro")),
])
def test_injected_faults_same_final_state(sandbox, reference, tmp_path, faults, systems):
    plan = fresh(sandbox, tmp_path)
    set_faults(sandbox, {**faults, "retry_after": 0}, systems)
    s = settings(sandbox, tmp_path)
    with Store(s.state_path) as store, open_connectors(s) as conns:
        for attempt in range(5):
            if apply_plan(plan, store, conns, clock=CLOCK, progress=False, run_id=f"a{attempt}").counts()["failed"] == 0:
                break
    injected = sum(httpx.get(f"{sandbox.xero_url if sys == 'xero' else sandbox.precoro_url}/_sandbox/faults").json()["injected"]
                   for sys in systems)
    assert injected > 0
    set_faults(sandbox, {k: 0 for k in faults if k.startswith("rate_")})
    assert normalised(sandbox) == reference
