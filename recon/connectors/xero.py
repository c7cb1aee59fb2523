"""The Xero connector, on the unmodified ``xero-python`` SDK.

Wiring (reference sections 3, 4, 8, 21):

* ``Configuration()`` is a pseudo-singleton whose copies share one ``OAuth2Token``: each connector builds
  one and then *assigns* a fresh ``OAuth2Token`` to it, so two connectors never share credentials.
* ``TokenApi``'s token URLs are class attributes: set from ``RECON_XERO_IDENTITY_URL``; ``AccountingApi``
  gets ``base_url = RECON_XERO_API_URL + "/api.xro/2.0"``.
* urllib3's hidden retries (which sleep ``Retry-After`` and replay PUTs) are turned off on the SDK's pool.
* Every call passes ``_request_timeout`` as a ``(connect, read)`` tuple (a float would be ignored) and
  ``_preload_content=False``: the raw reply gives the rate-limit headers and the exact JSON. Each page is
  then checked against the SDK's deserialiser (:mod:`recon.connectors.xero_check`, the same walk without
  building models); when it would fail (an unknown enum value, a bad date), the page is kept from the raw
  JSON and a warning names each record the SDK could not read.
* Tokens come from :class:`recon.connectors.tokens.XeroTokenSource` (renewed before expiry and after a 401).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from decimal import Decimal
from typing import Any, Callable, Iterator, Mapping, Sequence

import urllib3
from xero_python.accounting import AccountingApi
from xero_python.accounting import models as xm
from xero_python.api_client import ApiClient
from xero_python.api_client.configuration import Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.api_client.serializer import serialize
from xero_python.exceptions import ApiException

from recon import money, schema
from recon.config import Settings
from recon.connectors import mapping
from recon.connectors.base import Page, WriteRequest, WriteResult, canonical_bool, text
from recon.connectors.failures import TRANSPORT_TYPES, translate
from recon.connectors.pacing import Pacer, pacer_for
from recon.connectors.tokens import XeroTokenSource
from recon.connectors.xero_check import SdkReadCheck
from recon.errors import (ApiError, AuthError, ConnectionLostError, DailyLimitError, NotFoundError, RateLimitError,
                          RemoteValidationError, ServerError)

log = logging.getLogger("recon.connectors")
PAGE_SIZE = 1000
BATCH = 50
#: the most GUIDs one ``IDs`` filter carries: Xero's gateway answers 404 above about 52 (reference section 11)
IDS_PER_CALL = 50
#: kinds whose list takes the ``IDs`` filter
IDS_FILTER = frozenset({"supplier", "bill"})

#: kind -> (SDK list method, collection key, SDK collection model, SDK element model, paged)
READS: dict[str, tuple[str, str, str, str, bool]] = {
    "supplier": ("get_contacts", "Contacts", "Contacts", "Contact", True),
    "item": ("get_items", "Items", "Items", "Item", False),
    "account": ("get_accounts", "Accounts", "Accounts", "Account", False),
    "tracking_option": ("get_tracking_categories", "TrackingCategories", "TrackingCategories", "TrackingCategory", False),
    "tax_rate": ("get_tax_rates", "TaxRates", "TaxRates", "TaxRate", False),
    "purchase_order": ("get_purchase_orders", "PurchaseOrders", "PurchaseOrders", "PurchaseOrder", True),
    "bill": ("get_invoices", "Invoices", "Invoices", "Invoice", True),
    "payment": ("get_payments", "Payments", "Payments", "Payment", True),
}
#: kinds that take If-Modified-Since
MODIFIED_SINCE = {"supplier", "item", "account", "purchase_order", "bill", "payment"}
#: kinds Xero lists whole in one unpaged call: a full read costs the one request an incremental read would,
#: and only a full read shows a record deleted since (an item or account deleted, a tracking option removed)
ALWAYS_FULL = frozenset({"item", "account", "tracking_option", "tax_rate"})
ID_KEY = {"supplier": "ContactID", "item": "ItemID", "account": "AccountID", "tracking_option": "TrackingCategoryID",
          "tax_rate": "TaxType", "purchase_order": "PurchaseOrderID", "bill": "InvoiceID", "payment": "PaymentID"}
#: snapshot meta name -> Organisation field of Xero's lock dates (shown only when set)
LOCK_DATE_FIELDS = {"period_lock_date": "PeriodLockDate", "end_of_year_lock_date": "EndOfYearLockDate"}
#: kinds recon writes to Xero (DESIGN.md section 1)
WRITABLE = {"supplier", "purchase_order", "bill"}


def _loads(data: bytes) -> Any:
    return json.loads(data or b"{}", parse_float=Decimal)


class XeroConnector:
    """Reads and writes one Xero organisation (tenant)."""

    system = "xero"
    #: the most records of one kind and operation :meth:`write` sends in one call (the apply groups by it)
    batch_size = BATCH
    always_full = ALWAYS_FULL

    def __init__(self, settings: Settings, *, pacer: Pacer | None = None, tokens: XeroTokenSource | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        x = settings.xero
        if not x.api_url:
            raise AuthError("no Xero API URL (start the sandbox or set RECON_XERO_API_URL)", system="xero")
        self.settings = settings
        self.clock = clock
        self.tokens = tokens or XeroTokenSource(settings, clock=clock)
        identity = x.identity_url.rstrip("/")
        # class attributes: the SDK builds TokenApi itself, so this is the only way to point it elsewhere
        TokenApi.client_credentials_token_url = f"{identity}/connect/token"
        TokenApi.refresh_token_url = f"{identity}/connect/token"
        TokenApi.revoke_token_url = f"{identity}/connect/revocation"
        cfg = Configuration()
        cfg.oauth2_token = OAuth2Token(client_id=x.client_id, client_secret=x.client_secret)
        self.api_client = ApiClient(cfg, pool_threads=1, oauth2_token_getter=self.tokens.token,
                                    oauth2_token_saver=lambda token: None)
        pool = self.api_client.rest_client.pool_manager
        pool.connection_pool_kw["retries"] = urllib3.util.Retry(total=0, connect=0, read=0, redirect=0, status=0,
                                                                respect_retry_after_header=False, raise_on_status=False)
        pool.connection_pool_kw["maxsize"] = 5
        pool.clear()
        self.api = AccountingApi(self.api_client, base_url=f"{x.api_url.rstrip('/')}/api.xro/2.0")
        self.sdk_check = SdkReadCheck()
        self.tenant = x.tenant_id or self.tokens.tenant_id()
        self.timeout = (max(1, int(min(settings.timeout, 10))), max(1, int(round(settings.timeout))))
        # keyed by API and tenant (every sandbox calls its tenant "sandbox-tenant"), counted in the profile's store
        self.pacer = pacer or pacer_for("xero", f"{x.api_url}|{self.tenant}", app=f"{x.identity_url}|{x.client_id}",
                                        day_limit=x.day_limit, store=settings.limits_store)
        self.warnings: list[str] = []

    # --- calls -------------------------------------------------------------------------------------------

    def _raw_call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any], operation: str) -> tuple[Any, dict[str, str]]:
        try:
            resp = getattr(self.api, method)(self.tenant, *args, _preload_content=False,
                                             _request_timeout=self.timeout, **kwargs)
            data = resp.data  # read inside the try: a connection can drop mid-body
        except ApiException as exc:
            headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
            self.pacer.observe(headers, limited=exc.status == 429)
            raise self._translate(exc, headers, operation) from None
        except TRANSPORT_TYPES as exc:
            raise translate(exc, system="xero", operation=operation) from None
        headers = {k.lower(): v for k, v in resp.headers.items()}
        self.pacer.observe(headers)
        try:
            return _loads(data), headers
        except ValueError as exc:  # a 2xx whose body is not JSON was cut or garbled on the way
            raise ConnectionLostError(f"{ConnectionLostError.what} (the reply is not JSON: {exc})", system="xero",
                                      operation=operation, status=resp.status) from None

    def _translate(self, exc: ApiException, headers: dict[str, str], operation: str) -> ApiError:
        status = exc.status or 0
        body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else str(exc.body or "")
        if status == 429:
            retry = float(headers.get("retry-after") or 60)
            problem = headers.get("x-rate-limit-problem", "minute")
            if problem == "day":
                resume = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=retry)
                return DailyLimitError(f"Xero's daily call limit is spent; the run can resume at {resume:%Y-%m-%d %H:%M} UTC",
                                       system="xero", operation=operation, status=429, resume_at=resume)
            return RateLimitError(f"Xero {problem} limit", system="xero", operation=operation, status=429,
                                  retry_after=retry, scope=problem)
        if status in (401, 403):
            return AuthError(body[:300] or "unauthorised", system="xero", operation=operation, status=status)
        if status == 404:
            return NotFoundError("not found", system="xero", operation=operation, status=404)
        if status == 400:
            message, record = _validation_message(body)
            return RemoteValidationError(message, system="xero", operation=operation, status=400, record=record, body=body)
        if status >= 500:
            return ServerError(f"{ServerError.what}: {body[:200]}".rstrip(": "), system="xero", operation=operation,
                               status=status)
        if status == 0:  # the SDK's own word for a reply it could not read
            return ConnectionLostError(f"{ConnectionLostError.what} ({exc.reason})", system="xero", operation=operation)
        return ApiError(body[:300], system="xero", operation=operation, status=status)

    def call(self, method: str, *args: Any, operation: str, write: bool = False, idempotent: bool = False,
             **kwargs: Any) -> tuple[Any, dict[str, str]]:
        """One SDK call under the shared pacer, with a token renewed once after a 401."""
        def attempt() -> tuple[Any, dict[str, str]]:
            try:
                return self._raw_call(method, args, kwargs, operation)
            except AuthError as exc:
                if exc.status != 401:
                    raise
                self.tokens.invalidate()
                log.info("xero %s: 401, renewing the token", operation)
                return self._raw_call(method, args, kwargs, operation)
        return self.pacer.call(attempt, operation=operation, write=write, idempotent=idempotent)

    # --- reads -------------------------------------------------------------------------------------------

    def _check(self, kind: str, payload: dict[str, Any], records: list[dict[str, Any]]) -> tuple[str, ...]:
        """Deserialise with the SDK; on failure keep the raw records and name each one it cannot read."""
        _, _, coll, elem, _ = READS[kind]
        try:
            self.sdk_check.check(coll, payload)
            return ()
        except (ValueError, TypeError, KeyError, AttributeError):
            pass
        warnings = []
        for rec in records:
            try:
                self.sdk_check.check(elem, rec)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                rid = rec.get(ID_KEY[kind]) or rec.get("Name") or "?"
                msg = f"xero {kind} {rid}: the SDK cannot read this record ({exc}); kept from the raw JSON"
                log.warning(msg)
                warnings.append(msg)
        self.warnings.extend(warnings)
        return tuple(warnings)

    def fetch_kind(self, kind: str, *, since: dt.datetime | None = None) -> Iterator[Page]:
        """Raw pages of ``kind``; paged kinds at 1000 a page, with lines; ``since`` (aware UTC) where supported."""
        method, key, _, _, paged = READS[kind]
        kwargs: dict[str, Any] = {}
        if since is not None and kind in MODIFIED_SINCE:
            kwargs["if_modified_since"] = since.astimezone(dt.timezone.utc)
        if kind in ("supplier", "tracking_option"):
            kwargs["include_archived"] = True
        if kind in ("item", "bill"):
            kwargs["unitdp"] = 4
        if kind == "bill":
            kwargs["where"] = 'Type=="ACCPAY"'
        page = 1
        skipped = 0
        while True:
            if paged:
                kwargs.update(page=page, page_size=PAGE_SIZE)
            payload, _ = self.call(method, operation=f"GET /{key}" + (f" page {page}" if paged else ""), **kwargs)
            records = list(payload.get(key) or [])
            warnings = self._check(kind, payload, records)
            pag = payload.get("pagination") or {}
            more = paged and len(records) >= PAGE_SIZE and (not pag.get("pageCount") or page < int(pag["pageCount"]))
            selected = self._select(kind, records)
            skipped += len(records) - len(selected)
            yield Page(selected, more, warnings, _total(pag, paged, selected, skipped))
            if not more:
                return
            page += 1

    @staticmethod
    def _select(kind: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if kind == "supplier":
            return [r for r in records if r.get("IsSupplier") or not r.get("IsCustomer")]
        if kind == "bill":
            return [r for r in records if r.get("Type", "ACCPAY") == "ACCPAY"]
        if kind == "payment":
            return [r for r in records if r.get("PaymentType", "ACCPAYPAYMENT") == "ACCPAYPAYMENT"
                    and (r.get("Invoice") or {}).get("Type", "ACCPAY") == "ACCPAY"]
        if kind == "tracking_option":
            out = []
            for cat in records:
                for opt in cat.get("Options") or []:
                    out.append({**opt, "TrackingCategoryID": cat.get("TrackingCategoryID"),
                                "_CategoryName": cat.get("Name"), "_CategoryStatus": cat.get("Status")})
            return out
        return records

    def organisation(self) -> dict[str, Any]:
        """Organisation name, base currency, timezone (Xero's Windows-style name, for the views' times)."""
        payload, _ = self.call("get_organisations", operation="GET /Organisation")
        org = (payload.get("Organisations") or [{}])[0]
        locks = {name: mapping.xero_date(org.get(field)) for name, field in LOCK_DATE_FIELDS.items()}
        return {"organisation": org.get("Name", ""), "base_currency": org.get("BaseCurrency", ""), "unitdp": 4,
                "timezone": org.get("Timezone", ""),
                **{name: day.isoformat() if day else "" for name, day in locks.items()}}

    def read(self, kind: str, record_id: str) -> dict[str, Any] | None:
        """Current canonical values of one record, as canonical strings (for the stale check).

        A purchase order or bill also carries ``"lines"``: its lines in order, each with ``line_no`` and the
        line columns Xero itself holds (the tax rate is looked up by the fetch, so it is left out here)."""
        getters = {"supplier": "get_contact", "item": "get_item", "account": "get_account",
                   "purchase_order": "get_purchase_order", "bill": "get_invoice", "payment": "get_payment",
                   "tax_rate": "get_tax_rate_by_tax_type", "tracking_option": "get_tracking_category"}
        _, key, _, _, _ = READS[kind]
        kwargs: dict[str, Any] = {"unitdp": 4} if kind == "bill" else {}  # as fetched: 4-decimal unit amounts
        try:
            payload, _ = self.call(getters[kind], record_id, operation=f"GET /{key}/{record_id}", **kwargs)
        except NotFoundError:
            return None
        records = self._select(kind, list(payload.get(key) or []))
        if kind == "tracking_option":
            return None  # options are read through their category; not needed by the stale check
        if not records:
            return None
        return _current(kind, records[0], record_id)

    def read_many(self, kind: str, record_ids: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        """:meth:`read` of several records of ``kind`` at once: ``{id: current values, or None when gone}`` for
        every id asked. Contacts and bills are read with the ``IDs`` filter, at most :data:`IDS_PER_CALL` a
        call (Xero's gateway refuses longer lists); other kinds one call each, as :meth:`read` does."""
        if kind not in IDS_FILTER:
            return {rid: self.read(kind, rid) for rid in record_ids}
        method, key, _, _, _ = READS[kind]
        out: dict[str, dict[str, Any] | None] = {}
        for start in range(0, len(record_ids), IDS_PER_CALL):
            chunk = list(record_ids[start:start + IDS_PER_CALL])
            # page=1: a paged list carries every field (a bill's lines); the chunk fits in one page
            kwargs: dict[str, Any] = {"i_ds": chunk, "page": 1, "page_size": IDS_PER_CALL}
            kwargs.update({"unitdp": 4} if kind == "bill" else {"include_archived": True})
            payload, _ = self.call(method, operation=f"GET /{key} ({len(chunk)} IDs)", **kwargs)
            found = {str(r.get(ID_KEY[kind]) or "").lower(): r for r in self._select(kind, list(payload.get(key) or []))}
            for rid in chunk:
                record = found.get(rid.lower())
                out[rid] = _current(kind, record, rid) if record is not None else None
        return out

    def history(self, kind: str, record_id: str) -> list[dict[str, str]]:
        """A PO's or bill's history in Xero (``GET /{kind}/{id}/History``), newest first: ``user``, ``at`` (ISO
        UTC), ``changes``, ``details``."""
        method = {"purchase_order": "get_purchase_order_history", "bill": "get_invoice_history"}[kind]
        payload, _ = self.call(method, record_id, operation=f"GET /{READS[kind][1]}/{record_id}/History")
        out = []
        for h in payload.get("HistoryRecords") or []:
            at = mapping.xero_timestamp(h.get("DateUTC"))
            out.append({"user": str(h.get("User") or ""), "at": at.isoformat() if at else "",
                        "changes": str(h.get("Changes") or ""), "details": str(h.get("Details") or "")})
        return out

    def find(self, kind: str, values: Mapping[str, Any], *, unlinked: bool = False) -> str | None:
        """An existing record with the same number (POs, bills with the same supplier) or name (suppliers).
        Xero records carry no link to look for, so ``unlinked`` changes nothing here."""
        if kind == "supplier" and text(values, "name"):
            name = text(values, "name").replace('"', '\\"')
            payload, _ = self.call("get_contacts", operation="GET /Contacts (find)", where=f'Name=="{name}"',
                                   include_archived=True)
            hits = payload.get("Contacts") or []
            return hits[0].get("ContactID") if hits else None
        if kind == "purchase_order" and text(values, "number"):
            try:
                payload, _ = self.call("get_purchase_order_by_number", text(values, "number"), operation="GET /PurchaseOrders (find)")
            except NotFoundError:
                return None
            hits = payload.get("PurchaseOrders") or []
            return hits[0].get("PurchaseOrderID") if hits else None
        if kind == "bill" and text(values, "number"):
            number = text(values, "number")
            contact = text(values, "supplier_xero_id")
            kwargs: dict[str, Any] = {"invoice_numbers": [number], "where": 'Type=="ACCPAY"'}
            if contact:
                kwargs["contact_i_ds"] = [contact]
            payload, _ = self.call("get_invoices", operation="GET /Invoices (find)", **kwargs)
            hits = [r for r in payload.get("Invoices") or [] if r.get("InvoiceNumber") == number
                    and r.get("Status") not in ("DELETED", "VOIDED")]
            return hits[0].get("InvoiceID") if hits else None
        return None

    # --- writes ------------------------------------------------------------------------------------------

    def write(self, requests: Sequence[WriteRequest], *, dry_run: bool = False) -> list[WriteResult]:
        """Write in batches of at most 50 per kind and operation, with ``summarizeErrors=False`` and an
        ``Idempotency-Key`` derived from the batch's action keys (the same on every retry)."""
        results: dict[int, WriteResult] = {}
        groups: dict[tuple[str, str], list[int]] = {}
        for i, req in enumerate(requests):
            if req.kind not in WRITABLE or req.op == "link":
                results[i] = WriteResult(req.key, False, req.record_id, error=f"recon does not {req.op} {req.kind} in Xero")
                continue
            groups.setdefault((req.kind, "create" if req.op == "create" else "change"), []).append(i)
        for (kind, mode), idxs in groups.items():
            for start in range(0, len(idxs), BATCH):
                chunk = idxs[start:start + BATCH]
                for i, res in zip(chunk, self._write_batch(kind, mode, [requests[i] for i in chunk], dry_run)):
                    results[i] = res
        return [results[i] for i in range(len(requests))]

    def _write_batch(self, kind: str, mode: str, reqs: list[WriteRequest], dry_run: bool) -> list[WriteResult]:
        built: list[tuple[WriteRequest, Any]] = []
        out: dict[str, WriteResult] = {}
        for req in reqs:
            try:
                built.append((req, _MODEL_BUILDERS[kind](req, self)))
            except (ValueError, TypeError, ArithmeticError, KeyError) as exc:
                fld = getattr(exc, "field", None)
                out[req.key] = WriteResult(req.key, False, req.record_id, error=f"cannot build the request: {exc}", field=fld)
        if not built:
            return [out[r.key] for r in reqs]
        _, key, coll, _, _ = READS[kind]
        collection = getattr(xm, coll)(**{_SNAKE[key]: [m for _, m in built]})
        idem = hashlib.sha256("|".join(r.key for r, _ in built).encode()).hexdigest()
        method_name = {"supplier": "contacts", "purchase_order": "purchase_orders", "bill": "invoices"}[kind]
        method = f"create_{method_name}" if mode == "create" else f"update_or_create_{method_name}"
        http = "PUT" if mode == "create" else "POST"
        body = serialize(collection)
        sent = {"method": http, "path": f"/api.xro/2.0/{key}?summarizeErrors=false", "body": body,
                "headers": {"Idempotency-Key": idem}}
        if dry_run:
            for req, _ in built:
                out[req.key] = WriteResult(req.key, True, req.record_id, request=sent)
            return [out[r.key] for r in reqs]
        kwargs: dict[str, Any] = {"summarize_errors": False, "idempotency_key": idem}
        if kind == "bill":
            kwargs["unitdp"] = 4
        try:
            payload, _ = self.call(method, collection, operation=f"{http} /{key}", write=True, idempotent=True, **kwargs)
        except (DailyLimitError, AuthError):
            raise
        except ApiError as exc:
            for req, _ in built:
                out[req.key] = WriteResult(req.key, False, req.record_id, error=str(exc), field=exc.field,
                                           retryable=exc.retryable, request=sent)
            return [out[r.key] for r in reqs]
        elements = list(payload.get(key) or [])
        for pos, (req, _) in enumerate(built):
            el = elements[pos] if pos < len(elements) else {}
            errors = [e.get("Message", "") for e in el.get("ValidationErrors") or []]
            ok = bool(el) and el.get("StatusAttributeString", "OK") != "ERROR" and not el.get("HasErrors") and not errors
            rid = el.get(ID_KEY[kind]) or req.record_id
            if rid == "00000000-0000-0000-0000-000000000000":
                rid = req.record_id
            out[req.key] = WriteResult(req.key, ok, rid, error=None if ok else ("; ".join(errors) or "no result returned"),
                                       field=None if ok else _guess_field(errors), request=sent)
        return [out[r.key] for r in reqs]

    def close(self) -> None:
        self.tokens.close()
        self.api_client.rest_client.pool_manager.clear()

    def __enter__(self) -> "XeroConnector":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_SNAKE = {"Contacts": "contacts", "PurchaseOrders": "purchase_orders", "Invoices": "invoices"}


def _current(kind: str, record: Mapping[str, Any], record_id: str) -> dict[str, Any]:
    """One Xero record as :meth:`XeroConnector.read` gives it: canonical strings, and a document's lines."""
    current: dict[str, Any] = mapping.canonical_strings(mapping.to_canonical("xero", kind, record), kind)
    if kind in schema.LINE_FRAMES:
        frame = schema.LINE_FRAMES[kind]
        absent = mapping.UNMAPPED.get(("xero", frame), frozenset()) - {"line_no"}
        current["lines"] = []
        for n, line in enumerate(record.get("LineItems") or [], start=1):
            row = {**mapping.to_canonical("xero", frame, line, extra={"doc_id": record_id}), "line_no": n}
            current["lines"].append({col: v for col, v in mapping.canonical_strings(row, frame).items()
                                     if col not in absent})
    return current


def _validation_message(body: str) -> tuple[str, str | None]:
    try:
        data = json.loads(body)
    except ValueError:
        return body[:300] or "bad request", None
    for el in data.get("Elements") or []:
        for err in el.get("ValidationErrors") or []:
            rid = next((el.get(k) for k in ID_KEY.values() if el.get(k)), None)
            return err.get("Message", "validation error"), rid
    return data.get("Message") or data.get("Detail") or "bad request", None


_FIELD_WORDS = {"name": "name", "number": "number", "contact": "supplier_xero_id", "account": "account_code",
                "tax": "tax_type", "item": "item_code", "date": "date", "amount": "total", "currency": "currency"}


def _guess_field(errors: list[str]) -> str | None:
    """A canonical column for a Xero validation message (Xero names no field), best effort."""
    text_ = " ".join(errors).lower()
    for word, col in _FIELD_WORDS.items():
        if word in text_:
            return col
    return None


# --- canonical values -> SDK models --------------------------------------------------------------------

def _dec(values: Mapping[str, Any], name: str, places: int | None = None) -> Decimal | None:
    raw = text(values, name)
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except ArithmeticError:
        exc = ValueError(f"{name} {raw!r} is not a number")
        exc.field = name  # type: ignore[attr-defined]
        raise exc from None
    return money.quantize(value, places) if places is not None else value


def _date(values: Mapping[str, Any], name: str) -> dt.date | None:
    raw = text(values, name)
    return dt.date.fromisoformat(raw[:10]) if raw else None


def _set(kwargs: dict[str, Any], values: Mapping[str, Any], column: str, attr: str,
         conv: Callable[[str], Any] = lambda v: v) -> None:
    """Only columns present in ``values`` are sent, so an update touches only what the plan changes."""
    if column in values:
        kwargs[attr] = conv(text(values, column))


def _contact(req: WriteRequest, conn: XeroConnector) -> xm.Contact:
    v = req.values
    kw: dict[str, Any] = {}
    if req.record_id:
        kw["contact_id"] = req.record_id
    _set(kw, v, "name", "name")
    _set(kw, v, "email", "email_address")
    _set(kw, v, "tax_number", "tax_number")
    _set(kw, v, "company_number", "company_number")
    if text(v, "currency"):
        kw["default_currency"] = xm.CurrencyCode(text(v, "currency"))
    if any(c in v for c in ("address_line1", "city", "region", "postal_code", "country")):
        kw["addresses"] = [xm.Address(address_type="STREET", address_line1=text(v, "address_line1"), city=text(v, "city"),
                                      region=text(v, "region"), postal_code=text(v, "postal_code"), country=text(v, "country"))]
    if "phone" in v:
        kw["phones"] = [xm.Phone(phone_type="DEFAULT", phone_number=text(v, "phone"))]
    active = canonical_bool(v.get("active"))
    if req.op == "archive" or active is False:
        kw["contact_status"] = "ARCHIVED"
    elif active is True:
        kw["contact_status"] = "ACTIVE"
    if req.op == "create" and not kw.get("name"):
        exc = ValueError("a new contact needs a name")
        exc.field = "name"  # type: ignore[attr-defined]
        raise exc
    return xm.Contact(**kw)


def _lines(values: Mapping[str, Any]) -> list[xm.LineItem]:
    out = []
    for n, line in enumerate(values.get("lines") or [], start=1):
        kw: dict[str, Any] = {"description": text(line, "description") or None,
                              "quantity": _dec(line, "quantity", 4), "unit_amount": _dec(line, "unit_amount", 4)}
        if text(line, "item_code"):
            kw["item_code"] = text(line, "item_code")
        for col, attr in (("account_code", "account_code"), ("tax_type", "tax_type")):
            if text(line, col):
                kw[attr] = text(line, col)
        tracking = [xm.LineItemTracking(name=text(line, f"tracking{i}_category"), option=text(line, f"tracking{i}_option"))
                    for i in (1, 2) if text(line, f"tracking{i}_category") and text(line, f"tracking{i}_option")]
        if tracking:
            kw["tracking"] = tracking
        if kw["quantity"] is None or kw["unit_amount"] is None:
            exc = ValueError(f"line {n} needs a quantity and a unit amount")
            exc.field = "quantity" if kw["quantity"] is None else "unit_amount"  # type: ignore[attr-defined]
            raise exc
        out.append(xm.LineItem(**{k: val for k, val in kw.items() if val is not None}))
    return out


def _doc_common(req: WriteRequest, kw: dict[str, Any]) -> None:
    v = req.values
    if text(v, "supplier_xero_id"):
        kw["contact"] = xm.Contact(contact_id=text(v, "supplier_xero_id"))
    if text(v, "date"):
        kw["date"] = _date(v, "date")
    if text(v, "currency"):
        kw["currency_code"] = xm.CurrencyCode(text(v, "currency"))
    if req.op == "create" or "line_amount_types" in v:
        kw["line_amount_types"] = xm.LineAmountTypes(text(v, "line_amount_types") or "Exclusive")
    if "lines" in v:
        kw["line_items"] = _lines(v)


def _purchase_order(req: WriteRequest, conn: XeroConnector) -> xm.PurchaseOrder:
    v = req.values
    kw: dict[str, Any] = {}
    if req.record_id:
        kw["purchase_order_id"] = req.record_id
    _doc_common(req, kw)
    _set(kw, v, "number", "purchase_order_number")
    _set(kw, v, "reference", "reference")
    if text(v, "delivery_date"):
        kw["delivery_date"] = _date(v, "delivery_date")
    if req.op == "archive":
        kw["status"] = "DELETED"
    elif text(v, "status"):
        kw["status"] = mapping.XERO_PO_STATUS_OUT.get(text(v, "status"), "AUTHORISED")
    elif req.op == "create":
        kw["status"] = "AUTHORISED"
    return xm.PurchaseOrder(**kw)


def _bill(req: WriteRequest, conn: XeroConnector) -> xm.Invoice:
    v = req.values
    kw: dict[str, Any] = {"type": "ACCPAY"}
    if req.record_id:
        kw["invoice_id"] = req.record_id
    _doc_common(req, kw)
    _set(kw, v, "number", "invoice_number")
    if text(v, "due_date"):
        kw["due_date"] = _date(v, "due_date")
    if req.op == "archive":
        # drafts can be deleted; an approved bill can only be voided (a revert names which)
        current = text(v, "status")
        if current in ("deleted", "voided"):
            kw["status"] = current.upper()
            return xm.Invoice(**kw)
        if not current and req.record_id:
            now = conn.read("bill", req.record_id) or {}
            current = now.get("status", "")
        kw["status"] = "DELETED" if current in ("draft", "submitted") else "VOIDED"
    elif text(v, "status"):
        kw["status"] = mapping.XERO_BILL_STATUS_OUT.get(text(v, "status"), "AUTHORISED")
    elif req.op == "create":
        kw["status"] = "AUTHORISED"
    return xm.Invoice(**kw)


_MODEL_BUILDERS: dict[str, Callable[[WriteRequest, XeroConnector], Any]] = {
    "supplier": _contact, "purchase_order": _purchase_order, "bill": _bill,
}


def _total(pagination: Mapping[str, Any], paged: bool, selected: list[dict[str, Any]], skipped: int) -> int | None:
    """How many records the whole list will give, for the progress line. Xero's ``itemCount`` counts what the
    query matched, customers and sales payments included, which recon drops as the pages arrive: the total is
    that count less the records dropped so far, an upper bound that shrinks to the exact count by the last
    page. An unpaged list arrives whole, so its size is its total."""
    if not paged:
        return len(selected)
    try:
        return int(pagination["itemCount"]) - skipped
    except (KeyError, TypeError, ValueError):
        return None
