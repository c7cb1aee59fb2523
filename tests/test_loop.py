"""The loop across entry points: decisions made in JupyterLab are the ones the command line applies.

A real `recon sandbox` serves the sandbox profile; `reconcile.ipynb` runs in a real kernel started in
`notebooks/` (as plain `jupyter lab` starts it) and a widget button is clicked there; then `recon run
notebooks/sync.ipynb -p run_id ...` runs from the repository root, and plain papermill from another folder.
All of them must find the same state and the same run folder, and the sync must apply exactly what was approved.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import nbformat
import pytest
from nbclient import NotebookClient

from conftest import clean_env
from recon import config
from recon.store import Store
from served import ROOT, recon, recon_sandbox

NOTEBOOKS = ROOT / "notebooks"
SUPPLIER = "Southern Alps Timber Ltd"  # demo case: phone changed in Xero only -> update in Precoro


def reconcile_in_jupyterlab(run_id: str, click: str) -> dict[str, str]:
    """Run reconcile.ipynb in a kernel whose working folder is notebooks/, clicking Approve on the action
    labelled ``click`` before the last cell, as a person would; return the action and the printed next step."""
    nb = nbformat.read(NOTEBOOKS / "reconcile.ipynb", as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source += f'\nobjects = ["supplier"]\nrun_id = "{run_id}"'
    clicking = nbformat.v4.new_code_cell(
        f"action = next(a for a in rec.plan.actions if a.label == {click!r})\n"
        "view.cards[action.id].approve.click()\n"
        "print('clicked', action.id, action.op, action.kind)")
    nb.cells.insert(len(nb.cells) - 1, clicking)
    NotebookClient(nb, timeout=300, kernel_name="recon", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    texts = ["".join(o.get("text", "") for o in c.get("outputs", [])) for c in nb.cells if c.cell_type == "code"]
    clicked = next(t for t in texts if t.startswith("clicked "))
    return {"action": clicked.split()[1], "next": next(t for t in texts if "next: " in t).split("next: ")[1].strip(),
            "first": texts[1]}


def precoro_supplier(url: str, name: str) -> dict:
    headers = {"X-AUTH-TOKEN": config.SANDBOX_PRECORO_TOKEN, "email": config.SANDBOX_PRECORO_EMAIL}
    listed = httpx.get(f"{url}/suppliers", params={"per_page": 200}, headers=headers, timeout=10).json()["data"]
    return next(s for s in listed if s["name"] == name)


def test_a_click_in_jupyterlab_is_what_recon_run_applies(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = clean_env(RECON_DATA_DIR=str(data), USER="ana")
    state = data / "profiles" / "sandbox" / "state.sqlite"
    reports = data / "profiles" / "sandbox" / "reports"
    with recon_sandbox(env) as urls:
        with pytest.MonkeyPatch.context() as mp:  # the kernel inherits this process's environment
            mp.setenv("RECON_DATA_DIR", str(data))
            mp.setenv("USER", "ana")
            lab = reconcile_in_jupyterlab("loop-1", SUPPLIER)
        assert f"state: {state}" in lab["first"] and f"run folder: {reports / 'loop-1'}" in lab["first"]
        assert lab["next"] == "recon run notebooks/sync.ipynb -p run_id loop-1"
        before = precoro_supplier(urls["precoro"], SUPPLIER)

        done = recon(*lab["next"].split()[1:], env=env, cwd=ROOT)
        assert done.returncode == 0, done.stdout + done.stderr
        folder = reports / "loop-1"
        outcome = json.loads((folder / "outcome.json").read_text())
        applied = [(r["action_id"], r["status"]) for r in outcome["results"] if r["status"] != "skipped"]
        assert applied == [(lab["action"], "applied")]
        assert {r["message"] for r in outcome["results"] if r["status"] == "skipped"} == {"not approved"}
        approvals = [json.loads(line) for line in (folder / "approvals.jsonl").read_text().splitlines()]
        assert [(d["action_id"], d["verdict"], d["by"]) for d in approvals] == [(lab["action"], "approve", "ana")]
        after = precoro_supplier(urls["precoro"], SUPPLIER)
        assert after != before  # the approved update reached the sandbox's Precoro
        with Store(state) as store:
            assert store.journal_state(outcome["plan_fingerprint"])[lab["action"]].phase == "done"

        # plain papermill, started elsewhere, with neither a path nor a profile: the same run folder
        out = tmp_path / "audit.ipynb"
        plain = subprocess.run([str(Path(sys.executable).parent / "papermill"), str(NOTEBOOKS / "audit_report.ipynb"),
                                str(out), "-k", "recon", "-p", "run_id", "loop-1"], env=env, cwd=tmp_path,
                               capture_output=True, text=True, timeout=300)
        assert plain.returncode == 0, plain.stderr[-3000:]
        html = "".join(o.get("data", {}).get("text/html", "") for c in nbformat.read(out, as_version=4).cells
                       for o in c.get("outputs", []))
        assert 'data-run-id="loop-1"' in html and SUPPLIER in html


@pytest.mark.parametrize("case, params, message", [
    ("no plan", ["-p", "run_id", "empty-run"], "has no plan"),
    ("no decision", ["-p", "run_id", "undecided"], "no decision on any of the"),
    ("no run id", [], "has no plan"),
])
def test_a_sync_with_nothing_to_carry_out_says_so_and_fails(tmp_path: Path, case: str, params: list[str],
                                                            message: str) -> None:
    env = clean_env(RECON_DATA_DIR=str(tmp_path / "data"))
    with recon_sandbox(env):
        if case == "no decision":
            made = recon("reconcile", "--objects", "supplier", "--out",
                         str(tmp_path / "data" / "profiles" / "sandbox" / "reports" / "undecided"), env=env)
            assert made.returncode == 0, made.stderr
        done = recon("run", "sync.ipynb", *params, env=env, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "PlanError" in done.stderr and message in done.stderr
    if case == "no decision":
        folder = tmp_path / "data" / "profiles" / "sandbox" / "reports" / "undecided"
        assert not (folder / "outcome.json").exists() and not (folder / "approvals.jsonl").exists()


def test_approvals_jsonl_is_never_rewritten_with_fewer_decisions_than_it_holds(tmp_path: Path) -> None:
    """A sync pointed at another state than the run was made with (here: its own sandbox, after the run was
    decided against a served one) refuses, rather than overwrite the run's decisions with none."""
    from recon.errors import StoreError
    from recon.reconcile.model import Decision
    from recon.run_folder import RunFolder

    folder = RunFolder.create(tmp_path, "decided")
    kept = [Decision("f" * 16, "a1", "approve", "ana", "2026-03-01T09:00:00Z")]
    folder.write_approvals(kept)
    with pytest.raises(StoreError, match="holds 1 decision"):
        folder.write_approvals([], source="/elsewhere/state.sqlite")
    assert len((folder.path / "approvals.jsonl").read_text().splitlines()) == 1
    folder.write_approvals(kept + [Decision("f" * 16, "a2", "reject", "ana", "2026-03-01T09:01:00Z")])
    assert len((folder.path / "approvals.jsonl").read_text().splitlines()) == 2


