"""Table tests of the pure parts: which actions a lock date holds back and how, and who a history names."""

from __future__ import annotations

import pandas as pd
import pytest

from recon.reconcile.locks import LOCKED, lock_date, mark_locked
from recon.reconcile.model import Action
from recon.sent import NOBODY_KNOWN, who_changed

XERO_DOCS = {"bill": pd.DataFrame({"id": ["B1", "B2"], "date": ["2026-03-10", "2026-06-01"]}),
             "purchase_order": pd.DataFrame({"id": ["P1"], "date": ["2026-03-31"]})}


def act(kind: str, op: str, target: str = "xero", xero_id: str = "", date: str = "") -> Action:
    keys = {"precoro_id": "7", **({"xero_id": xero_id} if xero_id else {})}
    return Action(kind, target, op, keys, {"date": date} if date else {"status": "voided"}, {}, "r", "mismatch", "L")


@pytest.mark.parametrize("meta, lock", [
    ({}, ("", "")),
    ({"xero": {"period_lock_date": "2026-03-31", "end_of_year_lock_date": ""}}, ("2026-03-31", "period lock date")),
    ({"xero": {"period_lock_date": "2026-03-31", "end_of_year_lock_date": "2026-04-30"}},
     ("2026-04-30", "end of year lock date")),
])
def test_the_later_lock_date_counts(meta, lock):
    assert lock_date(meta) == lock


META = {"xero": {"period_lock_date": "2026-03-31"}}


@pytest.mark.parametrize("action, locked, new_date, words", [
    (act("bill", "create", date="2026-03-31"), True, "2026-04-01", "approve to date it 2026-04-01"),  # on the lock date
    (act("bill", "create", date="2026-04-01"), False, "2026-04-01", ""),
    (act("purchase_order", "create", date="2025-12-01"), True, "2026-04-01", "or reject to leave it"),
    (act("bill", "update", xero_id="B1", date="2026-05-01"), True, "2026-05-01", "Xero refuses any change"),
    (act("bill", "update", xero_id="B2", date="2026-03-01"), True, "2026-04-01", "approve to date it"),
    (act("bill", "archive", xero_id="B1"), True, None, "Xero refuses any change"),
    (act("purchase_order", "archive", xero_id="P1"), True, None, "The document date cannot be before the period"),
    (act("bill", "archive", xero_id="B2"), False, None, ""),
    (act("supplier", "create", date="2020-01-01"), False, "2020-01-01", ""),  # not a document
    (act("bill", "create", target="precoro", date="2020-01-01"), False, "2020-01-01", ""),  # not sent to Xero
])
def test_which_actions_a_lock_date_holds_back(action, locked, new_date, words):
    [out] = mark_locked([action], META, XERO_DOCS)
    assert (out.difference == LOCKED) is locked
    assert out.new.get("date") == new_date
    assert words in out.reason
    assert (out.id == action.id) is (out.new == action.new and out.old == action.old)


def test_no_lock_date_changes_nothing():
    actions = [act("bill", "create", date="2020-01-01")]
    assert mark_locked(actions, {"xero": {"period_lock_date": ""}}, XERO_DOCS) == actions


HISTORY = [  # newest first, as Xero lists it
    {"user": "Hana Kereama", "at": "2026-11-24T09:12:03", "changes": "Edited"},
    {"user": "System Generated", "at": "2026-11-23T10:00:00", "changes": "Created"},
]


@pytest.mark.parametrize("history, sent_at, who", [
    (HISTORY, "2026-11-23T10:00:00Z", "Hana Kereama (Edited, 2026-11-24T09:12:03Z)"),
    (HISTORY[1:], "2026-11-23T09:00:00Z", "an app through Xero's API (Created, 2026-11-23T10:00:00Z)"),
    (HISTORY, "2026-11-25T00:00:00Z", NOBODY_KNOWN),  # nothing after recon's write
    ([], "2026-11-23T10:00:00Z", NOBODY_KNOWN),
])
def test_who_a_documents_history_names(history, sent_at, who):
    assert who_changed(history, sent_at) == who
