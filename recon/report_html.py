"""HTML building blocks of recon's views (audit report, web app, notebook): escaped tables that sort and
filter, inline SVG charts, one inline stylesheet (screen and A4 print) and one small inline script. Nothing
is loaded from anywhere, so a report opens offline years later.

Every value from a run passes through :func:`esc` (HTML-escaped, quotes included) unless it is an
:class:`Html` fragment built here from escaped parts; the script only moves and hides existing rows, it never
builds HTML from data. The sections of the audit report are in :mod:`recon.report_sections`.
"""

from __future__ import annotations

import html
import json
import math
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import pandas as pd

from recon import palette

if TYPE_CHECKING:
    from recon.report import AuditData

#: a table with more rows than this gets a filter box (a short table is read at a glance)
FILTER_FROM = 12

CSS = f"""
.recon-report{{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:{palette.INK};line-height:1.4;max-width:1340px}}
.recon-report h1{{font-size:1.5em;margin:.2em 0}}.recon-report h2{{font-size:1.2em;margin:1.2em 0 .3em;border-bottom:2px solid {palette.RULE}}}
.recon-report .lead{{font-size:1.05em;font-weight:600}}.recon-report .note{{color:{palette.MUTED}}}
.recon-report dl.facts{{display:grid;grid-template-columns:repeat(3,max-content auto);gap:.15em 1em;margin:.4em 0}}
.recon-report dl.facts dt{{font-weight:600;white-space:nowrap}}.recon-report dd{{margin:0}}
.recon-report .tiles{{display:flex;flex-wrap:wrap;gap:.5em;margin:.4em 0}}
.recon-report .tile{{border:1px solid {palette.RULE};border-radius:6px;padding:.3em .8em;min-width:6em}}
.recon-report .tile b{{display:block;font-size:1.4em;font-variant-numeric:tabular-nums}}
.recon-tbl{{margin:.3em 0 .8em;overflow-x:auto}}
.recon-tbl .recon-tools{{display:flex;gap:1em;align-items:center;margin-bottom:.3em}}
.recon-tbl input.recon-filter{{padding:.25em .5em;min-width:18em;border:1px solid #aab3c0;border-radius:4px}}
.recon-tbl .recon-shown{{color:{palette.MUTED};font-size:.9em}}
.recon-report table.recon-table{{border-collapse:collapse;font-size:.86em;width:100%;table-layout:auto;margin:0}}
.recon-report table.recon-table th,.recon-report table.recon-table td{{border:1px solid {palette.RULE};padding:.2em .45em;text-align:left;vertical-align:top;overflow-wrap:anywhere}}
table.recon-table th{{background:#eef2f7;position:sticky;top:0}}
table.recon-table th button{{background:none;border:0;padding:0;font:inherit;font-weight:600;cursor:pointer;color:inherit}}
table.recon-table th[aria-sort=ascending] button::after{{content:" \\25B2"}}
table.recon-table th[aria-sort=descending] button::after{{content:" \\25BC"}}
.recon-report table.recon-table td.num,.recon-report table.recon-table th.num{{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}}
.recon-report td.nw{{white-space:nowrap}}.recon-report table.recon-table td:first-child{{min-width:7em}}
.recon-report .kv{{display:flex;flex-wrap:wrap;gap:.1em 1.2em}}.recon-report .kv b{{font-weight:600;color:{palette.MUTED}}}
.recon-report table.nested{{border-collapse:collapse;font-size:.95em;margin:0;table-layout:auto;width:auto}}
.recon-report table.nested th,.recon-report table.nested td{{border:0;border-bottom:1px solid {palette.RULE};padding:.05em .4em;background:transparent}}
.recon-report .arrow{{color:{palette.MUTED}}}.recon-report del{{color:{palette.MUTED}}}
.recon-report details>summary{{cursor:pointer;font-weight:600;font-size:1.1em;margin:1em 0 .3em}}
.recon-report figure{{margin:.3em 0 .6em}}.recon-report figcaption{{font-size:.9em;color:{palette.MUTED}}}
{palette.css_rules(".recon-report")}
@media print{{
  @page{{size:A4;margin:12mm 10mm}}
  .recon-report{{max-width:none;font-size:9pt}}
  .recon-tbl{{overflow:visible}}.recon-tbl .recon-tools{{display:none}}
  table.recon-table th{{position:static}}table.recon-table tr{{break-inside:avoid}}
  .recon-report h2{{break-after:avoid}}
  .recon-report tr.k-conflict td,.recon-report td.changed{{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
}}
"""

