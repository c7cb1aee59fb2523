"""The approvals hash chain: row hashes, the head, the keyed signature of the head, and the check of all three.

Every approvals row carries ``hash = sha256(seq, previous row's hash, content)``; the state file also keeps the
**head**, ``"<seq>:<hash>"`` of the newest row, so that deleting the newest rows is seen. :func:`check` walks
the rows and holds the head to them exactly: a head that is garbage, behind, ahead, missing or of another
hash is a broken chain, as is any row that was altered, removed or does not follow its predecessor.

What an unkeyed chain cannot stop: someone who can write the state file *and* recomputes every later hash
and the head rewrites history undetected. With an **approvals key** (``RECON_APPROVALS_KEY`` or
``RECON_APPROVALS_KEY_FILE``, read in :mod:`recon.config`, kept outside the state file) the head is also signed,
``HMAC-SHA256(key, head)``, and the signature is kept beside it. The head's hash covers every row through
the chain, so one signature vouches for all of them, and without the key a recomputed chain cannot be signed
again. Still out of reach of the key: rolling the whole file (or the head and its signature together) back
to an earlier copy, which is why the head is printed in every audit report, to be compared from outside.

A chain started without a key is signed once, on purpose, when a key is first set (:func:`sign`, ``recon
verify --sign``): recon never adopts an unsigned chain by itself, because a chain stripped of its signature
by an attacker looks exactly like one that never had one.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from recon.reconcile.model import canonical_json

GENESIS = "0" * 64
DECISION_FIELDS = ("plan_fingerprint", "action_id", "verdict", "by", "at", "comment", "policy")
#: ``meta`` keys: the head ("<seq>:<hash>") and its keyed signature
HEAD, SIGNATURE = "approvals_head", "approvals_head_mac"
KEY_NAMES = "RECON_APPROVALS_KEY or RECON_APPROVALS_KEY_FILE"


@dataclass(frozen=True)
class VerifyReport:
    """Result of checking the approvals chain: ``first_broken`` is the ``seq`` of the first bad row
    (one past the last row when what is wrong is the head); ``head`` is the newest row's hash; ``signed``
    whether the head's signature was checked with a key and held."""

    ok: bool
    rows: int
    first_broken: int | None
    message: str
    head: str = GENESIS
    signed: bool = False


def row_hash(seq: int, prev_hash: str, decision: Mapping[str, Any]) -> str:
    """SHA-256 over a row's position, its content and the previous row's hash."""
    body = {"seq": seq, "prev": prev_hash, **{k: decision[k] for k in DECISION_FIELDS}}
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def head_of(seq: int, row_hash_: str) -> str:
    return f"{seq}:{row_hash_}"


def signature(key: bytes, head: str) -> str:
    """The keyed signature of a head (HMAC-SHA256, the purpose named so it signs nothing else)."""
    return hmac.new(key, f"recon approvals head {head}".encode(), hashlib.sha256).hexdigest()


def _parse_head(head: str) -> tuple[int, str] | None:
    seq, sep, digest = head.partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        return None
    return int(seq), digest


def _walk(rows: Sequence[Sequence[Any]]) -> VerifyReport | None:
    """The first row that was altered, removed or does not follow its predecessor, as a failed report."""
    prev, expected_seq = GENESIS, 1
    for row in rows:
        seq, content, prev_hash, stored = row[0], dict(zip(DECISION_FIELDS, row[1:8])), row[8], row[9]
        problem = ""
        if seq != expected_seq:
            problem, seq = f"row {expected_seq} is missing (next row is {seq})", expected_seq
        elif prev_hash != prev:
            problem = f"approvals row {seq} does not follow row {seq - 1} (previous hash differs)"
        elif row_hash(seq, prev_hash, content) != stored:
            problem = (f"approvals row {seq} (action {content['action_id']}, {content['verdict']} by "
                       f"{content['by']}) was altered: its content no longer matches its hash")
        if problem:
            return VerifyReport(False, len(rows), seq, problem)
        prev, expected_seq = stored, expected_seq + 1
    return None


def _rows_text(first: int, last: int, one: str, many: str) -> str:
    return f"approvals row {first} {one}" if first == last else f"approvals rows {first}..{last} {many}"


def _head_problem(rows: Sequence[Sequence[Any]], head: str | None) -> tuple[int, str] | None:
    """(first row not vouched for, what is wrong) when the head does not match the rows exactly."""
    n = len(rows)
    if head is None:
        return (1, f"the chain head is missing from the state file, so deleted rows could not be seen "
                   f"({n} rows)") if n else None
    parsed = _parse_head(head)
    if parsed is None:
        return (n + 1 if n else 1), f"the chain head {head[:40]!r} is not a row number and hash: it was altered"
    seq, digest = parsed
    if not n:
        return 1, f"all approvals rows were deleted (the chain ended at row {seq})"
    last_seq, last_hash = rows[-1][0], rows[-1][9]
    if seq > last_seq:
        return n + 1, f"{_rows_text(n + 1, seq, 'was', 'were')} deleted (the chain ended at row {seq})"
    if seq < last_seq:
        return seq + 1, (f"{_rows_text(seq + 1, last_seq, 'is', 'are')} past the chain head (row {seq}): added outside recon, "
                         f"or the head was set back")
    if digest != last_hash:
        return seq, (f"the chain head does not match row {seq} (head hash {digest[:16]}, row hash "
                     f"{last_hash[:16]}): the chain or its head was rewritten")
    return None


def check(rows: Sequence[Sequence[Any]], head: str | None, signed_head: str | None, key: bytes = b"") -> VerifyReport:
    """Check the rows (``seq``, the decision fields, ``prev_hash``, ``hash``; ordered by ``seq``), the head
    kept for them, and with ``key`` the head's signature."""
    broken = _walk(rows)
    if broken is not None:
        return broken
    problem = _head_problem(rows, head)
    if problem is not None:
        return VerifyReport(False, len(rows), problem[0], problem[1])
    n = len(rows)
    newest = rows[-1][9] if rows else GENESIS
    intact = f"{n} rows intact (head {newest[:16]})"
    if key:
        if head is None:  # an empty chain: the first decision starts it signed
            return VerifyReport(True, 0, None, f"approvals chain verified: {intact}; signed from its first row", newest, True)
        if signed_head is None:
            return VerifyReport(False, n, n + 1, (
                f"the approvals chain is not signed with the approvals key ({KEY_NAMES}): if the key was just "
                f"set, compare the head {newest[:16]} with the last audit report, then sign it once with "
                f"`recon verify --sign`"), newest)
        if not hmac.compare_digest(signed_head, signature(key, head)):
            return VerifyReport(False, n, n + 1, (
                "the chain head's signature does not verify with the approvals key: the chain was rewritten "
                "and its hashes recomputed, or the key is not the one it was signed with"), newest)
        return VerifyReport(True, n, None, f"approvals chain verified: {intact}, signed with the approvals key",
                            newest, True)
    unchecked = "; its signature was not checked (no approvals key given)" if signed_head is not None else ""
    return VerifyReport(True, n, None, f"approvals chain verified: {intact}{unchecked}", newest)


__all__ = ["VerifyReport", "check", "row_hash", "head_of", "signature", "GENESIS", "DECISION_FIELDS", "HEAD",
           "SIGNATURE"]
