"""The SQLite state store: migrations, WAL, links and baselines, the approvals hash chain, the apply lock."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from recon.errors import IntegrityError, LockError, StoreError
from recon.reconcile.model import Decision
from recon.store import SCHEMA_VERSION, Store


def _decisions(n: int) -> list[Decision]:
    return [Decision("fp1", f"supplier-update-{i}", "approve" if i % 2 else "reject", "ana", f"2026-11-23T10:0{i}:00Z",
                     comment=f"note {i}") for i in range(1, n + 1)]


@pytest.fixture()
def store(tmp_path):
    with Store(tmp_path / "state.sqlite") as s:
        yield s


def test_new_store_is_wal_and_at_latest_version(store):
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.version == SCHEMA_VERSION


def test_old_store_is_migrated_keeping_its_data(tmp_path):
    path = tmp_path / "old.sqlite"
    old = Store.__new__(Store)  # open without migrating, then bring it to version 1 only
    old.path, old._db = path, sqlite3.connect(path, isolation_level=None)
    old.migrate(to=1)
    old.set_link("supplier", "17", "X-17")
    assert old.version == 1
    old.close()
    with Store(path) as s:
        assert s.version == SCHEMA_VERSION
        assert s.links().values.tolist() == [["supplier", "17", "X-17"]]
        s.record_decision(_decisions(1)[0])
        assert s.verify().ok


def test_store_from_a_newer_recon_is_refused(tmp_path):
    path = tmp_path / "new.sqlite"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this recon knows"):
        Store(path)


def test_links_replace_earlier_links_of_either_side(store):
    store.seed(links=[{"kind": "supplier", "precoro_id": "1", "xero_id": "A"},
                      {"kind": "supplier", "precoro_id": "2", "xero_id": "B"},
                      {"kind": "item", "precoro_id": "1", "xero_id": "A"}])
    store.set_link("supplier", "3", "B")  # Xero contact B now belongs to Precoro supplier 3
    assert store.links("supplier").values.tolist() == [["supplier", "1", "A"], ["supplier", "3", "B"]]
    assert len(store.links()) == 3
    with pytest.raises(StoreError, match="needs both ids"):
        store.set_link("supplier", "", "C")


def test_baselines_round_trip_as_canonical_frames(store):
    store.seed(baselines={"supplier": [{"xero_id": "A", "id": "1", "name": "Acme", "active": True}],
                          "item": [{"xero_id": "I1", "id": "9", "code": "BOLT", "purchase_price": "1.2500"}]})
    store.set_baseline("supplier", {"xero_id": "A", "email": "ap@acme.test"})  # partial: other fields kept
    frames = store.baselines(["supplier", "item", "bill"])
    sup = frames["supplier"].iloc[0]
    assert (sup["id"], sup["name"], sup["email"], bool(sup["active"])) == ("1", "Acme", "ap@acme.test", True)
    assert frames["item"].iloc[0]["purchase_price"] == Decimal("1.2500")
    assert frames["bill"].empty and list(frames["bill"].columns)[:2] == ["id", "xero_id"]


def _baselines_record_by_record(store, kind):
    """The store's baselines read as they were before issue 14's streamed read: a dict per record, then conform
    (the reference the streamed read must equal)."""
    import pandas as pd

    from recon import schema

    rows = store._db.execute("SELECT xero_id, field, value FROM baselines WHERE kind = ? ORDER BY xero_id",
                             (kind,)).fetchall()
    types = {c.name: c.type for c in schema.FRAMES[kind]}
    records, known = {}, {}
    for key, fld, value in rows:
        if fld not in types:
            continue
        if key not in records:
            records[key], known[key] = dict.fromkeys(schema.columns(kind)), []
            if kind in schema.LINE_FRAMES.values():
                doc, _, line = key.rpartition("#")
                records[key].update(doc_id=doc, line_no=line)
            else:
                records[key]["xero_id"] = key
        known[key].append(fld)
        records[key][fld] = (value == "true") if types[fld] == "bool" and value is not None else value
    frame = schema.conform(list(records.values()), kind) if records else schema.empty(kind)
    frame[schema.BASELINE_FIELDS] = pd.array([" ".join(sorted(known[k])) for k in records], dtype="string")
    return frame


@pytest.mark.parametrize("kind, records, stray", [
    ("supplier", [], []),
    ("supplier", [{"xero_id": "B", "id": "2", "name": "Bolt Co", "active": False},
                  {"xero_id": "A", "id": "1", "name": "Acme", "email": None, "active": None},
                  {"xero_id": "C", "city": "Leeds"}], []),
    # a field recon no longer has: skipped, and a record with nothing else is no record
    ("supplier", [{"xero_id": "A", "name": "Acme"}], [("A", "fax", "01"), ("Z", "fax", "02")]),
    ("bill", [{"xero_id": "X2", "id": "7", "total": "10.50", "date": "2026-01-02", "active": True},
              {"xero_id": "X1", "status": "approved"}], []),
    ("bill_lines", [{"doc_id": "X1", "line_no": "2", "quantity": "3", "description": "Nails"},
                    {"doc_id": "X1", "line_no": "10", "tax_amount": "0.20"},
                    {"doc_id": "D#9", "line_no": "1", "item_code": ""}], []),
])
def test_baselines_read_equal_the_record_by_record_read(store, kind, records, stray):
    import pandas as pd

    store.seed(baselines={kind: records})
    with store._tx() as db:
        db.executemany("INSERT INTO baselines VALUES (?, ?, ?, ?, '')", [(kind, *row) for row in stray])
    got = store.baselines([kind])[kind]
    pd.testing.assert_frame_equal(got, _baselines_record_by_record(store, kind), check_exact=True)
    assert len(got) == len({r.get("xero_id") or f"{r.get('doc_id')}#{r.get('line_no')}" for r in records})


def test_baseline_without_xero_id_or_of_unknown_kind_is_refused(store):
    with pytest.raises(StoreError, match="needs a xero_id"):
        store.set_baseline("supplier", {"id": "1", "name": "Acme"})
    with pytest.raises(StoreError, match="unknown kind"):
        store.set_baseline("widget", {"xero_id": "A"})


def test_runs_are_recorded(store):
    store.begin_run("r1", {"objects": ["supplier"]}, "ana", "2026-11-23T10:00:00Z")
    store.end_run("r1", "2026-11-23T10:01:00Z", "done", {"applied": 2})
    run = store.runs().iloc[0]
    assert (run["run_id"], run["status"], run["ended_at"]) == ("r1", "done", "2026-11-23T10:01:00Z")


def test_decisions_come_back_in_order_per_plan(store):
    for d in _decisions(3):
        store.record_decision(d)
    store.record_decision(Decision("fp2", "x", "approve", "bo", "2026-11-23T11:00:00Z"))
    assert store.decisions("fp1") == _decisions(3)
    assert [d.by for d in store.decisions("fp2")] == ["bo"]
    assert store.verify().ok and store.verify().rows == 4
    head = store._db.execute("SELECT hash FROM approvals ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert store.verify().message == f"approvals chain verified: 4 rows intact (head {head[:16]})"


def _tamper(db: sqlite3.Connection, sql: str) -> None:
    # bypass the append-only triggers the way an attacker with the file would
    db.executescript("DROP TRIGGER approvals_no_update; DROP TRIGGER approvals_no_delete;" + sql)


@pytest.mark.reliability
@pytest.mark.parametrize("sql, broken, words", [
    ("UPDATE approvals SET verdict = 'approve' WHERE seq = 2", 2, "was altered"),
    ("UPDATE approvals SET comment = 'fine' WHERE seq = 4", 4, "was altered"),
    ("UPDATE approvals SET by = 'mallory' WHERE seq = 1", 1, "was altered"),
    ("DELETE FROM approvals WHERE seq = 3", 3, "row 3 is missing"),
    ("DELETE FROM approvals WHERE seq = 5", 5, "approvals row 5 was deleted"),
    ("UPDATE approvals SET hash = 'f' || substr(hash, 2) WHERE seq = 3", 3, "was altered"),
    ("UPDATE approvals SET prev_hash = 'f' || substr(prev_hash, 2) WHERE seq = 2", 2, "does not follow row 1"),
])
def test_tampered_approvals_row_is_named(store, sql, broken, words):
    for d in _decisions(5):
        store.record_decision(d)
    _tamper(store._db, sql)
    report = store.verify()
    assert not report.ok and report.first_broken == broken
    assert words in report.message
    with pytest.raises(IntegrityError, match=words):
        store.check()


def test_approvals_are_append_only_in_sql(store):
    store.record_decision(_decisions(1)[0])
    for sql in ("UPDATE approvals SET verdict = 'reject'", "DELETE FROM approvals"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store._db.execute(sql)


HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from recon.store import Store
    with Store(sys.argv[1]) as s, s.apply_lock(sys.argv[2], at="2026-11-23T10:00:00Z"):
        print("locked", flush=True)
        sys.stdin.readline()
""")


