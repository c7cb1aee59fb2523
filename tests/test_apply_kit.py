"""Two small systems of record for the apply tests, each a SQLite file that survives its process.

``Ledger`` implements the connector contract (``recon/connectors/base.py``): ``read``, ``find``, ``write``.
``idempotent=True`` behaves like Xero (a repeated idempotency key returns the first result and writes
nothing), ``False`` like Precoro (no keys: a repeated create makes a duplicate, so ``find`` must come first).
Faults are stored in the file so a test can arm them for another process: ``reject`` (a validation error
naming a field), ``fail`` (a retryable error before the write commits), ``drop`` (the write commits, then
the reply is lost: a retryable error), ``crash`` (SIGKILL of the writing process right after the Nth commit).

These stand in for the HTTP emulators until the connectors and sandbox branches land (see docs/approve-apply.md).
No tests here; the module is shared by ``test_apply*.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
from pathlib import Path
from typing import Any, Mapping, Sequence

from recon.apply import WriteRequest, WriteResult
from recon.errors import DailyLimitError
from recon.reconcile.model import Action, Plan

#: Fields that identify a record of each kind when looking it up (after the external id).
NATURAL = {"supplier": ("name",), "item": ("code",), "account": ("code",), "tracking_option": ("category", "name"),
           "tax_rate": ("tax_type",), "purchase_order": ("number",), "bill": ("number",),
           "payment": ("bill_xero_id", "date", "amount")}


class Ledger:
    """One system's records in one SQLite file."""

    def __init__(self, path: Path, system: str, *, idempotent: bool) -> None:
        self.path, self.system, self.idempotent = Path(path), system, idempotent
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.executescript("""
            CREATE TABLE IF NOT EXISTS records (kind TEXT, id TEXT, body TEXT, PRIMARY KEY (kind, id));
            CREATE TABLE IF NOT EXISTS keys (key TEXT PRIMARY KEY, record_id TEXT);
            CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
        """)

    # -- test plumbing -----------------------------------------------------------------------------------
    def load(self, kind: str, records: Sequence[Mapping[str, str]]) -> None:
        for r in records:
            self.db.execute("INSERT INTO records VALUES (?, ?, ?)", (kind, r["id"], json.dumps(dict(r), sort_keys=True)))

    def arm(self, **faults: Any) -> None:
        """Arm faults: reject={"label": ["field", "message"]}, fail=N, drop=N, crash=N (counts of writes),
        daily=True (every write raises the day-limit error)."""
        current = self._meta("faults", {})
        current.update(faults)
        self._set_meta("faults", current)

    def dump(self) -> dict[str, list[dict[str, str]]]:
        out: dict[str, list[dict[str, str]]] = {}
        for kind, body in self.db.execute("SELECT kind, body FROM records ORDER BY kind, id"):
            out.setdefault(kind, []).append(json.loads(body))
        return out

    def writes(self) -> int:
        return int(self._meta("writes", 0))

    def _meta(self, name: str, default: Any) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return json.loads(row[0]) if row else default

    def _set_meta(self, name: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, json.dumps(value)))

    # -- the connector contract --------------------------------------------------------------------------
    def read(self, kind: str, record_id: str) -> dict[str, str] | None:
        row = self.db.execute("SELECT body FROM records WHERE kind = ? AND id = ?", (kind, record_id)).fetchone()
        return json.loads(row[0]) if row else None

    def find(self, kind: str, values: Mapping[str, Any], *, unlinked: bool = False) -> str | None:
        for body in (json.loads(b) for (b,) in self.db.execute("SELECT body FROM records WHERE kind = ?", (kind,))):
            if values.get("xero_id") and body.get("xero_id") == values["xero_id"]:
                return body["id"]
            if all(body.get(f) == values.get(f) for f in NATURAL[kind]):
                return body["id"]
        return None

    def write(self, requests: Sequence[WriteRequest], *, dry_run: bool = False) -> list[WriteResult]:
        return [self._write(r, dry_run) for r in requests]

    def _write(self, req: WriteRequest, dry_run: bool) -> WriteResult:
        method = "POST" if req.op == "create" else "PUT"
        request = {"method": method, "path": f"/{req.kind}" + (f"/{req.record_id}" if req.record_id else ""),
                   "body": dict(req.values), **({"idempotency_key": req.key} if self.idempotent else {})}
        if dry_run:
            return WriteResult(req.key, True, req.record_id, None, None, False, request)
        faults = self._meta("faults", {})
        label = str(req.values.get("name") or req.values.get("number") or req.record_id)
        if label in faults.get("reject", {}):
            fld, message = faults["reject"][label]
            return WriteResult(req.key, False, None, message, fld, False, request)
        if faults.get("daily"):
            raise DailyLimitError("day limit of 1000 calls reached", system=self.system, operation="POST",
                                  resume_at=dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc))
        if faults.get("fail"):
            self.arm(fail=faults["fail"] - 1)
            return WriteResult(req.key, False, None, "HTTP 503 Service Unavailable", None, True, request)
        if self.idempotent:
            seen = self.db.execute("SELECT record_id FROM keys WHERE key = ?", (req.key,)).fetchone()
            if seen:
                return WriteResult(req.key, True, seen[0], None, None, False, request)
        if req.kind == "purchase_order" and self.system == "xero" and not self.read("supplier", req.values["supplier_xero_id"]):
            return WriteResult(req.key, False, None, "Contact not found", "supplier_xero_id", False, request)
        self.db.execute("BEGIN IMMEDIATE")
        if req.op == "create":
            n = self.db.execute("SELECT count(*) FROM records WHERE kind = ?", (req.kind,)).fetchone()[0] + 1
            record_id = f"{self.system[0].upper()}-{req.kind}-{n}"
            body = {**{k: v for k, v in req.values.items() if not isinstance(v, (list, dict))}, "id": record_id}
            if self.system == "xero":
                body["xero_id"] = record_id
        else:
            record_id = req.record_id or ""
            body = {**(self.read(req.kind, record_id) or {}), **req.values}
        self.db.execute("INSERT OR REPLACE INTO records VALUES (?, ?, ?)", (req.kind, record_id, json.dumps(body, sort_keys=True)))
        if self.idempotent:
            self.db.execute("INSERT INTO keys VALUES (?, ?)", (req.key, record_id))
        writes = self.writes() + 1
        self._set_meta("writes", writes)
        self.db.execute("COMMIT")
        if faults.get("crash") == writes:
            os.kill(os.getpid(), signal.SIGKILL)  # the write is committed; the caller never hears of it
        if faults.get("drop"):
            self.arm(drop=faults["drop"] - 1)
            return WriteResult(req.key, False, None, "connection dropped after the request was sent", None, True, request)
        return WriteResult(req.key, True, record_id, None, None, False, request)


