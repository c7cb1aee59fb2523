"""Carrying out the ``update`` of a record its target can only cancel and create (the rule's ``replaced_on``:
Precoro payments, which have no ``PUT``; see ``recon/reconcile/replaced.py``).

Two writes, each journalled ``started`` (with its ``step``) before its call:

1. ``cancel``: the linked Precoro payment is cancelled (``PATCH status=canceled``) and its ``externalId``
   cleared in the same call. A cancelled payment that kept the Xero id would claim the Xero payment again (two
   Precoro payments naming one Xero payment; reconcile keeps the lowest id), so only the new one carries it.
   One already cancelled in Precoro (by hand) is not cancelled again: only its ``externalId`` is cleared.
2. ``create``: Xero's payment recorded anew (``POST /payments`` with ``externalId``): the cancelled payment's
   invoice, date and amount, with the plan's new values over them.

Then the Xero payment is linked to the new payment, its baseline written, and the action journalled ``done``.

What Precoro holds decides what a resumed run still does, whatever the journal's last row says (a run can die
after a call committed and before its next row): a live payment carrying the Xero id that is not the old one
is the new payment, adopted and never created twice; an old payment already cancelled is not cancelled again.
A stale check guards the first write as for every update: the old payment must still hold the values the plan
saw; once a run of this plan has started, the old payment may be found cancelled (its own first write).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from recon.connectors.base import Connector, WriteRequest, canonical_bool
from recon.errors import PlanError, StaleActionError
from recon.reconcile.model import ActionResult
from recon.rules import rule
from recon.store import JournalEntry

if TYPE_CHECKING:
    from recon.apply import Applier
    from recon.reconcile.model import Action

#: what the new payment takes from the cancelled one when the plan does not name a new value
CARRIED = ("bill_id", "date", "amount")


def replaces(action: "Action") -> bool:
    """Whether ``action`` is carried out as a replacement (cancel, then create) instead of an edit."""
    return action.op == "update" and action.target in rule(action.kind).replaced_on


def replace(applier: "Applier", conn: Connector, action: "Action", state: JournalEntry | None) -> ActionResult:
    """Cancel the record of ``action`` in its target and create it anew with the plan's values (see the module)."""
    old_id, xero_id = action.record_id, action.keys.get("xero_id", "")
    if not old_id or not xero_id:
        raise PlanError(f"replacing {action.kind} {action.label or action.id} needs both its {action.target} id "
                        "and its Xero id")
    found = conn.find(action.kind, {"xero_id": xero_id})
    current = conn.read(action.kind, old_id)
    if found and found != old_id:
        # an earlier attempt created the new payment and ended before recording it
        values = _new_values(action, current or {}, xero_id)
        if current is not None and _still_counts(current) and not applier.dry_run:
            failed = _cancel(applier, conn, action, old_id, current)
            if failed is not None:
                return failed
        return applier._done(action, None, found, _baseline(values),
                             f"found the new {action.kind} {found} already in {_system(action)}; "
                             f"{action.kind} {old_id} is cancelled there; not created again")
    if current is None:
        raise StaleActionError(f"{action.kind} {old_id} ({action.label}) no longer exists in {_system(action)}; "
                               "not replaced, reconcile again")
    _check_not_stale(applier, action, current, started=state is not None)
    values = _new_values(action, current, xero_id)
    if applier.dry_run:
        return _dry_run(conn, action, old_id, current, values)
    if _still_counts(current):
        failed = _cancel(applier, conn, action, old_id, current)
        if failed is not None:
            return failed
    applier._journal(action, "started", old_id, step="create", values=values)
    [res] = conn.write([WriteRequest(key=action.id, kind=action.kind, op="create", record_id=None, values=values)])
    if not res.ok:
        cancelled = f"{action.kind} {old_id} is cancelled in {_system(action)}; "
        if res.retryable:
            return applier._failed(action, f"recording Xero's {action.kind} anew did not finish: {res.error}; "
                                   f"{cancelled}apply again to finish it (recon first looks for what this attempt "
                                   "may have written)", request=dict(res.request))
        where = f" (field {res.field})" if res.field else ""
        return applier._failed(action, f"{_system(action)} refused to record Xero's {action.kind} anew{where}: "
                               f"{res.error}; {cancelled}put right what it names and apply again",
                               request=dict(res.request))
    return applier._done(action, res, res.record_id or "", _baseline(values),
                         f"cancelled {action.kind} {old_id} in {_system(action)} and recorded Xero's {action.kind} "
                         f"anew as {res.record_id}")


