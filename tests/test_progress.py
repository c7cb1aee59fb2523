"""Progress: plain lines (what and how much) when nobody watches a terminal, never escape codes."""

from __future__ import annotations

import io

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
