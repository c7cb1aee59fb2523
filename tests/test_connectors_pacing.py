"""The shared pacer: windows, header-driven holds, and the retry policy for reads and writes."""

from __future__ import annotations

import pytest

from recon.connectors.pacing import Pacer, RetryPolicy, pacer_for, reset_pacers
from recon.errors import (AuthError, CallTimeoutError, ConnectionLostError, DailyLimitError, NotConnectedError,
                          RateLimitError, ServerError)


class FakeTime:
    """An injectable clock whose sleep advances it (no real waiting in tests)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _pacer(limits: dict[str, tuple[int, float]], t: FakeTime, **policy: float) -> Pacer:
    return Pacer("xero", limits, 5, policy=RetryPolicy(**policy), clock=t.clock, sleep=t.sleep)


def test_calls_beyond_the_minute_budget_wait_for_the_window_to_roll() -> None:
    t = FakeTime()
    p = _pacer({"minute": (3, 60.0)}, t)
    for _ in range(4):
        p.call(lambda: None, operation="GET /x")
    assert t.sleeps == [60.0]
    assert p.stats.calls == 4


@pytest.mark.parametrize("limits,calls,slept", [
    ({"minute": (60, 60.0), "day": (5000, 86400.0)}, 60, 0.0),
    ({"minute": (60, 60.0), "day": (5000, 86400.0)}, 61, 60.0),
    ({"minute": (300, 60.0), "hour": (1500, 3600.0)}, 301, 60.0),
])
def test_budget_table(limits: dict[str, tuple[int, float]], calls: int, slept: float) -> None:
    t = FakeTime()
    p = _pacer(limits, t)
    for _ in range(calls):
        p.call(lambda: None, operation="GET")
    assert sum(t.sleeps) == slept


def test_a_minute_remaining_of_zero_holds_the_next_call() -> None:
    t = FakeTime()
    p = _pacer({"minute": (60, 60.0)}, t)
    p.call(lambda: None, operation="GET")
    t.now += 10
    p.observe({"X-MinLimit-Remaining": "0", "X-DayLimit-Remaining": "4000"})
    p.call(lambda: None, operation="GET")
    assert t.sleeps == [50.0]
    assert p.stats.remaining == {"minute": 0, "day": 4000}


def test_a_minute_429_waits_retry_after_and_goes_on_for_writes_too() -> None:
    t = FakeTime()
    p = _pacer({"minute": (60, 60.0)}, t)
    replies = [RateLimitError("minute", system="xero", retry_after=7, scope="minute"), "done"]

    def call() -> str:
        r = replies.pop(0)
        if isinstance(r, Exception):
            raise r
        return r
    assert p.call(call, operation="PUT /Contacts", write=True) == "done"
    assert t.sleeps == [7.0]


def test_a_day_429_stops_at_once() -> None:
    t = FakeTime()
    p = _pacer({"minute": (60, 60.0)}, t)
    calls = []

    def call() -> None:
        calls.append(1)
        raise DailyLimitError("day", system="xero")
    with pytest.raises(DailyLimitError):
        p.call(call, operation="GET")
    assert calls == [1] and t.sleeps == []


@pytest.mark.parametrize("write, idempotent, error, attempts", [
    (False, False, ServerError, 3),          # a read
    (True, True, ServerError, 3),            # a keyed or idempotent write (Xero key, Precoro PUT/PATCH)
    (True, True, ConnectionLostError, 3),
    (True, True, CallTimeoutError, 3),
    (True, False, ServerError, 1),           # a POST the service may have carried out: the engine looks first
    (True, False, ConnectionLostError, 1),
    (True, False, CallTimeoutError, 1),
    (True, False, NotConnectedError, 3),     # a POST that never left is safe to send again
])
def test_transient_failures_are_retried_when_sending_again_is_safe(write, idempotent, error, attempts) -> None:
    t = FakeTime()
    p = _pacer({"minute": (60, 60.0)}, t, attempts=3)
    calls = []

    def call() -> None:
        calls.append(1)
        raise error(f"{error.what}: 503", system="precoro", status=503)
    with pytest.raises(error):
        p.call(call, operation="X", write=write, idempotent=idempotent)
    assert len(calls) == attempts
    assert len(t.sleeps) == attempts - 1  # backoff between attempts, as for reads


def test_a_write_that_fails_once_then_succeeds_is_retried_with_the_reads_backoff() -> None:
    t = FakeTime()
    p = _pacer({"minute": (60, 60.0)}, t, attempts=4, base=0.5, cap=30.0)
    outcomes = [ConnectionLostError("connection lost", system="precoro"), ServerError("server error", system="precoro")]

    def call() -> str:
        if outcomes:
            raise outcomes.pop(0)
        return "ok"
    assert p.call(call, operation="PUT /suppliers/3", write=True, idempotent=True) == "ok"
    assert p.stats.retries == 2 and 0.25 <= t.sleeps[0] <= 0.5 and 0.5 <= t.sleeps[1] <= 1.0


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(base=1.0, cap=8.0)
    waits = [policy.backoff(n) for n in range(6)]
    assert all(0.5 * min(8.0, 2 ** n) <= w <= min(8.0, 2 ** n) for n, w in enumerate(waits))


def test_other_errors_are_not_retried() -> None:
    t = FakeTime()
    p = _pacer({"minute": (60, 60.0)}, t)
    calls = []

    def call() -> None:
        calls.append(1)
        raise AuthError("401", system="xero", status=401)
    with pytest.raises(AuthError):
        p.call(call, operation="GET")
    assert calls == [1]


def test_one_pacer_per_system_and_account_is_shared() -> None:
    reset_pacers()
    assert pacer_for("xero", "t1") is pacer_for("xero", "t1")
    assert pacer_for("xero", "t1") is not pacer_for("xero", "t2")
    assert pacer_for("precoro", "t1").limits["hour"] == (1500, 3600.0)
    p = pacer_for("xero", "t1")
    p.set_limits({"minute": 10_000})
    assert p.limits["minute"] == (10_000, 60.0) and p.limits["day"] == (5000, 86400.0)
    reset_pacers()


def test_the_app_minute_budget_is_shared_by_every_organisation_of_the_app() -> None:
    """Xero allows 10,000 calls a minute for the whole app: calls to two organisations draw on one budget."""
    from recon.connectors.budget import Budget

    t = FakeTime()
    app = Budget("xero app", {"minute": (5, 60.0)})
    a = Pacer("xero", {"minute": (60, 60.0)}, 5, clock=t.clock, sleep=t.sleep, shared=app)
    b = Pacer("xero", {"minute": (60, 60.0)}, 5, clock=t.clock, sleep=t.sleep, shared=app)
    for pacer in (a, b, a, b, a):
        pacer.call(lambda: None, operation="GET")
    assert t.sleeps == []
    b.call(lambda: None, operation="GET")  # the sixth call of the app in the minute waits, whichever tenant
    assert t.sleeps == [60.0] and (a.stats.calls, b.stats.calls) == (3, 3)
    assert a.budget.left("minute", t.now) == 60 and app.left("minute", t.now) == 4  # the window rolled on


@pytest.mark.parametrize("tier, day", [("starter", 1000), ("core", 5000), ("advanced", 5000)])
def test_pacers_take_the_day_limit_of_the_tier_and_join_the_apps_budget(tier: str, day: int) -> None:
    from recon.limits import XERO_APP_LIMITS, xero_day_limit

    reset_pacers()
    one = pacer_for("xero", "tenant-1", app="client-a", day_limit=xero_day_limit(tier))
    two = pacer_for("xero", "tenant-2", app="client-a", day_limit=xero_day_limit(tier))
    other = pacer_for("xero", "tenant-3", app="client-b")
    assert one.limits["day"] == (day, 86400.0) and other.limits["day"] == (5000, 86400.0)
    assert one.shared is two.shared is not other.shared and one.shared.limits == XERO_APP_LIMITS
    assert pacer_for("precoro", "token").shared is None
    reset_pacers()


def test_the_connector_paces_by_the_profiles_tier(tmp_path) -> None:
    from recon.config import load_settings
    from recon.connectors.xero import XeroConnector

    reset_pacers()
    env = {"RECON_XERO_CLIENT_ID": "c", "RECON_XERO_CLIENT_SECRET": "s", "RECON_XERO_TENANT_ID": "t",
           "RECON_XERO_TIER": "starter", "RECON_TOKEN_FILE": str(tmp_path / "t.json")}
    with XeroConnector(load_settings(env=env)) as xero:
        assert xero.pacer.limits["day"] == (1000, 86400.0) and xero.pacer.shared is not None
    reset_pacers()
