"""Reconcile: link, three-way diff, rounding analysis and the plan (pure, vectorised; no I/O, no clock).

``reconcile(snapshot, kinds, links, baselines, run_id)`` is the entry point; ``apply_to_frames`` simulates a
plan on a snapshot (tests and what-if views). The run files are written by :func:`recon.outputs.write_outputs`.
"""

from recon.reconcile.core import reconcile
from recon.reconcile.model import DIFF_COLUMNS, NO_CHANGES, Action, Plan, Reconciliation
from recon.reconcile.simulate import apply_to_frames

__all__ = ["reconcile", "apply_to_frames", "Reconciliation", "Plan", "Action",
           "DIFF_COLUMNS", "NO_CHANGES"]
