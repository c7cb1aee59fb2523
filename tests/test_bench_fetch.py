"""The fetch benchmark at a small scale: request counts at their lower bounds, every figure docs/benchmarks.md
records, and notes that follow the results (no timing is asserted)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from recon.bench import fetch as bench


@pytest.fixture(scope="module")
def small() -> dict[str, Any]:
    return bench.measure(1200, repeat=1)


def test_a_small_full_fetch_costs_its_lower_bound_per_paged_list(small: dict[str, Any]) -> None:
    for system in ("xero", "precoro"):
        for kind, bound in small["bounds"][system].items():
            extra = small["records"][system][kind] if system == "precoro" and kind in ("purchase_order", "bill") else 0
            assert small["full"][system][kind] == bound + extra, (system, kind)
    assert small["records"]["xero"]["supplier"] == 1200 and small["bounds"]["xero"]["supplier"] == 2
    assert small["bounds"]["precoro"]["supplier"] == 6


def test_a_small_run_reports_every_figure(small: dict[str, Any]) -> None:
    assert small["rows"]["xero_supplier"] == small["rows"]["precoro_supplier"] == 1200
    assert small["rows"]["xero_bill_lines"] > 0 and small["rows"]["precoro_bill_lines"] > 0
    assert all(v == 1 for v in small["incremental"]["xero"].values())
    assert len(small["full_times"]) == len(small["bare_times"]) == 1 and small["peak_mib"] > 0
    text = bench.render([small])
    assert text.startswith("## Fetch") and "### N = 1,200 suppliers" in text and "Reading the results" in text


@pytest.mark.parametrize("full_time, verdict", [(12.5, "**met**"), (11.0, "**met**"), (12.6, "**not met**"),
                                                 (16.0, "**not met**")])
def test_the_notes_say_whether_the_time_goal_is_met(small: dict[str, Any], full_time: float, verdict: str) -> None:
    r = copy.deepcopy(small)
    r["full_time"], r["bare_time"] = full_time, 10.0
    notes = " ".join(bench.reading([r]))
    assert f"{full_time / 10:.2f}x: goal of at most 1.25x {verdict}" in notes


@pytest.mark.parametrize("peak, verdict", [(420.0, "**met**"), (1024.0, "**met**"), (1025.0, "**not met**")])
def test_the_notes_say_whether_the_memory_goal_is_met(small: dict[str, Any], peak: float, verdict: str) -> None:
    r = copy.deepcopy(small)
    r["peak_mib"] = peak
    assert f"Memory: peak at most 1024 MiB {verdict}" in " ".join(bench.reading([r]))


def test_the_notes_flag_a_list_that_costs_more_than_its_bound(small: dict[str, Any]) -> None:
    r = copy.deepcopy(small)
    assert "every paged list costs exactly its lower bound" in bench.reading([r])[0]
    r["full"]["xero"]["supplier"] += 1
    assert "more than its lower bound" in bench.reading([r])[0]


def test_writing_the_section_keeps_the_other_sections(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## Reconcile\n\nkept\n\n## Fetch\n\nold\n\n## Later\n\nalso kept\n")
    bench.write_section("## Fetch\n\nnew\n", doc)
    text = doc.read_text()
    assert "kept" in text and "also kept" in text and "new" in text and "old" not in text
