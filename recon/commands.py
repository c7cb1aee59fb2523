"""Implementations of the ``recon`` subcommands: each reads settings once and calls the Python API."""

from __future__ import annotations

import argparse
import sys


def _todo(name: str) -> int:
    print(f"recon {name}: not built yet", file=sys.stderr)
    return 2


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
    return _todo("reconcile")


def cmd_apply(args: argparse.Namespace) -> int:
    return _todo("apply")


def cmd_verify(args: argparse.Namespace) -> int:
    return _todo("verify")


def cmd_run(args: argparse.Namespace) -> int:
    return _todo("run")


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
    return _todo("demo")


def cmd_lab(args: argparse.Namespace) -> int:
    return _todo("lab")
