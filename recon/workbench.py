"""The application layer: one :class:`Session` per run, behind every notebook and every ``recon`` command.

A session holds the profile's settings (with a sandbox when the profile needs one), the run folder
(:class:`recon.run_folder.RunFolder`) and the profile's state store, and carries out the steps of the loop:
fetch, reconcile, decide, apply. Notebook cells and command bodies are one or two calls into it.

>>> session = Session.open(run_id="", notebook="reconcile.ipynb", parameters={"objects": ["supplier"]})
>>> rec = session.reconcile(session.fetch(["supplier"]), ["supplier"])
>>> session.approvals(rec.plan).decide(rec.plan.actions[0].id, "approve")     # recorded in the store at once
>>> Session.open(run_id=session.run_id, notebook="sync.ipynb", parameters={}).sync_plan(["supplier"])

**Which state.** A real profile's state file (:mod:`recon.config`). The sandbox profile's, shared by every
process while the same ``recon sandbox`` serves. With no sandbox running, a session starts one of its own
(demo data) that lives as long as the process, and keeps that sandbox's state in the run folder: a later
session of the same run (``sync.ipynb`` after ``reconcile.ipynb``) finds the decisions there again.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from recon.config import Settings, load_settings
from recon.errors import ConfigError, DailyLimitError, PlanError, ReconError, StoreError
from recon.reconcile.model import Decision, Outcome, Plan
from recon.run_folder import OWN_SANDBOX, RunFolder, find_run, iso, new_run_id, previous_snapshot, utc_now

Clock = Callable[[], datetime]
NO_POLICY = "none"


class DryRunLog:
    """Decisions made during a dry run: kept in memory beside the store's, never recorded."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.made: list[Decision] = []

    def record_decision(self, decision: Decision) -> int:
        self.made.append(decision)
        return -len(self.made)

    def decisions(self, fingerprint: str) -> list[Decision]:
        return self.store.decisions(fingerprint) + [d for d in self.made if d.plan_fingerprint == fingerprint]


