"""The apply engine on two SQLite-backed systems of record (tests/test_apply_kit.py) and a real state store."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from recon.apply import apply_plan, ordered
from recon.approve import ApprovalModel, Policy, apply_policy
from recon.errors import ApprovalError, IntegrityError, LockError
from recon.reconcile.model import Decision
from recon.store import Store
from test_apply_kit import demo_plan, open_ledgers, seed

PLAN = demo_plan()
ACT = {a.label: a for a in PLAN.actions}
CLOCK = lambda: "2026-11-23T10:00:00Z"  # noqa: E731


@pytest.fixture()
def world(tmp_path):
    seed(tmp_path)
    xero, precoro = open_ledgers(tmp_path)
    with Store(tmp_path / "state.sqlite") as store:
        yield tmp_path, store, xero, precoro


def approve_all(store: Store, plan=PLAN) -> None:
    apply_policy(ApprovalModel(plan, store, "ana", CLOCK), Policy.parse("demo"))


def run(store, xero, precoro, plan=PLAN, **kw):
    return apply_plan(plan, store, (xero, precoro), clock=CLOCK, progress=False, **kw)


def statuses(outcome) -> dict[str, str]:
    by_id = {a.id: a.label for a in PLAN.actions}
    return {by_id[r.action_id]: r.status for r in outcome.results}


def test_dependency_order():
    assert [a.kind for a in ordered(PLAN.actions)] == [
        "supplier", "supplier", "tax_rate", "account", "item", "purchase_order", "bill", "payment"]


def test_approved_plan_is_applied_once_with_links_and_baselines(world):
    folder, store, xero, precoro = world
    approve_all(store)
    outcome = run(store, xero, precoro, out_dir=folder / "run")
    assert outcome.counts()["applied"] == 8 and [r.action_id for r in outcome.results] == [a.id for a in ordered(PLAN.actions)]
    new_supplier = store.xero_id_of("supplier", "P1")
    assert new_supplier == "X-supplier-2"
    [po] = [r for r in xero.dump()["purchase_order"]]
    assert po["supplier_xero_id"] == new_supplier  # resolved from the link the supplier action recorded
    assert precoro.read("item", "PI1")["name"] == "Bolt M8" and precoro.read("supplier", "P2")["phone"] == "555"
    links = store.links()
    assert ["tax_rate", "P-tax_rate-1", "INPUT2"] in links.values.tolist()
    assert ["purchase_order", "PO-1", "X-purchase_order-1"] in links.values.tolist()
    base = store.baselines(["item", "supplier"])
    assert base["item"].set_index("xero_id").loc["XI1", "name"] == "Bolt M8"
    assert base["supplier"].set_index("xero_id").loc[new_supplier, "email"] == "ap@nordic.test"
    assert json.loads((folder / "run" / "outcome.json").read_text())["counts"]["applied"] == 8

    writes = (xero.writes(), precoro.writes())
    again = run(store, xero, precoro, run_id="second")
    assert set(statuses(again).values()) == {"skipped"} and (xero.writes(), precoro.writes()) == writes
    assert all(r.message.startswith("already applied in run apply-run-demo") for r in again.results)


def test_dry_run_shows_every_request_and_writes_nothing(world):
    _, store, xero, precoro = world
    approve_all(store)
    outcome = run(store, xero, precoro, dry_run=True)
    assert set(statuses(outcome).values()) == {"dry_run"}
    by_label = {a.label: r for a, r in zip(ordered(PLAN.actions), outcome.results)}
    assert by_label["BOLT"].request == {"method": "PUT", "path": "/item/PI1", "body": {"name": "Bolt M8"}}
    assert by_label["Nordic Timber"].request["idempotency_key"] == ACT["Nordic Timber"].id
    assert (xero.writes(), precoro.writes()) == (0, 0) and store.journal_rows().empty and store.runs().empty


def test_only_approved_actions_are_applied(world):
    _, store, xero, precoro = world
    model = ApprovalModel(PLAN, store, "ana", CLOCK)
    model.decide(ACT["BOLT"].id, "approve")
    model.decide(ACT["Bolt Co"].id, "reject", "phone is right in Precoro")
    assert statuses(run(store, xero, precoro)) == {
        "Nordic Timber": "skipped", "Bolt Co": "skipped", "GST on expenses": "skipped", "400": "skipped",
        "BOLT": "applied", "PO-1": "skipped", "INV-7": "skipped", "payment 120.50": "skipped"}
    assert precoro.read("supplier", "P2")["phone"] == "554" and precoro.writes() == 1 and xero.writes() == 0


@pytest.mark.reliability
def test_stale_target_is_refused_and_the_rest_goes_on(world):
    _, store, xero, precoro = world
    approve_all(store)
    precoro.db.execute("""UPDATE records SET body = json_set(body, '$.name', 'Bolt (steel)') WHERE id = 'PI1'""")
    outcome = run(store, xero, precoro)
    result = {r.action_id: r for r in outcome.results}[ACT["BOLT"].id]
    assert result.status == "refused"
    assert "changed in precoro since the plan was made (name: approved against 'Bolt', found 'Bolt (steel)')" in result.message
    decision = next(d for d in store.decisions(outcome.plan_fingerprint) if d.action_id == ACT["BOLT"].id)
    assert f"the decision: approved by {decision.by} at {decision.at}" in result.message
    assert precoro.read("item", "PI1")["name"] == "Bolt (steel)" and outcome.counts()["applied"] == 7


def test_failing_record_is_recorded_with_the_system_message(world):
    _, store, xero, precoro = world
    approve_all(store)
    xero.arm(reject={"Nordic Timber": ["email", "Email address must be valid."]})
    outcome = run(store, xero, precoro)
    st = statuses(outcome)
    assert st["Nordic Timber"] == st["PO-1"] == "failed" and outcome.counts() == {
        "applied": 6, "skipped": 0, "refused": 0, "failed": 2, "dry_run": 0}
    msg = {r.action_id: r.message for r in outcome.results}
    assert msg[ACT["Nordic Timber"].id] == ("xero refused create of supplier Nordic Timber (field email): "
                                            "Email address must be valid.")
    assert "supplier P1 has no Xero contact yet" in msg[ACT["PO-1"].id]
    xero.arm(reject={})  # fixed in Xero: the next run finishes the two
    assert statuses(run(store, xero, precoro, run_id="retry"))["PO-1"] == "applied"


def test_the_outcome_is_written_while_the_lock_is_held(world, tmp_path):
    """A second apply that was waiting on the lock must not write the run folder's files while the first
    still writes them (two renames of one temporary file crashed one of them)."""
    folder, store, xero, precoro = world
    approve_all(store)
    seen = []

    def on_outcome(outcome):
        with Store(store.path) as other, pytest.raises(LockError):
            with other.apply_lock("nightly"):
                pass
        seen.append((outcome.counts()["applied"], (folder / "run" / "outcome.json").is_file()))

    run(store, xero, precoro, out_dir=folder / "run", on_outcome=on_outcome)
    assert seen == [(8, True)]
    with Store(store.path) as other, other.apply_lock("nightly"):  # and released after
        pass
    assert run(store, xero, precoro, dry_run=True, on_outcome=seen.append).dry_run and len(seen) == 1


HOLD_LOCK = textwrap.dedent("""
    import sys
    from recon.store import Store
    with Store(sys.argv[1]) as s, s.apply_lock("default", at="2026-11-23T09:59:00Z"):
        print("locked", flush=True)
        sys.stdin.readline()
