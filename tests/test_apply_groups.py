"""Actions of one target, kind and operation go to Xero together (recon.apply.groups): one read of the records
with the IDs filter and one write for the group, each action still checked on its own, and a process killed
after the group's write finishes on the next run without writing again. Real connectors, both emulators."""

from __future__ import annotations

import os
import signal

import httpx
import pytest

from recon.apply import apply_plan, groups
from recon.connectors.base import WriteRequest
from recon.connectors.pacing import reset_pacers
from recon.reconcile.model import Action, Decision, Plan
from recon.store import Store
from test_apply_kit import sandbox_connectors, sandbox_settings, start_sandbox
from test_apply_sandbox import suppliers

CLOCK = lambda: "2026-11-23T10:00:00Z"  # noqa: E731
#: what each of five suppliers' update meets in Xero, and what becomes of it
CASES = (("written", "applied"), ("changed in Xero since the plan", "refused"),
         ("already holds the new e-mail", "applied"), ("rejected", "skipped"), ("written too", "applied"))


@pytest.fixture()
def sandbox():
    reset_pacers()
    with start_sandbox() as sb:
        yield sb


def _xero_calls(sb) -> dict[str, int]:
    routes = httpx.get(f"{sb.xero_url}/_sandbox/stats").json()["by_route"]
    return {r: n for r, n in routes.items() if not r.endswith("/connect/token")}


def _plan(sb, settings) -> tuple[Plan, list[Decision]]:
    """Five supplier updates into Xero (a new e-mail from Precoro), Xero set up as :data:`CASES` says."""
    with sandbox_connectors(settings) as (xero, precoro):
        xs, ps = suppliers(xero, "xero"), suppliers(precoro, "precoro")
        names = sorted(n for n in xs if n in ps and ps[n]["xero_id"] == xs[n]["id"] and xs[n]["active"] == "true")[:5]
        actions = tuple(Action("supplier", "xero", "update", {"precoro_id": ps[n]["id"], "xero_id": xs[n]["id"]},
                               {"email": f"group{i}@new.test"}, {"email": xs[n]["email"]}, "email changed in Precoro",
                               "mismatch", n) for i, n in enumerate(names))
        behind = [WriteRequest("behind-1", "supplier", "update", xs[names[1]]["id"], {"email": "someone@else.test"}),
                  WriteRequest("behind-2", "supplier", "update", xs[names[2]]["id"], {"email": "group2@new.test"})]
        assert all(r.ok for r in xero.write(behind))
    plan = Plan("group-run", ("supplier",), actions)
    decisions = [Decision(plan.fingerprint, a.id, "reject" if n == 3 else "approve", "ana", CLOCK())
                 for n, a in enumerate(actions)]
    return plan, decisions


def test_a_group_is_read_and_written_in_one_call_each_and_each_action_checked_on_its_own(sandbox, tmp_path):
    settings = sandbox_settings(sandbox, tmp_path)
    plan, decisions = _plan(sandbox, settings)
    assert [len(g) for g in groups(plan.actions, {"xero": type("X", (), {"batch_size": 50})()})] == [5]
    sandbox.xero.stats.reset()
    with Store(settings.state_path) as store, sandbox_connectors(settings) as conns:
        store.record_decisions(decisions)
        outcome = apply_plan(plan, store, conns, clock=CLOCK, progress=False)
    assert [r.status for r in outcome.results] == [status for _, status in CASES]
    assert "changed in xero since the plan" in outcome.results[1].message
    assert outcome.results[2].message == "xero already holds the new values"
    assert _xero_calls(sandbox) == {"GET /api.xro/2.0/Contacts": 1, "POST /api.xro/2.0/Contacts": 1}
    with sandbox_connectors(settings) as (xero, _):
        now = xero.read_many("supplier", [a.keys["xero_id"] for a in plan.actions])
    assert [now[a.keys["xero_id"]]["email"] for a in plan.actions] == [
        "group0@new.test", "someone@else.test", "group2@new.test", plan.actions[3].old["email"], "group4@new.test"]


def test_killed_after_a_group_was_written_the_next_run_finishes_without_writing_again(sandbox, tmp_path):
    settings = sandbox_settings(sandbox, tmp_path)
    plan, decisions = _plan(sandbox, settings)
    with Store(settings.state_path) as store:
        store.record_decisions(decisions)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            def hook(n: int, when: str) -> None:
                # journal rows: refused (1), done of the one already holding its values (2), started x2 (3, 4),
                # then the group's write, then done of the first (5)
                if (n, when) == (5, "before"):
                    os.kill(os.getpid(), signal.SIGKILL)
            with Store(settings.state_path) as store, sandbox_connectors(settings) as conns:
                apply_plan(plan, store, conns, clock=CLOCK, progress=False, run_id="killed", on_journal=hook)
            code = 0
        finally:
            os._exit(code)
    status = os.waitpid(pid, 0)[1]
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    writes = _xero_calls(sandbox).get("POST /api.xro/2.0/Contacts", 0)
    with Store(settings.state_path) as store, sandbox_connectors(settings) as conns:
        assert {e.phase for e in store.journal_state(plan.fingerprint).values()} == {"started", "refused", "done"}
        again = apply_plan(plan, store, conns, clock=CLOCK, progress=False, run_id="again")
        done = store.journal_rows(plan.fingerprint).query("phase == 'done'")["action_id"].tolist()
    assert [r.status for r in again.results] == ["applied", "refused", "skipped", "skipped", "applied"]
    assert all(r.message == "xero already holds the new values" for r in again.results if r.status == "applied")
    assert _xero_calls(sandbox).get("POST /api.xro/2.0/Contacts", 0) == writes  # nothing written twice
    assert sorted(done) == sorted(a.id for n, a in enumerate(plan.actions) if n in (0, 2, 4))
