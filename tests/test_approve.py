"""The approval model and unattended policies, on a real SQLite store."""

from __future__ import annotations

import dataclasses

import pytest

from recon.approve import ApprovalModel, Policy, apply_policy
from recon.errors import ApprovalError
from recon.reconcile.model import Action, Decision, Plan
from recon.store import Store

ACTIONS = (
    Action("supplier", "xero", "update", {"precoro_id": "1", "xero_id": "C1"}, {"email": "ap@acme.test"},
           {"email": "old@acme.test"}, "email changed in Precoro", "mismatch", "Acme"),
    Action("supplier", "precoro", "update", {"precoro_id": "2", "xero_id": "C2"}, {"phone": "555"}, {"phone": "554"},
           "phone changed on both sides: Xero wins", "conflict", "Bolt Co"),
    Action("tax_rate", "precoro", "create", {"xero_id": "INPUT2"}, {"tax_type": "INPUT2", "rate": "15"}, {},
           "only in Xero", "only_in_xero", "GST on expenses"),
    Action("item", "precoro", "update", {"precoro_id": "9", "xero_id": "I9"}, {"name": "Bolt M8"}, {"name": "Bolt"},
           "name changed in Xero", "mismatch", "BOLT"),
    Action("purchase_order", "xero", "create", {"precoro_id": "PO-7"}, {"number": "PO-7"}, {}, "only in Precoro",
           "only_in_precoro", "PO-7"),
)
PLAN = Plan("run-1", ("supplier", "tax_rate", "item", "purchase_order"), ACTIONS)
CLOCK = lambda: "2026-11-23T10:00:00Z"  # noqa: E731


@pytest.fixture()
def store(tmp_path):
    with Store(tmp_path / "state.sqlite") as s:
        yield s


@pytest.fixture()
def model(store):
    return ApprovalModel(PLAN, store, "ana", CLOCK)


def test_decision_is_recorded_at_once_and_seen_on_reopening(store, model):
    a = ACTIONS[0].id
    model.decide(a, "approve", "checked")
    reopened = ApprovalModel(PLAN, store, "bo", CLOCK)
    d = reopened.decision(a)
    assert (d.verdict, d.by, d.comment, d.plan_fingerprint) == ("approve", "ana", "checked", PLAN.fingerprint)
    assert [x.id for x in reopened.pending()] == [x.id for x in ACTIONS[1:]]


def test_later_decision_overrides_and_both_stay_in_the_chain(store, model):
    a = ACTIONS[0].id
    model.decide(a, "approve")
    model.decide(a, "reject", "on second thoughts")
    assert model.decision(a).verdict == "reject" and model.approved() == []
    assert [d.verdict for d in store.decisions(PLAN.fingerprint)] == ["approve", "reject"]
    assert store.verify().ok


def test_decide_many_and_counts(model):
    model.decide_many([a.id for a in model.filter(kind="supplier")], "approve")
    model.decide(ACTIONS[2].id, "reject")
    assert model.counts() == {"pending": 2, "approve": 2, "reject": 1}
    assert [a.id for a in model.filter(status="pending")] == [ACTIONS[3].id, ACTIONS[4].id]


@pytest.mark.parametrize("criteria, expected", [
    ({"kind": "supplier"}, [0, 1]),
    ({"difference": "conflict"}, [1]),
    ({"direction": "to_xero"}, [0, 4]),
    ({"direction": "to_precoro", "kind": "supplier"}, [1]),
    ({"kind": "bill"}, []),
])
def test_filter(model, criteria, expected):
    assert model.filter(**criteria) == [ACTIONS[i] for i in expected]


CHANGED = dataclasses.replace(PLAN, actions=(dataclasses.replace(ACTIONS[0], new={"email": "x@evil.test"}, id=ACTIONS[0].id),
                                             *ACTIONS[1:]))
OTHER = Plan("run-2", ("supplier",), ACTIONS[:1])


@pytest.mark.parametrize("make, words", [
    (lambda m: m.decide(ACTIONS[0].id, "maybe"), "verdict 'maybe' is not one of approve, reject"),
    (lambda m: m.decide("supplier-update-000000000000", "approve"), "not in plan"),
    (lambda m: m.record(Decision(OTHER.fingerprint, ACTIONS[0].id, "approve", "ana", "t")), "was made on plan"),
    (lambda m: m.decide_many([ACTIONS[0].id, "nope"], "approve"), "names action nope"),
    (lambda m: ApprovalModel(CHANGED, m.store, "ana", CLOCK), "has changed since it was made"),
    (lambda m: ApprovalModel(PLAN, m.store, "", CLOCK), "needs a user name"),
])
def test_refused_decisions_write_nothing(store, model, make, words):
    with pytest.raises(ApprovalError, match=words):
        make(model)
    assert store.decisions(PLAN.fingerprint) == [] and model.counts()["pending"] == len(ACTIONS)


def test_stored_decision_of_another_plan_cannot_be_read_into_this_one(store):
    store.record_decision(Decision(OTHER.fingerprint, ACTIONS[0].id, "approve", "ana", "t"))
    assert ApprovalModel(PLAN, store, "ana", CLOCK).pending() == list(ACTIONS)


@pytest.mark.parametrize("policy, approved", [
    ("none", []),
    ("xero_to_precoro_reference", [2, 3]),
    ("to_xero:purchase_order", [4]),
    ("xero_to_precoro_reference+to_xero:*", [0, 2, 3, 4]),
    ("to_precoro:*", [2, 3]),  # the supplier conflict waits for a person
    ("demo", [0, 1, 2, 3, 4]),
])
def test_policies_approve_exactly_what_they_name(store, model, policy, approved):
    decisions = apply_policy(model, Policy.parse(policy))
    assert [d.action_id for d in decisions] == [ACTIONS[i].id for i in approved]
    assert {d.by for d in decisions} <= {f"policy:{policy}"} and all(d.policy == policy for d in decisions)
    assert [d.action_id for d in store.decisions(PLAN.fingerprint)] == [ACTIONS[i].id for i in approved]


def test_policy_never_overrides_a_person(model):
    model.decide(ACTIONS[3].id, "reject", "wrong name")
    decisions = apply_policy(model, Policy.parse("xero_to_precoro_reference"))
    assert [d.action_id for d in decisions] == [ACTIONS[2].id]
    assert model.decision(ACTIONS[3].id).verdict == "reject"


@pytest.mark.parametrize("text, words", [
    ("everything", "unknown approval policy 'everything'"),
    ("to_xero:widget", "unknown kind 'widget'"),
    ("none+sideways:item", "unknown approval policy 'sideways:item'"),
])
def test_unknown_policy_is_refused(text, words):
    with pytest.raises(ApprovalError, match=words):
        Policy.parse(text)