class Session:
    """One run as the notebooks and the command line see it. Use :meth:`open`, and :meth:`close` at the end."""

    def __init__(self, settings: Settings, folder: RunFolder, store: Any, clock: Clock, stack: contextlib.ExitStack,
                 *, own_sandbox: bool = False, out: Callable[[str], None] = print) -> None:
        self.settings, self.run_folder, self.store, self.clock = settings, folder, store, clock
        self.own_sandbox, self.out = own_sandbox, out
        self._stack = stack

    @property
    def run_id(self) -> str:
        return self.run_folder.run_id

    @property
    def folder(self) -> Path:
        """The run folder's path."""
        return self.run_folder.path

    @property
    def sandbox(self) -> str:
        """Which sandbox this run talks to: ``own``, a served sandbox's instance, or "" (real systems)."""
        return OWN_SANDBOX if self.own_sandbox else self.settings.sandbox_instance

    @classmethod
    def open(cls, *, run_id: str = "", notebook: str, parameters: Mapping[str, Any], profile: str = "",
             reports_dir: str | Path = "", clock: Clock = utc_now, seed: str = "demo",
             settings: Settings | None = None, start_sandbox: bool = True, record: bool = True,
             out: Callable[[str], None] = print) -> "Session":
        """Connect (starting a sandbox in this process when the profile needs one and none is running), open the
        run folder and the state store, and record the run in ``run.json`` (unless ``record`` is False)."""
        from recon.store import Store

        settings = settings or load_settings(profile or None)
        stack = contextlib.ExitStack()
        try:
            own = settings.needs_sandbox
            if own:
                if not start_sandbox:
                    raise ConfigError(
                        f"{settings.describe()}, and no sandbox is serving: start `recon sandbox` in another "
                        "terminal (every recon command then uses it and its state), or run `recon demo` for "
                        "the whole loop in one process")
                from recon.sandbox import Sandbox

                sb = stack.enter_context(Sandbox(seed=seed))
                settings = settings.with_sandbox_urls(sb.xero_url, sb.precoro_url)
            # nothing is made until all of it can be: the run folder's place, then the state, then the folder
            folder = RunFolder.usable(reports_dir or settings.reports_dir, run_id or new_run_id(clock()),
                                      setting="--out" if reports_dir else "the profile's reports_dir")
            made_against = folder.run_info().get("sandbox", "")
            now_against = OWN_SANDBOX if own else settings.sandbox_instance
            if settings.uses_sandbox and made_against and made_against != now_against:
                which = "a sandbox its own process started" if made_against == OWN_SANDBOX else \
                    f"the recon sandbox {made_against}"
                raise ConfigError(f"run {folder.run_id} was made against {which}, which has stopped: its records "
                                  "and state went with it; start a new run")
            if not own:
                store = stack.enter_context(Store(settings.state_path, approvals_key=settings.approvals_key))
            folder = RunFolder.create(folder.reports_dir, folder.run_id)
            if own:
                store = stack.enter_context(Store(folder.sandbox_state(), approvals_key=settings.approvals_key))
            if own and seed == "demo" and store.links().empty:
                from recon.sandbox import demo

                store.seed(links=demo.links(), baselines=demo.baseline())
            if record:
                folder.record_run(settings=settings, parameters=parameters, notebook=notebook, clock=clock,
                                  sandbox=now_against)
        except BaseException:
            stack.close()
            raise
        where = " (built-in sandbox with demo data started in this process)" if own else \
            (" (the running recon sandbox)" if settings.sandbox_instance else "")
        out(f"run {folder.run_id}: {settings.describe()}{where}\nrun folder: {folder.path}\nstate: {store.path}")
        return cls(settings, folder, store, clock, stack, own_sandbox=own, out=out)

    def stamp(self) -> str:
        return iso(self.clock())

    def zone(self) -> Any:
        """The organisation's timezone for the views' times: Xero's, from this run's snapshot, else the profile's."""
        from recon import report_words as rw

        return rw.zone_of_snapshot(self.run_folder.snapshot_meta(), self.settings.timezone)

    # -- fetch and reconcile -----------------------------------------------------------------------------
    def fetch(self, kinds: Iterable[str], full: bool = False, progress: bool = True) -> Any:
        """Fetch into a snapshot saved in the run folder: incremental from the latest earlier run's snapshot
        (same profile, same sandbox) unless ``full``. A day limit keeps what was fetched and re-raises."""
        from recon.fetch import fetch

        previous = None
        if not full and not self.own_sandbox:
            base = previous_snapshot(self.run_folder.reports_dir, self.run_id, sandbox=self.sandbox)
            try:
                previous = base.load_snapshot() if base is not None else None
            except (ReconError, OSError, ValueError) as exc:  # pyarrow's errors are ValueErrors and OSErrors
                # a broken earlier snapshot is no base to start from, and no reason to stop: fetch it all
                self.out(f"warning: the snapshot of run {base.run_id} cannot be read ({exc}); fetching in full")
        from recon.fetch import FetchOptions

        try:
            # saved by the fetch into the run folder (its raw payloads streamed there as they arrive), also what
            # a day limit stopped it with
            snap = fetch(self.settings, tuple(kinds), full=full or previous is None, previous=previous,
                         progress=progress, options=FetchOptions(out=self.run_folder.path))
        except DailyLimitError as exc:
            self.run_folder.record_stop(reason="day_limit", message=str(exc), resume_at=exc.resume_at, clock=self.clock)
            raise
        return snap

    def reconcile(self, snap: Any, kinds: Iterable[str]) -> Any:
        """Reconcile against the store's links and baselines; write differences, plan and summary."""
        from recon.reconcile import reconcile

        kinds = tuple(kinds)
        rec = reconcile(snap, kinds=kinds, links=self.store.links(), baselines=self.store.baselines(kinds),
                        run_id=self.run_id)
        self.store.record_agreed(rec.agreed, at=self.stamp())  # what both sides hold equal is their baseline now
        self.run_folder.write_reconciliation(rec)
        self.run_folder.write_changed_in_xero(self.changed_in_xero(snap))
        return rec

    def changed_in_xero(self, snap: Any) -> Any:
        """Documents recon sent to Xero that someone changed in Xero since (:mod:`recon.sent`), said once."""
        from recon.sent import changed_in_xero, sent_documents

        changed = changed_in_xero(snap, sent_documents(self.store.journal_rows()),
                                  self.store.baselines(("purchase_order", "bill")))
        if len(changed):
            changed = self._who_changed(changed)
            docs = changed[["object", "xero_id"]].drop_duplicates()
            self.out(f"{len(docs)} document(s) changed in Xero after recon sent it: "
                     + ", ".join(sorted(set(changed["label"]))) + f" (see {self.run_folder.file('changed_in_xero.csv')})")
        return changed

    def _who_changed(self, changed: Any) -> Any:
        """Fill in who changed each document, from its history in Xero: one call per change not read by an earlier
        run (at most :data:`recon.sent.HISTORY_READS` a run); a history that cannot be read leaves "someone in
        Xero"."""
        from recon.connectors.xero import XeroConnector
        from recon.errors import ApiError
        from recon.sent import HISTORY_READS, who_changed

        known = self._known_changes()
        docs = changed[["object", "xero_id", "sent_at", "changed_at"]].drop_duplicates(["object", "xero_id"])
        ask = []
        for kind, xid, sent_at, changed_at in docs.itertuples(index=False):
            here = (changed["object"] == kind) & (changed["xero_id"] == xid)
            if (kind, xid, changed_at) in known:  # an earlier run read this very change's history
                changed.loc[here, "changed_by"] = known[(kind, xid, changed_at)]
            else:
                ask.append((kind, xid, sent_at, here))
        if not ask:
            return changed
        try:
            with XeroConnector(self.settings) as xero:
                for kind, xid, sent_at, here in ask[:HISTORY_READS]:
                    changed.loc[here, "changed_by"] = who_changed(xero.history(kind, xid), sent_at)
        except ApiError as exc:
            self.out(f"could not read who changed them in Xero: {exc}")
        return changed

    def _known_changes(self) -> dict[tuple[str, str, str], str]:
        """Who made each change, as the latest earlier run of this reports folder read it from Xero's history."""
        from recon.run_folder import runs
        from recon.sent import NOBODY_KNOWN

        for folder in reversed(runs(self.run_folder.reports_dir)):
            if folder.run_id == self.run_id:
                continue
            found = folder.changed_in_xero()
            if found is not None:
                return {(o, x, c): b for o, x, c, b in zip(found["object"], found["xero_id"], found["changed_at"],
                                                           found["changed_by"]) if b != NOBODY_KNOWN}
        return {}

    def plan(self) -> Plan | None:
        """The plan already in the run folder, or None."""
        return self.run_folder.plan()

    # -- decisions ---------------------------------------------------------------------------------------
    def approvals(self, plan: Plan, log: Any = None) -> Any:
        """The approval model of ``plan``: decisions go to the store at once (to ``log`` when given)."""
        from recon.approve import ApprovalModel

        return ApprovalModel(plan, log if log is not None else self.store, self.settings.user, self.stamp)

    def decisions(self, plan: Plan, log: Any = None) -> list[Decision]:
        """Every decision recorded on ``plan`` (in the store, plus ``log``'s)."""
        return (log if log is not None else self.store).decisions(plan.fingerprint)

    def approve_by_policy(self, plan: Plan, policy: str, log: Any = None) -> list[Decision]:
        """Approve the pending actions ``policy`` allows (``"none"`` approves nothing)."""
        from recon.approve import Policy, apply_policy

        decisions = apply_policy(self.approvals(plan, log), Policy.parse(policy))
        if log is None:
            self.save_approvals(plan)
        return decisions

    def approve_ids(self, plan: Plan, which: str, log: Any = None, comment: str = "") -> list[Decision]:
        """``"all"`` (every pending action) or comma-separated action ids, approved by the session's user."""
        model = self.approvals(plan, log)
        ids = [a.id for a in model.pending()] if which == "all" else [i.strip() for i in which.split(",") if i.strip()]
        decisions = model.decide_many(ids, "approve", comment)
        if log is None:
            self.save_approvals(plan)
        return decisions

    def save_approvals(self, plan: Plan) -> Path:
        """Copy the store's decisions on ``plan`` into ``approvals.jsonl`` and the chain check into
        ``integrity.json``."""
        self.run_folder.write_integrity(self.store.verify())
        return self.run_folder.write_approvals(self.store.decisions(plan.fingerprint), source=str(self.store.path))

    def sync_plan(self, objects: Sequence[str], policy: str = NO_POLICY, full: bool = False,
                  dry_run: bool = False) -> tuple[Plan, Any]:
        """What ``sync.ipynb`` carries out: the run's own plan and its recorded decisions, plus what ``policy``
        approves of the pending actions. A run without a plan gets a fresh reconcile only under a policy.
        Raises :class:`PlanError` when there is no plan, or a plan with actions and no decision, and no policy
        was given. Returns the plan and the decision log to apply with (a dry run's is in memory only)."""
        given = bool(policy) and policy != NO_POLICY
        plan = self.plan()
        if plan is None:
            if not given:
                raise PlanError(f"run {self.run_id} has no plan ({self.run_folder.file('plan.json')} is missing) and "
                                "no policy was given: run reconcile.ipynb (or `recon reconcile`) for this run first, "
                                "or give a policy to reconcile afresh")
            rec = self.reconcile(self.fetch(objects, full=full, progress=False), objects)
            self.out(rec.message)
            plan = rec.plan
        else:
            self.out(f"carrying out the plan of run {self.run_id} ({len(plan.actions)} actions)")
        log = DryRunLog(self.store) if dry_run else None
        approved = self.approve_by_policy(plan, policy, log) if given else []
        decisions = self.decisions(plan, log)
        if plan.actions and not decisions and not given:  # under a policy, nothing it allows is a night's outcome
            raise PlanError(f"run {self.run_id}: no decision on any of the {len(plan.actions)} actions of its plan "
                            f"in the state store {self.store.path}. Decide in reconcile.ipynb (each click is "
                            "recorded), with `recon apply PLAN --approve ID,...`, or give a policy")
        if given:
            self.out(f"policy {policy!r} approved {len(approved)} pending actions")
        self.out(f"{len(decisions)} decisions on this plan ({sum(d.verdict == 'approve' for d in decisions)} approvals)")
        return plan, log

    # -- revert ------------------------------------------------------------------------------------------
    def revert(self, reverts: str, connectors: Sequence[Any] | None = None) -> Plan:
        """Write the reverse plan of run ``reverts`` (:func:`recon.revert.reverse_plan`) as this run's plan.json;
        it is then decided and applied like any plan."""
        from recon.connectors import open_connectors
        from recon.revert import reverse_plan

        source = find_run(self.run_folder.reports_dir, reverts)
        plan = source.plan() if source.is_run() else None
        if plan is None:
            raise PlanError(f"no run {reverts!r} with a plan in {self.run_folder.reports_dir}: nothing to revert")
        with contextlib.ExitStack() as stack:
            conns = connectors if connectors is not None else stack.enter_context(open_connectors(self.settings))
            reverse = reverse_plan(plan, self.store, conns, run_id=self.run_id, reverts=source.run_id)
        self.run_folder.write_reverse_plan(reverse)
        return reverse

    # -- apply -------------------------------------------------------------------------------------------
    def apply(self, plan: Plan, dry_run: bool = False, progress: bool = True, log: Any = None,
              connectors: Sequence[Any] | None = None) -> Outcome:
        """Carry out the approved actions. A real apply writes ``outcome.json``, ``approvals.jsonl`` and
        ``integrity.json``; a dry run writes nothing anywhere and returns what it would send."""
        from recon.apply import apply_plan, write_run_outcome
        from recon.connectors import open_connectors

        if not dry_run:
            self.run_folder.outcome()  # read by record() once the writes are made: a broken one stops it before

        def record(outcome: Outcome) -> None:  # under the apply lock: a second apply waits to write these
            write_run_outcome(self.run_folder, outcome, self.store)
            self.save_approvals(plan)
            self.finish()

        decisions = self.decisions(plan, log) if log is not None else None
        with contextlib.ExitStack() as stack:
            conns = connectors if connectors is not None else stack.enter_context(open_connectors(self.settings))
            return apply_plan(plan, self.store, conns, decisions, dry_run=dry_run, run_id=self.run_id,
                              clock=self.stamp, progress=progress, profile=self.settings.profile,
                              user=self.settings.user, on_outcome=record,
                              second_approver_required=self.settings.require_second_approver)

    def finish(self) -> None:
        """Stamp the run's end in ``run.json``."""
        self.run_folder.finish_run(self.clock)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def verify_state(settings: Settings, *, sign: bool = False) -> Any:
    """Check the approvals chain of the profile's state store (``sign``: first sign its head with the approvals
    key). A missing state file is a :class:`StoreError` (this never creates one)."""
    from recon.store import Store

    if sign and not settings.approvals_key:
        raise ConfigError("no approvals key to sign with: set RECON_APPROVALS_KEY or RECON_APPROVALS_KEY_FILE")
    if not settings.state_path.is_file():
        raise StoreError(f"no state file at {settings.state_path} for {settings.describe()}: nothing has been "
                         "recorded for this profile yet (is it the profile you meant?)")
    with Store(settings.state_path, approvals_key=settings.approvals_key, writable=sign) as store:
        return store.sign() if sign else store.verify()


def report_folder(run_id: str = "", reports_dir: str | Path = "", profile: str = "") -> Path:
    """The run folder the audit report is about (``run_id`` empty: the latest run)."""
    root = Path(reports_dir) if reports_dir else load_settings(profile or None).reports_dir
    return find_run(root, run_id).path
