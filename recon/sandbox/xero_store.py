"""The Xero emulator's in-memory organisation: records per kind, writes with Xero's batch semantics, queries.

Each kind has a :class:`Handler` (``xero_rules`` for master data, ``xero_docs`` for documents) that turns one
request element into the records to save, or raises :class:`Invalid` with Xero's messages. A handler never
mutates the store; :meth:`Store.write` saves its :class:`Change` list only when the whole element is valid, so
each element is all-or-nothing while a batch is not transactional, as in Xero.

The store itself is not thread-safe; the app serialises access with :attr:`Store.lock`.
"""

from __future__ import annotations

import copy
import random
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, ClassVar, Iterable

from recon.sandbox.xero_wire import ZERO_GUID, parse_record, render

#: Kinds in dependency order (a kind only refers to kinds before it).
KINDS = ("Organisations", "TaxRates", "Accounts", "TrackingCategories", "Contacts", "Items", "PurchaseOrders",
         "Invoices", "Payments")
ID_FIELD = {
    "Organisations": "OrganisationID", "TaxRates": "TaxType", "Accounts": "AccountID",
    "TrackingCategories": "TrackingCategoryID", "Contacts": "ContactID", "Items": "ItemID",
    "PurchaseOrders": "PurchaseOrderID", "Invoices": "InvoiceID", "Payments": "PaymentID",
}
Record = dict[str, Any]


class Invalid(Exception):
    """One element failed Xero's validation; ``messages`` go into its ``ValidationErrors``."""

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


class NotFound(Exception):
    """The record named in the URL does not exist (the app answers 404)."""


@dataclass
class Change:
    """A record to save. ``touch=False`` keeps ``UpdatedDateUTC`` (Xero does not bump it for e.g. IsSupplier)."""

    kind: str
    record: Record
    touch: bool = True


@dataclass
class Context:
    """What a request asks for beyond its body."""

    unitdp: int = 2
    include_archived: bool = False
    paged: bool = True
    summary_only: bool = False
    #: who makes the change, for a document's history: an app (Xero's words) unless the request stands for a
    #: person in Xero's web app (the sandbox's ``X-Sandbox-User`` header)
    user: str = ""


API_USER = "System Generated"
#: kinds whose changes Xero keeps a history of (``GET /{kind}/{id}/History``)
HISTORY_KINDS = ("Invoices", "PurchaseOrders")
STATUS_WORDS = {"AUTHORISED": "Approved", "SUBMITTED": "Submitted for approval", "VOIDED": "Voided",
                "DELETED": "Deleted", "PAID": "Paid", "BILLED": "Billed", "DRAFT": "Draft"}


class Handler:
    """Rules of one kind. Subclasses override what differs; the defaults suit simple keyed records."""

    kind: ClassVar[str] = ""
    id_field: ClassVar[str] = ""
    number_field: ClassVar[str | None] = None
    error_flag: ClassVar[str] = "HasValidationErrors"

    def lookup(self, store: "Store", key: str) -> Record | None:
        """The record a URL segment names: its id, or its number where Xero allows that."""
        found = store.get(self.kind, key)
        if found is None and self.number_field:
            found = store.find(self.kind, self.number_field, key)
        return found

    def match(self, store: "Store", data: Record) -> Record | None:
        """The existing record a POST element updates (by id, or by number where Xero allows)."""
        key = data.get(self.id_field)
        if key is not None:
            found = store.get(self.kind, key)
            if found is None:
                raise Invalid(f"{self.kind[:-1]} with {self.id_field} {key} could not be found")
            return found
        if self.number_field and data.get(self.number_field):
            return store.find(self.kind, self.number_field, data[self.number_field])
        return None

    def build(self, store: "Store", data: Record, existing: Record | None, ctx: Context) -> list[Change]:
        raise NotImplementedError

    def visible(self, record: Record, ctx: Context) -> bool:
        return True

    def view(self, store: "Store", record: Record, ctx: Context) -> Record:
        """The record as a GET returns it (before wire rendering)."""
        return record

    def load(self, store: "Store", data: Record) -> list[Change]:
        """A record from ``emu.load``: trusted as given, derived fields filled in when missing."""
        if not data.get(self.id_field):
            data[self.id_field] = store.new_id()
        return [Change(self.kind, data, touch="UpdatedDateUTC" not in data)]

    def echo(self, data: Record, messages: list[str]) -> Record:
        """A failed element as Xero echoes it back."""
        out = {k: v for k, v in data.items() if k not in ("ValidationErrors", "Warnings")}
        out.setdefault(self.id_field, ZERO_GUID)
        out[self.error_flag] = True
        out["StatusAttributeString"] = "ERROR"
        out["ValidationErrors"] = [{"Message": m} for m in messages]
        return out


