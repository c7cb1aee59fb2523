"""The approval grid as HTML, for the web app (``recon app``): one row per action with a checkbox, its record,
what it does, the difference in words, and its state (pending, approved or rejected, by whom, when); filters
by kind, direction, difference and state; a comment; approve or reject the selected or the shown rows; the
record's before and after fetched on demand. 100 rows are laid out at a time (pages), so 10,000 stay
responsive; "approve/reject shown" decide every row the filters select, on every page.

Pure: a plan and the decisions in force in, escaped HTML out. The page's script only hides rows, ticks boxes
and sends decisions; each answer of the app re-states the rows it changed from the store, which is the record.
"""

from __future__ import annotations

import datetime as dt
from typing import Mapping

from recon import report_words as rw
from recon.approve import direction_of
from recon.reconcile.model import Action, Decision, Plan
from recon.report_html import esc
from recon.schema import KINDS

STATE_CLASS = {None: "pending", "approve": "approve", "reject": "reject"}


def state_words(decision: Decision | None, zone: dt.tzinfo) -> str:
    """``Pending``, or ``Approved by ana, 2026-03-01 22:05:07 NZDT``."""
    if decision is None:
        return "Pending"
    return f"{rw.STATUS[decision.verdict]} by {rw.by_words(decision.by)}, {rw.local_time(decision.at, zone)}"


def _options(name: str, label: str, values: Mapping[str, str]) -> str:
    opts = "".join(f'<option value="{esc(v)}">{esc(w)}</option>' for v, w in values.items())
    return (f'<label>{esc(label)} <select data-filter="{esc(name)}"><option value="">all</option>{opts}'
            "</select></label>")


#: rows shown at once; the filters and "approve/reject shown" work on every row, on every page
PAGE_ROWS = 100


def _row(a: Action, decision: Decision | None, zone: dt.tzinfo, hidden: bool = False) -> str:
    state = STATE_CLASS[decision.verdict if decision else None]
    what = rw.action_words(a.op, a.kind, a.target, a.record_id, a.new)
    return (f'<tr data-id="{esc(a.id)}" data-kind="{esc(a.kind)}" data-direction="{esc(direction_of(a))}" '
            f'data-difference="{esc(a.difference)}" data-state="{state}" class="s-{state}"{" hidden" if hidden else ""}>'
            f'<td><input type="checkbox" class="pick" aria-label="select {esc(a.label or a.id)}"></td>'
            f"<td>{esc(a.label or a.id)}</td><td>{esc(what)}</td><td>{esc(rw.lookup(rw.KIND, a.difference))}</td>"
            f"<td>{esc(a.reason)}</td><td class=\"state\">{esc(state_words(decision, zone))}</td>"
            '<td class="nw"><button type="button" class="one" data-verdict="approve">Approve</button> '
            '<button type="button" class="one" data-verdict="reject">Reject</button> '
            '<button type="button" class="detail" aria-expanded="false">Before/after</button></td></tr>')


def grid(plan: Plan, verdicts: Mapping[str, Decision], zone: dt.tzinfo) -> str:
    """The whole grid: toolbar, counts and one row per action of ``plan``."""
    kinds = {k: rw.lookup(rw.OBJECT, k) for k in KINDS if any(a.kind == k for a in plan.actions)}
    differences = {d: rw.lookup(rw.KIND, d) for d in sorted({a.difference for a in plan.actions})}
    toolbar = (
        '<div class="grid-tools">'
        + _options("kind", "Object", kinds)
        + _options("direction", "Flows", {"to_xero": rw.DIRECTION["to_xero"], "to_precoro": rw.DIRECTION["to_precoro"]})
        + _options("difference", "Difference", differences)
        + _options("state", "State", {"pending": "Pending", "approve": "Approved", "reject": "Rejected"})
        + '<label>Find <input type="search" data-filter="text" placeholder="record or reason"></label></div>'
        '<div class="grid-tools"><label>Comment <input type="text" id="comment" size="40" '
        'placeholder="recorded with each decision"></label>'
        '<button type="button" id="approve-selected" data-verdict="approve" data-scope="selected">Approve selected</button>'
        '<button type="button" id="reject-selected" data-verdict="reject" data-scope="selected">Reject selected</button>'
        '<button type="button" id="approve-shown" data-verdict="approve" data-scope="shown">Approve shown</button>'
        '<button type="button" id="reject-shown" data-verdict="reject" data-scope="shown">Reject shown</button></div>'
        '<div class="grid-tools"><span id="counts" aria-live="polite"></span>'
        '<button type="button" id="page-previous">◀ previous</button><button type="button" id="page-next">next ▶'
        '</button></div><p id="said" role="status" aria-live="polite"></p>')
    head = ('<thead><tr><th><input type="checkbox" id="pick-shown" aria-label="select every shown action"></th>'
            "<th>Record</th><th>Action</th><th>Difference</th><th>Reason</th><th>State</th><th>Decide</th></tr></thead>")
    rows = "".join(_row(a, verdicts.get(a.id), zone, n >= PAGE_ROWS) for n, a in enumerate(plan.actions))
    return (f'{toolbar}<div class="recon-tbl"><table class="recon-table grid" id="t-grid" '
            f'data-plan="{esc(plan.fingerprint)}" data-page-rows="{PAGE_ROWS}">{head}<tbody>{rows}</tbody></table></div>')


GRID_CSS = """
.grid-tools{display:flex;flex-wrap:wrap;gap:.4em 1em;align-items:center;margin:.3em 0}
.grid-tools button,#t-grid button{padding:.2em .6em;border:1px solid #8a94a3;border-radius:4px;background:#fff;cursor:pointer}
#t-grid tr.detail-row td{background:#fafbfc}
"""

