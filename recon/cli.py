"""The ``recon`` command: the parser, settings read once from ``--profile``, and one exit-code convention.

Each subcommand is one function in :mod:`recon.commands` taking the parsed arguments and the profile's
:class:`~recon.config.Settings`; it returns an exit status, or raises a :class:`~recon.errors.ReconError` that
:data:`EXIT_CODES` maps to one:

====  =====================================================================================================
0     done
1     done, but not all is well: an action failed or was refused, ``verify`` or ``doctor`` found a problem,
      a notebook cell failed (its notebook is kept in the run folder)
2     nothing was done: a bad option, profile, setting, parameter, plan or missing run
3     stopped by a day limit; what was fetched is kept; run again after the time the message names
4     a service refused or failed (credentials, scopes, a record it would not take, an outage)
5     the state store refused: another apply holds the lock, the approvals chain is broken, no state file
130   interrupted (Ctrl-C)
====  =====================================================================================================

Error messages go to stderr as one line, ``recon <command>: <message>``; never a traceback. Everything printed
is cleaned of control characters first (:mod:`recon.terminal`).
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from recon import schema
from recon.errors import ApiError, ConfigError, DailyLimitError, DataError, PlanError, ReconError, StoreError

OK, NOT_ALL_WELL, NOTHING_DONE, DAY_LIMIT, SERVICE, STATE, INTERRUPTED = 0, 1, 2, 3, 4, 5, 130
#: commands that always run on the built-in sandbox profile
SANDBOX_ONLY = ("sandbox", "demo")
#: commands about every profile, which read no one profile's settings
EVERY_PROFILE = ("profiles",)

#: recon's errors and the exit status each ends a command with, most specific first.
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (DailyLimitError, DAY_LIMIT),
    (ApiError, SERVICE),
    (StoreError, STATE),
    (ConfigError, NOTHING_DONE),
    (PlanError, NOTHING_DONE),
    (DataError, NOTHING_DONE),
    (ReconError, NOT_ALL_WELL),
)


def exit_code(exc: BaseException) -> int:
    """The exit status for ``exc`` (:data:`EXIT_CODES`); the runner's errors say for themselves."""
    from recon.runner import CellError, RunError

    if isinstance(exc, CellError):
        return NOT_ALL_WELL
    if isinstance(exc, RunError):
        return NOTHING_DONE
    return next(code for kind, code in EXIT_CODES if isinstance(exc, kind))


def _kinds(text: str | None) -> tuple[str, ...]:
    if not text:
        return schema.KINDS
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if k not in schema.KINDS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown object kind(s) {', '.join(unknown)}; known: {', '.join(schema.KINDS)}")
    return kinds


def _seconds(text: str) -> float:
    """A per-cell timeout: a number of seconds above 0 and at most a day (``nan``, ``inf``, ``-5`` refused)."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= 86400:  # also false for nan
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0 and at most 86400")
    return seconds


def _port(text: str) -> int:
    """A TCP port, or 0 for a free one."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535; 0: a free one)")
    return port


def _approvals(text: str) -> str:
    """``all`` or comma-separated action ids: at least one."""
    ids = [i.strip() for i in text.split(",") if i.strip()]
    if not ids:
        raise argparse.ArgumentTypeError(f"{text!r} names no action: give all, or action ids separated by commas")
    return text.strip() if ids == ["all"] else ",".join(ids)


