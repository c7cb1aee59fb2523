"""The ``recon`` command: a thin layer over the Python API (one small function per subcommand)."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from recon import schema


def _kinds(text: str | None) -> tuple[str, ...]:
    if not text:
        return schema.KINDS
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if k not in schema.KINDS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown object kind(s) {', '.join(unknown)}; known: {', '.join(schema.KINDS)}")
    return kinds


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="recon", description="Keep a Precoro company and a Xero organisation in step.")
    p.add_argument("--profile", help="settings profile (recon.toml [profile.NAME]); default RECON_PROFILE or 'default'")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("sandbox", help="serve the Xero and Precoro emulators until stopped")
    s.add_argument("--seed", choices=["demo", "empty"], default="demo")
    s.add_argument("--xero-port", type=int, default=0)
    s.add_argument("--precoro-port", type=int, default=0)

    s = sub.add_parser("fetch", help="fetch both systems into Parquet files in a run folder")
    s.add_argument("--objects", type=_kinds, default=schema.KINDS)
    s.add_argument("--full", action="store_true", help="full refresh instead of incremental")
    s.add_argument("--out", help="run folder (default reports/<run_id>)")

    s = sub.add_parser("reconcile", help="fetch and diff; write differences.csv, plan.json, summary.json")
    s.add_argument("--objects", type=_kinds, default=schema.KINDS)
    s.add_argument("--full", action="store_true")
    s.add_argument("--out")

    s = sub.add_parser("apply", help="carry out the approved actions of a plan")
    s.add_argument("plan")
    s.add_argument("--approve", help="'all' or a comma-separated list of action ids to approve first")
    s.add_argument("--dry-run", action="store_true")

    s = sub.add_parser("verify", help="check the approvals hash chain")
    s.add_argument("--sign", action="store_true", help="sign the chain's head with the approvals key (once, when the key is first set)")

    s = sub.add_parser("run", help="run a notebook with papermill into reports/<run_id>/")
    s.add_argument("notebook")
    s.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    s.add_argument("--timeout", type=float, default=900.0, help="per-cell execution timeout in seconds")

    s = sub.add_parser("connect", help="connect a real account (authorisation-code flow)")
    s.add_argument("system", choices=["xero"])

    sub.add_parser("demo", help="the whole loop on the sandbox; prints the audit report's path")
    s = sub.add_parser("lab", help="JupyterLab with the sandbox running and the notebooks open")
    s.add_argument("--port", type=int, default=0, help="JupyterLab's port (default: its own choice)")
    s.add_argument("--no-browser", action="store_true", help="do not open a browser")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``recon`` console script."""
    args = build_parser().parse_args(argv)
    from recon import commands  # imported late: keeps `recon --help` fast

    handler = getattr(commands, f"cmd_{args.command}")
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
