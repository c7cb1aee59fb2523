"""Notebook views of a reconciliation (``reconcile.ipynb``): the settings check, the summary with its chart,
and the differences as styled tables (changed cells highlighted, conflicts marked with the side that wins,
rounding apart from material differences, each record's "Integrated" state). Same escaping and charts as the report."""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from recon.report_html import CSS, SCRIPT, bar_chart, esc, table

ROW_COLOURS = {"conflict": "#fff1d6", "blocked_edit": "#fde7e7", "mismatch": "#fffbe6", "rounding": "#eef5ff",
               "only_in_precoro": "#eefaf1", "only_in_xero": "#eefaf1", "match_candidate": "#f3f0f7"}
SHOWN = ["object", "label", "integrated", "field", "precoro_value", "xero_value", "baseline_value", "kind",
         "direction", "action", "reason"]


def _html(fragment: str) -> Any:
    from IPython.display import HTML

    return HTML(f'<div class="recon-report"><style>{CSS}</style>{fragment}<script>{SCRIPT}</script></div>')


def settings_check_view(check: Mapping[str, Any]) -> Any:
    """The rounding-settings check, with its verdict in words."""
    agree = check.get("agree")
    verdict = {True: '<p class="ok">The rounding settings of both systems agree.</p>',
               False: '<p class="bad">The rounding settings of the two systems do not agree.</p>'}.get(agree, "")
    rows = pd.DataFrame([{"setting": k, "value": v} for k, v in sorted(check.items())], columns=["setting", "value"])
    return _html(f"<h3>Rounding settings</h3>{verdict}<p>{esc(check.get('message', ''))}</p>"
                 + table(rows, "t-settings-check"))


def summary_view(summary: pd.DataFrame, message: str) -> Any:
    """Counts per kind as a table and a chart of the differences per kind."""
    chart = ""
    if not summary.empty:
        kinds = [c for c in summary.columns if c not in ("object", "precoro", "xero", "linked", "equal", "actions")]
        used = [c for c in kinds if pd.to_numeric(summary[c], errors="coerce").fillna(0).sum() > 0]
        if used:
            chart = bar_chart(list(summary["object"]), {c: [int(v) for v in summary[c]] for c in used},
                              "Differences per kind")
    return _html(f'<p class="lead">{esc(message)}</p>{chart}' + table(summary, "t-summary"))


def with_integrated(differences: pd.DataFrame) -> pd.DataFrame:
    """Add ``integrated``: the record is linked to its counterpart (both ids known, not a missing record)."""
    out = differences.copy()
    unlinked = out["kind"].isin(["only_in_precoro", "only_in_xero", "match_candidate"])
    both = out["precoro_id"].fillna("").astype(str).ne("") & out["xero_id"].fillna("").astype(str).ne("")
    out["integrated"] = (both & ~unlinked).map({True: "Integrated", False: "Not integrated"})
    return out


def kind_label(obj: str, kind: str, field: str) -> str:
    """The difference kind in an accountant's words: a supplier conflict says Xero wins (the two-way rule), a
    conflict of a one-way kind names its source; a PO or bill total difference says rounding or material."""
    from recon.rules import DOC_TOTALS, RULES, TWO_WAY

    rule = RULES.get(obj)
    if kind == "conflict" and rule is not None:
        if rule.direction == TWO_WAY:
            return f"conflict ({_SYSTEM_NAMES[rule.conflict_winner]} wins)"
        return f"conflict ({_SYSTEM_NAMES[rule.source]} is the source)"
    if rule is not None and rule.lines is not None and field in DOC_TOTALS and kind not in ("rounding", ""):
        return f"{kind} (material)"
    return kind


_SYSTEM_NAMES = {"precoro": "Precoro", "xero": "Xero"}


def _style(df: pd.DataFrame) -> Any:
    def row(r: pd.Series) -> list[str]:
        kind = kinds[r.name]
        base = f"background-color:{ROW_COLOURS.get(kind, '')}" if kind in ROW_COLOURS else ""
        styles = []
        for col in r.index:
            s = base
            if col in ("precoro_value", "xero_value") and r["precoro_value"] != r["xero_value"] and r["field"]:
                s += ";font-weight:600;background-color:#fff3b0"  # the changed cells
            if col == "kind" and kind == "conflict":
                s += ";color:#b45309;font-weight:700"
            styles.append(s)
        return styles

    shown = df.reindex(columns=SHOWN).fillna("").astype(str)
    kinds = shown["kind"].copy()
    shown["kind"] = [kind_label(o, k, f) for o, k, f in zip(shown["object"], shown["kind"], shown["field"])]
    return shown.style.apply(row, axis=1).hide(axis="index").format(escape="html")


def differences_views(differences: pd.DataFrame) -> tuple[Any, Any]:
    """Two styled tables: material differences, and rounding differences apart."""
    diffs = with_integrated(differences)
    rounding = diffs["kind"].eq("rounding")
    return _style(diffs[~rounding]), _style(diffs[rounding])


def outcome_view(outcome: Any, plan: Any) -> Any:
    """What the apply did, one row per action: status, message, target id."""
    actions = plan.by_id()
    rows = pd.DataFrame([{"action": r.action_id, "label": actions[r.action_id].label if r.action_id in actions else "",
                          "status": r.status, "target_id": r.target_id, "message": r.message}
                         for r in outcome.results], columns=["action", "label", "status", "target_id", "message"])
    counts = outcome.counts()
    return _html(bar_chart(list(counts), {"actions": list(counts.values())}, "Outcome")
                 + table(rows, "t-outcome", row_class=lambda r: f"s-{r['status']}", empty="No action to carry out."))
