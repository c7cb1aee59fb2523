"""Hostile text never reaches the terminal raw: a supplier named with escape sequences, created through Precoro's
public API, is shown escaped by ``recon reconcile`` and ``recon apply`` (recon/terminal.py)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from recon import config
from recon.progress import PlainProgress, progress
from recon.terminal import CleanStream, clean, cleaned_output
from test_apply_kit import start_sandbox

pytestmark = pytest.mark.reliability  # counted in docs/approve-apply.md, section Reliability

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "Evil\x1b[2J\x1b]0;owned\x07 Ltd\x9b31m \u202egnp.exe"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


@pytest.mark.parametrize("text, value, lines", [
    ("plain text, ünïcode € 12.50", "plain text, ünïcode € 12.50", "plain text, ünïcode € 12.50"),
    ("clear\x1b[2J", "clear\\x1b[2J", "clear\\x1b[2J"),
    ("bell\x07 nul\x00 del\x7f", "bell\\x07 nul\\x00 del\\x7f", "bell\\x07 nul\\x00 del\\x7f"),
    ("c1 csi\x9b2J", "c1 csi\\x9b2J", "c1 csi\\x9b2J"),
    ("bidi \u202eexe.txt\u202c \u2066x\u2069 \u200f", "bidi \\u202eexe.txt\\u202c \\u2066x\\u2069 \\u200f",
     "bidi \\u202eexe.txt\\u202c \\u2066x\\u2069 \\u200f"),
    ("line\nbreak\ttab\rreturn", "line\\x0abreak\\x09tab\\x0dreturn", "line\nbreak\ttab\\x0dreturn"),
    ("sep\u2028par\u2029", "sep\\u2028par\\u2029", "sep\\u2028par\\u2029"),
])
def test_clean_escapes_every_control_character(text, value, lines):
    assert clean(text) == value
    assert clean(text, newlines=True) == lines


def test_streams_are_cleaned_inside_the_block_and_restored_after():
    before = sys.stdout
    buffer = io.StringIO()
    sys.stdout = buffer
    try:
        with cleaned_output():
            print("name: " + HOSTILE)
            assert isinstance(sys.stdout, CleanStream)
        print("\x1b[0m")
    finally:
        sys.stdout = before
    text = buffer.getvalue()
    assert text.splitlines()[0] == "name: " + clean(HOSTILE) and text.endswith("\x1b[0m\n")


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("stream", [io.StringIO, Tty], ids=["plain lines", "tqdm bar"])
def test_progress_descriptions_are_cleaned(stream):
    raw = stream()
    bar = progress(range(3), desc=f"fetch {HOSTILE}", unit="req", file=CleanStream(raw))
    assert isinstance(bar, PlainProgress) == (stream is io.StringIO)
    list(bar)
    written = raw.getvalue()
    assert "Evil\\x1b[2J" in written and not any(c in written for c in RAW), written


@pytest.fixture()
def sandbox():
    with start_sandbox() as sb:
        yield sb


def test_a_hostile_supplier_name_is_escaped_by_reconcile_and_apply(sandbox, tmp_path):
    headers = {"X-AUTH-TOKEN": config.SANDBOX_PRECORO_TOKEN, "email": config.SANDBOX_PRECORO_EMAIL}
    created = httpx.post(f"{sandbox.precoro_url}/suppliers", headers=headers, timeout=10, data={
        "name": HOSTILE, "currency": "NZD", "currencies[]": "NZD", "contacts[data][0][email]": "evil@example.test"})
    assert created.status_code < 300, created.text
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECON_")}
    env.update({"PYTHONPATH": str(ROOT), "USER": "ana", "RECON_STATE": str(tmp_path / "state.sqlite"),
                "RECON_REPORTS_DIR": str(tmp_path / "reports"), "RECON_TOKEN_FILE": str(tmp_path / "tokens.json"),
                "RECON_XERO_CLIENT_ID": "sandbox-client", "RECON_XERO_CLIENT_SECRET": "sandbox-secret",
                "RECON_XERO_TENANT_ID": "sandbox-tenant", "RECON_XERO_API_URL": sandbox.xero_url,
                "RECON_XERO_IDENTITY_URL": sandbox.xero_url, "RECON_PRECORO_TOKEN": "sandbox-token",
                "RECON_PRECORO_EMAIL": "sandbox@example.com", "RECON_PRECORO_BASE_URL": sandbox.precoro_url})

    def recon(*argv: str) -> str:
        done = subprocess.run([sys.executable, "-m", "recon.cli", *argv], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode in (0, 1), done.stderr
        return done.stdout + done.stderr

    shown = recon("reconcile", "--objects", "supplier", "--out", str(tmp_path / "reports" / "evil"))
    plan = (tmp_path / "reports" / "evil" / "plan.json").read_text()
    assert "Evil\\u001b[2J" in plan  # the plan file keeps the name as it is (JSON escapes it)
    shown += recon("apply", "evil", "--dry-run")
    shown += recon("apply", "evil", "--approve", "all")
    assert not any(c in shown for c in RAW), shown
    assert f"create supplier {clean(HOSTILE)} → xero" in shown