GRID_SCRIPT = """
(function(){
  var table = document.getElementById('t-grid'); if (!table) return;
  var tbody = table.tBodies[0], rows = Array.prototype.slice.call(tbody.querySelectorAll('tr[data-id]'));
  var token = document.querySelector('meta[name=recon-token]').content;
  var base = location.pathname.replace(/\\/approve$/, '');
  var filters = Array.prototype.slice.call(document.querySelectorAll('[data-filter]'));
  var per = parseInt(table.getAttribute('data-page-rows'), 10), page = 0, matched = rows;
  function shown(){ return matched; }  // every row the filters select, on every page
  function onPage(){ return rows.filter(function(r){ return !r.hidden; }); }
  function counts(){
    var c = {pending: 0, approve: 0, reject: 0}; rows.forEach(function(r){ c[r.getAttribute('data-state')]++; });
    var pages = Math.max(1, Math.ceil(matched.length / per));
    document.getElementById('counts').textContent = matched.length + ' of ' + rows.length + ' actions shown · ' +
      c.pending + ' pending · ' + c.approve + ' approved · ' + c.reject + ' rejected' +
      (pages > 1 ? ' · page ' + (page + 1) + ' of ' + pages : '');
    document.getElementById('page-previous').disabled = page === 0;
    document.getElementById('page-next').disabled = page >= pages - 1;
  }
  function show(){
    var first = page * per, on = {};
    matched.slice(first, first + per).forEach(function(r){ on[r.getAttribute('data-id')] = true; });
    rows.forEach(function(r){
      var hit = on[r.getAttribute('data-id')] === true;
      if (r.hidden === hit) r.hidden = !hit;
      var next = r.nextElementSibling; if (next && next.classList.contains('detail-row')) next.hidden = !hit;
    });
    counts();
  }
  function apply(){
    var want = {}; filters.forEach(function(f){ want[f.getAttribute('data-filter')] = f.value.trim().toLowerCase(); });
    matched = rows.filter(function(r){
      return ['kind', 'direction', 'difference', 'state'].every(function(k){ return !want[k] || r.getAttribute('data-' + k) === want[k]; })
        && (!want.text || r.textContent.toLowerCase().indexOf(want.text) >= 0);
    });
    page = Math.min(page, Math.max(0, Math.ceil(matched.length / per) - 1));
    show();
  }
  function refilter(){ page = 0; apply(); }
  filters.forEach(function(f){ f.addEventListener('input', refilter); f.addEventListener('change', refilter); });
  document.getElementById('page-previous').addEventListener('click', function(){ page--; show(); });
  document.getElementById('page-next').addEventListener('click', function(){ page++; show(); });
  function say(text){ document.getElementById('said').textContent = text; }
  function decide(ids, verdict){
    if (!ids.length) { say('Nothing selected: no decision made.'); return; }
    var comment = document.getElementById('comment').value;
    fetch(base + '/decisions', {method: 'POST', headers: {'Content-Type': 'application/json', 'X-Recon-Token': token},
      body: JSON.stringify({plan: table.getAttribute('data-plan'), ids: ids, verdict: verdict, comment: comment})})
    .then(function(r){ return r.json().then(function(body){ return [r.ok, body]; }); })
    .then(function(res){
      if (!res[0]) { say(res[1].error); return; }
      var byId = {}; rows.forEach(function(r){ byId[r.getAttribute('data-id')] = r; });
      Object.keys(res[1].states).forEach(function(id){
        var s = res[1].states[id], r = byId[id];
        if (r.getAttribute('data-state') !== s.state) { r.setAttribute('data-state', s.state); r.className = 's-' + s.state; }
        r.querySelector('td.state').textContent = s.words;
        var pick = r.querySelector('input.pick'); if (pick.checked) pick.checked = false;
      });
      say(res[1].said); apply();
    });
  }
  tbody.addEventListener('click', function(e){
    var b = e.target.closest('button'); if (!b) return;
    var r = b.closest('tr[data-id]');
    if (b.classList.contains('one')) { decide([r.getAttribute('data-id')], b.getAttribute('data-verdict')); return; }
    if (b.classList.contains('detail')) {
      var next = r.nextElementSibling;
      if (next && next.classList.contains('detail-row')) { next.remove(); b.setAttribute('aria-expanded', 'false'); return; }
      fetch(base + '/actions/' + encodeURIComponent(r.getAttribute('data-id'))).then(function(x){ return x.text(); })
      .then(function(fragment){
        var tr = document.createElement('tr'), td = document.createElement('td');
        tr.className = 'detail-row'; td.colSpan = 7; td.innerHTML = fragment;  // escaped by the app
        tr.appendChild(td); r.after(tr); b.setAttribute('aria-expanded', 'true');
      });
    }
  });
  document.getElementById('pick-shown').addEventListener('change', function(e){
    onPage().forEach(function(r){ r.querySelector('input.pick').checked = e.target.checked; });
  });
  Array.prototype.forEach.call(document.querySelectorAll('.grid-tools button[data-verdict]'), function(b){
    b.addEventListener('click', function(){
      var scope = b.getAttribute('data-scope') === 'shown' ? shown() :
        rows.filter(function(r){ return r.querySelector('input.pick').checked; });
      decide(scope.map(function(r){ return r.getAttribute('data-id'); }), b.getAttribute('data-verdict'));
    });
  });
  apply();
})();
"""
