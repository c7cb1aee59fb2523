"""HTML of the audit report: escaped tables that sort and filter, inline SVG charts, one inline stylesheet
and one small inline script. Nothing is loaded from anywhere, so a report opens offline years later.

Every value from the run passes through :func:`esc` (HTML-escaped, quotes included); the script only moves
and hides existing rows, it never builds HTML from data.
"""

from __future__ import annotations

import html
import json
import math
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import pandas as pd

if TYPE_CHECKING:
    from recon.report import AuditData

CSS = """
.recon-report{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;line-height:1.4;max-width:1400px}
.recon-report h1{font-size:1.6em;margin:.2em 0}.recon-report h2{font-size:1.25em;margin:1.4em 0 .4em;border-bottom:2px solid #d8dee8}
.recon-report .lead{font-size:1.1em;font-weight:600}.recon-report .note{color:#5a6473}
.recon-report .ok{color:#17663a;font-weight:600}.recon-report .bad{color:#a3161b;font-weight:600}
.recon-report dl.facts{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}.recon-report dl.facts dt{font-weight:600;white-space:nowrap}
.recon-report dd{margin:0}
.recon-tbl{margin:.4em 0 1em;overflow-x:auto}
.recon-tbl .recon-tools{display:flex;gap:1em;align-items:center;margin-bottom:.3em}
.recon-tbl input.recon-filter{padding:.25em .5em;min-width:18em;border:1px solid #aab3c0;border-radius:4px}
.recon-tbl .recon-shown{color:#5a6473;font-size:.9em}
table.recon-table{border-collapse:collapse;font-size:.86em;width:100%}
.recon-report table.recon-table th,.recon-report table.recon-table td{border:1px solid #d8dee8;padding:.25em .5em;text-align:left;vertical-align:top;white-space:pre-wrap}
table.recon-table th{background:#eef2f7;position:sticky;top:0}
table.recon-table th button{all:unset;cursor:pointer;font-weight:600}
table.recon-table th[aria-sort=ascending] button::after{content:" \\25B2"}
table.recon-table th[aria-sort=descending] button::after{content:" \\25BC"}
.recon-report table.recon-table td.num{text-align:right;font-variant-numeric:tabular-nums}
table.recon-table tr.k-conflict td{background:#fff1d6}table.recon-table tr.k-blocked_edit td{background:#fde7e7}
table.recon-table tr.k-rounding td{background:#eef5ff}table.recon-table tr.k-mismatch td{background:#fffbe6}
table.recon-table tr.s-failed td,table.recon-table tr.s-refused td{background:#fde7e7}
table.recon-table tr.v-reject td{background:#f3f0f7}table.recon-table tr.unbound td{background:#fde7e7}
table.recon-table td.changed{background:#fff3b0;font-weight:600}
.recon-report figure{margin:.5em 0 1em}.recon-report figcaption{font-size:.9em;color:#5a6473}
"""

SCRIPT = """
(function(){
  function key(td, num){
    var t = td.textContent.trim();
    if (!num) return t.toLowerCase();
    var n = parseFloat(t.replace(/[,\\s]/g, ''));
    return isNaN(n) ? -Infinity : n;
  }
  function init(table){
    if (table.getAttribute('data-ready')) return;
    table.setAttribute('data-ready', '1');
    var tbody = table.tBodies[0], wrap = table.closest('.recon-tbl');
    var input = wrap.querySelector('input.recon-filter'), shown = wrap.querySelector('.recon-shown');
    var total = tbody.rows.length;
    function update(){
      var q = input.value.trim().toLowerCase(), n = 0;
      Array.prototype.forEach.call(tbody.rows, function(tr){
        var hit = !q || tr.textContent.toLowerCase().indexOf(q) >= 0;
        tr.hidden = !hit; if (hit) n++;
      });
      shown.textContent = n + ' of ' + total + ' rows';
    }
    input.addEventListener('input', update);
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function(th, i){
      th.querySelector('button').addEventListener('click', function(){
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(heads, function(o){ o.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var num = th.getAttribute('data-type') === 'num';
        var rows = Array.prototype.slice.call(tbody.rows);
        rows.sort(function(a, b){
          var x = key(a.cells[i], num), y = key(b.cells[i], num);
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function(r){ tbody.appendChild(r); });
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.recon-table'), init);
})();
"""

PALETTE = ("#3b6fb6", "#d9822b", "#2e9e6a", "#a3161b", "#7a52a8", "#5a6473", "#c2a01e")