def open_ledgers(folder: Path) -> tuple[Ledger, Ledger]:
    return (Ledger(folder / "xero.sqlite", "xero", idempotent=True),
            Ledger(folder / "precoro.sqlite", "precoro", idempotent=False))


def seed(folder: Path) -> None:
    """Both systems as the plan below found them, and the state store's links for the linked pairs."""
    from recon.store import Store

    xero, precoro = open_ledgers(folder)
    xero.load("supplier", [{"id": "X2", "xero_id": "X2", "name": "Bolt Co", "phone": "555"}])
    xero.load("item", [{"id": "XI1", "xero_id": "XI1", "code": "BOLT", "name": "Bolt M8"}])
    precoro.load("supplier", [{"id": "P1", "xero_id": "", "name": "Nordic Timber", "email": "ap@nordic.test"},
                              {"id": "P2", "xero_id": "X2", "name": "Bolt Co", "phone": "554"}])
    precoro.load("item", [{"id": "PI1", "xero_id": "XI1", "code": "BOLT", "name": "Bolt"}])
    with Store(folder / "state.sqlite") as store:
        store.seed(links=[{"kind": "supplier", "precoro_id": "P2", "xero_id": "X2"},
                          {"kind": "item", "precoro_id": "PI1", "xero_id": "XI1"}])


