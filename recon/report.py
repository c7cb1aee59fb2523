"""The audit report of one run, built from the run folder's files alone (so it can be rebuilt at any time).

>>> data = load_run(Path("reports/20260301-090507-beef"))
>>> html = render(data)            # a whole self-contained HTML document (recon.report_html)
>>> show(data)                     # the same report inside a notebook (audit_report.ipynb)

Files read, through :class:`recon.run_folder.RunFolder` (each optional; a missing one is reported as missing,
never guessed):

================  =====================================================================================
``run.json``      who ran it, when, the notebook parameters and the settings line (written by
                  :meth:`recon.run_folder.RunFolder.record_run`; never a secret)
``snapshot.json`` what the fetch saw of each system (organisation, company, precision, watermarks)
``*.parquet``     the snapshot frames; only their row counts are read
``differences.csv``  every difference (``DIFF_COLUMNS``)
``plan.json``     the plan (:class:`~recon.reconcile.model.Plan`)
``summary.json``  reconcile's summary per kind, rounding-settings check and rounding analysis
``rounding.csv``  the rounding analysis of POs and bills, when reconcile writes it apart
``approvals.jsonl``  the decisions on this plan, one JSON object per line
``outcome.json``  the apply outcome (:class:`~recon.reconcile.model.Outcome`)
``integrity.json``  the approvals-chain check of the state store at the end of the run
================  =====================================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from recon.reconcile.model import DIFF_COLUMNS, NO_CHANGES, Decision, Outcome, Plan
from recon import sent
from recon.run_folder import RUN_FILES

#: Keys never copied into a report, whatever file they come from.
SECRET_KEY = re.compile(r"secret|token|password|passwd|api_?key|credential|authori[sz]ation", re.IGNORECASE)




@dataclass(frozen=True)
class AuditData:
    """Everything the audit report shows, as plain frames and mappings (rendered by ``recon.report_html``)."""

    run_id: str
    run: Mapping[str, Any]
    systems: Mapping[str, Mapping[str, Any]]
    counts: pd.DataFrame  # system, frame, rows
    settings_check: Mapping[str, Any]
    summary: pd.DataFrame
    differences: pd.DataFrame
    plan: Plan | None
    decisions: pd.DataFrame  # action_id, label, kind, target, op, verdict, by, at, comment, policy, bound
    actions: pd.DataFrame  # ACTION_COLUMNS: one row per action of the plan, what became of it
    rounding: pd.DataFrame
    integrity: Mapping[str, Any]
    outcome: Outcome | None
    missing: tuple[str, ...] = field(default_factory=tuple)
    changed_in_xero: pd.DataFrame = field(default_factory=pd.DataFrame)  # recon.sent.COLUMNS
    #: the organisation's timezone (Xero's, else the profile's, else the machine's): every time is shown in it
    zone: Any = None
    #: the organisation's base currency, shown with amounts whose record names none
    currency: str = ""

    @property
    def message(self) -> str:
        """The run's one-line result, in the words reconcile uses."""
        if self.plan is not None and not self.plan.actions and self.differences.empty:
            return NO_CHANGES
        parts = [f"{len(self.differences)} differences", f"{len(self.plan.actions) if self.plan else 0} proposed actions"]
        if self.outcome is not None:
            counts = self.outcome.counts()
            parts.append(", ".join(f"{n} {status}" for status, n in counts.items() if n) or "nothing applied")
        return "; ".join(parts) + "."


#: columns of :attr:`AuditData.actions`; ``changes`` holds ``(field, before, after)`` tuples (a document's
#: ``lines`` as lists of line mappings), ``why`` the apply's message or why it never reached apply, ``record_id``
#: the record's id in the target as the plan saw it (named when a payment is replaced)
ACTION_COLUMNS = ("action_id", "label", "kind", "op", "target", "difference", "reason", "status", "approved_by",
                  "applied_by", "changes", "why", "record_id")


def scrub(value: Any) -> Any:
    """Drop every secret-looking key from nested mappings (defence in depth: writers already leave them out)."""
    if isinstance(value, Mapping):
        return {k: scrub(v) for k, v in value.items() if not SECRET_KEY.search(str(k))}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value


def _frame(value: Any) -> pd.DataFrame:
    """A JSON list of records, or a mapping of name → record, as a frame (strings kept as they are)."""
    if value is None:
        return pd.DataFrame()
    if isinstance(value, Mapping):
        value = [{"kind": k, **(v if isinstance(v, Mapping) else {"value": v})} for k, v in value.items()]
    return pd.DataFrame(list(value))


def _summary_parts(summary: Any) -> tuple[pd.DataFrame, Mapping[str, Any], pd.DataFrame]:
    """Per-kind summary, settings check and rounding analysis out of ``summary.json`` (a list of per-kind
    records, or a mapping holding them under ``summary``/``kinds`` beside ``settings_check`` and ``rounding``)."""
    if isinstance(summary, Mapping):
        per_kind = summary.get("summary", summary.get("kinds", summary.get("per_kind")))
        return _frame(per_kind), summary.get("settings_check") or {}, _frame(summary.get("rounding"))
    return _frame(summary), {}, pd.DataFrame()


