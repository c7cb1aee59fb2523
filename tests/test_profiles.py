"""Profiles for many organisations: one recon.toml with [defaults], [profile.NAME] tables and a profiles.d/
folder; secrets from environment variables or a secrets file; `recon profiles` with each last run's status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from recon import config
from recon.config import load_settings
from recon.errors import ConfigError
from recon.profiles import format_profiles, last_run, list_profiles, run_status
from recon.run_folder import RunFolder

from conftest import clean_env

ROOT = Path(__file__).resolve().parents[1]

FIRM_TOML = """
[defaults]
xero_client_id = "firm-app"
xero_client_secret_env = "FIRM_XERO_SECRET"
xero_tier = "starter"
policy = "xero_to_precoro_reference"

[profile.acme]
xero_tenant_id = "tenant-acme"
precoro_email = "ap@acme.example"
precoro_token_env = "ACME_PRECORO_TOKEN"
state = "clients/acme/state.sqlite"
reports_dir = "clients/acme/reports"
"""


@pytest.fixture()
def firm(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A firm's recon.toml: one client in a table, two in profiles.d/, one of them with a secrets file."""
    home = tmp_path / "firm"
    (home / "profiles.d").mkdir(parents=True)
    (home / "recon.toml").write_text(FIRM_TOML)
    (home / "profiles.d" / "kauri.toml").write_text(
        'xero_tenant_id = "tenant-kauri"\nprecoro_email = "ap@kauri.example"\nsecrets_file = "../secrets/kauri.toml"\n'
        'policy = "none"\nstate = "kauri-state.sqlite"\n')
    (home / "profiles.d" / "tui.toml").write_text(
        'xero_tenant_id = "tenant-tui"\nprecoro_email = "ap@tui.example"\nprecoro_token_env = "TUI_PRECORO_TOKEN"\n'
        'xero_tier = "core"\n')
    (home / "secrets").mkdir()
    secrets = home / "secrets" / "kauri.toml"
    secrets.write_text('precoro_token = "kauri-token-from-file"\n')
    secrets.chmod(0o600)
    env = {"RECON_CONFIG": str(home / "recon.toml"), "RECON_DATA_DIR": str(tmp_path / "data"),
           "FIRM_XERO_SECRET": "firm-secret", "ACME_PRECORO_TOKEN": "acme-token", "TUI_PRECORO_TOKEN": "tui-token"}
    return home, env


def test_one_recon_toml_lists_the_firms_clients_each_with_its_own_state_and_credentials(firm) -> None:
    home, env = firm
    assert config.configured_profiles(env) == ["acme", "kauri", "tui"]
    assert config.profile_names(env) == ["default", "sandbox", "acme", "kauri", "tui"]
    acme, kauri, tui = (load_settings(name, env=env) for name in ("acme", "kauri", "tui"))
    # the firm's one Xero app from [defaults], the secret from the environment variable it names
    assert {s.xero.client_id for s in (acme, kauri, tui)} == {"firm-app"}
    assert {s.xero.client_secret for s in (acme, kauri, tui)} == {"firm-secret"}
    assert [s.xero.tenant_id for s in (acme, kauri, tui)] == ["tenant-acme", "tenant-kauri", "tenant-tui"]
    assert [s.precoro.token for s in (acme, kauri, tui)] == ["acme-token", "kauri-token-from-file", "tui-token"]
    assert [s.xero.tier for s in (acme, kauri, tui)] == ["starter", "starter", "core"]  # a profile's own key wins
    assert [s.policy for s in (acme, kauri, tui)] == ["xero_to_precoro_reference", "none", "xero_to_precoro_reference"]
    # a path is relative to the file that names it; without one, the profile's own folder
    assert acme.state_path == home / "clients" / "acme" / "state.sqlite"
    assert kauri.state_path == home / "profiles.d" / "kauri-state.sqlite"
    assert tui.state_path == Path(env["RECON_DATA_DIR"]) / "profiles" / "tui" / "state.sqlite"
    assert len({s.state_path for s in (acme, kauri, tui)}) == 3 and len({s.reports_dir for s in (acme, kauri, tui)}) == 3
    assert "secret" not in repr(acme) and "token" not in repr(kauri.precoro)


