"""Write notebooks/*.ipynb from the cell sources below (stable cell ids, no outputs).

Run after changing a notebook's cells here: ``python tools/make_notebooks.py`` (a test checks the committed
notebooks are what this writes). The wheel carries the written notebooks as ``recon/notebooks``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

KINDS = '["supplier", "item", "account", "tracking_option", "tax_rate", "purchase_order", "bill", "payment"]'
KERNEL = {"name": "recon", "display_name": "recon (Python 3)", "language": "python"}

PROFILE = 'profile = ""  # settings profile (empty: RECON_PROFILE, else default, which is the sandbox until configured)'
REPORTS = 'reports_dir = ""  # where run folders are (empty: the profile\'s, the same for every entry point)'

NOTEBOOKS = {
    "reconcile.ipynb": ({"title": "recon: reconcile"}, [
        ("md", "# Reconcile Precoro and Xero\n\n"
               "Fetch both systems, check the rounding settings, see every difference, and approve or reject each "
               "proposed action. Run the cells top to bottom.\n\n"
               "Every click in the approval widget is recorded at once in the profile's state store (the first "
               "cell prints where it is), bound to this run's plan. JupyterLab, `recon run`, papermill and "
               "scheduled jobs all use that same state, wherever they start. The last cell prints the command that "
               "carries out your decisions:\n\n"
               "```\nrecon run notebooks/sync.ipynb -p run_id <this run>\n```\n\n"
               "(or open `sync.ipynb`, set `run_id`, and run it). With nothing configured this runs on the "
               "built-in sandbox: the one `recon sandbox` or `recon lab` serves, else one started in this kernel."),
        ("params", f"{PROFILE}\n"
                   f"objects = {KINDS}  # kinds to reconcile\n"
                   'full = False  # full fetch instead of incremental\n'
                   'run_id = ""  # run folder under the reports folder (empty: a new run)\n'
                   f"{REPORTS}"),
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
        ("md", "## Differences\n\nOne row per record and field: Precoro, Xero and the last agreed value side by side, "
               "the side that changed highlighted, and what happened in words (\"Changed in Precoro\", \"Changed on "
               "both sides: Xero wins\", \"Xero rounds tax per line: 0.01\"). Click a heading to sort, type in "
               "Search to filter (try \"rounding\" or a supplier's name)."),
        ("code", "views.difference_view(rec.differences, snapshot.meta.get(\"xero\", {}).get(\"base_currency\", \"\"))"),
        ("md", "## Changed in Xero after recon sent it\n\nPurchase orders and bills recon sent to Xero that someone "
               "then changed in Xero: one row per document and field, with the value recon sent, the value found, "
               "when it changed and who changed it. The actions below may put Precoro's values back; this table "
               "says that someone changed them, so you can ask why before you approve."),
        ("code", "views.changed_in_xero_view(session.run_folder.changed_in_xero(), session.zone())"),
        ("md", "## Approve\n\nOne row per action. Filter by object, direction, difference or state; tick rows and "
               "approve or reject the selected ones, or every one the filters show; \"Before/after\" shows the "
               "record's fields. Every click is recorded at once in the state store, bound to this plan: there is "
               "nothing to save. A later click on the same action replaces the earlier decision."),
        ("code", "model = session.approvals(rec.plan)\nview = ApprovalView(model)\nview"),
        ("md", "## Carry out\n\nRun this after deciding: it copies the decisions into the run folder "
               "(`approvals.jsonl`) and prints the command that applies them."),
        ("code", "session.save_approvals(rec.plan)\nsession.finish()\n"
                 "print(f\"{len(session.decisions(rec.plan))} decisions saved in {session.folder}\")\n"
                 "print(f\"next: recon run notebooks/sync.ipynb -p run_id {session.run_id}\")"),
    ]),
    "sync.ipynb": ({"title": "recon: sync"}, [
        ("md", "# Sync\n\nCarries out the decisions recorded on a run's plan: give its `run_id` (the run "
               "`reconcile.ipynb` made). Only approved actions are applied; a run with no plan, or a plan with no "
               "decision, stops here with a message, unless a `policy` is given: then pending actions the policy "
               "allows are approved too, and a run without a plan gets a fresh reconcile (what scheduled jobs do). "
               "`dry_run` shows the exact requests and writes nothing.\n\n"
               "```\nrecon run notebooks/sync.ipynb -p run_id <run>                     # your decisions\n"
               "recon run notebooks/sync.ipynb -p policy xero_to_precoro_reference   # a nightly run\n```"),
        ("params", f"{PROFILE}\n"
                   'run_id = ""  # the run whose decisions to carry out (empty: a new run, needs a policy)\n'
                   f"objects = {KINDS}  # kinds, for a fresh reconcile\n"
                   'policy = "none"  # approval policy for pending actions: none, demo, xero_to_precoro_reference, to_xero:KIND\n'
                   'dry_run = False  # show what would be sent; write nothing\n'
                   'full = False  # full fetch for a fresh reconcile\n'
                   f"{REPORTS}"),
        ("code", "from recon import report_views as views\nfrom recon.apply import summary\n"
                 "from recon.workbench import Session\n\n"
                 'session = Session.open(run_id=run_id, reports_dir=reports_dir, profile=profile, notebook="sync.ipynb",\n'
                 '                       parameters={"objects": objects, "policy": policy, "dry_run": dry_run, "full": full})'),
        ("code", "plan, log = session.sync_plan(objects, policy=policy, full=full, dry_run=dry_run)"),
        ("code", "outcome = session.apply(plan, dry_run=dry_run, progress=False, log=log)\nprint(summary(outcome))"),
        ("code", "views.outcome_view(outcome, plan)"),
        ("code", "session.close()  # stops a sandbox this kernel started and closes the state store"),
    ]),
    "audit_report.ipynb": ({"title": "recon audit report", "html_name": "audit.html", "html_no_input": True}, [
        ("params", 'run_id = ""  # required: the run to report on (empty in JupyterLab: the latest run)\n'
                   f"{REPORTS}\n{PROFILE}"),
        ("code", "from recon import report\nfrom recon.workbench import report_folder\n\n"
                 "report.show(report.load_run(report_folder(run_id, reports_dir, profile)))"),
    ]),
    "firm.ipynb": ({"title": "recon: the firm", "html_no_input": True}, [
        ("md", "# The firm: every organisation's last run\n\n"
               "One row per profile of recon.toml (a client of the firm): how its last run went (synced, failures, "
               "deferred by a day limit, failed, waiting for decisions), what was applied, and a link to its audit "
               "report. Below, every action the nightly policy left for a person to decide.\n\n"
               "`recon profiles` prints the same in a terminal; the nightly DAG (`examples/airflow/recon_firm_dag.py`) "
               "writes it as the firm's summary after every night."),
        ("params", 'profiles = []  # profiles to show (empty: every profile of recon.toml)'),
        ("code", "from IPython.display import display\n\nfrom recon import firm\n\n"
                 "rows = firm.firm_rows(names=profiles or None)\nprint(firm.headline(rows))\nfirm.firm_view(rows)"),
        ("md", "## Waiting for approval\n\n"
               "Actions of each organisation's last run that its policy did not approve (writes into Xero, "
               "conflicts): decide them in that profile's `reconcile.ipynb` (`recon lab --profile NAME`), or with "
               "`recon --profile NAME apply RUN_ID --approve ID,...`."),
        ("code", "waiting = firm.waiting_actions(profiles or None)\n"
                 "print(f\"{len(waiting)} actions waiting for a decision\")\n"
                 "display(waiting.style.hide(axis=\"index\").format(escape=\"html\")) if len(waiting) else None"),
    ]),
}


#: Stored output of each notebook's ``# NBVAL_CHECK_OUTPUT`` cell, as the demo data and default parameters give it.
EXPECTED = {
    "reconcile.ipynb": "kinds of difference found: blocked_edit, conflict, match_candidate, mismatch, only_in_precoro, "
                       "only_in_xero, rounding\n",
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
