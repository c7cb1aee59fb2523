"""The reconcile files of a run folder: ``differences.csv``, ``plan.json``, ``summary.json`` and
``rounding.csv``, byte-identical for the same input.

Kept outside :mod:`recon.reconcile` so that the reconcile core stays free of I/O (DataFrames and dataclasses
in and out); the workbench, ``recon reconcile`` and the tests write through here.
"""

from __future__ import annotations

import json
from pathlib import Path

from recon.reconcile.model import Reconciliation
from recon.reconcile.output import summary

FILES = ("differences.csv", "plan.json", "summary.json", "rounding.csv")


def write_outputs(rec: Reconciliation, folder: Path | str) -> list[Path]:
    """Write the run files into ``folder`` (created if needed); return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / n for n in FILES]
    rec.differences.to_csv(paths[0], index=False, lineterminator="\n")
    paths[1].write_text(rec.plan.to_json(), encoding="utf-8")
    paths[2].write_text(json.dumps(summary(rec), indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    rec.rounding.to_csv(paths[3], index=False, lineterminator="\n")
    return paths
