"""The sections of the audit report, in the order an auditor reads it: what the run changed (counts,
failures, the approvals-chain check), one row per action with each field before → after, the differences,
the rounding analysis, and the raw facts (folded away, opened when printed).

Each section is a function of the frozen :class:`recon.report.AuditData` returning escaped HTML.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import pandas as pd

from recon import report_words as rw
from recon.difference_view import changes_html, difference_frame, differences_table
from recon.report_html import Html, bar_chart, esc, facts, table, text, tiles

if TYPE_CHECKING:
    from recon.report import AuditData

#: the order of statuses in the actions table: what needs a look first
STATUS_ORDER = ("failed", "refused", "applied", "dry_run", "skipped", "not applied")
#: the summary's columns in the order an accountant reads them (kinds of difference after the counts)
SUMMARY_ORDER = ("object", "precoro", "xero", "linked", "equal", "actions", "mismatch", "conflict", "blocked_edit",
                 "only_in_precoro", "only_in_xero", "match_candidate", "rounding")


def _when(d: "AuditData", value: Any) -> str:
    return rw.local_time(value, d.zone)


def _header(d: "AuditData") -> str:
    run = d.run
    pairs = [("Organisation", d.systems.get("xero", {}).get("organisation", "")),
             ("Company", d.systems.get("precoro", {}).get("company", "")), ("Run", d.run_id),
             ("Run by", run.get("user", "")), ("Started", _when(d, run.get("started_at"))),
             ("Finished", _when(d, run.get("finished_at"))), ("Profile", run.get("profile", "")),
             ("Times in", getattr(d.zone, "key", None) or str(d.zone)), ("Notebook", run.get("notebook", ""))]
    out = [f"<h1>Audit report: {esc(pairs[0][1] or 'recon run')}</h1>",
           f'<p class="lead" id="message">{esc(d.message)}</p>', facts(pairs)]
    if d.plan is not None and d.plan.reverts:
        out.append(f'<h2 id="reverts">Revert of run {esc(d.plan.reverts)}</h2><p class="lead" id="reverts-run">This run '
                   f'reverts run {esc(d.plan.reverts)}: {len(d.plan.actions)} reverse actions; '
                   f'{len(d.plan.held)} of that run\'s changes cannot be reverted.</p>')
        held = pd.DataFrame([dict(h) for h in d.plan.held], columns=list(HELD_HEADERS))
        if not held.empty:
            held["op"] = [rw.operation_words(op, k, t) for op, k, t in zip(held["op"], held["kind"], held["target"])]
            held["kind"] = held["kind"].map(lambda k: rw.lookup(rw.OBJECT, k))
            held["target"] = held["target"].map(lambda t: rw.SYSTEM.get(t, t))
        out.append(table(held, "t-held", headers=HELD_HEADERS, empty="Every change of that run can be reverted."))
    if d.missing:
        out.append(f'<p class="note" id="missing">Not in this run folder: {esc(", ".join(d.missing))}.</p>')
    return "".join(out)


#: the columns of a reverse plan's changes that cannot be reverted, in words
HELD_HEADERS = {"label": "Record", "kind": "Object", "op": "Action of that run", "target": "In",
                "why": "Why it cannot be reverted", "action_id": "Action"}


def _changed(d: "AuditData") -> str:
    out = ['<h2 id="changed">What this run changed</h2>']
    status = d.actions["status"].value_counts().to_dict() if not d.actions.empty else {}
    out.append(tiles([("differences", len(d.differences)), ("proposed actions", len(d.actions)),
                      *((rw.STATUS[s].lower(), status.get(s, 0)) for s in ("applied", "failed", "refused", "skipped",
                                                                           "not applied"))], "t-counts"))
    if d.outcome is not None and d.outcome.dry_run:
        out.append('<p class="note">Dry run: nothing was written to either system.</p>')
    if d.outcome is not None and d.outcome.applied_by:
        four = (" The profile requires a second approver: nobody applied their own approvals."
                if d.outcome.second_approver_required else "")
        out.append(f'<p id="applied-by">Applied by {esc(d.outcome.applied_by)}.{esc(four)}</p>')
    chk = dict(d.integrity)
    if not chk:
        out.append('<p class="note" id="integrity-verdict">The approvals chain was not checked in this run.</p>')
    else:
        ok = bool(chk.get("ok"))
        word = "The approvals chain is intact." if ok else "The approvals chain is BROKEN."
        out.append(f'<p class="{"ok" if ok else "bad"}" id="integrity-verdict">{esc(word)} {esc(chk.get("message", ""))}</p>')
    if not d.decisions.empty:
        unbound = int((~d.decisions["bound"]).sum())
        if unbound:
            out.append(f'<p class="bad" id="unbound">{unbound} decision(s) are not bound to this plan '
                       f'(another fingerprint or an unknown action) and were not used.</p>')
        else:
            out.append(f'<p class="ok" id="unbound">All {len(d.decisions)} decisions are bound to plan '
                       f'{esc(d.plan.fingerprint if d.plan else "")}.</p>')
    bad = d.actions[d.actions["status"].isin(["failed", "refused"])] if not d.actions.empty else d.actions
    if len(bad):
        rows = pd.DataFrame({"record": bad["label"], "object": bad["kind"].map(lambda k: rw.lookup(rw.OBJECT, k)),
                             "status": bad["status"].map(lambda s: rw.lookup(rw.STATUS, s)), "why": bad["why"]})
        out.append("<h3>Failed or refused</h3>" + table(rows, "t-failures", headers={"record": "Record", "object": "Object",
                                                                                       "status": "Status", "why": "Why"},
                                                        row_class=lambda r: f"s-{str(r['status']).lower().replace(' ', '-')}"))
    return "".join(out)


def _actions(d: "AuditData") -> str:
    out = ['<h2 id="actions">Actions, field by field</h2>']
    if d.actions.empty:
        return out[0] + '<p class="note" id="t-actions-empty">No action was proposed.</p>'
    acts = d.actions.copy()
    acts["_rank"] = acts["status"].map(lambda s: STATUS_ORDER.index(s) if s in STATUS_ORDER else len(STATUS_ORDER))
    acts = acts.sort_values(["_rank", "kind", "label"], kind="stable")
    rows = pd.DataFrame({
        "record": acts["label"],
        "operation": [Html(f'{esc(rw.action_words(op, k, t, rid, [c[0] for c in ch]))}<br>'
                           f'<span class="note">{esc(why)}</span>')
                      for op, k, t, why, rid, ch in zip(acts["op"], acts["kind"], acts["target"], acts["reason"],
                                                        acts["record_id"], acts["changes"])],
        "changes": [changes_html(c, op) for c, op in zip(acts["changes"], acts["op"])],
        "status": [Html(esc(rw.lookup(rw.STATUS, s)) + (f'<br><span class="note">{esc(why)}</span>' if why else ""))
                   for s, why in zip(acts["status"], acts["why"])],
        "approved_by": acts["approved_by"].map(rw.by_words), "applied_by": acts["applied_by"],
        "_status": acts["status"]})
    headers = {"record": "Record", "operation": "Action", "changes": "Before → after",
               "status": "Status", "approved_by": "Approved by", "applied_by": "Applied by"}
    shown = [c for c in headers if c in ("record", "operation", "changes", "status") or rows[c].astype(str).ne("").any()]
    out.append(table(rows, "t-actions", columns=shown, headers=headers, nowrap=("approved_by", "applied_by"),
                     row_class=lambda r: f"s-{str(r['_status']).replace(' ', '-').replace('_', '-')}"))
    return "".join(out)


def _differences(d: "AuditData") -> str:
    out = ['<h2 id="differences">Differences</h2>']
    diffs = d.differences
    if not diffs.empty and {"kind", "object"} <= set(diffs.columns):
        counts = diffs.groupby(["object", "kind"]).size().unstack(fill_value=0)
        out.append(bar_chart([rw.lookup(rw.OBJECT, o) for o in counts.index],
                             {rw.lookup(rw.KIND, k): [int(v) for v in counts[k]] for k in counts.columns},
                             "Differences per object and kind", stacked=True))
    out.append(differences_table(difference_frame(diffs, d.currency)))
    return "".join(out)


def changed_in_xero_table(changed: pd.DataFrame | None, zone: Any) -> str:
    """The table of documents recon sent to Xero that someone changed there since (``changed_in_xero.csv``), in
    the accountant's words and the organisation's time: the report's section and the reconcile notebook's view."""
    from recon import sent

    found = sent.or_empty(changed).copy()
    if not found.empty:
        found["object"] = found["object"].map(lambda o: rw.lookup(rw.OBJECT, o))
        for column in ("sent_at", "changed_at"):
            found[column] = found[column].map(lambda v: rw.local_time(v, zone) if v else "")
    return table(found, "t-changed-in-xero", headers={c: rw.words(c).capitalize() for c in found.columns},
                 empty="No purchase order or bill recon sent to Xero has been changed there since.")


def _changed_in_xero(d: "AuditData") -> str:
    """Documents recon sent to Xero and someone changed there since (each run says so until recon sends again)."""
    return ('<h2 id="changed-in-xero">Changed in Xero after recon sent it</h2>'
            + changed_in_xero_table(d.changed_in_xero, d.zone))


def _rounding(d: "AuditData") -> str:
    out = ['<h2 id="rounding">Rounding analysis of purchase orders and bills</h2>']
    check = dict(d.settings_check)
    verdict = next((check[k] for k in ("ok", "agree", "agrees", "consistent") if k in check), None)
    if verdict is not None:
        cls, word = ("ok", "The rounding settings of both systems agree.") if verdict else \
            ("bad", "The rounding settings of the two systems do not agree.")
        out.append(f'<p class="{cls}" id="settings-verdict">{esc(word)} {esc(check.get("message", ""))}</p>')
    r = d.rounding
    if r is not None and not r.empty and "classification" in r:
        agree = r["classification"].eq("equal")
        if agree.any():
            out.append(f'<p class="note" id="rounding-equal">{int(agree.sum())} purchase orders and bills agree to '
                       "the cent on both sides (listed in the raw facts).</p>")
        r = r[~agree]
    if r is not None and not r.empty:
        money = [c for c in r.columns if c.endswith(("_total", "_expected")) or c == "difference"]
        r = r.copy()
        for c in money:
            r[c] = r[c].map(lambda v: rw.amount(v, d.currency))
        if "object" in r:
            r["object"] = r["object"].map(lambda o: rw.lookup(rw.OBJECT, o))
    out.append(table(r, "t-rounding", headers={c: rw.words(c).capitalize() for c in (r.columns if r is not None else [])},
                     row_class=lambda row: f"k-{row.get('kind', row.get('classification', ''))}",
                     empty="No purchase order or bill totals differ." if d.rounding is not None and len(d.rounding)
                     else "No purchase order or bill totals to analyse."))
    return "".join(out)


def _pairs(values: Mapping[str, Any], key: str, value: str = "value", label: Any = None) -> pd.DataFrame:
    return pd.DataFrame([{key: label(k) if label else rw.words(k), value: text(v)} for k, v in sorted(values.items())],
                        columns=[key, value])


def _raw(d: "AuditData") -> str:
    out = ['<details id="raw-facts"><summary>Raw facts: settings, parameters, records fetched, decisions log</summary>']
    system_facts = [(rw.fact_label(s, k), v) for s in sorted(d.systems) for k, v in sorted(d.systems[s].items())
                    if not isinstance(v, (Mapping, list, tuple))]
    out.append(facts([("Settings", d.run.get("settings", "")), *system_facts]))
    out.append("<h3>Rounding settings check</h3>" + table(_pairs(dict(d.settings_check), "setting"), "t-settings-check",
                                                           empty="No rounding-settings check recorded."))
    out.append("<h3>Parameters</h3>" + table(_pairs(d.run.get("parameters") or {}, "parameter", label=str),
                                             "t-parameters", empty="No parameters recorded."))
    if not d.counts.empty:
        pivot = d.counts.pivot_table(index="frame", columns="system", values="rows", aggfunc="sum",
                                     fill_value=0).reset_index()
        out.append("<h3>Records fetched</h3>" + table(pivot, "t-fetched", headers={"frame": "records", "precoro": "Precoro",
                                                                                   "xero": "Xero"}))
    if not d.summary.empty:
        cols = [c for c in SUMMARY_ORDER if c in d.summary.columns] + \
               [c for c in d.summary.columns if c not in SUMMARY_ORDER]
        out.append("<h3>Summary per kind</h3>" + table(d.summary[cols], "t-summary",
                                                       headers={c: rw.lookup(rw.KIND, c) if c in rw.KIND else rw.words(c)
                                                                for c in cols}))
    if not d.decisions.empty:
        log = d.decisions.copy()
        log["at"] = log["at"].map(lambda v: _when(d, v))
        log["verdict"] = log["verdict"].map(lambda v: rw.lookup(rw.STATUS, v))
        out.append("<h3>Decisions log</h3>" + table(
            log[["label", "kind", "verdict", "by", "at", "comment", "policy", "bound", "action_id"]], "t-decisions",
            row_class=lambda r: "" if r["bound"] else "s-failed"))
    else:
        out.append('<p class="note" id="t-decisions-empty">No decisions were recorded in this run.</p>')
    if d.rounding is not None and not d.rounding.empty:
        out.append("<h3>Every purchase order and bill total</h3>" + table(d.rounding, "t-rounding-all"))
    if d.integrity:
        out.append("<h3>Approvals chain</h3>" + table(_pairs(dict(d.integrity), "check"), "t-integrity"))
    out.append("</details>")
    return "".join(out)


SECTIONS = (_header, _changed, _actions, _differences, _changed_in_xero, _rounding, _raw)
