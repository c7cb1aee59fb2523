"""Suppliers (two-way): linking, match candidates, three-way diff, conflicts, inactivation, creation."""

import pandas as pd
import pytest

from reconcile_data import baseline, snap, supplier
from recon.reconcile import NO_CHANGES, reconcile

P1 = supplier("1", "X1")
X1 = supplier("X1", "X1")
B1 = supplier("1", "X1")


def rows(rec):
    d = rec.differences
    return sorted(zip(d["field"], d["kind"], d["direction"], d["action"]))


CASES = [
    # name, precoro, xero, baseline, expected (field, kind, direction, action)
    ("equal after normalising whitespace and e-mail case",
     [supplier("1", "X1", name=" Acme   Ltd ", email="AP@ACME.test")], [X1], None, []),
    ("changed only in Xero flows to Precoro",
     [P1], [supplier("X1", "X1", phone="+44 1")], [B1], [("phone", "mismatch", "to_precoro", "update")]),
    ("changed only in Precoro flows to Xero",
     [supplier("1", "X1", city="Leeds")], [X1], [B1], [("city", "mismatch", "to_xero", "update")]),
    ("changed on both sides: conflict, Xero wins",
     [supplier("1", "X1", name="Acme A")], [supplier("X1", "X1", name="Acme B")], [B1],
     [("name", "conflict", "to_precoro", "update")]),
    ("both changed the same way: no difference",
     [supplier("1", "X1", name="Acme B")], [supplier("X1", "X1", name="Acme B")], [B1], []),
    ("no baseline: Xero, the source, wins",
     [supplier("1", "X1", name="Acme A")], [X1], None, [("name", "mismatch", "to_precoro", "update")]),
    ("contact archived in Xero inactivates the Precoro supplier",
     [P1], [supplier("X1", "X1", active=False)], None, [("active", "mismatch", "to_precoro", "archive")]),
    ("supplier disabled in Precoro archives the Xero contact",
     [supplier("1", "X1", active=False)], [X1], None, [("active", "mismatch", "to_xero", "archive")]),
    ("reactivated in Xero after the last sync flows to Precoro",
     [supplier("1", "X1", active=False)], [X1], [supplier("1", "X1", active=False)],
     [("active", "mismatch", "to_precoro", "update")]),
    ("Xero supplier not in Precoro is created there",
     [], [X1], None, [("", "only_in_xero", "to_precoro", "create")]),
    ("Precoro supplier not in Xero is created there",
     [supplier("1", None)], [], None, [("", "only_in_precoro", "to_xero", "create")]),
    ("archived Xero contact not in Precoro is left alone", [], [supplier("X1", "X1", active=False)], None, []),
    ("unique match on tax number: link, and the Precoro supplier takes the Xero data",
     [supplier("1", None, name="ACME Trading", email="x@y")], [supplier("X1", "X1", email="z@y")], None,
     [("email", "mismatch", "to_precoro", "update"), ("name", "mismatch", "to_precoro", "update"),
      ("tax_number", "match_candidate", "none", "link")]),
    ("names equal but for case, spacing, punctuation and the legal suffix: link",
     [supplier("1", None, name="ACME  limited.", tax_number="", email="")], [X1], None,
     [("name", "match_candidate", "none", "link"), ("name", "mismatch", "to_precoro", "update"),
      ("tax_number", "mismatch", "to_precoro", "update"), ("email", "mismatch", "to_precoro", "update")]),
    ("ambiguous candidates are shown, never linked",
     [supplier("1", None)], [supplier("X1", "X1"), supplier("X2", "X2", email="b@acme.test")], None,
     [("email, name, tax_number", "match_candidate", "none", "none"),
      ("name, tax_number", "match_candidate", "none", "none")]),
    ("stored Xero id not found in Xero is shown, not recreated",
     [supplier("1", "GONE")], [], None, [("xero_id", "only_in_precoro", "none", "none")]),
]


@pytest.mark.parametrize("name, precoro, xero, base, expected", CASES, ids=[c[0] for c in CASES])
def test_supplier_rules(name, precoro, xero, base, expected):
    baselines = {"supplier": baseline("supplier", base)} if base else {}
    rec = reconcile(snap({"supplier": precoro}, {"supplier": xero}), kinds=["supplier"], baselines=baselines,
                    run_id="t")
    assert rows(rec) == sorted(expected)
    if not expected:
        assert rec.message == NO_CHANGES and not rec.plan.actions


