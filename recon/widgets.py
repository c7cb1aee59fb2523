"""An ipywidgets 8 view over the approval model, for JupyterLab.

The view knows only :class:`recon.approve.ApprovalModel`: every button calls the model, which writes the
decision to the store at once, so reopening the notebook shows the decisions already taken. Nothing is kept
in widget state that is not also in the store.

>>> view = ApprovalView(ApprovalModel(plan, store, user, clock))
>>> view                      # in a notebook cell: filters, actions grouped by kind, buttons, feedback

Layout: filters (kind, kind of difference, direction, status), a comment box, "approve/reject all shown",
then one accordion section per kind with a card per action (fields before and after, changed values
highlighted, conflicts and rounding cases marked, approve and reject buttons), and an ``Output`` with
feedback on each decision.
"""

from __future__ import annotations

import html
from typing import Any, Callable

import ipywidgets as w

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


class ActionCard:
    """One action: a header, its fields table, and approve/reject buttons."""

    def __init__(self, action: Action, on_decide: Callable[[str, str], None]) -> None:
        self.action = action
        self.header = w.HTML()
        self.approve = w.Button(description="Approve", button_style="success", icon="check",
                                layout=w.Layout(width="110px"))
        self.reject = w.Button(description="Reject", button_style="danger", icon="times", layout=w.Layout(width="110px"))
        self.approve.on_click(lambda _: on_decide(action.id, "approve"))
        self.reject.on_click(lambda _: on_decide(action.id, "reject"))
        self.widget = w.VBox([self.header, w.HTML(fields_table(action)), w.HBox([self.approve, self.reject])],
                             layout=w.Layout(border="1px solid #e5e7eb", padding="4px", margin="2px 0"))

    def show(self, verdict: str | None, by: str = "") -> None:
        a = self.action
        text, colour = STATUS_TEXT[verdict]
        mark = MARKS.get(a.difference)
        badge = f" <span style='color:{mark[1]};font-weight:600'>{mark[0]}</span>" if mark else ""
        who = f" by {html.escape(by)}" if by else ""
        self.header.value = (f"<b>{html.escape(a.op)} {html.escape(a.kind)} {html.escape(a.label or a.id)}</b> "
                             f"→ {a.target.capitalize()}{badge} · <span style='color:{colour}'>{text}{who}</span><br>"
                             f"<small>{html.escape(a.reason)} · <code>{a.id}</code></small>")


class ApprovalView:
    """The approval widget. Display it in a cell; drive it headless with ``Button.click()`` and ``.value``."""

    def __init__(self, model: ApprovalModel, *, page_size: int = 50) -> None:
        self.model, self.page_size = model, page_size
        acts = model.actions
        self.kind = w.Dropdown(description="Kind", options=[("all kinds", None)] + [(k, k) for k in sorted({a.kind for a in acts}, key=_kind_rank)])
        self.difference = w.Dropdown(description="Difference",
                                     options=[("all differences", None)] + [(d, d) for d in _present(a.difference for a in acts)])
        self.direction = w.Dropdown(description="Direction", options=[("both", None), ("into Xero", "to_xero"),
                                                                      ("into Precoro", "to_precoro")])
        self.status = w.Dropdown(description="Status", options=[("any", None), ("pending", "pending"),
                                                                ("approved", "approve"), ("rejected", "reject")])
        self.comment = w.Textarea(placeholder="comment recorded with each decision", layout=w.Layout(width="60%"))
        self.approve_shown = w.Button(description="Approve all shown", button_style="success")
        self.reject_shown = w.Button(description="Reject all shown", button_style="danger")
        self.summary = w.HTML()
        self.groups = w.Accordion()
        self.output = w.Output(layout=w.Layout(max_height="160px", overflow="auto"))
        self.cards: dict[str, ActionCard] = {}
        for dropdown in (self.kind, self.difference, self.direction, self.status):
            dropdown.observe(lambda _: self.refresh(), names="value")
        self.approve_shown.on_click(lambda _: self.decide_shown("approve"))
        self.reject_shown.on_click(lambda _: self.decide_shown("reject"))
        self.widget = w.VBox([
            w.HBox([self.kind, self.difference, self.direction, self.status]),
            w.HBox([self.comment, w.VBox([self.approve_shown, self.reject_shown])]),
            self.summary, self.groups, self.output,
        ])
        self.refresh()

    def _repr_mimebundle_(self, **kw: Any) -> Any:
        return self.widget._repr_mimebundle_(**kw)

    # -- what is shown -----------------------------------------------------------------------------------
    def shown(self) -> list[Action]:
        """The actions the filters select (all of them, even beyond a page)."""
        return self.model.filter(kind=self.kind.value, difference=self.difference.value,
                                 direction=self.direction.value, status=self.status.value)

    def refresh(self) -> None:
        """Rebuild the groups from the filters and the model."""
        shown = self.shown()
        by_kind: dict[str, list[Action]] = {}
        for a in sorted(shown, key=lambda a: _kind_rank(a.kind)):
            by_kind.setdefault(a.kind, []).append(a)
        self.cards = {}
        sections, titles = [], []
        for kind, actions in by_kind.items():
            cards = [ActionCard(a, self.decide) for a in actions[: self.page_size]]
            for card in cards:
                self.cards[card.action.id] = card
                self._show(card)
            more = len(actions) - len(cards)
            note = [w.HTML(f"<i>and {more} more {kind} actions: narrow the filters to see them</i>")] if more > 0 else []
            sections.append(w.VBox([c.widget for c in cards] + note))
            titles.append(f"{kind} ({len(actions)})")
        self.groups.children = sections
        self.groups.titles = tuple(titles)
        self._summarise(len(shown))

    def _show(self, card: ActionCard) -> None:
        d = self.model.decision(card.action.id)
        card.show(d.verdict if d else None, d.by if d else "")

    def _summarise(self, n_shown: int) -> None:
        c = self.model.counts()
        self.summary.value = (f"{n_shown} of {len(self.model.actions)} actions shown · {c['pending']} pending · "
                              f"{c['approve']} approved · {c['reject']} rejected · plan <code>{self.model.plan.fingerprint}</code>")

    # -- deciding ----------------------------------------------------------------------------------------
    def decide(self, action_id: str, verdict: str) -> None:
        """One decision, from a card's button."""
        try:
            d = self.model.decide(action_id, verdict, self.comment.value)
        except ReconError as exc:
            self._say(f"✗ {exc}")
            return
        a = self.model.action(action_id)
        self._say(f"✓ {'approved' if verdict == 'approve' else 'rejected'} {a.op} {a.kind} {a.label or a.id} "
                  f"({direction_of(a).replace('_', ' ')}) as {d.by}")
        if self.status.value is not None:
            self.refresh()  # the action may no longer match the status filter
        else:
            if action_id in self.cards:
                self._show(self.cards[action_id])
            self._summarise(len(self.shown()))

    def decide_shown(self, verdict: str) -> None:
        """The same decision on every action the filters select."""
        ids = [a.id for a in self.shown()]
        if not ids:
            self._say("nothing shown: no decision made")
            return
        try:
            self.model.decide_many(ids, verdict, self.comment.value)
        except ReconError as exc:
            self._say(f"✗ {exc}")
            return
        self._say(f"✓ {'approved' if verdict == 'approve' else 'rejected'} {len(ids)} actions shown")
        self.refresh()

    def _say(self, text: str) -> None:
        self.output.append_stdout(text + "\n")


def _present(values: Any) -> list[str]:
    return sorted(set(values))


def _kind_rank(kind: str) -> int:
    return KINDS.index(kind) if kind in KINDS else len(KINDS)
