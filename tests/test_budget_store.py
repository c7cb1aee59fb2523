"""The pacer's budgets kept in a store that every worker shares: the same windows in memory, in SQLite and in
Redis; atomic over an organisation's and its app's budgets; and several processes against one emulator with
lowered limits that together never pass them (the emulator's stats prove it) and never fail for a minute limit.

Windows are scaled down (a "minute" of a few seconds, on both the emulator and the clients) so the proof runs
in seconds; the code that counts is the same for any window length.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from recon.bench.firm import most_in_any_window
from recon.connectors.budget import Budget, MemoryStore, SqliteStore, store_for, take_all
from recon.connectors.pacing import Pacer, RetryPolicy

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    return MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "limits.sqlite")


@pytest.mark.parametrize("count, calls_at, now, wait", [
    (3, [0.0, 1.0, 2.0], 3.0, 57.0),          # full: room when the first call leaves the window
    (3, [0.0, 1.0], 3.0, 0.0),                # room now
    (3, [0.0, 1.0, 2.0], 60.0, 0.0),          # the first call has left
    (2, [0.0, 10.0, 20.0, 30.0], 40.0, 40.0),  # limits lowered below what it holds: room once the call at 20 leaves
    (0, [], 5.0, 60.0),                       # no calls allowed at all: a whole window
])
def test_a_window_waits_until_enough_calls_have_left_it(store, count, calls_at, now, wait) -> None:
    budget = Budget("xero:org", {"minute": (10, 60.0)}, store)
    for at in calls_at:
        assert take_all([budget], at) == 0.0
    budget.set_limits({"minute": count})
    assert take_all([budget], now) == pytest.approx(wait)
    counted = sum(at > now - 60 for at in calls_at) + (wait == 0)  # a call that fitted was counted
    assert budget.left("minute", now) == max(0, count - counted)


def test_a_call_counts_in_every_budget_it_draws_on_or_in_none(store) -> None:
    org_a = Budget("xero:a", {"minute": (60, 60.0)}, store)
    org_b = Budget("xero:b", {"minute": (60, 60.0)}, store)
    app = Budget("xero app", {"minute": (3, 60.0)}, store)
    for org, at in ((org_a, 0.0), (org_b, 1.0), (org_a, 2.0)):
        assert take_all([org, app], at) == 0.0
    assert take_all([org_b, app], 3.0) == pytest.approx(57.0)  # the app is full, whichever organisation
    assert (org_a.left("minute", 3.0), org_b.left("minute", 3.0), app.left("minute", 3.0)) == (58, 59, 0)
    assert app.until_renewed("minute", 3.0) == pytest.approx(57.0)
    assert take_all([org_b, app], 60.5) == 0.0


def test_budgets_of_the_same_name_in_one_store_are_one_budget(store) -> None:
    one, same = Budget("precoro:t", {"minute": (2, 60.0)}, store), Budget("precoro:t", {"minute": (2, 60.0)}, store)
    take_all([one], 0.0)
    take_all([same], 1.0)
    assert take_all([one], 2.0) > 0 and one.left("minute", 2.0) == 0


def test_a_spent_day_budget_stops_the_run_saying_when_it_can_resume(tmp_path: Path) -> None:
    from recon.errors import DailyLimitError

    store = SqliteStore(tmp_path / "limits.sqlite")
    pacer = Pacer("xero", {"minute": (60, 60.0), "day": (2, 86400.0)}, 5, store=store, account="org",
                  policy=RetryPolicy(max_wait=3700.0))
    pacer.call(lambda: None, operation="GET")
    pacer.call(lambda: None, operation="GET")
    with pytest.raises(DailyLimitError) as stop:
        pacer.call(lambda: None, operation="GET")
    assert stop.value.resume_at is not None and "can resume at" in str(stop.value)
    assert 86000 < (stop.value.resume_at.timestamp() - time.time()) < 86500


@pytest.mark.parametrize("spec, kind", [("memory", MemoryStore), ("sqlite:/tmp/x/limits.sqlite", SqliteStore)])
def test_a_store_is_named_by_the_profiles_limits_store(spec: str, kind: type) -> None:
    assert isinstance(store_for(spec), kind) and store_for(spec) is store_for(spec)


@pytest.mark.parametrize("env, expected", [
    ({}, "memory"),                                                          # the sandbox counts in memory
    ({"RECON_XERO_CLIENT_ID": "c", "RECON_XERO_CLIENT_SECRET": "s"}, "sqlite:{data}/limits.sqlite"),  # real: shared
    ({"RECON_LIMITS_STORE": "redis://cache:6379/2"}, "redis://cache:6379/2"),
])
def test_the_default_store_is_shared_for_real_accounts(tmp_path: Path, env: dict, expected: str) -> None:
    from recon.config import load_settings

    data = tmp_path / "data"
    settings = load_settings(env={"RECON_DATA_DIR": str(data), "RECON_TOKEN_FILE": str(tmp_path / "t.json"), **env})
    assert settings.limits_store == expected.format(data=data)
    assert "redis" not in repr(settings)  # a Redis URL may hold a password


def test_a_relative_sqlite_store_in_recon_toml_is_relative_to_it(tmp_path: Path) -> None:
    from recon.config import load_settings
    from recon.errors import ConfigError

    (tmp_path / "recon.toml").write_text('[defaults]\nlimits_store = "sqlite:shared/limits.sqlite"\n[profile.acme]\n')
    settings = load_settings("acme", env={"RECON_CONFIG": str(tmp_path / "recon.toml")})
    assert settings.limits_store == f"sqlite:{tmp_path / 'shared' / 'limits.sqlite'}"
    with pytest.raises(ConfigError, match="RECON_LIMITS_STORE must be an absolute path"):
        load_settings(env={"RECON_LIMITS_STORE": "sqlite:limits.sqlite"})
    with pytest.raises(ConfigError, match="is not a store"):
        load_settings(env={"RECON_LIMITS_STORE": "postgres://x"})


# ---- several processes ---------------------------------------------------------------------------------------

WORKER = r"""
import json, sys, time
from recon.connectors.budget import Budget, store_for
from recon.connectors.pacing import Pacer
store_path, org, calls, org_limit, app_limit, window, out = sys.argv[1:]
store = store_for("sqlite:" + store_path)
app = Budget("xero app firm", {"minute": (int(app_limit), float(window))}, store)
pacer = Pacer("xero", {"minute": (int(org_limit), float(window))}, 5, store=store, account=org, shared=app)
made = []
for _ in range(int(calls)):
    pacer.call(lambda: made.append(time.time()), operation="GET")
