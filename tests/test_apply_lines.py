"""Document lines get the stale check header fields get: on the emulators, through the real connectors.

A bill's lines (the demo plan's TH-10077 update, which puts Precoro's lines back over a quantity edited in
Xero) and a purchase order's lines (a hand-made update) are edited in Xero after the plan was made: the
update is refused as stale, naming the line and column, and Xero keeps the newer edit. Unedited, the update
is applied; applied again (a resumed run) it finds Xero already holding the lines and writes nothing.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import httpx
import pytest

from recon.apply import apply_plan, changes
from recon.approve import ApprovalModel, Policy, apply_policy
from recon.connectors.base import WriteRequest
from recon.reconcile.model import Action, Plan
from recon.sandbox import demo
from recon.store import Store
from test_apply_kit import sandbox_connectors, sandbox_settings, start_sandbox
from test_apply_roundtrip import reconciled

pytestmark = pytest.mark.reliability  # counted in docs/approve-apply.md, section Reliability

CLOCK = lambda: "2026-11-23T10:00:00Z"  # noqa: E731
BILL, PO = "6b411d38-0454-5d1e-8590-c69a3ba07009", "dc0a5f73-289f-5161-9d95-62cd88ce7282"
SENT = ("line_no", "item_code", "description", "quantity", "unit_amount", "account_code", "tax_type",
        "tracking1_category", "tracking1_option", "tracking2_category", "tracking2_option")


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox() as sb:
        yield sb


def _sent(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: line[k] for k in SENT if k in line} for line in lines]


def _plan(sb, tmp_path, kind: str) -> tuple[Plan, Any]:
    sb.reset("demo")
    s = sandbox_settings(sb, tmp_path)
    with Store(s.state_path) as store:
        store.seed(links=demo.links(), baselines=demo.baseline())
        if kind == "bill":  # the demo plan's own line update
            full = reconciled(s, store, "lines")
            [action] = [a for a in full.plan.actions if a.kind == "bill" and a.keys.get("xero_id") == BILL]
        else:  # a purchase order whose first line's quantity changed in Precoro
            with sandbox_connectors(s) as (xero, _):
                old = _sent(xero.read("purchase_order", PO)["lines"])
            new = [dict(old[0], quantity=str(int(float(old[0]["quantity"])) + 1)), *old[1:]]
            action = Action("purchase_order", "xero", "update", {"precoro_id": "1", "xero_id": PO}, {"lines": new},
                            {"lines": old}, "line quantity changed in Precoro", "mismatch", "PO 1")
        plan = Plan("lines", (kind,), (action,))
        apply_policy(ApprovalModel(plan, store, "ana", CLOCK), Policy.parse("demo"))
    return plan, s


def _edit_in_xero(s, kind: str, xid: str, edit) -> list[dict[str, Any]]:
    """Someone edits the document's lines in Xero after the plan was made."""
    with sandbox_connectors(s) as (xero, _):
        lines = _sent(xero.read(kind, xid)["lines"])
        edit(lines)
        [res] = xero.write([WriteRequest("someone-else", kind, "update", xid, {"lines": lines})])
        assert res.ok, res.error
        return _sent(xero.read(kind, xid)["lines"])


def _apply(plan, s, run_id="first"):
    with Store(s.state_path) as store, sandbox_connectors(s) as conns:
        return apply_plan(plan, store, conns, clock=CLOCK, progress=False, run_id=run_id)


def _xero_writes(sb) -> int:
    routes = httpx.get(f"{sb.xero_url}/_sandbox/stats").json()["by_route"]
    return sum(n for route, n in routes.items() if route.split()[0] in ("POST", "PUT") and "/api.xro/" in route)


def _quantity_up(lines):
    lines[0]["quantity"] = str(int(float(lines[0]["quantity"])) + 5)


def _line_added(lines):
    lines.append(dict(lines[-1], description="Extra cable", quantity="1.0000", unit_amount="19.9900"))


