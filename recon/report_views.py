"""Notebook views of a reconciliation (``reconcile.ipynb``): the settings check, the summary with its chart,
and the difference view: one interactive table (itables, DataTables bundled offline: nothing is loaded from
the network) that sorts, filters and pages, with the side that changed highlighted, the difference in words,
amounts with their currency and each record's "Integrated" state. Same words and palette as the report."""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from recon import palette
from recon.difference_view import COLUMNS, difference_frame
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
        from recon import report_words as rw

        kinds = [c for c in summary.columns if c not in ("object", "precoro", "xero", "linked", "equal", "actions")]
        used = [c for c in kinds if pd.to_numeric(summary[c], errors="coerce").fillna(0).sum() > 0]
        if used:  # one bar per object, a segment per kind of difference: no rows of zero bars
            chart = bar_chart([rw.lookup(rw.OBJECT, o) for o in summary["object"]],
                              {rw.lookup(rw.KIND, c): [int(v) for v in summary[c]] for c in used},
                              "Differences per object and kind", stacked=True)
    return _html(f'<p class="lead">{esc(message)}</p>{chart}' + table(summary, "t-summary"))


def with_integrated(differences: pd.DataFrame) -> pd.DataFrame:
    """Add ``integrated``: the record is linked to its counterpart (both ids known, not a missing record). One
    answer per record: a record that is still a match candidate is not integrated on any of its rows."""
    out = differences.copy()
    unlinked = out["kind"].isin(["only_in_precoro", "only_in_xero", "match_candidate"])
    both = out["precoro_id"].fillna("").astype(str).ne("") & out["xero_id"].fillna("").astype(str).ne("")
    record = [out["object"].astype(str), out["precoro_id"].fillna("").astype(str), out["xero_id"].fillna("").astype(str)]
    linked = (both & ~unlinked).groupby(record).transform("all") if len(out) else both
    out["integrated"] = linked.map({True: "Integrated", False: "Not integrated"})
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
    """Two styled tables: material differences, and rounding differences apart (the earlier view, kept for
    callers of it; the notebook shows :func:`difference_view`)."""
    diffs = with_integrated(differences)
    rounding = diffs["kind"].eq("rounding")
    return _style(diffs[~rounding]), _style(diffs[rounding])


def changed_in_xero_view(changed: pd.DataFrame | None, zone: Any) -> Any:
    """Documents recon sent to Xero that someone changed there since, one row per document and field: the value
    sent, the value found, when and by whom (the audit report's section, here before anything is approved)."""
    from recon.report_sections import changed_in_xero_table

    return _html("<h3>Changed in Xero after recon sent it</h3>" + changed_in_xero_table(changed, zone))


def outcome_view(outcome: Any, plan: Any) -> Any:
    """What the apply did, one row per action: status, message, target id."""
    actions = plan.by_id()
    rows = pd.DataFrame([{"action": r.action_id, "label": actions[r.action_id].label if r.action_id in actions else "",
                          "status": r.status, "target_id": r.target_id, "message": r.message}
                         for r in outcome.results], columns=["action", "label", "status", "target_id", "message"])
    counts = outcome.counts()
    return _html(bar_chart(list(counts), {"actions": list(counts.values())}, "Outcome")
                 + table(rows, "t-outcome", row_class=lambda r: f"s-{r['status']}", empty="No action to carry out."))


#: columns of the notebook's difference view, in the order shown (the report's, and whether it is linked)
VIEW_COLUMNS = {**COLUMNS, "integrated": "Integrated", "gap": "Amount gap"}


def _gap(row: Mapping[str, Any]) -> str:
    """Precoro less Xero, exactly, for amounts (a numeric column: it sorts as numbers)."""
    from decimal import Decimal, InvalidOperation

    if not row["money"]:
        return ""
    try:
        p, x = (Decimal(str(v).split(" ")[-1].replace(",", "")) for v in (row["precoro"], row["xero"]))
    except (InvalidOperation, ValueError):
        return ""
    return str(p - x)


def difference_table(differences: pd.DataFrame, currency: str = "") -> pd.DataFrame:
    """The frame the difference view shows (words, currency, integrated state), before styling."""
    frame = difference_frame(differences, currency)
    integrated = with_integrated(differences)["integrated"].tolist() if len(differences) else []
    frame["integrated"] = integrated
    frame["gap"] = [_gap(r) for r in frame.to_dict("records")]
    return frame


def difference_view(differences: pd.DataFrame, currency: str = "", *, page_length: int = 25) -> Any:
    """The difference view as an interactive table: sort by any column, filter with the search box, page
    through long runs. Offline: DataTables is embedded from the installed itables package."""
    from IPython.display import HTML
    from itables import options, to_html_datatable
    from itables.javascript import generate_init_offline_itables_html

    frame = difference_table(differences, currency)
    if frame.empty:
        return HTML('<p class="lead">No objects needed to be updated.</p>')
    shown = frame[list(VIEW_COLUMNS)].rename(columns=VIEW_COLUMNS)
    kinds, changed, money = frame["kind"].tolist(), frame["changed"].tolist(), frame["money"].tolist()

    def colour(row: pd.Series) -> list[str]:
        i = row.name
        out = []
        for col in row.index:
            css = f"background-color:{palette.KIND.get(kinds[i], '')};text-align:left;overflow-wrap:anywhere"
            side = {"Precoro": "precoro", "Xero": "xero"}.get(col)
            if side and changed[i] in (side, "both"):
                css += f";background-color:{palette.CHANGED};font-weight:600"
            if col in ("Precoro", "Xero", "Last agreed", "Amount gap") and money[i]:
                css += ";text-align:right;font-variant-numeric:tabular-nums"
            out.append(css)
        return out

    styled = shown.style.apply(colour, axis=1).hide(axis="index").format(escape="html")
    # allow_html: the Styler escapes every value itself (format(escape="html")), so the cells are our markup only
    html = to_html_datatable(styled, connected=False, allow_html=True, pageLength=page_length, classes="display compact",
                             text_in_header_can_be_selected=False,  # a click on a heading sorts, as in the report
                             layout={"topStart": "pageLength", "topEnd": "search"}, style="width:100%;max-width:1340px")
    # the DataTables bundle goes with the output, so the view works offline, reopened and in an HTML export
    bundle = generate_init_offline_itables_html(options.dt_bundle)
    return HTML(f'<div class="recon-differences">{bundle}{html}</div>')
