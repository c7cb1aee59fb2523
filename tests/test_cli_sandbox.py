"""`recon sandbox` serves both emulators until stopped and prints their URLs; the real clients can use them."""

import os
import re
import signal
import subprocess
import sys

import httpx
import pytest

from recon import config


@pytest.mark.parametrize("seed, suppliers", [("demo", 30), ("empty", 0)])
def test_recon_sandbox_serves_both_emulators_with_the_seed(seed, suppliers):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECON_")}
    proc = subprocess.Popen([sys.executable, "-m", "recon.cli", "sandbox", "--seed", seed], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        xero = re.search(r"Xero sandbox:\s+(http://127\.0\.0\.1:\d+)", lines[0]).group(1)
        precoro = re.search(r"Precoro sandbox:\s+(http://127\.0\.0\.1:\d+)", lines[1]).group(1)
        assert f"seed: {seed}" in lines[2]
        headers = {"X-AUTH-TOKEN": config.SANDBOX_PRECORO_TOKEN, "email": config.SANDBOX_PRECORO_EMAIL}
        listed = httpx.get(f"{precoro}/suppliers", params={"per_page": 200}, headers=headers, timeout=10).json()
        assert listed["meta"]["pagination"]["total"] == suppliers
        assert httpx.get(f"{precoro}/suppliers", timeout=10).status_code == 401
        token = httpx.post(f"{xero}/connect/token", data={
            "grant_type": "client_credentials", "client_id": config.SANDBOX_XERO_CLIENT_ID,
            "client_secret": config.SANDBOX_XERO_CLIENT_SECRET}, timeout=10).json()
        assert set(token) <= {"access_token", "expires_in", "token_type", "scope"}
        stats = httpx.get(f"{xero}/_sandbox/stats", timeout=10).json()
        assert stats["by_route"] == {"POST /connect/token": 1}  # admin calls are not counted
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
