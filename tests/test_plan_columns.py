"""The plan made a column at a time must be the plan the general loop makes: the same actions (ids, content,
fingerprint text) in the same order, and the same ``action`` column, for any mix of differing fields,
directions, kinds, archives and reactivations, address fields written whole, and records without an id."""

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from recon import schema
from recon.reconcile import plan
from recon.reconcile.diff import DIFF_FRAME_COLUMNS
from recon.rules import rule as get_rule

RULE = get_rule("supplier")
N = 6
# record 5 has no ids at all; record 4 no Precoro id
P = schema.conform(pd.DataFrame({"id": [f"P{i}" for i in range(4)] + [None, None],
                                 "name": ["Acme", "Bolt \"& Nut\"", "Zoë", "", "Kiwi %s", None],
                                 "city": ["Leeds", "York", "Bath", "Derby", "Leeds", None]}), "supplier")
X = schema.conform(pd.DataFrame({"id": [f"X{i}" for i in range(5)] + [None],
                                 "name": ["Acme Ltd", "Bolt", "Zoe", "Quad", "", "Six"],
                                 "city": ["Leeds", "Bristol", "Bath", "Derby", "Hull", None],
                                 "region": ["", "North", None, "", "East", ""]}), "supplier")
FIELDS = ["name", "email", "city", "region", "active", "phone"]
texts = st.sampled_from(["", "a", "Leeds", "true", "false", "x\"y", "é", "%s", "GB1"])
row = st.fixed_dictionaries({
    "p": st.integers(0, N - 1), "x": st.integers(0, N - 1), "field": st.sampled_from(FIELDS),
    "precoro_value": texts, "xero_value": texts, "baseline_value": texts,
    "kind": st.sampled_from(["mismatch", "conflict", "blocked_edit", "rounding", "match_candidate"]),
    "direction": st.sampled_from(["to_xero", "to_precoro", "to_precoro", "none"]),
    "reason": st.sampled_from(["no baseline: Xero is the source", "changed in Xero since the last sync", "b"]),
})


def made(diffs, columnar):
    actions, column = plan.field_actions(plan.Sides(RULE, P, X), diffs, {"precoro": {}, "xero": {}},
                                         columnar=columnar)
    return [(a.id, a.to_dict(), a.__dict__["_made_text"]) for a in actions], column.tolist()


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(row, max_size=14))
def test_columns_make_the_plan_the_loop_makes(rows):
    diffs = pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=np.int64 if c in ("p", "x") else object)
                          for c in DIFF_FRAME_COLUMNS})
    assert made(diffs, columnar=True) == made(diffs, columnar=False)


def test_one_field_records_are_made_in_columns_and_others_by_the_loop():
    # a group of one plain field or of ``active`` alone is columnar; an address field to Xero (written whole),
    # and a record with two fields, go through the loop: all three kinds together, in the order of the records
    diffs = pd.DataFrame({
        "p": [0, 1, 1, 2, 3], "x": [0, 1, 1, 2, 3],
        "field": ["name", "city", "name", "active", "city"],
        "precoro_value": ["Acme", "York", "Bolt", "false", "Derby"],
        "xero_value": ["Acme Ltd", "Bristol", "Bolt Ltd", "true", "Hull"],
        "baseline_value": [""] * 5, "kind": ["mismatch", "conflict", "mismatch", "mismatch", "mismatch"],
        "direction": ["to_precoro", "to_xero", "to_xero", "to_xero", "to_xero"], "reason": ["r1", "r2", "r3", "r4", "r5"]})
    actions, column = plan.field_actions(plan.Sides(RULE, P, X), diffs, {"precoro": {}, "xero": {}})
    assert [(a.op, a.target, dict(a.keys), dict(a.new)) for a in actions] == [
        ("update", "precoro", {"precoro_id": "P0", "xero_id": "X0"}, {"name": "Acme Ltd"}),
        ("update", "xero", {"precoro_id": "P1", "xero_id": "X1"},
         {"city": "York", "name": "Bolt", "address_line1": "", "region": "North", "postal_code": "", "country": ""}),
        ("archive", "xero", {"precoro_id": "P2", "xero_id": "X2"}, {"active": "false"}),
        ("update", "xero", {"precoro_id": "P3", "xero_id": "X3"},
         {"city": "Derby", "address_line1": "", "region": "", "postal_code": "", "country": ""}),
    ]
    assert [a.reason for a in actions] == ["r1", "r2; r3", "r4", "r5"]
    assert [a.difference for a in actions] == ["mismatch", "conflict", "mismatch", "mismatch"]
    assert column.tolist() == ["update", "update", "update", "archive", "update"]
    assert made(diffs, columnar=True) == made(diffs, columnar=False)


def test_ids_and_labels_read_at_positions_are_those_of_the_rows_taken():
    from recon.reconcile import fields

    pos = np.array([5, 0, 3, 1, 1, 4])
    for frame in (P, X, P.astype({"name": object, "id": object})):  # Arrow strings, and the general path
        sides = plan.Sides(RULE, frame, frame)
        assert sides.plab[pos].tolist() == plan.labels(RULE, frame.iloc[pos]).tolist()
        # the Arrow path and the general one agree
        assert plan.labels(RULE, frame).tolist() == plan.labels(RULE, frame.astype({"name": object, "id": object})).tolist()
        assert sides.pid[pos].tolist() == fields.text(frame["id"].iloc[pos]).tolist()
    # a missing or empty name reads as the id; neither: ""
    assert plan.Sides(RULE, P, X).plab[np.array([3, 5, 1])].tolist() == ["P3", "", 'Bolt "& Nut"']


def test_actions_sort_by_kind_operation_target_label_and_id_without_repeats():
    from recon import schema
    from recon.reconcile.model import Action

    made = [Action(kind, target, op, {"xero_id": f"X{i}"}, {"name": str(i % 3)}, {}, "r", "mismatch", label)
            for i, (kind, op, target, label) in enumerate(
                (k, o, t, lab) for k in ("purchase_order", "supplier", "item") for o in ("archive", "create", "link", "update")
                for t in ("xero", "precoro") for lab in ("b", "a", "", "b"))]
    shuffled = made[::-1] + made[:7]  # repeats go
    kinds = {k: i for i, k in enumerate(schema.KINDS)}
    ops = {"link": 0, "create": 1, "update": 2, "archive": 3}
    expected = sorted({a.id: a for a in shuffled}.values(),
                      key=lambda a: (kinds[a.kind], ops[a.op], a.target, a.label, a.id))
    assert plan.sort_actions(shuffled) == tuple(expected)
    assert len(plan.sort_actions(shuffled)) == len(made)