def _decisions(lines: list[dict[str, Any]], plan: Plan | None) -> pd.DataFrame:
    actions = plan.by_id() if plan else {}
    rows = []
    for d in lines:
        dec = Decision(**{k: d.get(k, "") for k in Decision.__dataclass_fields__})
        a = actions.get(dec.action_id)
        rows.append({
            "action_id": dec.action_id, "label": a.label if a else "", "kind": a.kind if a else "",
            "target": a.target if a else "", "op": a.op if a else "", "verdict": dec.verdict, "by": dec.by,
            "at": dec.at, "comment": dec.comment, "policy": dec.policy,
            # A decision counts only on the plan it was made on, and only for an action of that plan.
            "bound": bool(plan and dec.plan_fingerprint == plan.fingerprint and a is not None),
        })
    cols = ["action_id", "label", "kind", "target", "op", "verdict", "by", "at", "comment", "policy", "bound"]
    return pd.DataFrame(rows, columns=cols).sort_values(["at", "action_id"], kind="stable").reset_index(drop=True)


def _actions(outcome: Outcome | None, plan: Plan | None, decisions: pd.DataFrame) -> pd.DataFrame:
    """One row per action of the plan: what the apply did with it (or why it never reached the apply), who
    approved it, who applied it, and each field before and after."""
    results = {r.action_id: r for r in outcome.results} if outcome else {}
    bound = decisions[decisions["bound"]] if not decisions.empty else decisions
    deciders = dict(zip(bound["action_id"], zip(bound["verdict"], bound["by"]))) if not bound.empty else {}
    rows = []
    for a in plan.actions if plan else ():
        r = results.get(a.id)
        verdict, by = deciders.get(a.id, ("", ""))
        if r is None:
            status = "not applied"
            why = {"reject": "rejected", "approve": "approved, not applied in this run"}.get(verdict, "no decision")
        else:
            status, why = r.status, r.message
        before = dict(r.before) if r is not None and r.before else dict(a.old)
        after = dict(r.after) if r is not None and r.after else dict(a.new)
        changes = tuple((name, before.get(name), after.get(name)) for name in dict.fromkeys([*after, *before])
                        if a.op == "create" or before.get(name) != after.get(name))
        rows.append({"action_id": a.id, "label": a.label, "kind": a.kind, "op": a.op, "target": a.target,
                     "difference": a.difference, "reason": a.reason, "status": status,
                     "approved_by": (r.approved_by if r is not None and r.approved_by else by) if verdict != "reject" else "",
                     "applied_by": outcome.applied_by if outcome is not None and status == "applied" else "",
                     "changes": changes, "why": why if status != "applied" else "",
                     "record_id": a.record_id})
    return pd.DataFrame(rows, columns=list(ACTION_COLUMNS))


def load_run(folder: Path | str) -> AuditData:
    """Read a run folder into :class:`AuditData`. Missing files are listed in ``missing``."""
    from recon.errors import ConfigError
    from recon.run_folder import (APPROVALS, DIFFERENCES, INTEGRITY, OUTCOME, PLAN, RUN_INFO, SNAPSHOT_META,
                                  SUMMARY, RunFolder)

    run_folder = RunFolder(folder)
    if not run_folder.path.is_dir():
        raise ConfigError(f"no run folder at {run_folder.path}")
    if not run_folder.is_run():
        raise ConfigError(f"{run_folder.path} holds no run ({', '.join(RUN_FILES)} all missing): is the run id right?")
    missing: list[str] = []

    def noted(name: str, value: Any) -> Any:
        if value is None:
            missing.append(name)
        return value

    run = scrub(noted(RUN_INFO, run_folder.run_info() or None) or {})
    meta = scrub(noted(SNAPSHOT_META, run_folder.snapshot_meta()) or {})
    summary, settings_check, rounding = _summary_parts(noted(SUMMARY, run_folder.summary()))
    saved_rounding = run_folder.rounding()
    if saved_rounding is not None:
        rounding = saved_rounding
    differences = noted(DIFFERENCES, run_folder.differences())
    if differences is None:
        differences = pd.DataFrame(columns=list(DIFF_COLUMNS))
    plan = noted(PLAN, run_folder.plan())
    decisions = _decisions(noted(APPROVALS, run_folder.approvals()) or [], plan)
    outcome = noted(OUTCOME, run_folder.outcome())
    actions = _actions(outcome, plan, decisions)
    integrity = scrub(noted(INTEGRITY, run_folder.integrity()) or {})

    systems = {k: v for k, v in meta.items() if isinstance(v, Mapping)}
    from recon.report_words import zone_of

    xero = systems.get("xero", {})
    zone = zone_of(str(xero.get("timezone", "")), str(run.get("timezone", "")))
    currency = str(xero.get("base_currency") or systems.get("precoro", {}).get("currency") or "")
    return AuditData(
        run_id=str(run.get("run_id") or (plan.run_id if plan else "") or run_folder.run_id), run=run, systems=systems,
        counts=run_folder.snapshot_counts(), settings_check=scrub(settings_check or meta.get("settings_check") or {}),
        summary=summary, differences=differences, plan=plan, decisions=decisions, actions=actions,
        rounding=rounding, integrity=integrity, outcome=outcome, missing=tuple(missing), zone=zone, currency=currency,
        changed_in_xero=sent.or_empty(run_folder.changed_in_xero()),
    )


def render(data: AuditData) -> str:
    """The whole report as one self-contained HTML document."""
    from recon.report_html import document

    return document(data)


def show(data: AuditData) -> None:
    """Display the report in a notebook (what ``audit_report.ipynb`` calls; the export keeps only this)."""
    from IPython.display import HTML, display

    from recon.report_html import body

    display(HTML(body(data)))


def write(data: AuditData, folder: Path | str) -> Path:
    """Write :func:`render`'s document as ``audit.html`` into the run folder ``folder``; return its path."""
    from recon.run_folder import RunFolder

    return RunFolder(folder).write_html("audit.html", render(data))
