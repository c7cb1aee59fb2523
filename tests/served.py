"""`recon sandbox` as a real process, for the tests of the loop across entry points (no tests here)."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator, Mapping

ROOT = Path(__file__).resolve().parents[1]


def recon(*args: str, env: Mapping[str, str], cwd: Path | str = ROOT, timeout: float = 300) -> subprocess.CompletedProcess:
    """``recon ARGS`` as a process (``python -m recon.cli``), output captured."""
    return subprocess.run([sys.executable, "-m", "recon.cli", *args], env=dict(env), cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


@contextlib.contextmanager
def recon_sandbox(env: Mapping[str, str], *args: str) -> Iterator[dict[str, str]]:
    """``recon sandbox ARGS`` serving until the block ends; yields its URLs (``xero``, ``precoro``)."""
    proc = subprocess.Popen([sys.executable, "-m", "recon.cli", "sandbox", *args], env=dict(env), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        found = {name: re.search(rf"{label} sandbox:\s+(http://127\.0\.0\.1:\d+)", "".join(lines))
                 for name, label in (("xero", "Xero"), ("precoro", "Precoro"))}
        if not all(found.values()):
            proc.kill()
            raise AssertionError("recon sandbox did not start: " + "".join(lines) + proc.stderr.read())
        yield {name: m.group(1) for name, m in found.items()}
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
