"""`recon apply` and `recon verify`: the session's apply with --approve and --dry-run, and the real command line
against a served sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import clean_env
from recon.config import load_settings
from recon.store import Store
from recon.workbench import DryRunLog, Session
from served import recon, recon_sandbox
from test_apply_kit import demo_plan, open_ledgers, seed

PLAN = demo_plan()
CLOCK = lambda: "2026-11-23T10:00:00Z"  # noqa: E731


@pytest.fixture()
def world(tmp_path):
    seed(tmp_path)
    (tmp_path / "reports" / "run").mkdir(parents=True)
    (tmp_path / "reports" / "run" / "plan.json").write_text(PLAN.to_json())
    settings = load_settings(env={"RECON_STATE": str(tmp_path / "state.sqlite"), "USER": "ana",
                                  "RECON_DATA_DIR": str(tmp_path / "data")})
    # the ledgers stand in for both systems: URLs only so that the session starts no sandbox of its own
    settings = settings.with_sandbox_urls("http://127.0.0.1:9", "http://127.0.0.1:9")
    session = Session.open(run_id="run", reports_dir=tmp_path / "reports", notebook="test", parameters={},
                           settings=settings, out=lambda line: None)
    yield tmp_path / "reports" / "run", session, open_ledgers(tmp_path)
    session.close()


def test_a_dry_run_with_approve_all_shows_each_request_and_records_nothing(world):
    folder, session, ledgers = world
    log = DryRunLog(session.store)
    approved = session.approve_ids(PLAN, "all", log)
    outcome = session.apply(PLAN, dry_run=True, progress=False, log=log, connectors=ledgers)
    assert len(approved) == 8 and outcome.counts()["dry_run"] == 8
    requests = {r.action_id: r.request for r in outcome.results}
    item = next(a for a in PLAN.actions if a.kind == "item")
    assert requests[item.id] == {"body": {"name": "Bolt M8"}, "method": "PUT", "path": "/item/PI1"}
    assert session.store.decisions(PLAN.fingerprint) == []  # no approval recorded
    assert session.store.journal_rows(PLAN.fingerprint).empty
    assert not (folder / "outcome.json").exists() and not (folder / "approvals.jsonl").exists()
    assert (ledgers[0].writes(), ledgers[1].writes()) == (0, 0)


def test_approve_listed_ids_then_apply(world):
    folder, session, ledgers = world
    item = next(a for a in PLAN.actions if a.kind == "item")
    session.approve_ids(PLAN, item.id)
    outcome = session.apply(PLAN, progress=False, connectors=ledgers)
    assert [(r.action_id, r.status) for r in outcome.results if r.status != "skipped"] == [(item.id, "applied")]
    assert ledgers[1].read("item", "PI1")["name"] == "Bolt M8"
    lines = [json.loads(line) for line in (folder / "approvals.jsonl").read_text().splitlines()]
    assert [(d["action_id"], d["by"]) for d in lines] == [(item.id, "ana")]
    assert json.loads((folder / "outcome.json").read_text())["counts"]["applied"] == 1


def test_verify_command_names_the_broken_row(tmp_path):
    state = tmp_path / "state.sqlite"
    with Store(state) as store:
        from test_approve import ACTIONS, CLOCK as C, PLAN as P
        from recon.approve import ApprovalModel
        ApprovalModel(P, store, "ana", C).decide_many([a.id for a in ACTIONS], "approve")
    env = clean_env(RECON_STATE=str(state))
    ok = recon("verify", env=env)
    assert ok.returncode == 0 and "approvals chain verified: 5 rows intact" in ok.stdout
    with Store(state) as store:
        store._db.executescript("DROP TRIGGER approvals_no_update; UPDATE approvals SET by = 'eve' WHERE seq = 4;")
    bad = recon("verify", env=env)
    assert bad.returncode == 1 and "approvals row 4" in bad.stderr and "was altered" in bad.stderr


def test_verify_on_a_missing_state_says_so_and_creates_none(tmp_path):
    state = tmp_path / "nothing-yet.sqlite"
    done = recon("verify", env=clean_env(RECON_STATE=str(state)))
    assert done.returncode == 5, done.stderr
    assert done.stderr.startswith(f"recon verify: no state file at {state}") and not state.exists()


def test_apply_with_nothing_serving_says_what_to_do(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "plan.json").write_text(PLAN.to_json())
    res = recon("apply", str(tmp_path / "run" / "plan.json"), env=clean_env(RECON_DATA_DIR=str(tmp_path / "data")))
    assert res.returncode == 2 and "start `recon sandbox`" in res.stderr
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["plan.json"]


def test_the_command_line_loop_against_a_served_sandbox(tmp_path):
    """reconcile, a dry run that records nothing, then the approval and the apply, each its own process."""
    env = clean_env(RECON_DATA_DIR=str(tmp_path / "data"), USER="ana")
    with recon_sandbox(env):
        done = recon("reconcile", "--objects", "supplier", env=env)
        assert done.returncode == 0, done.stderr
        folder = Path(next(line.strip() for line in done.stdout.splitlines() if line.strip().endswith("plan.json"))).parent
        plan = json.loads((folder / "plan.json").read_text())
        action = next(a for a in plan["actions"] if a["label"] == "Southern Alps Timber Ltd")
        state = tmp_path / "data" / "profiles" / "sandbox" / "state.sqlite"

        dry = recon("apply", folder.name, "--approve", action["id"], "--dry-run", env=env)
        assert dry.returncode == 0, dry.stderr
        assert "would approve 1 actions as ana" in dry.stdout and "dry_run  update supplier Southern Alps" in dry.stdout
        assert dry.stdout.rstrip().endswith("nothing written")
        with Store(state) as store:
            assert store.decisions(plan["fingerprint"]) == []
        assert not (folder / "outcome.json").exists() and not (folder / "approvals.jsonl").exists()

        real = recon("apply", str(folder / "plan.json"), "--approve", action["id"], env=env)
        assert real.returncode == 0, real.stdout + real.stderr
        assert "applied  update supplier Southern Alps Timber Ltd → precoro" in real.stdout
        outcome = json.loads((folder / "outcome.json").read_text())
        assert [(r["action_id"], r["status"]) for r in outcome["results"] if r["status"] == "applied"] == \
            [(action["id"], "applied")]
        with Store(state) as store:
            assert [(d.action_id, d.by) for d in store.decisions(plan["fingerprint"])] == [(action["id"], "ana")]


def test_the_session_apply_keeps_the_runs_outcome_and_refuses_a_broken_one_before_writing(world):
    """Two applies in one run folder: the folder's outcome.json shows both applies' work. One the run did not
    write (it no longer parses as an outcome) stops the apply before any approval, journal row or write."""
    from recon.errors import ConfigError

    folder, session, ledgers = world
    item, tax = (next(a for a in PLAN.actions if a.kind == kind) for kind in ("item", "tax_rate"))
    session.approve_ids(PLAN, item.id)
    session.apply(PLAN, progress=False, connectors=ledgers)
    session.approve_ids(PLAN, tax.id)
    again = session.apply(PLAN, progress=False, connectors=ledgers)
    assert {r.action_id: r.status for r in again.results}[item.id] == "skipped"
    kept = {r["action_id"]: r["status"] for r in json.loads((folder / "outcome.json").read_text())["results"]}
    assert (kept[item.id], kept[tax.id]) == ("applied", "applied")

    (folder / "outcome.json").write_text('{"run_id": "run"}')
    writes, rows = (ledgers[0].writes(), ledgers[1].writes()), len(session.store.journal_rows(PLAN.fingerprint))
    with pytest.raises(ConfigError, match=r"outcome\.json is not an outcome recon wrote"):
        session.apply(PLAN, progress=False, connectors=ledgers)
    assert (ledgers[0].writes(), ledgers[1].writes()) == writes
    assert len(session.store.journal_rows(PLAN.fingerprint)) == rows
