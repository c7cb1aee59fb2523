"""The run folder: one module writes and reads its files, one rule says which run is the latest, one format of
run id."""

from __future__ import annotations

import ast
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from recon import run_folder
from recon.config import load_settings
from recon.errors import ConfigError
from recon.reconcile.model import Outcome
from recon.run_folder import RunFolder, find_run, latest_run, new_run_id, previous_snapshot, runs
from recon.snapshot import Snapshot

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = load_settings(env={"RECON_DATA_DIR": "/srv/recon-test", "USER": "ana"})


def make_run(root: Path, run_id: str, started: str, *, snapshot: bool = False, sandbox: str = "") -> RunFolder:
    folder = RunFolder.create(root, run_id)
    folder.record_run(settings=SETTINGS, parameters={}, notebook="test", sandbox=sandbox,
                      clock=lambda: datetime.fromisoformat(started).replace(tzinfo=timezone.utc))
    if snapshot:
        folder.save_snapshot(Snapshot(meta={"xero": {"run": run_id}}))
    return folder


def test_the_latest_run_is_the_one_started_last_whatever_its_name(tmp_path: Path) -> None:
    make_run(tmp_path, "zzz-first", "2026-03-01T09:00:00")
    make_run(tmp_path, "nightly", "2026-03-03T06:15:00")
    make_run(tmp_path, "20260302-120000-beef", "2026-03-02T12:00:00")
    (tmp_path / "not-a-run").mkdir()  # no run.json: not a run
    (tmp_path / "cron.log").write_text("")
    assert [f.run_id for f in runs(tmp_path)] == ["zzz-first", "20260302-120000-beef", "nightly"]
    assert latest_run(tmp_path).run_id == "nightly" == find_run(tmp_path).run_id
    assert find_run(tmp_path, "zzz-first").run_id == "zzz-first"
    with pytest.raises(ConfigError, match="no runs in"):
        latest_run(tmp_path / "empty")


def test_an_incremental_fetch_starts_from_the_latest_earlier_snapshot_of_the_same_sandbox(tmp_path: Path) -> None:
    make_run(tmp_path, "a", "2026-03-01T09:00:00", snapshot=True)
    make_run(tmp_path, "b", "2026-03-02T09:00:00", snapshot=True, sandbox="instance-1")
    make_run(tmp_path, "c", "2026-03-03T09:00:00")  # no snapshot
    make_run(tmp_path, "d", "2026-03-04T09:00:00", snapshot=True)
    make_run(tmp_path, "now", "2026-03-05T09:00:00")
    assert previous_snapshot(tmp_path, "now").run_id == "d"
    assert previous_snapshot(tmp_path, "d").run_id == "a"
    assert previous_snapshot(tmp_path, "now", sandbox="instance-1").run_id == "b"
    assert previous_snapshot(tmp_path, "now", sandbox="instance-2") is None
    assert previous_snapshot(tmp_path, "d").load_snapshot().meta == {"xero": {"run": "a"}}


def test_run_ids_have_one_format() -> None:
    at = datetime(2026, 3, 1, 9, 5, 7, tzinfo=timezone.utc)
    assert new_run_id(at, "beef") == "20260301-090507-beef"
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{4}", new_run_id())
    with pytest.raises(ConfigError):
        RunFolder.create(Path("/tmp"), "../up")


def test_run_json_keeps_the_first_start_and_adds_each_step(tmp_path: Path) -> None:
    folder = make_run(tmp_path, "r", "2026-03-01T09:00:00")
    folder.record_run(settings=SETTINGS, parameters={"policy": "none", "xero_token": "leak"}, notebook="sync.ipynb")
    folder.record_run(settings=SETTINGS, parameters={}, notebook="sync.ipynb")
    info = folder.run_info()
    assert info["started_at"] == "2026-03-01T09:00:00Z" and info["notebook"] == "test, sync.ipynb"
    assert info["parameters"] == {"policy": "none"} and info["user"] == "ana" and info["profile"] == "sandbox"


def test_a_dry_run_outcome_is_never_written(tmp_path: Path) -> None:
    folder = RunFolder.create(tmp_path, "r")
    with pytest.raises(ValueError, match="dry run"):
        folder.write_outcome(Outcome("r", "f" * 16, (), dry_run=True))
    assert not (folder.path / "outcome.json").exists()


#: the names of the files of a run folder: only recon/run_folder.py may spell them
RUN_FILE_NAMES = {"run.json", "snapshot.json", "differences.csv", "plan.json", "summary.json", "rounding.csv",
                  "approvals.jsonl", "outcome.json", "integrity.json"}
WRITES = {"write_text", "write_bytes", "to_csv", "to_parquet", "mkdir", "open", "unlink", "replace", "rename"}


def test_only_run_folder_writes_the_files_of_a_run_folder() -> None:
    """No other module of recon spells a run-folder file's name where it writes, nor calls a writer with one."""
    found = []
    for path in sorted((ROOT / "recon").rglob("*.py")):
        if path.name == "run_folder.py" or "sandbox" in path.parts or "bench" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                texts = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
                if name in WRITES and any(t in RUN_FILE_NAMES for t in texts):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}()")
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and isinstance(node.right, ast.Constant) \
                    and node.right.value in RUN_FILE_NAMES:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} / {node.right.value!r}")
    assert not found, found


def test_snapshot_save_and_load_go_through_the_run_folder(tmp_path: Path) -> None:
    snap = Snapshot(meta={"xero": {"organisation": "Demo"}})
    snap.save(tmp_path / "r")
    assert (tmp_path / "r" / run_folder.SNAPSHOT_META).is_file()
    assert Snapshot.load(tmp_path / "r").meta == snap.meta == RunFolder(tmp_path / "r").load_snapshot().meta
