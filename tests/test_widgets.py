"""The approval widget driven headless: clicks and value changes, asserted on the model and the store."""

from __future__ import annotations

import pytest

from recon.approve import ApprovalModel
from recon.store import Store
from recon.widgets import ApprovalView, fields_table
from test_approve import ACTIONS, CLOCK, PLAN


@pytest.fixture()
def store(tmp_path):
    with Store(tmp_path / "state.sqlite") as s:
        yield s


@pytest.fixture()
def view(store):
    return ApprovalView(ApprovalModel(PLAN, store, "ana", CLOCK))


def feedback(view) -> str:
    return "".join(o["text"] for o in view.output.outputs)


def test_actions_are_grouped_by_kind(view):
    assert list(view.cards) == [ACTIONS[i].id for i in (0, 1, 3, 2, 4)]
    assert "Update supplier in Xero" in view.cards[ACTIONS[0].id].header.value


def test_a_page_holds_page_size_rows_and_the_buttons_turn_it(store):
    view = ApprovalView(ApprovalModel(PLAN, store, "ana", CLOCK), page_size=2)
    assert list(view.cards) == [ACTIONS[i].id for i in (0, 1)] and view.previous.disabled
    assert "page 1 of 3" in view.summary.value
    view.next.click()
    view.next.click()
    assert list(view.cards) == [ACTIONS[4].id] and view.next.disabled and not view.previous.disabled
    view.approve_shown.click()  # every action the filters select, not only this page
    assert len(store.decisions(PLAN.fingerprint)) == 5


def test_approve_selected_decides_only_the_ticked_rows(view, store):
    view.cards[ACTIONS[1].id].pick.value = True
    view.cards[ACTIONS[3].id].pick.value = True
    view.reject_selected.click()
    assert {d.action_id: d.verdict for d in store.decisions(PLAN.fingerprint)} == {ACTIONS[1].id: "reject",
                                                                                  ACTIONS[3].id: "reject"}
    assert "rejected by ana" in view.cards[ACTIONS[1].id].header.value


def test_before_and_after_are_built_on_demand(view):
    row = view.cards[ACTIONS[1].id]
    assert row.detail.value == "" and row.detail.layout.display == "none"
    row.more.value = True
    assert "<td>phone</td><td>554</td><td>555</td>" in row.detail.value and row.detail.layout.display == "block"


@pytest.mark.parametrize("control, value, shown", [
    ("kind", "supplier", [0, 1]),
    ("difference", "conflict", [1]),
    ("direction", "to_xero", [0, 4]),
    ("direction", "to_precoro", [1, 3, 2]),
])
def test_filters_select_what_is_shown(view, control, value, shown):
    getattr(view, control).value = value
    assert list(view.cards) == [ACTIONS[i].id for i in shown]
    assert view.summary.value.startswith(f"{len(shown)} of 5 actions shown")


def test_card_click_records_the_decision_with_the_comment(view, store):
    view.comment.value = "matches the signed contract"
    view.cards[ACTIONS[0].id].approve.click()
    [d] = store.decisions(PLAN.fingerprint)
    assert (d.action_id, d.verdict, d.by, d.comment) == (ACTIONS[0].id, "approve", "ana", "matches the signed contract")
    assert "approved" in view.cards[ACTIONS[0].id].header.value
    assert feedback(view) == "✓ approved update supplier Acme (to xero) as ana\n"
    assert "1 approved" in view.summary.value


def test_approve_all_shown_decides_only_the_filtered_actions(view, store):
    view.direction.value = "to_precoro"
    view.approve_shown.click()
    view.direction.value = None
    view.kind.value = "purchase_order"
    view.reject_shown.click()
    got = {d.action_id: d.verdict for d in store.decisions(PLAN.fingerprint)}
    assert got == {ACTIONS[1].id: "approve", ACTIONS[2].id: "approve", ACTIONS[3].id: "approve", ACTIONS[4].id: "reject"}
    assert feedback(view).splitlines() == ["✓ approved 3 actions shown", "✓ rejected 1 actions shown"]


def test_status_filter_follows_decisions(view):
    view.status.value = "pending"
    view.cards[ACTIONS[0].id].reject.click()
    assert ACTIONS[0].id not in view.cards and len(view.cards) == 4


def test_reopening_shows_decisions_already_taken(view, store):
    view.cards[ACTIONS[2].id].reject.click()
    reopened = ApprovalView(ApprovalModel(PLAN, store, "bo", CLOCK))
    assert "rejected by ana" in reopened.cards[ACTIONS[2].id].header.value
    assert "pending" in reopened.cards[ACTIONS[0].id].header.value


def test_approve_all_with_nothing_shown_decides_nothing(view, store):
    view.kind.value, view.direction.value = "tax_rate", "to_xero"  # nothing shown
    view.approve_shown.click()
    assert feedback(view) == "nothing shown: no decision made\n" and store.decisions(PLAN.fingerprint) == []


def test_changed_values_are_highlighted_and_conflicts_marked(view):
    table = fields_table(ACTIONS[1])
    assert "<td>phone</td><td>554</td><td>555</td>" in table and "background:#fef3c7" in table
    assert "⚠ conflict" in view.cards[ACTIONS[1].id].header.value
    assert "⚠ conflict" not in view.cards[ACTIONS[0].id].header.value


def test_document_lines_show_each_changed_line_field():
    from recon.reconcile.model import Action
    from recon.widgets import field_rows

    old = [{"line_no": "1", "description": "Laptop", "quantity": "3.0000"}, {"line_no": "2", "description": "Dock"}]
    new = [{"line_no": "1", "description": "Laptop", "quantity": "2.0000"}, {"line_no": "2", "description": "Dock"}]
    action = Action("bill", "xero", "update", {"precoro_id": "5", "xero_id": "B5"}, {"lines": new}, {"lines": old},
                    "edited in Xero", "blocked_edit", "TH-10077")
    assert [r for r in field_rows(action) if r[0] != "lines"] == [("lines[1].quantity", "3.0000", "2.0000", True)]
    assert "<td>lines[1].quantity</td><td>3.0000</td><td>2.0000</td>" in fields_table(action)
