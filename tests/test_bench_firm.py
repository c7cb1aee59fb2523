"""The firm-night simulation (recon.bench.firm) draws every call from recon's budgets on its virtual clock: the
figures it reports for docs/benchmarks.md keep to the real limits. Asserted on the virtual clock only."""

from __future__ import annotations

from recon.bench.firm import Night, simulate


def test_each_organisation_keeps_to_60_xero_calls_a_minute() -> None:
    result = simulate([Night("busy", 150, 10)] * 5, 5, xero_latency=0.1, precoro_latency=0.1, overhead=0.0, cores=5)
    assert result.requests == {"xero": 750, "precoro": 50}
    assert result.organisation_peak <= 60 and result.waited > 0
    assert result.seconds >= 2 * 61  # 150 calls at 60 a (61-second, with the margin) minute: two windows rolled


def test_the_app_budget_holds_hundreds_of_organisations_at_once() -> None:
    result = simulate([Night("big", 120, 0)] * 200, 200, xero_latency=0.2, precoro_latency=0.2, overhead=0.0,
                      cores=200)
    assert result.requests["xero"] == 24_000 and result.app_peak <= 10_000 and result.organisation_peak <= 60
    assert result.stopped == 0


def test_the_kernels_queue_for_the_cores() -> None:
    one, many = (simulate([Night("quiet", 0, 0)] * 8, 8, xero_latency=0.1, precoro_latency=0.1, overhead=10.0,
                          cores=cores) for cores in (1, 8))
    assert (one.seconds, many.seconds) == (80.0, 10.0)
