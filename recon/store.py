"""The durable state of recon: one SQLite file (WAL mode) per profile.

It holds what must outlive a run:

* **links**: which Precoro record is integrated with which Xero record, per kind;
* **baselines**: for every linked pair, the field values both sides agreed on at the last successful sync
  (canonical strings, one row per record and field, with when it was agreed), the third leg of the three-way
  diff: written after every apply and for every field reconcile finds equal on both sides of a linked pair
  (:meth:`Store.record_agreed`). A field with no row is unknown, never a value;
* **runs**: one row per reconcile or apply run, with its parameters, user and times;
* **approvals**: every decision ever made, append-only and tamper-evident (the hash chain of
  :mod:`recon.chain`, its head, and with an approvals key the head's signature; :meth:`Store.verify` names
  the first row that does not verify);
* **journal**: the apply journal, one row before and one after every write (see :mod:`recon.apply`).

The apply lock is one per state file, whatever the profile is called: an OS file lock (``filelock``) on a file
beside the database, so it is released by the kernel however the holder dies (even ``SIGKILL``); the holder
records its pid, host and start time in the database, and a refused caller gets those in the
:class:`~recon.errors.LockError` message.

>>> with Store("recon-state.sqlite") as store:
...     store.set_link("supplier", "17", "b3f1...")
...     report = store.verify()
"""

from __future__ import annotations

import hmac
import json
import os
import socket
import sqlite3
from array import array
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
from filelock import FileLock, Timeout

from recon import chain, schema
from recon.chain import DECISION_FIELDS as _DECISION_FIELDS
from recon.chain import GENESIS, VerifyReport, row_hash  # noqa: F401  (re-exported)
from recon.errors import IntegrityError, LockError, StoreError
from recon.private import FILE_MODE, make_dir, make_file
from recon.reconcile.model import Agreed, Decision, canonical_json