def test_a_run_made_against_a_sandbox_that_has_stopped_is_refused(tmp_path: Path) -> None:
    from recon.config import load_settings
    from recon.errors import ConfigError
    from recon.run_folder import RunFolder
    from recon.workbench import Session

    env = {"RECON_DATA_DIR": str(tmp_path / "data"), "RECON_SANDBOX_XERO_URL": "http://127.0.0.1:9",
           "RECON_SANDBOX_PRECORO_URL": "http://127.0.0.1:9", "RECON_SANDBOX_STATE": str(tmp_path / "s.sqlite")}
    RunFolder.create(tmp_path / "reports", "old").record_run(
        settings=load_settings(env=env), parameters={}, notebook="reconcile.ipynb", sandbox="gone-1")
    now = load_settings(env={**env, "RECON_SANDBOX_INSTANCE": "now-2"})
    with pytest.raises(ConfigError, match="made against the recon sandbox gone-1, which has stopped"):
        Session.open(run_id="old", reports_dir=tmp_path / "reports", notebook="sync.ipynb", parameters={},
                     settings=now, out=lambda line: None)
    again = load_settings(env={**env, "RECON_SANDBOX_INSTANCE": "gone-1"})
    with Session.open(run_id="old", reports_dir=tmp_path / "reports", notebook="sync.ipynb", parameters={},
                      settings=again, out=lambda line: None) as session:
        assert session.store.path == tmp_path / "s.sqlite"
