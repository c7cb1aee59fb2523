"""The Precoro emulator's master data: suppliers, items, taxes, item custom fields and their options.

Records are kept in their wire shape (what ``GET`` returns) with ``Decimal`` amounts and aware ``datetime``
timestamps, so rendering is plain serialisation and a loaded record comes back unchanged. Keys that recon does
not model are carried through untouched. Keys starting with ``_`` are internal and never rendered.

Each kind is described by a :class:`Kind` (its typed fields, which of them a write may set, and its rules);
the same coercions serve ``/_sandbox/load`` and the API's ``POST``/``PUT``, so both refuse the same bad input.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Iterator

from recon.money import Precision
from recon.sandbox import precoro_forms as f
from recon.sandbox.precoro_forms import Invalid

UNIQUE_CODE_USED = "This Unique code is already being used."
SKU_USED = "This SKU is already being used."
INTEGRATED = "This object is integrated with Xero and cannot be edited."
ACCOUNTS_FIELD = "Xero Chart of Accounts"


def _money(name: str, v: Any) -> Decimal | None:
    return f.number(name, v)


def _text(name: str, v: Any) -> str | None:
    return f.text(name, v, max_len=2000)


def _bool(name: str, v: Any) -> bool:
    return f.boolean(name, v)


def _int_or_none(name: str, v: Any) -> int | None:
    return None if v is None or v == "" else f.integer(name, v)


def _texts(name: str, v: Any) -> list[str]:
    if v is None or v == "":
        return []
    if not isinstance(v, list):
        v = [v]
    return [f.currency(name, x) for x in v]


#: id(input) → (input, output) while a load runs: generated payloads share nested reference objects between
#: thousands of lines, and converting each once keeps a million-line load linear. Per thread (a ContextVar).
_MEMO: ContextVar[dict[int, tuple[Any, Any]] | None] = ContextVar("precoro_passthrough_memo", default=None)


@contextmanager
def shared_conversions() -> Iterator[None]:
    """Within the block, :func:`passthrough` converts each nested input object once (loads only)."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def shared_table(kind: str) -> dict[int, tuple[Any, Any]] | None:
    """The table :func:`shared` keeps for ``kind`` (None outside :func:`shared_conversions`), for loops that
    look up many values of one kind: pass it to :func:`once`."""
    memo = _MEMO.get()
    if memo is None:
        return None
    table = memo.get(kind)  # type: ignore[call-overload]
    if table is None:
        table = memo[kind] = {}  # type: ignore[index]
    return table  # type: ignore[no-any-return]


def once(table: dict[int, tuple[Any, Any]] | None, value: Any, build: Callable[[], Any]) -> Any:
    """:func:`shared` with the table already at hand."""
    if table is None or not isinstance(value, (dict, list)):
        return build()
    hit = table.get(id(value))
    if hit is None:
        hit = table[id(value)] = (value, build())
    return hit[1]


def shared(kind: str, value: Any, build: Callable[[], Any]) -> Any:
    """``build()`` of ``value``; within :func:`shared_conversions`, once per distinct ``value`` object of a kind
    (for values that are only ever read after the load). A failed build raises, and fails the whole load."""
    memo = _MEMO.get()
    if memo is None or not isinstance(value, (dict, list)):
        return build()
    table = memo.get(kind)  # type: ignore[call-overload]
    if table is None:
        table = memo[kind] = {}  # type: ignore[index]
    hit = table.get(id(value))
    if hit is None:
        hit = table[id(value)] = (value, build())
    return hit[1]


def passthrough(v: Any) -> Any:
    """An unmodelled value, with JSON floats made exact so it renders as it came."""
    if isinstance(v, (dict, list)):
        memo = _MEMO.get()
        if memo is not None:
            hit = memo.get(id(v))
            if hit is not None:
                return hit[1]
        out = _convert(v)
        if memo is not None:
            memo[id(v)] = (v, out)  # keeping ``v`` alive keeps its id unique during the load
        return out
    return _convert(v)


def _convert(v: Any) -> Any:
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            raise Invalid({"value": "This value is not a valid number."})
        return Decimal(repr(v))
    if isinstance(v, Decimal) and not v.is_finite():
        raise Invalid({"value": "This value is not a valid number."})
    if isinstance(v, str) and "\x00" in v:
        raise Invalid({"value": "This value contains a NUL character."})
    if isinstance(v, dict):
        if any(not isinstance(k, str) or "\x00" in k for k in v):
            raise Invalid({"value": "Keys should be text without NUL characters."})
        return {k: passthrough(x) for k, x in v.items()}
    if isinstance(v, list):
        return [passthrough(x) for x in v]
    return v