""")


def _recompute_last_as_approval(store):
    from recon.chain import DECISION_FIELDS, head_of, row_hash
    store._db.executescript("DROP TRIGGER approvals_no_update;")
    seq, prev, *content = store._db.execute(f"SELECT seq, prev_hash, {', '.join(DECISION_FIELDS)} FROM approvals "
                                            "ORDER BY seq DESC LIMIT 1").fetchone()
    decision = {**dict(zip(DECISION_FIELDS, content)), "verdict": "approve"}
    digest = row_hash(seq, prev, decision)
    store._db.execute("UPDATE approvals SET verdict = 'approve', hash = ? WHERE seq = ?", (digest, seq))
    store._db.execute("UPDATE meta SET value = ? WHERE key = 'approvals_head'", (head_of(seq, digest),))


def _tamper(store):
    store._db.executescript("DROP TRIGGER approvals_no_update; UPDATE approvals SET comment = 'fine by me' WHERE seq = 2;")


@pytest.mark.reliability
@pytest.mark.parametrize("case", ["tampered", "garbage_head", "head_behind", "rejection_recomputed_keyed",
                                  "changed_plan", "foreign_decision", "concurrent"])
def test_refusals_write_nothing(world, case):
    folder, store, xero, precoro = world
    approve_all(store)
    plan, decisions, holder = PLAN, None, None
    if case == "tampered":
        _tamper(store)
        error, words = IntegrityError, "approvals row 2 .* was altered"
    elif case in ("garbage_head", "head_behind"):
        # a later rejection sits past the head: were the head believed, apply would see only the approval
        ApprovalModel(PLAN, store, "bo", CLOCK).decide(ACT["BOLT"].id, "reject", "wrong price")
        head = "garbage" if case == "garbage_head" else store._db.execute(
            "SELECT seq || ':' || hash FROM approvals ORDER BY seq DESC LIMIT 1 OFFSET 1").fetchone()[0]
        store._db.execute("UPDATE meta SET value = ? WHERE key = 'approvals_head'", (head,))
        error, words = IntegrityError, "is not a row number and hash" if case == "garbage_head" else "past the chain head"
    elif case == "rejection_recomputed_keyed":
        keyed = Store(store.path, approvals_key=b"k" * 32)
        keyed.sign()
        ApprovalModel(PLAN, keyed, "bo", CLOCK).decide(ACT["BOLT"].id, "reject", "wrong price")
        keyed.close()
        _recompute_last_as_approval(store)
        assert store.verify().ok  # without the key the rewrite holds together
        store = Store(store.path, approvals_key=b"k" * 32)
        error, words = IntegrityError, "signature does not verify with the approvals key"
    elif case == "changed_plan":
        edited = dataclasses.replace(PLAN.actions[2], new={"name": "Bolt M10"}, id=PLAN.actions[2].id)
        plan = dataclasses.replace(PLAN, actions=(*PLAN.actions[:2], edited, *PLAN.actions[3:]))
        error, words = ApprovalError, "has changed since it was made"
    elif case == "foreign_decision":
        decisions = [Decision("another-plan", PLAN.actions[0].id, "approve", "ana", "t")]
        error, words = ApprovalError, "was made on plan another-plan"
    else:
        holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(store.path)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "locked"
        error, words = LockError, f"another apply is running on .*: held by pid {holder.pid} on host .* for profile 'default'"
    try:
        with pytest.raises(error, match=words):
            run(store, xero, precoro, plan=plan, decisions=decisions)
    finally:
        if holder:
            holder.kill()
            holder.wait()
    assert (xero.writes(), precoro.writes()) == (0, 0) and store.journal_rows().empty


# -- crash safety -----------------------------------------------------------------------------------------
def _apply_in_child(folder, *, kill_at_journal: tuple[int, str] | None = None) -> int:
    """Apply in a forked process (optionally SIGKILLing itself before/after the n-th journal write)."""
    pid = os.fork()
    if pid == 0:  # child: fresh connections only
        code = 1
        try:
            def hook(n: int, when: str) -> None:
                if (n, when) == kill_at_journal:
                    os.kill(os.getpid(), signal.SIGKILL)
            with Store(folder / "state.sqlite") as store:
                xero, precoro = open_ledgers(folder)
                apply_plan(PLAN, store, (xero, precoro), clock=CLOCK, progress=False, on_journal=hook)
            code = 0
        finally:
            os._exit(code)
    return os.waitpid(pid, 0)[1]


def _final(folder):
    xero, precoro = open_ledgers(folder)
    with Store(folder / "state.sqlite") as store:
        done = store.journal_rows().query("phase == 'done'")["action_id"].tolist()
        return xero.dump(), precoro.dump(), store.links().values.tolist(), sorted(done)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference")
    seed(folder)
    with Store(folder / "state.sqlite") as store:
        approve_all(store)
    assert _apply_in_child(folder) == 0
    return _final(folder)


def _assert_same_as_reference(folder, reference):
    final = _final(folder)
    assert final == reference
    assert len(final[3]) == len(set(final[3])) == 8  # every action done exactly once
    for system in final[:2]:
        for kind, records in system.items():
            names = [json.dumps({k: v for k, v in r.items() if k not in ("id",)}, sort_keys=True) for r in records]
            assert len(names) == len(set(names)), f"duplicate {kind}"


# 8 actions, a journal row before and after each write; killed just before or just after each row
@pytest.mark.reliability
@pytest.mark.parametrize("point", [(n, when) for n in range(1, 17) for when in ("before", "after")])
def test_killed_around_any_journal_write_then_resumed(tmp_path, reference, point):
    seed(tmp_path)
    with Store(tmp_path / "state.sqlite") as store:
        approve_all(store)
    status = _apply_in_child(tmp_path, kill_at_journal=point)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert _apply_in_child(tmp_path) == 0
    _assert_same_as_reference(tmp_path, reference)


@pytest.mark.reliability
@pytest.mark.parametrize("system, nth", [("xero", 1), ("xero", 2), ("xero", 3),
                                         ("precoro", 1), ("precoro", 2), ("precoro", 3), ("precoro", 5)])
def test_killed_between_a_committed_write_and_its_journal_row(tmp_path, reference, system, nth):
    seed(tmp_path)
    with Store(tmp_path / "state.sqlite") as store:
        approve_all(store)
    dict(zip(("xero", "precoro"), open_ledgers(tmp_path)))[system].arm(crash=nth)
    status = _apply_in_child(tmp_path)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    dict(zip(("xero", "precoro"), open_ledgers(tmp_path)))[system].arm(crash=0)
    assert _apply_in_child(tmp_path) == 0
    _assert_same_as_reference(tmp_path, reference)


@pytest.mark.reliability
@pytest.mark.parametrize("faults", [{"fail": 3}, {"drop": 3}, {"fail": 2, "drop": 2}])
def test_injected_faults_then_resume_reach_the_same_state(tmp_path, reference, faults):
    seed(tmp_path)
    xero, precoro = open_ledgers(tmp_path)
    xero.arm(**faults)
    precoro.arm(**faults)
    with Store(tmp_path / "state.sqlite") as store:
        approve_all(store)
        first = run(store, xero, precoro)
        assert first.counts()["failed"] > 0
        for attempt in range(4):
            if run(store, xero, precoro, run_id=f"resume-{attempt}").counts()["failed"] == 0:
                break
    _assert_same_as_reference(tmp_path, reference)


def test_day_limit_stops_the_run_and_a_later_run_finishes(world):
    _, store, xero, precoro = world
    approve_all(store)
    xero.arm(daily=True)
    outcome = run(store, xero, precoro)
    st = statuses(outcome)
    assert st["Nordic Timber"] == "failed" and "day limit" in {r.action_id: r.message for r in outcome.results}[ACT["Nordic Timber"].id]
    assert all(v == "skipped" for k, v in st.items() if k != "Nordic Timber")
    assert all(r.message.startswith("not attempted: ") for r in outcome.results if r.status == "skipped")
    assert store.runs().iloc[-1]["status"] == "stopped" and precoro.writes() == 0
    xero.arm(daily=False)
    assert run(store, xero, precoro, run_id="tomorrow").counts()["applied"] == 8


@pytest.mark.parametrize("first_outcome_written", [True, False], ids=["after a finished apply", "after a crash"])
def test_a_second_apply_in_the_same_run_keeps_what_the_first_did_in_the_folder(world, first_outcome_written):
    """A run folder's outcome is the run's: an apply run again in the same run (the rest approved, or a resume
    after a crash before outcome.json was written) shows the earlier applies' results, not "already applied"."""
    tmp, store, xero, precoro = world
    ordered_ids = [a.id for a in ordered(PLAN.actions)]
    every = [Decision(PLAN.fingerprint, a.id, "approve", "ana", "t") for a in PLAN.actions]
    first_ids = set(ordered_ids[:3])
    first = run(store, xero, precoro, decisions=[d for d in every if d.action_id in first_ids], run_id="night",
                out_dir=tmp / "run")
    assert {r.action_id for r in first.results if r.status == "applied"} == first_ids
    written = json.loads((tmp / "run" / "outcome.json").read_text())["results"]
    if not first_outcome_written:
        (tmp / "run" / "outcome.json").unlink()

    second = run(store, xero, precoro, decisions=every, run_id="night", out_dir=tmp / "run")
    assert [r.status for r in second.results if r.action_id in first_ids] == ["skipped"] * 3  # this apply's own
    kept = json.loads((tmp / "run" / "outcome.json").read_text())
    assert kept["counts"]["applied"] == len(PLAN.actions) and kept["counts"]["skipped"] == 0
    by_id = {r["action_id"]: r for r in kept["results"]}
    for earlier in written:
        if earlier["action_id"] in first_ids:
            if first_outcome_written:  # the first apply's whole result, its request and values included
                assert by_id[earlier["action_id"]] == earlier
            else:  # from the journal: what it did and the record's id
                assert by_id[earlier["action_id"]]["target_id"] == earlier["target_id"] != ""
                assert by_id[earlier["action_id"]]["message"] == "applied"


def test_an_apply_in_another_run_shows_what_was_done_before_as_skipped(world):
    tmp, store, xero, precoro = world
    approve_all(store)
    run(store, xero, precoro, run_id="monday", out_dir=tmp / "monday")
    run(store, xero, precoro, run_id="tuesday", out_dir=tmp / "tuesday")
    tuesday = json.loads((tmp / "tuesday" / "outcome.json").read_text())
    assert tuesday["counts"]["skipped"] == len(PLAN.actions)
    assert all(r["message"] == "already applied in run monday" for r in tuesday["results"])