SCRIPT = """
(function(){
  function key(td, num){
    var s = td.getAttribute('data-sort');
    if (num) { var n = parseFloat(s !== null ? s : td.textContent.replace(/[^0-9.\\-]/g, '')); return isNaN(n) ? -Infinity : n; }
    return (s !== null ? s : td.textContent).trim();
  }
  var collator = new Intl.Collator(undefined, {numeric: true, sensitivity: 'base'});
  function init(table){
    if (table.getAttribute('data-ready')) return;
    table.setAttribute('data-ready', '1');
    var tbody = table.tBodies[0], wrap = table.closest('.recon-tbl');
    var input = wrap.querySelector('input.recon-filter'), shown = wrap.querySelector('.recon-shown');
    var rows = Array.prototype.filter.call(tbody.rows, function(r){ return r.parentNode === tbody; });
    if (input) input.addEventListener('input', function(){
      var q = input.value.trim().toLowerCase(), n = 0;
      rows.forEach(function(tr){
        var hit = !q || tr.textContent.toLowerCase().indexOf(q) >= 0;
        tr.hidden = !hit; if (hit) n++;
      });
      shown.textContent = n + ' of ' + rows.length + ' rows';
    });
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function(th, i){
      var button = th.querySelector('button'); if (!button) return;
      button.addEventListener('click', function(){
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(heads, function(o){ o.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var num = th.getAttribute('data-type') === 'num';
        rows.sort(function(a, b){
          var x = key(a.cells[i], num), y = key(b.cells[i], num);
          var c = num ? (x < y ? -1 : x > y ? 1 : 0) : collator.compare(x, y);
          return c * (asc ? 1 : -1);
        });
        rows.forEach(function(r){ tbody.appendChild(r); });
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.recon-table'), init);
  window.addEventListener('beforeprint', function(){
    Array.prototype.forEach.call(document.querySelectorAll('.recon-report details'), function(d){ d.open = true; });
  });
})();
"""

PALETTE = palette.SERIES


class Html:
    """A fragment of HTML built by recon from escaped parts: put into a cell as it is. (Not a ``str``: a frame
    would turn a string subclass back into plain text, to be escaped.)"""

    __slots__ = ("html",)

    def __init__(self, fragment: str) -> None:
        self.html = fragment

    def __str__(self) -> str:
        return self.html


