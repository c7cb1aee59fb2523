"""Implementations of the ``recon`` subcommands: each reads settings once and calls the Python API."""

from __future__ import annotations

import argparse
import os
import sys


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Serve both emulators until interrupted, printing their base URLs."""
    import time

    from recon import config
    from recon.sandbox import Sandbox

    with Sandbox(seed=args.seed, xero_port=args.xero_port, precoro_port=args.precoro_port) as sb:
        print(f"Xero sandbox:    {sb.xero_url}   (client {config.SANDBOX_XERO_CLIENT_ID} / {config.SANDBOX_XERO_CLIENT_SECRET}, tenant {config.SANDBOX_XERO_TENANT_ID})")
        print(f"Precoro sandbox: {sb.precoro_url}   (token {config.SANDBOX_PRECORO_TOKEN}, email {config.SANDBOX_PRECORO_EMAIL})")
        print(f"seed: {args.seed}. Point recon at it with RECON_XERO_API_URL={sb.xero_url} RECON_XERO_IDENTITY_URL={sb.xero_url} "
              f"RECON_PRECORO_BASE_URL={sb.precoro_url} and the credentials above. Ctrl-C stops.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    """Fetch both systems into a run folder: one Parquet file per system and frame, a count per file."""
    from recon.fetch import run_fetch

    return run_fetch(kinds=tuple(args.objects), full=args.full, out=args.out)


def cmd_reconcile(args: argparse.Namespace) -> int:
    """``recon reconcile``: fetch and diff into a run folder (differences.csv, plan.json, summary.json)."""
    from pathlib import Path

    from recon.errors import ReconError
    from recon.workbench import Session

    kinds = tuple(args.objects)
    out = Path(args.out) if args.out else None
    try:
        session = Session.open(run_id=out.name if out else "", notebook="recon reconcile", profile=args.profile or "",
                               reports_dir=out.parent if out else "",
                               parameters={"objects": list(kinds), "full": args.full})
    except ReconError as exc:
        print(f"recon reconcile: {exc}", file=sys.stderr)
        return 2
    try:
        rec = session.reconcile(session.fetch(kinds, full=args.full), kinds)
        session.finish()
    except ReconError as exc:
        print(f"recon reconcile: {exc}", file=sys.stderr)
        return 3 if getattr(exc, "scope", "") == "day" else 1
    finally:
        session.close()
    print(rec.summary.to_string(index=False))
    print(rec.settings_check.get("message", ""))
    print(rec.message)
    for name in ("differences.csv", "plan.json", "summary.json"):
        print(f"  {session.folder / name}")
    return 0


def cmd_apply(args: argparse.Namespace) -> int:
    """``recon apply PLAN [--approve all|ID,...] [--dry-run]``: exit 0 when nothing failed or was refused."""
    from recon.apply import run_apply
    from recon.config import load_settings
    from recon.errors import ReconError

    try:
        return run_apply(load_settings(args.profile), args.plan, approve=args.approve, dry_run=args.dry_run)
    except ReconError as exc:
        print(f"recon apply: {exc}", file=sys.stderr)
        return 2


def cmd_verify(args: argparse.Namespace) -> int:
    """``recon verify [--sign]``: check (or first sign, with the approvals key) the approvals hash chain."""
    from recon.config import load_settings
    from recon.errors import ReconError
    from recon.store import Store

    try:
        settings = load_settings(args.profile)
        with Store(settings.state_path, approvals_key=settings.approvals_key) as store:
            report = store.sign() if getattr(args, "sign", False) else store.verify()
    except ReconError as exc:
        print(f"recon verify: {exc}", file=sys.stderr)
        return 2
    print(f"{settings.state_path}: {report.message}", file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1


def cmd_run(args: argparse.Namespace) -> int:
    """``recon run NOTEBOOK -p NAME VALUE ...``: papermill run into ``reports/<run_id>/`` plus HTML export."""
    from recon.config import load_settings
    from recon.errors import ReconError
    from recon.runner import CellError, parse_cli_parameters, run_notebook

    try:
        settings = load_settings(args.profile)
        params = parse_cli_parameters(args.parameter)
        if args.profile:
            os.environ["RECON_PROFILE"] = args.profile  # the kernel inherits it; profiles hold no secret
        result = run_notebook(args.notebook, params, reports_dir=settings.reports_dir,
                              timeout=args.timeout, progress=sys.stderr.isatty())
    except CellError as exc:
        print(f"recon run: {exc}", file=sys.stderr)
        return 1
    except ReconError as exc:
        print(f"recon run: {exc}", file=sys.stderr)
        return 2
    print(f"run {result.run_id}: executed notebook {result.executed}")
    if result.html:
        print(f"report: {result.html}")
    return 0


def cmd_connect(args: argparse.Namespace) -> int:
    """``recon connect xero``: authorisation-code consent in the browser; tokens saved in the token file."""
    from recon import config
    from recon.connectors.tokens import connect_xero

    settings = config.load_settings()
    if settings.xero.sandbox:
        print("recon connect xero: no Xero app configured (set RECON_XERO_CLIENT_ID and RECON_XERO_CLIENT_SECRET); "
              "the sandbox needs no connection", file=sys.stderr)
        return 2
    info = connect_xero(settings)
    print(f"connected to Xero organisation {info['tenant_name'] or info['tenant_id']} "
          f"(tenant {info['tenant_id']}); tokens saved in {settings.token_file}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """``recon demo``: sandbox, sync under the demo policy, audit report; prints the report's path."""
    from recon.config import load_settings
    from recon.demo import run_demo
    from recon.errors import ReconError

    try:
        run_demo(load_settings(args.profile).reports_dir)
    except ReconError as exc:
        print(f"recon demo: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_lab(args: argparse.Namespace) -> int:
    """``recon lab``: JupyterLab on the notebooks with the sandbox running."""
    from recon.config import load_settings
    from recon.demo import run_lab

    return run_lab(load_settings(args.profile).reports_dir, port=args.port, open_browser=not args.no_browser)
