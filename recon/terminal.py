"""What recon prints to a terminal, made harmless: control characters shown as escapes, never sent raw.

Record names come from Xero and Precoro, where anyone with access to either system may write them. A name
holding ``ESC[2J`` clears the screen of whoever runs ``recon apply``; one holding a bidi override (U+202E)
shows ``txt.exe`` for ``exe.txt``; a C1 control (U+009B) starts an escape sequence on many terminals without
any ESC at all. :func:`clean` turns each such character into its Python escape (``\\x1b``, ``\\u202e``), so a
person sees that the text held one and nothing acts on it.

Every path by which recon writes to the terminal goes through here:

* :func:`cleaned_output` wraps ``sys.stdout`` and ``sys.stderr`` (``recon.cli.main`` does it first) in a
  :class:`CleanStream`, so every ``print`` of every command, and every error line, is cleaned;
* :mod:`recon.progress` cleans its descriptions and gives tqdm the raw stream (a bar redraws itself with
  ``\\r``, which only tqdm may write).

Newlines and tabs between lines are kept by the streams; :func:`clean` with ``newlines=False`` (the default)
escapes them too, for one value printed inside one line (a record's label).
"""

from __future__ import annotations

import io
import re
import sys
from contextlib import contextmanager
from typing import Any, Iterator, TextIO

#: C0 controls (but tab and newline), DEL, C1 controls, and the Unicode controls that reorder or hide text:
#: the bidi embeddings, overrides and isolates, the directional marks, the line and paragraph separators.
_UNSAFE_IN_LINES = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
UNSAFE_IN_STREAM = re.compile(f"[{_UNSAFE_IN_LINES}]")
UNSAFE_IN_VALUE = re.compile(f"[\t\n{_UNSAFE_IN_LINES}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: Any, *, newlines: bool = False) -> str:
    """``text`` (anything: it is made a string) with every control character escaped; with ``newlines`` the
    newlines and tabs are kept (whole lines of output), else they are escaped too (one value in one line)."""
    pattern = UNSAFE_IN_STREAM if newlines else UNSAFE_IN_VALUE
    return pattern.sub(_escape, str(text))


class CleanStream(io.TextIOBase):
    """A text stream that writes to ``raw`` what it is given, cleaned (:func:`clean`, newlines kept)."""

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(clean(text, newlines=True))
        return len(text)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return self.raw.isatty()

    def fileno(self) -> int:
        return self.raw.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.raw, "encoding", "utf-8")

    def writable(self) -> bool:
        return True


def raw(stream: TextIO) -> TextIO:
    """The stream under a :class:`CleanStream` (for tqdm's redrawing), or ``stream`` itself."""
    return stream.raw if isinstance(stream, CleanStream) else stream


@contextmanager
def cleaned_output() -> Iterator[None]:
    """Clean everything printed to ``sys.stdout`` and ``sys.stderr`` inside the block (nested: once)."""
    before = sys.stdout, sys.stderr
    if not isinstance(sys.stdout, CleanStream):
        sys.stdout = CleanStream(sys.stdout)
    if not isinstance(sys.stderr, CleanStream):
        sys.stderr = CleanStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = before


__all__ = ["CleanStream", "clean", "cleaned_output", "raw"]
