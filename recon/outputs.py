"""The reconcile files of a run folder: ``differences.csv``, ``plan.json``, ``summary.json`` and
``rounding.csv``, byte-identical for the same input.

Kept outside :mod:`recon.reconcile` so that the reconcile core stays free of I/O (DataFrames and dataclasses
in and out). The files are written by the run folder (:meth:`recon.run_folder.RunFolder.write_reconciliation`);
this name stays for callers that only have a folder path.
"""

from __future__ import annotations

from pathlib import Path

from recon.reconcile.model import Reconciliation
from recon.run_folder import RECONCILE_FILES as FILES
from recon.run_folder import RunFolder

__all__ = ["FILES", "write_outputs"]


def write_outputs(rec: Reconciliation, folder: Path | str) -> list[Path]:
    """Write the run files into ``folder`` (created if needed); return their paths."""
    return RunFolder(folder).write_reconciliation(rec)
