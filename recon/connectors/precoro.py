"""The Precoro connector, on httpx (wire shapes: ``docs/precoro-wire.md``).

Every request carries ``X-AUTH-TOKEN`` and ``email``, a timeout, and runs under the shared pacer (300/min,
1500/h, 3000/day per token). A 429's body says which limiter tripped: a minute or hour limiter waits until
``RateLimit-Retry-After`` and goes on; the daily limiter raises :class:`DailyLimitError` with the time the
run can resume. Lists are read 200 a page. Documents (POs, invoices) are listed, and their detail (lines)
is fetched by ``idn`` only when the document is new or its ``updateDate`` changed since the last snapshot.

Writes are form-encoded with bracket keys, one record per call. Precoro has no batch writes and no
idempotency keys: a ``PUT`` or ``PATCH`` (they set values) is retried after a lost connection or a server
error like a read, but a ``POST`` whose connection drops after it left is not sent again blindly: the apply
engine calls :meth:`PrecoroConnector.find` before creating again. Field errors (``errors.errors``) are mapped to the
record and the canonical field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
import urllib.parse
from decimal import Decimal
from typing import Any, Iterator, Mapping, Sequence

import httpx

from recon.config import Settings
from recon.connectors import mapping
from recon.connectors.base import Page, WriteRequest, WriteResult, canonical_bool, text
from recon.connectors.failures import translated
from recon.connectors.pacing import Pacer, pacer_for
from recon.errors import (ApiError, AuthError, ConnectionLostError, DailyLimitError, NotFoundError, RateLimitError,
                          RemoteValidationError, ServerError)

log = logging.getLogger("recon.connectors")
PAGE_SIZE = 200

LISTS = {"supplier": "/suppliers", "item": "/items", "tax_rate": "/taxes", "purchase_order": "/purchaseorders",
         "bill": "/invoices", "payment": "/payments"}
DOCUMENTS = {"purchase_order", "bill"}
#: Methods safe to send twice: every Precoro PUT and PATCH recon sends sets values (fields, externalId,
#: status=canceled) rather than adding anything; a POST creates, and Precoro has no idempotency keys.
RESENDABLE = frozenset({"GET", "PUT", "PATCH"})

#: canonical column -> Precoro form field, per kind (writes)
SUPPLIER_FIELDS = {"name": "name", "phone": "phone", "tax_number": "taxPayerNumber",
                   "company_number": "businessRegistrationNumber", "currency": "currency",
                   "address_line1": "legalAddress", "city": "city", "region": "state", "postal_code": "postalCode",
                   "country": "country", "email": "contacts[data][0][email]"}
ITEM_FIELDS = {"code": "sku", "name": "name", "description": "description", "purchase_price": "price"}
TAX_FIELDS = {"name": "name", "rate": "percent"}
OPTION_FIELDS = {"name": "name", "code": "code"}
#: Precoro field name -> canonical column, to name the field of a validation error
FIELD_NAMES = {v: k for d in (SUPPLIER_FIELDS, ITEM_FIELDS, TAX_FIELDS, OPTION_FIELDS) for k, v in d.items()} | {
    "uniqueCode": "name", "value": "rate", "sumPaid": "amount", "payDate": "date", "invoice": "bill_id",
    "externalId": "xero_id", "enable": "active"}


def _loads(content: bytes) -> Any:
    return json.loads(content or b"null", parse_float=Decimal)


def _parse_retry_at(value: Any) -> dt.datetime | None:
    if not value:
        return None
    text_ = str(value).strip().replace(" UTC", "").replace("Z", "")
    try:
        return dt.datetime.fromisoformat(text_).replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)


class PrecoroConnector:
    """Reads and writes one Precoro company."""

    system = "precoro"
    #: the options of item custom fields are read whole: the one listing of the fields is needed anyway, a
    #: field holds few options (one page of 200 each), and only a whole read shows a field renamed (which
    #: changes no option's updateDate) or an option removed
    always_full = frozenset({"account", "tracking_option"})

    def __init__(self, settings: Settings, *, pacer: Pacer | None = None, transport: httpx.BaseTransport | None = None,
                 now: Any = None) -> None:
        p = settings.precoro
        if not p.base_url:
            raise AuthError("no Precoro base URL (start the sandbox or set RECON_PRECORO_BASE_URL)", system="precoro")
        self.settings = settings
        self._now = now or (lambda: dt.datetime.now(dt.timezone.utc))
        self.http = httpx.Client(base_url=p.base_url.rstrip("/"), transport=transport,
                                 headers={"X-AUTH-TOKEN": p.token, "email": p.email, "Accept": "application/json"},
                                 timeout=httpx.Timeout(settings.timeout, connect=min(10.0, settings.timeout)))
        account = hashlib.sha256(f"{p.base_url}|{p.token}".encode()).hexdigest()[:16]
        self.pacer = pacer or pacer_for("precoro", account, store=settings.limits_store)
        self._fields: list[dict[str, Any]] | None = None
        self._fields_at = 0.0
        self.warnings: list[str] = []

    # --- calls -------------------------------------------------------------------------------------------

    def _send(self, method: str, path: str, params: Any, form: list[tuple[str, str]] | None, operation: str) -> Any:
        with translated("precoro", operation):
            if form is not None:
                r = self.http.request(method, path, params=params, content=urllib.parse.urlencode(form),
                                      headers={"Content-Type": "application/x-www-form-urlencoded"})
            else:
                r = self.http.request(method, path, params=params)
        if r.status_code < 300:
            try:
                return _loads(r.content)
            except ValueError:  # a 2xx whose body is not JSON was cut or garbled on the way
                raise ConnectionLostError(f"{ConnectionLostError.what} (the reply is not JSON)", system="precoro",
                                          operation=operation, status=r.status_code) from None
        raise self._translate(r, operation)

    def _translate(self, r: httpx.Response, operation: str) -> ApiError:
        try:
            body = _loads(r.content)
        except ValueError:
            body = r.text[:300]
        status = r.status_code
        if status == 429:
            kind = str((body or {}).get("RateLimit-Type", "") if isinstance(body, dict) else "")
            at = _parse_retry_at(body.get("RateLimit-Retry-After") if isinstance(body, dict) else None)
            if kind.lower().startswith("daily"):
                when = f"{at:%Y-%m-%d %H:%M} UTC" if at else "tomorrow"
                return DailyLimitError(f"Precoro's daily call limit is spent; the run can resume at {when}",
                                       system="precoro", operation=operation, status=429, resume_at=at)
            scope = "hour" if kind.lower().startswith("hour") else "minute"
            default = 3600.0 if scope == "hour" else 60.0
            wait = max(0.5, (at - self._now()).total_seconds()) if at else default
            return RateLimitError(f"Precoro {scope} limit", system="precoro", operation=operation, status=429,
                                  retry_after=min(wait, default + 1), scope=scope)
        if status in (401, 403):
            msg = body.get("message", "credentials refused") if isinstance(body, dict) else str(body)
            return AuthError(msg, system="precoro", operation=operation, status=status)
        if status == 404:
            return NotFoundError("not found", system="precoro", operation=operation, status=404)
        if status >= 500:
            return ServerError(f"{ServerError.what}: {str(body)[:200]}", system="precoro", operation=operation,
                               status=status)
        errors = ((body or {}).get("errors") or {}).get("errors") if isinstance(body, dict) else None
        if isinstance(errors, dict) and errors:
            fld, msg = next(iter(errors.items()))
            return RemoteValidationError(str(msg), system="precoro", operation=operation, status=status,
                                         field=FIELD_NAMES.get(fld, fld), body=body)
        return RemoteValidationError(str(body)[:300], system="precoro", operation=operation, status=status, body=body)

    def call(self, method: str, path: str, *, params: Any = None, form: list[tuple[str, str]] | None = None,
             write: bool = False) -> Any:
        """One request under the shared pacer. Reads and the writes in :data:`RESENDABLE` are retried after a
        lost connection or a server error; a ``POST`` only when it never reached Precoro."""
        operation = f"{method} {path}"
        return self.pacer.call(lambda: self._send(method, path, params, form, operation), operation=operation,
                               write=write, idempotent=method in RESENDABLE)

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[tuple[list[dict[str, Any]], bool]]:
        """``(records, more)`` per page of a list, 200 a page."""
        page = 1
        while True:
            body = self.call("GET", path, params={**(params or {}), "per_page": PAGE_SIZE, "page": page})
            records = list((body or {}).get("data") or [])
            pag = ((body or {}).get("meta") or {}).get("pagination") or {}
            try:  # the list's size, for progress that says "120 of 450 suppliers"
                self.list_total = int(pag["total"]) if "total" in pag else None
            except (TypeError, ValueError):
                self.list_total = None
            if "has_next_page" in pag:
                more = bool(pag["has_next_page"])
            elif "total_pages" in pag:
                more = int(pag.get("current_page", page)) < int(pag["total_pages"])
            else:
                more = len(records) >= PAGE_SIZE
            more = more and bool(records)
            yield records, more
            if not more:
                return
            page += 1

    # --- reads -------------------------------------------------------------------------------------------

    def item_fields(self, refresh: bool = False) -> list[dict[str, Any]]:
        """The item custom fields (accounts and tracking categories), cached per connector."""
        # one listing serves both the account and the tracking kinds of a fetch
        if self._fields is None or (refresh and time.monotonic() - self._fields_at > 30):
            fields: list[dict[str, Any]] = []
            for records, _ in self.pages("/itemcustomfields"):
                fields.extend(records)
            self._fields, self._fields_at = fields, time.monotonic()
        return self._fields

    def accounts_field(self) -> dict[str, Any] | None:
        return next((f for f in self.item_fields() if f.get("name") == mapping.ACCOUNTS_ICF), None)

    def fetch_kind(self, kind: str, *, since: dt.datetime | None = None,
                   previous: Mapping[str, Mapping[str, Any]] | None = None) -> Iterator[Page]:
        """Raw pages of ``kind``. Documents come as details; ``previous`` (idn -> raw detail of the last
        snapshot) lets unchanged documents be reused instead of fetched again."""
        params: dict[str, Any] = {}
        if since is not None:
            params["modifiedSince"] = since.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")
        if kind in ("account", "tracking_option"):
            fields = self.item_fields(refresh=True)
            chosen = [f for f in fields if (f.get("name") == mapping.ACCOUNTS_ICF) == (kind == "account")]
            if not chosen:
                yield Page([], False)
            for n, field in enumerate(chosen):
                extra = {"_fieldId": field.get("id"), "_fieldName": field.get("name"), "_fieldEnable": field.get("enable")}
                for records, more in self.pages(f"/itemcustomfields/{field['id']}/options", params):
                    yield Page([{**r, **extra} for r in records], more or n + 1 < len(chosen))
            return
        for records, more in self.pages(LISTS[kind], params):
            if kind in DOCUMENTS:
                details: list[dict[str, Any]] = []
                try:
                    for row in records:
                        details.append(self._detail(kind, row, previous))
                except DailyLimitError as exc:
                    # the details read so far are kept, so the next run need not read them again
                    exc.partial = details  # type: ignore[attr-defined]
                    raise
                records = details
            yield Page(records, more, total=self.list_total)

    def _detail(self, kind: str, row: Mapping[str, Any], previous: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
        idn = str(row.get("idn"))
        old = (previous or {}).get(idn)
        if old is not None and old.get("updateDate") == row.get("updateDate") and "items" in old:
            return dict(old)
        return self.call("GET", f"{LISTS[kind]}/{idn}")

    def company(self, sample_doc: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Company name and rounding precision: from a document detail first, else ``GET /company``."""
        info: dict[str, Any] = {}
        try:
            body = self.call("GET", "/company")
            if isinstance(body, dict):
                info = body.get("data", body) if isinstance(body.get("data"), dict) else body
        except (NotFoundError, RemoteValidationError):
            info = {}
        precision = (sample_doc or {}).get("precisionData") or info.get("precisionData") or {}
        return {"company": info.get("name", ""), "currency": info.get("currency", ""),
                "precision": {k: int(precision.get(k, 2)) for k in ("price", "quantity", "total")}}

    def read(self, kind: str, record_id: str) -> dict[str, str] | None:
        """Current canonical values of one record (for the stale check), or ``None`` when it is gone."""
        try:
            if kind in ("account", "tracking_option"):
                for page in self.fetch_kind(kind):
                    for rec in page.records:
                        if str(rec.get("id")) == str(record_id):
                            return mapping.canonical_strings(mapping.to_canonical("precoro", kind, rec), kind)
                return None
            path = f"/payments/{self._payment_idn(record_id)}" if kind == "payment" else f"{LISTS[kind]}/{record_id}"
            rec = self.call("GET", path)
        except NotFoundError:
            return None
        if isinstance(rec, dict) and isinstance(rec.get("data"), dict):
            rec = rec["data"]
        return mapping.canonical_strings(mapping.to_canonical("precoro", kind, rec), kind)

    def find(self, kind: str, values: Mapping[str, Any], *, unlinked: bool = False) -> str | None:
        """The record already linked to ``values["xero_id"]`` (``external_id[]`` filter), else ``None``.

        With ``unlinked``, also the one record without a Xero id whose natural key (the kind's match keys in
        :mod:`recon.rules`, in order) equals the values': a create whose ``externalId`` PATCH never ran leaves one."""
        found = self._find_linked(kind, values)
        if found is None and unlinked and kind not in DOCUMENTS:
            found = self._find_unlinked(kind, values)
        return found

    def _find_unlinked(self, kind: str, values: Mapping[str, Any]) -> str | None:
        from recon.rules import rule

        def norm(value: str) -> str:
            return " ".join(value.split()).lower()

        candidates = [canon for page in self.fetch_kind(kind) for canon in
                      (mapping.canonical_strings(mapping.to_canonical("precoro", kind, rec), kind) for rec in page.records)
                      if not canon.get("xero_id")]
        for keys in rule(kind).match_keys:  # in the rule's order; a key an unlinked record cannot have finds nothing
            want = tuple(norm(text(values, k)) for k in keys)
            if not all(want):
                continue
            hits = {c["id"] for c in candidates if tuple(norm(c.get(k, "")) for k in keys) == want}
            if len(hits) > 1:  # never guess between look-alikes: a person decides
                raise ApiError(f"{len(hits)} unlinked {kind} records ({', '.join(sorted(hits))}) match "
                               f"{', '.join(keys)} {'/'.join(want)!r}; link the right one by hand",
                               system="precoro", operation=f"find {kind}", field=keys[0])
            if hits:
                return hits.pop()
        return None

    def _find_linked(self, kind: str, values: Mapping[str, Any]) -> str | None:
        xero_id = text(values, "xero_id")
        if not xero_id:
            return None
        if kind in ("account", "tracking_option"):
            for page in self.fetch_kind(kind):
                for rec in page.records:
                    if xero_id in (rec.get("externalId"), rec.get("xeroId")):
                        return str(rec["id"])
            return None
        body = self.call("GET", LISTS[kind], params={"external_id[]": [xero_id], "per_page": PAGE_SIZE})
        for rec in (body or {}).get("data") or []:
            if kind == "payment" and rec.get("status") == "canceled":
                continue  # a cancelled payment records nothing: it is never the one a Xero payment has in Precoro
            if xero_id in (rec.get("externalId"), rec.get("xeroId")):
                return str(rec.get("idn") if kind in DOCUMENTS else rec.get("id"))
        return None

    # --- writes ------------------------------------------------------------------------------------------

    def write(self, requests: Sequence[WriteRequest], *, dry_run: bool = False) -> list[WriteResult]:
        """One call (or two: create, then PATCH externalId) per request; never raises for one record."""
        return [self._write_one(req, dry_run) for req in requests]

    def _write_one(self, req: WriteRequest, dry_run: bool) -> WriteResult:
        try:
            calls = self._plan_calls(req)
        except (ValueError, KeyError, ArithmeticError) as exc:
            return WriteResult(req.key, False, req.record_id, error=f"cannot build the request: {exc}",
                               field=getattr(exc, "field", None))
        except (DailyLimitError, AuthError):
            raise
        except ApiError as exc:
            return WriteResult(req.key, False, req.record_id, error=str(exc), field=exc.field, retryable=exc.retryable)
        shown = [{"method": m, "path": p, "body": dict(f)} for m, p, f in calls]
        request = shown[0] if len(shown) == 1 else {"method": shown[0]["method"], "path": shown[0]["path"],
                                                    "body": shown[0]["body"], "then": shown[1:]}
        if dry_run:
            return WriteResult(req.key, True, req.record_id, request=request)
        record_id = req.record_id
        for n, (method, path, form) in enumerate(calls):
            if "{id}" in path:
                path = path.replace("{id}", str(record_id))
            try:
                body = self.call(method, path, form=form, write=True)
            except (DailyLimitError, AuthError):
                raise
            except ApiError as exc:
                done = " (the record was created; linking it failed)" if n else ""
                return WriteResult(req.key, False, record_id, error=f"{exc}{done}", field=exc.field,
                                   retryable=exc.retryable, request=request)
            if n == 0 and req.op == "create" and isinstance(body, dict):
                data = body.get("data", body) if isinstance(body.get("data"), dict) else body
                record_id = str(data.get("id"))
        return WriteResult(req.key, True, record_id, request=request)

    def _plan_calls(self, req: WriteRequest) -> list[tuple[str, str, list[tuple[str, str]]]]:
        """The HTTP calls of one write: ``(method, path, form)``; ``{id}`` stands for the created id."""
        v, kind, op = req.values, req.kind, req.op
        rid = req.record_id
        def link() -> list[tuple[str, str, list[tuple[str, str]]]]:
            if not text(v, "xero_id") and not (op in ("link", "archive") and "xero_id" in v and rid):
                return []  # (a link to "" unlinks: what a revert of a link or of a create sends)
            path = self._path(kind, rid) if rid else f"{LISTS[kind]}/{{id}}"
            return [("PATCH", path, [("externalId", text(v, "xero_id"))])]
        if op == "link":
            if not rid:
                raise ValueError("a link needs the Precoro record id")
            return link()
        if kind in ("purchase_order", "bill"):
            raise ValueError(f"recon only links {kind}s in Precoro (they flow Precoro -> Xero)")
        if kind == "payment":
            if op != "create":
                if op == "archive" and rid:
                    unlink = [("externalId", "")] if "xero_id" in v and not text(v, "xero_id") else []
                    return [("PATCH", self._path(kind, rid), [("status", "canceled"), *unlink])]
                # recon.apply_payments replaces a payment (cancel, then create) instead of updating it
                raise ValueError("Precoro payments can only be created or cancelled")
            return [("POST", "/payments", self._payment_form(v))]
        if op == "archive":
            if not rid:
                raise ValueError("archive needs the Precoro record id")
            return [("PUT", self._path(kind, rid), [("enable", "0")])] + link()
        form = self._record_form(kind, v, op)
        if op == "create":
            if kind in ("account", "tracking_option"):
                # an option takes its externalId on create
                base = f"/itemcustomfields/{self._field_for(kind, v)['id']}/options"
                return [("POST", base, form + ([("externalId", text(v, "xero_id"))] if text(v, "xero_id") else []))]
            base = LISTS[kind]
            return [("POST", base, form)] + link()
        if not rid:
            raise ValueError("update needs the Precoro record id")
        calls = [("PUT", self._path(kind, rid), form)] if form or "category" not in v else []
        if kind == "tracking_option" and text(v, "category"):
            # the category is the item custom field the option belongs to: renaming it renames the field
            calls.append(("PUT", f"/itemcustomfields/{self._option_field(kind, rid)}", [("name", text(v, "category"))]))
        return calls + (link() if "xero_id" in v else [])

    def _path(self, kind: str, rid: str) -> str:
        """The path of one record for PUT/PATCH: options under their field, payments by ``idn`` (recon knows
        a payment by its ``id``), documents by their ``idn`` (which is their recon id), the rest by ``id``."""
        if kind in ("account", "tracking_option"):
            field_id = self._option_field(kind, rid)
            return f"/itemcustomfields/{field_id}/options/{rid}"
        if kind == "payment":
            return f"/payments/{self._payment_idn(rid)}"
        return f"{LISTS[kind]}/{rid}"

    def _option_field(self, kind: str, option_id: str) -> Any:
        for page in self.fetch_kind(kind):
            for rec in page.records:
                if str(rec.get("id")) == str(option_id):
                    return rec["_fieldId"]
        exc = NotFoundError(f"option {option_id} not found", system="precoro", operation="find option", record=str(option_id))
        raise exc

    def _field_for(self, kind: str, v: Mapping[str, Any]) -> dict[str, Any]:
        """The ICF an option goes into: the accounts field, or the one named after the tracking category
        (created, with the category's Xero id as externalId, when missing)."""
        if kind == "account":
            field = self.accounts_field()
            if field is None:
                field = self.call("POST", "/itemcustomfields", form=[("name", mapping.ACCOUNTS_ICF), ("externalId", "accounts")], write=True)
                self._fields = None
            return field.get("data", field) if isinstance(field.get("data"), dict) else field
        name = text(v, "category")
        if not name:
            exc = ValueError("a tracking option needs its category")
            exc.field = "category"  # type: ignore[attr-defined]
            raise exc
        field = next((f for f in self.item_fields() if f.get("name") == name), None)
        if field is None:
            form = [("name", name)] + ([("externalId", text(v, "category_id"))] if text(v, "category_id") else [])
            field = self.call("POST", "/itemcustomfields", form=form, write=True)
            self._fields = None
        return field.get("data", field) if isinstance(field.get("data"), dict) else field

    def _record_form(self, kind: str, v: Mapping[str, Any], op: str) -> list[tuple[str, str]]:
        names = {"supplier": SUPPLIER_FIELDS, "item": ITEM_FIELDS, "tax_rate": TAX_FIELDS,
                 "account": OPTION_FIELDS, "tracking_option": OPTION_FIELDS}[kind]
        form = [(wire, text(v, col)) for col, wire in names.items() if col in v]
        if kind == "supplier" and "currency" in v and text(v, "currency"):
            form.append(("currencies[]", text(v, "currency")))
        if kind == "tax_rate" and "rate" in v:
            form.append(("value", text(v, "rate")))
        if kind == "item" and text(v, "account_code"):
            field = self.accounts_field()
            option = None
            if field is not None:
                for records, _ in self.pages(f"/itemcustomfields/{field['id']}/options"):
                    option = next((o for o in records if str(o.get("code")) == text(v, "account_code")), option)
            if option is None:
                exc = ValueError(f"no Precoro account option with code {text(v, 'account_code')!r}")
                exc.field = "account_code"  # type: ignore[attr-defined]
                raise exc
            form.append(("accountOption[id]", str(option["id"])))
        active = canonical_bool(v.get("active")) if "active" in v else None
        if active is not None:
            form.append(("enable", _form_value(active)))
        if op == "create" and kind in ("supplier", "item", "tax_rate") and not text(v, "name"):
            exc = ValueError(f"a new {kind} needs a name")
            exc.field = "name"  # type: ignore[attr-defined]
            raise exc
        return form

    def _payment_idn(self, payment_id: str) -> Any:
        """Payments are recon records by ``id`` but cancelled by ``idn``: find the idn in the payment list."""
        for records, _ in self.pages("/payments"):
            for rec in records:
                if str(rec.get("id")) == str(payment_id):
                    return rec.get("idn")
        raise NotFoundError(f"payment {payment_id} not found", system="precoro", operation="GET /payments",
                            record=str(payment_id))

    def _payment_form(self, v: Mapping[str, Any]) -> list[tuple[str, str]]:
        invoice_id = self._invoice_numeric_id(v)
        form = [("invoice[id]", str(invoice_id)), ("sumPaid", text(v, "amount")), ("logicType", "0")]
        if text(v, "date"):
            form.append(("payDate", f"{text(v, 'date')[:10]}T00:00:00+00:00"))
        if text(v, "xero_id"):
            form.append(("externalId", text(v, "xero_id")))
        return form

    def _invoice_numeric_id(self, v: Mapping[str, Any]) -> Any:
        """``invoice[id]`` wants the numeric id: resolve it from the invoice idn (``bill_id``), or find the
        invoice linked to ``bill_xero_id``."""
        idn = text(v, "bill_id")
        if idn.isdigit():
            body = self.call("GET", f"/invoices/{idn}")
            return (body.get("data", body) if isinstance(body.get("data"), dict) else body)["id"]
        xero_bill = text(v, "bill_xero_id")
        if xero_bill:
            body = self.call("GET", "/invoices", params={"external_id[]": [xero_bill], "per_page": PAGE_SIZE})
            for rec in (body or {}).get("data") or []:
                if xero_bill in (rec.get("externalId"), rec.get("xeroId")):
                    return rec["id"]
        exc = ValueError("the paid invoice is not in Precoro (no bill_id idn and no invoice linked to bill_xero_id)")
        exc.field = "bill_id"  # type: ignore[attr-defined]
        raise exc

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "PrecoroConnector":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
