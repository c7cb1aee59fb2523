"""The approval view in a real Jupyter kernel: it renders as a widget, and a click there reaches the store."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from recon.store import Store
from test_approve import ACTIONS, PLAN

ROOT = Path(__file__).resolve().parent.parent


def test_view_renders_and_records_in_a_kernel(tmp_path, monkeypatch):
    (tmp_path / "plan.json").write_text(PLAN.to_json())
    state = tmp_path / "state.sqlite"
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(
            "from pathlib import Path\n"
            "from recon.approve import ApprovalModel\nfrom recon.reconcile.model import Plan\n"
            "from recon.store import Store\nfrom recon.widgets import ApprovalView\n"
            f"store = Store({str(state)!r})\n"
            f"plan = Plan.from_json(Path({str(tmp_path / 'plan.json')!r}).read_text())\n"
            "view = ApprovalView(ApprovalModel(plan, store, 'ana', lambda: '2026-11-23T10:00:00Z'))\n"
            "view"),
        nbformat.v4.new_code_cell(f"view.cards[{ACTIONS[0].id!r}].approve.click()\nprint(view.summary.value)"),
    ])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = nb.cells[0].outputs[0]["data"]
    assert "application/vnd.jupyter.widget-view+json" in shown
    assert "1 approved" in nb.cells[1].outputs[0]["text"]
    with Store(state) as store:
        assert [(d.action_id, d.verdict, d.by) for d in store.decisions(PLAN.fingerprint)] == [(ACTIONS[0].id, "approve", "ana")]