json.dump(made, open(out, "w"))
"""



def test_processes_sharing_a_sqlite_store_keep_the_app_and_each_organisation_inside_their_limits(tmp_path: Path) -> None:
    """Four organisations of one app, one process each, all at full speed: each stays inside its own budget and
    together they stay inside the app's, which is smaller than the sum of theirs."""
    window, org_limit, app_limit, calls = 1.5, 8, 12, 18
    store = tmp_path / "limits.sqlite"
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(store), f"org{n}", str(calls), str(org_limit),
                               str(app_limit), str(window), str(tmp_path / f"org{n}.json")], cwd=ROOT)
             for n in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    made = {n: json.loads((tmp_path / f"org{n}.json").read_text()) for n in range(4)}
    every = [at for times in made.values() for at in times]
    assert len(every) == 4 * calls
    slack = 0.05  # the times are taken just after the store counted each call
    assert most_in_any_window(every, window - slack) <= app_limit
    assert all(most_in_any_window(times, window - slack) <= org_limit for times in made.values())
    # and the app's budget was what bound them: 72 calls at 12 per window take at least 5 windows
    assert max(every) - min(every) >= (4 * calls / app_limit - 1) * window - slack


EMULATOR_WORKER = r"""
import sys
from recon.config import load_settings
from recon.fetch import FetchOptions, fetch
from recon.schema import KINDS
xero_url, precoro_url, store, window, xero_minute, precoro_minute = sys.argv[1:]
settings = load_settings("sandbox", env={"RECON_LIMITS_STORE": store})
settings = settings.with_sandbox_urls(xero_url, precoro_url)
limits = {"xero": {"minute": (int(xero_minute), float(window))}, "precoro": {"minute": (int(precoro_minute), float(window))}}
snap = fetch(settings, KINDS, full=True, progress=False, options=FetchOptions(limits=limits))
fetch(settings, KINDS, full=False, previous=snap, progress=False, options=FetchOptions(limits=limits))
print("fetched", sum(snap.counts().values()))
"""


def _run_workers(sb, store: str, processes: int, window: float, xero_minute: int, precoro_minute: int) -> tuple[float, list[subprocess.CompletedProcess]]:
    started = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "-c", EMULATOR_WORKER, sb.xero_url, sb.precoro_url, store, str(window),
                               str(xero_minute), str(precoro_minute)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(processes)]
    done = []
    for p in procs:
        out, err = p.communicate(timeout=240)
        done.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return time.monotonic() - started, done


def _scaled_sandbox(window: float, xero_minute: int, precoro_minute: int):
    """A sandbox whose "minute" windows last ``window`` seconds and allow the given counts."""
    from recon.sandbox import Sandbox

    sb = Sandbox(seed="demo", xero_limits={"minute": xero_minute}, precoro_limits={"minute": precoro_minute})
    for limiter in (sb.xero.limiter, sb.precoro.limiter):
        for w in limiter.windows:
            if w.name == "minute":
                w.seconds = window
    return sb


def stats(url: str) -> dict:
    return httpx.get(f"{url}/_sandbox/stats", timeout=10).json()


