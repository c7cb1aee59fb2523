"""The ``/api.xro/2.0/`` resources of the Xero emulator: lists with paging and filters, gets, writes, deletes.

:func:`handle` takes the parsed request and returns a :class:`Reply`; it never raises for bad input (bad
JSON, GUIDs, dates, numbers, query parameters are 400s in Xero's shapes, unknown records 404s).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from recon.sandbox.xero_rules import TrackingOptions
from recon.sandbox.xero_store import HANDLERS, HISTORY_KINDS, ID_FIELD, Context, Invalid, Record, Result, Store
from recon.sandbox.xero_where import WhereError, order_terms, sort_records, where
from recon.sandbox.xero_wire import (
    ZERO_GUID, dumps, is_guid, loads, norm_guid, parse_bool, parse_date, parse_http_date, parse_record, render,
    render_timestamp,
)
import recon.sandbox.xero_docs  # noqa: F401  (registers the document handlers)
import recon.sandbox.xero_payments  # noqa: F401

RESOURCES = {
    "contacts": "Contacts", "items": "Items", "accounts": "Accounts", "trackingcategories": "TrackingCategories",
    "taxrates": "TaxRates", "purchaseorders": "PurchaseOrders", "invoices": "Invoices", "payments": "Payments",
    "organisation": "Organisations", "organisations": "Organisations",
}
PAGED = {"Contacts", "PurchaseOrders", "Invoices", "Payments"}
NO_MODIFIED_SINCE = {"TrackingCategories", "TaxRates", "Organisations"}
DEFAULT_ORDER = {"Contacts": "Name", "Items": "Code", "Accounts": "Code", "TrackingCategories": "Name",
                 "TaxRates": "Name", "PurchaseOrders": "UpdatedDateUTC", "Invoices": "UpdatedDateUTC",
                 "Payments": "UpdatedDateUTC", "Organisations": "Name"}
#: A dotted path in where/order other than an id of a referenced record (or a string method).
_NESTED = re.compile(r"\.(?!(?:\w*ID|Contains|StartsWith|EndsWith)\b)[A-Za-z_]")
NOT_FOUND = b"The resource you're looking for cannot be found"
JSON = "application/json; charset=utf-8"


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = JSON


class BadRequest(Exception):
    """A request Xero would refuse as a whole (400), with its error type."""

    def __init__(self, message: str, error_type: str = "ValidationException", number: int = 10) -> None:
        super().__init__(message)
        self.message, self.error_type, self.number = message, error_type, number


def error_reply(exc: BadRequest) -> Reply:
    # The message also sits in Elements[0] so the SDK's exception ``.reason`` carries it.
    body = {"ErrorNumber": exc.number, "Type": exc.error_type, "Message": exc.message,
            "Elements": [{"ValidationErrors": [{"Message": exc.message}]}]}
    return Reply(400, dumps(body))


def not_found() -> Reply:
    return Reply(404, NOT_FOUND, media_type="text/plain; charset=utf-8")


def envelope(store: Store, key: str, items: list[Any], pagination: dict[str, int] | None = None) -> bytes:
    out: dict[str, Any] = {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": "recon sandbox",
                           "DateTimeUTC": render_timestamp(store.now()).replace("+0000", "")}
    if pagination is not None:
        out["pagination"] = pagination
    out[key] = items
    return dumps(out)


@dataclass
class Request:
    method: str
    segments: list[str]           # after /api.xro/2.0, original case
    query: dict[str, str]         # lower-cased names
    headers: dict[str, str]       # lower-cased names
    body: bytes


def _int(query: dict[str, str], name: str, default: int | None = None) -> int | None:
    if name not in query or query[name] == "":
        return default
    try:
        return int(query[name])
    except ValueError:
        raise BadRequest(f"The query parameter {name} must be a whole number, not {query[name]!r}") from None


def _bool(query: dict[str, str], name: str) -> bool:
    try:
        return parse_bool(query[name]) if query.get(name) else False
    except ValueError:
        raise BadRequest(f"The query parameter {name} must be true or false, not {query[name]!r}") from None


def _dp(kind: str, ctx: Context) -> int:
    """Unit decimals of a reply: purchase orders keep 4 natively (they take no unitdp), others per request."""
    return 4 if kind == "PurchaseOrders" else ctx.unitdp


def context(req: Request) -> Context:
    unitdp = _int(req.query, "unitdp", 2)
    return Context(unitdp=4 if unitdp == 4 else 2, include_archived=_bool(req.query, "includearchived"),
                   paged="page" in req.query, summary_only=_bool(req.query, "summaryonly"),
                   user=req.headers.get("x-sandbox-user", "").strip())


def handle(store: Store, req: Request) -> Reply:
    """Route one API request (the caller has checked the token and holds ``store.lock``)."""
    try:
        if not req.segments or req.segments[0].lower() not in RESOURCES:
            return not_found()
        kind = RESOURCES[req.segments[0].lower()]
        rest = req.segments[1:]
        ctx = context(req)
        if kind == "TrackingCategories" and len(rest) >= 2 and rest[1].lower() == "options":
            return _options(store, req, rest, ctx)
        if len(rest) == 2 and rest[1].lower() == "history" and kind in HISTORY_KINDS and req.method == "GET":
            return _history(store, kind, rest[0])
        if len(rest) > 1:
            return not_found()
        key = rest[0] if rest else None
        if req.method == "GET":
            return _get(store, kind, key, req, ctx) if key else _list(store, kind, req, ctx)
        if req.method == "DELETE" and key:
            return _delete(store, kind, key)
        if req.method in ("PUT", "POST") and kind != "Organisations":
            return _write(store, kind, key, req, ctx)
        return Reply(405, b"The method is not allowed for this resource", media_type="text/plain; charset=utf-8")
    except BadRequest as exc:
        return error_reply(exc)


# ---------------------------------------------------------------- reads

def _get(store: Store, kind: str, key: str, req: Request, ctx: Context) -> Reply:
    handler = HANDLERS[kind]
    record = handler.lookup(store, norm_guid(key) if is_guid(key) else key)
    if record is None:
        return not_found()
    ctx.paged = True  # a GET by id always carries the lines
    return Reply(200, envelope(store, kind, [render(handler.view(store, record, ctx), _dp(kind, ctx))]))


def _history(store: Store, kind: str, key: str) -> Reply:
    """``GET /Invoices/{id}/History``: the document's history, newest first, as Xero lists it."""
    record = HANDLERS[kind].lookup(store, norm_guid(key) if is_guid(key) else key)
    if record is None:
        return not_found()
    lines = [render(h) for h in reversed(store.history.get(record[ID_FIELD[kind]], []))]
    return Reply(200, envelope(store, "HistoryRecords", lines))


