"""The real services' published rate limits, in one place.

recon's pacer keeps inside them (``recon/connectors/pacing.py``) and the sandbox enforces them by default
(``recon/sandbox/``). Each table maps a window name to ``(calls, seconds)``.

* Xero: 60 calls a minute and a day limit per organisation (tenant) that follows the app's pricing tier
  since 2 March 2026: 1,000 on the free Starter tier, 5,000 on Core, Plus and Advanced (the default); at most
  5 calls in flight; and 10,000 calls a minute for the whole app, across all its organisations.
* Precoro: 300 calls a minute, 1500 an hour, 3000 a day per token.
"""

from __future__ import annotations

#: seconds of each named window
WINDOW_SECONDS: dict[str, float] = {"minute": 60.0, "hour": 3600.0, "day": 86400.0}

#: Xero's day limit per organisation, by pricing tier (``RECON_XERO_TIER``).
XERO_DAY_LIMIT_BY_TIER: dict[str, int] = {"starter": 1000, "core": 5000, "plus": 5000, "advanced": 5000}
XERO_DEFAULT_TIER = "core"

XERO_LIMITS: dict[str, tuple[int, float]] = {"minute": (60, WINDOW_SECONDS["minute"]),
                                             "day": (XERO_DAY_LIMIT_BY_TIER[XERO_DEFAULT_TIER],
                                                     WINDOW_SECONDS["day"])}
#: the app-wide budget, shared by every organisation the app is connected to
XERO_APP_LIMITS: dict[str, tuple[int, float]] = {"minute": (10_000, WINDOW_SECONDS["minute"])}
PRECORO_LIMITS: dict[str, tuple[int, float]] = {"minute": (300, WINDOW_SECONDS["minute"]),
                                                "hour": (1500, WINDOW_SECONDS["hour"]),
                                                "day": (3000, WINDOW_SECONDS["day"])}
XERO_CONCURRENCY = 5
PRECORO_CONCURRENCY = 5
#: recon counts each call as inside a window this many seconds longer than the service does: a call reaches the
#: service a little after recon counted it, and the service's clock may be a little behind; without it, a call
#: counted just as recon's window rolled could meet a window that has not rolled yet on the service
WINDOW_MARGIN = 1.0


def xero_day_limit(tier: str) -> int:
    """Xero's calls a day per organisation on ``tier`` (``starter``, ``core``, ``plus``, ``advanced``)."""
    try:
        return XERO_DAY_LIMIT_BY_TIER[tier]
    except KeyError:
        raise ValueError(f"unknown Xero tier {tier!r}; known: {', '.join(XERO_DAY_LIMIT_BY_TIER)}") from None


def xero_limits(tier: str = XERO_DEFAULT_TIER) -> dict[str, tuple[int, float]]:
    """The per-organisation windows of an app on ``tier``."""
    return {**XERO_LIMITS, "day": (xero_day_limit(tier), WINDOW_SECONDS["day"])}


def calls(limits: dict[str, tuple[int, float]]) -> dict[str, int]:
    """``{"minute": 60, ...}``: the calls allowed per window, the shape ``/_sandbox/faults`` takes."""
    return {name: count for name, (count, _) in limits.items()}
