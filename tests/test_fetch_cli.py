"""`recon fetch` end to end: a real process against the built-in sandbox, Parquet files and counts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from recon import schema
from recon.snapshot import Snapshot

ROOT = Path(__file__).resolve().parents[1]


def test_recon_fetch_writes_one_parquet_per_system_and_frame_and_prints_counts(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECON_")}
    env.update(PYTHONPATH=str(ROOT), RECON_REPORTS_DIR=str(tmp_path / "reports"), HOME=str(tmp_path))
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "recon.cli", "fetch", "--objects", "supplier,purchase_order", "--out", str(out)],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "built-in sandbox" in proc.stdout
    files = sorted(p.name for p in out.glob("*.parquet"))
    assert files == sorted(f"{s}_{f}.parquet" for s in schema.SYSTEMS
                           for f in ("supplier", "purchase_order", "purchase_order_lines"))
    for name in files:
        count = len(pd.read_parquet(out / name))
        assert f"  {name[:-len('.parquet')]}.parquet  {count}" in proc.stdout
        assert count > 0
    snap = Snapshot.load(out)
    assert snap.meta["xero"]["organisation"] and (out / "raw" / "precoro_purchase_order.jsonl").is_file()