def _list(store: Store, kind: str, req: Request, ctx: Context) -> Reply:
    handler, q = HANDLERS[kind], req.query
    records = [r for r in store.all(kind) if handler.visible(r, ctx)]
    if kind not in NO_MODIFIED_SINCE and req.headers.get("if-modified-since"):
        try:
            since = parse_http_date(req.headers["if-modified-since"])
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        records = [r for r in records if r.get("UpdatedDateUTC") and r["UpdatedDateUTC"] > since]
    records = _filters(kind, records, q)
    clause = q.get("where", "") if kind != "PurchaseOrders" else ""
    full = Context(ctx.unitdp, ctx.include_archived, True)
    # Filter and sort the stored records unless the query reaches into what only the view has (e.g.
    # Contact.Name on an invoice); then build views of just the page being returned.
    views = records if not _NESTED.search(clause + " " + q.get("order", "")) else [
        {**handler.view(store, r, full), "_view": True} for r in records]
    try:
        if clause:
            predicate = where(clause)
            views = [v for v in views if predicate(v)]
        terms = order_terms(q["order"]) if q.get("order") else order_terms(DEFAULT_ORDER[kind])
        views = sort_records(views, terms + [([ID_FIELD[kind]], False)])
    except WhereError as exc:
        raise BadRequest(str(exc), "QueryParseException", 16) from None
    pagination = None
    if kind in PAGED:
        total = len(views)
        if ctx.paged:
            page = _int(q, "page", 1) or 1
            size = min(max(_int(q, "pagesize", 100) or 100, 1), 1000)
            if page < 1:
                raise BadRequest("The page parameter must be 1 or more")
            views = views[(page - 1) * size: page * size]
            pagination = {"page": page, "pageSize": size, "pageCount": -(-total // size), "itemCount": total}
        else:
            pagination = {"page": 1, "pageSize": total, "pageCount": 1 if total else 0, "itemCount": total}
    views = [v if v.get("_view") else handler.view(store, v, full) for v in views]
    if kind in ("Invoices", "Contacts") and (not ctx.paged or ctx.summary_only):
        for view in views:
            view.pop("LineItems", None)
            if ctx.summary_only:
                view.pop("Payments", None)
    return Reply(200, envelope(store, kind, [render(v, _dp(kind, ctx)) for v in views], pagination))


def _csv(q: dict[str, str], name: str) -> list[str] | None:
    if not q.get(name):
        return None
    return [part.strip() for part in q[name].split(",") if part.strip()]


def _guids(q: dict[str, str], name: str) -> set[str] | None:
    values = _csv(q, name)
    if values is None:
        return None
    bad = [v for v in values if not is_guid(v)]
    if bad:
        raise BadRequest(f"{name}: {bad[0]!r} is not a valid GUID")
    return {str(uuid.UUID(v)) for v in values}


def _filters(kind: str, records: list[Record], q: dict[str, str]) -> list[Record]:
    ids = _guids(q, "ids")
    if ids is not None and kind in ("Contacts", "Invoices"):
        records = [r for r in records if r[ID_FIELD[kind]] in ids]
    if kind == "Invoices":
        statuses = _csv(q, "statuses")
        if statuses is not None:
            wanted = {s.upper() for s in statuses}
            records = [r for r in records if r.get("Status") in wanted]
        contacts = _guids(q, "contactids")
        if contacts is not None:
            records = [r for r in records if r["Contact"]["ContactID"] in contacts]
        numbers = _csv(q, "invoicenumbers")
        if numbers is not None:
            wanted = {n.lower() for n in numbers}
            records = [r for r in records if str(r.get("InvoiceNumber", "")).lower() in wanted]
    if kind == "PurchaseOrders":
        if q.get("status"):
            records = [r for r in records if r.get("Status") == q["status"].upper()]
        for name, keep in (("datefrom", lambda d, b: d >= b), ("dateto", lambda d, b: d <= b)):
            if q.get(name):
                try:
                    bound = parse_date(q[name])
                except ValueError as exc:
                    raise BadRequest(f"{name}: {exc}") from None
                records = [r for r in records if r.get("Date") and keep(r["Date"], bound)]
    term = (q.get("searchterm") or "").lower()
    if term:
        fields = {"Contacts": ("Name", "FirstName", "LastName", "ContactNumber", "CompanyNumber", "EmailAddress"),
                  "Invoices": ("InvoiceNumber", "Reference")}.get(kind, ())
        records = [r for r in records if any(term in str(r.get(f, "")).lower() for f in fields)]
    return records


# ---------------------------------------------------------------- writes

def _elements(kind: str, body: bytes, key: str = "") -> list[Any]:
    try:
        payload = loads(body) if body.strip() else None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}", "PostDataInvalidException", 14) from None
    if isinstance(payload, dict):
        for name, value in payload.items():
            if name.lower() == (key or kind).lower():
                if isinstance(value, dict):
                    return [value]
                if isinstance(value, list) and value:
                    return value
                raise BadRequest(f"{name} must be a non-empty list", "PostDataInvalidException", 14)
        return [payload]  # single-object bodies (PUT /Accounts, POST /Payments, PUT /TrackingCategories, ...)
    raise BadRequest(f"The request body must be a JSON object holding {key or kind}", "PostDataInvalidException", 14)


def _write(store: Store, kind: str, key: str | None, req: Request, ctx: Context) -> Reply:
    handler = HANDLERS[kind]
    existing = None
    if key is not None:
        existing = handler.lookup(store, norm_guid(key) if is_guid(key) else key)
        if existing is None:
            return not_found()
    elements = _elements(kind, req.body)
    if key is not None:
        elements = elements[:1]
    ctx.paged = True  # a write answers with the lines
    mode = "update" if key is not None else ("create" if req.method == "PUT" else "upsert")
    results = store.write(kind, elements, mode, ctx, existing)
    return _results(store, kind, results, _bool_default(req.query, "summarizeerrors", True), ctx)


def _bool_default(q: dict[str, str], name: str, default: bool) -> bool:
    return _bool(q, name) if q.get(name) else default


def _results(store: Store, kind: str, results: list[Any], summarize: bool, ctx: Context, key: str = "") -> Reply:
    if summarize and any(not r.ok for r in results):
        body = {"ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred",
                "Elements": [render(r.record, _dp(kind, ctx)) for r in results if not r.ok]}
        return Reply(400, dumps(body))
    return Reply(200, envelope(store, key or kind, [render(r.record, _dp(kind, ctx)) for r in results]))


def _delete(store: Store, kind: str, key: str) -> Reply:
    handler = HANDLERS[kind]
    record = handler.lookup(store, norm_guid(key) if is_guid(key) else key)
    if record is None:
        return not_found()
    if kind == "Items":
        if any(line.get("ItemCode") == record["Code"] and doc.get("Status") not in ("DELETED", "VOIDED")
               for k in ("Invoices", "PurchaseOrders") for doc in store.all(k) for line in doc.get("LineItems", [])):
            raise BadRequest(f"Item {record['Code']} cannot be deleted as it is used on transactions.")
        store.remove(kind, record["ItemID"])
        return Reply(204, b"", media_type="")
    if kind == "Accounts":
        if any(line.get("AccountID") == record["AccountID"] for k in ("Invoices", "PurchaseOrders")
               for doc in store.all(k) for line in doc.get("LineItems", [])) or any(
               p["Account"]["AccountID"] == record["AccountID"] for p in store.all("Payments")):
            raise BadRequest("This account cannot be deleted as it has transactions. Archive it instead.")
        store.remove(kind, record["AccountID"])
        return Reply(200, envelope(store, kind, [render({**record, "Status": "DELETED"})]))
    if kind == "TrackingCategories":
        store.remove(kind, record["TrackingCategoryID"])
        return Reply(200, envelope(store, kind, [render({**record, "Status": "DELETED"})]))
    return Reply(405, b"The method is not allowed for this resource", media_type="text/plain; charset=utf-8")


def _options(store: Store, req: Request, rest: list[str], ctx: Context) -> Reply:
    """``/TrackingCategories/{id}/Options[/{optionId}]``: PUT creates, POST updates, DELETE deletes."""
    category = store.get("TrackingCategories", rest[0].lower())
    if category is None or len(rest) > 3:
        return not_found()
    option_id = rest[2].lower() if len(rest) == 3 else None
    options = category.setdefault("Options", [])
    current = next((o for o in options if o["TrackingOptionID"] == option_id), None) if option_id else None
    if option_id and current is None:
        return not_found()
    if req.method == "DELETE" and current is not None:
        options.remove(current)
        return Reply(200, envelope(store, "Options", [render({**current, "Status": "DELETED"})]))
    if (req.method == "PUT" and option_id is None) or (req.method == "POST" and current is not None):
        results = []
        for raw in _elements("Options", req.body, "Options"):
            errors: list[str] = []
            data = parse_record("Options", raw, errors)
            try:
                if errors:
                    raise Invalid(*errors)
                option = TrackingOptions.upsert(store, category, data, option_id)
                results.append(Result(True, {**option, "StatusAttributeString": "OK"}))
            except Invalid as exc:
                results.append(Result(False, {**data, "TrackingOptionID": option_id or ZERO_GUID,
                                               "ValidationErrors": [{"Message": m} for m in exc.messages],
                                               "StatusAttributeString": "ERROR"}))
        return _results(store, "TrackingCategories", results, _bool_default(req.query, "summarizeerrors", True), ctx,
                        key="Options")
    return Reply(405, b"The method is not allowed for this resource", media_type="text/plain; charset=utf-8")