def test_where_each_secret_comes_from_is_said_without_the_secret(firm) -> None:
    home, env = firm
    sources = {name: config.credential_sources(name, env) for name in config.configured_profiles(env)}
    assert sources["acme"] == {"xero_client_secret": "environment FIRM_XERO_SECRET",
                               "precoro_token": "environment ACME_PRECORO_TOKEN"}
    assert sources["kauri"]["precoro_token"] == "secrets file ../secrets/kauri.toml"
    assert "kauri-token-from-file" not in json.dumps(sources)


BAD = [
    # (profile read, file to write (relative to the firm's folder) or None, body, expected words)
    ("acme", None, None, "recon.toml [profile.acme]: precoro_token_env names the environment variable "
                         "ACME_PRECORO_TOKEN, which is not set"),
    ("kauri", "secrets/kauri.toml", 0o644, "{home}/profiles.d/kauri.toml: secrets_file {home}/secrets/kauri.toml is readable by others "
                                           "(mode 644); run chmod 600"),
    ("acme", "profiles.d/acme.toml", 'xero_tenant_id = "x"\n', "profile 'acme' is defined twice: in {home}/recon.toml "
                                                               "and in {home}/profiles.d/acme.toml"),
    ("tui", "profiles.d/tui.toml", 'precoro_tokn = "x"\n', "{home}/profiles.d/tui.toml: unknown key 'precoro_tokn'"),
    ("a", "recon.toml", '[defaults]\nstate = "one.sqlite"\n[profile.a]\n',
     "{home}/recon.toml [defaults]: state would give every profile the same one"),
    ("a", "recon.toml", 'profile_dir = "x"\n', "{home}/recon.toml: unknown top-level key(s) profile_dir"),
    ("kauri", "secrets/kauri.toml", 'state = "/tmp/x"\n', "kauri.toml: unknown key 'state'; a secrets file holds "
                                                         "Xero and Precoro settings"),
    ("acme", "recon.toml", FIRM_TOML.replace('xero_tier = "starter"', "xero_tier = [1]"),
     "{home}/recon.toml [defaults]: xero_tier is a single value, not list"),
]


@pytest.mark.parametrize("profile, name, body, expected", BAD)
def test_a_bad_profile_is_one_line_naming_the_file_the_profile_and_the_key(firm, profile, name, body, expected) -> None:
    home, env = firm
    env = dict(env)
    if name is None:
        env.pop("ACME_PRECORO_TOKEN")
    elif isinstance(body, int):
        (home / name).chmod(body)
    else:
        (home / name).write_text(body)
        (home / name).chmod(0o600)
    with pytest.raises(ConfigError) as err:
        load_settings(profile, env=env)
    assert expected.format(home=home) in str(err.value) and "\n" not in str(err.value)


def test_variables_that_would_give_every_profile_one_organisations_values_are_named(firm) -> None:
    home, env = firm
    assert config.shared_overrides(env) == []
    crowded = {**env, "RECON_STATE": "/srv/one.sqlite", "RECON_PRECORO_TOKEN": "t", "RECON_XERO_TIER": "core"}
    assert config.shared_overrides(crowded) == ["RECON_STATE", "RECON_PRECORO_TOKEN"]  # a tier is the app's
    assert "warning: RECON_STATE is set in the environment" in format_profiles(list_profiles(env=crowded), crowded)


# ---- the status of a run -------------------------------------------------------------------------------------

def _sample(folder: Path, **kw) -> RunFolder:
    from sample_run import build

    return RunFolder(build(folder, **kw))


