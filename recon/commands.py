"""The ``recon`` subcommands: each takes the parsed arguments and the profile's settings (read once by
:mod:`recon.cli`), calls the application layer (:class:`recon.workbench.Session`) and prints what happened.

They return an exit status or raise a :class:`~recon.errors.ReconError`, which the CLI maps to one
(``recon.cli.EXIT_CODES``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from recon.config import Settings
from recon.errors import ConfigError, DailyLimitError


def _out_folder(out: str | None) -> tuple[str, str]:
    """``--out DIR`` as (run id, reports folder)."""
    if not out:
        return "", ""
    path = Path(out).expanduser().resolve()
    return path.name, str(path.parent)


def cmd_sandbox(args: argparse.Namespace, settings: Settings) -> int:
    """Serve both emulators for the sandbox profile (``settings``) until interrupted, printing where they are."""
    import time

    from recon import config
    from recon.demo import sandbox_exports, serve_sandbox

    running = config.served_sandbox()
    if running is not None and args.print_env:
        print(sandbox_exports(running, settings), end="", flush=True)
        return 0
    with serve_sandbox(seed=args.seed, xero_port=args.xero_port, precoro_port=args.precoro_port,
                       xero_app=args.xero_app) as server:
        if args.print_env:
            print(sandbox_exports(server, settings), end="", flush=True)
        else:
            print(f"Xero sandbox:    {server.xero_url}   (client {config.SANDBOX_XERO_CLIENT_ID} / "
                  f"{config.SANDBOX_XERO_CLIENT_SECRET}, tenant {config.SANDBOX_XERO_TENANT_ID}, {args.xero_app} app)")
            print(f"Precoro sandbox: {server.precoro_url}   (token {config.SANDBOX_PRECORO_TOKEN}, email "
                  f"{config.SANDBOX_PRECORO_EMAIL})")
            print(f"seed: {args.seed}. Every recon command of the sandbox profile now uses this sandbox and its state "
                  f"{server.state} (run folders in {settings.reports_dir}); "
                  "`recon sandbox --print-env` prints an export block for other tools. Ctrl-C stops.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


def cmd_fetch(args: argparse.Namespace, settings: Settings) -> int:
    """Fetch both systems into a run folder: one Parquet file per system and frame, a count per file."""
    from recon import schema
    from recon.workbench import Session

    run_id, reports_dir = _out_folder(args.out)
    with Session.open(run_id=run_id, reports_dir=reports_dir, notebook="recon fetch", settings=settings,
                      parameters={"objects": list(args.objects), "full": args.full}) as session:
        try:
            snap = session.fetch(args.objects, full=args.full, progress=True)
        except DailyLimitError:
            print(f"kept what was fetched in {session.folder}", file=sys.stderr)
            raise
        session.finish()
        print(f"{session.settings.describe()}; snapshot in {session.folder}")
        for name, count in snap.counts().items():
            print(f"  {name}.parquet  {count}")
        for system in schema.SYSTEMS:
            for warning in snap.meta.get(system, {}).get("warnings", []):
                print(f"  warning: {warning}")
    return 0


def cmd_reconcile(args: argparse.Namespace, settings: Settings) -> int:
    """``recon reconcile``: fetch and diff into a run folder (differences.csv, plan.json, summary.json)."""
    from recon.workbench import Session

    kinds = tuple(args.objects)
    run_id, reports_dir = _out_folder(args.out)
    with Session.open(run_id=run_id, reports_dir=reports_dir, notebook="recon reconcile", settings=settings,
                      parameters={"objects": list(kinds), "full": args.full}) as session:
        try:
            snap = session.fetch(kinds, full=args.full, progress=True)
        except DailyLimitError:
            print(f"kept what was fetched in {session.folder}", file=sys.stderr)
            raise
        rec = session.reconcile(snap, kinds)
        session.finish()
    print(rec.summary.to_string(index=False))
    print(rec.settings_check.get("message", ""))
    print(rec.message)
    from recon.run_folder import DIFFERENCES, PLAN, SUMMARY

    for name in (DIFFERENCES, PLAN, SUMMARY):
        print(f"  {session.run_folder.file(name)}")
    return 0


def _plan_folder(given: str, settings: Settings) -> Path:
    """``recon apply PLAN``: a plan.json, its run folder, or a run id of the profile's reports."""
    from recon.run_folder import PLAN

    path = Path(given).expanduser()
    if path.is_file():
        if path.name != PLAN:
            raise ConfigError(f"{path} is not a run's plan.json: give the plan.json of a run folder, the folder, "
                              "or the run id")
        return path.resolve().parent
    if path.is_dir():
        return path.resolve()
    by_id = settings.reports_dir / given
    if len(path.parts) == 1 and by_id.is_dir():
        return by_id
    raise ConfigError(f"no plan at {given} (nor a run {given!r} in {settings.reports_dir})")


