"""The Redis store of call budgets, for workers on several machines (``limits_store = "redis://host:6379/0"``).

One sorted set per budget (``recon:budget:<name>``, score = the call's time on the Redis server's clock). A
call is checked and counted against all its budgets by one Lua script: Redis runs a script alone, so the check
and the count are one step for every worker of every machine, and the script reads the server's own clock
(``TIME``), so the machines' clocks need not agree. Each set expires a minute after its longest window.

Needs the ``redis`` package (``pip install 'recon[redis]'``), imported only when this store is used.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import TYPE_CHECKING, Any, Sequence

from recon.connectors.budget import BudgetStore
from recon.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from recon.connectors.budget import Budget

PREFIX = "recon:budget:"

#: KEYS: the budgets' sets; ARGV[1]: their windows as JSON [[[count, seconds], ...], ...]; ARGV[2]: a call id.
#: Returns the seconds to wait, as text ("0" when the call was counted in every budget).
TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limits = cjson.decode(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  for _, window in ipairs(limits[i]) do
    local count, seconds = window[1], window[2]
    local since = '(' .. string.format('%.6f', now - seconds)
    local used = redis.call('ZCOUNT', key, since, '+inf')
    if used >= count then
      if count <= 0 then
        wait = math.max(wait, seconds)
      else
        local freeing = redis.call('ZRANGEBYSCORE', key, since, '+inf', 'WITHSCORES', 'LIMIT', used - count, 1)
        wait = math.max(wait, tonumber(freeing[2]) + seconds - now)
      end
    end
  end
end
if wait <= 0 then
  for i, key in ipairs(KEYS) do
    local longest = 0
    for _, window in ipairs(limits[i]) do longest = math.max(longest, window[2]) end
    redis.call('ZADD', key, string.format('%.6f', now), ARGV[2])
    redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%.6f', now - longest))
    redis.call('EXPIRE', key, math.ceil(longest) + 60)
  end
end
return string.format('%.6f', wait)
"""

#: KEYS[1]: one budget's set; ARGV[1]: the window's seconds. Returns {calls inside it, the oldest's age}.
WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local since = '(' .. string.format('%.6f', now - tonumber(ARGV[1]))
local used = redis.call('ZCOUNT', KEYS[1], since, '+inf')
local oldest = redis.call('ZRANGEBYSCORE', KEYS[1], since, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
local age = -1
if oldest[2] then age = now - tonumber(oldest[2]) end
return {used, string.format('%.6f', age)}
"""


class RedisStore(BudgetStore):
    """Budgets counted in Redis (see the module docstring). ``url`` is a redis-py URL; it may hold a password,
    so it is never shown."""

    shared = True

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError:
            raise ConfigError("limits_store names a Redis server, and the redis package is not installed: "
                              "pip install 'recon[redis]'") from None
        self._redis = redis
        self._client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=10)
        self._take = self._client.register_script(TAKE)
        self._window = self._client.register_script(WINDOW)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "RedisStore(<url hidden>)"

    def _call(self, script: Any, keys: list[str], args: list[str]) -> Any:
        try:
            return script(keys=keys, args=args)
        except self._redis.RedisError as exc:
            raise StoreError(f"the shared limits store (Redis) failed: {type(exc).__name__}: {exc}") from None

    def take(self, budgets: Sequence["Budget"], now: float) -> float:
        windows = [[[count, b.span(window)] for window, (count, _) in b.limits.items()] for b in budgets]
        return float(self._call(self._take, [PREFIX + b.name for b in budgets],
                                [json.dumps(windows), uuid.uuid4().hex]))

    def wait(self, budget: "Budget", now: float) -> float:
        # until the oldest call leaves: exact when the window is just full; when limits were lowered below what
        # it holds this is a lower bound, and the next take (which is exact) says how much longer
        wait = 0.0
        for window, (count, _) in budget.limits.items():
            seconds = budget.span(window)
            used, age = self._window_state(budget, seconds)
            if used >= count:
                wait = max(wait, seconds if count <= 0 or age < 0 else max(0.0, seconds - age))
        return wait

    def _window_state(self, budget: "Budget", seconds: float) -> tuple[int, float]:
        used, age = self._call(self._window, [PREFIX + budget.name], [repr(float(seconds))])
        return int(used), float(age)

    def until_renewed(self, budget: "Budget", window: str, now: float) -> float | None:
        seconds = budget.span(window)
        used, age = self._window_state(budget, seconds)
        return None if age < 0 else max(0.0, seconds - age)

    def used(self, budget: "Budget", window: str, now: float) -> int:
        return self._window_state(budget, budget.span(window))[0]

    def clear(self) -> None:
        try:
            for key in self._client.scan_iter(match=PREFIX + "*"):
                self._client.delete(key)
        except self._redis.RedisError as exc:
            raise StoreError(f"the shared limits store (Redis) failed: {exc}") from None