def _hold(path, profile="default"):
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path), profile], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


@pytest.mark.reliability
@pytest.mark.parametrize("holder_profile, other_profile", [("default", "default"), ("default", "nightly"),
                                                           ("nightly", "")])
def test_second_apply_lock_is_refused_naming_the_holder_whatever_the_profile(store, holder_profile, other_profile):
    proc = _hold(store.path, holder_profile)
    try:
        with pytest.raises(LockError) as err:
            with store.apply_lock(other_profile):
                pass
        assert str(err.value) == (
            f"another apply is running on {store.path}: held by pid {proc.pid} on host {socket.gethostname()} "
            f"for profile {holder_profile!r} since 2026-11-23T10:00:00Z (lock file {store.lock_path})")
    finally:
        proc.kill()  # SIGKILL: the kernel releases the lock with the process
        proc.wait()
    with store.apply_lock("default"):  # free again, though the killed holder never cleaned up
        assert json.loads(store._db.execute("SELECT value FROM meta WHERE key = 'apply_holder'").fetchone()[0])[
            "pid"] == os.getpid()
    assert store._db.execute("SELECT value FROM meta WHERE key = 'apply_holder'").fetchone() is None


@pytest.mark.reliability
def test_the_lock_is_on_the_state_file_not_on_a_profile(tmp_path):
    one, other = Store(tmp_path / "one.sqlite"), Store(tmp_path / "other.sqlite")
    try:
        with one.apply_lock("default"), other.apply_lock("default"):  # two states: two locks
            with pytest.raises(LockError), Store(tmp_path / "one.sqlite") as again, again.apply_lock("nightly"):
                pass  # the same state through another connection in the same process: refused too
    finally:
        one.close()
        other.close()
    assert "fcntl" not in (Path(__file__).parents[1] / "recon" / "store.py").read_text()


