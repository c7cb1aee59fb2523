"""The apply benchmark (recon.bench.apply) end to end at a small size: 120 supplier updates reconciled, approved
and applied into the Xero emulator over HTTP, with a minute limit the apply's calls exceed. Counts and
convergence only; the wall time goes to docs/benchmarks.md. The minute window is shortened to a few seconds so
that the test waits seconds, not minutes: the pacer and the emulator count in the same window."""

from __future__ import annotations

import pytest

from recon.bench.apply import bound_seconds, least_seconds, measure


def test_120_updates_go_in_three_write_calls_inside_a_low_minute_limit_and_converge() -> None:
    result = measure(120, {"minute": 4, "day": 5000}, window=3.0)
    assert (result["updates_planned"], result["applied"]) == (120, 120)
    # 50 a call: ceil(120 / 50) writes, and the stale check reads the same chunks with the IDs filter
    assert (result["write_calls"], result["read_calls"]) == (3, 3)
    assert result["windows_waited"] == 1 and result["pacer_waited_seconds"] > 0
    assert result["refused_429"] == 0  # the pacer kept inside the limit: the emulator never had to refuse
    assert result["actions_after"] == 0 and result["converged"]


@pytest.mark.parametrize("api_calls, minute, own, expected", [
    (40, 60, 12.5, 12.5),    # inside one minute's budget: no wait
    (60, 60, 12.5, 12.5),    # exactly the budget
    (61, 60, 12.5, 72.5),    # one call over: it waits for the first call's minute to roll
    (40, 10, 12.5, 192.5),   # calls 10, 20 and 30 each start a new window
    (45, 10, 2.0, 242.0),    # a rolling window: call 40 waits for call 30's minute
])
def test_the_bound_is_the_calls_own_time_plus_the_windows_the_limit_forces(api_calls, minute, own, expected) -> None:
    assert bound_seconds(api_calls, minute, own) == expected


@pytest.mark.parametrize("starts, total, minute, expected", [
    ([0.5, 1.0, 1.5, 2.0], 3.0, 10, 3.0),          # inside the limit: the unlimited time itself
    ([0.5, 1.0, 1.5, 2.0], 3.0, 2, 60.5 + 3.0 - 1.5),  # call 2 waits for call 0's window: what followed it, 1.5 s
    ([0.0, 0.1, 0.2, 5.0, 5.1], 6.0, 3, 60.0 + 1.0),  # the last window starts at call 3, 1 s before the end
])
def test_the_least_time_is_the_windows_plus_what_followed_the_last_forced_call(starts, total, minute, expected) -> None:
    assert least_seconds(starts, total, minute) == pytest.approx(expected)
