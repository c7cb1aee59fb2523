"""Records the target can only cancel and create again, never edit (the rule's ``replaced_on``).

Precoro has no ``PUT`` for payments: a payment is created (``POST /payments``) and cancelled (``PATCH
/payments/{idn}`` with ``status=canceled``), nothing else (reference/precoro-api.md sections 7, 9 and 18.6; an
imported payment "can be cancelled manually in Precoro"). So a linked payment whose date or amount differs from
Xero's, or that was cancelled in Precoro while Xero still holds it, is not edited: the plan keeps one ``update``
per payment (one decision for the accountant, and a revert is again an update), and the apply carries it out
by cancelling the Precoro payment and recording Xero's anew (``recon.apply_payments``). The reasons say so in
the accountant's words, since "update" alone would promise what Precoro cannot do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recon.rules import Rule

_NAMES = {"precoro": "Precoro", "xero": "Xero"}


def edited_reason(target: str) -> str:
    """What a field difference of a replaced record adds to its reason."""
    return (f"{_NAMES[target]} cannot edit a payment: recon cancels this one in {_NAMES[target]} and records "
            "Xero's payment there anew")


def restored_reason(target: str) -> str:
    """The reason of a replaced record cancelled in ``target`` while the source still holds it."""
    return (f"cancelled in {_NAMES[target]} while the payment stands in Xero; a cancelled payment cannot be "
            f"restored: recon records Xero's payment in {_NAMES[target]} anew")


def removed_reason(target: str) -> str:
    """The reason of a linked record the source removed (deleted or voided in Xero), which the rule's
    ``archive_on`` cancels in ``target``."""
    return (f"deleted or voided in Xero: recon cancels the payment in {_NAMES[target]} too, so both books "
            "show it unpaid")


def explained(rule: Rule, diffs: pd.DataFrame) -> pd.DataFrame:
    """``diffs`` (field differences of linked pairs) with the reasons of the replacements their updates become."""
    if not rule.replaced_on or diffs.empty:
        return diffs
    direction = diffs["direction"].to_numpy(dtype=object)
    name = diffs["field"].to_numpy(dtype=object)
    reason = diffs["reason"].to_numpy(dtype=object).copy()
    changed = False
    for target in rule.replaced_on:
        toward = direction == f"to_{target}"
        source = diffs["xero_value" if target == "precoro" else "precoro_value"].to_numpy(dtype=object)
        restore = toward & (name == "active") & (source == "true")
        removed = toward & (name == "active") & (source == "false") if target in rule.archive_on else None
        edit = toward & (name != "active")
        if restore.any():
            reason[restore] = restored_reason(target)
        if removed is not None and removed.any():
            reason[removed] = removed_reason(target)
            changed = True
        if edit.any():
            note = edited_reason(target)
            reason[edit] = np.array([f"{r}; {note}" for r in reason[edit].tolist()], dtype=object)
        changed |= bool(restore.any() or edit.any())
    return diffs.assign(reason=reason) if changed else diffs
