"""Undo a sync run: a reverse plan built from the run's journal, carried out like any plan.

For every action the run applied (its journal says ``done``), the reverse action is:

================================  ===========================================================================
the run did                       the reverse plan does
================================  ===========================================================================
update                            an update putting every field it changed back to the value it replaced
create in Precoro                 disables the record (``enable=0``); a payment is cancelled, never deleted
create in Xero                    archives a contact; deletes a DRAFT or SUBMITTED bill or PO; voids an
                                  AUTHORISED bill; deletes an AUTHORISED PO
archive (disable)                 re-enables the record (a deleted or voided Xero document cannot be restored)
link                              removes the Xero id from the Precoro record (a Xero-side link: state only)
================================  ===========================================================================

Each reverse action's ``old`` is what the run wrote, so apply's stale check refuses it when the record changed
since (someone edited it after recon did). A record the run created or linked is forgotten by the state (its
link and baselines) once its reverse action is done (``Plan.unlinks``).

Xero's rules bound it: a bill with a payment, and a PO or bill in a locked period (on or before the lock date),
cannot be changed, so their reverse actions are not proposed: the reverse plan lists them in ``Plan.held``
with the reason, as it does for a deleted or voided document (Xero cannot restore it).

The reverse plan's fingerprint depends only on the run it reverts and what it does: building it again gives
the same plan, and applying it again changes nothing (the journal says each action is done).
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

from recon.errors import PlanError
from recon.reconcile.locks import DOCUMENTS, lock_date
from recon.reconcile.model import REVERT, Action, Plan
from recon.rules import DOC_TOTALS, rule
from recon.store import Store

#: what a reverse action compares of a document's lines: what a person edits (Xero recomputes the rest)
LINE_CHECK = ("description", "quantity", "unit_amount")
PAID = ("partly_paid", "paid")


def written_values(store: Store, fingerprint: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Per action id the run applied: ``(target id, the values it wrote)`` from the journal (the ``started``
    row's values, ids filled in; an action found already done has none)."""
    rows = store.journal_rows(fingerprint)
    started: dict[str, dict[str, Any]] = {}
    done: dict[str, str] = {}
    for action_id, phase, target_id, detail in zip(rows["action_id"], rows["phase"], rows["target_id"], rows["detail"]):
        if phase == "started":
            started[action_id] = dict(json.loads(detail).get("values") or {})
        elif phase == "done" and action_id not in done:
            done[action_id] = str(target_id)
    return {a: (t, started.get(a, {})) for a, t in done.items()}


