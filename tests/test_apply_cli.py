"""`recon apply` and `recon verify`: the command functions and the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from recon.apply import run_apply
from recon.config import load_settings
from recon.store import Store
from test_apply_kit import demo_plan, open_ledgers, seed

PLAN = demo_plan()
CLOCK = lambda: "2026-11-23T10:00:00Z"  # noqa: E731
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def world(tmp_path):
    seed(tmp_path)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "plan.json").write_text(PLAN.to_json())
    settings = load_settings(env={"RECON_STATE": str(tmp_path / "state.sqlite"), "USER": "ana"})
    return tmp_path, settings, open_ledgers(tmp_path)


def test_dry_run_with_approve_all_prints_each_request(world):
    folder, settings, ledgers = world
    lines: list[str] = []
    code = run_apply(settings, folder / "run" / "plan.json", approve="all", dry_run=True, connectors=ledgers,
                     clock=CLOCK, out=lines.append)
    assert code == 0 and lines[0] == "approved 8 actions as ana"
    assert 'dry_run  update item BOLT → precoro: {"body":{"name":"Bolt M8"},"method":"PUT","path":"/item/PI1"}' in lines
    assert lines[-1].startswith("dry run: 8 dry_run; outcome in")
    assert json.loads((folder / "run" / "outcome.json").read_text())["dry_run"] is True
    assert len((folder / "run" / "approvals.jsonl").read_text().splitlines()) == 8
    assert (ledgers[0].writes(), ledgers[1].writes()) == (0, 0)


def test_approve_listed_ids_then_apply(world):
    folder, settings, ledgers = world
    item = next(a for a in PLAN.actions if a.kind == "item")
    lines: list[str] = []
    code = run_apply(settings, folder / "run" / "plan.json", approve=item.id, connectors=ledgers, clock=CLOCK,
                     out=lines.append)
    assert code == 0 and "applied  update item BOLT → precoro" in lines
    assert sum(line.startswith("skipped  ") for line in lines) == 7
    assert ledgers[1].read("item", "PI1")["name"] == "Bolt M8"


def _cli(*argv: str, state: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RECON_STATE": str(state)}
    return subprocess.run([sys.executable, "-m", "recon.cli", *argv], env=env, capture_output=True, text=True)


def test_verify_command_names_the_broken_row(tmp_path):
    state = tmp_path / "state.sqlite"
    with Store(state) as store:
        from test_approve import ACTIONS, CLOCK as C, PLAN as P
        from recon.approve import ApprovalModel
        ApprovalModel(P, store, "ana", C).decide_many([a.id for a in ACTIONS], "approve")
    ok = _cli("verify", state=state)
    assert ok.returncode == 0 and "approvals chain verified: 5 rows intact" in ok.stdout
    with Store(state) as store:
        store._db.executescript("DROP TRIGGER approvals_no_update; UPDATE approvals SET by = 'eve' WHERE seq = 4;")
    bad = _cli("verify", state=state)
    assert bad.returncode == 1 and "approvals row 4" in bad.stderr and "was altered" in bad.stderr


def test_apply_without_configured_systems_says_what_to_do(tmp_path):
    (tmp_path / "plan.json").write_text(PLAN.to_json())
    res = _cli("apply", str(tmp_path / "plan.json"), state=tmp_path / "state.sqlite")
    assert res.returncode == 2 and "start `recon sandbox`" in res.stderr