def cmd_apply(args: argparse.Namespace, settings: Settings) -> int:
    """``recon apply PLAN [--approve all|ID,...] [--dry-run]``: exit 0 when nothing failed or was refused."""
    from recon.apply import summary
    from recon.errors import PlanError
    from recon.reconcile.model import canonical_json
    from recon.run_folder import OUTCOME, PLAN, RunFolder
    from recon.terminal import clean
    from recon.workbench import DryRunLog, Session

    folder = _plan_folder(args.plan, settings)
    plan = RunFolder(folder).plan()  # read and checked before anything is opened: a bad plan writes nothing
    if plan is None:
        raise PlanError(f"{folder} has no plan.json")
    RunFolder(folder).approvals()  # the decisions file apply rewrites: a broken one stops it here, not half-way
    named = [] if args.approve in (None, "all") else args.approve.split(",")  # cli._approvals: ids, no blanks
    unknown = [action_id for action_id in named if action_id not in plan.by_id()]
    if unknown:
        raise PlanError(f"--approve names {', '.join(unknown)}, not an action of {RunFolder(folder).file(PLAN)} "
                        "(give all, or ids of its actions)")
    with Session.open(run_id=folder.name, reports_dir=folder.parent, notebook="recon apply", settings=settings,
                      parameters={"approve": args.approve or "", "dry_run": args.dry_run}, start_sandbox=False,
                      record=not args.dry_run) as session:
        log = DryRunLog(session.store) if args.dry_run else None
        if args.approve:
            approved = session.approve_ids(plan, args.approve, log, comment="approved on the command line (--approve)")
            print(f"{'would approve' if args.dry_run else 'approved'} {len(approved)} actions as {settings.user}")
        outcome = session.apply(plan, dry_run=args.dry_run, progress=True, log=log)
    from recon.report_words import terminal_text

    actions = plan.by_id()
    for r in outcome.results:
        a = actions[r.action_id]
        line = f"{r.status:8} {a.op} {a.kind} {clean(a.label or a.id)} → {a.target}"
        if r.status == "dry_run":
            line += f": {canonical_json(dict(r.request))}"
        elif r.message and r.status != "applied":
            line += f": {r.message}"
        print(terminal_text(line))  # a name holding escape codes stays text on the terminal
    where = "nothing written" if args.dry_run else f"outcome in {session.run_folder.file(OUTCOME)}"
    print(summary(outcome) + f"; {where}")
    counts = outcome.counts()
    return 1 if counts["failed"] or counts["refused"] else 0