def _description(lines):
    lines[-1]["description"] = lines[-1]["description"] + " (returned)"


@pytest.mark.parametrize("kind, xid", [("bill", BILL), ("purchase_order", PO)])
@pytest.mark.parametrize("edit, words", [
    (_quantity_up, r"lines\[1\]\.quantity: approved against '\d+\.0000', found '\d+\.0000'"),
    (_line_added, r"lines: approved against '\d lines', found '\d lines'"),
    (_description, r"lines\[\d\]\.description: approved against '[^']+', found '[^']+ \(returned\)'"),
])
def test_a_line_edited_in_xero_after_the_plan_is_refused_as_stale(sandbox, tmp_path, kind, xid, edit, words):
    plan, s = _plan(sandbox, tmp_path, kind)
    edited = _edit_in_xero(s, kind, xid, edit)
    writes = _xero_writes(sandbox)
    outcome = _apply(plan, s)
    [result] = outcome.results
    assert result.status == "refused", result.message
    assert "changed in xero since the plan was made" in result.message
    assert re.search(words, result.message), result.message
    assert _xero_writes(sandbox) == writes  # nothing written
    with sandbox_connectors(s) as (xero, _):
        assert _sent(xero.read(kind, xid)["lines"]) == edited  # the newer edit stands


@pytest.mark.parametrize("kind, xid", [("bill", BILL), ("purchase_order", PO)])
def test_unedited_lines_are_written_once_and_a_rerun_finds_them_there(sandbox, tmp_path, kind, xid):
    plan, s = _plan(sandbox, tmp_path, kind)
    first = _apply(plan, s)
    assert first.results[0].status == "applied" and first.results[0].message == "applied"
    with sandbox_connectors(s) as (xero, _):
        now = xero.read(kind, xid)
    assert not changes(now, plan.actions[0].new)
    # as if the run had been killed after Xero committed the write and before its "done" journal row
    with Store(s.state_path) as store:
        store._db.execute("DELETE FROM journal WHERE phase = 'done'")
    writes = _xero_writes(sandbox)
    second = _apply(plan, s, "second")
    assert second.results[0].status == "applied" and "already holds the new values" in second.results[0].message
    assert _xero_writes(sandbox) == writes


def test_a_line_update_without_its_old_lines_is_not_applied(sandbox, tmp_path):
    plan, s = _plan(sandbox, tmp_path, "purchase_order")
    blind = dataclasses.replace(plan.actions[0], old={})
    plan = Plan("blind", ("purchase_order",), (blind,))
    with Store(s.state_path) as store:
        apply_policy(ApprovalModel(plan, store, "ana", CLOCK), Policy.parse("demo"))
    writes = _xero_writes(sandbox)
    [result] = _apply(plan, s).results
    assert result.status == "failed" and "does not say which lines it replaces" in result.message
    assert _xero_writes(sandbox) == writes


@pytest.mark.parametrize("current, expected, found", [
    ({"lines": [{"quantity": "3.0000"}]}, {"lines": [{"quantity": "3.00"}]}, []),          # numbers exactly
    ({"lines": [{"quantity": "3.0000"}]}, {"lines": [{"quantity": "3.01"}]}, ["lines[1].quantity"]),
    ({"lines": [{"quantity": "1"}]}, {"lines": [{"quantity": "1", "tax_rate": "15"}]}, []),  # a column Xero lacks
    ({"lines": []}, {"lines": [{"quantity": "1"}]}, ["lines"]),
    ({"name": "A", "lines": [{"description": "x"}]}, {"name": "B", "lines": [{"description": "y"}]},
     ["name", "lines[1].description"]),
    ({"name": "A"}, {"lines": [{"quantity": "1"}]}, []),  # lines unknown: nothing to compare
])
def test_changes_compares_lines_like_fields(current, expected, found):
    assert [name for name, _, _ in changes(current, expected)] == found
