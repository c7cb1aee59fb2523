"""A faithful local emulator of the Precoro REST API (``docs/sandbox-precoro.md``, ``docs/precoro-wire.md``).

::

    emu = PrecoroEmulator(seed="empty")            # or "demo"; limits and clock injectable
    with ThreadedServer(emu.app) as server:         # real HTTP on loopback
        httpx.get(f"{server.url}/suppliers", headers={"X-AUTH-TOKEN": "sandbox-token",
                                                     "email": "sandbox@example.com"})

State lives in memory (:class:`~recon.sandbox.precoro_store.State`). :meth:`PrecoroEmulator.load` takes
records in the shapes a ``GET`` returns and :meth:`PrecoroEmulator.dump` gives them back the same way; a load is
all or nothing. The admin surface under ``/_sandbox/`` (reset, load, dump, stats, faults) needs no credentials
and is never rate limited.
"""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

import httpx

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from recon.config import SANDBOX_PRECORO_EMAIL, SANDBOX_PRECORO_TOKEN
from recon.errors import ConfigError, DataError
from recon.limits import PRECORO_LIMITS, calls
from recon.money import Precision
from recon.sandbox import precoro_docs as docs
from recon.sandbox import precoro_store as store
from recon.sandbox.admin import Faults, RateLimiter, SandboxMiddleware, Window, paused_gc
from recon.sandbox.precoro_api import Api, error_response, json_response
from recon.sandbox.precoro_forms import Invalid, parse_body, plain
from recon.sandbox.precoro_store import FIELDS, ITEMS, OPTIONS, SUPPLIERS, TAXES, State
from recon.sandbox.server import ThreadedServer

DEFAULT_LIMITS = calls(PRECORO_LIMITS)
LIMITER_NAMES = {"minute": "Minute limiter", "hour": "Hourly limiter", "day": "Daily limiter"}
SEEDS = ("empty", "demo")
#: The headers a client sends to the sandbox (fixed, public credentials; DESIGN.md section 4).
AUTH_HEADERS = {"X-AUTH-TOKEN": SANDBOX_PRECORO_TOKEN, "email": SANDBOX_PRECORO_EMAIL}
PAYLOAD_KEYS = ("company", "suppliers", "items", "taxes", "itemcustomfields", "purchaseorders", "invoices",
                "payments")