def _system(action: "Action") -> str:
    return {"precoro": "Precoro", "xero": "Xero"}.get(action.target, action.target)


def _still_counts(current: Mapping[str, Any]) -> bool:
    """Whether the old record still needs its first write: live, or cancelled but still naming the Xero record."""
    return canonical_bool(current.get("active")) is not False or bool(str(current.get("xero_id") or ""))


def _check_not_stale(applier: "Applier", action: "Action", current: Mapping[str, Any], *, started: bool) -> None:
    """Refuse the replacement when the old record changed since the plan (a run of this plan that started may
    have cancelled it itself)."""
    from recon.apply import changes

    expected = {k: v for k, v in action.old.items() if k != "active"}
    stale = [(name, saw, now) for name, saw, now in changes(current, expected)]
    live, expected_live = canonical_bool(current.get("active")) is not False, action.old.get("active") != "false"
    if live != expected_live and not (started and not live):
        stale.append(("active", str(expected_live).lower(), str(live).lower()))
    if stale:
        said = "; ".join(f"{name}: approved against {saw!r}, found {now!r}" for name, saw, now in stale)
        decision = applier.verdicts.get(action.id)
        who = f"; the decision: {decision.verdict}d by {decision.by} at {decision.at}" if decision else ""
        raise StaleActionError(f"{action.kind} {action.keys.get('precoro_id')} ({action.label}) changed in "
                               f"{_system(action)} since the plan was made ({said}){who}; not replaced, reconcile again")


def _new_values(action: "Action", current: Mapping[str, Any], xero_id: str) -> dict[str, str]:
    """The new record: the old one's invoice, date and amount, the plan's new values over them, the Xero id."""
    values = {k: str(current.get(k) or "") for k in CARRIED if current.get(k)}
    values.update({k: str(v) for k, v in action.new.items() if k != "active"})
    if "bill_xero_id" in action.new:
        values.pop("bill_id", None)  # another bill: its invoice is found by the bill's Xero id
    values["xero_id"] = xero_id
    return values


def _baseline(values: Mapping[str, str]) -> dict[str, str]:
    return {**{k: v for k, v in values.items() if k not in ("xero_id", "bill_id")}, "active": "true"}


def _cancel_request(action: "Action", old_id: str, current: Mapping[str, Any]) -> WriteRequest:
    if canonical_bool(current.get("active")) is False:  # cancelled in Precoro already: only unlinked
        return WriteRequest(key=action.id, kind=action.kind, op="link", record_id=old_id, values={"xero_id": ""})
    return WriteRequest(key=action.id, kind=action.kind, op="archive", record_id=old_id,
                        values={"active": "false", "xero_id": ""})


def _cancel(applier: "Applier", conn: Connector, action: "Action", old_id: str,
            current: Mapping[str, Any]) -> ActionResult | None:
    """The first write; its failure as the action's result, else ``None``."""
    request = _cancel_request(action, old_id, current)
    applier._journal(action, "started", old_id, step="cancel", values=dict(request.values))
    [res] = conn.write([request])
    if res.ok:
        return None
    if res.retryable:
        return applier._failed(action, f"cancelling {action.kind} {old_id} did not finish: {res.error}; apply again "
                               "to finish it", request=dict(res.request))
    where = f" (field {res.field})" if res.field else ""
    return applier._failed(action, f"{_system(action)} refused to cancel {action.kind} {old_id}{where}: {res.error}; "
                           "nothing was changed", request=dict(res.request))


def _dry_run(conn: Connector, action: "Action", old_id: str, current: Mapping[str, Any],
             values: Mapping[str, str]) -> ActionResult:
    requests = [WriteRequest(key=action.id, kind=action.kind, op="create", record_id=None, values=dict(values))]
    if _still_counts(current):
        requests.insert(0, _cancel_request(action, old_id, current))
    shown = [dict(r.request) for r in conn.write(requests, dry_run=True)]
    request = {**shown[0], "then": shown[1:]} if len(shown) > 1 else shown[0]
    return ActionResult(action.id, "dry_run", f"would cancel {action.kind} {old_id} and record Xero's anew",
                        old_id, request)
