"""The demo company fetched over loopback reads exactly as the demo data defines it, and reconcile over the
fetched snapshot finds exactly the planted cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from recon import schema
from recon.config import load_settings
from recon.connectors.pacing import reset_pacers
from recon.fetch import fetch
from recon.sandbox import demo
from recon.snapshot import Snapshot

from connector_sandbox import sandbox  # noqa: F401  (fixture)
from test_demo_data import precoro_frames, xero_frames  # the demo's own, independent reading of its seeds


@pytest.fixture(scope="module")
def fetched(sandbox, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    sandbox.reset("demo")
    reset_pacers()
    settings = load_settings(env={"RECON_TOKEN_FILE": str(tmp_path_factory.mktemp("t") / "t.json")}).with_sandbox_urls(
        sandbox.xero_url, sandbox.precoro_url)
    return fetch(settings, progress=False)


def _same(a: Any, b: Any) -> bool:
    missing = [v is None or v is pd.NA or v is pd.NaT for v in (a, b)]
    return all(missing) if any(missing) else a == b


@pytest.mark.parametrize("system,frame", [(s, f) for s in schema.SYSTEMS for f in schema.FRAME_NAMES])
def test_fetched_frames_equal_the_demo_data(fetched: Snapshot, system: str, frame: str) -> None:
    expected = (precoro_frames() if system == "precoro" else xero_frames())[frame]
    got = fetched.frame(system, frame)
    key = ["doc_id", "line_no"] if frame in schema.LINE_FRAMES.values() else ["id"]
    got, expected = got.set_index(key).sort_index(), expected.set_index(key).sort_index()
    assert list(got.index) == list(expected.index)
    # every column the demo's reading fills must match exactly (it leaves some, e.g. amount_paid, empty)
    filled = [c for c in expected.columns if c != "updated_at" and expected[c].notna().any()]
    assert filled
    for col in filled:
        bad = [(i, g, e) for i, g, e in zip(got.index, got[col].astype(object), expected[col].astype(object)) if not _same(g, e)]
        assert not bad, (col, bad[:3])


def test_reconcile_over_the_fetched_snapshot_finds_exactly_the_planted_cases(fetched: Snapshot) -> None:
    from recon.reconcile.core import reconcile

    baselines = {k: schema.conform(v, k) for k, v in demo.baseline().items()}
    rec = reconcile(fetched, links=pd.DataFrame(demo.links()), baselines=baselines, run_id="t")
    found = {tuple(r) for r in rec.differences[["object", "label", "field", "kind", "direction", "action"]]
             .astype(str).itertuples(index=False)}
    for case in demo.PLANTED:
        assert (case.kind, case.label, case.field, case.difference, case.direction, case.action) in found, case
    assert {(r[0], r[1]) for r in found} == {(c.kind, c.label) for c in demo.PLANTED}