def _checked(kind: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """What a reverse action checks the target still holds: the values the run wrote (document lines on the
    columns a person edits; totals, which Xero recomputes, left out)."""
    # what means the same read back from either system: not totals (Xero recomputes them), not the paid bill's
    # Xero id of a Precoro payment (the fetch fills it in from the bills; one record read back lacks it)
    compared = set(rule(kind).fields) - set(DOC_TOTALS) - {"bill_xero_id"}
    out = {k: v for k, v in values.items() if k in compared and not isinstance(v, (list, dict))}
    if not out.get("supplier_xero_id"):
        out.pop("supplier_xero_id", None)  # filled in by the apply, which a Xero read names differently
    if kind in DOCUMENTS and isinstance(values.get("lines"), list):
        out["lines"] = [{c: line[c] for c in LINE_CHECK if c in line} for line in values["lines"]]
    return out


class _Builder:
    def __init__(self, plan: Plan, store: Store, connectors: Sequence[Any]) -> None:
        self.plan, self.store = plan, store
        self.systems = {c.system: c for c in connectors}
        self.actions: list[Action] = []
        self.held: list[dict[str, str]] = []
        self.unlinks: list[str] = []
        xero = self.systems.get("xero")
        self.lock, self.lock_words = lock_date({"xero": xero.organisation()}) if xero is not None else ("", "")

    def hold(self, a: Action, why: str) -> None:
        self.held.append({"action_id": a.id, "kind": a.kind, "op": a.op, "target": a.target,
                          "label": a.label or a.id, "why": why})

    def add(self, a: Action, op: str, keys: Mapping[str, str], new: Mapping[str, Any], old: Mapping[str, Any],
            reason: str, *, unlink: bool = False) -> None:
        action = Action(a.kind, a.target, op, dict(keys), dict(new), dict(old),
                        f"revert of run {self.plan.run_id}: {reason}", REVERT, a.label)
        self.actions.append(action)
        if unlink:
            self.unlinks.append(action.id)

    def xero_blocked(self, a: Action, record_id: str) -> tuple[str, dict[str, Any] | None]:
        """Why Xero would refuse to change this document (a payment, a locked period), and its current values."""
        if a.target != "xero" or a.kind not in DOCUMENTS:
            return "", None
        current = self.systems["xero"].read(a.kind, record_id)
        if current is None:
            return f"{a.kind} {record_id} is no longer in Xero", None
        if a.kind == "bill" and (current.get("status") in PAID or str(current.get("amount_paid") or "0") not in ("0", "0.00", "")):
            return ("the bill has a payment in Xero, which refuses to edit, void or delete it: remove the payment "
                    "in Xero first, then revert again"), current
        date = str(current.get("date") or "")[:10]
        if self.lock and date and date <= self.lock:
            return (f"it is in a locked period (dated {date}, on or before Xero's {self.lock_words} {self.lock}): "
                    f"Xero refuses any change to it (\"The document date cannot be before the {self.lock_words}\")"), current
        return "", current

    def revert(self, a: Action, target_id: str, written: Mapping[str, Any]) -> None:
        written = dict(written) or dict(a.new)
        record_id = target_id or a.keys.get(f"{a.target}_id", "")
        keys = {**dict(a.keys), f"{a.target}_id": record_id}
        blocked, current = self.xero_blocked(a, record_id) if a.op != "link" else ("", None)
        if blocked:
            self.hold(a, blocked)
            return
        if a.op == "update":
            new = {k: a.old[k] for k in a.new if k in a.old}
            self.add(a, "update", keys, new, _checked(a.kind, {k: written.get(k, a.new[k]) for k in new}),
                     f"puts back {', '.join(sorted(new))}")
        elif a.op == "create":
            if a.target == "xero" and a.kind in DOCUMENTS:
                # from what the run wrote, not what is there now: built again after it is applied, the reverse
                # plan is the same plan (and its journal says it is done)
                status = str(written.get("status") or (current or {}).get("status") or "")
                gone = "deleted" if a.kind == "purchase_order" or status in ("draft", "submitted") else "voided"
                self.add(a, "archive", keys, {"status": gone}, _checked(a.kind, written),
                         f"{'deletes' if gone == 'deleted' else 'voids'} the {a.kind.replace('_', ' ')} it created",
                         unlink=True)
            else:
                word = "cancels the payment" if a.kind == "payment" else (
                    "archives the contact" if a.target == "xero" else "disables the record")
                # a Precoro record also loses the Xero id the run gave it: disabled and unlinked, the next
                # reconcile leaves it alone instead of carrying its "inactive" over to the Xero record
                unlinked = {"xero_id": ""} if a.target == "precoro" else {}
                self.add(a, "archive", keys, {"active": "false", **unlinked},
                         {**_checked(a.kind, written), "active": "true"}, f"{word} it created", unlink=True)
        elif a.op == "archive":
            if a.kind in DOCUMENTS:
                self.hold(a, "a deleted or voided Xero document cannot be restored" if a.target == "xero" else
                          "recon does not restore documents")
            else:
                self.add(a, "update", keys, {"active": "true"}, {"active": "false"}, "enables the record it disabled")
        elif a.op == "link":
            xero_id = a.keys.get("xero_id") or str(written.get("xero_id") or "")
            unlink_keys = {"precoro_id": a.keys.get("precoro_id", record_id)}
            if a.target == "xero":
                unlink_keys["xero_id"] = xero_id
            self.add(a, "link", unlink_keys, {"xero_id": ""}, {"xero_id": xero_id} if a.target == "precoro" else {},
                     "removes the link it made", unlink=True)


def reverse_plan(plan: Plan, store: Store, connectors: Sequence[Any], *, run_id: str, reverts: str) -> Plan:
    """The reverse plan of ``plan`` as the run ``reverts`` applied it (see the module docstring); ``run_id`` is the
    new run's. Reads each Xero document it would change (payments, lock dates). Raises :class:`PlanError` when
    that run applied nothing, or is itself a revert."""
    if plan.reverts:
        raise PlanError(f"run {reverts} is a revert (of run {plan.reverts}); reverting it again is not supported: "
                        "reconcile instead, and approve what the plan proposes")
    applied = written_values(store, plan.fingerprint)
    if not applied:
        raise PlanError(f"run {reverts} applied nothing (no action of its plan is done in the journal of "
                        f"{store.path}): nothing to revert")
    builder = _Builder(plan, store, connectors)
    for a in reversed(plan.actions):  # undone last first: a pair's updates before the link they came with
        if a.id in applied:
            target_id, written = applied[a.id]
            builder.revert(a, target_id, written)
    return Plan(run_id=run_id, kinds=plan.kinds, actions=tuple(builder.actions), reverts=reverts,
                held=tuple(builder.held), unlinks=tuple(sorted(set(builder.unlinks))))


__all__ = ["reverse_plan", "written_values", "REVERT"]
