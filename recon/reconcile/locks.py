"""Xero's lock dates: a PO or bill dated on or before the organisation's lock date is not sent as it is.

Xero refuses any write of a document dated on or before ``PeriodLockDate`` or ``EndOfYearLockDate`` ("The
document date cannot be before the period lock date"), and any edit, void or delete of a document already
dated there. So the plan marks such an action ``locked_period`` (no policy approves one) with the choice the
accountant has:

* a document recon would create (or re-date) in a locked period: the action carries the date the day after the
  lock; approving it dates the document after the lock, rejecting it leaves it;
* a document already in Xero in a locked period: it cannot be changed; the action says so, and leaving it is
  the only choice Xero gives (unless an adviser moves the lock date).

Pure: the lock dates come from the snapshot's Xero metadata (read by the fetch).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any, Mapping

import pandas as pd

from recon.reconcile import fields
from recon.reconcile.model import LOCKED_PERIOD, Action

LOCKED = LOCKED_PERIOD
DOCUMENTS = ("purchase_order", "bill")
#: the snapshot meta names of Xero's lock dates, with the words Xero uses for each
LOCK_NAMES = (("end_of_year_lock_date", "end of year lock date"), ("period_lock_date", "period lock date"))


def lock_date(meta: Mapping[str, Any]) -> tuple[str, str]:
    """The organisation's effective lock date (ISO, "" when none) and its name in Xero's words: the later
    of the two dates (a document must be after both)."""
    xero = meta.get("xero") or {}
    found = [(str(xero.get(name) or ""), words) for name, words in LOCK_NAMES if xero.get(name)]
    return max(found) if found else ("", "")


def xero_message(words: str) -> str:
    """What Xero answers to a document dated in the locked period."""
    return f"The document date cannot be before the {words}"


def day_after(iso: str) -> str:
    return (dt.date.fromisoformat(iso[:10]) + dt.timedelta(days=1)).isoformat()


def mark_locked(actions: list[Action], meta: Mapping[str, Any], xero_frames: Mapping[str, pd.DataFrame]) -> list[Action]:
    """``actions`` with every Xero PO or bill action in a locked period marked (see the module docstring).
    ``xero_frames`` holds the Xero ``purchase_order`` and ``bill`` frames, for the date a document has now."""
    lock, words = lock_date(meta)
    if not lock:
        return actions
    held: dict[str, dict[str, str]] = {}
    for kind in DOCUMENTS:
        frame = xero_frames.get(kind)
        if frame is not None and len(frame):
            held[kind] = dict(zip(fields.text(frame["id"]).tolist(), fields.text(frame["date"]).tolist()))
    out = []
    for a in actions:
        if a.target != "xero" or a.kind not in DOCUMENTS:
            out.append(a)
            continue
        now = held.get(a.kind, {}).get(a.keys.get("xero_id", ""), "") if a.op != "create" else ""
        wanted = str(a.new.get("date") or "")
        if now and now[:10] <= lock:
            out.append(replace(a, difference=LOCKED, id="", reason=(
                f"in a locked period: dated {now[:10]}, on or before Xero's {words} {lock}; Xero refuses any change "
                f"to it (\"{xero_message(words)}\"): leave it, or have an adviser move the lock date. Was: {a.reason}")))
        elif wanted and wanted[:10] <= lock:
            after = day_after(lock)
            out.append(replace(a, difference=LOCKED, id="", new={**a.new, "date": after},
                               old={**a.old, **({"date": now} if now else {})}, reason=(
                f"in a locked period: dated {wanted[:10]}, on or before Xero's {words} {lock}, so Xero would refuse it "
                f"as it is (\"{xero_message(words)}\"); approve to date it {after} (the day after the lock), or "
                f"reject to leave it. Was: {a.reason}")))
        else:
            out.append(a)
    return out


def locked_reasons(actions: tuple[Action, ...]) -> dict[tuple[str, str], str]:
    """``(kind, precoro or xero id) -> reason`` of the locked actions, for the differences they come from."""
    out = {}
    for a in actions:
        if a.difference == LOCKED:
            for key in ("precoro_id", "xero_id"):
                if a.keys.get(key):
                    out[(a.kind, a.keys[key])] = a.reason
    return out
