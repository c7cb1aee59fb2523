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
    """A snapshot from records per frame (every frame of both systems present, empty when not given)."""
    frames = {}
    for system, data in (("precoro", precoro or {}), ("xero", xero or {})):
        for frame in schema.FRAME_NAMES:
            frames[(system, frame)] = schema.conform(list(data.get(frame, [])) or schema.empty(frame), frame,
                                                     system=system)
    return Snapshot(frames=frames, meta=dict(META if meta is None else meta))


def baseline(frame: str, records: list[dict]) -> Any:
    return schema.conform(records, frame)