def test_conflict_action_writes_the_xero_value_over_the_precoro_one():
    rec = reconcile(snap({"supplier": [supplier("1", "X1", name="Acme A")]},
                         {"supplier": [supplier("X1", "X1", name="Acme B")]}),
                    kinds=["supplier"], baselines={"supplier": baseline("supplier", [B1])}, run_id="t")
    (action,) = rec.plan.actions
    assert (action.target, action.op, dict(action.keys)) == ("precoro", "update", {"precoro_id": "1", "xero_id": "X1"})
    assert (dict(action.new), dict(action.old), action.difference) == ({"name": "Acme B"}, {"name": "Acme A"}, "conflict")


def test_link_table_links_records_precoro_does_not_know_about():
    links = pd.DataFrame({"kind": ["supplier"], "precoro_id": ["1"], "xero_id": ["X7"]})
    rec = reconcile(snap({"supplier": [supplier("1", None, name="Old")]}, {"supplier": [supplier("X7", "X7")]}),
                    kinds=["supplier"], links=links, run_id="t")
    assert rows(rec) == [("name", "mismatch", "to_precoro", "update")]
    assert rec.summary.loc[0, "linked"] == 1


def test_create_in_precoro_carries_the_xero_id_and_all_compared_fields():
    rec = reconcile(snap({}, {"supplier": [supplier("X1", "X1", city="Bath")]}), kinds=["supplier"], run_id="t")
    (action,) = rec.plan.actions
    assert action.new["xero_id"] == "X1" and action.new["city"] == "Bath" and action.new["active"] == "true"
    assert dict(action.keys) == {"xero_id": "X1"} and action.old == {}


def test_summary_counts_each_kind_of_difference():
    rec = reconcile(snap({"supplier": [P1, supplier("2", None, name="B", tax_number="B", email="b@b")]},
                         {"supplier": [supplier("X1", "X1", phone="9")]}), kinds=["supplier"], run_id="t")
    s = rec.summary.set_index("object").loc["supplier"]
    assert (s["precoro"], s["xero"], s["linked"], s["equal"], s["mismatch"], s["only_in_precoro"], s["actions"]) == \
        (2, 1, 1, 0, 1, 1, 2)


def test_possible_duplicates_found_both_ways_are_those_found_one_way_at_a_time():
    # the duplicate search shares the name keys of linked pairs whose names are equal on both sides: a pair
    # renamed on one side must still be keyed by its own name on each side
    import numpy as np

    from recon import schema
    from recon.reconcile import fields
    from recon.reconcile.link import duplicates, duplicates_both_ways
    from recon.rules import rule as get_rule

    names_p = ["Acme Ltd", "Bolt & Nut", "Zoë GmbH", "Kiwi Co", "ACME", "bolt and nut", "Kiwi", "Other"]
    names_x = ["Acme Ltd", "Bolt and Nut Ltd", "Zoe GmbH", "Renamed", "Kiwi Ltd", "Zoë", "acme limited", "x"]
    p = schema.conform(pd.DataFrame({"id": [f"P{i}" for i in range(8)], "name": names_p}), "supplier")
    x = schema.conform(pd.DataFrame({"id": [f"X{i}" for i in range(8)], "name": names_x}), "supplier")
    rule = get_rule("supplier")
    linked_p, linked_x = np.array([0, 1, 2, 3]), np.array([0, 1, 2, 3])
    new_p, new_x = np.array([4, 5, 6, 7]), np.array([4, 5, 6, 7])
    both = duplicates_both_ways(rule, p, new_p, x, new_x, linked_p, linked_x)
    one_way = (duplicates(rule, p, new_p, x, linked_x), duplicates(rule, x, new_x, p, linked_p))
    # the linked pairs' columns as reconcile already took them: the same pairs found
    taken = (fields.taken(p, ["name"], linked_p), fields.taken(x, ["id", "name"], linked_x))
    given = duplicates_both_ways(rule, p, new_p, x, new_x, linked_p, linked_x, taken)
    for found, from_taken, expected in zip(both, given, one_way):
        pd.testing.assert_frame_equal(found, expected)
        pd.testing.assert_frame_equal(from_taken, expected)
    assert sorted(zip(both[0]["p"], both[0]["x"])) == [(4, 0), (5, 1)]  # ACME ~ Acme Ltd, bolt and nut ~ Bolt and Nut Ltd
    # Kiwi Ltd ~ Kiwi Co (linked with a Xero record renamed since), Zoë ~ Zoë GmbH, acme limited ~ Acme Ltd
    assert sorted(zip(both[1]["p"], both[1]["x"])) == [(4, 3), (5, 2), (6, 0)]


