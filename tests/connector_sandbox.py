"""Shared fixture for the connector tests: both emulators on loopback with the demo seed and raised limits."""

from __future__ import annotations

import pytest

from recon.sandbox import Sandbox

HIGH = {"minute": 1_000_000, "hour": 1_000_000, "day": 1_000_000}


@pytest.fixture(scope="module")
def sandbox():
    """Both emulators (demo seed), limits far above what a test uses; tests reset it as they need."""
    with Sandbox(seed="demo", xero_limits={"minute": 1_000_000, "day": 1_000_000}, precoro_limits=HIGH) as sb:
        yield sb
