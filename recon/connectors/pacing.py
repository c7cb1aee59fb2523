"""Pacing and retries shared by every call of a run.

One :class:`Pacer` per system and account (Xero tenant, Precoro token), obtained with :func:`pacer_for`, so
that every connector and thread of a process draws on the same budget:

* Xero: the limits of :mod:`recon.limits` per tenant (calls in flight, per minute, per day: the day limit of
  the app's pricing tier), and the app-wide minute budget shared by every tenant of the same app (client id);
  the ``X-MinLimit-Remaining``, ``X-AppMinLimit-Remaining`` and ``X-DayLimit-Remaining`` headers of every
  reply tighten the budget when other clients share the tenant or the app.
* Precoro: the limits of :mod:`recon.limits` per token (per minute, hour and day).

The windows themselves are :class:`recon.connectors.budget.Budget` objects; a call waits until every budget
it draws on has room.

:meth:`Pacer.call` runs one request inside the budget and applies the retry policy: a minute/hour 429 waits
``retry_after`` and goes on; a day 429 raises :class:`DailyLimitError` at once; 5xx, timeouts and dropped
connections are retried with exponential backoff (the same budget and pacing for reads and writes) for reads,
for writes that are safe to send twice (an idempotency key, the same on every attempt, or an idempotent
method such as Precoro's PUT and PATCH), and for any write that never reached the service (could not
connect). The clock and sleep are injectable for tests.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, TypeVar

from recon.connectors.budget import Budget, app_budget, reset_app_budgets, take_all
from recon.errors import ApiError, DailyLimitError, RateLimitError, TransientError
from recon.limits import PRECORO_CONCURRENCY, PRECORO_LIMITS, XERO_CONCURRENCY, xero_limits

log = logging.getLogger("recon.connectors")
T = TypeVar("T")



@dataclass
class RetryPolicy:
    """How often and how long to retry: ``attempts`` in all, backoff ``base * 2**n`` capped at ``cap``."""

    attempts: int = 6
    base: float = 0.5
    cap: float = 30.0
    #: a single minute/hour wait longer than this is treated as a stop (seconds)
    max_wait: float = 3700.0

    def backoff(self, attempt: int) -> float:
        return min(self.cap, self.base * (2 ** attempt)) * (0.5 + random.random() / 2)


@dataclass
class PacerStats:
    """What the pacer did in this process: calls, retries, waits, and the last remaining counts seen."""

    calls: int = 0
    retries: int = 0
    waited: float = 0.0
    remaining: dict[str, int] = field(default_factory=dict)


class Pacer:
    """The budgets of one system and account plus a concurrency cap."""

    def __init__(self, system: str, limits: Mapping[str, tuple[int, float]], concurrency: int, *,
                 policy: RetryPolicy | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, shared: Budget | None = None) -> None:
        self.system = system
        self.budget = Budget(f"{system} account", limits)
        #: a budget shared with other accounts (Xero's per-app minute limit), or None
        self.shared = shared
        self.policy = policy or RetryPolicy()
        self.clock, self.sleep = clock, sleep
        self.stats = PacerStats()
        self._sem = threading.BoundedSemaphore(concurrency)
        self._lock = threading.Lock()
        self._blocked_until = 0.0

    @property
    def limits(self) -> dict[str, tuple[int, float]]:
        """The account's windows: ``{"minute": (60, 60.0), ...}``."""
        return dict(self.budget.limits)

    def set_limits(self, limits: Mapping[str, int]) -> None:
        """Change call counts per window (e.g. ``{"minute": 10000}`` against a sandbox with raised limits)."""
        self.budget.set_limits(limits)

    def _budgets(self) -> list[Budget]:
        return [self.budget] + ([self.shared] if self.shared is not None else [])

    def _wait_for_room(self) -> None:
        while True:
            with self._lock:
                now = self.clock()
                held = max(0.0, self._blocked_until - now)
                wait = held if held > 0 else take_all(self._budgets(), now)
                if wait <= 0:
                    self.stats.calls += 1
                    return
            if wait > self.policy.max_wait:
                raise DailyLimitError(f"the local budget of {self.system} calls is spent for the day",
                                      system=self.system, resume_at=None)
            log.info("pacing: waiting %.1fs for %s budget", wait, self.system)
            self.stats.waited += wait
            self.sleep(wait)

    def observe(self, headers: Mapping[str, str] | None, *, limited: bool = False) -> None:
        """Read Xero's ``X-*-Remaining`` headers: when the minute budget is gone, hold calls until it renews.

        On a 429 (``limited``) the counts are only recorded: its ``Retry-After`` says how long to wait."""
        if not headers:
            return
        lower = {k.lower(): v for k, v in headers.items()}
        for name, header in (("minute", "x-minlimit-remaining"), ("day", "x-daylimit-remaining"),
                             ("appminute", "x-appminlimit-remaining")):
            if header in lower:
                try:
                    self.stats.remaining[name] = int(lower[header])
                except ValueError:
                    continue
        if not limited and (self.stats.remaining.get("minute") == 0 or self.stats.remaining.get("appminute") == 0):
            with self._lock:
                oldest = self.budget.oldest("minute")
                # the server's window started no later than our oldest call in it
                until = (oldest + 60.0) if oldest is not None else self.clock() + 60.0
                self._blocked_until = max(self._blocked_until, until)

    def call(self, fn: Callable[[], T], *, operation: str, write: bool = False, idempotent: bool = False) -> T:
        """Run ``fn`` (one HTTP call that raises recon :class:`ApiError` subclasses) within the budget,
        retrying as the module docstring says. ``idempotent`` marks a write that is safe to send twice (an
        idempotency key, or a method that sets rather than adds, such as Precoro's PUT and PATCH)."""
        attempt = 0
        while True:
            self._wait_for_room()
            self._sem.acquire()
            try:
                return fn()
            except DailyLimitError:
                raise
            except RateLimitError as exc:
                # a 429 was refused before any work: waiting and sending again is safe for writes too
                if exc.retry_after > self.policy.max_wait or attempt + 1 >= self.policy.attempts * 2:
                    raise
                wait = max(exc.retry_after, 0.05)
                log.warning("%s %s: %s limit hit, waiting %.1fs", self.system, operation, exc.scope, wait)
                with self._lock:
                    self._blocked_until = max(self._blocked_until, self.clock() + wait)
            except TransientError as exc:
                if not may_resend(exc, write=write, idempotent=idempotent) or attempt + 1 >= self.policy.attempts:
                    raise
                wait = self.policy.backoff(attempt)
                log.warning("%s %s: %s, retry %d in %.2fs", self.system, operation, exc.what, attempt + 1, wait)
                self.stats.waited += wait
                self.sleep(wait)
            finally:
                self._sem.release()
            attempt += 1
            self.stats.retries += 1


