"""Progress that says what and how much: a tqdm bar in a terminal or a notebook, plain lines elsewhere.

A bar redraws itself with escape codes, which turn a log file (cron, systemd's journal, Airflow's task log)
into noise. When the stream is not a terminal and no notebook is showing it, :func:`progress` writes a plain
line instead, at most every few seconds and once at the end. The fetch shows one per kind and system, in
records of the total when the API gives it (Precoro does), and one per system in requests::

    fetch precoro supplier: 200/450 records
    fetch precoro supplier: 450/450 records, done (3 requests)
    fetch xero: 184 requests, done

Descriptions are cleaned of control characters (:mod:`recon.terminal`), in bars and lines alike.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, Iterable, Iterator, TextIO

from recon.terminal import clean, raw

#: seconds between two plain lines of the same progress
PLAIN_INTERVAL = 10.0

# the fetch reports both systems from two threads: a line and its newline must reach the stream together
_LINES = threading.Lock()


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where tqdm shows a widget)."""
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    try:
        return getattr(shell.get_ipython(), "kernel", None) is not None  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - any doubt: not a notebook
        return False


def progress(iterable: Iterable[Any] | None = None, *, desc: str = "", unit: str = "it", total: int | None = None,
             disable: bool = False, file: TextIO | None = None, **tqdm_options: Any) -> Any:
    """A tqdm-compatible progress (``update``, ``close``, iteration): a bar where someone watches it, plain lines
    where a log records it."""
    stream = file if file is not None else sys.stderr
    desc, unit = clean(desc), clean(unit)
    if disable or _in_notebook() or getattr(stream, "isatty", lambda: False)():
        from tqdm.auto import tqdm

        # the bar redraws itself with \r: it gets the stream under recon's cleaning, and only clean text
        return tqdm(iterable, desc=desc, unit=unit, total=total, disable=disable, file=raw(stream), **tqdm_options)
    return PlainProgress(iterable, desc=desc, unit=unit, total=total, file=stream)


class PlainProgress:
    """Progress as plain lines (``<desc>: <n>[/<total>] <unit>``)."""

    def __init__(self, iterable: Iterable[Any] | None = None, *, desc: str = "", unit: str = "it",
                 total: int | None = None, file: TextIO | None = None, interval: float = PLAIN_INTERVAL,
                 clock: Any = time.monotonic) -> None:
        self.iterable, self.desc, self.unit, self.file = iterable, desc, unit, file or sys.stderr
        self.total = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)  # type: ignore[arg-type]
        self.n, self.interval, self.clock = 0, interval, clock
        self.disable, self.postfix = False, ""
        self._last = clock()
        self._closed = False

    def _line(self, final: bool = False) -> str:
        count = f"{self.n}/{self.total}" if self.total is not None else str(self.n)
        return clean(f"{self.desc}: {count} {self.unit}" + (", done" if final else "")
                     + (f" ({self.postfix})" if self.postfix else ""))

    def _say(self, final: bool = False) -> None:
        with _LINES:
            self.file.write(self._line(final) + "\n")  # one write: print() sends the newline apart
            self.file.flush()
        self._last = self.clock()

    def update(self, n: int = 1) -> None:
        self.n += n
        if self.clock() - self._last >= self.interval:
            self._say()

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        """A note shown after the count (as tqdm does)."""
        self.postfix = s

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._say(final=True)

    def __iter__(self) -> Iterator[Any]:
        for item in self.iterable or ():
            yield item
            self.update()
        self.close()

    def __enter__(self) -> "PlainProgress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
