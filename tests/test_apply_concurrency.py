"""Two ``recon apply`` processes on one state file, started together, under the same profile and under two.

The lock is on the state file itself, so exactly one runs and the other is refused (exit 5: the state is locked) with the holder
named; the emulators end with every record written once. Writes are slowed in the emulators so the two
applies overlap for certain.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest

from recon.sandbox import demo
from recon.store import Store
from test_apply_kit import sandbox_settings, start_sandbox
from test_apply_roundtrip import _cli_env, no_duplicates, reconciled

pytestmark = pytest.mark.reliability  # counted in docs/approve-apply.md, section Reliability

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox() as sb:
        yield sb


@pytest.mark.parametrize("profiles", [("default", "nightly"), ("default", "default")])
def test_two_applies_started_together_one_runs_one_is_refused(sandbox, tmp_path, profiles):
    sandbox.reset("demo")
    state = tmp_path / "state.sqlite"
    with Store(state) as store:
        store.seed(links=demo.links(), baselines=demo.baseline())
        plan = reconciled(sandbox_settings(sandbox, tmp_path), store, "together").plan
    (tmp_path / "plan.json").write_text(plan.to_json())
    config = tmp_path / "recon.toml"
    config.write_text("".join(f'[profile.{name}]\nstate = "{state}"\n' for name in sorted(set(profiles))))
    env = {k: v for k, v in _cli_env(sandbox, tmp_path).items() if k != "RECON_STATE"}
    env["RECON_CONFIG"] = str(config)
    # apply groups its writes (a handful of calls for the demo plan): each is slowed long enough that the
    # second process, however late it starts, finds the first still holding the lock
    slow = {"rate_slow": 1.0, "slow_seconds": 1.0, "methods": ["POST", "PUT", "PATCH"]}
    for url in (sandbox.xero_url, sandbox.precoro_url):
        httpx.post(f"{url}/_sandbox/faults", json=slow).raise_for_status()
    try:
        procs = {profile_n: subprocess.Popen(
            [sys.executable, "-m", "recon.cli", "--profile", profile, "apply", str(tmp_path / "plan.json"),
             "--approve", "all"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for profile_n, profile in enumerate(profiles)}
        done = {n: (p.pid, *p.communicate(timeout=240), p.returncode) for n, p in procs.items()}
    finally:
        for url in (sandbox.xero_url, sandbox.precoro_url):
            httpx.post(f"{url}/_sandbox/faults", json={"rate_slow": 0, "methods": []})
    codes = Counter(code for *_, code in done.values())
    assert codes == Counter({0: 1, 5: 1}), done
    [(winner, (pid, out, _, _))] = [(n, d) for n, d in done.items() if d[3] == 0]
    [(_, (_, _, refusal, _))] = [(n, d) for n, d in done.items() if d[3] == 5]
    assert f"{len(plan.actions)} applied" in out.splitlines()[-1]
    assert refusal.strip().startswith(
        f"recon apply: another apply is running on {state}: held by pid {pid} on host {socket.gethostname()} "
        f"for profile {profiles[winner]!r} since ")
    no_duplicates(sandbox)
    p = sandbox.precoro.dump()
    assert [s["name"] for s in p["suppliers"]].count("Greenleaf Cleaning Services") == 1
    assert Counter(pay.get("externalId") for pay in p["payments"] if pay.get("externalId")).most_common(1)[0][1] == 1
    again = subprocess.run([sys.executable, "-m", "recon.cli", "apply", str(tmp_path / "plan.json")], env=env,
                           cwd=tmp_path, capture_output=True, text=True)
    assert again.returncode == 0 and f"{len(plan.actions)} skipped" in again.stdout.splitlines()[-1], again.stderr
    assert not os.path.exists(tmp_path / "reports")  # nothing went to the working folder
