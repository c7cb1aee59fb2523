"""An ipywidgets 8 view over the approval model, for JupyterLab.

The view knows only :class:`recon.approve.ApprovalModel`: every button calls the model, which writes the
decision to the store at once, so reopening the notebook shows the decisions already taken. Nothing is kept
in widget state that is not also in the store.

>>> view = ApprovalView(ApprovalModel(plan, store, user, clock))
>>> view                      # in a notebook cell: filters, actions grouped by kind, buttons, feedback

Layout: filters (object, kind of difference, direction, state), a comment box, "approve/reject selected"
and "approve/reject shown", the counts and page buttons, then one row per action (a checkbox, the record,
what the action does, conflicts and rounding marked, the reason, its state: pending, approved or rejected
and by whom; approve and reject; its fields before and after on demand, changed values highlighted), and an
``Output`` with feedback on each decision. A page holds 50 rows, so 10,000 actions stay responsive.
"""

from __future__ import annotations

import html
from typing import Any, Callable

import ipywidgets as w

from recon import palette
from recon import report_words as words
from recon.approve import ApprovalModel, direction_of
from recon.errors import ReconError
from recon.reconcile.model import Action
from recon.schema import KINDS

MARKS = {"conflict": ("⚠ conflict", "#b45309"), "rounding": ("≈ rounding", "#6d28d9"),
         "blocked_edit": ("⛔ blocked edit", "#b91c1c"), "locked_period": ("🔒 in a locked period", "#1e3a8a"),
         "revert": ("↶ revert", "#0f766e")}
STATUS_TEXT = {None: ("pending", "#6b7280"), "approve": ("approved", "#15803d"), "reject": ("rejected", "#b91c1c")}
CHANGED_STYLE = "background:#fef3c7;font-weight:600"


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return f"<i>{len(value)} line(s)</i>"
    return html.escape("" if value is None else str(value)) or "<i style='color:#9ca3af'>empty</i>"


def field_rows(action: Action) -> list[tuple[str, Any, Any, bool]]:
    """``(field, before, after, changed)`` per field; document lines expand to ``lines[n].field`` rows
    (only the fields that differ, unless the action creates the document)."""
    rows: list[tuple[str, Any, Any, bool]] = []
    for name in dict.fromkeys([*action.new, *action.old]):
        before, after = action.old.get(name), action.new.get(name)
        if isinstance(before, list) or isinstance(after, list):
            rows.append((name, before, after, action.op == "create" or before != after))
            if action.op != "create":
                rows += _line_rows(name, before or [], after or [])
            continue
        rows.append((name, before, after, action.op == "create" or before != after))
    return rows


def _line_rows(name: str, before: list[Any], after: list[Any]) -> list[tuple[str, Any, Any, bool]]:
    out = []
    for n in range(max(len(before), len(after))):
        old = before[n] if n < len(before) else {}
        new = after[n] if n < len(after) else {}
        for f in dict.fromkeys([*new, *old]):
            if f != "line_no" and old.get(f) != new.get(f):
                out.append((f"{name}[{n + 1}].{f}", old.get(f), new.get(f), True))
    return out


