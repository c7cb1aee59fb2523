"""The run files of ``recon reconcile``: ``differences.csv``, ``plan.json``, ``summary.json`` (and
``rounding.csv``), byte-identical for the same input."""

from __future__ import annotations

import json
from pathlib import Path
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


def write_outputs(rec: Reconciliation, folder: Path | str) -> list[Path]:
    """Write the run files into ``folder`` (created if needed); return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / n for n in ("differences.csv", "plan.json", "summary.json", "rounding.csv")]
    rec.differences.to_csv(paths[0], index=False, lineterminator="\n")
    paths[1].write_text(rec.plan.to_json(), encoding="utf-8")
    paths[2].write_text(json.dumps(summary(rec), indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    rec.rounding.to_csv(paths[3], index=False, lineterminator="\n")
    return paths
