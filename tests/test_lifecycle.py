"""Correct over many runs (issue 10): seeded random nights of changes in both systems, each synced with the
``recon`` command line, after which nothing is left to do, nothing is duplicated and no edit is lost.

The short seeded run is part of every ``make test``; the long runs (more cycles, and with faults injected)
are ``slow``. ``RECON_LIFECYCLE_SEED`` replays the seed a failure names; ``RECON_LIFECYCLE_CYCLES`` runs longer.
"""

from __future__ import annotations

import os

import pytest

from lifecycle import CHANGES, run_lifecycle

SEED = int(os.environ.get("RECON_LIFECYCLE_SEED", "20261120"))
CYCLES = int(os.environ.get("RECON_LIFECYCLE_CYCLES", "0"))


# twenty nights are about 40 recon processes against the emulators: more than the suite's 300 s default
@pytest.mark.timeout(1200)
def test_twenty_nights_converge_and_lose_nothing(tmp_path):
    run_lifecycle(tmp_path, SEED, CYCLES or 20)


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("seed", [SEED + 1, SEED + 2])
def test_many_nights_converge_and_lose_nothing(tmp_path, seed):
    run_lifecycle(tmp_path, seed, CYCLES or 30, n_changes=6)


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_nights_with_faults_injected_converge_and_lose_nothing(tmp_path):
    world = run_lifecycle(tmp_path, SEED + 3, CYCLES or 15, faults=True)
    assert world.injected > 20  # the faults did happen


def test_every_kind_of_change_is_in_the_menu():
    made_by = {name.split("_", 1)[0] for name in CHANGES}
    assert made_by == {"xero", "precoro", "both"}
    assert len(CHANGES) >= 25
