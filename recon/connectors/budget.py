"""Call budgets: rolling windows of calls that a pacer draws on before every request, kept in a store.

A :class:`Budget` is one account's allowance (a Xero organisation, a Precoro token, or a whole Xero app across
all its organisations). A call is only made when *every* budget it draws on has room, and then it is counted
in all of them at once (:func:`take_all`), so a full app budget holds calls to every organisation.

**Where the counts live** (:func:`store_for`, from the profile's ``limits_store`` setting):

============================  =============================================================================
``memory``                    this process only (the sandbox's default: each emulator counts for itself)
``sqlite:/path/limits.sqlite``  every process of this machine (the default for real accounts:
                              ``<data>/limits.sqlite``): a firm's Airflow workers, cron and JupyterLab on one
                              host share one file, so their sum stays inside the limits
``redis://host:6379/0``       every process of every machine that reaches the Redis server (needs the
                              ``redis`` package: ``pip install 'recon[redis]'``)
============================  =============================================================================

Each store checks and counts a call in one atomic step over all the budgets it draws on: SQLite in one
``BEGIN IMMEDIATE`` transaction (the file's write lock serialises every process), Redis in one Lua script
(Redis runs a script alone, and it reads the server's clock, so machines need not agree on the time). A
sliding log of call times is kept per budget, exact to the call: the windows are the services' own (a minute,
an hour, a day, rolling), and the counts are small (a day of 200 organisations at Xero's 5,000 is a million
rows at most, pruned as they leave the longest window).

Why not pyrate-limiter: its buckets take one permit at a time from one bucket, so a call that must fit in its
organisation's *and* its app's budget needs two acquisitions that are not atomic together; its acquire either
blocks or answers no, without saying how long until there is room, which the pacer needs to tell a minute wait
(sleep) from a day limit (stop, saying when to resume); and it runs a background leaker thread per bucket. The
store here is the few dozen lines of SQL and Lua that do exactly what the pacer asks.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from recon.errors import ConfigError, StoreError
from recon.limits import WINDOW_MARGIN, WINDOW_SECONDS, XERO_APP_LIMITS
from recon.private import make_dir

#: one lock for every in-memory budget: a call's check and count across several budgets must be atomic
_LOCK = threading.RLock()
#: calls older than this left every window a budget can have
_LONGEST = max(WINDOW_SECONDS.values())
MEMORY = "memory"


class BudgetStore:
    """Where the calls of budgets are counted. ``clock`` is the time the store counts in (None: the caller's)."""

    clock: Callable[[], float] | None = None
    #: True when other processes see the same counts
    shared = False

    def take(self, budgets: Sequence["Budget"], now: float) -> float:
        """Count one call in every budget when all have room (return 0.0), else count nothing and return the
        seconds until all would have room."""
        raise NotImplementedError

    def wait(self, budget: "Budget", now: float) -> float:
        """Seconds until one more call fits in ``budget`` (0 when it fits now)."""
        raise NotImplementedError

    def until_renewed(self, budget: "Budget", window: str, now: float) -> float | None:
        """Seconds until the oldest call in ``window`` leaves it (None when the window is empty)."""
        raise NotImplementedError

    def used(self, budget: "Budget", window: str, now: float) -> int:
        """Calls counted in ``window`` right now."""
        raise NotImplementedError

    def clear(self) -> None:
        """Forget every count (tests and benchmarks)."""


def _wait_in(times: Sequence[float], count: int, seconds: float, now: float) -> float:
    """Seconds until a window holding calls at ``times`` (oldest first, all inside it) has room for one more."""
    if len(times) < count:
        return 0.0
    if count <= 0:
        return seconds
    # the call whose leaving makes room: the (n - count)-th oldest (more than count when limits were lowered)
    return max(0.0, times[len(times) - count] + seconds - now)


class MemoryStore(BudgetStore):
    """Counts in this process: a deque of call times per budget and window."""

    def __init__(self) -> None:
        self._sent: dict[tuple[str, str], deque[float]] = {}

    def _window(self, budget: "Budget", window: str, now: float) -> deque[float]:
        sent = self._sent.setdefault((budget.name, window), deque())
        seconds = budget.span(window)
        while sent and sent[0] <= now - seconds:
            sent.popleft()
        return sent

    def wait(self, budget: "Budget", now: float) -> float:
        with _LOCK:
            return max((_wait_in(self._window(budget, w, now), count, budget.span(w), now)
                        for w, (count, _) in budget.limits.items()), default=0.0)

    def take(self, budgets: Sequence["Budget"], now: float) -> float:
        with _LOCK:
            wait = max((self.wait(b, now) for b in budgets), default=0.0)
            if wait <= 0:
                for budget in budgets:
                    for window in budget.limits:
                        self._window(budget, window, now).append(now)
            return wait

    def until_renewed(self, budget: "Budget", window: str, now: float) -> float | None:
        with _LOCK:
            sent = self._window(budget, window, now)
            return sent[0] + budget.span(window) - now if sent else None

    def used(self, budget: "Budget", window: str, now: float) -> int:
        with _LOCK:
            return len(self._window(budget, window, now))

    def clear(self) -> None:
        with _LOCK:
            self._sent.clear()


class SqliteStore(BudgetStore):
    """Counts in a SQLite file that every process of the machine opens (WAL, one connection per thread)."""

    clock = staticmethod(time.time)
    shared = True
    #: prune the log once in this many calls
    PRUNE_EVERY = 500

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._takes = 0

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            return conn
        try:
            make_dir(self.path.parent)
            conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None, check_same_thread=False)
            self._init(conn)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the shared limits store {self.path}: {exc}") from None
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    @staticmethod
    def _init(conn: sqlite3.Connection) -> None:
        """WAL (set once, kept in the file) and the table. Switching to WAL needs the file to itself and does not
        wait for a busy file the way other statements do, so processes opening a new file together retry it."""
        deadline = time.monotonic() + 60.0
        while True:
            try:
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("CREATE TABLE IF NOT EXISTS calls (budget TEXT NOT NULL, at REAL NOT NULL)")
                conn.execute("CREATE INDEX IF NOT EXISTS calls_by_budget ON calls (budget, at)")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        conn.execute("PRAGMA synchronous=NORMAL")  # a call lost on power loss costs one call of budget

    def _wait(self, conn: sqlite3.Connection, budget: "Budget", now: float) -> float:
        wait = 0.0
        for window, (count, _) in budget.limits.items():
            seconds = budget.span(window)
            used = conn.execute("SELECT count(*) FROM calls WHERE budget = ? AND at > ?",
                                (budget.name, now - seconds)).fetchone()[0]
            if used >= count:
                if count <= 0:
                    wait = max(wait, seconds)
                    continue
                freeing = conn.execute("SELECT at FROM calls WHERE budget = ? AND at > ? ORDER BY at LIMIT 1 OFFSET ?",
                                       (budget.name, now - seconds, used - count)).fetchone()[0]
                wait = max(wait, freeing + seconds - now)
        return wait

    def _run(self, work: Callable[[sqlite3.Connection], Any], *, write: bool = False) -> Any:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                result = work(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result
        except sqlite3.Error as exc:
            raise StoreError(f"the shared limits store {self.path} failed: {exc}") from None

    def take(self, budgets: Sequence["Budget"], now: float) -> float:
        def work(conn: sqlite3.Connection) -> float:
            wait = max((self._wait(conn, b, now) for b in budgets), default=0.0)
            if wait <= 0:
                conn.executemany("INSERT INTO calls (budget, at) VALUES (?, ?)", [(b.name, now) for b in budgets])
                self._takes += 1
                if self._takes % self.PRUNE_EVERY == 0:
                    conn.execute("DELETE FROM calls WHERE at <= ?", (now - _LONGEST,))
            return wait
        return self._run(work, write=True)

    def wait(self, budget: "Budget", now: float) -> float:
        return self._run(lambda conn: self._wait(conn, budget, now))

    def until_renewed(self, budget: "Budget", window: str, now: float) -> float | None:
        seconds = budget.span(window)
        row = self._run(lambda conn: conn.execute("SELECT min(at) FROM calls WHERE budget = ? AND at > ?",
                                                  (budget.name, now - seconds)).fetchone())
        return None if row[0] is None else row[0] + seconds - now

    def used(self, budget: "Budget", window: str, now: float) -> int:
        seconds = budget.span(window)
        return self._run(lambda conn: conn.execute("SELECT count(*) FROM calls WHERE budget = ? AND at > ?",
                                                   (budget.name, now - seconds)).fetchone()[0])

    def clear(self) -> None:
        self._run(lambda conn: conn.execute("DELETE FROM calls"), write=True)


class Budget:
    """Named windows (``{"minute": (60, 60.0), "day": (5000, 86400.0)}``) of calls, counted in ``store``
    under ``name`` (budgets of the same name in the same store are one budget). Without a store it has one of
    its own, in memory. Every store counts a call in a window for ``span(window)`` seconds."""

    def __init__(self, name: str, limits: Mapping[str, tuple[int, float]], store: BudgetStore | None = None, *,
                 margin: float = 0.0) -> None:
        self.name = name
        self.limits = dict(limits)
        self.store = store if store is not None else MemoryStore()
        #: seconds a call is counted beyond each window (``recon.limits.WINDOW_MARGIN`` against a real service)
        self.margin = margin

    def span(self, window: str) -> float:
        """How long a call counts in ``window``: the service's length plus the margin."""
        return self.limits[window][1] + self.margin

    def __repr__(self) -> str:
        return f"Budget({self.name!r}, {self.limits!r}, {self.store!r})"

    def set_limits(self, limits: Mapping[str, int | tuple[int, float]]) -> None:
        """Change call counts per window (a window not known yet takes its usual length); a ``(count,
        seconds)`` pair changes the window's length too (tests that scale time down)."""
        with _LOCK:
            for window, value in limits.items():
                if isinstance(value, tuple):
                    self.limits[window] = (int(value[0]), float(value[1]))
                else:
                    seconds = self.limits.get(window, (0, WINDOW_SECONDS[window]))[1]
                    self.limits[window] = (int(value), seconds)

    def wait(self, now: float) -> float:
        """Seconds until one more call fits (0 when it fits now)."""
        return self.store.wait(self, now)

    def until_renewed(self, window: str, now: float) -> float | None:
        """Seconds until the oldest call still inside ``window`` leaves it (None when it is empty)."""
        return self.store.until_renewed(self, window, now) if window in self.limits else None

    def left(self, window: str, now: float) -> int | None:
        """Calls still allowed in ``window`` (None when this budget has no such window)."""
        if window not in self.limits:
            return None
        return max(0, self.limits[window][0] - self.store.used(self, window, now))


def take_all(budgets: Iterable[Budget], now: float) -> float:
    """Count one call in every budget when all have room (0.0), else how long to wait and count nothing.

    Budgets of one store are checked and counted by it in one atomic step; budgets of several in-memory
    stores under the module's lock (a mix with a shared store is only done by tests, and is not atomic
    across processes)."""
    budgets = list(budgets)
    stores = {id(b.store): b.store for b in budgets}
    if len(stores) == 1:
        return budgets[0].store.take(budgets, now)
    with _LOCK:
        wait = max((b.wait(now) for b in budgets), default=0.0)
        if wait <= 0:
            for budget in budgets:
                budget.store.take([budget], now)  # each has room: checked just above, under the lock
        return wait


# ---- stores by name, and the app budgets -----------------------------------------------------------------

_STORES: dict[str, BudgetStore] = {}
_APPS: dict[tuple[str, str, str], Budget] = {}


def store_for(spec: str) -> BudgetStore:
    """The process-wide store a ``limits_store`` setting names: ``memory``, ``sqlite:PATH``, ``redis://...``
    (:mod:`recon.config` has already made the path absolute)."""
    spec = spec or MEMORY
    with _LOCK:
        if spec not in _STORES:
            if spec == MEMORY:
                _STORES[spec] = MemoryStore()
            elif spec.startswith("sqlite:"):
                _STORES[spec] = SqliteStore(spec[len("sqlite:"):])
            elif spec.startswith(("redis://", "rediss://", "unix://")):
                from recon.connectors.budget_redis import RedisStore

                _STORES[spec] = RedisStore(spec)
            else:
                raise ConfigError(f"limits_store {spec!r} is not a store: use memory, sqlite:PATH or redis://HOST:PORT/DB")
        return _STORES[spec]


def app_budget(system: str, app: str, store: BudgetStore | None = None) -> Budget | None:
    """The budget one app shares across all its organisations (Xero: 10,000 calls a minute); None for
    systems without one."""
    if system != "xero" or not app:
        return None
    store = store if store is not None else store_for(MEMORY)
    with _LOCK:
        key = (system, app, repr(id(store)))
        if key not in _APPS:
            _APPS[key] = Budget(f"xero app {app}", XERO_APP_LIMITS, store, margin=WINDOW_MARGIN)
        return _APPS[key]


def reset_app_budgets() -> None:
    """Forget every app budget and every in-memory count (tests and benchmarks that start a fresh sandbox);
    shared stores keep theirs: other processes count on them."""
    with _LOCK:
        _APPS.clear()
        for store in _STORES.values():
            if isinstance(store, MemoryStore):
                store.clear()