HANDLERS: dict[str, Handler] = {}


def register(handler: type[Handler]) -> type[Handler]:
    HANDLERS[handler.kind] = handler()
    return handler


@dataclass
class Result:
    """The outcome of one element of a write."""

    ok: bool
    record: Record


@dataclass
class Store:
    """The records of one organisation, keyed by kind and id."""

    clock: Callable[[], float]
    seed: int = 0
    records: dict[str, dict[str, Record]] = field(default_factory=lambda: {k: {} for k in KINDS})
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._skipped = 0
        self.version = 0
        self.history: dict[str, list[Record]] = {}  # document id -> its history records, oldest first
        self._by_invoice: tuple[int, dict[str, list[Record]]] = (-1, {})

    def now(self) -> datetime:
        moment = datetime.fromtimestamp(self.clock(), timezone.utc)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    def today(self) -> date:
        return self.now().date()

    def new_id(self) -> str:
        """A random-looking but reproducible GUID (seeded per reset, so demo runs are deterministic)."""
        if self._skipped:
            self._skip_now()
        h = "%032x" % (self._rng.getrandbits(128) & ~(0xF << 76) & ~(0x3 << 62) | (0x4 << 76) | (0x2 << 62))
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def skip_id(self) -> None:
        """Use up one id without making it, as a loaded record that brings its own id always has: the ids
        handed out afterwards stay the ones they were. Costs nothing until the next :meth:`new_id`."""
        self._skipped += 1

    def _skip_now(self) -> None:
        # one draw of 128 * n bits consumes exactly the generator words of n draws of 128 bits
        self._rng.getrandbits(128 * self._skipped)
        self._skipped = 0

    def clear(self, seed: int = 0) -> None:
        self.records = {k: {} for k in KINDS}
        self.history = {}
        self._rng = random.Random(seed)
        self._skipped = 0
        self.version += 1

    def payments_of(self, invoice_id: str) -> list[Record]:
        """The payments (any status) on an invoice, from an index rebuilt only after writes."""
        if self._by_invoice[0] != self.version:
            index: dict[str, list[Record]] = {}
            for payment in self.records["Payments"].values():
                index.setdefault(payment["Invoice"]["InvoiceID"], []).append(payment)
            self._by_invoice = (self.version, index)
        return self._by_invoice[1].get(invoice_id, [])

    # ------------------------------------------------------------ access
    def get(self, kind: str, key: Any) -> Record | None:
        if not isinstance(key, str):
            return None
        table = self.records[kind]
        return table.get(key) or table.get(key.lower()) or (table.get(key.upper()) if kind == "TaxRates" else None)

    def find(self, kind: str, fieldname: str, value: Any, where: Callable[[Record], bool] | None = None) -> Record | None:
        """The first record whose ``fieldname`` equals ``value`` (text compared case-insensitively)."""
        want = value.strip().lower() if isinstance(value, str) else value
        for record in self.records[kind].values():
            have = record.get(fieldname)
            have = have.strip().lower() if isinstance(have, str) else have
            if have == want and have is not None and (where is None or where(record)):
                return record
        return None

    def all(self, kind: str) -> list[Record]:
        return list(self.records[kind].values())

    def put(self, change: Change) -> Record:
        record = change.record
        if change.touch:
            record["UpdatedDateUTC"] = self.now()
        key = record[ID_FIELD[change.kind]]
        self.records[change.kind][key] = record
        self.version += 1
        return record

    def note(self, record: Record, changes: str, user: str = "") -> None:
        """Add a line to a document's history, as Xero keeps one for every change."""
        who = user or API_USER
        how = f"by {who}" if user else "through the Xero API using recon sandbox"
        number = record.get("InvoiceNumber") or record.get("PurchaseOrderNumber") or ""
        self.history.setdefault(record[ID_FIELD["Invoices" if "InvoiceID" in record else "PurchaseOrders"]], []).append(
            {"Changes": changes, "DateUTC": self.now(), "User": who, "Details": f"{changes} {number} {how}".replace("  ", " ")})

    def remove(self, kind: str, key: str) -> None:
        self.records[kind].pop(key, None)
        self.version += 1

    # ------------------------------------------------------------ writes
    def write(self, kind: str, elements: Iterable[Any], mode: str, ctx: Context,
              existing: Record | None = None) -> list[Result]:
        """Create (``mode="create"``, PUT), upsert (``"upsert"``, POST) or update one record (``"update"``).

        Each element succeeds or fails alone. Results come back in request order.
        """
        handler = HANDLERS[kind]
        results = []
        for raw in elements:
            errors: list[str] = []
            data = parse_record(kind, raw, errors)
            try:
                if errors:
                    raise Invalid(*errors)
                if mode == "create":
                    key = data.get(handler.id_field)
                    if key and self.get(kind, key) is not None:
                        raise Invalid(f"{handler.id_field} {key} already exists; use POST to update it")
                    target = None
                else:
                    target = existing if mode == "update" else handler.match(self, data)
                    if target is not None:  # the URL (or the match) names the record, whatever the body says
                        data[handler.id_field] = target[handler.id_field]
                changes = handler.build(self, data, copy.deepcopy(target) if target else None, ctx)
                for n, change in enumerate(changes):
                    before = self.get(change.kind, change.record.get(ID_FIELD[change.kind]) or "")
                    old_status = (before or {}).get("Status")
                    self.put(change)
                    if change.kind in HISTORY_KINDS:
                        self.note(change.record, "Created" if before is None else (
                            STATUS_WORDS.get(change.record.get("Status"), "Edited")
                            if change.record.get("Status") != old_status else "Edited"), ctx.user)
                view = handler.view(self, changes[0].record, ctx)
                results.append(Result(True, {**view, "StatusAttributeString": "OK"}))
            except Invalid as exc:
                results.append(Result(False, handler.echo(data, exc.messages)))
        return results

    # ------------------------------------------------------------ load / dump
    def load(self, payload: dict[str, Any]) -> dict[str, int]:
        """Add or replace records given in GET shapes. All or nothing: a bad record raises ``ValueError``."""
        if not isinstance(payload, dict):
            raise ValueError("load expects an object keyed by kind (Contacts, Items, ...)")
        unknown = set(payload) - set(KINDS) - {"Organisation"}
        if unknown:
            raise ValueError(f"load: unknown kinds {', '.join(sorted(unknown))}; known: {', '.join(KINDS)}")
        staged: list[Change] = []
        counts: dict[str, int] = {}
        shadow = Store(self.clock)
        shadow.records = {k: dict(v) for k, v in self.records.items()}
        shadow._rng = self._rng
        self.version += 1
        shared: dict[int, tuple[Any, Any]] = {}
        for kind in KINDS:
            items = payload.get(kind) or (payload.get("Organisation") if kind == "Organisations" else None) or []
            if not isinstance(items, list):
                raise ValueError(f"load: {kind} must be a list")
            for i, raw in enumerate(items):
                errors: list[str] = []
                data = parse_record(kind, raw, errors, read_only=True, shared=shared)
                name = raw.get(ID_FIELD[kind]) if isinstance(raw, dict) else None
                if errors:
                    raise ValueError(f"load: {kind}[{i}] ({name or 'no id'}): {'; '.join(errors)}")
                try:
                    changes = HANDLERS[kind].load(shadow, data)
                except Invalid as exc:
                    raise ValueError(f"load: {kind}[{i}] ({name or 'no id'}): {exc}") from exc
                for change in changes:
                    shadow.put(change)
                staged.extend(changes)
            counts[kind] = len(items)
        if shadow._skipped:
            shadow._skip_now()  # the shadow shares this store's generator
        for change in staged:
            self.put(Change(change.kind, change.record, touch=False))
        return counts

    def dump(self) -> dict[str, list[Record]]:
        """Every record (archived and deleted included, documents with lines) as a GET with unitdp=4 renders it."""
        ctx = Context(unitdp=4, include_archived=True, paged=True)
        return {kind: [render(HANDLERS[kind].view(self, r, ctx), 4) for r in self.records[kind].values()]
                for kind in KINDS}
