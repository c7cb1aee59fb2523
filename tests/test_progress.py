"""Progress: plain lines (what and how much) when nobody watches a terminal, never escape codes."""

from __future__ import annotations

import io

import pytest

from connector_sandbox import sandbox  # noqa: F401  (fixture)

from recon.progress import PlainProgress, progress


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_come_every_interval_and_once_at_the_end() -> None:
    out, clock = io.StringIO(), Ticks()
    bar = PlainProgress(desc="fetch xero", unit="req", file=out, interval=10, clock=clock)
    for _ in range(3):
        bar.update(5)
        clock.now += 6
    bar.close()
    bar.close()
    assert out.getvalue().splitlines() == ["fetch xero: 15 req", "fetch xero: 15 req, done"]


def test_an_iterable_counts_against_its_length() -> None:
    out = io.StringIO()
    assert list(progress(range(3), desc="apply", unit="action", file=out)) == [0, 1, 2]
    assert out.getvalue().splitlines()[-1] == "apply: 3/3 action, done"
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()


def test_lines_from_threads_never_run_together() -> None:
    """The fetch reports Precoro and Xero from two threads into one log: each line arrives whole."""
    import threading
    import time

    class Log(io.StringIO):
        def write(self, text: str) -> int:
            time.sleep(0.0005)  # let the other threads in between two writes, as a busy machine does
            return super().write(text)

    out, clock = Log(), Ticks()
    names = [f"fetch system{n} supplier" for n in range(6)]

    def report(name: str) -> None:
        bar = PlainProgress(desc=name, unit="records", file=out, interval=0, clock=clock)
        for _ in range(20):
            bar.update(1)
        bar.close()

    threads = [threading.Thread(target=report, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = out.getvalue().splitlines()
    assert len(lines) == 6 * 21 and all(line.count("fetch ") == 1 and line.count(": ") == 1 for line in lines)
    assert sorted(line for line in lines if line.endswith(", done")) == [f"{name}: 20 records, done" for name in names]


def test_a_terminal_gets_a_bar_and_disabled_progress_says_nothing() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    from tqdm.std import tqdm

    assert isinstance(progress(desc="x", file=Terminal()), tqdm)
    quiet = io.StringIO()
    bar = progress(desc="x", file=quiet, disable=True)
    bar.update(3)
    bar.close()
    assert quiet.getvalue() == ""


def test_a_fetch_says_records_of_the_total_per_kind_and_system(sandbox, tmp_path, capsys) -> None:
    """Through the real emulators: Precoro's lists give their size, so each kind's line says how many records
    of how many were fetched; Xero's give ``itemCount`` with customers in it, so its total shrinks to the
    suppliers kept by the last page; each system's line its requests."""
    from recon.config import load_settings
    from recon.connectors.pacing import reset_pacers
    from recon.fetch import fetch

    sandbox.reset("demo")
    reset_pacers()
    settings = load_settings(env={"RECON_TOKEN_FILE": str(tmp_path / "t.json")}).with_sandbox_urls(
        sandbox.xero_url, sandbox.precoro_url)
    snap = fetch(settings, kinds=("supplier", "item"), progress=True)
    lines = capsys.readouterr().err.splitlines()
    suppliers = len(snap.frames[("precoro", "supplier")])
    assert f"fetch precoro supplier: {suppliers}/{suppliers} records, done (1 requests)" in lines
    xero_suppliers = len(snap.frames[("xero", "supplier")])
    assert any(line.startswith(f"fetch xero supplier: {xero_suppliers}/{xero_suppliers} records, done")
               for line in lines), lines
    items = len(snap.frames[("xero", "item")])
    assert any(line.startswith(f"fetch xero item: {items}/{items} records, done") for line in lines), lines
    assert any(line.startswith("fetch precoro: ") and line.endswith("requests, done") for line in lines)
    assert not any("\x1b" in line for line in lines)


@pytest.mark.parametrize("pagination, paged, kept, skipped, total", [
    ({"itemCount": 2500}, True, 1000, 0, 2500),       # first page, nothing dropped yet
    ({"itemCount": 2500}, True, 940, 60, 2440),       # 60 customers dropped: the bound shrinks
    ({"itemCount": 2500}, True, 480, 80, 2420),       # last page: exact
    ({}, True, 1000, 0, None),                        # no pagination block: count only
    ({"itemCount": "n/a"}, True, 10, 0, None),        # unreadable: count only, never a crash
    ({}, False, 7, 0, 7),                             # an unpaged list is whole
])
def test_xero_total_is_item_count_less_what_recon_dropped(pagination, paged, kept, skipped, total) -> None:
    from recon.connectors.xero import _total

    assert _total(pagination, paged, [{}] * kept, skipped) == total
