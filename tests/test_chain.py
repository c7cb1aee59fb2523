"""Tamper tests for the approvals chain's head and for the keyed chain (recon/chain.py through the store).

The attacker here has the state file and recon's code: they drop the append-only triggers, edit rows, and
recompute every hash and the head with :func:`recon.chain.row_hash`. Without a key that cannot be seen (the
documented limit); with an approvals key the head's signature gives it away, in ``Store.verify`` and in
``recon verify``.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from recon import chain
from recon.config import load_settings
from recon.errors import ConfigError, IntegrityError, StoreError
from recon.reconcile.model import Decision
from recon.store import Store

pytestmark = pytest.mark.reliability  # counted in docs/approve-apply.md, section Reliability

ROOT = Path(__file__).resolve().parents[1]
KEY, OTHER_KEY = b"k" * 32, b"o" * 32


def _decisions(n: int) -> list[Decision]:
    return [Decision("fp1", f"supplier-update-{i}", "approve" if i % 2 else "reject", "ana", f"2026-11-23T10:0{i}:00Z",
                     comment=f"note {i}") for i in range(1, n + 1)]


def _chain(path: Path, n: int = 5, key: bytes = b"") -> None:
    with Store(path, approvals_key=key) as store:
        for d in _decisions(n):
            store.record_decision(d)


def _sql(path: Path, sql: str, *args: object) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript("DROP TRIGGER IF EXISTS approvals_no_update; DROP TRIGGER IF EXISTS approvals_no_delete;")
    db.execute(sql, args) if args else db.executescript(sql)
    db.close()


def _row_head(path: Path, seq: int) -> str:
    db = sqlite3.connect(path)
    digest = db.execute("SELECT hash FROM approvals WHERE seq = ?", (seq,)).fetchone()[0]
    db.close()
    return chain.head_of(seq, digest)


def _rewrite(path: Path, seq: int, **changes: str) -> None:
    """Edit row ``seq`` and recompute its hash, every later row's, and the head: the full-knowledge attack."""
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript("DROP TRIGGER IF EXISTS approvals_no_update;")
    for col, value in changes.items():
        db.execute(f"UPDATE approvals SET {col} = ? WHERE seq = ?", (value, seq))
    cols = ", ".join(chain.DECISION_FIELDS)
    prev = chain.GENESIS
    for row in db.execute(f"SELECT seq, {cols} FROM approvals ORDER BY seq").fetchall():
        digest = chain.row_hash(row[0], prev, dict(zip(chain.DECISION_FIELDS, row[1:])))
        db.execute("UPDATE approvals SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, row[0]))
        prev, last = digest, row[0]
    db.execute("INSERT OR REPLACE INTO meta VALUES ('approvals_head', ?)", (chain.head_of(last, prev),))
    db.close()


def _inject(path: Path, seq: int) -> None:
    """Append a well-formed row (its hash right, following the last row) without moving the head."""
    decision = {**Decision("fp1", "injected", "approve", "mallory", "t").to_dict()}
    prev = _row_head(path, seq - 1).split(":")[1]
    _sql(path, "INSERT INTO approvals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
         seq, *(decision[k] for k in chain.DECISION_FIELDS), prev, chain.row_hash(seq, prev, decision))


# ---- the head must match the chain exactly ------------------------------------------------------------

HEAD_TAMPERS = [
    # (what the attacker does to a chain of 5 rows, first row not vouched for, words)
    ("garbage", lambda p: _sql(p, "UPDATE meta SET value = 'garbage' WHERE key = 'approvals_head'"), 6,
     "chain head 'garbage' is not a row number and hash"),
    ("empty", lambda p: _sql(p, "UPDATE meta SET value = '' WHERE key = 'approvals_head'"), 6,
     "is not a row number and hash"),
    ("seq only", lambda p: _sql(p, "UPDATE meta SET value = '5' WHERE key = 'approvals_head'"), 6,
     "is not a row number and hash"),
    ("upper-case hash", lambda p: _sql(p, "UPDATE meta SET value = upper(value) WHERE key = 'approvals_head'"), 6,
     "is not a row number and hash"),
    ("behind", lambda p: _sql(p, "UPDATE meta SET value = ? WHERE key = 'approvals_head'", _row_head(p, 3)), 4,
     "approvals rows 4..5 are past the chain head (row 3)"),
    ("behind, a row added outside recon", lambda p: _inject(p, 6), 6,
     "approvals row 6 is past the chain head (row 5): added outside recon"),
    ("ahead", lambda p: _sql(p, "UPDATE meta SET value = '7:' || substr(value, 3) WHERE key = 'approvals_head'"), 6,
     "approvals rows 6..7 were deleted"),
    ("last rows deleted", lambda p: _sql(p, "DELETE FROM approvals WHERE seq >= 4"), 4,
     "approvals rows 4..5 were deleted"),
    ("deleted", lambda p: _sql(p, "DELETE FROM meta WHERE key = 'approvals_head'"), 1, "the chain head is missing"),
    ("other hash", lambda p: _sql(p, "UPDATE meta SET value = '5:' || ? WHERE key = 'approvals_head'", "f" * 64), 5,
     "the chain head does not match row 5"),
    ("all rows deleted", lambda p: _sql(p, "DELETE FROM approvals"), 1, "all approvals rows were deleted"),
]


@pytest.mark.parametrize("name, tamper, broken, words", HEAD_TAMPERS, ids=[t[0] for t in HEAD_TAMPERS])
def test_a_head_that_does_not_match_the_chain_exactly_fails(tmp_path, name, tamper, broken, words):
    path = tmp_path / "state.sqlite"
    _chain(path)
    tamper(path)
    with Store(path) as store:
        report = store.verify()
        assert not report.ok and report.first_broken == broken, report
        assert words in report.message
        with pytest.raises(IntegrityError, match="does not verify"):
            store.record_decision(Decision("fp1", "supplier-update-9", "approve", "mallory", "t"))
        assert store.verify() == report  # nothing was added


def test_an_intact_chain_and_an_empty_one_verify(tmp_path):
    with Store(tmp_path / "empty.sqlite") as store:
        assert store.verify().ok and store.verify().rows == 0
    _chain(tmp_path / "state.sqlite")
    with Store(tmp_path / "state.sqlite") as store:
        report = store.verify()
        assert report.ok and report.rows == 5 and report.head == _row_head(tmp_path / "state.sqlite", 5)[2:]


# ---- what the unkeyed chain cannot see, and the keyed chain does ----------------------------------------

def test_a_recomputed_chain_passes_without_a_key_and_fails_with_one(tmp_path):
    path = tmp_path / "state.sqlite"
    _chain(path, key=KEY)
    _rewrite(path, 2, verdict="approve", comment="fine by me")  # a rejection turned into an approval
    with Store(path) as store:
        assert store.verify().ok  # the documented limit: the hashes alone are consistent again
        assert [d.verdict for d in store.decisions("fp1")][1] == "approve"
    with Store(path, approvals_key=KEY) as store:
        report = store.verify()
        assert not report.ok and "signature does not verify with the approvals key" in report.message
        with pytest.raises(IntegrityError, match="signature does not verify"):
            store.check()
        with pytest.raises(IntegrityError):
            store.record_decision(_decisions(1)[0])


@pytest.mark.parametrize("name, tamper, words", [
    ("signature stripped", lambda p: _sql(p, "DELETE FROM meta WHERE key = 'approvals_head_mac'"),
     "not signed with the approvals key"),
    ("signature garbage", lambda p: _sql(p, "UPDATE meta SET value = 'x' WHERE key = 'approvals_head_mac'"),
     "signature does not verify"),
    ("signature of an earlier head", lambda p: _sql(
        p, "UPDATE meta SET value = ? WHERE key = 'approvals_head_mac'", chain.signature(KEY, _row_head(p, 4))),
     "signature does not verify"),
    ("row altered, nothing recomputed", lambda p: _sql(p, "UPDATE approvals SET verdict = 'approve' WHERE seq = 2"),
     "approvals row 2 (action supplier-update-2, approve by ana) was altered"),
])
def test_keyed_chain_tampering_is_named(tmp_path, name, tamper, words):
    path = tmp_path / "state.sqlite"
    _chain(path, key=KEY)
    tamper(path)
    with Store(path, approvals_key=KEY) as store:
        report = store.verify()
    assert not report.ok and words in report.message, report


def test_a_wrong_key_fails_and_no_key_says_the_signature_was_not_checked(tmp_path):
    path = tmp_path / "state.sqlite"
    _chain(path, key=KEY)
    with Store(path, approvals_key=OTHER_KEY) as store:
        assert not store.verify().ok
    with Store(path) as store:
        report = store.verify()
        assert report.ok and not report.signed and "its signature was not checked" in report.message
        with pytest.raises(IntegrityError, match="needs the approvals key"):  # it would leave the head unsigned
            store.record_decision(_decisions(1)[0])
    with Store(path, approvals_key=KEY) as store:
        report = store.verify()
        assert report.ok and report.signed and report.message.endswith("signed with the approvals key")


def test_migration_an_unkeyed_chain_is_signed_once_on_purpose(tmp_path):
    path = tmp_path / "state.sqlite"
    _chain(path, 3)  # made before any key was set
    with Store(path, approvals_key=KEY) as store:
        report = store.verify()
        assert not report.ok and "recon verify --sign" in report.message and report.head[:16] in report.message
        with pytest.raises(IntegrityError, match="not signed with the approvals key yet"):
            store.record_decision(_decisions(4)[3])
        signed = store.sign()
        assert signed.ok and signed.signed and signed.rows == 3
        store.record_decision(_decisions(4)[3])
        assert store.verify().ok and store.verify().rows == 4
        assert store.sign().ok  # signing again with the same key changes nothing
    with Store(path, approvals_key=OTHER_KEY) as store:
        with pytest.raises(IntegrityError, match="already signed with another key"):
            store.sign()
        assert store.sign(previous_key=KEY).ok  # a change of key, given the old one
    with Store(path, approvals_key=OTHER_KEY) as store:
        assert store.verify().ok


def test_a_broken_chain_is_never_signed(tmp_path):
    path = tmp_path / "state.sqlite"
    _chain(path, 3)
    _sql(path, "UPDATE approvals SET comment = 'edited' WHERE seq = 2")
    with Store(path, approvals_key=KEY) as store:
        with pytest.raises(IntegrityError, match="not signed: approvals row 2"):
            store.sign()
    with Store(path) as store, pytest.raises(StoreError, match="no approvals key to sign with"):
        store.sign()


def test_rollback_to_an_earlier_copy_is_beyond_the_key(tmp_path):
    """The limit the docs name: an old copy of the whole file (head and signature with it) still verifies;
    only a head kept outside (the audit report) shows it."""
    path = tmp_path / "state.sqlite"
    _chain(path, 3, key=KEY)
    with Store(path, approvals_key=KEY) as store:
        before = store.verify().head
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    old = path.read_bytes()
    with Store(path, approvals_key=KEY) as store:
        store.record_decision(_decisions(4)[3])
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path.write_bytes(old)
    with Store(path, approvals_key=KEY) as store:
        report = store.verify()
    assert report.ok and report.head == before


# ---- configuration and the command line ----------------------------------------------------------------

def test_the_key_comes_from_the_environment_or_a_file_and_never_shows(tmp_path):
    key_file = tmp_path / "approvals.key"
    key_file.write_text("file-key-0123456789abcdef\n")
    assert load_settings(env={"RECON_APPROVALS_KEY": "env-key-0123456789abcdef"}).approvals_key == b"env-key-0123456789abcdef"
    settings = load_settings(env={"RECON_APPROVALS_KEY_FILE": str(key_file)})
    assert settings.approvals_key == b"file-key-0123456789abcdef"
    assert "file-key" not in repr(settings) and load_settings(env={}).approvals_key == b""


@pytest.mark.parametrize("env, words", [
    ({"RECON_APPROVALS_KEY": "short"}, "too short: use at least 16 characters"),
    ({"RECON_APPROVALS_KEY_FILE": "/nonexistent/approvals.key"}, "cannot read the approvals key"),
    ({"RECON_APPROVALS_KEY": "x" * 20, "RECON_APPROVALS_KEY_FILE": "/tmp/k"}, "not both"),
])
def test_a_bad_key_setting_is_one_clear_error(env, words):
    with pytest.raises(ConfigError, match=words):
        load_settings(env=env)


def _verify(path: Path, *args: str, key: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECON_")}
    env.update(PYTHONPATH=str(ROOT), RECON_STATE=str(path), **({"RECON_APPROVALS_KEY": key} if key else {}))
    return subprocess.run([sys.executable, "-m", "recon.cli", "verify", *args], env=env, capture_output=True, text=True)


def test_recon_verify_with_a_key_catches_a_recomputed_chain(tmp_path):
    path = tmp_path / "state.sqlite"
    _chain(path, 3)
    first = _verify(path, key=KEY.decode())
    assert first.returncode == 1 and "recon verify --sign" in first.stderr
    signed = _verify(path, "--sign", key=KEY.decode())
    assert signed.returncode == 0 and "3 rows intact" in signed.stdout and "signed with the approvals key" in signed.stdout
    _rewrite(path, 2, verdict="approve")
    assert _verify(path).returncode == 0  # without the key the rewrite cannot be seen
    caught = _verify(path, key=KEY.decode())
    assert caught.returncode == 1 and "signature does not verify with the approvals key" in caught.stderr
    assert KEY.decode() not in caught.stdout + caught.stderr
