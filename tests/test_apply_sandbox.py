"""Apply through the real connectors (xero-python SDK, httpx) against both emulators on loopback.

A small plan written by hand from the demo data's planted supplier cases (two updates, one create each way),
for what the reconcile round trip (``test_apply_roundtrip.py``) cannot set up: a target changed behind the
plan's back, and the exact requests of a dry run.
"""

from __future__ import annotations

import pytest

from recon.apply import apply_plan
from recon.approve import ApprovalModel, Policy, apply_policy
from recon.connectors import mapping
from recon.reconcile.model import Action, Plan
from recon.sandbox import demo
from recon.store import Store
from test_apply_kit import emulator_state, sandbox_connectors, sandbox_settings, start_sandbox

CLOCK = lambda: "2026-11-23T10:00:00Z"  # noqa: E731


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox() as sb:
        yield sb


settings, open_connectors, normalised = sandbox_settings, sandbox_connectors, emulator_state


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


def fresh(sb, tmp_path) -> Plan:
    sb.reset("demo")
    plan = build_plan(sb, tmp_path)
    with Store(tmp_path / "state.sqlite") as store:
        store.seed(links=demo.links())
        apply_policy(ApprovalModel(plan, store, "ana", CLOCK), Policy.parse("demo"))
    return plan


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


@pytest.mark.reliability
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
        assert "phone: approved against '+64 3 555 0142', found '+64 3 555 0000'" in refused.message
        assert suppliers(precoro, "precoro")["Southern Alps Timber Ltd"]["phone"] == "+64 3 555 0000"
        assert outcome.counts()["applied"] == 3
