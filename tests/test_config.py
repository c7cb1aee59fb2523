"""Settings: one state per profile wherever recon starts, profiles that must exist, the sandbox profile, the
approver's name, Xero scopes and tier."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from recon import config
from recon.config import BROAD_SCOPES, GRANULAR_SCOPES, load_settings
from recon.errors import ConfigError

REAL = {"RECON_XERO_CLIENT_ID": "cid", "RECON_XERO_CLIENT_SECRET": "secret", "RECON_PRECORO_TOKEN": "tok",
        "RECON_PRECORO_EMAIL": "ap@example.com"}


def toml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "cfg" / "recon.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    return path


@pytest.mark.parametrize("env, profile, state, reports", [
    # nothing set: the profile's folder in the per-user data folder
    ({}, "default", "profiles/default/state.sqlite", "profiles/default/reports"),
    ({}, "sandbox", "profiles/sandbox/state.sqlite", "profiles/sandbox/reports"),
    # absolute paths from the environment win
    ({"RECON_STATE": "/srv/s.sqlite", "RECON_REPORTS_DIR": "/srv/reports"}, "default", "/srv/s.sqlite", "/srv/reports"),
])
def test_state_and_reports_resolve_to_absolute_paths_per_profile(tmp_path: Path, env: dict, profile: str, state: str,
                                                                 reports: str) -> None:
    data = tmp_path / "data"
    settings = load_settings(env={**REAL, "RECON_DATA_DIR": str(data), **env})
    if profile == "sandbox":
        settings = load_settings(env={"RECON_DATA_DIR": str(data), **env})
    assert settings.profile == profile
    assert settings.state_path == (data / state if not state.startswith("/") else Path(state))
    assert settings.reports_dir == (data / reports if not reports.startswith("/") else Path(reports))
    assert settings.state_path.is_absolute() and settings.reports_dir.is_absolute()


@pytest.mark.parametrize("key", ["RECON_STATE", "RECON_REPORTS_DIR", "RECON_TOKEN_FILE", "RECON_DATA_DIR"])
def test_a_relative_path_from_the_environment_is_refused(key: str) -> None:
    with pytest.raises(ConfigError, match=f"{key} must be an absolute path"):
        load_settings(env={**REAL, "RECON_DATA_DIR": "/srv/recon", key: "reports"})


def test_paths_in_recon_toml_are_relative_to_the_file(tmp_path: Path) -> None:
    path = toml(tmp_path, '[profile.prod]\nxero_client_id = "c"\nxero_client_secret = "s"\nstate = "state.sqlite"\n'
                          'reports_dir = "../runs"\n')
    settings = load_settings("prod", env={"RECON_CONFIG": str(path)})
    assert settings.state_path == path.parent / "state.sqlite"
    assert settings.reports_dir == (path.parent / ".." / "runs").resolve()


def test_every_entry_point_sees_the_same_state_wherever_it_starts(tmp_path: Path) -> None:
    """Two processes started in different folders (a kernel in notebooks/, cron in /) agree on the paths."""
    path = toml(tmp_path, '[profile.prod]\nxero_client_id = "c"\nxero_client_secret = "s"\nstate = "s.sqlite"\n')
    script = ("import json; from recon.config import load_settings as l; s = l(); "
              "print(json.dumps([str(s.state_path), str(s.reports_dir)]))")
    seen = set()
    for cwd in (tmp_path, Path("/"), Path(__file__).resolve().parents[1] / "notebooks"):
        env = {k: v for k, v in os.environ.items() if not k.startswith("RECON_")}
        env.update({"RECON_CONFIG": str(path), "RECON_PROFILE": "prod", "RECON_DATA_DIR": str(tmp_path / "d")})
        done = subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        seen.add(done.stdout)
    assert len(seen) == 1 and str(path.parent / "s.sqlite") in seen.pop()


@pytest.mark.parametrize("with_file", [False, True])
def test_a_profile_that_does_not_exist_is_an_error(tmp_path: Path, with_file: bool) -> None:
    env = {"RECON_CONFIG": str(toml(tmp_path, '[profile.prod]\nxero_client_id = "c"\nxero_client_secret = "s"\n'))} \
        if with_file else {}
    with pytest.raises(ConfigError, match="unknown profile 'prdo'") as exc:
        load_settings("prdo", env=env)
    assert ("profiles: default, sandbox, prod" if with_file else "there is no config file") in str(exc.value)
    with pytest.raises(ConfigError, match="unknown profile 'prdo'"):
        load_settings(env={**env, "RECON_PROFILE": "prdo"})


def test_a_working_folder_recon_toml_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml(tmp_path, "")
    (tmp_path / "recon.toml").write_text('[profile.here]\nxero_client_id = "c"\nxero_client_secret = "s"\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="unknown profile 'here'"):
        load_settings("here", env={})


def test_nothing_configured_is_the_sandbox_profile_and_it_takes_no_credentials(tmp_path: Path) -> None:
    env = {"RECON_DATA_DIR": str(tmp_path)}
    default = load_settings(env=env)
    assert default.profile == "sandbox" and default.xero.sandbox and default.precoro.sandbox
    # credentials in the environment configure the default profile, never the sandbox profile
    assert load_settings(env={**env, **REAL}).profile == "default"
    sandbox = load_settings("sandbox", env={**env, **REAL})
    assert sandbox.xero.sandbox and sandbox.precoro.sandbox and sandbox.xero.client_id == config.SANDBOX_XERO_CLIENT_ID
    with pytest.raises(ConfigError, match="built-in sandbox profile"):
        load_settings(env={"RECON_CONFIG": str(toml(tmp_path, '[profile.sandbox]\nstate = "x"\n'))})


def test_a_served_sandbox_is_found_while_its_lock_is_held(tmp_path: Path) -> None:
    from filelock import FileLock

    env = {"RECON_DATA_DIR": str(tmp_path)}
    server = config.sandbox_server_file(env)
    server.parent.mkdir(parents=True)
    record = {"xero_url": "http://127.0.0.1:1", "precoro_url": "http://127.0.0.1:2", "instance": "i-1", "pid": 1,
              "started_at": "2026-03-01T09:00:00Z", "state": str(server.parent / "state.sqlite")}
    server.write_text(json.dumps(record))
    assert config.served_sandbox(env) is None  # nobody holds the lock: a sandbox that has stopped
    assert load_settings(env=env).needs_sandbox
    with FileLock(str(server.with_name("server.lock"))):
        held = load_settings(env=env)
        assert (held.xero.api_url, held.precoro.base_url, held.sandbox_instance) == \
            ("http://127.0.0.1:1", "http://127.0.0.1:2", "i-1")
        assert held.state_path == server.parent / "state.sqlite" and not held.needs_sandbox
        # a real profile is never moved by it
        assert load_settings(env={**env, **REAL}).xero.api_url == "https://api.xero.com"
        # a sandbox handed to a kernel wins, with its own state
        handed = load_settings(env={**env, "RECON_SANDBOX_XERO_URL": "http://127.0.0.1:7",
                                    "RECON_SANDBOX_PRECORO_URL": "http://127.0.0.1:8",
                                    "RECON_SANDBOX_STATE": str(tmp_path / "mine.sqlite")})
        assert handed.xero.api_url == "http://127.0.0.1:7" and handed.state_path == tmp_path / "mine.sqlite"


@pytest.mark.parametrize("env, user", [
    ({"RECON_USER": "ana", "USER": "root"}, "ana"),
    ({"USER": "bo"}, "bo"),
    ({"LOGNAME": "cy", "USER": "bo"}, "cy"),
    ({"USERNAME": "di"}, "di"),
])
def test_the_approver_is_named(env: dict, user: str) -> None:
    assert load_settings(env=env).user == user


def test_with_no_user_variable_the_approver_is_the_login_name() -> None:
    import pwd

    assert load_settings(env={}).user == pwd.getpwuid(os.getuid()).pw_name != "unknown"


@pytest.mark.parametrize("value, scopes", [
    ("", GRANULAR_SCOPES), ("granular", GRANULAR_SCOPES), ("broad", BROAD_SCOPES), ("BROAD", BROAD_SCOPES),
    ("offline_access accounting.contacts", ("offline_access", "accounting.contacts")),
    ("accounting.contacts,accounting.settings.read", ("accounting.contacts", "accounting.settings.read")),
])
def test_xero_scopes_setting(value: str, scopes: tuple) -> None:
    env = {**REAL, **({"RECON_XERO_SCOPES": value} if value else {})}
    assert load_settings(env=env).xero.scopes == scopes


@pytest.mark.parametrize("tier, day", [("", 5000), ("starter", 1000), ("core", 5000), ("plus", 5000), ("advanced", 5000)])
def test_the_xero_day_limit_follows_the_tier(tier: str, day: int) -> None:
    env = {**REAL, **({"RECON_XERO_TIER": tier} if tier else {})}
    assert load_settings(env=env).xero.day_limit == day


def test_an_unknown_tier_is_refused() -> None:
    with pytest.raises(ConfigError, match="not a Xero pricing tier; use one of starter, core, plus, advanced"):
        load_settings(env={**REAL, "RECON_XERO_TIER": "gold"})