def demo_plan() -> Plan:
    """Eight actions over every rank, in an order that is not the dependency order."""
    lines = [{"description": "Pine 2x4", "quantity": "10", "unit_amount": "4.2500"}]
    actions = (
        Action("payment", "precoro", "create", {"xero_id": "XPAY1"},
               {"xero_id": "XPAY1", "bill_xero_id": "XB9", "date": "2026-11-20", "amount": "120.50"}, {},
               "payment only in Xero", "only_in_xero", "payment 120.50"),
        Action("purchase_order", "xero", "create", {"precoro_id": "PO-1"},
               {"number": "PO-1", "supplier_id": "P1", "supplier_xero_id": "", "total": "48.88", "lines": lines}, {},
               "approved PO only in Precoro", "only_in_precoro", "PO-1"),
        Action("item", "precoro", "update", {"precoro_id": "PI1", "xero_id": "XI1"}, {"name": "Bolt M8"},
               {"name": "Bolt"}, "name changed in Xero", "mismatch", "BOLT"),
        Action("supplier", "xero", "create", {"precoro_id": "P1"}, {"name": "Nordic Timber", "email": "ap@nordic.test"},
               {}, "supplier only in Precoro", "only_in_precoro", "Nordic Timber"),
        Action("supplier", "precoro", "update", {"precoro_id": "P2", "xero_id": "X2"}, {"phone": "555"},
               {"phone": "554"}, "phone changed on both sides: Xero wins", "conflict", "Bolt Co"),
        Action("tax_rate", "precoro", "create", {"xero_id": "INPUT2"},
               {"xero_id": "INPUT2", "tax_type": "INPUT2", "name": "GST on expenses", "rate": "15"}, {},
               "tax rate only in Xero", "only_in_xero", "GST on expenses"),
        Action("account", "precoro", "create", {"xero_id": "XA400"},
               {"xero_id": "XA400", "code": "400", "name": "Purchases"}, {}, "account only in Xero", "only_in_xero", "400"),
        Action("bill", "xero", "create", {"precoro_id": "INV-7"},
               {"number": "INV-7", "supplier_id": "P2", "supplier_xero_id": "X2", "total": "99.00", "lines": lines}, {},
               "approved invoice only in Precoro", "only_in_precoro", "INV-7"),
    )
    return Plan("run-demo", ("supplier", "item", "account", "tax_rate", "purchase_order", "bill", "payment"), actions)


# -- the emulators (for test_apply_roundtrip.py and test_apply_sandbox.py) -----------------------------------
SANDBOX_LIMITS = {"xero": {"minute": 10**6, "day": 10**7}, "precoro": {"minute": 10**6, "hour": 10**6, "day": 10**7}}
_TIMESTAMPS = {"UpdatedDateUTC", "updateDate", "createDate", "createdAt", "updatedAt"}


def start_sandbox() -> Any:
    """Both emulators with the demo seed and limits raised out of the way of the tests."""
    from recon.sandbox import Sandbox

    return Sandbox(seed="demo", xero_limits=SANDBOX_LIMITS["xero"], precoro_limits=SANDBOX_LIMITS["precoro"])


def sandbox_settings(sb: Any, folder: Path) -> Any:
    from recon.config import load_settings

    env = {"RECON_STATE": str(folder / "state.sqlite"), "USER": "ana"}
    return load_settings(env=env).with_sandbox_urls(sb.xero_url, sb.precoro_url)


def sandbox_connectors(settings: Any) -> Any:
    """The real connectors, their pacers raised to the sandbox's limits."""
    from recon.connectors import open_connectors

    pair = open_connectors(settings)
    for conn in pair:
        conn.pacer.set_limits(SANDBOX_LIMITS[conn.system])
    return pair


def emulator_state(sb: Any) -> str:
    """Both emulators' records as JSON, without the write timestamps (they follow the wall clock)."""
    def strip(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k not in _TIMESTAMPS}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v
    return json.dumps({"xero": strip(sb.xero.dump()), "precoro": strip(sb.precoro.dump())}, sort_keys=True, default=str)
