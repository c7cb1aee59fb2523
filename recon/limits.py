"""The real services' published rate limits, in one place.

recon's pacer keeps inside them (``recon/connectors/pacing.py``) and the sandbox enforces them by default
(``recon/sandbox/``). Each table maps a window name to ``(calls, seconds)``.

* Xero: 60 calls a minute and 5000 a day per tenant (and at most 5 in flight).
* Precoro: 300 calls a minute, 1500 an hour, 3000 a day per token.
"""

from __future__ import annotations

#: seconds of each named window
WINDOW_SECONDS: dict[str, float] = {"minute": 60.0, "hour": 3600.0, "day": 86400.0}

XERO_LIMITS: dict[str, tuple[int, float]] = {"minute": (60, WINDOW_SECONDS["minute"]),
                                             "day": (5000, WINDOW_SECONDS["day"])}
PRECORO_LIMITS: dict[str, tuple[int, float]] = {"minute": (300, WINDOW_SECONDS["minute"]),
                                                "hour": (1500, WINDOW_SECONDS["hour"]),
                                                "day": (3000, WINDOW_SECONDS["day"])}
XERO_CONCURRENCY = 5
PRECORO_CONCURRENCY = 5


def calls(limits: dict[str, tuple[int, float]]) -> dict[str, int]:
    """``{"minute": 60, ...}``: the calls allowed per window, the shape ``/_sandbox/faults`` takes."""
    return {name: count for name, (count, _) in limits.items()}
