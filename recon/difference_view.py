"""The difference view, the same in the notebook, the web app and the audit report: one row per record and
field with Precoro, Xero and the last agreed value side by side, the side that changed marked, a column in
plain words, amounts with their currency, and an action's fields before → after (document lines as a nested
table). Pure: frames in, frames and escaped HTML out.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import pandas as pd

from recon import report_words as rw
from recon.report_html import Html, esc, table, text

#: the columns of :func:`difference_frame`, in the order shown, with their headings
COLUMNS = {"object": "Object", "record": "Record", "field": "Field", "precoro": "Precoro", "xero": "Xero",
           "agreed": "Last agreed", "what": "What happened", "direction": "Flows", "action": "Action"}
#: kept beside the shown columns for filters and highlighting
HIDDEN = ("kind", "changed", "money", "precoro_id", "xero_id", "object_code", "direction_code")


def difference_frame(differences: pd.DataFrame, currency: str = "") -> pd.DataFrame:
    """``differences.csv`` as the accountant reads it (``currency``: shown with amounts)."""
    rows = []
    for r in differences.fillna("").astype(str).to_dict("records"):
        money = rw.is_money_field(r["field"]) or (r["kind"] == "rounding")
        show = (lambda v: rw.amount(v, currency)) if money else (lambda v: v)
        rows.append({
            "object": rw.lookup(rw.OBJECT, r["object"]), "record": r["label"] or r["precoro_id"] or r["xero_id"],
            "field": rw.field_words(r["field"]) or "(record)",
            "precoro": show(r["precoro_value"]), "xero": show(r["xero_value"]), "agreed": show(r["baseline_value"]),
            "what": rw.difference_words(r["object"], r["kind"], r["direction"], r["field"], r["precoro_value"],
                                        r["xero_value"], r["baseline_value"]),
            "direction": rw.lookup(rw.DIRECTION, r["direction"]),
            "action": rw.operation_words(r["action"], r["object"], r["direction"].removeprefix("to_")),
            "kind": r["kind"], "changed": rw.changed_side(r["kind"], r["precoro_value"], r["xero_value"],
                                                           r["baseline_value"]),
            "money": money, "precoro_id": r["precoro_id"], "xero_id": r["xero_id"], "object_code": r["object"],
            "direction_code": r["direction"]})
    return pd.DataFrame(rows, columns=[*COLUMNS, *HIDDEN])


def _cell_class(row: Mapping[str, Any], column: str) -> str:
    classes = []
    if column in ("precoro", "xero") and row["changed"] in (column, "both"):
        classes.append("changed")
    if column in ("precoro", "xero", "agreed") and row["money"]:
        classes.append("num")
    return " ".join(classes)


def differences_table(frame: pd.DataFrame, tid: str = "t-differences", empty: str = "No objects needed to be updated.") -> str:
    """The difference view as one sortable, filterable HTML table."""
    return table(frame, tid, columns=list(COLUMNS), headers=COLUMNS, empty=empty, nowrap=("direction", "action"),
                 row_class=lambda r: f"k-{str(r['kind']).replace('_', '-')}", cell_class=_cell_class)


# -- an action's fields ---------------------------------------------------------------------------------------
def _value(value: Any) -> str:
    if value is None or value == "":
        return '<span class="note">empty</span>'
    return esc(value)


def _same(a: Any, b: Any) -> bool:
    return text(a) == text(b)


def _lines_table(before: Any, after: Any, op: str) -> str:
    """Document lines as a nested table: one row per line, each changed cell as before → after. An update
    shows only the columns it writes that changed on some line; a create every column it writes but ids."""
    old = [line for line in before if isinstance(line, Mapping)] if isinstance(before, list) else []
    new = [line for line in after if isinstance(line, Mapping)] if isinstance(after, list) else []
    written = [n for n in dict.fromkeys(k for line in new for k in line) if n not in ("line_no", "line_id", "doc_id")]
    if op == "create" or not old:
        names = [n for n in written if not n.endswith("_id")]
    else:
        names = [n for n in written if any(n in w and not _same(o.get(n), w.get(n)) for o, w in zip(old, new))]
        names = names or [n for n in written if n in ("description", "item_code")]
    body = []
    for n in range(max(len(old), len(new))):
        o = old[n] if n < len(old) else {}
        w = new[n] if n < len(new) else {}
        cells = []
        for name in names:
            a, b = o.get(name), w.get(name)
            if o and w and not _same(a, b):
                cells.append(f'<td class="changed"><del>{_value(a)}</del> <span class="arrow">→</span> {_value(b)}</td>')
            else:
                cells.append(f"<td>{esc(b if w else a)}</td>")
        mark = "" if o and w else (" (new)" if w else " (removed)")
        body.append(f"<tr><th scope=\"row\">{n + 1}{mark}</th>{''.join(cells)}</tr>")
    head = "".join(f"<th scope=\"col\">{esc(rw.words(name))}</th>" for name in names)
    return f'<table class="nested"><thead><tr><th>line</th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def changes_html(changes: Iterable[tuple[str, Any, Any]], op: str = "update") -> Html:
    """An action's fields as a nested table, each field ``before → after`` (a create shows only the new value)."""
    changes = list(changes)
    if op == "create":  # a new record: its values as a compact list of field and value, lines below
        pairs = "".join(f'<span><b>{esc(rw.field_words(n))}</b> {_value(a)}</span>' for n, _, a in changes
                        if not isinstance(a, list))
        lines = "".join(_lines_table(b, a, op) for n, b, a in changes if isinstance(a, list))
        return Html(f'<div class="kv">{pairs}</div>{lines}')
    rows = []
    for name, before, after in changes:
        if isinstance(before, list) or isinstance(after, list):
            rows.append(f'<tr><th scope="row">{esc(rw.field_words(name))}</th><td>{_lines_table(before, after, op)}</td></tr>')
        elif op == "create" or before in (None, ""):
            rows.append(f'<tr><th scope="row">{esc(rw.field_words(name))}</th><td>{_value(after)}</td></tr>')
        else:
            rows.append(f'<tr><th scope="row">{esc(rw.field_words(name))}</th><td class="changed"><del>{_value(before)}'
                        f'</del> <span class="arrow">→</span> {_value(after)}</td></tr>')
    if not rows:
        return Html('<span class="note">no field changes</span>')
    return Html(f'<table class="nested"><tbody>{"".join(rows)}</tbody></table>')
