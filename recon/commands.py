"""Implementations of the ``recon`` subcommands: each reads settings once and calls the Python API."""

from __future__ import annotations

import argparse
import sys


def _todo(name: str) -> int:
    print(f"recon {name}: not built yet", file=sys.stderr)
    return 2


def cmd_sandbox(args: argparse.Namespace) -> int:
    return _todo("sandbox")


def cmd_fetch(args: argparse.Namespace) -> int:
    return _todo("fetch")


def cmd_reconcile(args: argparse.Namespace) -> int:
    return _todo("reconcile")


def cmd_apply(args: argparse.Namespace) -> int:
    return _todo("apply")


def cmd_verify(args: argparse.Namespace) -> int:
    return _todo("verify")


def cmd_run(args: argparse.Namespace) -> int:
    return _todo("run")


def cmd_connect(args: argparse.Namespace) -> int:
    return _todo("connect")


def cmd_demo(args: argparse.Namespace) -> int:
    return _todo("demo")


def cmd_lab(args: argparse.Namespace) -> int:
    return _todo("lab")