@pytest.mark.parametrize("precoro, xero, links, matched", [
    # stored, then a unique match appended after the stored pairs but sorted among them by Precoro position
    ([supplier("1", None, name="Bolt", tax_number="GB2", email="b@x"), supplier("2", "X1")],
     [supplier("X1", "X1"), supplier("X2", "X2", name="Bolt", tax_number="GB2", email="b@x")], None,
     [("match", True), ("stored", False)]),
    ([supplier("1", None)], [supplier("X1", "X1")], [("supplier", "1", "X1")], [("table", False)]),
    ([supplier("1", "X1")], [supplier("X1", "X1")], None, [("stored", False)]),
])
def test_linkage_says_which_pairs_are_matches(precoro, xero, links, matched):
    import numpy as np

    from recon.reconcile.link import link
    from recon.rules import rule as get_rule

    s = snap({"supplier": precoro}, {"supplier": xero})
    table = pd.DataFrame(links, columns=["kind", "precoro_id", "xero_id"]) if links else None
    linkage = link(get_rule("supplier"), s.frame("precoro", "supplier"), s.frame("xero", "supplier"), table)
    assert list(zip(linkage.pairs["how"], linkage.matched.tolist())) == matched
    assert linkage.matched.dtype == np.bool_ and len(linkage.matched) == len(linkage.pairs)


def test_a_record_without_a_stored_id_is_not_linked_with_a_record_without_an_id():
    # every stored id is looked up, empty ones too: an empty id must not find a Xero record whose id is empty
    from recon.reconcile.link import link
    from recon.rules import rule as get_rule

    s = snap({"supplier": [supplier("1", None, name="A", tax_number="T1", email="a@x"), supplier("2", "X2")]},
             {"supplier": [supplier(None, None, name="B", tax_number="T2", email="b@x"), supplier("X2", "X2")]})
    linkage = link(get_rule("supplier"), s.frame("precoro", "supplier"), s.frame("xero", "supplier"), None)
    assert list(zip(linkage.pairs["p"], linkage.pairs["x"])) == [(1, 1)]
    assert linkage.only_p.tolist() == [0] and linkage.only_x.tolist() == [0] and not len(linkage.dangling)


@pytest.mark.parametrize("names_p, names_x, to_xero, to_precoro", [
    # a pair renamed on one side: each side's new record is a duplicate of the name that side's pair holds there
    (["Pear", "Plum", "Apple"], ["Apple", "Plum", "Pear"], [(2, 0)], [(2, 0)]),
    (["Pear", "Plum", "Fig"], ["Pear", "Plum", "Kiwi"], [], []),
    (["Pear Ltd", "Plum", "pear"], ["Pear", "Plum Limited", "PLUM"], [(2, 0)], [(2, 1)]),
])
def test_possible_duplicates_from_columns_reconcile_took(names_p, names_x, to_xero, to_precoro):
    # reconcile hands the linked pairs' columns it compared to the duplicate search: the same pairs as taking them
    import numpy as np

    from recon import schema
    from recon.reconcile import fields
    from recon.reconcile.link import duplicates_both_ways
    from recon.rules import rule as get_rule

    p = schema.conform(pd.DataFrame({"id": [f"P{i}" for i in range(3)], "name": names_p}), "supplier")
    x = schema.conform(pd.DataFrame({"id": [f"X{i}" for i in range(3)], "name": names_x}), "supplier")
    linked_p, linked_x, new = np.array([0, 1]), np.array([0, 1]), np.array([2])
    taken = (fields.taken(p, ["name"], linked_p), fields.taken(x, ["id", "name"], linked_x))
    for columns in (None, taken):
        found = duplicates_both_ways(get_rule("supplier"), p, new, x, new, linked_p, linked_x, columns)
        assert [sorted(zip(f["p"].tolist(), f["x"].tolist())) for f in found] == [to_xero, to_precoro]
