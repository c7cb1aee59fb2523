"""`recon reconcile` on the built-in sandbox: the run folder's files, and the plain sentence when nothing differs."""

import csv
import json
import subprocess
import sys

import pytest

from recon.reconcile.model import DIFF_COLUMNS, NO_CHANGES


def _recon(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("RECON_")}
    return subprocess.run([sys.executable, "-m", "recon.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_reconcile_writes_the_run_folder_contract(tmp_path):
    out = tmp_path / "r1"
    done = _recon("reconcile", "--objects", "supplier,item", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "built-in sandbox" in done.stdout
    with open(out / "differences.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0].keys()) == DIFF_COLUMNS
    assert {r["object"] for r in rows} == {"supplier", "item"}
    assert {(r["label"], r["kind"]) for r in rows} >= {("Kauri Print & Signs", "conflict"),
                                                      ("Hi-vis Safety Vest", "blocked_edit")}
    plan = json.loads((out / "plan.json").read_text())
    assert plan["kinds"] == ["supplier", "item"] and plan["actions"]
    assert (out / "summary.json").is_file()


@pytest.mark.parametrize("objects", ["account,tax_rate", "tracking_option"])
def test_kinds_without_differences_say_so_plainly(tmp_path, objects):
    out = tmp_path / "r2"
    done = _recon("reconcile", "--objects", objects, "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert NO_CHANGES in done.stdout
    assert json.loads((out / "plan.json").read_text())["actions"] == []


def test_an_unknown_kind_is_refused_before_anything_runs(tmp_path):
    done = _recon("reconcile", "--objects", "supplier,invoice", cwd=tmp_path)
    assert done.returncode == 2
    assert "unknown object kind(s) invoice" in done.stderr
    assert not (tmp_path / "reports").exists()