def text(value: Any) -> str:
    """The plain text shown for a value: blanks for missing ones, exact decimals, JSON for structures."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, Html):
        return value.html
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return str(value)


def esc(value: Any) -> str:
    """HTML-escaped :func:`text` (quotes too, so it is safe inside attributes); an :class:`Html` as it is."""
    if isinstance(value, Html):
        return value.html
    return html.escape(text(value), quote=True)


def _number(value: Any) -> Decimal | None:
    t = text(value).replace(",", "").strip()
    if not t or isinstance(value, bool) or isinstance(value, Html):
        return None
    parts = t.split(" ")
    if len(parts) == 2 and len(parts[0]) == 3 and parts[0].isalpha():  # "NZD 1,234.50"
        t = parts[1]
    try:
        number = Decimal(t)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _numeric(values: Iterable[Any]) -> bool:
    seen = False
    for v in values:
        if not text(v).strip():
            continue
        if _number(v) is None:
            return False
        seen = True
    return seen


def table(df: pd.DataFrame, tid: str, *, columns: Sequence[str] | None = None,
          headers: Mapping[str, str] | None = None,
          row_class: Callable[[Mapping[str, Any]], str] | None = None,
          cell_class: Callable[[Mapping[str, Any], str], str] | None = None, empty: str = "None.",
          filterable: bool | None = None, nowrap: Sequence[str] = ()) -> str:
    """A sortable table of ``df`` (all of it: an audit report never truncates), with a filter box when it is
    long (``filterable`` forces it either way). Numeric columns sort as numbers and sit right-aligned; text
    columns sort naturally (``2`` before ``10``). ``headers`` names the columns in words; ``nowrap`` columns
    keep their words on one line."""
    if df is None or df.empty:
        return f'<p class="note" id="{esc(tid)}-empty">{esc(empty)}</p>'
    columns = list(columns or df.columns)
    headers = headers or {}
    records = df.to_dict("records")
    numeric = {c: _numeric(r.get(c) for r in records) for c in columns}
    head = "".join(f'<th scope="col" data-type="{"num" if numeric[c] else "text"}"'
                   f'{" class=" + chr(34) + "num" + chr(34) if numeric[c] else ""}><button type="button">'
                   f"{esc(headers.get(c, c))}</button></th>" for c in columns)
    rows = []
    for r in records:
        cls = row_class(r) if row_class else ""
        cells = []
        for c in columns:
            classes = " ".join(x for x in ("num" if numeric[c] else "", "nw" if c in nowrap else "",
                                           cell_class(r, c) if cell_class else "") if x)
            sort = f' data-sort="{_number(r.get(c))}"' if numeric[c] and _number(r.get(c)) is not None else ""
            cells.append(f'<td{f" class={chr(34)}{esc(classes)}{chr(34)}" if classes else ""}{sort}>{esc(r.get(c))}</td>')
        rows.append(f'<tr{f" class={chr(34)}{esc(cls)}{chr(34)}" if cls else ""}>{"".join(cells)}</tr>')
    n = len(records)
    tools = ""
    if filterable if filterable is not None else n > FILTER_FROM:
        tools = (f'<div class="recon-tools"><input type="search" class="recon-filter" placeholder="Filter rows" '
                 f'aria-label="Filter {esc(tid)}"><span class="recon-shown">{n} of {n} rows</span></div>')
    return (f'<div class="recon-tbl">{tools}<table class="recon-table" id="{esc(tid)}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def bar_chart(categories: Sequence[str], series: Mapping[str, Sequence[float]], title: str, *,
              stacked: bool = False) -> str:
    """Horizontal bars as inline SVG: grouped (one bar per series) or ``stacked`` (one bar per category,
    a segment per series, zero segments left out)."""
    if not categories or not series:
        return ""
    names = list(series)
    bar, gap, label_w, width = 14, 6, 170, 640
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
    return f'<figure>{"".join(parts)}</figure>'


def facts(pairs: Iterable[tuple[str, Any]]) -> str:
    return '<dl class="facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in pairs) + "</dl>"


def tiles(pairs: Iterable[tuple[str, Any]], tid: str = "") -> str:
    """Big figures with their words (what the run changed, at a glance)."""
    return (f'<div class="tiles"{f" id={chr(34)}{esc(tid)}{chr(34)}" if tid else ""}>'
            + "".join(f'<div class="tile"><b>{esc(v)}</b>{esc(k)}</div>' for k, v in pairs) + "</div>")


def body(d: "AuditData") -> str:
    """The report as an HTML fragment carrying its own style and script (for a notebook output)."""
    from recon.report_sections import SECTIONS

    return (f'<div class="recon-report" data-run-id="{esc(d.run_id)}"><style>{CSS}</style>'
            + "".join(section(d) for section in SECTIONS) + f"<script>{SCRIPT}</script></div>")


def document(d: "AuditData") -> str:
    """A whole HTML document around :func:`body`."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>recon audit report {esc(d.run_id)}'
            f"</title></head><body>{body(d)}</body></html>\n")