CONTEND = textwrap.dedent("""
    import os, sys, time
    from recon.errors import LockError
    from recon.store import Store
    state, profile, go = sys.argv[1], sys.argv[2], sys.argv[3]
    with Store(state) as s:
        print("ready", flush=True)
        while not os.path.exists(go):   # every contender starts at the same instant
            time.sleep(0.001)
        try:
            with s.apply_lock(profile, at=f"start-{os.getpid()}"):
                print("ran", flush=True)
                time.sleep(1.0)
        except LockError as exc:
            print(f"refused: {exc}", flush=True)
""")


@pytest.mark.reliability
@pytest.mark.parametrize("profiles", [("default", "default"), ("default", "nightly"), ("a", "b", "c")])
def test_applies_started_together_one_runs_the_others_are_refused(tmp_path, profiles):
    state, go = tmp_path / "state.sqlite", tmp_path / "go"
    Store(state).close()
    procs = [subprocess.Popen([sys.executable, "-c", CONTEND, str(state), p, str(go)], stdout=subprocess.PIPE, text=True)
             for p in profiles]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    go.touch()
    said = {proc.pid: proc.communicate(timeout=60)[0].strip() for proc in procs}
    ran = [pid for pid, line in said.items() if line == "ran"]
    assert len(ran) == 1, said
    winner = ran[0]
    profile = profiles[[p.pid for p in procs].index(winner)]
    for pid, line in said.items():
        if pid != winner:
            assert line == (f"refused: another apply is running on {state}: held by pid {winner} on host "
                            f"{socket.gethostname()} for profile {profile!r} since start-{winner} "
                            f"(lock file {state}.apply.lock)")


def test_applied_document_keeps_its_lines_as_baseline(store):
    lines = [{"line_no": "1", "description": "Pine", "quantity": "10", "unit_amount": "4.2500"},
             {"line_no": "2", "description": "Nails", "quantity": "1", "unit_amount": "3.0000"}]
    store.record_applied("purchase_order", precoro_id="8", xero_id="XPO8", at="t",
                         values={"number": "PO-8", "total": "45.50", "lines": lines})
    store.record_applied("purchase_order", precoro_id="8", xero_id="XPO8", at="t",
                         values={"number": "PO-8", "lines": lines[:1]})  # a later update with fewer lines
    frames = store.baselines(["purchase_order"])
    assert frames["purchase_order"].iloc[0][["id", "number", "total"]].tolist() == ["8", "PO-8", Decimal("45.50")]
    got = frames["purchase_order_lines"]
    assert got[["doc_id", "line_no", "description"]].astype(object).values.tolist() == [["XPO8", 1, "Pine"]]
    assert got.iloc[0]["unit_amount"] == Decimal("4.2500")
    assert store.links("purchase_order").values.tolist() == [["purchase_order", "8", "XPO8"]]