#: Each migration brings the database from version ``i`` to ``i + 1`` (``PRAGMA user_version``).
MIGRATIONS: tuple[str, ...] = (
    # 1: links, baselines, runs
    """
    CREATE TABLE links (
        kind TEXT NOT NULL, precoro_id TEXT NOT NULL, xero_id TEXT NOT NULL, updated_at TEXT NOT NULL,
        PRIMARY KEY (kind, precoro_id), UNIQUE (kind, xero_id));
    CREATE TABLE baselines (
        kind TEXT NOT NULL, xero_id TEXT NOT NULL, field TEXT NOT NULL, value TEXT,
        PRIMARY KEY (kind, xero_id, field));
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, params TEXT NOT NULL, user TEXT NOT NULL,
        started_at TEXT NOT NULL, ended_at TEXT, status TEXT NOT NULL DEFAULT 'running', summary TEXT);
    """,
    # 2: the approvals chain and the apply journal
    """
    CREATE TABLE approvals (
        seq INTEGER PRIMARY KEY, plan_fingerprint TEXT NOT NULL, action_id TEXT NOT NULL,
        verdict TEXT NOT NULL, by TEXT NOT NULL, at TEXT NOT NULL, comment TEXT NOT NULL,
        policy TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
    CREATE INDEX approvals_plan ON approvals (plan_fingerprint, seq);
    CREATE TABLE journal (
        seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL, plan_fingerprint TEXT NOT NULL,
        action_id TEXT NOT NULL, phase TEXT NOT NULL, target_id TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT '{}', at TEXT NOT NULL);
    CREATE INDEX journal_action ON journal (plan_fingerprint, action_id, seq);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 3: approvals are append-only in the database too (verify() still catches edits that bypass this)
    """
    CREATE TRIGGER approvals_no_update BEFORE UPDATE ON approvals
        BEGIN SELECT RAISE(ABORT, 'approvals are append-only'); END;
    CREATE TRIGGER approvals_no_delete BEFORE DELETE ON approvals
        BEGIN SELECT RAISE(ABORT, 'approvals are append-only'); END;
    """,
    # 4: baselines say when each value was agreed; a field without a row is unknown (older recon wrote only the
    # fields an apply changed). Documents it archived kept only their status: they are inactive on both sides.
    """
    ALTER TABLE baselines ADD COLUMN agreed_at TEXT NOT NULL DEFAULT '';
    INSERT OR IGNORE INTO baselines (kind, xero_id, field, value)
        SELECT kind, xero_id, 'active', 'false' FROM baselines
        WHERE kind IN ('purchase_order', 'bill') AND field = 'status' AND value IN ('deleted', 'voided', 'cancelled');
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
JOURNAL_PHASES = ("started", "done", "failed", "refused")


@dataclass(frozen=True)
class JournalEntry:
    """The latest journal row of one action of one plan."""

    action_id: str
    phase: str
    run_id: str
    target_id: str
    detail: Mapping[str, Any]


def _key(kind: str, record: Mapping[str, Any]) -> str:
    """Baseline key: the Xero id, plus the line number for lines frames."""
    xid = str(record.get("xero_id") or "")
    if kind in schema.LINE_FRAMES.values():
        return f"{record.get('doc_id') or ''}#{record.get('line_no') or ''}"
    return xid


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Store:
    """The SQLite state store. Creates and migrates the file on open; use it as a context manager.

    ``writable=False`` (``recon verify``, ``recon doctor``) also opens a state file that cannot be written."""

    def __init__(self, path: str | os.PathLike[str], *, approvals_key: bytes = b"", writable: bool = True) -> None:
        self.path = Path(path)
        self._key = approvals_key  # signs the approvals head (see recon.chain); never stored in the file
        try:
            make_dir(self.path.parent)
            if self.path.is_dir():
                raise StoreError(f"the state file {self.path} is a folder: point the profile's state at a file")
            if not self.path.exists():
                make_file(self.path)  # 0600 before SQLite makes it: its -wal and -shm files take the same mode
            elif writable:  # SQLite opens a read-only file and fails at its first write: find out before
                try:
                    os.close(os.open(self.path, os.O_RDWR))
                except OSError as exc:
                    raise StoreError(f"the state file {self.path} cannot be written ({exc.strerror}): make it "
                                     "writable, or point the profile's state at one that is") from None
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # a journal row committed before a call must survive a crash
            self._db.execute("PRAGMA foreign_keys=ON")
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open state store {self.path}: {exc}") from exc
        try:
            self.migrate()
        except BaseException as exc:
            self._db.close()  # at once: SQLite removes the -wal and -shm files it made when the last one closes
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"cannot use state store {self.path}: {exc}") from exc
            raise

    # -- lifecycle ---------------------------------------------------------------------------------------
    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed (durably) on leaving the block, rolled back on error."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @property
    def version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self, to: int = SCHEMA_VERSION) -> int:
        """Apply the missing migrations up to ``to`` (each in its own transaction); return the version."""
        current = self.version
        if current > SCHEMA_VERSION:
            raise StoreError(f"state store {self.path} has schema version {current}, newer than this recon "
                             f"knows ({SCHEMA_VERSION}); upgrade recon")
        for version in range(current, to):
            # executescript commits whatever is pending first, so the transaction is part of the script
            try:
                self._db.executescript(f"BEGIN IMMEDIATE;\n{MIGRATIONS[version]}\n"
                                       f"PRAGMA user_version = {version + 1};\nCOMMIT;")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise StoreError(f"migrating {self.path} to version {version + 1} failed: {exc}") from exc
        return self.version

    # -- links -------------------------------------------------------------------------------------------
    def links(self, kind: str | None = None) -> pd.DataFrame:
        """Links as a frame ``kind, precoro_id, xero_id`` (sorted), optionally of one kind."""
        sql = "SELECT kind, precoro_id, xero_id FROM links"
        rows = self._db.execute(sql + (" WHERE kind = ?" if kind else "") + " ORDER BY kind, precoro_id",
                                (kind,) if kind else ()).fetchall()
        return pd.DataFrame(rows, columns=["kind", "precoro_id", "xero_id"]).astype("string")

    def set_link(self, kind: str, precoro_id: str, xero_id: str, *, at: str = "") -> None:
        """Link two records (replacing any earlier link of either of them)."""
        with self._tx():
            self._set_link(kind, precoro_id, xero_id, at)

    def _set_link(self, kind: str, precoro_id: str, xero_id: str, at: str) -> None:
        if not precoro_id or not xero_id:
            raise StoreError(f"{kind} link needs both ids (precoro {precoro_id!r}, xero {xero_id!r})")
        self._db.execute("INSERT OR REPLACE INTO links VALUES (?, ?, ?, ?)", (kind, str(precoro_id), str(xero_id), at))

    def xero_id_of(self, kind: str, precoro_id: str) -> str | None:
        row = self._db.execute("SELECT xero_id FROM links WHERE kind = ? AND precoro_id = ?", (kind, precoro_id)).fetchone()
        return row[0] if row else None

    # -- baselines ---------------------------------------------------------------------------------------
    def set_baseline(self, kind: str, record: Mapping[str, Any], *, at: str = "") -> None:
        """Record the agreed values of one linked record (only the canonical fields given are changed).

        ``record`` has ``xero_id`` and canonical columns of ``kind``; ``id`` is the Precoro id.
        """
        with self._tx():
            self._set_baseline(kind, record, at)

    def _set_baseline(self, kind: str, record: Mapping[str, Any], at: str = "") -> None:
        if kind not in schema.FRAMES:
            raise StoreError(f"unknown kind {kind!r} for a baseline")
        key = _key(kind, record)
        if not key or key == "#":
            raise StoreError(f"{kind} baseline needs a xero_id (record {dict(record)!r})")
        names = set(schema.columns(kind))
        rows = [(kind, key, f, _text(v), at) for f, v in record.items() if f in names]
        self._db.executemany("INSERT OR REPLACE INTO baselines VALUES (?, ?, ?, ?, ?)", rows)

    def record_agreed(self, agreed: Iterable[Agreed], *, at: str = "") -> int:
        """Make the values reconcile found equal on both sides of linked pairs their baseline, in one
        transaction; return the number of fields written.

        ``agreed`` is :attr:`recon.reconcile.Reconciliation.agreed` (per field: the baseline keys and the
        values). Fields of those records that differ keep their baseline (or stay unknown).
        """
        parts = [a for a in agreed if len(a)]
        unknown = {a.frame for a in parts} - set(schema.FRAMES)
        if unknown:
            raise StoreError(f"agreed values for unknown frames {sorted(unknown)}")
        written = 0
        with self._tx() as db:
            for part in parts:
                db.executemany("INSERT OR REPLACE INTO baselines VALUES (?, ?, ?, ?, ?)",
                               ((part.frame, key, part.field, value, at) for key, value in zip(part.keys, part.texts())))
                written += len(part)
        return written

    def baselines(self, kinds: Iterable[str]) -> dict[str, pd.DataFrame]:
        """Baselines per kind as canonical frames (``xero_id`` the key, ``id`` the Precoro id), with the column
        :data:`recon.schema.BASELINE_FIELDS` naming the fields each record's baseline knows (a field it does not
        name is unknown; its cell is empty, never a float NaN).

        Asking for ``purchase_order`` or ``bill`` also returns its lines frame (keyed by ``doc_id``, the Xero
        document id, and ``line_no``).
        """
        wanted = list(dict.fromkeys(kinds))
        wanted += [schema.LINE_FRAMES[k] for k in wanted if k in schema.LINE_FRAMES and schema.LINE_FRAMES[k] not in wanted]
        return {kind: self._baseline_frame(kind) for kind in wanted}

    def _baseline_frame(self, kind: str) -> pd.DataFrame:
        """One kind's baselines, the stored values put straight into their columns as the rows stream by: a row
        tuple kept per stored value and a dict per record held 550 MiB at once for 96,000 suppliers (issue 14:
        the peak of a nightly reconcile step)."""
        names = schema.columns(kind)
        fields = sorted(names)  # a record's known fields are named in this order
        bit = {name: 1 << i for i, name in enumerate(fields)}
        got: dict[str, tuple[array, list[Any]]] = {name: (array("q"), []) for name in names}  # row numbers, values
        keys: list[str] = []
        known = array("q")  # per record: bit i set when its baseline knows fields[i]
        rows = self._db.execute("SELECT xero_id, field, value FROM baselines WHERE kind = ? ORDER BY xero_id", (kind,))
        for key, name, value in rows:
            if name not in bit:
                continue  # a field recon no longer has: not a record when it is all the record has
            if not keys or key != keys[-1]:
                keys.append(key)
                known.append(0)
            at, values = got[name]
            at.append(len(keys) - 1)
            values.append(value)
            known[-1] |= bit[name]
        if not keys:
            frame = schema.empty(kind)
            frame[schema.BASELINE_FIELDS] = pd.array([], dtype="string")
            return frame
        columns = {name: np.full(len(keys), None, dtype=object) for name in names}
        if kind in schema.LINE_FRAMES.values():
            split = [key.rpartition("#") for key in keys]
            columns["doc_id"][:] = [doc for doc, _, _ in split]
            columns["line_no"][:] = [line for _, _, line in split]
            del split
        else:
            columns["xero_id"][:] = keys
        types = {c.name: c.type for c in schema.FRAMES[kind]}
        for name in names:
            at, values = got.pop(name)
            if types[name] == "bool":
                values = [value == "true" if value is not None else None for value in values]
            put = np.empty(len(values), dtype=object)  # the values themselves, not numpy's copy of their text
            put[:] = values
            columns[name][np.frombuffer(at, dtype=np.int64)] = put
            del at, values, put
        codes, which = np.unique(np.frombuffer(known, dtype=np.int64), return_inverse=True)
        texts = np.array([" ".join(f for f in fields if int(code) & bit[f]) for code in codes], dtype=object)
        frame = schema.conform(pd.DataFrame(columns), kind)
        frame[schema.BASELINE_FIELDS] = pd.array(texts[which], dtype="string")
        return frame

    def seed(self, links: Sequence[Mapping[str, str]] = (), baselines: Mapping[str, Sequence[Mapping[str, Any]]] | None = None) -> None:
        """Bulk load links (``kind, precoro_id, xero_id``) and baselines, in one transaction."""
        with self._tx():
            for link in links:
                self._set_link(link["kind"], link["precoro_id"], link["xero_id"], "")
            for kind, records in (baselines or {}).items():
                for record in records:
                    self._set_baseline(kind, record)

    # -- runs --------------------------------------------------------------------------------------------
    def begin_run(self, run_id: str, params: Mapping[str, Any], user: str, at: str, *, kind: str = "reconcile") -> None:
        """Record the start of a run (starting the same run id again, e.g. a resumed apply, reopens it)."""
        with self._tx() as db:
            db.execute("INSERT INTO runs (run_id, kind, params, user, started_at) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT (run_id) DO UPDATE SET status = 'running', ended_at = NULL",
                       (run_id, kind, canonical_json(dict(params)), user, at))

    def end_run(self, run_id: str, at: str, status: str = "done", summary: Mapping[str, Any] | None = None) -> None:
        with self._tx() as db:
            db.execute("UPDATE runs SET ended_at = ?, status = ?, summary = ? WHERE run_id = ?",
                       (at, status, canonical_json(dict(summary or {})), run_id))

    def runs(self) -> pd.DataFrame:
        rows = self._db.execute("SELECT run_id, kind, params, user, started_at, ended_at, status, summary "
                                "FROM runs ORDER BY started_at, run_id").fetchall()
        return pd.DataFrame(rows, columns=["run_id", "kind", "params", "user", "started_at", "ended_at", "status", "summary"])

    # -- approvals ---------------------------------------------------------------------------------------
    def record_decision(self, decision: Decision) -> int:
        """Append a decision to the chain; return its ``seq`` (see :meth:`record_decisions`)."""
        return self.record_decisions([decision])[0]

    def record_decisions(self, decisions: Sequence[Decision]) -> list[int]:
        """Append decisions to the chain in one transaction (all or none); return their ``seq``.

        Refused (:class:`IntegrityError`, nothing recorded) when the head does not match the newest row, and
        when the chain is signed but this store has no key, or the signature does not verify with its key:
        a decision is never added to a chain that no longer verifies at its end. One transaction for many
        keeps "approve shown" on 10,000 actions within a second (docs/benchmarks.md)."""
        seqs: list[int] = []
        with self._tx() as db:
            last = db.execute("SELECT seq, hash FROM approvals ORDER BY seq DESC LIMIT 1").fetchone()
            head, signed = self._meta(chain.HEAD), self._meta(chain.SIGNATURE)
            problem = ""
            if head != (chain.head_of(*last) if last else None):
                problem = "its head does not match its newest row"
            elif signed is not None and not self._key:
                problem = f"it is signed, and recording a decision needs the approvals key ({chain.KEY_NAMES})"
            elif self._key and signed is None and last:
                problem = "it is not signed with the approvals key yet: run `recon verify --sign` once"
            elif self._key and signed is not None and not hmac.compare_digest(signed, chain.signature(self._key, head)):
                problem = "its head's signature does not verify with the approvals key"
            if problem:
                raise IntegrityError(f"{self.path}: no decision recorded: the approvals chain does not verify "
                                     f"({problem}); see `recon verify`")
            for decision in decisions:
                d = decision.to_dict()
                seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
                digest = row_hash(seq, prev, d)
                db.execute("INSERT INTO approvals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (seq, *(d[k] for k in _DECISION_FIELDS), prev, digest))
                seqs.append(seq)
                last = (seq, digest)
            if last is not None and seqs:
                self._set_meta(chain.HEAD, chain.head_of(*last))
                if self._key:
                    self._set_meta(chain.SIGNATURE, chain.signature(self._key, chain.head_of(*last)))
        return seqs

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def decisions(self, fingerprint: str) -> list[Decision]:
        """Every decision on the plan with this fingerprint, oldest first (a later one overrides)."""
        rows = self._db.execute(f"SELECT {', '.join(_DECISION_FIELDS)} FROM approvals WHERE plan_fingerprint = ? "
                                "ORDER BY seq", (fingerprint,)).fetchall()
        return [Decision(**dict(zip(_DECISION_FIELDS, r))) for r in rows]

    def _chain_rows(self) -> list[tuple[Any, ...]]:
        return self._db.execute(f"SELECT seq, {', '.join(_DECISION_FIELDS)}, prev_hash, hash FROM approvals "
                                "ORDER BY seq").fetchall()

    def verify(self) -> VerifyReport:
        """Check the approvals chain (:func:`recon.chain.check`): every row, the head exactly, and with an
        approvals key the head's signature; the report names the first row that does not verify."""
        return chain.check(self._chain_rows(), self._meta(chain.HEAD), self._meta(chain.SIGNATURE), self._key)

    def sign(self, *, previous_key: bytes = b"") -> VerifyReport:
        """Sign the head of a chain that verifies with this store's approvals key (once, when a key is first
        set; or, given the ``previous_key`` it is signed with, to change the key). A chain already signed is
        only signed again with its own or the previous key's signature verifying."""
        if not self._key:
            raise StoreError(f"no approvals key to sign with: set {chain.KEY_NAMES}")
        with self._tx():
            rows, head, signed = self._chain_rows(), self._meta(chain.HEAD), self._meta(chain.SIGNATURE)
            report = chain.check(rows, head, None)
            if not report.ok:
                raise IntegrityError(f"{self.path}: not signed: {report.message}")
            if head is None:
                return chain.check(rows, head, None, self._key)  # empty: the first decision starts it signed
            if signed is not None and not any(k and hmac.compare_digest(signed, chain.signature(k, head))
                                              for k in (self._key, previous_key)):
                raise IntegrityError(f"{self.path}: not signed: the chain is already signed with another key "
                                     "(give it as the previous key to change keys)")
            self._set_meta(chain.SIGNATURE, chain.signature(self._key, head))
        return self.verify()

    def check(self) -> VerifyReport:
        """:meth:`verify`, raising :class:`IntegrityError` when the chain is broken."""
        report = self.verify()
        if not report.ok:
            raise IntegrityError(f"{self.path}: {report.message}")
        return report

    # -- apply journal -----------------------------------------------------------------------------------
    def journal(self, run_id: str, fingerprint: str, action_id: str, phase: str, at: str, *,
                target_id: str = "", detail: Mapping[str, Any] | None = None) -> None:
        """Append one journal row and commit it (durably) before returning."""
        if phase not in JOURNAL_PHASES:
            raise StoreError(f"unknown journal phase {phase!r}")
        with self._tx() as db:
            db.execute("INSERT INTO journal (run_id, plan_fingerprint, action_id, phase, target_id, detail, at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (run_id, fingerprint, action_id, phase, target_id or "", canonical_json(dict(detail or {})), at))

    def journal_state(self, fingerprint: str) -> dict[str, JournalEntry]:
        """The latest journal row of every action of the plan, by action id (a ``done`` row is final)."""
        rows = self._db.execute("SELECT action_id, phase, run_id, target_id, detail FROM journal "
                                "WHERE plan_fingerprint = ? ORDER BY seq", (fingerprint,)).fetchall()
        state: dict[str, JournalEntry] = {}
        for action_id, phase, run_id, target_id, detail in rows:
            if action_id in state and state[action_id].phase == "done":
                continue
            state[action_id] = JournalEntry(action_id, phase, run_id, target_id, json.loads(detail))
        return state

    def journal_rows(self, fingerprint: str | None = None) -> pd.DataFrame:
        sql = "SELECT seq, run_id, plan_fingerprint, action_id, phase, target_id, detail, at FROM journal"
        rows = self._db.execute(sql + (" WHERE plan_fingerprint = ?" if fingerprint else "") + " ORDER BY seq",
                                (fingerprint,) if fingerprint else ()).fetchall()
        return pd.DataFrame(rows, columns=["seq", "run_id", "plan_fingerprint", "action_id", "phase", "target_id", "detail", "at"])

    def record_applied(self, kind: str, *, precoro_id: str, xero_id: str, values: Mapping[str, Any], at: str) -> None:
        """After a write: link the pair and make the written values their baseline, in one transaction.

        The fields written replace theirs; the others keep the values reconcile recorded as agreed when it made
        the plan (:meth:`record_agreed`), so the baseline stays the whole agreed record. A document's ``lines``
        replace all of its line baselines."""
        with self._tx():
            if precoro_id and xero_id:
                self._set_link(kind, precoro_id, xero_id, at)
            if xero_id:
                self._set_baseline(kind, {**values, "xero_id": xero_id, **({"id": precoro_id} if precoro_id else {})}, at)
                lines = values.get("lines")
                if kind in schema.LINE_FRAMES and isinstance(lines, list):
                    frame = schema.LINE_FRAMES[kind]
                    self._db.execute("DELETE FROM baselines WHERE kind = ? AND xero_id LIKE ?", (frame, f"{xero_id}#%"))
                    for n, line in enumerate(lines, start=1):
                        self._set_baseline(frame, {"line_no": str(n), **line, "doc_id": xero_id}, at)

    def unlink(self, kind: str, *, precoro_id: str = "", xero_id: str = "") -> None:
        """Forget the link of a record (and its baselines, a document's lines included), in one transaction:
        what a revert does for a record the reverted run created or linked."""
        with self._tx() as db:
            if not xero_id and precoro_id:
                row = db.execute("SELECT xero_id FROM links WHERE kind = ? AND precoro_id = ?", (kind, precoro_id)).fetchone()
                xero_id = row[0] if row else ""
            db.execute("DELETE FROM links WHERE kind = ? AND (precoro_id = ? OR xero_id = ?)",
                       (kind, precoro_id or "\0", xero_id or "\0"))
            if xero_id:
                db.execute("DELETE FROM baselines WHERE kind = ? AND xero_id = ?", (kind, xero_id))
                if kind in schema.LINE_FRAMES:
                    db.execute("DELETE FROM baselines WHERE kind = ? AND xero_id LIKE ?",
                               (schema.LINE_FRAMES[kind], f"{xero_id}#%"))

    # -- apply lock --------------------------------------------------------------------------------------
    @property
    def lock_path(self) -> Path:
        """The apply lock's file, beside the state file: one per state, whatever the profile is called."""
        return self.path.with_name(f"{self.path.name}.apply.lock")

    @contextmanager
    def apply_lock(self, profile: str = "", *, at: str = "") -> Iterator[None]:
        """Hold the apply lock of this state file for the block, or raise :class:`LockError` naming the holder.

        The lock is an OS file lock (through ``filelock``), so it is released however the holder ends, even
        by ``SIGKILL``. Its holder (pid, host, start, profile) is a row in ``meta``, written in the same
        SQLite write transaction that takes the file lock: a refused caller waits for that transaction
        before reading the row, so it never names a holder that has already gone. ``profile`` only names
        the holder in that message."""
        lock = FileLock(self.lock_path, timeout=0, mode=FILE_MODE)  # filelock sets the mode whatever the umask
        with self._tx() as db:  # BEGIN IMMEDIATE: waits for a holder still writing its row
            try:
                lock.acquire()
            except Timeout:
                row = db.execute("SELECT value FROM meta WHERE key = 'apply_holder'").fetchone()
                raise LockError(f"another apply is running on {self.path}: {_holder_text(row)} "
                                f"(lock file {self.lock_path})") from None
            except OSError as exc:
                raise StoreError(f"cannot take the apply lock {self.lock_path}: {exc}") from None
            holder = {"pid": os.getpid(), "host": socket.gethostname(), "since": at, "profile": profile}
            try:
                db.execute("INSERT OR REPLACE INTO meta VALUES ('apply_holder', ?)", (json.dumps(holder),))
            except BaseException:
                lock.release()
                raise
        try:
            yield
        finally:
            # released inside the transaction that forgets the holder: whoever waits on it finds both gone
            try:
                with self._tx() as db:
                    db.execute("DELETE FROM meta WHERE key = 'apply_holder'")
                    lock.release()
            finally:
                if lock.is_locked:
                    lock.release()


def _holder_text(row: Sequence[str] | None) -> str:
    try:
        h = json.loads(row[0]) if row else {}
    except ValueError:
        h = {}
    if not isinstance(h, dict) or not h:
        return "holder unknown"
    profile = f" for profile {h['profile']!r}" if h.get("profile") else ""
    return f"held by pid {h.get('pid')} on host {h.get('host')}{profile} since {h.get('since') or 'unknown'}"
