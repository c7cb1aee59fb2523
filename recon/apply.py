"""Carry out the approved actions of a plan, exactly once, surviving a crash at any point.

For every approved action, in dependency order (reference data, then items, then documents, then payments):

1. if the journal says the action is ``done`` for this plan, skip it (it was applied by an earlier run);
2. re-read the target record; when it already holds the new values (a document's lines included) the
   action counts as applied (a run killed after its write lands here); when it differs from the values the
   plan saw (``action.old``, header fields and lines alike) the action is refused as stale and nothing is
   written: the refusal names each field with the value approved against and the value found, and the decision
   (who approved, when);
3. before a create in Precoro (no idempotency keys there), or a create that an earlier run journaled as
   started, look the record up (``find``) and adopt it instead of creating it again; an update of a Precoro
   payment (Precoro cannot edit one) is a cancel and a create, each journaled (``recon.apply_payments``);
4. journal ``started`` (committed), write with the action id as the idempotency key, record the link and
   the new baseline, journal ``done`` (or ``failed`` with the system's message and go on).

So a run killed at any instant and started again finishes the remaining actions and repeats none.
A dry run reads, checks and asks each connector for the exact request it would send, and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from contextlib import nullcontext
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Sequence

from recon.progress import progress as tqdm  # a bar where someone watches, plain lines in logs

from recon import apply_payments, schema
from recon.approve import check_plan, latest
from recon.connectors.base import Connector, WriteRequest, WriteResult
from recon.errors import ApiError, DailyLimitError, PlanError, StaleActionError
from recon.reconcile.model import Action, ActionResult, Decision, Outcome, Plan, canonical_json
from recon.store import JournalEntry, Store

if TYPE_CHECKING:
    from recon.run_folder import RunFolder


log = logging.getLogger("recon.apply")

#: Dependency rank per kind: lower ranks are applied first.
RANK: dict[str, int] = {"supplier": 0, "account": 0, "tracking_option": 0, "tax_rate": 0, "item": 1,
                        "purchase_order": 2, "bill": 2, "payment": 3}


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def ordered(actions: Iterable[Action], *, undo: bool = False) -> list[Action]:
    """Actions in dependency order, keeping the plan's order within a rank; ``undo`` (a reverse plan): the other
    way round, a payment cancelled before its bill is voided, a document before its supplier is archived."""
    return sorted(actions, key=lambda a: -RANK.get(a.kind, 9) if undo else RANK.get(a.kind, 9))


def _norm(value: Any) -> Any:
    if value is None:
        return ""
    text = str(value).strip()
    try:
        return Decimal(text) if text and text[0] in "+-.0123456789" else text
    except InvalidOperation:
        return text


def changes(current: Mapping[str, Any], expected: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """``(field, expected, current)`` for every value of ``expected`` that ``current`` does not hold, numbers
    compared exactly. A document's ``lines`` are compared like header fields, line by line on the columns the
    current record has (``lines[2].quantity``), or as a count (``lines``) when lines were added or removed;
    a current record without ``lines`` cannot be compared on them and yields no line changes."""
    out = [(f, v, current.get(f)) for f, v in expected.items()
           if not isinstance(v, (list, dict)) and _norm(current.get(f)) != _norm(v)]
    wanted, held = expected.get("lines"), current.get("lines")
    if isinstance(wanted, list) and isinstance(held, list):
        if len(wanted) != len(held):
            out.append(("lines", f"{len(wanted)} lines", f"{len(held)} lines"))
        else:
            for n, (want, have) in enumerate(zip(wanted, held), start=1):
                out += [(f"lines[{n}].{col}", v, have[col]) for col, v in want.items()
                        if col in have and _norm(have[col]) != _norm(v) and not _same_reference(col, want, have)]
    return out


def _same_reference(column: str, want: Mapping[str, Any], have: Mapping[str, Any]) -> bool:
    """A name column of a line whose referenced record (by Xero id) is the same on both: a rename, no change."""
    ref = schema.LINE_REFERENCES.get(column)
    return bool(ref and _norm(want.get(ref)) and _norm(want.get(ref)) == _norm(have.get(ref)))


def differing(current: Mapping[str, Any], expected: Mapping[str, Any]) -> list[str]:
    """The names of :func:`changes`."""
    return [name for name, _, _ in changes(current, expected)]


def _holds(current: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    """Whether ``current`` already holds ``values``, its lines included (unknown lines: it does not)."""
    if "lines" in values and not isinstance(current.get("lines"), list):
        return False
    return not changes(current, values)


def baseline_values(kind: str, values: Mapping[str, Any], op: str = "update") -> dict[str, Any]:
    """The canonical fields of ``values``, and a document's ``lines`` (the store keeps them per line). An
    archive leaves the record inactive on both sides, whatever status it wrote."""
    names = set(schema.columns(kind)) - {"id", "xero_id", "updated_at"}
    out = {k: v for k, v in values.items() if k in names}
    if op == "archive":
        out["active"] = "false"
    if kind in schema.LINE_FRAMES and isinstance(values.get("lines"), list):
        line_names = set(schema.columns(schema.LINE_FRAMES[kind])) - {"doc_id", "line_id"}
        out["lines"] = [{k: v for k, v in line.items() if k in line_names} for line in values["lines"]]
    return out


class Applier:
    """One apply of one plan. Use :func:`apply_plan`; this class holds the per-run state."""

    def __init__(self, plan: Plan, store: Store, connectors: Sequence[Connector], verdicts: Mapping[str, Decision],
                 *, run_id: str, clock: Callable[[], str], dry_run: bool,
                 on_journal: Callable[[int, str], None] | None = None, user: str = "",
                 second_approver_required: bool = False) -> None:
        self.plan, self.store, self.verdicts = plan, store, verdicts
        self.user, self.second_approver_required = user, second_approver_required
        self.systems = {c.system: c for c in connectors}
        self.run_id, self.clock, self.dry_run, self.on_journal = run_id, clock, dry_run, on_journal
        self.journal_writes = 0
        self.stopped = ""  # set when the run cannot go on (daily limit): the rest is skipped with this reason

    # -- journal -----------------------------------------------------------------------------------------
    def _journal(self, action: Action, phase: str, target_id: str = "", **detail: Any) -> None:
        self.journal_writes += 1
        if self.on_journal:  # the crash tests kill the process at these two points of every journal write
            self.on_journal(self.journal_writes, "before")
        self.store.journal(self.run_id, self.plan.fingerprint, action.id, phase, self.clock(),
                           target_id=target_id, detail=detail)
        if self.on_journal:
            self.on_journal(self.journal_writes, "after")

    # -- one action, or a group written in one call -----------------------------------------------------
    def run(self, action: Action, state: JournalEntry | None) -> ActionResult:
        """What became of ``action``, with who approved it."""
        [result] = self.run_group([action], {action.id: state} if state else {})
        return result

    def run_group(self, actions: Sequence[Action], states: Mapping[str, JournalEntry]) -> list[ActionResult]:
        """What became of each of ``actions`` (of one target, kind and operation, see :func:`groups`), with who
        approved it. Each is checked on its own as :meth:`run` would; those left to write go to the target in
        one ``write`` call, so a connector that batches (Xero, 50 a call) sends them together, and the records
        they update are read ahead the same way (``read_many``) for the stale check."""
        results: dict[str, ActionResult] = {}
        wanted = []
        for action in actions:
            early = self._before(action, states.get(action.id))
            if early is not None:
                results[action.id] = early
            else:
                wanted.append(action)
        current = self._read_ahead(wanted, results)
        ready: list[tuple[Action, WriteRequest]] = []
        for action in wanted:
            if action.id in results:
                continue
            if self.stopped:  # a day limit met by an action before it in the group
                results[action.id] = ActionResult(action.id, "skipped", self.stopped)
                continue
            try:
                prepared = self._prepare(action, states.get(action.id), current)
            except Exception as exc:  # noqa: BLE001 - mapped to the action's result, one record at a time
                results[action.id] = self._error(action, exc)
                continue
            if isinstance(prepared, ActionResult):
                results[action.id] = prepared
            else:
                ready.append((action, prepared))
        for action, result in self._send(ready):
            results[action.id] = result
        out = []
        for action in actions:
            decision = self.verdicts.get(action.id)
            result = results[action.id]
            out.append(replace(result, approved_by=decision.by) if decision is not None else result)
        return out

    def _before(self, action: Action, state: JournalEntry | None) -> ActionResult | None:
        """The result of an action that is not carried out (done before, not approved, four eyes, stopped)."""
        if state and state.phase == "done":
            return ActionResult(action.id, "skipped", f"already applied in run {state.run_id}", state.target_id)
        decision = self.verdicts.get(action.id)
        if decision is None:
            return ActionResult(action.id, "skipped", "not approved")
        if decision.verdict != "approve":
            return ActionResult(action.id, "skipped", f"rejected by {decision.by}" +
                                (f": {decision.comment}" if decision.comment else ""))
        if self.second_approver_required and decision.by == self.user:
            # four eyes: nothing is written, so a second person's approval (or apply) finishes it later
            return ActionResult(action.id, "refused", f"four eyes: approved by {decision.by}, who runs this apply; "
                                "the profile requires a second person (require_second_approver)")
        if self.stopped:
            return ActionResult(action.id, "skipped", self.stopped)
        return None

    def _error(self, action: Action, exc: Exception) -> ActionResult:
        """The result of ``action`` when carrying it out raised ``exc`` (journaled, unless a dry run)."""
        if isinstance(exc, StaleActionError):
            if not self.dry_run:
                self._journal(action, "refused", message=str(exc))
            return ActionResult(action.id, "refused", str(exc))
        if isinstance(exc, DailyLimitError):
            self.stopped = f"not attempted: {exc}"
            return self._failed(action, str(exc))
        if isinstance(exc, (ApiError, PlanError)):
            return self._failed(action, str(exc))
        # one record's unexpected error must not stop the others
        log.error("apply %s: unexpected error", action.id, exc_info=exc)
        return self._failed(action, f"unexpected {type(exc).__name__} talking to {action.target}: {exc}")

    def _failed(self, action: Action, message: str, **detail: Any) -> ActionResult:
        if not self.dry_run:
            self._journal(action, "failed", message=message, **detail)
        return ActionResult(action.id, "failed", message, request=detail.get("request", {}))

    def _read_ahead(self, actions: Sequence[Action], results: dict[str, ActionResult]) -> dict[str, Any]:
        """The current records the updates and archives among ``actions`` will be checked against, read in as
        few calls as the connector allows (``read_many``); ``{}`` when it reads one record at a time. A failed
        read fails those actions (in ``results``), as a failed single read would."""
        if len(actions) < 2:
            return {}
        conn = self.systems.get(actions[0].target)
        ids = [a.keys.get(f"{a.target}_id") for a in actions if a.op in ("update", "archive")]
        ids = list(dict.fromkeys(i for i in ids if i))
        if conn is None or not ids or not hasattr(conn, "read_many"):
            return {}
        try:
            return dict(conn.read_many(actions[0].kind, ids))
        except Exception as exc:  # noqa: BLE001 - the same mapping as a single read's failure
            for action in actions:
                if action.keys.get(f"{action.target}_id") in ids:
                    # after a day limit the first action fails and the others are not attempted, as one by one
                    results[action.id] = ActionResult(action.id, "skipped", self.stopped) if self.stopped \
                        else self._error(action, exc)
            return {}

    def _prepare(self, action: Action, state: JournalEntry | None,
                 current_of: Mapping[str, Any]) -> ActionResult | WriteRequest:
        """The request to send for ``action``, or its result when nothing is to be written (found, already
        holds the values, a Xero link); raises :class:`StaleActionError` when its record changed since the plan.
        ``current_of`` holds records read ahead (by id); any other is read here."""
        conn = self.systems.get(action.target)
        if conn is None:
            raise PlanError(f"action {action.id} writes into {action.target!r}, but no connector for it was given")
        if apply_payments.replaces(action):  # a Precoro payment: cancelled and created anew, never edited
            return apply_payments.replace(self, conn, action, state)
        values = self._resolve(action)
        record_id = action.keys.get(f"{action.target}_id") or None
        if action.op == "create":
            if action.target == "precoro" or state is not None:
                # an earlier attempt that started may have committed before its reply was lost
                found = conn.find(action.kind, values, unlinked=state is not None)
                if found:
                    if action.target == "precoro" and values.get("xero_id") and not self.dry_run:
                        self._link(conn, action, found, values)
                    return self._done(action, None, found, values, f"found existing {action.kind} {found}; not created again")
        else:
            if not record_id:
                raise PlanError(f"{action.op} of {action.kind} {action.label or action.id} has no {action.target}_id")
            if not values:
                raise PlanError(f"{action.op} of {action.kind} {action.label or record_id} has no values to write")
            if action.op == "link" and action.target == "xero":
                # Xero keeps no external id: the link lives in recon's store only
                return self._done(action, None, record_id, values, "linked in recon's state store")
            if isinstance(values.get("lines"), list) and not isinstance(action.old.get("lines"), list):
                raise PlanError(f"{action.op} of {action.kind} {action.label or record_id} replaces its lines but "
                                "does not say which lines it replaces (no old lines), so a change made since the "
                                "plan could not be seen; reconcile again")
            current = current_of[record_id] if record_id in current_of else conn.read(action.kind, record_id)
            if current is None:
                raise StaleActionError(f"{action.kind} {record_id} ({action.label}) no longer exists in {action.target}")
            if _holds(current, values):
                return self._done(action, None, record_id, values, f"{action.target} already holds the new values")
            stale = changes(current, action.old)
            if stale:
                said = "; ".join(f"{name}: approved against {saw!r}, found {now!r}" for name, saw, now in stale)
                since = f"recon wrote it in run {self.plan.reverts}" if self.plan.reverts else "the plan was made"
                decision = self.verdicts.get(action.id)
                who = f"; the decision: {decision.verdict}d by {decision.by} at {decision.at}" if decision else ""
                raise StaleActionError(f"{action.kind} {record_id} ({action.label}) changed in {action.target} "
                                       f"since {since} ({said}){who}; not written, reconcile again")
        return WriteRequest(key=action.id, kind=action.kind, op=action.op, record_id=record_id, values=values)

    def _send(self, ready: Sequence[tuple[Action, WriteRequest]]) -> list[tuple[Action, ActionResult]]:
        """Write ``ready`` (one target): each journaled ``started`` first, then one ``write`` call for all, then
        each result recorded. A dry run asks for each request on its own (what it would send)."""
        if not ready:
            return []
        conn = self.systems[ready[0][0].target]
        if self.dry_run:
            out = []
            for action, request in ready:
                [res] = conn.write([request], dry_run=True)
                out.append((action, ActionResult(action.id, "dry_run", "would send", request.record_id or "",
                                                 dict(res.request))))
            return out
        for action, request in ready:
            self._journal(action, "started", request.record_id or "", values=dict(request.values))
        try:
            written = conn.write([request for _, request in ready])
        except Exception as exc:  # noqa: BLE001 - the whole call failed: so did each action in it
            return [(action, self._error(action, exc)) for action, _ in ready]
        out = []
        for (action, request), res in zip(ready, written):
            try:
                out.append((action, self._written(action, request, res)))
            except Exception as exc:  # noqa: BLE001 - one record's result must not stop the others
                out.append((action, self._error(action, exc)))
        return out

    def _written(self, action: Action, request: WriteRequest, res: WriteResult) -> ActionResult:
        record_id = request.record_id
        if not res.ok:
            what = f"{action.op} of {action.kind} {action.label or record_id or ''}"
            if res.retryable:  # the call failed on the way (connection lost, server error): not a refusal
                return self._failed(action, f"{what} did not finish: {res.error}; apply again to finish it "
                                            "(recon first looks for what this attempt may have written)",
                                    request=dict(res.request))
            where = f" (field {res.field})" if res.field else ""
            return self._failed(action, f"{action.target} refused {what}{where}: {res.error}", request=dict(res.request))
        return self._done(action, res, res.record_id or record_id or "", request.values, "applied")

    def _link(self, conn: Connector, action: Action, record_id: str, values: Mapping[str, Any]) -> None:
        """Make sure a Precoro record found again carries its Xero id: one found by that id already does (a
        payment, which carries it from its create, is then never patched); one found by its natural key is
        linked."""
        current = conn.read(action.kind, record_id)
        if current is not None and str(current.get("xero_id") or "") == str(values["xero_id"]):
            return
        [res] = conn.write([WriteRequest(key=action.id, kind=action.kind, op="link", record_id=record_id,
                                         values={"xero_id": values["xero_id"]})])
        if not res.ok:
            raise ApiError(f"could not link the existing {action.kind} {record_id}: {res.error}", system=action.target,
                           operation="link", record=record_id, field=res.field)

    def _done(self, action: Action, res: WriteResult | None, target_id: str, values: Mapping[str, Any],
              message: str) -> ActionResult:
        if self.dry_run:
            return ActionResult(action.id, "dry_run", f"would write nothing: {message}", target_id)
        if not target_id:
            raise PlanError(f"{action.target} did not return an id for the new {action.kind} {action.label}")
        precoro_id = target_id if action.target == "precoro" else action.keys.get("precoro_id", "")
        xero_id = target_id if action.target == "xero" else action.keys.get("xero_id", "")
        if action.id in self.plan.unlinks:  # a revert of a record the reverted run created or linked
            self.store.unlink(action.kind, precoro_id=precoro_id, xero_id=xero_id)
        else:
            self.store.record_applied(action.kind, precoro_id=precoro_id, xero_id=xero_id,
                                      values=baseline_values(action.kind, values, action.op), at=self.clock())
        self._journal(action, "done", target_id, message=message)
        return ActionResult(action.id, "applied", message, target_id, dict(res.request) if res else {},
                            dict(action.old), dict(values))

    def _resolve(self, action: Action) -> dict[str, Any]:
        """Fill in ids only known once earlier actions ran (a supplier created in Xero by this plan)."""
        values = dict(action.new)
        if action.op == "link" and action.target == "precoro" and not values.get("xero_id") and \
                action.id not in self.plan.unlinks:
            values["xero_id"] = action.keys.get("xero_id", "")  # what a link writes: Precoro's external id
        if action.target == "xero" and "supplier_xero_id" in values and not values["supplier_xero_id"]:
            supplier = str(values.get("supplier_id") or "")
            xid = self.store.xero_id_of("supplier", supplier) if supplier else None
            if not xid and self.dry_run and any(a.kind == "supplier" and a.op == "create" and a.target == "xero"
                                                and a.keys.get("precoro_id") == supplier for a in self.plan.actions):
                xid = f"<ContactID of supplier {supplier}, created earlier in this apply>"
            if not xid:
                raise PlanError(f"{action.kind} {action.label or action.id}: supplier {supplier or '?'} has no Xero "
                                "contact yet (its own action was not applied)")
            values["supplier_xero_id"] = xid
        return values


#: operations written in groups (see :func:`groups`): a create into Precoro looks its record up first, one by
#: one, and a link into Xero writes nothing
GROUPED_OPS = frozenset({"create", "update", "archive"})


def groups(actions: Sequence[Action], connectors: Mapping[str, Any]) -> Iterator[list[Action]]:
    """``actions`` (in apply order) cut into groups carried out together: consecutive actions of one target,
    kind and operation, at most the target connector's ``batch_size`` (Xero: 50 a call) each; an action on its
    own where the connector writes one record a call (Precoro) or its operation is not grouped."""
    group: list[Action] = []
    for action in actions:
        size = int(getattr(connectors.get(action.target), "batch_size", 1) or 1)
        if action.op not in GROUPED_OPS or (action.op == "create" and action.target == "precoro"):
            size = 1
        if group and (size == 1 or len(group) >= size or (group[0].target, group[0].kind, group[0].op) !=
                      (action.target, action.kind, action.op)):
            yield group
            group = []
        group.append(action)
        if size == 1:
            yield group
            group = []
    if group:
        yield group


def apply_plan(plan: Plan, store: Store, connectors: Sequence[Connector], decisions: Iterable[Decision] | None = None,
               *, dry_run: bool = False, run_id: str | None = None, clock: Callable[[], str] | None = None,
               progress: bool = True, profile: str = "default", user: str = "", out_dir: str | Path | None = None,
               on_journal: Callable[[int, str], None] | None = None, second_approver_required: bool = False,
               on_outcome: Callable[[Outcome], None] | None = None) -> Outcome:
    """Apply the approved actions of ``plan``; return (and, with ``out_dir``, write) the :class:`Outcome`.

    ``decisions`` default to those recorded in ``store`` for this plan. Refuses, before writing anything, a
    plan edited since it was made or a decision on another plan (:class:`~recon.errors.ApprovalError`), a
    broken approvals chain (:class:`~recon.errors.IntegrityError`), and a second apply on the same state file,
    whatever its profile (:class:`~recon.errors.LockError`; ``profile`` only names this apply as the holder). ``on_journal(n, "before"|"after")`` is called around the n-th journal write (a "before" of a ``done`` row
    falls after the system committed the write: the crash tests kill the process there).
    With ``second_approver_required`` (the profile's ``require_second_approver``) an action approved by ``user``,
    the person running this apply, is refused and nothing of it is written (four eyes).
    ``on_outcome(outcome)`` (a real apply only) is called, as the ``out_dir`` write is, while the lock is still
    held: an apply waiting on the lock must not write the same run folder's files at the same moment.
    """
    clock = clock or utc_now
    run_id = run_id or f"apply-{plan.run_id}"
    check_plan(plan)
    store.check()
    verdicts = latest(plan, store.decisions(plan.fingerprint) if decisions is None else decisions)
    actions = ordered(plan.actions, undo=bool(plan.reverts))
    results: list[ActionResult] = []
    with nullcontext() if dry_run else store.apply_lock(profile, at=clock()):
        if not dry_run:
            store.begin_run(run_id, {"plan": plan.fingerprint, "plan_run": plan.run_id}, user or "unknown", clock(),
                            kind="apply")
        state = store.journal_state(plan.fingerprint)
        applier = Applier(plan, store, connectors, verdicts, run_id=run_id, clock=clock, dry_run=dry_run,
                          on_journal=on_journal, user=user, second_approver_required=second_approver_required)
        status = "failed"
        bar = tqdm(total=len(actions), desc="apply", unit="action", disable=not progress)
        try:
            for group in groups(actions, {c.system: c for c in connectors}):
                results.extend(applier.run_group(group, state))
                bar.update(len(group))
            status = "done"
        finally:
            bar.close()
            outcome = Outcome(run_id, plan.fingerprint, tuple(results), dry_run, user, second_approver_required)
            if not dry_run:
                store.end_run(run_id, clock(), status if not applier.stopped else "stopped", outcome.counts())
        if not dry_run:
            if out_dir is not None:
                from recon.run_folder import RunFolder

                write_run_outcome(RunFolder(out_dir), outcome, store)
            if on_outcome is not None:
                on_outcome(outcome)
    return outcome


def write_run_outcome(folder: "RunFolder", outcome: Outcome, store: Store) -> Path:
    """Write the run folder's ``outcome.json`` as :func:`run_outcome` of this apply, the folder's earlier
    outcome and the store's journal of the plan; the file's path."""
    return folder.write_outcome(run_outcome(outcome, folder.outcome(), store.journal_state(outcome.plan_fingerprint)))


def run_outcome(outcome: Outcome, earlier: Outcome | None, journal: Mapping[str, JournalEntry]) -> Outcome:
    """The outcome a run folder keeps: what the run's applies did, together. An apply run again in the same run
    (a failure mended, a resume after a crash, a second ``recon apply FOLDER``) skips what an earlier one did:
    the folder keeps that earlier result instead of the skip, from its ``outcome.json``, or from the journal when
    the earlier apply stopped before writing one. ``journal``: :meth:`Store.journal_state` of the plan."""
    kept = {r.action_id: r for r in earlier.results} if earlier is not None and \
        earlier.plan_fingerprint == outcome.plan_fingerprint and earlier.run_id == outcome.run_id else {}
    results = []
    for result in outcome.results:
        entry = journal.get(result.action_id)
        if result.status == "skipped" and entry is not None and entry.phase == "done" and \
                entry.run_id == outcome.run_id:
            before = kept.get(result.action_id)
            result = before if before is not None and before.status == "applied" else ActionResult(
                result.action_id, "applied", str(entry.detail.get("message") or "applied"), entry.target_id,
                approved_by=result.approved_by)
        results.append(result)
    return replace(outcome, results=tuple(results))


def summary(outcome: Outcome) -> str:
    """One line for the terminal: counts per status."""
    counts = outcome.counts()
    shown = [f"{n} {s}" for s, n in counts.items() if n]
    return ("dry run: " if outcome.dry_run else "") + (", ".join(shown) or "nothing to do")


__all__ = ["apply_plan", "groups", "ordered", "changes", "differing", "summary", "RANK"]