_PACERS: dict[tuple[str, str], Pacer] = {}
_PACERS_LOCK = threading.Lock()


def pacer_for(system: str, account: str, *, app: str = "", day_limit: int | None = None) -> Pacer:
    """The process-wide pacer of ``system`` for ``account`` (Xero tenant or Precoro token digest).

    ``app`` (the Xero client id) joins the pacer to that app's shared minute budget; ``day_limit`` is the
    Xero day limit of the app's pricing tier (default: the Core tier's 5,000)."""
    with _PACERS_LOCK:
        key = (system, account)
        if key not in _PACERS:
            if system == "xero":
                _PACERS[key] = pacer = Pacer(system, xero_limits(), XERO_CONCURRENCY, shared=app_budget(system, app))
                if day_limit is not None:
                    pacer.set_limits({"day": day_limit})
            else:
                _PACERS[key] = Pacer(system, PRECORO_LIMITS, PRECORO_CONCURRENCY)
        return _PACERS[key]


def reset_pacers() -> None:
    """Forget every pacer and shared budget (tests and benchmarks that start a fresh sandbox)."""
    with _PACERS_LOCK:
        _PACERS.clear()
    reset_app_budgets()


def may_resend(exc: TransientError, *, write: bool, idempotent: bool) -> bool:
    """Whether a call that failed with ``exc`` may be sent again: a read or an idempotent write always; any
    other write only when the request never reached the service (nothing can have been carried out)."""
    return not write or idempotent or not exc.maybe_delivered


def ensure_api_error(exc: BaseException, system: str, operation: str) -> ApiError:
    """A stray library exception as recon's (the one table in :mod:`recon.connectors.failures`)."""
    from recon.connectors.failures import translate

    return translate(exc, system=system, operation=operation)