def cmd_revert(args: argparse.Namespace, settings: Settings) -> int:
    """``recon revert RUN_ID``: the reverse plan of a run in a new run folder, whose path it prints."""
    from recon.run_folder import PLAN
    from recon.workbench import Session

    run_id, reports_dir = _out_folder(args.out)
    with Session.open(run_id=run_id, reports_dir=reports_dir or settings.reports_dir, notebook="recon revert",
                      settings=settings, parameters={"reverts": args.run_id}, start_sandbox=False) as session:
        plan = session.revert(args.run_id)
    for action in plan.actions:
        print(f"  {action.op} {action.kind} {action.label or action.id} → {action.target}: {action.reason}")
    for held in plan.held:
        print(f"  cannot revert {held['op']} of {held['kind']} {held['label']} in {held['target']}: {held['why']}")
    print(f"reverse plan of run {plan.reverts}: {len(plan.actions)} actions, {len(plan.held)} that cannot be reverted; "
          f"approve and apply it with `recon apply {session.folder}`")
    print(session.run_folder.file(PLAN).parent)
    return 0


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    """``recon verify [--sign]``: check (or first sign, with the approvals key) the approvals hash chain of the
    profile's state store (never creates one)."""
    from recon.workbench import verify_state

    report = verify_state(settings, sign=args.sign)
    print(f"{settings.state_path}: {report.message}", file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """``recon run NOTEBOOK -p NAME VALUE ...``: papermill run into ``<reports>/<run_id>/`` plus HTML export."""
    from recon.runner import KERNEL_NAME, kernel_registered, parse_cli_parameters, run_notebook

    params = parse_cli_parameters(args.parameter)
    if args.profile:
        os.environ["RECON_PROFILE"] = args.profile  # the kernel inherits it; profiles hold no secret
    if not kernel_registered(KERNEL_NAME):
        print(f"the Jupyter kernel {KERNEL_NAME!r} is not registered: running on this interpreter ({sys.executable})")
    result = run_notebook(args.notebook, params, reports_dir=settings.reports_dir, timeout=args.timeout,
                          progress=sys.stderr.isatty())
    print(f"run {result.run_id}: executed notebook {result.executed}")
    if result.html:
        print(f"report: {result.html}")
    return 0


def cmd_connect(args: argparse.Namespace, settings: Settings) -> int:
    """``recon connect xero``: authorisation-code consent in the browser; tokens saved in the token file."""
    from recon.connectors.tokens import connect_xero

    if settings.xero.sandbox:
        raise ConfigError("no Xero app configured for profile "
                          f"{settings.profile} (set RECON_XERO_CLIENT_ID and RECON_XERO_CLIENT_SECRET, or xero_client_id "
                          "and xero_client_secret in its recon.toml table); the sandbox needs no connection")
    info = connect_xero(settings)
    print(f"connected to Xero organisation {info['tenant_name'] or info['tenant_id']} "
          f"(tenant {info['tenant_id']}, scopes {info['scope']}); tokens saved in {settings.token_file}")
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """``recon demo``: a sandbox of its own, sync under the demo policy, audit report; prints the report's path."""
    from recon.demo import run_demo

    run_demo(settings)
    return 0


def cmd_lab(args: argparse.Namespace, settings: Settings) -> int:
    """``recon lab``: JupyterLab on the notebooks for the profile."""
    from recon.demo import run_lab

    return run_lab(settings, port=args.port, open_browser=not args.no_browser)


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    """``recon doctor [--fix]``: check the profile end to end, one line per check, a fix for each problem
    (``--fix``: make loose permissions of the profile's files private)."""
    from recon.doctor import run_doctor

    return run_doctor(settings, fix=args.fix)


def cmd_profiles(args: argparse.Namespace, settings: Settings | None) -> int:
    """``recon profiles [NAME...]``: every profile of the config file with its last run and that run's status."""
    from recon.profiles import format_profiles, list_profiles

    infos = list_profiles(list(args.names) or None)
    print(format_profiles(infos))
    return 1 if any(info.error or info.status in ("failed", "failures") for info in infos) else 0


def cmd_app(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the approval web app for the profile until interrupted."""
    from recon.app import serve

    try:
        serve(settings, port=args.port, open_browser=args.open)
    except KeyboardInterrupt:
        return 0
    return 0
