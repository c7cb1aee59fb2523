"""Plumbing both emulators share: rate limits, fault injection, request statistics, bulk-load helpers.

:class:`SandboxMiddleware` wraps an emulator's ASGI app. Requests under ``/_sandbox/`` (the admin surface)
are never limited, faulted or counted. Every other request is, in this order: counted in :class:`Stats`
(by method and route), checked against the :class:`RateLimiter` (the emulator decides the key, e.g. the Xero
tenant or the Precoro token, and how a 429 looks), then exposed to the injected :class:`Faults`.

Faults are off by default. ``drop`` closes the connection before the request is handled; ``drop_after``
handles it (so a write is committed) and then closes the connection mid-reply: the client cannot tell
whether the write happened, which is exactly what idempotency keys exist for.
"""

from __future__ import annotations

import asyncio
import gc
import math
import random
import re
import threading
import time
from collections import Counter, deque
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from typing import Any, Awaitable, Callable, Iterator

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_ID_SEGMENT = re.compile(r"^([0-9a-fA-F-]{32,36}|\d+|[A-Z]{2,}-?\d+|[A-Z]+\d+)$")


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector off within the block (restored after, as it was).

    A bulk load makes millions of dicts and lists, none cyclic, and each tenth of a million of them sets off a
    collection that walks every object made so far: at a million lines that is most of the load's time.

    What the block made is long-lived (an emulator's records, a generated payload), so on the way out it is moved
    straight to the oldest generation (``freeze`` then ``unfreeze``, which walks nothing): left in the youngest,
    the first two collections after the block would each walk all of it to promote it there (about 0.5 s per
    300,000 lines). A full collection still walks it, once, whenever the process makes its next one.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def route_of(method: str, path: str) -> str:
    """``GET /api.xro/2.0/Contacts/{id}``: the path with id-like segments replaced, for statistics."""
    parts = ["{id}" if _ID_SEGMENT.match(p) else p for p in path.split("/")]
    return f"{method} {'/'.join(parts)}"


@dataclass
class Faults:
    """Rates (0..1) of injected faults, optionally limited to some methods/paths and to a number of faults."""

    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_slow: float = 0.0
    slow_seconds: float = 1.0
    rate_drop: float = 0.0
    rate_drop_after: float = 0.0
    methods: list[str] = field(default_factory=list)
    path_regex: str = ""
    max_faults: int | None = None
    retry_after: float = 1.0
    seed: int = 0
    injected: int = 0

    def update(self, data: dict[str, Any]) -> None:
        """Apply a JSON body of ``POST /_sandbox/faults``; an unknown key or a bad value is a ``ValueError``.

        Numbers may come as ``int``, ``float`` or ``Decimal`` (the Precoro emulator parses JSON numbers
        exactly); each is checked and stored as the type the middleware computes with, so a fractional
        ``slow_seconds`` or rate works the same on both emulators."""
        names = {f.name for f in fields(self)} - {"injected"}
        unknown = set(data) - names - {"limits"}
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        checked = {key: _FAULT_VALUES[key](key, value) for key, value in data.items() if key != "limits"}
        for key, value in checked.items():  # all checked first: a bad value changes nothing
            setattr(self, key, value)
        self.injected = 0

    def applies(self, method: str, path: str) -> bool:
        if self.methods and method.upper() not in {m.upper() for m in self.methods}:
            return False
        if self.path_regex and not re.search(self.path_regex, path):
            return False
        return self.max_faults is None or self.injected < self.max_faults


def _number(key: str, value: Any) -> float:
    # bool is an int to Python, never a number here; Decimal and int become float for asyncio and random
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError(f"{key} must be a number, not {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{key} must be a finite number of at least 0, not {value!r}")
    return number


def _rate(key: str, value: Any) -> float:
    rate = _number(key, value)
    if rate > 1:
        raise ValueError(f"{key} is a rate between 0 and 1, not {value!r}")
    return rate


def _whole(key: str, value: Any) -> int:
    number = _number(key, value)
    if number != int(number):
        raise ValueError(f"{key} must be a whole number, not {value!r}")
    return int(number)


def _count_or_none(key: str, value: Any) -> int | None:
    return None if value is None else _whole(key, value)


def _methods(key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(m, str) for m in value):
        raise ValueError(f"{key} must be a list of HTTP methods, not {value!r}")
    return [m.upper() for m in value]


def _regex(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a regular expression, not {value!r}")
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{key} is not a valid regular expression: {exc}") from None
    return value


#: How each setting of ``POST /_sandbox/faults`` is checked and stored.
_FAULT_VALUES: dict[str, Callable[[str, Any], Any]] = {
    "rate_429": _rate, "rate_5xx": _rate, "rate_slow": _rate, "rate_drop": _rate, "rate_drop_after": _rate,
    "slow_seconds": _number, "retry_after": _number, "methods": _methods, "path_regex": _regex,
    "max_faults": _count_or_none, "seed": _whole,
}


@dataclass
class Window:
    """One rolling rate-limit window: at most ``limit`` requests per ``seconds``."""

    name: str
    seconds: float
    limit: int


class RateLimiter:
    """Rolling-window counters per key (tenant or token). Thread-safe; the clock is injectable."""

    def __init__(self, windows: list[Window], clock: Callable[[], float] = time.time) -> None:
        self.windows = windows
        self.clock = clock
        self._hits: dict[str, list[deque[float]]] = {}
        self._lock = threading.Lock()

    def set_limits(self, limits: dict[str, int]) -> None:
        """Change the limit of named windows (``{"minute": 600}``); unknown names are a ``ValueError``."""
        known = {w.name: w for w in self.windows}
        for name, value in limits.items():
            if name not in known:
                raise ValueError(f"unknown limit {name!r}; known: {', '.join(known)}")
            known[name].limit = int(value)

    def limits(self) -> dict[str, int]:
        return {w.name: w.limit for w in self.windows}

    def hit(self, key: str) -> tuple[Window | None, float, dict[str, int]]:
        """Count one request for ``key``. Returns (window exceeded or None, seconds until it frees, remaining)."""
        now = self.clock()
        with self._lock:
            # one queue per window, so a request costs the same however many the day has seen
            queues = self._hits.setdefault(key, [deque() for _ in self.windows])
            for w, q in zip(self.windows, queues):
                while q and q[0] <= now - w.seconds:
                    q.popleft()
            counts = {w.name: len(q) for w, q in zip(self.windows, queues)}
            for w, q in zip(self.windows, queues):
                if len(q) >= w.limit:
                    # the request that frees a slot when it leaves the window
                    oldest = q[len(q) - w.limit] if w.limit > 0 else now
                    wait = max(1.0, oldest + w.seconds - now)
                    return w, wait, {x.name: max(0, x.limit - counts[x.name]) for x in self.windows}
            for q in queues:
                q.append(now)
            return None, 0.0, {w.name: max(0, w.limit - counts[w.name] - 1) for w in self.windows}

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


@dataclass
class Stats:
    """Requests served, by ``METHOD /route``, and those refused for a rate limit, by window (``limited``: what
    proves that clients sharing one budget kept inside it together)."""

    by_route: Counter = field(default_factory=Counter)
    limited: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, method: str, path: str) -> None:
        with self._lock:
            self.by_route[route_of(method, path)] += 1

    def refused(self, window: str) -> None:
        with self._lock:
            self.limited[window] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            by_method: Counter = Counter()
            for route, n in self.by_route.items():
                by_method[route.split(" ", 1)[0]] += n
            return {"total": sum(self.by_route.values()), "by_method": dict(sorted(by_method.items())),
                    "by_route": dict(sorted(self.by_route.items())), "limited": dict(sorted(self.limited.items()))}

    def reset(self) -> None:
        with self._lock:
            self.by_route.clear()
            self.limited.clear()


#: (problem, retry_after_seconds, remaining) -> (status, headers, body bytes)
LimitedResponder = Callable[[str, float, dict[str, int]], tuple[int, list[tuple[str, str]], bytes]]
#: remaining -> extra headers for every limited-route response
RemainingHeaders = Callable[[dict[str, int]], list[tuple[str, str]]]
#: scope -> limiter key, or None when the request is not counted (e.g. unauthenticated)
KeyOf = Callable[[Scope], str | None]


class SandboxMiddleware:
    """ASGI middleware applying stats, rate limits and faults to an emulator (see module docstring)."""

    def __init__(self, app: Any, *, limiter: RateLimiter, key_of: KeyOf, limited: LimitedResponder,
                 remaining_headers: RemainingHeaders | None = None, server_error: bytes = b"Internal Server Error",
                 stats: Stats | None = None, faults: Faults | None = None) -> None:
        self.app, self.limiter, self.key_of, self.limited = app, limiter, key_of, limited
        self.remaining_headers = remaining_headers or (lambda remaining: [])
        self.server_error = server_error
        self.stats = stats or Stats()
        self.faults = faults or Faults()
        self._rng = random.Random(self.faults.seed)
        self._seed = self.faults.seed

    def _roll(self, rate: float, method: str, path: str) -> bool:
        if rate <= 0 or not self.faults.applies(method, path):
            return False
        if self.faults.seed != self._seed:
            self._rng, self._seed = random.Random(self.faults.seed), self.faults.seed
        if self._rng.random() < rate:
            self.faults.injected += 1
            return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox/"):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        self.stats.count(method, path)
        extra: list[tuple[str, str]] = []
        key = self.key_of(scope)
        if key is not None:
            window, wait, remaining = self.limiter.hit(key)
            if window is not None:
                self.stats.refused(window.name)
                await _reply(send, *self.limited(window.name, wait, remaining))
                return
            extra = self.remaining_headers(remaining)
        if self._roll(self.faults.rate_slow, method, path):
            await asyncio.sleep(self.faults.slow_seconds)
        if self._roll(self.faults.rate_429, method, path):
            remaining = {w.name: 0 if w.name == "minute" else w.limit for w in self.limiter.windows}
            await _reply(send, *self.limited("minute", float(self.faults.retry_after), remaining))
            return
        if self._roll(self.faults.rate_5xx, method, path):
            await _reply(send, 503, [("content-type", "text/plain")], self.server_error)
            return
        if self._roll(self.faults.rate_drop, method, path):
            await _drop(send)
            return
        drop_after = self._roll(self.faults.rate_drop_after, method, path)

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and extra:
                message = {**message, "headers": list(message.get("headers", [])) + [(k.lower().encode(), v.encode()) for k, v in extra]}
            await send(message)

        if not drop_after:
            await self.app(scope, receive, send_with_headers)
            return

        async def swallow(message: dict[str, Any]) -> None:
            return None

        await self.app(scope, receive, swallow)  # the write is committed; the client never hears of it
        await _drop(send)

    def configure(self, data: dict[str, Any]) -> dict[str, Any]:
        """Apply ``POST /_sandbox/faults`` (fault rates and ``limits``) and return the settings in force."""
        if "limits" in data:
            self.limiter.set_limits(dict(data["limits"]))
        self.faults.update(data)
        return self.describe()

    def describe(self) -> dict[str, Any]:
        return {**{k: v for k, v in asdict(self.faults).items()}, "limits": self.limiter.limits()}


async def _reply(send: Send, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    hdrs = [(k.lower().encode(), v.encode()) for k, v in headers] + [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": body})


class DroppedConnection(Exception):
    """Raised inside the server to make it close the connection mid-reply (an injected fault)."""


async def _drop(send: Send) -> None:
    # Promise a body, send part of it, then fail: the server closes the socket and the client sees a
    # truncated reply, as it would when a connection drops.
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")]})
    await send({"type": "http.response.body", "body": b"{", "more_body": True})
    raise DroppedConnection("injected dropped connection")
