"""One-way kinds from Xero (items, accounts, tracking options, tax rates): blocked edits, creation,
inactivation and match keys."""

import pytest

from reconcile_data import baseline, snap
from recon.reconcile import reconcile


def rec_(kind, precoro, xero, base=None):
    return reconcile(snap({kind: precoro}, {kind: xero}), kinds=[kind],
                     baselines={kind: baseline(kind, base)} if base else {}, run_id="t")


def rows(rec):
    d = rec.differences
    return sorted(zip(d["field"], d["kind"], d["direction"], d["action"]))


def item(id, xero_id, **kw):
    return {"id": id, "xero_id": xero_id, "code": "BOLT", "name": "Bolt", "purchase_price": "1.50",
            "account_code": "300", "active": True, **kw}


def account(id, xero_id, **kw):
    return {"id": id, "xero_id": xero_id, "code": "400", "name": "Advertising", "active": True, **kw}


def option(id, xero_id, **kw):
    return {"id": id, "xero_id": xero_id, "category": "Region", "name": "North", "active": True, **kw}


def tax(id, xero_id, **kw):
    return {"id": id, "xero_id": xero_id, "tax_type": "INPUT2", "name": "20% (VAT on Expenses)", "rate": "20",
            "active": True, **kw}


MAKERS = {"item": item, "account": account, "tracking_option": option, "tax_rate": tax}
FIELD = {"item": "name", "account": "name", "tracking_option": "name", "tax_rate": "name"}


@pytest.mark.parametrize("kind", list(MAKERS))
@pytest.mark.parametrize("case, p_kw, x_kw, base_kw, expected", [
    ("equal", {}, {}, None, []),
    ("changed in Xero flows to Precoro", {}, {"name": "New"}, {}, [("mismatch", "to_precoro", "update")]),
    ("edited in Precoro is a blocked edit put back from Xero", {"name": "Mine"}, {}, {},
     [("blocked_edit", "to_precoro", "update")]),
    ("both changed: conflict, Xero is the source", {"name": "Mine"}, {"name": "New"}, {},
     [("conflict", "to_precoro", "update")]),
    ("no baseline: Xero wins", {"name": "Mine"}, {}, None, [("mismatch", "to_precoro", "update")]),
])
def test_one_way_field_rules(kind, case, p_kw, x_kw, base_kw, expected):
    make = MAKERS[kind]
    base = [make("1", "X1")] if base_kw is not None else None
    rec = rec_(kind, [make("1", "X1", **p_kw)], [make("X1", "X1", **x_kw)], base)
    assert rows(rec) == [(FIELD[kind], *e) for e in expected]
    for action in rec.plan.actions:
        assert action.target == "precoro" and action.new == {FIELD[kind]: x_kw.get("name", "Advertising" if kind == "account" else make("", "")["name"])}


@pytest.mark.parametrize("kind", list(MAKERS))
def test_archived_in_xero_is_inactivated_in_precoro(kind):
    make = MAKERS[kind]
    rec = rec_(kind, [make("1", "X1")], [make("X1", "X1", active=False)], [make("1", "X1")])
    assert rows(rec) == [("active", "mismatch", "to_precoro", "archive")]
    assert rec.plan.actions[0].new == {"active": "false"}


@pytest.mark.parametrize("kind", list(MAKERS))
def test_new_in_xero_is_created_in_precoro_with_its_xero_id(kind):
    make = MAKERS[kind]
    rec = rec_(kind, [], [make("X1", "X1")])
    assert rows(rec) == [("", "only_in_xero", "to_precoro", "create")]
    (a,) = rec.plan.actions
    assert a.target == "precoro" and a.new["xero_id"] == "X1" and a.new["name"] == make("", "")["name"]


@pytest.mark.parametrize("kind", list(MAKERS))
def test_only_in_precoro_is_shown_never_written_to_xero(kind):
    make = MAKERS[kind]
    rec = rec_(kind, [make("1", None, name="Local only")], [])
    assert rows(rec) == [("", "only_in_precoro", "none", "none")]
    assert not rec.plan.actions


@pytest.mark.parametrize("kind, precoro, xero, expected", [
    ("item", [item("1", None)], [item("X1", "X1")], [("code+name", "link")]),
    ("item", [item("1", None, name="Other")], [item("X1", "X1")], [("", "none"), ("", "create")]),
    ("item", [item("1", None, code="bolt ", name="BOLT")], [item("X1", "X1")],
     [("code+name", "link"), ("code", "update"), ("name", "update")]),
    ("account", [account("1", None, name="Ads")], [account("X1", "X1")], [("code", "link"), ("name", "update")]),
    ("tax_rate", [tax("1", None, tax_type=None)], [tax("X1", "X1")], [("name", "link"), ("tax_type", "update")]),
    ("tracking_option", [option("1", None)], [option("X1", "X1"), option("X2", "X2", category="Dept")],
     [("", "create"), ("category+name", "link")]),
    ("account", [account("1", None), account("2", None)], [account("X1", "X1")], [("code", "none"), ("code", "none")]),
])
def test_match_keys_per_kind(kind, precoro, xero, expected):
    rec = rec_(kind, precoro, xero)
    assert sorted(zip(rec.differences["field"], rec.differences["action"])) == sorted(expected)