def fields_table(action: Action) -> str:
    """HTML table of the action's fields: before (``old``) and after (``new``), changed rows highlighted."""
    rows = []
    for name, before, after, changed in field_rows(action):
        style = f" style='{CHANGED_STYLE}'" if changed else ""
        rows.append(f"<tr{style}><td>{html.escape(name)}</td><td>{_cell(before)}</td><td>{_cell(after)}</td></tr>")
    return ("<table class='recon-fields' style='border-collapse:collapse;font-size:12px'>"
            "<thead><tr><th style='text-align:left'>field</th><th style='text-align:left'>before</th>"
            "<th style='text-align:left'>after</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


class GridRow:
    """One action as a row of the grid: a checkbox, what it does, its state, approve and reject, and its
    fields before and after on demand."""

    def __init__(self, action: Action, on_decide: Callable[[str, str], None]) -> None:
        self.action = action
        self.pick = w.Checkbox(value=False, indent=False, layout=w.Layout(width="28px"))
        self.header = w.HTML(layout=w.Layout(flex="1 1 auto", width="auto"))
        fixed = {"flex": "0 0 auto", "width": "auto"}  # the buttons keep their words, the text takes the rest
        self.approve = w.Button(description="Approve", button_style="success", icon="check", layout=w.Layout(**fixed))
        self.reject = w.Button(description="Reject", button_style="danger", icon="times", layout=w.Layout(**fixed))
        self.more = w.ToggleButton(value=False, description="Before/after", layout=w.Layout(**fixed))
        self.detail = w.HTML(layout=w.Layout(display="none", padding="2px 0 6px 34px"))
        self.approve.on_click(lambda _: on_decide(action.id, "approve"))
        self.reject.on_click(lambda _: on_decide(action.id, "reject"))
        self.more.observe(self._toggle, names="value")
        self.widget = w.VBox([w.HBox([self.pick, self.header, self.approve, self.reject, self.more],
                                     layout=w.Layout(align_items="center")), self.detail],
                             layout=w.Layout(border_bottom="1px solid #e5e7eb", padding="2px 4px"))

    def _toggle(self, change: Any) -> None:
        if change["new"] and not self.detail.value:
            self.detail.value = fields_table(self.action)  # built on demand: 10,000 rows stay light
        self.detail.layout.display = "block" if change["new"] else "none"

    def show(self, verdict: str | None, by: str = "") -> None:
        a = self.action
        text, colour = STATUS_TEXT[verdict]
        mark = MARKS.get(a.difference)
        badge = f" <span style='color:{mark[1]};font-weight:600'>{mark[0]}</span>" if mark else ""
        who = f" by {html.escape(by)}" if by else ""
        what = words.action_words(a.op, a.kind, a.target, a.record_id, a.new)
        self.header.value = (f"<div style='display:flex;gap:1em;align-items:baseline;line-height:1.3'>"
                             f"<b style='flex:0 0 13em'>{html.escape(a.label or a.id)}</b>"
                             f"<span style='flex:0 0 15em'>{html.escape(what)}{badge}</span>"
                             f"<span style='flex:1 1 10em;color:{palette.MUTED}'>{html.escape(a.reason)}</span>"
                             f"<span style='flex:0 0 9em;color:{colour};font-weight:600'>{text}{who}</span></div>")
        self.widget.layout.background = palette.STATUS.get(verdict or "pending", "")


#: kept for callers of the card view (``view.cards[action_id].approve.click()``)
ActionCard = GridRow


class ApprovalView:
    """The approval grid. Display it in a cell; drive it headless with ``Button.click()`` and ``.value``.

    Filters select the actions; a page shows ``page_size`` of them (the buttons page through the rest), so
    10,000 actions stay responsive; "approve/reject shown" decide every action the filters select, on every
    page, "approve/reject selected" the ticked ones."""

    def __init__(self, model: ApprovalModel, *, page_size: int = 50) -> None:
        self.model, self.page_size, self.page = model, page_size, 0
        acts = model.actions
        self.kind = w.Dropdown(description="Object", options=[("all", None)] + [
            (words.lookup(words.OBJECT, k), k) for k in sorted({a.kind for a in acts}, key=_kind_rank)])
        self.difference = w.Dropdown(description="Difference", options=[("all", None)] + [
            (words.lookup(words.KIND, d), d) for d in _present(a.difference for a in acts)])
        self.direction = w.Dropdown(description="Flows", options=[("both ways", None), (words.DIRECTION["to_xero"], "to_xero"),
                                                                  (words.DIRECTION["to_precoro"], "to_precoro")])
        self.status = w.Dropdown(description="State", options=[("any", None), ("pending", "pending"),
                                                               ("approved", "approve"), ("rejected", "reject")])
        self.comment = w.Text(placeholder="comment recorded with each decision", layout=w.Layout(width="40%"))
        self.approve_shown = w.Button(description="Approve shown", button_style="success")
        self.reject_shown = w.Button(description="Reject shown", button_style="danger")
        self.approve_selected = w.Button(description="Approve selected")
        self.reject_selected = w.Button(description="Reject selected")
        self.previous = w.Button(description="◀ previous", layout=w.Layout(width="110px"))
        self.next = w.Button(description="next ▶", layout=w.Layout(width="110px"))
        self.summary = w.HTML()
        self.rows = w.VBox()
        self.output = w.Output(layout=w.Layout(max_height="160px", overflow="auto"))
        self.cards: dict[str, GridRow] = {}
        for dropdown in (self.kind, self.difference, self.direction, self.status):
            dropdown.observe(lambda _: self._first_page(), names="value")
        self.approve_shown.on_click(lambda _: self.decide_shown("approve"))
        self.reject_shown.on_click(lambda _: self.decide_shown("reject"))
        self.approve_selected.on_click(lambda _: self.decide_selected("approve"))
        self.reject_selected.on_click(lambda _: self.decide_selected("reject"))
        self.previous.on_click(lambda _: self._turn(-1))
        self.next.on_click(lambda _: self._turn(1))
        self.widget = w.VBox([
            w.HBox([self.kind, self.difference, self.direction, self.status]),
            w.HBox([self.comment, self.approve_selected, self.reject_selected, self.approve_shown, self.reject_shown]),
            w.HBox([self.summary, self.previous, self.next], layout=w.Layout(align_items="center")),
            self.rows, self.output,
        ])
        self.refresh()

    def _repr_mimebundle_(self, **kw: Any) -> Any:
        return self.widget._repr_mimebundle_(**kw)

    # -- what is shown -----------------------------------------------------------------------------------
    def shown(self) -> list[Action]:
        """The actions the filters select (all of them, on every page), grouped by kind."""
        chosen = self.model.filter(kind=self.kind.value, difference=self.difference.value,
                                   direction=self.direction.value, status=self.status.value)
        return sorted(chosen, key=lambda a: _kind_rank(a.kind))

    def _first_page(self) -> None:
        self.page = 0
        self.refresh()

    def _turn(self, step: int) -> None:
        self.page += step
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the page of rows from the filters and the model."""
        shown = self.shown()
        pages = max(1, -(-len(shown) // self.page_size))
        self.page = min(max(self.page, 0), pages - 1)
        start = self.page * self.page_size
        self.cards = {}
        for a in shown[start:start + self.page_size]:
            row = GridRow(a, self.decide)
            self.cards[a.id] = row
            self._show(row)
        self.rows.children = [r.widget for r in self.cards.values()]
        self.previous.disabled, self.next.disabled = self.page == 0, self.page >= pages - 1
        self._summarise(len(shown), pages)

    def _show(self, row: GridRow) -> None:
        d = self.model.decision(row.action.id)
        row.show(d.verdict if d else None, d.by if d else "")

    def _summarise(self, n_shown: int, pages: int | None = None) -> None:
        c = self.model.counts()
        page = f" · page {self.page + 1} of {pages}" if pages and pages > 1 else ""
        self.summary.value = (f"{n_shown} of {len(self.model.actions)} actions shown · {c['pending']} pending · "
                              f"{c['approve']} approved · {c['reject']} rejected{page} · plan "
                              f"<code>{self.model.plan.fingerprint}</code>")

    # -- deciding ----------------------------------------------------------------------------------------
    def decide(self, action_id: str, verdict: str) -> None:
        """One decision, from a row's button."""
        try:
            d = self.model.decide(action_id, verdict, self.comment.value)
        except ReconError as exc:
            self._say(f"✗ {exc}")
            return
        a = self.model.action(action_id)
        self._say(f"✓ {'approved' if verdict == 'approve' else 'rejected'} {a.op} {a.kind} {a.label or a.id} "
                  f"({direction_of(a).replace('_', ' ')}) as {d.by}")
        if self.status.value is not None:
            self.refresh()  # the action may no longer match the state filter
        else:
            if action_id in self.cards:
                self._show(self.cards[action_id])
            self._summarise(len(self.shown()))

    def decide_shown(self, verdict: str) -> None:
        """The same decision on every action the filters select (every page)."""
        self._decide_many([a.id for a in self.shown()], verdict, "shown")

    def decide_selected(self, verdict: str) -> None:
        """The same decision on the ticked rows of this page."""
        self._decide_many([i for i, row in self.cards.items() if row.pick.value], verdict, "selected")

    def _decide_many(self, ids: list[str], verdict: str, which: str) -> None:
        if not ids:
            self._say(f"nothing {which}: no decision made")
            return
        try:
            self.model.decide_many(ids, verdict, self.comment.value)
        except ReconError as exc:
            self._say(f"✗ {exc}")
            return
        self._say(f"✓ {'approved' if verdict == 'approve' else 'rejected'} {len(ids)} actions {which}")
        self.refresh()

    def _say(self, text: str) -> None:
        self.output.append_stdout(text + "\n")


def _present(values: Any) -> list[str]:
    return sorted(set(values))


def _kind_rank(kind: str) -> int:
    return KINDS.index(kind) if kind in KINDS else len(KINDS)
