"""Action ids and plan fingerprints are stored (approvals are keyed by action id, plans on disk carry their
fingerprint), so a plan an older recon made must keep hashing to the same values: these were computed by recon
before the ids were made faster (issue 14) and must never change for the same content."""

import hashlib
from decimal import Decimal

import pytest

from recon.reconcile.model import Action, Plan

ACTIONS = (
    Action("supplier", "xero", "update", {"precoro_id": "P1", "xero_id": "x-1"}, {"name": "Acme Ltd", "city": "Bath"},
           {"name": "Acme", "city": "York"}, "changed in Precoro", "mismatch", "Acme"),
    Action("supplier", "precoro", "create", {"xero_id": "x-2"},
           {"name": "Zoë \"Quotes\" & Sons\\Ltd", "email": "", "active": "true", "xero_id": "x-2"}, {},
           "not in Precoro", "only_in_xero", "Zoë Søn 株式会社"),
    Action("supplier", "xero", "archive", {"precoro_id": "P3", "xero_id": "x-3"}, {"active": "false"}, {"active": "true"},
           "inactivated in Precoro", "mismatch", "Line\nbreak\ttab\x01ctl\u2028sep"),
    Action("supplier", "precoro", "link", {"precoro_id": "P4", "xero_id": "x-4"}, {}, {}, "unique match on name",
           "match_candidate", "Four"),
    Action("bill", "xero", "create", {"precoro_id": "B1"},
           {"number": "INV-1", "date": "2026-01-31", "total": "12.50",
            "lines": [{"line_no": "1", "unit_amount": "2.5000", "quantity": "5.00", "description": "Bolts, €"},
                      {"line_no": "2", "unit_amount": "0.0000", "quantity": "1.00", "description": ""}]},
           {}, "not in Xero", "only_in_precoro", "INV-1"),
    # values that are not canonical strings (a number, a missing value, a Decimal) hash as they always did
    Action("bill", "xero", "update", {"precoro_id": "B2", "xero_id": "x-b2"},
           {"lines": [{"line_no": "1", "quantity": "3.00"}], "quantity": 3, "missing": None, "exact": Decimal("1.50")},
           {"lines": [], "quantity": 2}, "a; b", "rounding", ""),
)
IDS = ("supplier-update-97bef9cdce85", "supplier-create-080da6824c3b", "supplier-archive-ff2b3189ab13",
       "supplier-link-67390b8982c9", "bill-create-8d6bf79cce9d", "bill-update-0af65a20e92b")
REVERSE = Plan("run-2", ("bill", "supplier"), ACTIONS[:2], reverts="run-1",
               held=({"action_id": ACTIONS[3].id, "kind": "supplier", "op": "link", "target": "precoro",
                      "label": "Four", "why": "links are not reverted"},), unlinks=(ACTIONS[1].id, ACTIONS[0].id))


@pytest.mark.parametrize("action, expected", list(zip(ACTIONS, IDS)), ids=IDS)
def test_action_ids_are_the_ones_older_plans_stored(action, expected):
    assert action.id == expected and action.compute_id() == expected
    fields = {k: getattr(action, k) for k in ("kind", "target", "op", "keys", "new", "old", "reason", "difference", "label")}
    assert Action(**fields).id == expected  # computed afresh, not read back


@pytest.mark.parametrize("plan, fingerprint", [
    (Plan("run-1", ("supplier", "bill"), ACTIONS), "9958d9a63e81ac68d3296324b94a5556"),
    (Plan("another run", ("bill", "supplier"), ACTIONS), "9958d9a63e81ac68d3296324b94a5556"),  # run id not hashed
    (Plan("run-1", ("supplier",), ACTIONS[:5]), "e3b66aca88867624369aee4433ecbd2e"),
    (REVERSE, "a843d0633141a7682629f7361a4eced7"),
    (Plan("empty", (), ()), "f0037c06c8ee77ee9e52343c3b688fab"),
])
def test_plan_fingerprints_are_the_ones_older_plans_stored(plan, fingerprint):
    assert plan.fingerprint == fingerprint and plan.compute_fingerprint() == fingerprint


@pytest.mark.parametrize("plan, sha256", [
    (Plan("run-1", ("supplier",), ACTIONS[:5]), "0ed838a2564d5ad3cd6bfd7a2ff539f610af739900175cb80da613de76ff0646"),
    (REVERSE, "0f79d222a2f7ac87eeca6c08d78f97ba77e9392ea1820aff393b8353fa5d4b3a"),
])
def test_plan_files_are_written_as_before_and_read_back_to_the_same_ids(plan, sha256):
    text = plan.to_json()
    assert hashlib.sha256(text.encode()).hexdigest() == sha256
    back = Plan.from_json(text)
    assert back.fingerprint == plan.fingerprint == back.compute_fingerprint()
    assert [a.id for a in back.actions] == [a.compute_id() for a in back.actions] == [a.id for a in plan.actions]
