"""The Precoro API routes of the emulator: master data, documents, payments and ``/company``.

Every route goes through :func:`Api.endpoint`, which checks ``X-AUTH-TOKEN`` + ``email`` (401), parses the
query and the body (bracket form or JSON) and turns :class:`~recon.sandbox.precoro_forms.Invalid` into a 400 in
Precoro's ``{"errors": {"errors": {...}}}`` shape and :class:`NotFound` into a 404, so a malformed request gets
an answer, never a 500. Handlers run under the emulator's lock, against its current :class:`State`.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, Callable

from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from recon.sandbox import precoro_docs as docs
from recon.sandbox import precoro_store as store
from recon.sandbox.precoro_forms import MAX_BODY, MAX_FIELDS, Invalid, dumps, nest, parse_body, parse_query
from recon.sandbox.precoro_lists import envelope, select
from recon.sandbox.precoro_store import FIELDS, ITEMS, OPTIONS, SUPPLIERS, TAXES, Kind, State

Handler = Callable[[Request, dict[str, Any], dict[str, Any]], Any]


class NotFound(Exception):
    """The record a path names does not exist (404)."""


async def _read_body(request: Request) -> dict[str, Any]:
    """The body as nested fields: urlencoded or JSON (:func:`parse_body`), or multipart form fields."""
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        return parse_body(content_type, await request.body())
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        raise Invalid({"body": f"Request body too large (over {MAX_BODY} bytes)."})
    try:
        form = await request.form(max_files=20, max_fields=MAX_FIELDS)
    except (MultiPartException, HTTPException, ValueError) as exc:
        reason = getattr(exc, "detail", None) or getattr(exc, "message", None) or str(exc)
        raise Invalid({"body": f"Malformed multipart body: {str(reason).rstrip('.')}."}) from None
    try:  # files (attachments) are accepted and not kept
        return nest([(k, v) for k, v in form.multi_items() if isinstance(v, str)])
    finally:
        await form.close()


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(dumps(payload), status_code=status, media_type="application/json")


def error_response(errors: dict[str, str], status: int = 400) -> Response:
    return json_response(Invalid(errors).body(), status)


class Api:
    """Routes over a state holder (the emulator): ``holder.state``, ``holder.now()``, ``holder.lock``."""

    def __init__(self, holder: Any, credentials: tuple[str, str]) -> None:
        self.holder = holder
        self.token, self.email = credentials

    @property
    def state(self) -> State:
        return self.holder.state

    @property
    def lock(self) -> threading.RLock:
        return self.holder.lock

    def endpoint(self, fn: Handler) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            if (request.headers.get("x-auth-token") != self.token
                    or request.headers.get("email", "").lower() != self.email):
                return json_response({"message": "Invalid credentials."}, 401)
            try:
                query = parse_query(request.scope.get("query_string", b""))
                body: dict[str, Any] = {}
                if request.method in ("POST", "PUT", "PATCH"):
                    body = await _read_body(request)
                with self.lock:
                    counters = dict(self.state.counters)
                    try:
                        result = fn(request, query, body)
                    except (Invalid, NotFound):
                        self.state.counters = counters  # a refused write uses up no ids
                        raise
            except Invalid as exc:
                return json_response(exc.body(), 400)
            except NotFound:
                return json_response({"message": "Not found"}, 404)
            return json_response(result)
        return handler

    # ---- helpers ---------------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.holder.now()

    def _record(self, table: str, ident: Any) -> dict[str, Any]:
        record = self.state.tables[table].get(int(ident))
        if record is None:
            raise NotFound(table)
        return record

    def _by_idn(self, kind: str, idn: Any) -> dict[str, Any]:
        ident = self.state.tables[f"{kind}.idn"].get(int(idn))
        if ident is None:
            raise NotFound(kind)
        return self.state.tables[kind][ident]

    @staticmethod
    def _url(request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}{request.url.path}"

    # ---- master data -----------------------------------------------------------------------------------

    def _master(self, kind: Kind, table: str | None = None) -> dict[str, Handler]:
        name = table or kind.name

        def listing(request: Request, query: dict[str, Any], body: dict[str, Any]) -> Any:
            rows = self.state.tables[name].values()
            if kind is OPTIONS:
                field_id = self._record("itemcustomfields", request.path_params["cf"])["id"]
                rows = [r for r in rows if r["_field"] == field_id]
            return envelope(select(rows, query, name), query, self._url(request), store.render)

        def detail(request: Request, query: dict[str, Any], body: dict[str, Any]) -> Any:
            return store.render(self._target(kind, request))

        def create(request: Request, query: dict[str, Any], body: dict[str, Any]) -> Any:
            field_id = self._record("itemcustomfields", request.path_params["cf"])["id"] if kind is OPTIONS else None
            record = store.apply_write(kind, self.state, body, None, self._now(), table=name)
            if field_id is not None:
                record["_field"] = field_id
                self._check_parent(record)
            self.state.tables[name][record["id"]] = record
            return store.render(record)

        def update(request: Request, query: dict[str, Any], body: dict[str, Any]) -> Any:
            existing = self._target(kind, request)
            record = store.apply_write(kind, self.state, body, existing, self._now(), table=name)
            if kind is OPTIONS:
                self._check_parent(record)
            self.state.tables[name][record["id"]] = record
            return store.render(record)

        def patch(request: Request, query: dict[str, Any], body: dict[str, Any]) -> Any:
            record = store.set_external_id(self._target(kind, request), body, self._now())
            self.state.tables[name][record["id"]] = record
            return store.render(record)

        return {"list": listing, "detail": detail, "create": create, "update": update, "patch": patch}

    def _target(self, kind: Kind, request: Request) -> dict[str, Any]:
        if kind is OPTIONS:
            field_id = self._record("itemcustomfields", request.path_params["cf"])["id"]
            option = self._record("options", request.path_params["id"])
            if option["_field"] != field_id:
                raise NotFound("options")
            return option
        return self._record(kind.name, request.path_params["id"])

    def _check_parent(self, option: dict[str, Any]) -> None:
        parent = option.get("parent")
        if parent is None:
            return
        other = self.state.tables["options"].get(parent["id"])
        if other is None or other["_field"] != option["_field"] or other["id"] == option["id"]:
            raise Invalid({"parent": f"Option {parent['id']} is not an option of this field."})

    # ---- documents and payments ------------------------------------------------------------------------

    def _documents(self, kind: str) -> dict[str, Handler]:
        def listing(request: Request, query: dict[str, Any], body: dict[str, Any]) -> Any:
            rows = select(self.state.tables[kind].values(), query, kind)
            return envelope(rows, query, self._url(request),
                            lambda d: docs.render_document(self.state, kind, d, detail=False))

        def detail(request: Request, query: dict[str, Any], body: dict[str, Any]) -> Any:
            doc = self._by_idn(kind, request.path_params["idn"])
            return docs.render_document(self.state, kind, doc, detail=True)

        def patch(request: Request, query: dict[str, Any], body: dict[str, Any]) -> Any:
            doc = store.set_external_id(self._by_idn(kind, request.path_params["idn"]), body, self._now())
            self.state.tables[kind][doc["id"]] = doc
            return docs.render_document(self.state, kind, doc, detail=True)

        return {"list": listing, "detail": detail, "patch": patch}

    def payments_list(self, request: Request, query: dict[str, Any], body: dict[str, Any]) -> Any:
        rows = select(self.state.tables["payments"].values(), query, "payments")
        return envelope(rows, query, self._url(request),
                        lambda p: docs.render_payment(self.state, p, with_invoice=True))

    def payment_detail(self, request: Request, query: dict[str, Any], body: dict[str, Any]) -> Any:
        return docs.render_payment(self.state, self._by_idn("payments", request.path_params["idn"]),
                                   with_invoice=True)

    def payment_create(self, request: Request, query: dict[str, Any], body: dict[str, Any]) -> Any:
        now = self._now()
        payment, invoice = docs.new_payment(self.state, body, now)
        self._store_payment(payment)
        self.state.tables["invoices"][invoice["id"]] = docs.recompute_paid(self.state, invoice, now)
        return {"id": payment["id"], "idn": payment["idn"]}

    def payment_patch(self, request: Request, query: dict[str, Any], body: dict[str, Any]) -> Any:
        """Cancel (``status=canceled``) and/or set ``externalId``; a payment is never edited otherwise."""
        payment = self._by_idn("payments", request.path_params["idn"])
        if "status" not in body and "externalId" not in body:
            raise Invalid({"status": "Send status=canceled to cancel, or externalId."})
        now = self._now()
        changed = dict(payment)
        if "externalId" in body:
            changed = store.set_external_id(changed, body, now)
        if "status" in body:
            if body["status"] != "canceled":
                raise Invalid({"status": "A payment can only be canceled (status=canceled)."})
            changed.update({"status": "canceled", "updateDate": now})
        self._store_payment(changed)
        invoice = self.state.tables["invoices"].get(changed["_invoice"])
        if invoice is not None:
            self.state.tables["invoices"][invoice["id"]] = docs.recompute_paid(self.state, invoice, now)
        return docs.render_payment(self.state, changed, with_invoice=True)

    def _store_payment(self, payment: dict[str, Any]) -> None:
        previous = self.state.tables["payments"].get(payment["id"])
        self.state.tables["payments"][payment["id"]] = payment
        self.state.tables["payments.idn"][payment["idn"]] = payment["id"]
        docs.link_payment(self.state, payment, previous)

    def company(self, request: Request, query: dict[str, Any], body: dict[str, Any]) -> Any:
        return self.state.company

    # ---- routing ---------------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        e = self.endpoint
        out = [Route("/company", e(self.company), methods=["GET"])]
        for path, kind in (("/suppliers", SUPPLIERS), ("/items", ITEMS), ("/taxes", TAXES),
                           ("/itemcustomfields", FIELDS), ("/itemcustomfields/{cf:int}/options", OPTIONS)):
            h = self._master(kind)
            out += [Route(path, e(h["list"]), methods=["GET"]), Route(path, e(h["create"]), methods=["POST"]),
                    Route(f"{path}/{{id:int}}", e(h["detail"]), methods=["GET"]),
                    Route(f"{path}/{{id:int}}", e(h["update"]), methods=["PUT"]),
                    Route(f"{path}/{{id:int}}", e(h["patch"]), methods=["PATCH"])]
        for kind in ("purchaseorders", "invoices"):
            h = self._documents(kind)
            out += [Route(f"/{kind}", e(h["list"]), methods=["GET"]),
                    Route(f"/{kind}/{{idn:int}}", e(h["detail"]), methods=["GET"]),
                    Route(f"/{kind}/{{idn:int}}", e(h["patch"]), methods=["PATCH"])]
        out += [Route("/payments", e(self.payments_list), methods=["GET"]),
                Route("/payments", e(self.payment_create), methods=["POST"]),
                Route("/payments/{idn:int}", e(self.payment_detail), methods=["GET"]),
                Route("/payments/{idn:int}", e(self.payment_patch), methods=["PATCH"])]
        return out
