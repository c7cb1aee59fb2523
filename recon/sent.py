"""Documents recon sent to Xero and someone then changed in Xero: "changed in Xero after recon sent it".

What recon sent is in the apply journal: every ``started`` row of a PO or bill write (the values it sent) whose
action is ``done`` (the Xero id it wrote to), the later writes over the earlier ones. Each run compares the
Xero snapshot with it and reports, per document and field, the value sent and the value found, with when Xero
last changed the document (``UpdatedDateUTC``) and who, from the document's history in Xero
(:func:`who_changed`: the user of the latest change after recon's write; read for at most
:data:`HISTORY_READS` documents a run, the others say "someone in Xero"):

* the contact (``supplier_xero_id``);
* the amount: each line's quantity and unit amount (Xero recomputes the totals from them), and the lines'
  description and count;
* the status, moved outside recon (to AUTHORISED or PAID, voided, deleted).

This is reported whether or not the one-way rule puts the document back: the rule's update, once applied, is
what recon sent last, and the report of that document ends.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

import pandas as pd

from recon import schema
from recon.reconcile import fields

DOCUMENTS = ("purchase_order", "bill")
WRITES = ("create", "update", "archive")
LINE_COLUMNS = ("description", "quantity", "unit_amount")
COLUMNS = ("object", "xero_id", "label", "field", "sent", "found", "sent_in_run", "sent_at", "changed_at", "changed_by",
           "reason")
WHAT = {"supplier_xero_id": "contact", "status": "status", "lines": "lines"}
NOBODY_KNOWN = "someone in Xero"
#: how many changes a run reads the history of (one call each; a change an earlier run read is not read again):
#: the rest say NOBODY_KNOWN until a later run reads them
HISTORY_READS = 10
#: Xero's user for a change made through its API, by an app
APP_USER = "System Generated"


def sent_documents(journal: pd.DataFrame) -> dict[tuple[str, str], dict[str, Any]]:
    """``(kind, Xero id) -> {"values", "run_id", "at"}`` of every PO and bill recon wrote into Xero, from the
    journal rows (:meth:`recon.store.Store.journal_rows`), oldest first."""
    started: dict[tuple[str, str], dict[str, Any]] = {}
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for row in journal.itertuples(index=False):
        kind, _, rest = str(row.action_id).partition("-")
        op = rest.partition("-")[0]
        if kind not in DOCUMENTS or op not in WRITES:
            continue
        key = (str(row.plan_fingerprint), str(row.action_id))
        if row.phase == "started":
            started[key] = dict(json.loads(row.detail).get("values") or {})
        elif row.phase == "done" and key in started and row.target_id:
            doc = out.setdefault((kind, str(row.target_id)), {"values": {}})
            doc["values"].update(started.pop(key))
            doc.update(run_id=str(row.run_id), at=str(row.at))
    return out


def as_xero_holds(kind: str, status: str) -> str:
    """The status Xero holds right after recon sent ``status`` (a Precoro bill paid or partly paid is sent
    AUTHORISED: Xero's payments are its own)."""
    from recon.connectors import mapping

    out, back = ((mapping.XERO_PO_STATUS_OUT, mapping.XERO_PO_STATUS) if kind == "purchase_order"
                 else (mapping.XERO_BILL_STATUS_OUT, mapping.XERO_BILL_STATUS))
    return back.get(out.get(status, ""), status)


def _lines(lines: pd.DataFrame | None, doc_ids: Any) -> dict[str, list[dict[str, str]]]:
    """The lines (``LINE_COLUMNS`` as canonical strings, by ``line_no``) of the documents ``doc_ids``, by doc id:
    one pass over the lines frame, however many documents."""
    if lines is None or lines.empty:
        return {}
    doc = pd.Series(fields.text(lines["doc_id"]), index=lines.index)
    mine = lines[doc.isin(pd.Index(list(doc_ids), dtype=object)).to_numpy()]
    if mine.empty:
        return {}
    mine = mine.assign(_n=mine["line_no"].astype("Int64").fillna(0), _d=doc[mine.index]).sort_values(
        ["_d", "_n"], kind="stable")
    texts = {c: fields.text(mine[c]) for c in LINE_COLUMNS}
    out: dict[str, list[dict[str, str]]] = {}
    for i, d in enumerate(mine["_d"].tolist()):
        out.setdefault(str(d), []).append({c: str(texts[c][i]) for c in LINE_COLUMNS})
    return out


def _agreed(baselines: Mapping[str, pd.DataFrame], kind: str,
            sent_ids: set[str]) -> tuple[dict[str, dict[str, str]], dict[str, list[dict[str, str]]]]:
    """The baseline of each document (the fields it knows) and its lines: what Xero held after recon's last
    write, whatever fields that write carried, as long as nobody changed it since."""
    head: dict[str, dict[str, str]] = {}
    frame = baselines.get(kind)
    if frame is not None and len(frame):
        known = frame[schema.BASELINE_FIELDS].astype("string").fillna("").str.split()
        texts = {c: fields.text(frame[c]) for c in ("supplier_xero_id", "status")}
        for i, (xid, names) in enumerate(zip(fields.text(frame["xero_id"]), known)):
            head[str(xid)] = {c: str(texts[c][i]) for c in texts if c in names and str(texts[c][i])}
    return head, _lines(baselines.get(schema.LINE_FRAMES[kind]), sent_ids)


def or_empty(found: pd.DataFrame | None) -> pd.DataFrame:
    """``found`` (a ``changed_in_xero.csv`` read back), or the frame of no rows when the run has none: the report
    and the reconcile notebook's view show the same headings either way."""
    return found if found is not None else pd.DataFrame(columns=list(COLUMNS))


def changed_in_xero(snapshot: Any, sent: Mapping[tuple[str, str], Mapping[str, Any]],
                    baselines: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """One row per field of a document recon sent that Xero now holds otherwise (:data:`COLUMNS`). ``baselines``
    (the state's, :meth:`recon.store.Store.baselines`) fill in what Xero held after an update that sent only some
    fields (the contact of a bill whose lines recon put back)."""
    from recon.apply import changes  # the same exact comparison apply's stale check makes

    rows = []
    for kind in DOCUMENTS:
        frame = snapshot.frame("xero", kind)
        if frame is None or frame.empty:
            continue
        sent_ids = {xid for k, xid in sent if k == kind}
        agreed_head, agreed_lines = _agreed(baselines or {}, kind, sent_ids)
        lines = _lines(snapshot.frame("xero", schema.LINE_FRAMES[kind]), sent_ids)
        ids = fields.text(frame["id"]).tolist()
        header = {c: fields.text(frame[c]) for c in ("supplier_xero_id", "status", "number", "updated_at")}
        for i, xid in enumerate(ids):
            doc = sent.get((kind, xid))
            if doc is None:
                continue
            values = {**agreed_head.get(xid, {}), **doc["values"]}
            if xid in agreed_lines and agreed_lines[xid]:
                values["lines"] = agreed_lines[xid]
            expected: dict[str, Any] = {k: values[k] for k in ("supplier_xero_id",) if values.get(k)}
            if values.get("status"):
                expected["status"] = as_xero_holds(kind, str(values["status"]))
            if isinstance(values.get("lines"), list):
                expected["lines"] = [{c: line[c] for c in LINE_COLUMNS if c in line} for line in values["lines"]]
            current: dict[str, Any] = {k: str(header[k][i]) for k in ("supplier_xero_id", "status")}
            current["lines"] = lines.get(xid, [])
            for name, was, now in changes(current, expected):
                what = "amount" if name.endswith((".quantity", ".unit_amount")) else WHAT.get(name.split("[")[0], name)
                rows.append({"object": kind, "xero_id": xid, "label": str(header["number"][i]), "field": name,
                             "sent": str(was), "found": str(now), "sent_in_run": doc.get("run_id", ""),
                             "sent_at": doc.get("at", ""), "changed_at": str(header["updated_at"][i]),
                             "changed_by": NOBODY_KNOWN,
                             "reason": f"changed in Xero after recon sent it: the {what}"})
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype(object)


def who_changed(history: list[Mapping[str, str]], sent_at: str) -> str:
    """Who changed a document after recon sent it, from its history (newest first): the latest change made
    after ``sent_at``, in Xero's words (an app through Xero's API is ``System Generated``)."""
    after = [h for h in history if str(h.get("at") or "")[:19] > str(sent_at or "")[:19].replace("Z", "")]
    if not after:
        return NOBODY_KNOWN
    h = after[0]
    who = "an app through Xero's API" if h.get("user") == APP_USER else str(h.get("user") or NOBODY_KNOWN)
    return f"{who} ({h.get('changes', '')}, {str(h.get('at') or '')[:19]}Z)"
