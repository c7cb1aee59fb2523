"""A local emulator of the Xero Accounting API that the unmodified ``xero-python`` SDK talks to over HTTP.

::

    emu = XeroEmulator(seed="empty", limits=None)     # limits: {"minute": 60, "day": 5000} by default
    server = ThreadedServer(emu.app).start()          # server.url serves the API and the identity endpoints

One base URL serves (see docs/sandbox-xero.md):

- ``POST /connect/token`` (client_credentials, authorization_code, refresh_token), ``POST /connect/revocation``,
  ``GET /identity/connect/authorize`` (consents at once and redirects with ``code`` and ``state``),
  ``GET /connections`` (any case);
- ``/api.xro/2.0/...``: Contacts, Items, Accounts, TrackingCategories (+Options), TaxRates, PurchaseOrders,
  Invoices, Payments, Organisation (:mod:`recon.sandbox.xero_api`);
- the admin surface ``/_sandbox/reset|load|dump|stats|faults|organisation`` (``organisation``: set or clear the
  lock dates).

Rate limits, faults and statistics come from :class:`recon.sandbox.admin.SandboxMiddleware`, keyed by the
tenant the bearer token reaches. ``Idempotency-Key`` replays are handled here, in front of the API.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from recon.limits import XERO_LIMITS, calls
from recon.sandbox.admin import Faults, RateLimiter, SandboxMiddleware, Stats, Window, paused_gc
from recon.sandbox.xero_api import JSON, BadRequest, Reply, Request, error_reply, handle, not_found
from recon.sandbox.xero_auth import Identity, TokenError
from recon.sandbox.xero_rules import DEFAULT_ORGANISATION
from recon.sandbox.xero_store import Store
from recon.sandbox.xero_wire import dumps, loads, render

log = logging.getLogger(__name__)

DEFAULT_LIMITS = calls(XERO_LIMITS)
APP_MINUTE_LIMIT = 10_000
IDEMPOTENCY_SECONDS = 360
SEEDS = ("empty", "demo")


@dataclass
class _Cached:
    fingerprint: str
    reply: Reply
    at: float


class XeroEmulator:
    """The Xero organisation, identity service and HTTP app of the sandbox.

    ``seed`` is ``"empty"`` (just the organisation) or ``"demo"`` (``recon.sandbox.demo.xero_seed()``);
    ``limits`` overrides the per-tenant ``minute``/``day`` limits; ``clock`` (epoch seconds) drives token
    expiry, timestamps, idempotency and rate limits.
    """

    def __init__(self, seed: str = "empty", limits: dict[str, int] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.store = Store(clock)
        self.identity = Identity(clock)
        self.limiter = RateLimiter([Window(name, seconds, count) for name, (count, seconds) in XERO_LIMITS.items()],
                                   clock=clock)
        if limits:
            self.limiter.set_limits(limits)
        self.stats, self.faults = Stats(), Faults()
        self._idempotency: dict[str, _Cached] = {}
        methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
        inner = Starlette(routes=[Route("/{path:path}", self._handle, methods=methods)])
        self.app = SandboxMiddleware(inner, limiter=self.limiter, key_of=self._key_of, limited=self._limited,
                                     remaining_headers=self._remaining, stats=self.stats, faults=self.faults,
                                     server_error=b"API unavailable")
        self.reset(seed)

    # ------------------------------------------------------------ state
    def reset(self, seed: str = "empty") -> None:
        """Start over with ``seed``; also forgets idempotency keys, rate-limit counts and statistics."""
        if seed not in SEEDS:
            raise ValueError(f"unknown seed {seed!r}; use one of {', '.join(SEEDS)}")
        payload = None
        if seed == "demo":
            try:
                from recon.sandbox.demo import xero_seed
            except ImportError as exc:
                raise RuntimeError("the demo seed needs recon.sandbox.demo.xero_seed, which is not installed "
                                   "(it comes from the demo branch)") from exc
            payload = xero_seed()
        with self.store.lock:
            self.store.clear()
            self.store.load({"Organisations": [DEFAULT_ORGANISATION]} if not payload or not (
                payload.get("Organisations") or payload.get("Organisation")) else {})
            if payload:
                self.store.load(payload)
            self._idempotency.clear()
        self.limiter.reset()
        self.stats.reset()

    def load(self, payload: dict[str, Any]) -> dict[str, int]:
        """Add records in the shapes a GET returns (all or nothing); returns a count per kind."""
        with self.store.lock, paused_gc():
            return self.store.load(payload)

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Everything (archived and deleted included, documents with lines, unit amounts at 4 dp) as GETs
        render it: dates as ``/Date()/`` text, amounts as ``Decimal``. ``load(dump())`` gives the same state."""
        with self.store.lock:
            return self.store.dump()

    # ------------------------------------------------------------ middleware hooks
    def _key_of(self, scope: dict[str, Any]) -> str | None:
        path = scope["path"].lower()
        if not (path.startswith("/api.xro/") or path.startswith("/connections")):
            return None
        auth = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"authorization"), None)
        return self.identity.tenant_of(auth)

    def _remaining(self, remaining: dict[str, int]) -> list[tuple[str, str]]:
        used = self.limiter.limits()["minute"] - remaining["minute"]
        return [("X-MinLimit-Remaining", str(remaining["minute"])), ("X-DayLimit-Remaining", str(remaining["day"])),
                ("X-AppMinLimit-Remaining", str(max(0, APP_MINUTE_LIMIT - used)))]

    def _limited(self, problem: str, wait: float, remaining: dict[str, int]) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = [("Retry-After", str(max(1, math.ceil(wait)))), ("X-Rate-Limit-Problem", problem),
                   ("Content-Type", JSON)] + self._remaining(remaining)
        body = {"Title": "Too Many Requests", "Status": 429,
                "Detail": f"You have exceeded the per {problem} rate limit"}
        return 429, headers, json.dumps(body).encode()

    # ------------------------------------------------------------ HTTP
    async def _handle(self, request: HttpRequest) -> Response:
        try:
            body = await request.body()
            segments = [s for s in request.url.path.split("/") if s]
            low = [s.lower() for s in segments]
            if low[:1] == ["_sandbox"]:
                return self._admin(request.method, low[1:], body)
            if low in (["connect", "token"], ["connect", "revocation"]):
                return self._token(low[1], request, body)
            if low in (["identity", "connect", "authorize"], ["connect", "authorize"]):
                return self._authorize(request)
            if low[:1] == ["connections"]:
                return self._connections(request, low[1:])
            if low[:2] == ["api.xro", "2.0"]:
                return self._api(request, segments[2:], body)
            return _response(not_found())
        except Exception:  # a bug, not bad input: say so plainly rather than hang up
            log.exception("xero emulator failed on %s %s", request.method, request.url.path)
            return Response(b"Internal Server Error", status_code=500, media_type="text/plain")

    def _unauthorised(self, detail: str) -> Response:
        body = json.dumps({"Type": None, "Title": "Unauthorized", "Status": 401, "Detail": detail})
        return Response(body, 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}, media_type=JSON)

    def _api(self, request: HttpRequest, segments: list[str], body: bytes) -> Response:
        refused = self.identity.check_bearer(request.headers.get("authorization"))
        if refused is not None:
            return self._unauthorised(refused[1])
        tenant = request.headers.get("xero-tenant-id")
        if tenant not in (None, "", self.identity.tenant_id):
            body403 = json.dumps({"Type": None, "Title": "Forbidden", "Status": 403, "Detail": "AuthenticationUnsuccessful"})
            return Response(body403, 403, media_type=JSON)
        req = Request(request.method, segments, {k.lower(): v for k, v in request.query_params.items()},
                      {k.lower(): v for k, v in request.headers.items()}, body)
        key = req.headers.get("idempotency-key")
        if key is None or req.method not in ("PUT", "POST", "PATCH", "DELETE"):
            with self.store.lock:
                return _response(handle(self.store, req))
        if not key.strip() or len(key) > 128:
            return _response(error_reply(BadRequest("The Idempotency-Key header must be 1 to 128 characters long")))
        fingerprint = hashlib.sha256(b"\n".join([req.method.encode(), request.url.path.encode(),
                                                 request.url.query.encode(), body])).hexdigest()
        with self.store.lock:
            now = self.clock()
            for stale in [k for k, c in self._idempotency.items() if c.at <= now - IDEMPOTENCY_SECONDS]:
                del self._idempotency[stale]
            cached = self._idempotency.get(key)
            if cached is not None:
                if cached.fingerprint != fingerprint:
                            return _response(error_reply(BadRequest(
                        f"Idempotency Key {key} is used with a different request")))
                return _response(cached.reply, replayed=True)
            reply = handle(self.store, req)
            self._idempotency[key] = _Cached(fingerprint, reply, now)
            return _response(reply)

    def _token(self, which: str, request: HttpRequest, body: bytes) -> Response:
        if request.method != "POST":
            return Response(b"", 405)
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        try:
            if which == "revocation":
                self.identity.revoke(form, request.headers.get("authorization"))
                return Response(b"", 200)
            reply = self.identity.token(form, request.headers.get("authorization"))
        except TokenError as exc:
            return Response(json.dumps({"error": exc.code}), exc.status, media_type=JSON)
        return Response(json.dumps(reply), 200, {"Cache-Control": "no-store"}, media_type=JSON)

    def _authorize(self, request: HttpRequest) -> Response:
        try:
            target = self.identity.authorize(dict(request.query_params))
        except TokenError as exc:
            return Response(json.dumps({"error": exc.code}), 400, media_type=JSON)
        return RedirectResponse(target, status_code=302)

    def _connections(self, request: HttpRequest, rest: list[str]) -> Response:
        refused = self.identity.check_bearer(request.headers.get("authorization"))
        if refused is not None:
            return self._unauthorised(refused[1])
        if request.method == "GET" and not rest:
            return Response(json.dumps(self.identity.connections()), 200, media_type=JSON)
        if request.method == "DELETE" and len(rest) == 1:
            return Response(b"", 204)
        return _response(not_found())

    def _admin(self, method: str, rest: list[str], body: bytes) -> Response:
        name = rest[0] if len(rest) == 1 else ""
        try:
            data = json.loads(body) if body.strip() else {}
        except ValueError as exc:
            return _admin_error(f"body is not JSON: {exc}")
        try:
            if name == "reset" and method == "POST":
                self.reset((data or {}).get("seed", "empty"))
                return Response(json.dumps({"seed": (data or {}).get("seed", "empty")}), media_type=JSON)
            if name == "load" and method == "POST":  # amounts exactly as sent: parsed as Decimal
                return Response(json.dumps({"loaded": self.load(loads(body))}), media_type=JSON)
            if name == "dump" and method == "GET":
                with self.store.lock:
                    return Response(_json(self.store.dump()), media_type=JSON)
            if name == "organisation" and method == "POST":  # lock dates, as an adviser sets them in Xero
                from recon.sandbox.xero_rules import set_lock_dates

                with self.store.lock:
                    return Response(_json(render(set_lock_dates(self.store, data or {}))), media_type=JSON)
            if name == "stats" and method == "GET":
                return Response(json.dumps(self.stats.snapshot()), media_type=JSON)
            if name == "faults" and method == "GET":
                return Response(json.dumps(self.app.describe()), media_type=JSON)
            if name == "faults" and method == "POST":
                return Response(json.dumps(self.app.configure(data or {})), media_type=JSON)
        except (ValueError, TypeError, RuntimeError) as exc:
            return _admin_error(str(exc))
        return _response(not_found())


def _admin_error(message: str) -> Response:
    return Response(json.dumps({"error": message}), 400, media_type=JSON)


def _json(value: Any) -> bytes:
    return dumps(value)


def _response(reply: Reply, replayed: bool = False) -> Response:
    headers = dict(reply.headers)
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    if reply.status == 204:
        return Response(status_code=204, headers=headers)
    return Response(reply.body, reply.status, headers, media_type=reply.media_type or None)
