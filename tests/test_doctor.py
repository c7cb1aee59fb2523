"""`recon doctor`: one line per check, a fix for each problem, exit 1 when anything is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import clean_env
from recon.config import load_settings
from recon.connectors.pacing import reset_pacers
from recon.doctor import run_doctor
from recon.sandbox import Sandbox
from served import recon

TOPICS = ("profile", "state", "run folders", "kernel", "xero credentials", "xero token", "xero tenant",
          "xero organisation", "xero limits", "precoro company", "precoro limits", "rounding")


def test_the_sandbox_profile_is_healthy(tmp_path: Path) -> None:
    done = recon("doctor", env=clean_env(RECON_DATA_DIR=str(tmp_path)))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "no problem found" and not [l for l in lines if l.startswith("FAIL")]
    for topic in TOPICS:
        assert any(l.startswith(f"ok    {topic}: ") for l in lines), topic
    assert any("1,000" in l or "5,000 calls left" in l or "of 5,000" in l for l in lines if "xero limits" in l)


def app(sb: Sandbox, tmp_path: Path, **extra: str):
    env = {"RECON_XERO_CLIENT_ID": "sandbox-client", "RECON_XERO_CLIENT_SECRET": "sandbox-secret",
           "RECON_XERO_API_URL": sb.xero_url, "RECON_XERO_IDENTITY_URL": sb.xero_url,
           "RECON_PRECORO_TOKEN": "sandbox-token", "RECON_PRECORO_EMAIL": "sandbox@example.com",
           "RECON_PRECORO_BASE_URL": sb.precoro_url, "RECON_DATA_DIR": str(tmp_path),
           "RECON_TOKEN_FILE": str(tmp_path / "tokens.json"), **extra}
    return load_settings(env=env)


@pytest.mark.parametrize("extra, problem, fix", [
    ({"RECON_XERO_SCOPES": "broad"}, "Xero refused the scope accounting.transactions", "use xero_scopes"),
    ({"RECON_XERO_SCOPES": "accounting.contacts accounting.settings accounting.payments.read"},
     "purchase_order and bill need accounting.invoices, which Xero did not grant", "give the app accounting.invoices"),
    ({"RECON_XERO_TENANT_ID": "other-org"}, "tenant other-org is not among the organisations reachable",
     "set xero_tenant_id"),
    ({"RECON_PRECORO_TOKEN": "revoked"}, "precoro", "check precoro_token and precoro_email"),
])
def test_each_problem_is_one_line_with_its_fix(tmp_path: Path, extra: dict, problem: str, fix: str) -> None:
    reset_pacers()
    lines: list[str] = []
    with Sandbox(seed="demo") as sb:
        code = run_doctor(app(sb, tmp_path, **extra), out=lines.append)
    failed = [l for l in lines if l.startswith("FAIL")]
    assert code == 1 and lines[-1] == "1 problem found" and len(failed) == 1, lines
    assert problem in failed[0] and f"— fix: {fix}" in failed[0], failed
    reset_pacers()


def test_a_configured_profile_that_works_has_no_problem(tmp_path: Path) -> None:
    reset_pacers()
    lines: list[str] = []
    with Sandbox(seed="demo") as sb:
        assert run_doctor(app(sb, tmp_path), out=lines.append) == 0, lines
    assert any(l.startswith("ok    xero token: client credentials token; granted accounting.contacts") for l in lines)
    reset_pacers()