KINDS_HELP = f"comma-separated object kinds (default: all of {', '.join(schema.KINDS)})"


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("recon")
    except Exception:  # noqa: BLE001 - running from a checkout that was never installed
        from recon import __version__

        return __version__


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="recon", description="Keep a Precoro company and a Xero organisation in step.",
                                epilog="Exit status: 0 done; 1 done but an action failed or a check found a problem; "
                                       "2 nothing done (bad option, profile, setting or input); 3 day limit; "
                                       "4 a service refused or failed; 5 state store locked or broken; 130 interrupted.")
    p.add_argument("--profile", metavar="NAME",
                   help="settings profile: default, sandbox, or a [profile.NAME] of recon.toml "
                        "(default: RECON_PROFILE, else default)")
    p.add_argument("--version", action="version", version=f"recon {_version()}", help="print recon's version and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("sandbox", help="serve the Xero and Precoro emulators for the sandbox profile until stopped",
                       description="Serve both emulators on loopback. While it serves, every recon command of the "
                                   "sandbox profile talks to it and shares one state, seeded with the demo's links "
                                   "and baselines when it starts.")
    s.add_argument("--seed", choices=["demo", "empty"], default="demo",
                   help="data to start with: demo (the demo company, the default) or empty")
    s.add_argument("--xero-port", type=_port, default=0, metavar="N", help="port of the Xero emulator (default: a free one)")
    s.add_argument("--precoro-port", type=_port, default=0, metavar="N",
                   help="port of the Precoro emulator (default: a free one)")
    s.add_argument("--xero-app", choices=["new", "old"], default="new",
                   help="how the Xero emulator treats the sandbox client: new (created after 2 March 2026: granular "
                        "scopes only, the default) or old (also accepts accounting.transactions)")
    s.add_argument("--print-env", action="store_true",
                   help="print an export block of the RECON_* variables that point at the sandbox (of the one "
                        "already serving, then exit; else of the one this starts)")

    s = sub.add_parser("fetch", help="fetch both systems into Parquet files in a new run folder")
    s.add_argument("--objects", type=_kinds, default=schema.KINDS, metavar="KINDS", help=KINDS_HELP)
    s.add_argument("--full", action="store_true", help="full refresh instead of incremental from the latest run")
    s.add_argument("--out", metavar="DIR", help="run folder to write (default: <reports>/<new run id>)")

    s = sub.add_parser("reconcile", help="fetch and diff; write differences.csv, plan.json, summary.json")
    s.add_argument("--objects", type=_kinds, default=schema.KINDS, metavar="KINDS", help=KINDS_HELP)
    s.add_argument("--full", action="store_true", help="full refresh instead of incremental from the latest run")
    s.add_argument("--out", metavar="DIR", help="run folder to write (default: <reports>/<new run id>)")

    s = sub.add_parser("apply", help="carry out the approved actions of a plan")
    s.add_argument("plan", metavar="PLAN", help="a plan.json, its run folder, or a run id of the profile's reports")
    s.add_argument("--approve", type=_approvals, metavar="all|ID,...",
                   help="approve these pending actions first, as you (all: every pending action)")
    s.add_argument("--dry-run", action="store_true",
                   help="show the exact requests; write nothing (no approval, no journal, no outcome.json)")

    s = sub.add_parser("revert", help="write the reverse plan of a run into a new run folder (then recon apply it)",
                       description="Build the reverse plan of run RUN_ID from its journal: every field it changed put "
                                   "back, every record it created archived, disabled, deleted or voided as each "
                                   "system allows, every link it made removed. Prints the new run folder; approve "
                                   "and apply its plan like any plan (recon apply FOLDER, or sync.ipynb with its "
                                   "run id). What cannot be reverted (a bill with a payment, a locked period, a "
                                   "deleted document) is listed with the reason.")
    s.add_argument("run_id", metavar="RUN_ID", help="the run whose applied actions to revert")
    s.add_argument("--out", metavar="DIR", help="run folder to write (default: <reports>/<new run id>)")

    s = sub.add_parser("verify", help="check the approvals hash chain of the profile's state")
    s.add_argument("--sign", action="store_true",
                   help="sign the chain's head with the approvals key (once, when the key is first set)")

    s = sub.add_parser("run", help="run a notebook with papermill into <reports>/<run_id>/, with its HTML export")
    s.add_argument("notebook", metavar="NOTEBOOK",
                   help="a notebook file, or one of recon's own: reconcile.ipynb, sync.ipynb, audit_report.ipynb")
    s.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                   help="a parameter of the notebook's parameters cell (repeat for more); checked before it runs")
    s.add_argument("--timeout", type=_seconds, default=900.0, metavar="SECONDS",
                   help="per-cell execution timeout (default 900)")

    s = sub.add_parser("connect", help="connect a real account (Xero: authorisation-code consent in the browser)")
    s.add_argument("system", choices=["xero"], help="the system to connect: xero")

    sub.add_parser("demo", help="the whole loop on a sandbox of its own; prints the audit report's path")
    s = sub.add_parser("lab", help="JupyterLab on the notebooks for the profile (the sandbox served beside it)")
    s.add_argument("--port", type=_port, default=0, metavar="N", help="JupyterLab's port (default: its own choice)")
    s.add_argument("--no-browser", action="store_true", help="do not open a browser")
    s = sub.add_parser("app", help="the approval web app on loopback: runs, differences, approval grid, audit reports")
    s.add_argument("--port", type=int, default=8765, metavar="N", help="port to listen on (default 8765)")
    s.add_argument("--open", action="store_true", help="open it in the browser")
    # also after the command (`recon app --profile P`); SUPPRESS keeps `recon --profile P app` working
    s.add_argument("--profile", metavar="NAME", default=argparse.SUPPRESS, help="settings profile (as recon --profile)")
    s = sub.add_parser("doctor", help="check the profile end to end and say how to fix each problem")
    s.add_argument("--fix", action="store_true",
                   help="make the profile's state, lock, token file and run folders private to you (0600/0700)")
    s = sub.add_parser("profiles", help="the profiles of recon.toml (a firm's organisations) and how each one's last "
                                        "run went",
                       description="One line per profile of the config file ([profile.NAME] tables and "
                                   "profiles.d/NAME.toml): its last run, the run's status (synced, failures, deferred, "
                                   "failed, waiting, unfinished, no runs), its approval policy and where its secrets "
                                   "come from. Exit status 1 when a profile cannot be read or its last run failed.")
    s.add_argument("names", nargs="*", metavar="NAME", help="only these profiles (default: every one)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``recon`` console script. Everything it prints is cleaned of control characters
    (:mod:`recon.terminal`): record names come from two systems anyone with access may write to."""
    from recon.terminal import cleaned_output

    with cleaned_output():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    from recon import commands  # imported late: keeps `recon --help` fast
    from recon.config import SANDBOX_PROFILE, load_settings
    from recon.terminal import clean

    handler = getattr(commands, f"cmd_{args.command}")
    try:
        if args.command in SANDBOX_ONLY and args.profile not in (None, SANDBOX_PROFILE):
            raise ConfigError(f"recon {args.command} always runs on the sandbox profile; --profile {args.profile} "
                              "does not apply to it")
        if args.command in EVERY_PROFILE and args.profile is not None:
            raise ConfigError(f"recon {args.command} is about every profile: name the ones you want after it "
                              f"(recon {args.command} {args.profile}), not with --profile")
        settings = None if args.command in EVERY_PROFILE else \
            load_settings(SANDBOX_PROFILE if args.command in SANDBOX_ONLY else args.profile)
        return int(handler(args, settings) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED
    except ReconError as exc:
        print(f"recon {args.command}: {clean(exc)}", file=sys.stderr)  # one line, whatever the message holds
        return exit_code(exc)


if __name__ == "__main__":
    sys.exit(main())
