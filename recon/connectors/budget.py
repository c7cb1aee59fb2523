"""Call budgets: rolling windows of calls that a pacer draws on before every request.

A :class:`Budget` is one account's allowance (a Xero organisation, a Precoro token, or a whole Xero app across
all its organisations). A call is only made when *every* budget it draws on has room, and then it is counted
in all of them at once (:func:`take_all`), so a full app budget holds calls to every organisation.

Budgets live in this process (:func:`app_budget` hands out one per app). Sharing them across processes
(several schedules of one app) would replace :class:`Budget` with a store-backed one of the same interface.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Iterable, Mapping

from recon.limits import WINDOW_SECONDS, XERO_APP_LIMITS

#: one lock for every budget: a call's check and count across several budgets must be atomic
_LOCK = threading.RLock()


class Budget:
    """Named windows (``{"minute": (60, 60.0), "day": (5000, 86400.0)}``) of calls already made."""

    def __init__(self, name: str, limits: Mapping[str, tuple[int, float]]) -> None:
        self.name = name
        self.limits = dict(limits)
        self._sent: dict[str, deque[float]] = {window: deque() for window in self.limits}

    def set_limits(self, limits: Mapping[str, int]) -> None:
        """Change call counts per window (a window not known yet takes its usual length)."""
        with _LOCK:
            for window, count in limits.items():
                seconds = self.limits.get(window, (0, WINDOW_SECONDS[window]))[1]
                self.limits[window] = (int(count), seconds)
                self._sent.setdefault(window, deque())

    def wait(self, now: float) -> float:
        """Seconds until one more call fits (0 when it fits now)."""
        with _LOCK:
            wait = 0.0
            for window, (count, seconds) in self.limits.items():
                sent = self._sent[window]
                while sent and sent[0] <= now - seconds:
                    sent.popleft()
                if len(sent) >= count:
                    wait = max(wait, sent[0] + seconds - now if sent else seconds)
            return wait

    def take(self, now: float) -> None:
        """Count one call made at ``now``."""
        with _LOCK:
            for sent in self._sent.values():
                sent.append(now)

    def oldest(self, window: str) -> float | None:
        """When the oldest call still inside ``window`` was made (None when it is empty)."""
        with _LOCK:
            sent = self._sent.get(window)
            return sent[0] if sent else None

    def left(self, window: str, now: float) -> int | None:
        """Calls still allowed in ``window`` (None when this budget has no such window)."""
        if window not in self.limits:
            return None
        self.wait(now)  # drops the calls that left the window
        with _LOCK:
            return max(0, self.limits[window][0] - len(self._sent[window]))


def take_all(budgets: Iterable[Budget], now: float) -> float:
    """Count one call in every budget when all have room (0.0), else how long to wait and count nothing."""
    with _LOCK:
        budgets = list(budgets)
        wait = max((b.wait(now) for b in budgets), default=0.0)
        if wait <= 0:
            for budget in budgets:
                budget.take(now)
        return wait


_APPS: dict[tuple[str, str], Budget] = {}


def app_budget(system: str, app: str) -> Budget | None:
    """The budget one app shares across all its organisations (Xero: 10,000 calls a minute); None for
    systems without one."""
    if system != "xero" or not app:
        return None
    with _LOCK:
        key = (system, app)
        if key not in _APPS:
            _APPS[key] = Budget(f"xero app {app}", XERO_APP_LIMITS)
        return _APPS[key]


def reset_app_budgets() -> None:
    """Forget every app budget (tests and benchmarks that start a fresh sandbox)."""
    with _LOCK:
        _APPS.clear()