def text(value: Any) -> str:
    """The plain text shown for a value: blanks for missing ones, exact decimals, JSON for structures."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return str(value)


def esc(value: Any) -> str:
    """HTML-escaped :func:`text` (quotes too, so it is safe inside attributes)."""
    return html.escape(text(value), quote=True)


def _numeric(values: Iterable[Any]) -> bool:
    seen = False
    for v in values:
        t = text(v).replace(",", "").strip()
        if not t:
            continue
        if isinstance(v, bool):
            return False
        try:
            Decimal(t)
        except InvalidOperation:
            return False
        seen = True
    return seen


def table(df: pd.DataFrame, tid: str, *, columns: Sequence[str] | None = None,
          row_class: Callable[[Mapping[str, Any]], str] | None = None,
          cell_class: Callable[[Mapping[str, Any], str], str] | None = None, empty: str = "None.") -> str:
    """A sortable, filterable table of ``df`` (all of it: an audit report never truncates)."""
    if df is None or df.empty:
        return f'<p class="note" id="{esc(tid)}-empty">{esc(empty)}</p>'
    columns = list(columns or df.columns)
    records = df.to_dict("records")
    numeric = {c: _numeric(r.get(c) for r in records) for c in columns}
    head = "".join(f'<th scope="col" data-type="{"num" if numeric[c] else "text"}"><button type="button">'
                   f"{esc(c)}</button></th>" for c in columns)
    rows = []
    for r in records:
        cls = row_class(r) if row_class else ""
        cells = []
        for c in columns:
            classes = " ".join(x for x in ("num" if numeric[c] else "", cell_class(r, c) if cell_class else "") if x)
            cells.append(f'<td{f" class={chr(34)}{esc(classes)}{chr(34)}" if classes else ""}>{esc(r.get(c))}</td>')
        rows.append(f'<tr{f" class={chr(34)}{esc(cls)}{chr(34)}" if cls else ""}>{"".join(cells)}</tr>')
    n = len(records)
    return (f'<div class="recon-tbl"><div class="recon-tools"><input type="search" class="recon-filter" '
            f'placeholder="Filter rows" aria-label="Filter {esc(tid)}"><span class="recon-shown">{n} of {n} rows</span>'
            f'</div><table class="recon-table" id="{esc(tid)}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def bar_chart(categories: Sequence[str], series: Mapping[str, Sequence[float]], title: str, *,
              stacked: bool = False) -> str:
    """Horizontal bars as inline SVG: grouped (one bar per series) or ``stacked`` (one bar per category,
    a segment per series, zero segments left out)."""
    if not categories or not series:
        return ""
    names = list(series)
    bar, gap, label_w, width = 14, 10, 170, 640
    legend, x, ly = [], label_w, 26
    for i, name in enumerate(names):
        step = 22 + 7 * len(name)
        if x + step > width and x > label_w:  # wrap the legend rather than run off the picture
            x, ly = label_w, ly + 16
        legend.append(f'<rect x="{x}" y="{ly}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>'
                      f'<text x="{x + 14}" y="{ly + 9}">{esc(name)}</text>')
        x += step
    top = ly + 18
    per_category = 1 if stacked else len(names)
    height = top + len(categories) * (bar * per_category + gap) + 10
    if stacked:
        peak = max((sum(series[n][ci] for n in names) for ci in range(len(categories))), default=0) or 1
    else:
        peak = max((v for vals in series.values() for v in vals), default=0) or 1
    scale = (width - label_w - 60) / peak
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="system-ui,sans-serif" font-size="12">',
             f"<title>{esc(title)}</title>",
             f'<text x="0" y="16" font-weight="600" font-size="14">{esc(title)}</text>', *legend]
    y = top
    for ci, cat in enumerate(categories):
        parts.append(f'<text x="{label_w - 6}" y="{y + bar * per_category / 2 + 4:g}" text-anchor="end">{esc(cat)}</text>')
        if stacked:
            x0 = float(label_w)
            for si, name in enumerate(names):
                v = series[name][ci]
                if v:
                    parts.append(f'<rect x="{x0:.1f}" y="{y}" width="{v * scale:.1f}" height="{bar - 2}" '
                                 f'fill="{PALETTE[si % len(PALETTE)]}"><title>{esc(cat)} / {esc(name)}: {esc(v)}</title></rect>')
                    x0 += v * scale
            parts.append(f'<text x="{x0 + 4:.1f}" y="{y + bar - 4}">{esc(sum(series[n][ci] for n in names))}</text>')
            y += bar + gap
            continue
        for si, name in enumerate(names):
            v = series[name][ci]
            parts.append(f'<rect x="{label_w}" y="{y}" width="{max(v * scale, 0):.1f}" height="{bar - 2}" '
                         f'fill="{PALETTE[si % len(PALETTE)]}"><title>{esc(cat)} / {esc(name)}: {esc(v)}</title></rect>'
                         f'<text x="{label_w + v * scale + 4:.1f}" y="{y + bar - 4}">{esc(v)}</text>')
            y += bar
        y += gap
    parts.append("</svg>")
    return f'<figure>{"".join(parts)}<figcaption>{esc(title)}</figcaption></figure>'


def facts(pairs: Iterable[tuple[str, Any]]) -> str:
    return '<dl class="facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in pairs) + "</dl>"


def _mapping_frame(values: Mapping[str, Any], key: str = "name", value: str = "value") -> pd.DataFrame:
    return pd.DataFrame([{key: k, value: v} for k, v in sorted(values.items())], columns=[key, value])


def _header(d: "AuditData") -> str:
    run = d.run
    pairs = [("Run", d.run_id), ("Run by", run.get("user", "")), ("Started", run.get("started_at", "")),
             ("Finished", run.get("finished_at", "")), ("Notebook", run.get("notebook", "")),
             ("Settings", run.get("settings", ""))]
    for system in sorted(d.systems):
        for k, v in sorted(d.systems[system].items()):
            if not isinstance(v, (Mapping, list, tuple)):
                pairs.append((f"{system} {k}", v))
    params = run.get("parameters") or {}
    out = [f"<h1>recon audit report</h1><p class=\"lead\" id=\"message\">{esc(d.message)}</p>", facts(pairs),
           "<h2 id=\"parameters\">Parameters</h2>",
           table(_mapping_frame(params, "parameter"), "t-parameters", empty="No parameters recorded.")]
    if d.plan is not None and d.plan.reverts:
        out.append(f'<h2 id="reverts">Revert of run {esc(d.plan.reverts)}</h2><p class="lead" id="reverts-run">This run '
                   f'reverts run {esc(d.plan.reverts)}: {len(d.plan.actions)} reverse actions; '
                   f'{len(d.plan.held)} of that run\'s changes cannot be reverted.</p>')
        out.append(table(pd.DataFrame([dict(h) for h in d.plan.held], columns=list(HELD_COLUMNS)), "t-held",
                         empty="Every change of that run can be reverted."))
    if d.missing:
        out.append(f'<p class="note" id="missing">Not in this run folder: {esc(", ".join(d.missing))}.</p>')
    return "".join(out)


#: the columns of a reverse plan's changes that cannot be reverted
HELD_COLUMNS = ("label", "kind", "op", "target", "why", "action_id")


def _fetched(d: "AuditData") -> str:
    out = ['<h2 id="fetched">Fetched</h2>']
    if d.counts.empty:
        return out[0] + '<p class="note">No snapshot files in this run folder.</p>'
    pivot = d.counts.pivot_table(index="frame", columns="system", values="rows", aggfunc="sum", fill_value=0)
    pivot = pivot.reset_index()
    systems = [c for c in pivot.columns if c != "frame"]
    out.append(bar_chart(list(pivot["frame"]), {s: [int(v) for v in pivot[s]] for s in systems},
                         "Records fetched per kind and system"))
    out.append(table(pivot, "t-fetched"))
    return "".join(out)


def _settings_check(d: "AuditData") -> str:
    check = dict(d.settings_check)
    out = ['<h2 id="settings-check">Rounding settings check</h2>']
    if not check:
        return out[0] + '<p class="note">No rounding-settings check recorded.</p>'
    verdict = next((check[k] for k in ("ok", "agree", "agrees", "consistent") if k in check), None)
    if verdict is not None:
        cls, word = ("ok", "The rounding settings of both systems agree.") if verdict else \
            ("bad", "The rounding settings of the two systems do not agree.")
        out.append(f'<p class="{cls}" id="settings-verdict">{esc(word)}</p>')
    if check.get("message"):
        out.append(f"<p>{esc(check['message'])}</p>")
    out.append(table(_mapping_frame(check, "setting"), "t-settings-check"))
    return "".join(out)


def _differences(d: "AuditData") -> str:
    out = ['<h2 id="differences">Differences</h2>']
    diffs = d.differences
    if not diffs.empty and "kind" in diffs:
        counts = diffs.groupby(["object", "kind"]).size().unstack(fill_value=0) if "object" in diffs else None
        if counts is not None:
            out.append(bar_chart(list(counts.index), {k: [int(v) for v in counts[k]] for k in counts.columns},
                                 "Differences per object and kind", stacked=True))
    if not d.summary.empty:
        out.append("<h3>Summary per kind</h3>" + table(d.summary, "t-summary"))
    out.append(table(diffs, "t-differences", row_class=lambda r: f"k-{r.get('kind', '')}",
                     empty="No objects needed to be updated."))
    return "".join(out)


def _changed_in_xero(d: "AuditData") -> str:
    """Documents recon sent to Xero and someone changed there since (each run says so until recon sends again)."""
    out = ['<h2 id="changed-in-xero">Changed in Xero after recon sent it</h2>']
    out.append(table(d.changed_in_xero, "t-changed-in-xero",
                     empty="No purchase order or bill recon sent to Xero has been changed there since."))
    return "".join(out)


def _decisions(d: "AuditData") -> str:
    out = ['<h2 id="decisions">Decisions</h2>']
    out.append(table(d.decisions, "t-decisions",
                     row_class=lambda r: " ".join(x for x in (f"v-{r['verdict']}", "" if r["bound"] else "unbound") if x),
                     empty="No decisions were recorded in this run."))
    return "".join(out)


def _applied(d: "AuditData") -> str:
    out = ['<h2 id="applied">Actions applied</h2>']
    if d.outcome is not None and d.outcome.dry_run:
        out.append('<p class="note">Dry run: nothing was written to either system.</p>')
    changed = (lambda r, c: "changed" if c == "after" and text(r.get("before")) != text(r.get("after")) else "")
    out.append(table(d.applied, "t-applied", cell_class=changed, empty="No action was applied."))
    out.append('<h2 id="not-applied">Refused, skipped, failed or not applied</h2>')
    out.append(table(d.not_applied, "t-not-applied", row_class=lambda r: f"s-{r['status']}",
                     empty="Every proposed action was applied."))
    if d.outcome is not None:
        counts = d.outcome.counts()
        out.append(bar_chart(list(counts), {"actions": list(counts.values())}, "Outcome of the apply"))
    return "".join(out)


def _rounding(d: "AuditData") -> str:
    return ('<h2 id="rounding">Rounding analysis of purchase orders and bills</h2>'
            + table(d.rounding, "t-rounding", row_class=lambda r: f"k-{r.get('kind', r.get('classification', ''))}",
                    empty="No purchase order or bill totals to analyse."))


def _integrity(d: "AuditData") -> str:
    out = ['<h2 id="integrity">Integrity of the approvals chain</h2>']
    chk = dict(d.integrity)
    if not chk:
        out.append('<p class="note" id="integrity-verdict">The approvals chain was not checked in this run.</p>')
    else:
        ok = bool(chk.get("ok"))
        word = "The approvals chain is intact." if ok else "The approvals chain is BROKEN."
        out.append(f'<p class="{"ok" if ok else "bad"}" id="integrity-verdict">{esc(word)} {esc(chk.get("message", ""))}</p>')
        out.append(table(_mapping_frame(chk, "check"), "t-integrity"))
    if not d.decisions.empty:
        unbound = int((~d.decisions["bound"]).sum())
        if unbound:
            out.append(f'<p class="bad" id="unbound">{unbound} decision(s) are not bound to this plan '
                       f'(another fingerprint or an unknown action) and were not used.</p>')
        else:
            out.append(f'<p class="ok" id="unbound">All {len(d.decisions)} decisions are bound to plan '
                       f'{esc(d.plan.fingerprint if d.plan else "")}.</p>')
    return "".join(out)


SECTIONS = (_header, _fetched, _settings_check, _differences, _changed_in_xero, _decisions, _applied, _rounding, _integrity)


def body(d: "AuditData") -> str:
    """The report as an HTML fragment carrying its own style and script (for a notebook output)."""
    return (f'<div class="recon-report" data-run-id="{esc(d.run_id)}"><style>{CSS}</style>'
            + "".join(section(d) for section in SECTIONS) + f"<script>{SCRIPT}</script></div>")


def document(d: "AuditData") -> str:
    """A whole HTML document around :func:`body`."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>recon audit report {esc(d.run_id)}'
            f"</title></head><body>{body(d)}</body></html>\n")
