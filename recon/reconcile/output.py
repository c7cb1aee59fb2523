"""The summary of a reconciliation as plain JSON data (written to ``summary.json`` by :mod:`recon.outputs`,
which does the file writing so that this package does none)."""

from __future__ import annotations

from typing import Any

from recon.reconcile.model import Reconciliation


def summary(rec: Reconciliation) -> dict[str, Any]:
    """The summary as plain JSON: the message, counts per kind, the settings check and rounding classes."""
    kinds = {str(row["object"]): {k: int(v) for k, v in row.items() if k != "object"}
             for row in rec.summary.to_dict("records")}
    classes = rec.rounding["classification"].value_counts().sort_index() if len(rec.rounding) else {}
    return {"run_id": rec.plan.run_id, "message": rec.message, "fingerprint": rec.plan.fingerprint,
            "kinds": kinds, "actions": len(rec.plan.actions), "differences": int(len(rec.differences)),
            "settings_check": dict(rec.settings_check), "rounding": {str(k): int(v) for k, v in dict(classes).items()}}
