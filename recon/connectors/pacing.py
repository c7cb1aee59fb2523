"""Pacing and retries shared by every call of a run.

One :class:`Pacer` per system and account (Xero tenant, Precoro token), obtained with :func:`pacer_for`, so
that every connector and thread of a process draws on the same budget:

* Xero: the limits of :mod:`recon.limits` per tenant (calls in flight, per minute, per day: the day limit of
  the app's pricing tier), and the app-wide minute budget shared by every tenant of the same app (client id);
  the ``X-MinLimit-Remaining``, ``X-AppMinLimit-Remaining`` and ``X-DayLimit-Remaining`` headers of every
  reply tighten the budget when other clients share the tenant or the app.
* Precoro: the limits of :mod:`recon.limits` per token (per minute, hour and day).

The windows themselves are :class:`recon.connectors.budget.Budget` objects, counted in the store the profile's
``limits_store`` names (this process, a SQLite file every process of the machine shares, or Redis for several
machines: :mod:`recon.connectors.budget`); a call waits until every budget it draws on has room, so the sum
over every process sharing the store stays inside the limits. A wait longer than ``RetryPolicy.max_wait`` (a
spent day budget) stops the run with :class:`DailyLimitError` saying when the budget has room again.

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
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping, TypeVar

from recon.connectors.budget import MEMORY, Budget, BudgetStore, app_budget, reset_app_budgets, store_for, take_all
from recon.errors import ApiError, DailyLimitError, RateLimitError, TransientError
from recon.limits import PRECORO_CONCURRENCY, PRECORO_LIMITS, WINDOW_MARGIN, XERO_CONCURRENCY, xero_limits

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
                 policy: RetryPolicy | None = None, clock: Callable[[], float] | None = None,
                 sleep: Callable[[float], None] = time.sleep, shared: Budget | None = None,
                 store: BudgetStore | None = None, account: str = "", margin: float = 0.0) -> None:
        self.system = system
        #: counted under ``<system>:<account>`` in ``store`` (default: a store of this pacer's own, in memory),
        #: each call for ``margin`` seconds longer than the service's windows (``recon.limits.WINDOW_MARGIN``)
        self.budget = Budget(f"{system}:{account or 'account'}", limits, store, margin=margin)
        # a shared store counts in its own clock (wall time, the same in every process); memory in the caller's
        clock = clock or self.budget.store.clock or time.monotonic
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

    def set_limits(self, limits: Mapping[str, int | tuple[int, float]]) -> None:
        """Change call counts per window (e.g. ``{"minute": 10000}`` against a sandbox with raised limits; a
        ``(count, seconds)`` pair also changes the window's length)."""
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
                resume = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=int(wait) + 1)
                raise DailyLimitError(f"the {self.system} calls budget of {self.budget.name.split(':', 1)[-1]} is spent "
                                      f"for the day (counted by every recon process sharing its limits store); the run "
                                      f"can resume at {resume:%Y-%m-%d %H:%M} UTC", system=self.system, resume_at=resume)
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
                now = self.clock()
                # the server's window started no later than our oldest call in it
                renewed = self.budget.until_renewed("minute", now)
                self._blocked_until = max(self._blocked_until,
                                          now + (renewed if renewed is not None else self.budget.span("minute")))

    def call(self, fn: Callable[[], T], *, operation: str, write: bool = False, idempotent: bool = False) -> T:
        """Run ``fn`` (one HTTP call that raises recon :class:`ApiError` subclasses) within the budget,
        retrying as the module docstring says. ``idempotent`` marks a write that is safe to send twice (an
        idempotency key, or a method that sets rather than adds, such as Precoro's PUT and PATCH)."""
        attempt = 0
        while True:
            self._sem.acquire()
            try:
                # counted only once a slot in flight is ours, so the call leaves the moment it is counted
                self._wait_for_room()
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


_PACERS: dict[tuple[str, str, str], Pacer] = {}
_PACERS_LOCK = threading.Lock()


def pacer_for(system: str, account: str, *, app: str = "", day_limit: int | None = None,
              store: str = MEMORY) -> Pacer:
    """The process-wide pacer of ``system`` for ``account`` (Xero organisation, Precoro token digest).

    ``app`` (the Xero client id) joins the pacer to that app's shared minute budget; ``day_limit`` is the
    Xero day limit of the app's pricing tier (default: the Core tier's 5,000); ``store`` is the profile's
    ``limits_store`` (``memory``, ``sqlite:PATH``, ``redis://...``), where the budgets are counted."""
    with _PACERS_LOCK:
        key = (system, account, store)
        if key not in _PACERS:
            shared_store = store_for(store)
            if system == "xero":
                _PACERS[key] = pacer = Pacer(system, xero_limits(), XERO_CONCURRENCY, store=shared_store,
                                             account=account, shared=app_budget(system, app, shared_store),
                                             margin=WINDOW_MARGIN)
                if day_limit is not None:
                    pacer.set_limits({"day": day_limit})
            else:
                _PACERS[key] = Pacer(system, PRECORO_LIMITS, PRECORO_CONCURRENCY, store=shared_store, account=account,
                                     margin=WINDOW_MARGIN)
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
