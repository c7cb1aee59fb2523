"""Write notebooks/*.ipynb from the cell sources below (stable cell ids, no outputs).

Run after changing a notebook's cells here: ``python tools/make_notebooks.py``. Editing the notebooks in
JupyterLab is fine too; this file then only documents their first version.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

KINDS = '["supplier", "item", "account", "tracking_option", "tax_rate", "purchase_order", "bill", "payment"]'
KERNEL = {"name": "recon", "display_name": "recon (Python 3)", "language": "python"}

NOTEBOOKS = {
    "reconcile.ipynb": ({"title": "recon: reconcile"}, [
        ("md", "# Reconcile Precoro and Xero\n\nFetch both systems, check the rounding settings, see every "
               "difference, approve or reject each proposed action, and save the decisions. Run the cells top to "
               "bottom; `sync.ipynb` then carries out what you approved (same `run_id`)."),
        ("params", f'profile = ""  # settings profile (empty: RECON_PROFILE or default)\n'
                   f"objects = {KINDS}  # kinds to reconcile\n"
                   'full = False  # full fetch instead of incremental\n'
                   'run_id = ""  # run folder under reports/ (empty: a new run)\n'
                   'reports_dir = ""  # where run folders go (empty: from settings)'),
        ("code", "from recon import report_views as views\nfrom recon.widgets import ApprovalView\n"
                 "from recon.workbench import Session\n\n"
                 'session = Session.open(run_id=run_id, reports_dir=reports_dir, profile=profile, '
                 'notebook="reconcile.ipynb",\n                       parameters={"objects": objects, "full": full})'),
        ("md", "## Fetch"),
        ("code", "snapshot = session.fetch(objects, full=full)"),
        ("md", "## Reconcile"),
        ("code", "rec = session.reconcile(snapshot, objects)\nprint(rec.message)"),
        ("check", "# NBVAL_CHECK_OUTPUT\nprint(\"kinds of difference found:\", \", \".join(sorted(set(rec.differences[\"kind\"]))) or \"none\")"),
        ("code", "views.settings_check_view(rec.settings_check)"),
        ("code", "views.summary_view(rec.summary, rec.message)"),
        ("md", "## Differences\n\nChanged cells are highlighted; conflicts are resolved Xero wins; rounding "
               "differences are listed apart below."),
        ("code", "material, rounding = views.differences_views(rec.differences)\nmaterial"),
        ("code", "rounding"),
        ("md", "## Approve\n\nEvery click is recorded at once in the state store, bound to this plan."),
        ("code", "model = session.approvals(rec.plan)\nApprovalView(model)"),
        ("md", "## Save\n\nRun this after deciding: it writes `approvals.jsonl` and the chain check into the run "
               "folder."),
        ("code", "session.save_approvals(rec.plan)\nsession.finish()\nprint(f\"decisions saved in {session.folder}\")"),
    ]),
    "sync.ipynb": ({"title": "recon: sync"}, [
        ("md", "# Sync\n\nCarries out the approved actions of a run (its `plan.json`), or of a fresh reconcile "
               "when the run has no plan yet. Pending actions are approved only by the explicit `policy`."),
        ("params", f'profile = ""  # settings profile (empty: RECON_PROFILE or default)\n'
                   'run_id = ""  # the run to carry out; a run without a plan gets a fresh reconcile\n'
                   f"objects = {KINDS}  # kinds, for a fresh reconcile\n"
                   'policy = "none"  # approval policy for pending actions: none, demo, xero_to_precoro_reference, to_xero:KIND\n'
                   'dry_run = False  # show what would be sent; write nothing\n'
                   'full = False  # full fetch for a fresh reconcile\n'
                   'reports_dir = ""  # where run folders go (empty: from settings)'),
        ("code", "from recon import report_views as views\nfrom recon.apply import summary\n"
                 "from recon.workbench import Session\n\n"
                 'session = Session.open(run_id=run_id, reports_dir=reports_dir, profile=profile, notebook="sync.ipynb",\n'
                 '                       parameters={"objects": objects, "policy": policy, "dry_run": dry_run, "full": full})'),
        ("code", "plan = session.plan_or_reconcile(objects, full=full)"),
        ("check", "# NBVAL_CHECK_OUTPUT\ndecisions = session.approve_by_policy(plan, policy)\n"
                  'print(f"policy {policy!r} approved {len(decisions)} pending actions")'),
        ("code", "outcome = session.apply(plan, dry_run=dry_run, progress=False)\nprint(summary(outcome))"),
        ("code", "views.outcome_view(outcome, plan)"),
        ("code", "session.close()  # stops a sandbox this kernel started and closes the state store"),
    ]),
    "audit_report.ipynb": ({"title": "recon audit report", "html_name": "audit.html", "html_no_input": True}, [
        ("params", 'run_id = ""  # required: the run to report on (empty in JupyterLab: the latest run)\n'
                   'reports_dir = ""  # where run folders are (empty: from settings)\n'
                   'profile = ""  # settings profile (empty: RECON_PROFILE or default)'),
        ("code", "from recon import report\nfrom recon.workbench import report_folder\n\n"
                 "report.show(report.load_run(report_folder(run_id, reports_dir, profile)))"),
    ]),
}


#: Stored output of each notebook's ``# NBVAL_CHECK_OUTPUT`` cell, as the demo data and default parameters give it.
EXPECTED = {
    "reconcile.ipynb": "kinds of difference found: blocked_edit, conflict, match_candidate, mismatch, only_in_precoro, "
                       "only_in_xero, rounding\n",
    "sync.ipynb": "policy 'none' approved 0 pending actions\n",
}


def build(name: str, meta: dict, cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = KERNEL
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["recon"] = meta
    stem = name.removesuffix(".ipynb").replace("_", "-")
    for i, (kind, source) in enumerate(cells):
        cell = nbformat.v4.new_markdown_cell(source) if kind == "md" else nbformat.v4.new_code_cell(source)
        if kind == "params":
            cell.metadata["tags"] = ["parameters"]
        if kind == "check":
            # nbval compares these cells' output with the stored one (what the demo data gives)
            cell.execution_count = 1
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=EXPECTED[name])]
        cell["id"] = f"{stem}-{i}"
        nb.cells.append(cell)
    return nb


def main() -> None:
    out = Path(__file__).resolve().parents[1] / "notebooks"
    out.mkdir(exist_ok=True)
    for name, (meta, cells) in NOTEBOOKS.items():
        nbformat.write(build(name, meta, cells), out / name)
        print(out / name)


if __name__ == "__main__":
    main()
