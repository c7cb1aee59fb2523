"""Many nights of recon, run through the emulators the way its users live them (issue 10's proof).

A :class:`World` holds both emulators (real HTTP on loopback), the official xero-python SDK logged in to the
Xero one, an httpx client for the Precoro one, and a folder with recon's state and run folders. One *cycle*:

1. a few random changes, each made through a public API as a person would make it: edits of compared fields,
   creations, inactivations, deletions, documents approved, revised and cancelled, payments. Xero through the
   SDK; Precoro through httpx, and its purchase orders and invoices (which its API does not create) through
   ``/_sandbox/load`` in the API's own detail shape, as approvals in Precoro would make them appear;
2. ``recon reconcile`` and ``recon apply --approve all`` as command-line subprocesses (repeated while a
   faulted apply left something undone), then ``recon reconcile`` once more;
3. the checks: that last reconcile proposes nothing and shows no actionable row; no contact, supplier, PO,
   bill or payment exists twice; every change of the cycle reached both sides, or lost to the stated rule
   (Xero wins a supplier conflict; the source puts back a blocked edit); money is exact.

Every change returns :class:`Expect` rows saying what both sides must hold after the cycle. A failure names
the seed and the cycle, so ``RECON_LIFECYCLE_SEED=<seed>`` replays it.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import random
import sqlite3
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import httpx
import pandas as pd
from xero_python.accounting import (Account, AccountType, Address, Contact, Contacts, CurrencyCode, Invoice, Invoices, Item,
                                    Items, LineItem, Payment, Payments, Phone, Purchase, PurchaseOrder,
                                    PurchaseOrders, TaxComponent, TaxRate, TaxRates, TrackingOption)

from xero_python.exceptions import ApiException

from recon import money
from recon.config import (SANDBOX_PRECORO_EMAIL, SANDBOX_PRECORO_TOKEN, SANDBOX_XERO_CLIENT_ID,
                          SANDBOX_XERO_CLIENT_SECRET, SANDBOX_XERO_TENANT_ID)
from recon.sandbox import Sandbox
from recon.snapshot import Snapshot
from xero_sdk import make_sdk

ROOT = Path(__file__).resolve().parents[1]
RECON = [sys.executable, "-m", "recon.cli"]
TENANT = SANDBOX_XERO_TENANT_ID
LIMITS = {"xero": {"minute": 10**6, "day": 10**7}, "precoro": {"minute": 10**6, "hour": 10**6, "day": 10**7}}
#: faults of a faulted run: a fraction of every request gets a 429 (Retry-After 1 s) or a 5xx, or its connection
#: dropped before it is handled or after (a write committed whose reply never arrives)
FAULTS = {"rate_429": 0.03, "rate_5xx": 0.03, "rate_drop": 0.02, "rate_drop_after": 0.02, "retry_after": 1}
PRECORO_HEADERS = {"X-AUTH-TOKEN": SANDBOX_PRECORO_TOKEN, "email": SANDBOX_PRECORO_EMAIL}


@dataclass(frozen=True)
class Expect:
    """After the cycle both sides of the pair hold ``value`` in ``field`` (canonical text; ``key`` names the
    record: ``("xero", id)`` or ``("precoro", id)``, or ``("name", text)``/``("number", text)`` for a record made
    in this cycle, found by that value on the side it was made). ``why`` is shown when it does not hold."""

    kind: str
    key: tuple[str, str]
    field: str
    value: str
    why: str


def _norm(kind: str, name: str, value: str) -> str:
    value = " ".join(str(value or "").split())
    if name in ("email", "currency", "country", "tax_type"):
        value = value.lower()
    if name in ("purchase_price", "unit_amount", "quantity", "rate", "amount", "total", "subtotal", "total_tax"):
        value = str(Decimal(value).normalize()) if value else ""
    return value


@dataclass
class World:
    """Both emulators, the clients that change them, and recon's state and run folders."""

    folder: Path
    seed: int
    faults: bool = False
    cycle: int = 0
    runs: int = 0
    sb: Sandbox = field(init=False)
    busy: set[tuple[str, str]] = field(default_factory=set)
    made: list[str] = field(default_factory=list)
    injected: int = 0

    def __post_init__(self) -> None:
        self.sb = Sandbox(seed="demo", xero_limits=LIMITS["xero"], precoro_limits=LIMITS["precoro"]).start()
        self.xero = make_sdk(self.sb.xero_url).acc
        # a fresh connection per call: these clients are used a few times a cycle, with gaps of seconds while
        # recon runs, and uvicorn closes a connection idle for 5 s; a request sent on a pooled connection as the
        # server closes it fails with "Server disconnected without sending a response" (seen once, on a loaded
        # machine, on POST /_sandbox/load), a race of the test's client, not of recon's
        fresh = httpx.Limits(max_keepalive_connections=0)
        self.precoro = httpx.Client(base_url=self.sb.precoro_url, headers=PRECORO_HEADERS, timeout=30, limits=fresh)
        self.admin = httpx.Client(timeout=30, limits=fresh)
        self.rng = random.Random(self.seed)
        self.env = {**os.environ, "PYTHONPATH": str(ROOT),
                    "RECON_XERO_CLIENT_ID": SANDBOX_XERO_CLIENT_ID, "RECON_XERO_CLIENT_SECRET": SANDBOX_XERO_CLIENT_SECRET,
                    "RECON_XERO_TENANT_ID": TENANT, "RECON_XERO_API_URL": self.sb.xero_url,
                    "RECON_XERO_IDENTITY_URL": self.sb.xero_url, "RECON_PRECORO_TOKEN": SANDBOX_PRECORO_TOKEN,
                    "RECON_PRECORO_EMAIL": SANDBOX_PRECORO_EMAIL, "RECON_PRECORO_BASE_URL": self.sb.precoro_url,
                    "RECON_STATE": str(self.folder / "state.sqlite"), "RECON_REPORTS_DIR": str(self.folder / "runs"),
                    "RECON_TOKEN_FILE": str(self.folder / "tokens.json"), "USER": "lifecycle",
                    # the emulators here allow far more than Xero does; a machine-wide budget of 60 calls a
                    # minute shared by the ~60 processes of twenty nights run in minutes would make them wait
                    "RECON_LIMITS_STORE": "memory"}
        self.last: Snapshot | None = None

    def close(self) -> None:
        self.precoro.close()
        self.admin.close()
        self.sb.stop()

    # -- recon on the command line -----------------------------------------------------------------------
    def recon(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*RECON, *args], env=self.env, cwd=self.folder, capture_output=True, text=True,
                              timeout=240)

    def reconcile(self) -> Path:
        self.runs += 1
        out = self.folder / "runs" / f"r{self.runs:04d}"
        done = self.recon("reconcile", "--out", str(out))
        assert done.returncode == 0, f"recon reconcile failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        self.last = Snapshot.load(out)
        return out

    def apply(self, run: Path) -> subprocess.CompletedProcess:
        return self.recon("apply", str(run / "plan.json"), "--approve", "all")

    def set_faults(self, on: bool) -> None:
        body = FAULTS if on else {name: 0.0 for name in FAULTS if name.startswith("rate_")}
        for url in (self.sb.xero_url, self.sb.precoro_url):
            if not on:
                self.injected += self.admin.get(f"{url}/_sandbox/faults").json()["injected"]
            self.admin.post(f"{url}/_sandbox/faults", json={**body, "seed": self.seed + self.cycle}).raise_for_status()

    def sync(self) -> Path:
        """Reconcile, apply everything, until nothing is left (a faulted apply may leave actions undone);
        then the reconcile whose emptiness the checks assert."""
        for attempt in range(4):
            if self.faults:
                self.set_faults(True)
            try:
                run = self.reconcile()
                plan = json.loads((run / "plan.json").read_text())
                if not plan["actions"]:
                    break
                done = self.apply(run)
            finally:
                if self.faults:
                    self.set_faults(False)
            if done.returncode == 0:
                break
            assert self.faults, f"recon apply failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}"
        return self.reconcile()

    # -- reading the two systems (for choosing what to change, and for the checks) ---------------------
    def links(self) -> pd.DataFrame:
        path = self.folder / "state.sqlite"
        if not path.is_file():
            return pd.DataFrame(columns=["kind", "precoro_id", "xero_id"])
        with sqlite3.connect(path) as db:
            return pd.read_sql("SELECT kind, precoro_id, xero_id FROM links", db).astype(str)

    def frames(self, kind: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        assert self.last is not None
        return self.last.frame("precoro", kind), self.last.frame("xero", kind)

    def pairs(self, kind: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Linked pairs of the last snapshot: by the Xero id Precoro stores, else recon's link table."""
        p, x = self.frames(kind)
        table = self.links()
        table = dict(zip(table[table["kind"] == kind]["precoro_id"], table[table["kind"] == kind]["xero_id"]))
        by_id = {str(r["id"]): r for r in x.to_dict("records")}
        out = []
        for rec in p.to_dict("records"):
            xid = _text(rec["xero_id"]) or table.get(str(rec["id"]), "")
            if xid in by_id:
                out.append((rec, by_id[xid]))
        return out

    def active_pairs(self, kind: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Pairs active on both sides that no other change of this cycle touched."""
        return [(p, x) for p, x in self.pairs(kind) if _on(p) and _on(x) and (kind, str(x["id"])) not in self.busy]

    def claim(self, kind: str, xero_id: Any) -> None:
        """One change per record and cycle: two would make the first one's expectation void."""
        self.busy.add((kind, str(xero_id)))

    def unique(self, stem: str) -> str:
        return f"{stem} {self.seed}-{self.cycle}-{self.rng.randrange(10**6)}"


def _text(value: Any) -> str:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _on(record: dict[str, Any]) -> bool:
    value = record.get("active")
    return value is None or value is pd.NA or bool(value)


# -- changes through the public APIs ----------------------------------------------------------------------
Change = Callable[[World], list[Expect]]
CHANGES: dict[str, Change] = {}


def change(fn: Change) -> Change:
    CHANGES[fn.__name__] = fn
    return fn


def _pick(world: World, items: list[Any], kind: str = "") -> Any:
    """A random one of ``items``; a pair picked for ``kind`` is claimed for the rest of the cycle."""
    if not items:
        return None
    chosen = world.rng.choice(items)
    if kind:
        world.claim(kind, chosen[1]["id"])
    return chosen


SUPPLIER_EDITS = {
    # canonical field -> (Precoro form field, a new value)
    "phone": ("phone", lambda w: f"+64 9 {w.rng.randrange(100, 999)} {w.rng.randrange(1000, 9999)}"),
    "email": ("contacts[data][0][email]", lambda w: f"ap{w.rng.randrange(10**6)}@example.test"),
    "address_line1": ("legalAddress", lambda w: f"{w.rng.randrange(1, 300)} {w.rng.choice(['Queen', 'King', 'Kahu'])} St"),
    "city": ("city", lambda w: w.rng.choice(["Auckland", "Hamilton", "Nelson", "Dunedin", "Napier"])),
    "region": ("state", lambda w: w.rng.choice(["Auckland", "Waikato", "Otago", "Canterbury"])),
    "postal_code": ("postalCode", lambda w: str(w.rng.randrange(1000, 9999))),
    "tax_number": ("taxPayerNumber", lambda w: f"{w.rng.randrange(100, 999)}-{w.rng.randrange(100, 999)}-{w.rng.randrange(100, 999)}"),
    "company_number": ("businessRegistrationNumber", lambda w: str(w.rng.randrange(10**12, 10**13))),
    "name": ("name", lambda w: w.unique("Supplier")),
    "currency": ("currency", lambda w: w.rng.choice(["NZD", "AUD", "USD"])),
    "country": ("country", lambda w: w.rng.choice(["NZ", "AU"])),
}


def _new_value(world: World, fld: str, pair: tuple[dict[str, Any], dict[str, Any]]) -> str:
    held = {_norm("supplier", fld, _text(side.get(fld))) for side in pair}
    for _ in range(50):
        value = SUPPLIER_EDITS[fld][1](world)
        if _norm("supplier", fld, value) not in held:
            return value
    return world.unique(fld)


def _precoro_supplier_form(fld: str, value: str) -> dict[str, str]:
    wire = SUPPLIER_EDITS[fld][0]
    return {wire: value, "currencies[]": value} if fld == "currency" else {wire: value}


def _xero_contact_update(world: World, contact_id: str, fld: str, value: str) -> None:
    contact = world.xero.get_contact(TENANT, contact_id).contacts[0]
    street = next((a for a in contact.addresses or [] if a.address_type == "STREET"), None)
    address = Address(address_type="STREET", address_line1=street.address_line1 if street else "",
                      city=street.city if street else "", region=street.region if street else "",
                      postal_code=street.postal_code if street else "", country=street.country if street else "")
    kwargs: dict[str, Any] = {}
    if fld == "phone":
        kwargs["phones"] = [Phone(phone_type="DEFAULT", phone_number=value)]
    elif fld == "email":
        kwargs["email_address"] = value
    elif fld == "currency":
        kwargs["default_currency"] = CurrencyCode(value)
    elif fld in ("address_line1", "city", "region", "postal_code", "country"):
        setattr(address, fld, value)
        kwargs["addresses"] = [address]
    elif fld == "tax_number":
        kwargs["tax_number"] = value
    elif fld == "company_number":
        kwargs["company_number"] = value
    elif fld == "name":
        kwargs["name"] = value
    world.xero.update_contact(TENANT, contact_id, Contacts(contacts=[Contact(**kwargs)]))


def _precoro_put(world: World, path: str, form: dict[str, str]) -> dict[str, Any]:
    reply = world.precoro.put(path, data=form)
    assert reply.status_code < 300, f"PUT {path} {form}: {reply.status_code} {reply.text[:300]}"
    return reply.json()


@change
def xero_edits_a_supplier(world: World) -> list[Expect]:
    pair = _pick(world, world.active_pairs("supplier"), "supplier")
    if pair is None:
        return []
    fld = world.rng.choice(list(SUPPLIER_EDITS))
    value = _new_value(world, fld, pair)
    _xero_contact_update(world, pair[1]["id"], fld, value)
    return [Expect("supplier", ("xero", pair[1]["id"]), fld, value, f"{fld} changed in Xero flows to Precoro")]


@change
def precoro_edits_a_supplier(world: World) -> list[Expect]:
    pair = _pick(world, world.active_pairs("supplier"), "supplier")
    if pair is None:
        return []
    fld = world.rng.choice(list(SUPPLIER_EDITS))
    value = _new_value(world, fld, pair)
    _precoro_put(world, f"/suppliers/{pair[0]['id']}", _precoro_supplier_form(fld, value))
    return [Expect("supplier", ("xero", pair[1]["id"]), fld, value, f"{fld} changed in Precoro flows to Xero")]


@change
def both_edit_a_supplier(world: World) -> list[Expect]:
    pair = _pick(world, world.active_pairs("supplier"), "supplier")
    if pair is None:
        return []
    fld = world.rng.choice([f for f in SUPPLIER_EDITS if f != "name"])
    # a change on each side: a value neither side holds (a "change" to the value already there is none)
    theirs = _new_value(world, fld, pair)
    ours = _new_value(world, fld, pair)
    _precoro_put(world, f"/suppliers/{pair[0]['id']}", _precoro_supplier_form(fld, ours))
    _xero_contact_update(world, pair[1]["id"], fld, theirs)
    same = _norm("supplier", fld, theirs) == _norm("supplier", fld, ours)
    return [Expect("supplier", ("xero", pair[1]["id"]), fld, theirs,
                   "changed the same way on both sides" if same else "changed on both sides: Xero wins")]


@change
def xero_creates_a_supplier(world: World) -> list[Expect]:
    name = world.unique("Xero Supplier")
    email = f"ap{world.rng.randrange(10**6)}@example.test"
    world.xero.create_contacts(TENANT, Contacts(contacts=[Contact(
        name=name, email_address=email, default_currency=CurrencyCode("NZD"),
        phones=[Phone(phone_type="DEFAULT", phone_number=f"+64 4 555 {world.rng.randrange(1000, 9999)}")],
        addresses=[Address(address_type="STREET", address_line1="1 Lambton Quay", city="Wellington",
                           region="Wellington", postal_code="6011", country="NZ")])]))
    return [Expect("supplier", ("name", name), "email", email, "a contact created in Xero is created in Precoro")]


@change
def precoro_creates_a_supplier(world: World) -> list[Expect]:
    name = world.unique("Precoro Supplier")
    email = f"orders{world.rng.randrange(10**6)}@example.test"
    reply = world.precoro.post("/suppliers", data={
        "name": name, "currency": "NZD", "currencies[]": "NZD", "contacts[data][0][email]": email,
        "phone": f"+64 3 555 {world.rng.randrange(1000, 9999)}", "legalAddress": "9 Cashel St", "city": "Christchurch",
        "state": "Canterbury", "postalCode": "8011", "country": "NZ"})
    assert reply.status_code < 300, reply.text
    return [Expect("supplier", ("name", name), "email", email, "a supplier created in Precoro is created in Xero")]


@change
def xero_archives_a_supplier(world: World) -> list[Expect]:
    # a contact of an open (unpaid, unvoided) document stays: archiving it would strand the document
    busy = _busy_contacts(world)
    pair = _pick(world, [(p, x) for p, x in world.active_pairs("supplier") if x["id"] not in busy], "supplier")
    if pair is None:
        return []
    world.xero.update_contact(TENANT, pair[1]["id"], Contacts(contacts=[Contact(contact_status="ARCHIVED")]))
    return [Expect("supplier", ("xero", pair[1]["id"]), "active", "false", "archived in Xero: inactive in Precoro")]


@change
def precoro_disables_a_supplier(world: World) -> list[Expect]:
    busy = _busy_contacts(world)
    pair = _pick(world, [(p, x) for p, x in world.active_pairs("supplier") if x["id"] not in busy], "supplier")
    if pair is None:
        return []
    _precoro_put(world, f"/suppliers/{pair[0]['id']}", {"enable": "0"})
    return [Expect("supplier", ("xero", pair[1]["id"]), "active", "false", "disabled in Precoro: archived in Xero")]


def _busy_contacts(world: World) -> set[str]:
    busy = set()
    for kind in ("purchase_order", "bill"):
        _, x = world.frames(kind)
        busy |= set(x["supplier_xero_id"].dropna().astype(str))
    return busy


ITEM_EDITS = ("purchase_price", "name", "description", "code", "account_code")


def _xero_item(world: World, item_id: str) -> Any:
    return world.xero.get_item(TENANT, item_id, unitdp=4).items[0]


@change
def xero_edits_an_item(world: World) -> list[Expect]:
    pair = _pick(world, world.active_pairs("item"), "item")
    if pair is None:
        return []
    item = _xero_item(world, pair[1]["id"])
    fld = world.rng.choice(ITEM_EDITS)
    details = item.purchase_details
    kwargs: dict[str, Any] = {"code": item.code}
    if fld == "purchase_price":
        value = str(Decimal(world.rng.randrange(100, 99999)) / 100)
        kwargs["purchase_details"] = Purchase(unit_price=Decimal(value), account_code=details.account_code,
                                              tax_type=details.tax_type)
    elif fld == "name":
        value = world.unique("Item")[:50]
        kwargs["name"] = value
    elif fld == "description":
        value = world.unique("Purchased as")
        kwargs["purchase_description"] = value
    elif fld == "code":
        value = f"C{world.seed % 1000}-{world.cycle}-{world.rng.randrange(10**5)}"[:30]
        kwargs["code"] = value
    else:
        accounts = [x for p, x in world.active_pairs("account") if _text(x["code"]).startswith(("4", "7"))]
        if not accounts:
            return []
        value = _text(world.rng.choice(accounts)["code"])
        kwargs["purchase_details"] = Purchase(unit_price=details.unit_price, account_code=value, tax_type=details.tax_type)
    world.xero.update_item(TENANT, item.item_id, Items(items=[Item(**kwargs)]), unitdp=4)
    return [Expect("item", ("xero", item.item_id), fld, value, f"item {fld} changed in Xero flows to Precoro")]


@change
def precoro_edits_an_item(world: World) -> list[Expect]:
    pair = _pick(world, world.active_pairs("item"), "item")
    if pair is None:
        return []
    value = str(Decimal(world.rng.randrange(100, 99999)) / 100)
    _precoro_put(world, f"/items/{pair[0]['id']}", {"price": value})
    return [Expect("item", ("xero", pair[1]["id"]), "purchase_price", _text(pair[1]["purchase_price"]),
                   "an item price edited in Precoro (read-only there) is put back from Xero")]


@change
def xero_stops_purchasing_an_item(world: World) -> list[Expect]:
    pair = _pick(world, world.active_pairs("item"), "item")
    if pair is None:
        return []
    item = _xero_item(world, pair[1]["id"])
    world.xero.update_item(TENANT, item.item_id, Items(items=[Item(code=item.code, is_purchased=False)]))
    return [Expect("item", ("xero", item.item_id), "active", "false", "an item no longer purchased is inactivated in Precoro")]


@change
def xero_deletes_an_item(world: World) -> list[Expect]:
    assert world.last is not None
    used = set()  # Xero refuses to delete an item used on a document
    for kind in ("purchase_order", "bill"):
        used |= set(world.last.frame("xero", f"{kind}_lines")["item_code"].dropna().astype(str))
    pair = _pick(world, [(p, x) for p, x in world.active_pairs("item") if _text(x["code"]) not in used], "item")
    if pair is None:
        return []
    world.xero.delete_item(TENANT, pair[1]["id"])
    return [Expect("item", ("precoro", str(pair[0]["id"])), "active", "false", "an item deleted in Xero is inactivated in Precoro")]


@change
def xero_creates_an_item(world: World) -> list[Expect]:
    code = f"LC-{world.seed}-{world.cycle}-{world.rng.randrange(10**4)}"[:30]
    price = str(Decimal(world.rng.randrange(100, 99999)) / 100)
    world.xero.create_items(TENANT, Items(items=[Item(code=code, name=f"Lifecycle {code}"[:50],
        purchase_description=f"made in cycle {world.cycle}", is_purchased=True,
        purchase_details=Purchase(unit_price=Decimal(price), account_code="300", tax_type="INPUT2"))]), unitdp=4)
    return [Expect("item", ("code", code), "purchase_price", price, "an item created in Xero is created in Precoro")]


@change
def xero_changes_an_account(world: World) -> list[Expect]:
    system = {"090", "800", "820", "860"}
    pair = _pick(world, [(p, x) for p, x in world.active_pairs("account") if _text(x["code"]) not in system], "account")
    if pair is None:
        return []
    roll = world.rng.random()
    if roll < 0.35:
        name = world.unique("Expenses")[:150]
        world.xero.update_account(TENANT, pair[1]["id"], _accounts(Account(name=name)))
        return [Expect("account", ("xero", pair[1]["id"]), "name", name, "an account renamed in Xero")]
    if roll < 0.6:
        code = _free_account_code(world)
        world.xero.update_account(TENANT, pair[1]["id"], _accounts(Account(code=code)))
        return [Expect("account", ("xero", pair[1]["id"]), "code", code, "an account's code changed in Xero")]
    if roll < 0.8:
        world.xero.delete_account(TENANT, pair[1]["id"])  # refused (a 400) when the account has transactions
        return [Expect("account", ("precoro", str(pair[0]["id"])), "active", "false", "an account deleted in Xero")]
    world.xero.update_account(TENANT, pair[1]["id"], _accounts(Account(status="ARCHIVED")))
    return [Expect("account", ("xero", pair[1]["id"]), "active", "false", "an account archived in Xero")]


def _free_account_code(world: World) -> str:
    _, x = world.frames("account")
    used = set(x["code"].dropna().astype(str))
    return next(str(c) for c in range(600 + world.rng.randrange(300), 2000) if str(c) not in used)


@change
def xero_creates_an_account(world: World) -> list[Expect]:
    code = _free_account_code(world)
    world.xero.create_account(TENANT, Account(code=code, name=world.unique("Costs")[:150], type=AccountType.EXPENSE,
                                              tax_type="INPUT2"))
    return [Expect("account", ("code", code), "code", code, "an account created in Xero")]


def _accounts(account: Account) -> Any:
    from xero_python.accounting import Accounts
    return Accounts(accounts=[account])


@change
def xero_changes_a_tracking_option(world: World) -> list[Expect]:
    pair = _pick(world, world.active_pairs("tracking_option"), "tracking_option")
    if pair is None:
        return []
    category, option = pair[1]["category_id"], pair[1]["id"]
    roll = world.rng.random()
    if roll < 0.4:
        name = world.unique("Area")[:100]
        world.xero.update_tracking_options(TENANT, category, option, TrackingOption(name=name))
        return [Expect("tracking_option", ("xero", option), "name", name, "a tracking option renamed in Xero")]
    if roll < 0.7:
        world.xero.update_tracking_options(TENANT, category, option, TrackingOption(name=pair[1]["name"], status="ARCHIVED"))
        return [Expect("tracking_option", ("precoro", str(pair[0]["id"])), "active", "false", "a tracking option archived in Xero")]
    world.xero.delete_tracking_options(TENANT, category, option)
    return [Expect("tracking_option", ("precoro", str(pair[0]["id"])), "active", "false", "a tracking option deleted in Xero")]


@change
def xero_renames_a_tracking_category(world: World) -> list[Expect]:
    pairs = world.active_pairs("tracking_option")
    categories = sorted({str(x["category_id"]) for _, x in pairs})
    if not categories:
        return []
    category = world.rng.choice(categories)
    options = [(p, x) for p, x in world.pairs("tracking_option") if str(x["category_id"]) == category]
    if ("tracking_category", category) in world.busy or any(
            ("tracking_option", str(x["id"])) in world.busy for _, x in options):
        return []
    world.claim("tracking_category", category)
    name = world.unique("Dimension")[:100]
    from xero_python.accounting import TrackingCategory
    world.xero.update_tracking_category(TENANT, category, TrackingCategory(name=name))
    for _, x in options:
        world.claim("tracking_option", x["id"])
    return [Expect("tracking_option", ("xero", str(x["id"])), "category", name, "a tracking category renamed in Xero")
            for p, x in options if _on(p) and _on(x)]


@change
def xero_creates_a_tracking_option(world: World) -> list[Expect]:
    _, x = world.frames("tracking_option")
    categories = sorted(set(zip(x["category_id"].astype(str), x["category"].astype(str))))
    if not categories:
        return []
    category_id, category = world.rng.choice(categories)
    if ("tracking_category", category_id) in world.busy:
        return []
    world.claim("tracking_category", category_id)
    name = world.unique("Branch")[:100]
    world.xero.create_tracking_options(TENANT, category_id, TrackingOption(name=name))
    return [Expect("tracking_option", ("name", name), "category", category, "a tracking option created in Xero")]


@change
def xero_changes_a_tax_rate(world: World) -> list[Expect]:
    used = {"INPUT2", "NONE", "OUTPUT2"} | _used_tax_types(world)
    pair = _pick(world, [(p, x) for p, x in world.active_pairs("tax_rate") if _text(x["id"]) not in used], "tax_rate")
    if pair is None:
        return []
    rate = world.xero.get_tax_rate_by_tax_type(TENANT, pair[1]["id"]).tax_rates[0]
    roll = world.rng.random()
    if roll < 0.3:
        # a rate no document uses yet (an existing line keeps the rate it was computed with)
        percent = Decimal(world.rng.randrange(1, 30))
        world.xero.update_tax_rate(TENANT, TaxRates(tax_rates=[TaxRate(name=rate.name, tax_type=rate.tax_type,
            tax_components=[TaxComponent(name="Rate", rate=percent, is_compound=False)])]))
        return [Expect("tax_rate", ("xero", rate.tax_type), "rate", str(percent), "a tax rate's rate changed in Xero")]
    if roll < 0.65:
        name = world.unique("Tax")[:50]
        world.xero.update_tax_rate(TENANT, TaxRates(tax_rates=[TaxRate(name=name, tax_type=rate.tax_type,
                                                                         tax_components=rate.tax_components)]))
        return [Expect("tax_rate", ("xero", rate.tax_type), "name", name, "a tax rate renamed in Xero")]
    world.xero.update_tax_rate(TENANT, TaxRates(tax_rates=[TaxRate(name=rate.name, tax_type=rate.tax_type, status="DELETED",
                                                                     tax_components=rate.tax_components)]))
    return [Expect("tax_rate", ("precoro", str(pair[0]["id"])), "active", "false", "a tax rate deleted in Xero")]


def _used_tax_types(world: World) -> set[str]:
    assert world.last is not None
    return {t for system in ("precoro", "xero") for kind in ("purchase_order_lines", "bill_lines")
            for t in world.last.frame(system, kind)["tax_type"].dropna().astype(str)}


@change
def xero_creates_a_tax_rate(world: World) -> list[Expect]:
    name = world.unique("Levy")[:50]
    percent = Decimal(world.rng.randrange(1, 30))
    world.xero.create_tax_rates(TENANT, TaxRates(tax_rates=[TaxRate(name=name, report_tax_type="INPUT",
        tax_components=[TaxComponent(name="Levy", rate=percent, is_compound=False)])]))
    return [Expect("tax_rate", ("name", name), "rate", str(percent), "a tax rate created in Xero")]


# -- documents ---------------------------------------------------------------------------------------------
def _detail(world: World, kind: str, idn: Any) -> dict[str, Any]:
    path = {"purchase_order": "purchaseorders", "bill": "invoices"}[kind]
    reply = world.precoro.get(f"/{path}/{idn}")
    reply.raise_for_status()
    body = json.loads(reply.content, parse_float=Decimal)
    return body.get("data", body) if isinstance(body.get("data"), dict) else body


def _load(world: World, kind: str, doc: dict[str, Any]) -> None:
    key = {"purchase_order": "purchaseorders", "bill": "invoices"}[kind]
    reply = world.admin.post(f"{world.sb.precoro_url}/_sandbox/load",
                             content=json.dumps({key: [doc]}, default=str), headers={"Content-Type": "application/json"})
    assert reply.status_code < 300, f"load {kind} {doc.get('idn')}: {reply.text[:500]}"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _recompute(doc: dict[str, Any]) -> None:
    """Line and document amounts as Precoro computes them (at the document's precision)."""
    precision = money.Precision.from_json(doc["precisionData"])
    lines = []
    for line in doc["items"]["data"]:
        percent = Decimal(str(line["tax"]["percent"])) if line.get("tax") else None
        computed = money.precoro_line(Decimal(str(line["quantity"])), Decimal(str(line["price"])), percent, precision)
        line.update(netSum=computed.net, taxSum=computed.tax, sum=computed.gross)
        lines.append(computed)
    totals = money.precoro_totals(lines, precision)
    doc.update(netSum=totals.subtotal, sum=totals.total)


def _new_lines(world: World, count: int) -> list[dict[str, Any]]:
    """Catalogue lines a person could pick in Precoro today: enabled integrated items, enabled taxes, and
    enabled account and tracking options (the references are filled in from the live records when served)."""
    live = world.sb.precoro.dump()

    def usable(kind: str, record: dict[str, Any]) -> bool:
        # enabled, integrated, and not changed in Xero in this cycle (a person picks what Precoro shows)
        return bool(record.get("enable", True) and record.get("externalId")) and (kind, record["externalId"]) not in world.busy
    items = [i for i in live["items"] if usable("item", i)]
    taxes = [t for t in live["taxes"] if usable("tax_rate", t) and t["externalId"] != "NONE"]
    fields = {f["name"]: [o for o in f.get("options", []) if usable(
        "account" if f["name"] == "Xero Chart of Accounts" else "tracking_option", o)]
        for f in live["itemcustomfields"] if f.get("enable", True)}
    accounts = [o for o in fields.pop("Xero Chart of Accounts", []) if o.get("code") and o["code"] >= "300"]
    if not items or not taxes or not accounts:
        return []
    lines = []
    for n in range(count):
        item, tax, account = world.rng.choice(items), world.rng.choice(taxes), world.rng.choice(accounts)
        world.claim("account", account["externalId"])
        custom = [{"itemCustomField": {"id": f["id"], "name": f["name"]}, "option": {"id": account["id"]}}
                  for f in live["itemcustomfields"] if f["name"] == "Xero Chart of Accounts"]
        for f in live["itemcustomfields"]:
            if f["name"] in fields and fields[f["name"]]:
                option = world.rng.choice(fields[f["name"]])
                world.claim("tracking_option", option["externalId"])
                custom.append({"itemCustomField": {"id": f["id"], "name": f["name"]}, "option": {"id": option["id"]}})
        world.claim("item", item["externalId"])
        world.claim("tax_rate", tax["externalId"])
        lines.append({"position": n + 1, "name": item["name"], "sku": item["sku"], "description": item.get("description"),
                      "quantity": Decimal(world.rng.randrange(1, 20)), "price": Decimal(str(item["price"])),
                      "tax": {"id": tax["id"], "percent": tax["percent"]}, "product": {"id": item["id"]},
                      "itemCustomFields": custom})
    return lines


def _new_document(world: World, kind: str) -> dict[str, Any] | None:
    """A new approved document of a linked, active supplier, in the shape Precoro's GET returns."""
    suppliers = {str(p["id"]): str(x["id"]) for p, x in world.active_pairs("supplier")}
    p, _ = world.frames(kind)
    templates = [d for d in p.to_dict("records") if str(d["supplier_id"]) in suppliers and d["status"] == "approved"]
    template = _pick(world, templates)
    lines = _new_lines(world, world.rng.randrange(1, 4))
    if template is None or not lines:
        return None
    world.claim("supplier", suppliers[str(template["supplier_id"])])  # not archived in the same cycle
    doc = copy.deepcopy(_detail(world, kind, template["id"]))
    key = {"purchase_order": "purchaseorders", "bill": "invoices"}[kind]
    live = world.sb.precoro.dump()[key]
    next_line = max(ln["id"] for d in live for ln in d["items"]["data"]) + 1
    doc.update(id=max(d["id"] for d in live) + 1, idn=max(d["idn"] for d in live) + 1, status=2,
               statusString="Approved", externalId=None, xeroId=None, createDate=_now(), updateDate=_now(),
               approvalDate=_now(), items={"data": [{**line, "id": next_line + n} for n, line in enumerate(lines)]})
    number = f"LC-{world.seed}-{world.cycle}-{world.rng.randrange(10**5)}"
    if kind == "purchase_order":
        doc["customName"] = number
    else:
        doc.update(invoiceNumber=number, sumPaid="0.00", payments={"data": []}, purchaseOrder=None)
    _recompute(doc)
    doc["_number"] = number
    return doc


@change
def precoro_approves_a_new_po(world: World) -> list[Expect]:
    doc = _new_document(world, "purchase_order")
    if doc is None:
        return []
    number = doc.pop("_number")
    _load(world, "purchase_order", doc)
    return [Expect("purchase_order", ("number", number), "total", _text(doc["sum"]), "a PO approved in Precoro is created in Xero")]


@change
def precoro_approves_a_new_bill(world: World) -> list[Expect]:
    doc = _new_document(world, "bill")
    if doc is None:
        return []
    number = doc.pop("_number")
    _load(world, "bill", doc)
    return [Expect("bill", ("number", number), "total", _text(doc["sum"]), "an invoice approved in Precoro is created in Xero")]


def _open_pairs(world: World, kind: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Linked documents both sides still work on: approved in Precoro, nothing paid, Xero AUTHORISED."""
    return [(p, x) for p, x in world.active_pairs(kind)
            if p["status"] == "approved" and x["status"] == "approved"
            and (kind == "purchase_order" or (not p["amount_paid"] and not x["amount_paid"]))]


@change
def precoro_cancels_a_document(world: World) -> list[Expect]:
    kind = world.rng.choice(["purchase_order", "bill"])
    pair = _pick(world, _open_pairs(world, kind), kind)
    if pair is None:
        return []
    doc = _detail(world, kind, pair[0]["id"])
    doc.update(status=8, statusString="Canceled", updateDate=_now())
    _load(world, kind, doc)
    return [Expect(kind, ("xero", pair[1]["id"]), "active", "false", "a document cancelled in Precoro is deleted or voided in Xero")]


@change
def precoro_revises_a_document(world: World) -> list[Expect]:
    kind = world.rng.choice(["purchase_order", "bill"])
    pair = _pick(world, _open_pairs(world, kind), kind)
    if pair is None:
        return []
    doc = _detail(world, kind, pair[0]["id"])
    if world.rng.random() < 0.4:
        # a header revision: the required date (delivery or due), or a bill's issue date
        key = world.rng.choice(["requiredDate", "issueDate"] if kind == "bill" else ["requiredDate"])
        day = dt.date(2026, 12, 1) + dt.timedelta(days=world.rng.randrange(0, 90))
        doc.update({key: f"{day.isoformat()}T00:00:00+00:00", "updateDate": _now()})
        _load(world, kind, doc)
        field_name = {"requiredDate": "delivery_date" if kind == "purchase_order" else "due_date", "issueDate": "date"}[key]
        return [Expect(kind, ("xero", pair[1]["id"]), field_name, day.isoformat(),
                       f"a document's {field_name} revised in Precoro is updated in Xero")]
    # the revision picks what Precoro offers today (a disabled item, tax or option cannot stay on a line)
    lines = _new_lines(world, world.rng.randrange(1, 4))
    if not lines:
        return []
    first = max(ln["id"] for d in world.sb.precoro.dump()[{"purchase_order": "purchaseorders", "bill": "invoices"}[kind]]
                for ln in d["items"]["data"]) + 1
    doc["items"] = {"data": [{**line, "id": first + n} for n, line in enumerate(lines)]}
    _recompute(doc)
    doc["updateDate"] = _now()
    _load(world, kind, doc)
    return [Expect(kind, ("xero", pair[1]["id"]), "total", _text(doc["sum"]), "a document revised in Precoro is updated in Xero")]


def _refs_usable(world: World, kind: str, idn: Any) -> bool:
    """Every item, tax and option a Precoro document's lines name is still enabled (sending its lines to Xero
    again would be refused otherwise: a person must fix the document first)."""
    live = world.sb.precoro.dump()
    enabled = {("item", i["id"]) for i in live["items"] if i.get("enable", True)} | \
              {("tax", t["id"]) for t in live["taxes"] if t.get("enable", True)} | \
              {("option", o["id"]) for f in live["itemcustomfields"] if f.get("enable", True)
               for o in f.get("options", []) if o.get("enable", True)}
    doc = _detail(world, kind, idn)
    for line in doc["items"]["data"]:
        wanted = [("item", (line.get("product") or {}).get("id")), ("tax", (line.get("tax") or {}).get("id"))]
        wanted += [("option", (c.get("option") or {}).get("id")) for c in line.get("itemCustomFields") or []]
        if any(ref[1] is not None and ref not in enabled for ref in wanted):
            return False
    return True


@change
def xero_edits_a_document(world: World) -> list[Expect]:
    """A header field of a synced document edited in Xero, where documents are read-only: put back."""
    kind = world.rng.choice(["purchase_order", "bill"])
    pair = _pick(world, _open_pairs(world, kind), kind)
    if pair is None:
        return []
    p, x = pair
    field_name = world.rng.choice(["delivery_date" if kind == "purchase_order" else "due_date", "date", "number"])
    if field_name == "number":
        value: Any = f"{_text(x['number'])}-X"
    else:
        value = (x[field_name] or dt.date(2026, 12, 1)) + dt.timedelta(days=world.rng.randrange(1, 30))
    attr = {"delivery_date": "delivery_date", "due_date": "due_date", "date": "date",
            "number": "purchase_order_number" if kind == "purchase_order" else "invoice_number"}[field_name]
    if kind == "purchase_order":
        world.xero.update_purchase_order(TENANT, x["id"], PurchaseOrders(purchase_orders=[PurchaseOrder(**{attr: value})]))
    else:
        world.xero.update_invoice(TENANT, x["id"], Invoices(invoices=[Invoice(**{attr: value})]))
    return [Expect(kind, ("xero", x["id"]), field_name, _text(p[field_name]),
                   f"a {field_name} edited in Xero (read-only there) is put back from Precoro")]


@change
def xero_edits_a_document_line(world: World) -> list[Expect]:
    """A line quantity of a synced document edited in Xero (Xero recomputes its totals): put back."""
    kind = world.rng.choice(["purchase_order", "bill"])
    pair = _pick(world, [(p, x) for p, x in _open_pairs(world, kind) if _refs_usable(world, kind, p["id"])], kind)
    if pair is None:
        return []
    p, x = pair
    getter = world.xero.get_purchase_order if kind == "purchase_order" else world.xero.get_invoice
    doc = getter(TENANT, x["id"]).purchase_orders[0] if kind == "purchase_order" else \
        world.xero.get_invoice(TENANT, x["id"], unitdp=4).invoices[0]
    lines = [LineItem(line_item_id=ln.line_item_id, quantity=ln.quantity + (1 if n == 0 else 0))
             for n, ln in enumerate(doc.line_items)]
    if kind == "purchase_order":
        world.xero.update_purchase_order(TENANT, x["id"], PurchaseOrders(purchase_orders=[PurchaseOrder(line_items=lines)]))
    else:
        world.xero.update_invoice(TENANT, x["id"], Invoices(invoices=[Invoice(line_items=lines)]), unitdp=4)
    return [Expect(kind, ("xero", x["id"]), "total", _text(p["total"]),
                   "a line edited in Xero (read-only there) is put back from Precoro")]


@change
def precoro_approves_a_pending_document(world: World) -> list[Expect]:
    kind = world.rng.choice(["purchase_order", "bill"])
    suppliers = {str(p["id"]): str(x["id"]) for p, x in world.active_pairs("supplier")}
    p, _ = world.frames(kind)
    pending = [d for d in p.to_dict("records") if d["status"] in ("submitted", "draft") and not _text(d["xero_id"])
               and str(d["supplier_id"]) in suppliers and _refs_usable(world, kind, d["id"])]
    chosen = _pick(world, pending)
    if chosen is None:
        return []
    world.claim("supplier", suppliers[str(chosen["supplier_id"])])
    doc = _detail(world, kind, chosen["id"])
    doc.update(status=2, statusString="Approved", approvalDate=_now(), updateDate=_now())
    _load(world, kind, doc)
    return [Expect(kind, ("number", _text(chosen["number"])), "total", _text(doc["sum"]),
                   "a document approved in Precoro is created in Xero")]


@change
def xero_pays_a_bill(world: World) -> list[Expect]:
    bills = [(p, x) for p, x in world.active_pairs("bill") if x["status"] in ("approved", "partly_paid")
             and p["status"] in ("approved", "partly_paid") and x["amount_due"] and x["amount_due"] > 0]
    pair = _pick(world, bills, "bill")
    if pair is None:
        return []
    due = Decimal(pair[1]["amount_due"])
    amount = due if world.rng.random() < 0.4 else max(Decimal("0.01"), (due / 3).quantize(Decimal("0.01")))
    day = dt.date(2026, 11, 1) + dt.timedelta(days=world.rng.randrange(0, 60))
    made = world.xero.create_payments(TENANT, Payments(payments=[Payment(
        invoice=Invoice(invoice_id=pair[1]["id"]), account=Account(code="090"), amount=amount, date=day,
        reference=f"LC {world.seed}-{world.cycle}")])).payments[0]
    return [Expect("payment", ("xero", made.payment_id), "amount", _text(amount), "a payment made in Xero reaches Precoro")]


@change
def xero_deletes_a_payment(world: World) -> list[Expect]:
    pair = _pick(world, world.active_pairs("payment"), "payment")
    if pair is None:
        return []
    from xero_python.accounting import PaymentDelete
    world.xero.delete_payment(TENANT, pair[1]["id"], PaymentDelete(status="DELETED"))
    return [Expect("payment", ("xero", pair[1]["id"]), "active", "false", "a payment deleted in Xero is cancelled in Precoro")]


# -- the checks ------------------------------------------------------------------------------------------
def check_converged(run: Path) -> None:
    plan = json.loads((run / "plan.json").read_text())
    diffs = pd.read_csv(run / "differences.csv", dtype=str, keep_default_na=False)
    actionable = diffs[diffs["action"] != "none"]
    assert not plan["actions"] and actionable.empty, (
        f"the reconcile after the sync still proposes {len(plan['actions'])} actions:\n"
        + actionable[["object", "label", "field", "precoro_value", "xero_value", "baseline_value", "kind", "reason"]].to_string())
    summary = json.loads((run / "summary.json").read_text())
    assert summary["message"].startswith("No objects needed to be updated."), summary["message"]


def check_no_duplicates(world: World) -> None:
    x, p = world.sb.xero.dump(), world.sb.precoro.dump()

    def repeated(records: list[dict[str, Any]], key: Callable[[dict[str, Any]], Any]) -> list[Any]:
        counts = Counter(key(r) for r in records)
        return [k for k, n in counts.items() if n > 1 and k and all(k if isinstance(k, tuple) else (k,))]

    found = {
        "Xero contacts": repeated([c for c in x["Contacts"] if c.get("ContactStatus") == "ACTIVE"], lambda c: c["Name"].lower()),
        "Xero purchase orders": repeated([d for d in x["PurchaseOrders"] if d["Status"] != "DELETED"],
                                         lambda d: d["PurchaseOrderNumber"]),
        "Xero bills": repeated([d for d in x["Invoices"] if d["Status"] not in ("DELETED", "VOIDED")],
                               lambda d: (d["InvoiceNumber"], d["Contact"]["ContactID"])),
        "Precoro suppliers": repeated([s for s in p["suppliers"] if s.get("enable", True)], lambda s: s["name"].lower()),
        "Precoro suppliers of one contact": repeated(p["suppliers"], lambda s: s.get("externalId")),
        "Precoro items of one Xero item": repeated(p["items"], lambda i: i.get("externalId")),
        "Precoro payments of one Xero payment": repeated(p["payments"], lambda r: r.get("externalId")),
        "Xero documents of one Precoro document": repeated(
            [d for k in ("purchaseorders", "invoices") for d in p[k]], lambda d: d.get("externalId")),
    }
    found = {k: v for k, v in found.items() if v}
    assert not found, f"duplicates: {found}"


def _find(world: World, exp: Expect) -> tuple[dict[str, Any], dict[str, Any]] | None:
    side, value = exp.key
    for p, x in world.pairs(exp.kind):
        if side == "xero" and str(x["id"]) == value or side == "precoro" and str(p["id"]) == value:
            return p, x
        if side in ("name", "number", "code") and (_text(x.get(side)) == value or _text(p.get(side)) == value):
            return p, x
    return None


def check_expectations(world: World, expected: list[Expect]) -> None:
    problems = []
    for exp in expected:
        pair = _find(world, exp)
        if pair is None:
            if exp.field == "active" and exp.value == "false" and exp.key[0] == "precoro":
                p, _ = world.frames(exp.kind)
                row = p[p["id"].astype(str) == exp.key[1]]
                if len(row) and not _on(row.iloc[0].to_dict()):
                    continue
            problems.append(f"{exp.kind} {exp.key}: no linked pair after the cycle ({exp.why})")
            continue
        got = [_norm(exp.kind, exp.field, _text(side.get(exp.field))) for side in pair]
        want = _norm(exp.kind, exp.field, exp.value)
        if exp.field == "active" and want == "false":
            got = ["false" if not _on(side) else "true" for side in pair]
        if got != [want, want]:
            problems.append(f"{exp.kind} {exp.key} {exp.field}: Precoro {got[0]!r}, Xero {got[1]!r}, expected "
                            f"{want!r} on both ({exp.why})")
    assert not problems, "edits lost or not carried over:\n" + "\n".join(problems)


def check_money(world: World, run: Path) -> None:
    """Linked documents agree on their totals to the cent (or the difference is classified rounding), and
    linked payments on their amounts."""
    rounding = pd.read_csv(run / "rounding.csv", dtype=str, keep_default_na=False)
    material = rounding[rounding["classification"] == "material"]
    assert material.empty, f"material total differences after the sync:\n{material.to_string()}"
    for p, x in world.pairs("payment"):
        if _on(p) and _on(x):
            assert Decimal(p["amount"]) == Decimal(x["amount"]), (p, x)


def run_cycle(world: World, n_changes: int) -> None:
    """One night: random changes, the sync, the checks (``world.made`` names the changes made)."""
    world.cycle += 1
    world.busy, world.made = set(), []
    if world.last is None:
        world.reconcile()
    expected: list[Expect] = []
    for name in world.rng.sample(sorted(CHANGES), k=min(n_changes, len(CHANGES))):
        try:
            made = CHANGES[name](world)
        except ApiException as exc:  # Xero refused it, as it would refuse a person (e.g. an archived account)
            world.made.append(f"{name} (refused by Xero: {exc.status})")
            continue
        if made:
            world.made.append(name)
            expected += made
    run = world.sync()
    check_converged(run)
    check_no_duplicates(world)
    check_expectations(world, expected)
    check_money(world, run)


def run_lifecycle(folder: Path, seed: int, cycles: int, *, faults: bool = False, n_changes: int = 4) -> World:
    """``cycles`` nights; the first failure names the seed, the cycle and the changes of that cycle. Returns
    the (closed) world, for what it counted."""
    world = World(folder, seed, faults=faults)
    try:
        for _ in range(cycles):
            try:
                run_cycle(world, n_changes)
            except AssertionError as exc:
                raise AssertionError(f"lifecycle seed {seed} failed at cycle {world.cycle} after {world.made} (replay: "
                                     f"RECON_LIFECYCLE_SEED={seed} pytest tests/test_lifecycle.py)\n{exc}") from None
    finally:
        world.close()
    return world