class PrecoroEmulator:
    """The Precoro API in memory, as an ASGI app (:attr:`app`) wrapped in the shared sandbox plumbing."""

    def __init__(self, seed: str = "empty", limits: dict[str, int] | None = None,
                 clock: Callable[[], float] = time.time,
                 credentials: tuple[str, str] = (SANDBOX_PRECORO_TOKEN, SANDBOX_PRECORO_EMAIL)) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.state = State.empty()
        self.limiter = RateLimiter([Window(name, seconds, count) for name, (count, seconds) in PRECORO_LIMITS.items()],
                                   clock=clock)
        if limits:
            self.limiter.set_limits(limits)
        api = Api(self, credentials)
        admin = [Route("/_sandbox/reset", self._reset, methods=["POST"]),
                 Route("/_sandbox/load", self._load, methods=["POST"]),
                 Route("/_sandbox/dump", self._dump, methods=["GET"]),
                 Route("/_sandbox/stats", self._stats, methods=["GET"]),
                 Route("/_sandbox/faults", self._faults, methods=["GET", "POST"])]
        inner = Starlette(routes=api.routes() + admin,
                          exception_handlers={HTTPException: _http_error, Exception: _server_error})
        self.middleware = SandboxMiddleware(inner, limiter=self.limiter, key_of=self._key_of,
                                            limited=self._limited,
                                            server_error=b'{"message": "Internal Server Error"}')
        self.app = self.middleware
        self.reset(seed)

    # ---- public API ------------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The emulator's clock as an aware UTC datetime (to the second, as Precoro prints it)."""
        return datetime.fromtimestamp(self.clock(), timezone.utc).replace(microsecond=0)

    def reset(self, seed: str = "empty") -> None:
        """Empty the store, clear rate-limit counters, statistics and faults (limits stay), then load ``seed``."""
        if seed not in SEEDS:
            raise ConfigError(f"unknown Precoro sandbox seed {seed!r}; use one of {', '.join(SEEDS)}")
        payload = _demo_payload() if seed == "demo" else None
        with self.lock:
            self.state = State.empty()
            self.limiter.reset()
            self.middleware.stats.reset()
            self.middleware.faults.update(_NO_FAULTS)
            if payload is not None:
                self.load(payload)

    def load(self, payload: dict[str, Any]) -> dict[str, int]:
        """Add or replace records given in their ``GET`` shapes; all or nothing. Returns counts per kind.

        Raises :class:`~recon.errors.DataError` naming the kind, the record and the field of the first bad
        value (for a document, also a stated amount that its lines do not add up to).
        """
        if not isinstance(payload, dict):
            raise DataError("the payload should be an object", system="precoro")
        unknown = set(payload) - set(PAYLOAD_KEYS)
        if unknown:
            raise DataError(f"unknown kinds {sorted(unknown)}; known: {', '.join(PAYLOAD_KEYS)}", system="precoro")
        with self.lock, store.shared_conversions(), paused_gc():
            staged = self.state.copy()
            counts = _load_into(staged, payload)
            self.state = staged
        return counts

    def dump(self) -> dict[str, Any]:
        """Everything (disabled records included) in the shapes a ``GET`` returns; documents in detail."""
        with self.lock:
            s = self.state
            tables = s.tables
            out = {
                "company": s.company,
                "suppliers": [store.render(r) for _, r in sorted(tables["suppliers"].items())],
                "items": [store.render(r) for _, r in sorted(tables["items"].items())],
                "taxes": [store.render(r) for _, r in sorted(tables["taxes"].items())],
                "itemcustomfields": [{**store.render(cf), "options": [
                    store.render(o) for _, o in sorted(tables["options"].items()) if o["_field"] == cf["id"]]}
                    for _, cf in sorted(tables["itemcustomfields"].items())],
                "purchaseorders": [docs.render_document(s, "purchaseorders", d, detail=True)
                                   for _, d in sorted(tables["purchaseorders"].items())],
                "invoices": [docs.render_document(s, "invoices", d, detail=True)
                             for _, d in sorted(tables["invoices"].items())],
                "payments": [docs.render_payment(s, p, with_invoice=True)
                             for _, p in sorted(tables["payments"].items())],
            }
            return plain(out)

    # ---- plumbing --------------------------------------------------------------------------------------

    @staticmethod
    def _key_of(scope: dict[str, Any]) -> str | None:
        for name, value in scope.get("headers", []):
            if name == b"x-auth-token":
                return value.decode("latin-1")
        return None

    def _limited(self, problem: str, wait: float, remaining: dict[str, int]) -> tuple[int, list[tuple[str, str]], bytes]:
        retry_at = datetime.fromtimestamp(self.clock() + wait, timezone.utc)
        body = {"RateLimit-Type": LIMITER_NAMES.get(problem, "Minute limiter"),
                "RateLimit-Retry-After": retry_at.strftime("%Y-%m-%d %H:%M:%S UTC")}
        return 429, [("content-type", "application/json")], json.dumps(body).encode()

    async def _reset(self, request: Request) -> Response:
        try:
            body = parse_body(request.headers.get("content-type", "application/json"), await request.body())
            seed = body.get("seed", "empty")
            if seed not in SEEDS:
                raise Invalid({"seed": f"Unknown seed; use one of {', '.join(SEEDS)}."})
            self.reset(seed)
        except Invalid as exc:
            return json_response(exc.body(), 400)
        except ConfigError as exc:
            return error_response({"seed": str(exc)})
        return json_response({"seed": seed, "counts": self._counts()})

    async def _load(self, request: Request) -> Response:
        try:
            body = parse_body("application/json", await request.body(), max_body=None)
            counts = self.load(body)
        except Invalid as exc:
            return json_response(exc.body(), 400)
        except DataError as exc:
            return error_response({exc.field or "payload": str(exc)})
        return json_response({"loaded": counts, "counts": self._counts()})

    async def _dump(self, request: Request) -> Response:
        return json_response(self.dump())

    async def _stats(self, request: Request) -> Response:
        return json_response(self.middleware.stats.snapshot())

    async def _faults(self, request: Request) -> Response:
        if request.method == "GET":
            return json_response(self.middleware.describe())
        try:
            body = parse_body("application/json", await request.body())
            return json_response(self.middleware.configure(body))
        except Invalid as exc:
            return json_response(exc.body(), 400)
        except (ValueError, TypeError) as exc:
            return error_response({"faults": str(exc)})

    def _counts(self) -> dict[str, int]:
        with self.lock:
            return {k: len(self.state.tables[k]) for k in PAYLOAD_KEYS[1:] + ("options",)}


_NO_FAULTS = {f.name: getattr(Faults(), f.name) for f in fields(Faults) if f.name != "injected"}


