"""`recon lab`: JupyterLab starts on the notebooks with the sandbox running beside it, and the kernels it
starts would find the sandbox through RECON_SANDBOX_* (URLs, never credentials)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from recon.config import load_settings
from recon.demo import lab_command, sandbox_environment

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_kernels_of_the_lab_find_the_sandbox_and_no_real_credentials(tmp_path: Path) -> None:
    base = {"RECON_XERO_CLIENT_ID": "real", "RECON_XERO_CLIENT_SECRET": "real-secret", "RECON_PRECORO_TOKEN": "t",
            "RECON_PROFILE": "prod", "HOME": "/home/x"}
    env = sandbox_environment(base, "http://127.0.0.1:1111", "http://127.0.0.1:2222", tmp_path / "s.sqlite", tmp_path)
    assert not any(k.startswith(("RECON_XERO_", "RECON_PRECORO_")) for k in env) and env["RECON_PROFILE"] == "sandbox"
    settings = load_settings(env=env)
    assert settings.profile == "sandbox" and settings.reports_dir == tmp_path
    assert (settings.xero.api_url, settings.xero.identity_url) == ("http://127.0.0.1:1111",) * 2
    assert settings.precoro.base_url == "http://127.0.0.1:2222" and settings.state_path == tmp_path / "s.sqlite"
    assert settings.xero.sandbox and settings.precoro.sandbox


def test_sandbox_urls_do_not_move_a_real_system() -> None:
    env = {"RECON_XERO_CLIENT_ID": "id", "RECON_XERO_CLIENT_SECRET": "s", "RECON_SANDBOX_XERO_URL": "http://127.0.0.1:1",
           "RECON_SANDBOX_PRECORO_URL": "http://127.0.0.1:2"}
    settings = load_settings(env=env)
    assert settings.xero.api_url == "https://api.xero.com" and settings.precoro.base_url == "http://127.0.0.1:2"


def test_the_lab_command_opens_the_three_notebooks_with_the_recon_kernel() -> None:
    cmd = lab_command(8899, open_browser=False)
    assert cmd[:3] == [sys.executable, "-m", "jupyterlab"]
    assert "--no-browser" in cmd and "--ServerApp.port=8899" in cmd
    assert "--MappingKernelManager.default_kernel_name=recon" in cmd
    assert ("--allow-root" in cmd) == (os.geteuid() == 0)
    assert cmd[-3:] == ["notebooks/reconcile.ipynb", "notebooks/sync.ipynb", "notebooks/audit_report.ipynb"]


def test_recon_lab_serves_the_notebooks_while_the_sandbox_runs(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RECON_DATA_DIR": str(tmp_path / "data"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path / "config")}
    proc = subprocess.Popen([sys.executable, "-m", "recon.cli", "lab", "--no-browser", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    lines: list[str] = []
    try:
        token = sandbox = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not token:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            sandbox = sandbox or re.search(r"sandbox: Xero (http://127\.0\.0\.1:\d+)", line)
            token = re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=([0-9a-f]+)", line)
        assert token and sandbox, "".join(lines)
        headers = {"Authorization": f"token {token.group(1)}"}
        listing = httpx.get(f"http://127.0.0.1:{port}/api/contents/notebooks", headers=headers, timeout=10).json()
        assert {"reconcile.ipynb", "sync.ipynb", "audit_report.ipynb"} <= {c["name"] for c in listing["content"]}
        specs = httpx.get(f"http://127.0.0.1:{port}/api/kernelspecs", headers=headers, timeout=10).json()
        assert specs["default"] == "recon" and "recon" in specs["kernelspecs"]
        # the sandbox is up while the lab runs: its token endpoint answers the public sandbox client
        reply = httpx.post(f"{sandbox.group(1)}/connect/token", timeout=10,
                           data={"grant_type": "client_credentials"}, auth=("sandbox-client", "sandbox-secret"))
        assert reply.status_code == 200, reply.text
        # and it is the served sandbox of the profile: a recon command started elsewhere finds it
        found = load_settings(env={"RECON_DATA_DIR": str(tmp_path / "data")})
        assert found.xero.api_url == sandbox.group(1) and found.sandbox_instance
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
