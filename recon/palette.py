"""The colours of every recon view (the notebook's difference view and approval grid, the web app and the
audit report), in one place so that a conflict is the same orange wherever an accountant meets it.

Each colour is chosen to keep dark text readable on it (WCAG AA contrast against ``INK``); the series colours
of charts are the Okabe-Ito set, which stays distinguishable for colour-blind readers.
"""

from __future__ import annotations

INK = "#1d2430"
MUTED = "#5a6473"
RULE = "#d8dee8"
FOCUS = "#1a56db"  # the keyboard focus ring: visible on every background below
CHANGED = "#fff3b0"  # the cell holding the side that changed
OK = "#17663a"
BAD = "#a3161b"

#: row backgrounds per difference kind (``differences.csv`` ``kind``)
KIND = {"conflict": "#ffe8c2", "blocked_edit": "#fde7e7", "mismatch": "#fffbe6", "rounding": "#eef5ff",
        "only_in_precoro": "#eefaf1", "only_in_xero": "#eefaf1", "match_candidate": "#f3f0f7"}

#: row backgrounds per decision or apply status
STATUS = {"pending": "#ffffff", "approve": "#e9f7ef", "reject": "#f3f0f7", "applied": "#e9f7ef",
          "failed": "#fde7e7", "refused": "#fde7e7", "skipped": "#f4f5f7", "dry_run": "#eef5ff",
          "not applied": "#f4f5f7"}

#: chart series (Okabe-Ito)
SERIES = ("#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442")


def css_rules(scope: str = ".recon-report") -> str:
    """The palette as CSS classes (``k-<kind>``, ``s-<status>``, ``changed``, focus), scoped to ``scope``."""
    rows = [f"{scope} tr.k-{k.replace('_', '-')} td{{background:{c}}}" for k, c in KIND.items()]
    rows += [f"{scope} tr.s-{s.replace(' ', '-').replace('_', '-')} td{{background:{c}}}" for s, c in STATUS.items()]
    rows += [f"{scope} td.changed{{background:{CHANGED};font-weight:600}}",
             f"{scope} :focus-visible{{outline:3px solid {FOCUS};outline-offset:2px}}",
             f"{scope} .ok{{color:{OK};font-weight:600}}{scope} .bad{{color:{BAD};font-weight:600}}"]
    return "\n".join(rows)