class ManualClock:
    """A clock moved by hand (``clock.now += 60``), for rate-limit windows and ``updateDate`` in tests."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@contextmanager
def running(emulator: PrecoroEmulator) -> Iterator[httpx.Client]:
    """Serve ``emulator`` on a free loopback port and yield an httpx client with the sandbox credentials."""
    with ThreadedServer(emulator.app) as server, httpx.Client(base_url=server.url, headers=AUTH_HEADERS) as client:
        yield client


def _demo_payload() -> dict[str, Any]:
    try:
        from recon.sandbox.demo import precoro_seed  # imported lazily: the demo data is another module's
    except ImportError as exc:
        raise ConfigError(f"the demo seed is not available ({exc}); recon.sandbox.demo.precoro_seed is "
                          "needed for seed='demo' (use seed='empty' or load your own records)") from None
    return precoro_seed()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = "Not found" if exc.status_code == 404 else exc.detail
    return json_response({"message": message}, exc.status_code)


async def _server_error(request: Request, exc: Exception) -> Response:
    return json_response({"message": "Internal Server Error"}, 500)


# ---- loading --------------------------------------------------------------------------------------------

def _fail(kind: str, record: Any, exc: Invalid) -> DataError:
    field, message = next(iter(exc.errors.items()))
    return DataError(message, system="precoro", kind=kind, record=str(record), field=field)


def _rows(payload: dict[str, Any], kind: str) -> list[Any]:
    rows = payload.get(kind) or []
    if not isinstance(rows, list):
        raise DataError("should be a list of records", system="precoro", kind=kind)
    return rows


def _label(row: Any, index: int, key: str = "id") -> str:
    return f"{key}={row[key]}" if isinstance(row, dict) and row.get(key) is not None else f"#{index}"


def _load_into(state: State, payload: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    if payload.get("company") is not None:
        state.company = _company(state, payload["company"])
    for kind in (SUPPLIERS, ITEMS, TAXES):
        rows = _rows(payload, kind.name)
        for i, row in enumerate(rows):
            try:
                record = store.normalise(kind, row, state)
            except Invalid as exc:
                raise _fail(kind.name, _label(row, i), exc) from None
            state.tables[kind.name][record["id"]] = record
        counts[kind.name] = len(rows)
        try:
            store.check_unique_all(kind, state)
        except Invalid as exc:
            raise _fail(kind.name, "", exc) from None
    fields = _rows(payload, "itemcustomfields")
    for i, row in enumerate(fields):
        try:
            options = row.get("options") or [] if isinstance(row, dict) else []
            cf = store.normalise(FIELDS, {k: v for k, v in row.items() if k != "options"}, state)
            state.tables["itemcustomfields"][cf["id"]] = cf
            for j, opt in enumerate(options):
                option = store.normalise(OPTIONS, opt, state)
                option["_field"] = cf["id"]
                state.tables["options"][option["id"]] = option
        except (Invalid, AttributeError) as exc:
            err = exc if isinstance(exc, Invalid) else Invalid({"record": "This value should be an object."})
            raise _fail("itemcustomfields", _label(row, i), err) from None
    counts["itemcustomfields"] = len(fields)
    touched: set[int] = set()
    for kind in ("purchaseorders", "invoices"):
        rows = _rows(payload, kind)
        for i, row in enumerate(rows):
            try:
                doc = docs.normalise_document(kind, row, state)
                _index(state, kind, doc)
                if kind == "invoices":
                    touched.add(doc["id"])
                    for p in (row.get("payments") or {}).get("data", []) if isinstance(row.get("payments"), dict) else []:
                        _index(state, "payments", docs.normalise_payment(p, state, doc))
            except Invalid as exc:
                raise _fail(kind, _label(row, i, "idn"), exc) from None
        counts[kind] = len(rows)
    rows = _rows(payload, "payments")
    for i, row in enumerate(rows):
        try:
            payment = docs.normalise_payment(row, state, None)
        except Invalid as exc:
            raise _fail("payments", _label(row, i, "idn"), exc) from None
        _index(state, "payments", payment)
        touched.add(payment["_invoice"])
    counts["payments"] = len(rows)
    for ident in sorted(touched):
        invoice = state.tables["invoices"][ident]
        try:
            docs.check_paid(invoice, docs.paid_sum(state, ident))
        except Invalid as exc:
            raise _fail("invoices", f"idn={invoice['idn']}", exc) from None
    return counts


def _index(state: State, kind: str, record: dict[str, Any]) -> None:
    """Store a document or payment, keeping ``idn`` unique within its kind."""
    by_idn = state.tables[f"{kind}.idn"]
    holder = by_idn.get(record["idn"])
    if holder is not None and holder != record["id"]:
        raise Invalid({"idn": f"idn {record['idn']} already belongs to {kind} id {holder}."})
    old = state.tables[kind].get(record["id"])
    if old is not None and old["idn"] != record["idn"]:
        by_idn.pop(old["idn"], None)
    state.tables[kind][record["id"]] = record
    by_idn[record["idn"]] = record["id"]
    if kind == "payments":
        docs.link_payment(state, record, old)


def _company(state: State, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise DataError("should be an object", system="precoro", kind="company")
    company = {**state.company, **data}
    try:
        precision = Precision.from_json(company.get("precisionData"))
    except (TypeError, ValueError) as exc:
        raise DataError(str(exc), system="precoro", kind="company", field="precisionData") from None
    if not all(0 <= p <= 8 for p in (precision.price, precision.quantity, precision.total)):
        raise DataError("decimals must be 0 to 8", system="precoro", kind="company", field="precisionData")
    company["precisionData"] = precision.to_json()
    return company
