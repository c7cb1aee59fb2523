"""One Precoro emulator on loopback with a manual clock, for the emulator's own test modules."""

from __future__ import annotations

from typing import Any, Iterator

import httpx

from recon.sandbox.precoro import ManualClock, PrecoroEmulator, running


def serve(start: float, **options: Any) -> Iterator[tuple[PrecoroEmulator, httpx.Client, ManualClock]]:
    """``(emulator, client, clock)`` for a module fixture: ``yield from serve(T0, limits=...)``."""
    clock = ManualClock(start)
    emu = PrecoroEmulator(clock=clock, **options)
    with running(emu) as client:
        yield emu, client, clock