def test_run_status_table(tmp_path: Path) -> None:
    """Each state a run folder can be in, read through RunFolder, in the firm's words."""
    from datetime import datetime, timezone

    import nbformat

    applied = run_status(_sample(tmp_path / "r1"))
    assert (applied.status, applied.outcome["failed"], applied.outcome["refused"]) == ("failures", 1, 1)
    assert applied.detail == "2 applied, 1 refused, 1 failed"

    decided = run_status(_sample(tmp_path / "r2", with_outcome=False))
    assert decided.status == "waiting" and decided.undecided == 0 and "decided, not applied yet" in decided.detail

    stopped = _sample(tmp_path / "r3", with_outcome=False)
    stopped.record_stop(reason="day_limit", message="Xero's daily call limit is spent",
                        resume_at=datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    status = run_status(stopped)
    assert (status.status, status.detail) == ("deferred", "day limit: deferred until 2026-03-02 09:00:00 UTC")

    failing = _sample(tmp_path / "r4")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1/0")
    cell.outputs = [nbformat.v4.new_output("error", ename="AuthError", evalue="xero HTTP 401: refused\nsecond line",
                                           traceback=[])]
    nb.cells.append(cell)
    nbformat.write(nb, failing.notebook("sync.ipynb"))
    assert run_status(failing).status == "failed"
    assert run_status(failing).detail == "sync.ipynb stopped on AuthError: xero HTTP 401: refused second line"

    started = RunFolder.create(tmp_path, "r5")
    started.record_run(settings=load_settings(env={}), parameters={}, notebook="sync.ipynb")
    assert run_status(started).status == "unfinished"


def test_the_last_run_is_the_one_that_started_last(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    settings = load_settings(env={})
    for run_id, hour in (("b-later-name", 8), ("a-earlier-name", 9)):
        RunFolder.create(tmp_path, run_id).record_run(settings=settings, parameters={}, notebook="sync.ipynb",
                                                      clock=lambda h=hour: datetime(2026, 3, 1, h, tzinfo=timezone.utc))
    assert last_run(tmp_path).run_id == "a-earlier-name"
    assert last_run(tmp_path / "none") is None


def test_recon_profiles_lists_every_client_with_its_last_run(firm) -> None:
    home, env = firm
    _sample(home / "clients" / "acme" / "reports" / "20260301-090507-aaaa")
    proc = subprocess.run([sys.executable, "-m", "recon.cli", "profiles"], env=clean_env(**env, PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, timeout=60)
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["profile", "last", "run", "status", "policy", "secrets", "detail"]
    by_name = {line.split()[0]: line for line in lines[1:]}
    assert sorted(by_name) == ["acme", "kauri", "tui"]
    assert "20260301-090507-aaaa" in by_name["acme"] and " failures " in by_name["acme"]
    assert "no runs" in by_name["kauri"] and "secrets file" in by_name["kauri"] and " none " in by_name["kauri"]
    assert "environment TUI_PRECORO_TOKEN" in by_name["tui"]
    assert proc.returncode == 1  # acme's last run has failures
    for secret in ("acme-token", "kauri-token-from-file", "firm-secret"):
        assert secret not in proc.stdout + proc.stderr
    only = subprocess.run([sys.executable, "-m", "recon.cli", "profiles", "tui"], env=clean_env(**env, PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, timeout=60)
    assert only.returncode == 0 and [line.split()[0] for line in only.stdout.splitlines()[1:]] == ["tui"]


def test_a_client_whose_settings_fail_is_listed_with_the_reason(firm) -> None:
    home, env = firm
    env = {k: v for k, v in env.items() if k != "TUI_PRECORO_TOKEN"}
    infos = {info.name: info for info in list_profiles(env=env)}
    assert infos["tui"].status == "failed" and "TUI_PRECORO_TOKEN, which is not set" in infos["tui"].detail
    assert infos["acme"].error == "" and infos["acme"].status == "no runs"
