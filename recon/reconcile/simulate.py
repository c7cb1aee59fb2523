"""``apply_to_frames``: carry a plan out on the frames of a snapshot, as the two systems would.

Pure and in memory: it is what the property tests use to check that a plan converges (apply it, reconcile
again, nothing left to do), and what a what-if view can show. Xero's side recomputes document lines and
totals with Xero's arithmetic (``money``), as the real API does on create and update. New records get the id
``sim-<action id>``; Precoro records created from Xero, and documents sent to Xero, store the link
(``xero_id``) as the real integration does.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any, Mapping

import numpy as np
import pandas as pd

from recon import money, schema
from recon.errors import PlanError
from recon.reconcile.model import Action, Plan
from recon.snapshot import Snapshot

_COLTYPES = {f: {c.name: c.type for c in cols} for f, cols in schema.FRAMES.items()}


def _parse(frame: str, name: str, value: str) -> Any:
    kind = _COLTYPES[frame][name]
    if value == "" and kind != "bool":
        return None
    if kind in schema.DECIMAL_TYPES:
        return schema.to_decimal(value)
    if kind == "date":
        return schema.to_date(value)
    if kind == "bool":
        return None if value == "" else value == "true"
    if kind == "int":
        return int(value)
    return value


def _row(frame: str, values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _parse(frame, k, str(v)) for k, v in values.items() if k in _COLTYPES[frame]}


class _Frames:
    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.frames = {k: v.copy() for k, v in snap.frames.items()}

    def get(self, system: str, frame: str) -> pd.DataFrame:
        return self.frames.get((system, frame), schema.empty(frame))

    def put(self, system: str, frame: str, df: pd.DataFrame) -> None:
        self.frames[(system, frame)] = schema.conform(df.reset_index(drop=True), frame, system=system)

    def append(self, system: str, frame: str, rows: list[dict[str, Any]]) -> None:
        new = schema.conform(pd.DataFrame(rows, columns=schema.columns(frame)), frame, system=system)
        self.put(system, frame, pd.concat([self.get(system, frame), new], ignore_index=True))

    def mask(self, system: str, frame: str, rid: str) -> np.ndarray:
        ids = self.get(system, frame)["id"].astype("string").fillna("").to_numpy(dtype=object)
        hit = ids == rid
        if not hit.any():
            raise PlanError(f"{system}/{frame}: record {rid!r} named by the plan does not exist")
        return hit

    def set(self, system: str, frame: str, rid: str, values: Mapping[str, Any]) -> None:
        df = self.get(system, frame).astype(object)
        hit = self.mask(system, frame, rid)
        for name, value in values.items():
            for i in np.flatnonzero(hit):
                df.iat[i, df.columns.get_loc(name)] = value
        self.put(system, frame, df)


def apply_to_frames(snapshot: Snapshot, plan: Plan) -> Snapshot:
    """A new snapshot with every action of ``plan`` carried out (the input is not changed)."""
    f = _Frames(snapshot)
    unitdp = int(((snapshot.meta or {}).get("xero") or {}).get("unitdp", 2) or 2)
    for action in plan.actions:
        _apply(f, action, unitdp)
    _refresh_supplier_refs(f)
    return Snapshot(frames=f.frames, raw=copy.deepcopy(snapshot.raw), meta=copy.deepcopy(snapshot.meta))


def _apply(f: _Frames, a: Action, unitdp: int) -> None:
    kind, keys = a.kind, dict(a.keys)
    lines_frame = schema.LINE_FRAMES.get(kind)
    if a.op == "link":
        f.set("precoro", kind, keys["precoro_id"], {"xero_id": keys["xero_id"]})
    elif a.op == "create":
        new_id = f"sim-{a.id}"
        row = _row(kind, {k: v for k, v in a.new.items() if k != "lines"})
        row["id"] = new_id
        if a.target == "xero":
            row["xero_id"] = new_id
            if lines_frame:
                row["supplier_xero_id"] = row.get("supplier_xero_id") or _supplier_xero_id(f, a.new.get("supplier_id", ""))
                row["supplier_id"] = row["supplier_xero_id"]
            f.append("xero", kind, [row])
            f.set("precoro", kind, keys["precoro_id"], {"xero_id": new_id})
        else:
            f.append("precoro", kind, [row])
        if lines_frame:
            _write_lines(f, a.target, kind, lines_frame, new_id, a.new.get("lines", []), unitdp)
    elif a.op == "update":
        rid = keys["xero_id"] if a.target == "xero" else keys["precoro_id"]
        f.set(a.target, kind, rid, _row(kind, {k: v for k, v in a.new.items() if k != "lines"}))
        if lines_frame and "lines" in a.new:
            _write_lines(f, a.target, kind, lines_frame, rid, a.new["lines"], unitdp)
    elif a.op == "archive":
        rid = keys["xero_id"] if a.target == "xero" else keys["precoro_id"]
        values = {"active": False}
        if "status" in a.new:
            values["status"] = a.new["status"]
        f.set(a.target, kind, rid, values)
    else:
        raise PlanError(f"action {a.id}: unknown operation {a.op!r}")


def _supplier_xero_id(f: _Frames, supplier_id: str) -> str:
    sup = f.get("precoro", "supplier")
    hit = sup[sup["id"].astype("string").fillna("") == supplier_id]
    return "" if hit.empty or pd.isna(hit["xero_id"].iloc[0]) else str(hit["xero_id"].iloc[0])


def _write_lines(f: _Frames, system: str, kind: str, frame: str, doc_id: str, lines: list[Mapping[str, str]],
                 unitdp: int) -> None:
    """Replace the document's lines; on Xero recompute line amounts, tax and the header totals."""
    old = f.get(system, frame)
    keep = old[old["doc_id"].astype("string").fillna("") != doc_id]
    rows = [{**_row(frame, line), "doc_id": doc_id, "line_id": f"{doc_id}-{line.get('line_no', '')}"} for line in lines]
    new = schema.conform(pd.DataFrame(rows, columns=schema.columns(frame)), frame, system=system)
    if system == "xero":
        header = f.get("xero", kind)
        lat = header.loc[header["id"].astype("string") == doc_id, "line_amount_types"]
        lat_value = "Exclusive" if lat.empty or pd.isna(lat.iloc[0]) or not lat.iloc[0] else str(lat.iloc[0])
        new["unit_amount"] = money.round_column(new["unit_amount"], 4 if unitdp == 4 else 2)
        amount, tax = money.xero_line_columns(new["quantity"], new["unit_amount"], new["tax_rate"],
                                              np.full(len(new), lat_value, dtype=object), unitdp)
        money_type = schema.ARROW_TYPES["money"]
        new["line_amount"] = pd.Series(money.from_unscaled(amount, money_type, 2), dtype=pd.ArrowDtype(money_type))
        new["tax_amount"] = pd.Series(money.from_unscaled(tax, money_type, 2), dtype=pd.ArrowDtype(money_type))
        total_amount = Decimal(int(amount.sum())).scaleb(-2)
        total_tax = Decimal(int(tax.sum())).scaleb(-2)
        if lat_value == "Inclusive":
            totals = {"subtotal": total_amount - total_tax, "total_tax": total_tax, "total": total_amount}
        else:
            totals = {"subtotal": total_amount, "total_tax": total_tax, "total": total_amount + total_tax}
        f.set("xero", kind, doc_id, totals)
    f.put(system, frame, pd.concat([keep, new], ignore_index=True))


def _refresh_supplier_refs(f: _Frames) -> None:
    """Precoro documents read their supplier's Xero id from the supplier, as the connector does."""
    sup = f.get("precoro", "supplier")
    lookup = pd.Series(sup["xero_id"].astype("string").to_numpy(), index=sup["id"].astype("string").to_numpy())
    lookup = lookup[~lookup.index.duplicated()]
    for kind in schema.LINE_FRAMES:
        docs = f.get("precoro", kind)
        if docs.empty:
            continue
        found = docs["supplier_id"].astype("string").map(lookup)
        missing = docs["supplier_xero_id"].isna() | (docs["supplier_xero_id"] == "")
        docs = docs.copy()
        docs.loc[missing.fillna(True).to_numpy(dtype=bool), "supplier_xero_id"] = found[missing.fillna(True).to_numpy(dtype=bool)]
        f.put("precoro", kind, docs)