def test_processes_against_one_emulator_never_pass_its_limits_together(tmp_path: Path) -> None:
    """Four processes, each a full and an incremental fetch of every kind, against one emulator whose limits
    are far below what they need together: with the shared store the emulator refuses none of their calls
    (``limited`` is empty), every process finishes, and the work took the windows it had to."""
    window, xero_minute, precoro_minute, processes = 2.0, 12, 30, 4
    with _scaled_sandbox(window, xero_minute, precoro_minute) as sb:
        took, done = _run_workers(sb, f"sqlite:{tmp_path / 'limits.sqlite'}", processes, window, xero_minute,
                                  precoro_minute)
        xero, precoro = stats(sb.xero_url), stats(sb.precoro_url)
    assert [d.returncode for d in done] == [0] * processes, [d.stderr[-2000:] for d in done]
    assert all("fetched" in d.stdout and "RateLimitError" not in d.stderr for d in done)
    assert xero["limited"] == {} and precoro["limited"] == {}, (xero, precoro)
    api_calls = xero["total"] - xero["by_route"].get("POST /connect/token", 0)
    assert api_calls > 2 * xero_minute and precoro["total"] > 3 * precoro_minute  # they had to share
    assert took >= (precoro["total"] / precoro_minute - 1) * window


def test_without_a_shared_store_the_same_processes_are_refused(tmp_path: Path) -> None:
    """The control: each process counting only its own calls passes the emulator's limit, which refuses some
    (the processes still finish: a minute 429 is waited out), so the proof above can fail."""
    window, xero_minute, precoro_minute, processes = 2.0, 12, 30, 3
    with _scaled_sandbox(window, xero_minute, precoro_minute) as sb:
        _, done = _run_workers(sb, "memory", processes, window, xero_minute, precoro_minute)
        xero, precoro = stats(sb.xero_url), stats(sb.precoro_url)
    assert [d.returncode for d in done] == [0] * processes
    assert sum(xero["limited"].values()) + sum(precoro["limited"].values()) > 0


# ---- Redis, when a server can be started here ----------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def redis_url(tmp_path: Path):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("no redis-server on this machine (apt-get install redis-server) for the Redis store's test")
    pytest.importorskip("redis", reason="the redis package (pip install 'recon[redis]') for the Redis store")
    port = _free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_the_redis_store_keeps_the_same_windows(redis_url: str) -> None:
    """Redis counts on its own clock, so this runs in real time over short windows."""
    from recon.connectors.budget_redis import RedisStore

    store = RedisStore(redis_url)
    org = Budget("xero:org", {"minute": (3, 1.0)}, store)
    app = Budget("xero app", {"minute": (4, 1.0)}, store)
    other = Budget("xero:other", {"minute": (3, 1.0)}, store)
    assert [take_all([org, app], 0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert 0 < take_all([org, app], 0) <= 1.0            # the organisation is full
    assert take_all([other, app], 0) == 0.0               # the app has one left
    assert 0 < take_all([other, app], 0) <= 1.0           # and now none: nothing counted for `other`
    assert (org.left("minute", 0), other.left("minute", 0), app.left("minute", 0)) == (0, 2, 0)
    time.sleep(1.05)
    assert take_all([org, app], 0) == 0.0
    store.clear()
    assert app.left("minute", 0) == 4


def test_processes_sharing_redis_keep_the_app_inside_its_limit(redis_url: str, tmp_path: Path) -> None:
    worker = WORKER.replace('store_for("sqlite:" + store_path)', "store_for(store_path)")
    window, org_limit, app_limit, calls = 1.5, 8, 12, 12
    procs = [subprocess.Popen([sys.executable, "-c", worker, redis_url, f"org{n}", str(calls), str(org_limit),
                               str(app_limit), str(window), str(tmp_path / f"org{n}.json")], cwd=ROOT)
             for n in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    every = [at for n in range(3) for at in json.loads((tmp_path / f"org{n}.json").read_text())]
    assert len(every) == 3 * calls and most_in_any_window(every, window - 0.05) <= app_limit


OPENER = r"""
import sys, time
from recon.connectors.budget import Budget, SqliteStore, take_all
path, start, name = sys.argv[1], float(sys.argv[2]), sys.argv[3]
while time.time() < start:
    pass
store = SqliteStore(path)
for _ in range(20):
    assert take_all([Budget(name, {"minute": (100, 60.0)}, store)], time.time()) == 0.0
"""


def test_processes_opening_a_new_store_at_the_same_moment_all_count(tmp_path: Path) -> None:
    """Switching a new file to WAL needs it to itself and does not wait for a busy file: workers starting
    together on a fresh store once failed with 'database is locked' (they now retry it)."""
    for attempt in range(3):
        path = tmp_path / f"fresh{attempt}" / "limits.sqlite"
        start = time.time() + 1.5  # after every interpreter has started
        procs = [subprocess.Popen([sys.executable, "-c", OPENER, str(path), str(start), f"org{n}"], cwd=ROOT,
                                  stderr=subprocess.PIPE, text=True) for n in range(6)]
        failures = [p.communicate(timeout=60)[1] for p in procs if p.wait(timeout=60) != 0]
        assert failures == []
        store = SqliteStore(path)
        assert sum(store.used(Budget(f"org{n}", {"minute": (100, 60.0)}, store), "minute", time.time())
                   for n in range(6)) == 6 * 20
