"""The command line: help for every option, --version, --profile honoured by every command, one exit-code
convention, one run-id format, plain progress in logs, the sandbox's export block, and imports that work where
fcntl does not exist."""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import clean_env
from recon import cli, schema
from recon.config import load_settings
from recon.errors import (ApiError, ApprovalError, AuthError, ConfigError, DailyLimitError, DataError, IntegrityError,
                          LockError, PlanError, ReconError, RemoteValidationError, StaleActionError, StoreError)
from recon.runner import CellError, KernelNotFound, ParameterError
from served import ROOT, recon, recon_sandbox


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"": parser, **action.choices}


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_every_option_has_help(command: str) -> None:
    parser = subcommands()[command]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            continue
        assert action.help and action.help != argparse.SUPPRESS, f"recon {command}: {action.dest} has no help"


@pytest.mark.parametrize("command", ["fetch", "reconcile"])
def test_the_objects_help_lists_the_kinds(command: str) -> None:
    helptext = subcommands()[command].format_help().replace("\n", " ")
    assert all(kind in re.sub(r"\s+", " ", helptext) for kind in schema.KINDS)


def test_version() -> None:
    done = recon("--version", env=clean_env())
    assert done.returncode == 0 and done.stdout.strip() == f"recon {cli._version()}" and cli._version()


@pytest.mark.parametrize("error, code", [
    (DailyLimitError("day", system="xero"), 3),
    (AuthError("no", system="xero"), 4),
    (RemoteValidationError("bad", system="precoro"), 4),
    (ApiError("down", system="xero"), 4),
    (LockError("held"), 5),
    (IntegrityError("broken"), 5),
    (StoreError("no state"), 5),
    (ConfigError("bad profile"), 2),
    (ParameterError("unknown parameter"), 2),
    (KernelNotFound("no kernel"), 2),
    (PlanError("no plan"), 2),
    (ApprovalError("other plan"), 2),
    (StaleActionError("changed"), 2),
    (DataError("bad record"), 2),
    (CellError("cell 3 failed", executed=Path("x"), cell=3, ename="E", evalue="v"), 1),
    (ReconError("anything else"), 1),
])
def test_one_exit_code_per_kind_of_error(error: ReconError, code: int) -> None:
    assert cli.exit_code(error) == code


@pytest.mark.parametrize("argv", [
    ["fetch"], ["reconcile"], ["apply", "plan.json"], ["verify"], ["run", "sync.ipynb"], ["connect", "xero"],
    ["lab"], ["doctor"],
])
def test_an_unknown_profile_stops_every_command(tmp_path: Path, argv: list[str]) -> None:
    done = recon("--profile", "nope", *argv, env=clean_env(RECON_DATA_DIR=str(tmp_path)), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith(f"recon {argv[0]}: unknown profile 'nope'") and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_connect_and_fetch_honour_the_profile(tmp_path: Path) -> None:
    from recon.sandbox import Sandbox

    config = tmp_path / "recon.toml"
    with Sandbox(seed="demo") as sb:
        config.write_text(f'[profile.books]\nprecoro_token = "sandbox-token"\nprecoro_email = "sandbox@example.com"\n'
                          f'precoro_base_url = "{sb.precoro_url}"\nreports_dir = "books-runs"\n')
        env = clean_env(RECON_CONFIG=str(config), RECON_DATA_DIR=str(tmp_path / "data"))
        connect = recon("--profile", "books", "connect", "xero", env=env)
        assert connect.returncode == 2 and "no Xero app configured for profile books" in connect.stderr
        fetch = recon("--profile", "books", "fetch", "--objects", "tax_rate", env=env)
    assert fetch.returncode == 0, fetch.stderr
    assert f"profile books: Xero sandbox, Precoro {sb.precoro_url}" in fetch.stdout
    [run] = (tmp_path / "books-runs").iterdir()
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{4}", run.name)  # the one run-id format
    assert (run / "precoro_tax_rate.parquet").is_file()


def test_a_fetch_into_a_log_writes_plain_progress_lines_and_names_the_user(tmp_path: Path) -> None:
    import pwd
    import os

    env = clean_env(RECON_DATA_DIR=str(tmp_path))
    for name in ("USER", "LOGNAME", "USERNAME", "LNAME"):
        env.pop(name, None)
    done = recon("fetch", "--objects", "supplier", env=env)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^fetch xero: \d+ requests, done$", done.stderr, re.M), done.stderr
    # per kind and system, records of the total (Precoro's list size; Xero's itemCount less the customers dropped)
    for system in ("precoro", "xero"):
        assert re.search(rf"^fetch {system} supplier: (\d+)/\1 records, done \(\d+ requests\)$", done.stderr,
                         re.M), done.stderr
    assert "\r" not in done.stderr and "\x1b[" not in done.stderr
    [run] = (tmp_path / "profiles" / "sandbox" / "reports").iterdir()
    assert json.loads((run / "run.json").read_text())["user"] == pwd.getpwuid(os.getuid()).pw_name


def test_recon_sandbox_prints_an_export_block_that_points_at_it(tmp_path: Path) -> None:
    env = clean_env(RECON_DATA_DIR=str(tmp_path))
    with recon_sandbox(env) as urls:
        done = recon("sandbox", "--print-env", env=env)  # one is serving: its block, and exit
        assert done.returncode == 0, done.stderr
        again = recon("sandbox", env=env)
        assert again.returncode == 2 and "already serving" in again.stderr
    exports = dict(shlex.split(line)[1].split("=", 1) for line in done.stdout.splitlines() if line.startswith("export "))
    assert len(exports) == 10 and exports["RECON_XERO_API_URL"] == urls["xero"]
    settings = load_settings(env=exports)
    assert settings.profile == "default" and not settings.uses_sandbox
    assert (settings.xero.api_url, settings.precoro.base_url) == (urls["xero"], urls["precoro"])
    assert settings.state_path == tmp_path / "profiles" / "sandbox" / "state.sqlite"


OWN_MODULES = ["recon.config", "recon.cli", "recon.commands", "recon.workbench", "recon.run_folder", "recon.runner",
               "recon.demo", "recon.doctor", "recon.progress", "recon.limits", "recon.connectors.tokens",
               "recon.connectors.pacing", "recon.connectors.budget", "recon.report", "recon.snapshot", "recon.outputs"]


def test_these_modules_import_where_there_is_no_fcntl() -> None:
    """Windows has no fcntl: importing it at the top of one of these would stop recon there."""
    script = ("import sys, importlib; sys.modules['fcntl'] = None\n"
              f"for name in {OWN_MODULES!r}: importlib.import_module(name)\nprint('ok')")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_the_sandbox_commands_run_on_the_sandbox_profile_only(tmp_path: Path) -> None:
    done = recon("--profile", "default", "demo", env=clean_env(RECON_DATA_DIR=str(tmp_path)))
    assert done.returncode == 2 and "recon demo always runs on the sandbox profile" in done.stderr
    assert list(tmp_path.iterdir()) == []
