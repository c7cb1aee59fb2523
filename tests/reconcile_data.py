"""Small inline frames for the reconcile tests: records as dicts, conformed to the canonical schema."""

from __future__ import annotations

from typing import Any, Mapping

from recon import schema
from recon.snapshot import Snapshot

META = {"precoro": {"precision": {"price": 2, "quantity": 2, "total": 2}},
        "xero": {"name": "Demo Org", "base_currency": "EUR", "unitdp": 2, "rounding_account_code": "860"}}


def supplier(id: str, xero_id: str | None = None, **kw: Any) -> dict[str, Any]:
    base = {"id": id, "xero_id": xero_id, "name": "Acme Ltd", "email": "ap@acme.test", "tax_number": "GB1",
            "currency": "EUR", "active": True}
    return {**base, **kw}


def snap(precoro: Mapping[str, list[dict]] | None = None, xero: Mapping[str, list[dict]] | None = None,
         meta: Mapping[str, Any] | None = None) -> Snapshot:
    """A snapshot from records per frame (frames not given are absent: the snapshot reads them as empty)."""
    frames = {}
    for system, data in (("precoro", precoro or {}), ("xero", xero or {})):
        for frame, records in data.items():
            frames[(system, frame)] = schema.conform(list(records) or schema.empty(frame), frame, system=system)
    return Snapshot(frames=frames, meta=dict(META if meta is None else meta))


def baseline(frame: str, records: list[dict]) -> Any:
    return schema.conform(records, frame)


def doc(id: str, xero_id: str | None, **kw: Any) -> dict[str, Any]:
    """A PO or bill header (Precoro ids are IDNs; Xero ids GUID-like)."""
    base = {"id": id, "xero_id": xero_id, "number": "PO-0001", "supplier_id": "S1", "supplier_xero_id": "XS1",
            "date": "2026-11-02", "currency": "EUR", "status": "approved", "line_amount_types": "Exclusive",
            "subtotal": "100.00", "total_tax": "20.00", "total": "120.00", "active": True}
    return {**base, **kw}


def line(doc_id: str, n: int, **kw: Any) -> dict[str, Any]:
    base = {"doc_id": doc_id, "line_no": n, "line_id": f"{doc_id}-{n}", "item_code": "BOLT", "description": "Bolt",
            "quantity": "10", "unit_amount": "10.00", "account_code": "300", "tax_type": "INPUT2", "tax_rate": "20",
            "tax_amount": "20.00", "line_amount": "100.00"}
    return {**base, **kw}