Coerce = Callable[[str, Any], Any]


@dataclass(frozen=True)
class Kind:
    """One master-data resource: its typed fields (in wire order) and what a write may set."""

    name: str
    base_id: int
    fields: dict[str, tuple[Coerce, Any]]
    writable: frozenset[str]
    required: tuple[str, ...] = ("name",)
    read_only_when_integrated: bool = False

    def coerce(self, data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
        """Typed values of the known fields present in ``data`` (all fields, defaulted, unless ``partial``)."""
        out: dict[str, Any] = {}
        for key, (conv, default) in self.fields.items():
            if key in data:
                out[key] = conv(key, data[key])
            elif not partial:
                out[key] = default() if callable(default) else default
        return out


TIME = (lambda n, v: f.timestamp(n, v), None)
TEXT = (_text, None)

SUPPLIERS = Kind("suppliers", 101, {
    "id": (f.integer, None), "uniqueCode": TEXT, "name": TEXT, "enable": (_bool, True),
    "status": (f.integer, 2), "currency": (lambda n, v: None if v in (None, "") else f.currency(n, v), None),
    "currencies": (_texts, list), "legalAddress": TEXT, "city": TEXT, "state": TEXT, "country": TEXT,
    "postalCode": TEXT, "phone": TEXT, "businessRegistrationNumber": TEXT, "taxPayerNumber": TEXT,
    "contacts": (lambda n, v: _contacts(v), lambda: {"data": []}),
    "externalId": TEXT, "xeroId": TEXT, "integrationStatus": (_int_or_none, None),
    "createDate": TIME, "updateDate": TIME,
}, frozenset({"uniqueCode", "name", "enable", "status", "currency", "currencies", "legalAddress", "city", "state",
              "country", "postalCode", "phone", "businessRegistrationNumber", "taxPayerNumber", "contacts",
              "externalId", "note"}))

ITEMS = Kind("items", 201, {
    "id": (f.integer, None), "name": TEXT, "sku": TEXT, "description": TEXT,
    "price": (_money, Decimal("0")), "type": (f.integer, 1), "typeString": (_text, "Product"),
    "enable": (_bool, True), "unit": TEXT,
    "dataProductCustomFields": (lambda n, v: passthrough(v), lambda: {"data": []}),
    "externalId": TEXT, "xeroId": TEXT, "createDate": TIME, "updateDate": TIME,
}, frozenset({"name", "sku", "description", "price", "enable", "type", "unit", "externalId"}),
    read_only_when_integrated=True)

TAXES = Kind("taxes", 301, {
    "id": (f.integer, None), "name": TEXT, "percent": (_money, Decimal("0")), "value": (_money, Decimal("0")),
    "isWithholdingTax": (_bool, False), "enable": (_bool, True), "externalId": TEXT, "xeroId": TEXT,
    "updateDate": TIME,
}, frozenset({"name", "percent", "value", "isWithholdingTax", "enable", "externalId"}),
    read_only_when_integrated=True)

FIELDS = Kind("itemcustomfields", 1, {
    "id": (f.integer, None), "name": TEXT, "enable": (_bool, True), "externalId": TEXT, "updateDate": TIME,
}, frozenset({"name", "enable", "externalId"}))

OPTIONS = Kind("options", 11, {
    "id": (f.integer, None), "name": TEXT, "code": TEXT, "enable": (_bool, True), "externalId": TEXT,
    "xeroId": TEXT, "parent": (lambda n, v: None if v in (None, "", {}) else {"id": f.ref_id(n, v)}, None),
    "updateDate": TIME,
}, frozenset({"name", "code", "enable", "externalId", "parent"}), read_only_when_integrated=True)

MASTER = {k.name: k for k in (SUPPLIERS, ITEMS, TAXES, FIELDS)}


def _contacts(value: Any) -> dict[str, Any]:
    """``contacts`` as ``{"data": [...]}``; a form sends ``contacts[data][0][email]``."""
    rows = value.get("data", []) if isinstance(value, dict) else value
    if rows in (None, ""):
        rows = []
    if not isinstance(rows, list):
        raise Invalid({"contacts": "This value should be a list of contacts."})
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise Invalid({f"contacts[{i}]": "This value should be a contact."})
        contact = {k: passthrough(v) for k, v in row.items()}
        email = f.text(f"contacts[{i}][email]", row.get("email"))
        if email and ("@" not in email or " " in email.strip()):
            raise Invalid({f"contacts[{i}][email]": "This value is not a valid email address."})
        if "id" in row and row["id"] is not None:
            contact["id"] = f.integer(f"contacts[{i}][id]", row["id"])
        contact["email"] = email
        if "name" in row:
            contact["name"] = f.text(f"contacts[{i}][name]", row["name"])
        out.append(contact)
    return {"data": out}


@dataclass
class State:
    """Everything the emulator holds. Tables map id → record; documents also by ``idn``."""

    company: dict[str, Any]
    tables: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> "State":
        company = {"id": 1, "name": "Sandbox Company", "currency": "NZD", "precisionData": Precision().to_json()}
        kinds = ("suppliers", "items", "taxes", "itemcustomfields", "options", "purchaseorders", "invoices",
                 "payments", "lines", "contacts", "purchaseorders.idn", "invoices.idn", "payments.idn",
                 "payments.by_invoice")
        return cls(company, {k: {} for k in kinds}, {})

    def copy(self) -> "State":
        """A copy sharing the records (they are replaced, not mutated, while staging a load)."""
        return State(dict(self.company), {k: dict(v) for k, v in self.tables.items()}, dict(self.counters))

    def next_id(self, table: str, base: int) -> int:
        current = self.counters.get(table)
        if current is None:
            current = max(self.tables.get(table, {}), default=base - 1)
        self.counters[table] = current + 1
        return current + 1

    def seen(self, table: str, ident: int) -> None:
        """Keep the id sequence above a loaded id."""
        if table in self.counters and ident > self.counters[table]:
            self.counters[table] = ident



def normalise(kind: Kind, data: dict[str, Any], state: State) -> dict[str, Any]:
    """A loaded record in the kind's wire shape (unknown keys kept), with an id assigned when missing."""
    if not isinstance(data, dict):
        raise Invalid({"record": "This value should be an object."})
    typed = kind.coerce(data, partial=False)
    extras = {k: passthrough(v) for k, v in data.items() if k not in kind.fields and not k.startswith("_")}
    record = {**typed, **extras}
    if record["id"] is None:
        record["id"] = state.next_id(kind.name, kind.base_id)
    state.seen(kind.name, record["id"])
    for c in record.get("contacts", {"data": []})["data"] if kind is SUPPLIERS else []:
        if c.get("id") is None:
            c["id"] = state.next_id("contacts", 1)
        state.seen("contacts", c["id"])
    return record


def check_unique(kind: Kind, record: dict[str, Any], state: State, table: str | None = None) -> None:
    """Precoro's uniqueness rules: supplier ``uniqueCode``; ``sku`` among enabled items."""
    rows = state.tables[table or kind.name]
    if kind is SUPPLIERS and record.get("uniqueCode"):
        for other in rows.values():
            if other["id"] != record["id"] and other.get("uniqueCode") == record["uniqueCode"]:
                raise Invalid({"uniqueCode": UNIQUE_CODE_USED})
    if kind is ITEMS and record.get("sku") and record.get("enable"):
        for other in rows.values():
            if other["id"] != record["id"] and other.get("enable") and other.get("sku") == record["sku"]:
                raise Invalid({"sku": SKU_USED})


def check_unique_all(kind: Kind, state: State) -> None:
    """:func:`check_unique` over a whole table at once (loads of many records); names the second holder."""
    seen: dict[Any, int] = {}
    for ident, record in sorted(state.tables[kind.name].items()):
        if kind is SUPPLIERS and record.get("uniqueCode"):
            key, field_, message = record["uniqueCode"], "uniqueCode", UNIQUE_CODE_USED
        elif kind is ITEMS and record.get("sku") and record.get("enable"):
            key, field_, message = record["sku"], "sku", SKU_USED
        else:
            continue
        if key in seen:
            raise Invalid({field_: f"{message} (id {ident}; also id {seen[key]})"})
        seen[key] = ident


def apply_write(kind: Kind, state: State, body: dict[str, Any], existing: dict[str, Any] | None,
                now: datetime, *, table: str | None = None) -> dict[str, Any]:
    """The record after a ``POST`` (``existing`` None) or ``PUT`` of ``body``; validated, not yet stored."""
    if existing is not None and kind.read_only_when_integrated and existing.get("xeroId"):
        raise Invalid({"xeroId": INTEGRATED})
    given = {k: v for k, v in body.items() if k in kind.writable}
    changes = kind.coerce(given, partial=True)
    if "note" in given:
        changes["note"] = _text("note", given["note"])
    if existing is None:
        record = kind.coerce({}, partial=False)
        record.update(changes)
        record["id"] = state.next_id(table or kind.name, kind.base_id)
        if "createDate" in kind.fields:
            record["createDate"] = now
    else:
        record = {**existing, **changes}
    for name in kind.required:
        if not record.get(name) or not str(record[name]).strip():
            raise Invalid({name: "This value should not be blank."})
    if kind is SUPPLIERS:
        _supplier_rules(record, changes, state, now, existing)
    if kind is TAXES:
        _tax_rules(record, changes, existing)
    if kind is ITEMS:
        if record["price"] is not None and record["price"] < 0:
            raise Invalid({"price": "This value should be greater than or equal to 0."})
        if "accountOption" in body:
            record["dataProductCustomFields"] = _account_option(state, body["accountOption"], record)
    check_unique(kind, record, state, table)
    record["updateDate"] = now
    return record


def _supplier_rules(record: dict[str, Any], changes: dict[str, Any], state: State, now: datetime,
                    existing: dict[str, Any] | None = None) -> None:
    if not record.get("uniqueCode"):
        record["uniqueCode"] = f"S-{record['id']:04d}"
    if "currencies" in changes and "currency" not in changes and record["currencies"]:
        if record.get("currency") not in record["currencies"]:
            record["currency"] = record["currencies"][0]
    if record.get("currency") and record["currency"] not in record["currencies"]:
        record["currencies"] = [*record["currencies"], record["currency"]]
    if record.get("currency") is None:
        record["currency"] = state.company.get("currency")
        record["currencies"] = [record["currency"], *[c for c in record["currencies"] if c != record["currency"]]]
    # contacts[data][N] of a PUT edits the supplier's N-th contact, which keeps its id: the same PUT sent twice
    # leaves the same supplier (the connector resends a PUT whose reply was lost)
    before = ((existing or {}).get("contacts") or {"data": []})["data"]
    for n, contact in enumerate(record["contacts"]["data"]):
        if contact.get("id") is None:
            contact["id"] = before[n]["id"] if n < len(before) and before[n].get("id") is not None \
                else state.next_id("contacts", 1)


def _tax_rules(record: dict[str, Any], changes: dict[str, Any], existing: dict[str, Any] | None) -> None:
    if "percent" in changes and "value" not in changes:
        record["value"] = record["percent"]
    elif "value" in changes and "percent" not in changes:
        record["percent"] = record["value"]
    if existing is None and "percent" not in changes and "value" not in changes:
        raise Invalid({"percent": "This value should not be blank."})
    for name in ("percent", "value"):
        if record[name] is None:
            raise Invalid({name: "This value should not be blank."})
        if not Decimal(0) <= record[name] <= Decimal(100):
            raise Invalid({name: "This value should be between 0 and 100."})


def _account_option(state: State, value: Any, item: dict[str, Any]) -> dict[str, Any]:
    """Set the item's "Xero Chart of Accounts" option (``accountOption[id]``); unknown ids are refused."""
    option_id = f.ref_id("accountOption", value)
    option = state.tables["options"].get(option_id)
    cf = state.tables["itemcustomfields"].get(option["_field"]) if option else None
    if option is None or cf is None:
        raise Invalid({"accountOption": f"Option {option_id} does not exist."})
    if cf.get("name") != ACCOUNTS_FIELD:
        raise Invalid({"accountOption": f"Option {option_id} is not an option of {ACCOUNTS_FIELD}."})
    entry = {"itemCustomField": {"id": cf["id"], "name": cf["name"]},
             "option": {"id": option["id"], "code": option.get("code"), "name": option.get("name")}}
    rows = [r for r in (item.get("dataProductCustomFields") or {}).get("data", [])
            if (r.get("itemCustomField") or {}).get("id") != cf["id"]]
    return {"data": [entry, *rows]}


def set_external_id(record: dict[str, Any], body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """``PATCH``: the record with a new ``externalId`` (empty unlinks)."""
    if "externalId" not in body:
        raise Invalid({"externalId": "This value should not be blank."})
    value = f.text("externalId", body["externalId"]) or None
    return {**record, "externalId": value, "updateDate": now}


def render(record: dict[str, Any]) -> dict[str, Any]:
    """The wire shape: internal ``_`` keys removed."""
    return {k: v for k, v in record.items() if not k.startswith("_")}
