"""The firm's DAG in real Airflow 3, installed from its package into a venv of its own (cached under the per-user
data folder, ``~/.local/share/recon/test-venvs/``, and rebuilt when recon's dependencies change), run with
``dag.test()`` by ``tests/airflow_night.py`` against three sandboxes: every organisation synced and its audit
report written, the firm summary listing all three, a second night that converges, and a day limit that defers
the sync until its end and resumes it. Airflow never enters recon's own venv or dependencies."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import venv
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

from conftest import clean_env

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW_VERSION = "3.3.2"


def requirements() -> list[str]:
    """Airflow, and recon's own dependencies pinned to the versions this venv runs (so the Airflow venv runs
    recon on the same libraries the rest of the suite tests)."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pinned = []
    for dep in dict.fromkeys(re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0] for d in deps):
        try:
            pinned.append(f"{dep}=={version(dep)}")
        except PackageNotFoundError:
            pinned.append(dep)
    return [f"apache-airflow=={AIRFLOW_VERSION}"] + pinned


@pytest.fixture(scope="module")
def airflow_python() -> Path:
    """The cached venv's interpreter, made (about a minute, from the package registry) when missing or stale."""
    wanted = requirements()
    stamp_text = "\n".join(wanted)
    cache = Path(os.environ.get("RECON_TEST_AIRFLOW_VENV") or
                 Path.home() / ".local" / "share" / "recon" / "test-venvs" /
                 f"airflow-{AIRFLOW_VERSION}-py{sys.version_info.major}{sys.version_info.minor}")
    stamp = cache / "recon-requirements.txt"
    python = cache / "bin" / "python"
    if not (python.is_file() and stamp.is_file() and stamp.read_text() == stamp_text):
        shutil.rmtree(cache, ignore_errors=True)
        venv.create(cache, with_pip=True)
        done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *wanted],
                              capture_output=True, text=True, timeout=1500)
        assert done.returncode == 0, f"installing Airflow {AIRFLOW_VERSION} failed:\n{done.stderr[-4000:]}"
        stamp.write_text(stamp_text)
    return python


# the first run installs Airflow from the package registry (minutes on a 2-core machine) inside the fixture
@pytest.mark.timeout(3000)
def test_the_firm_dag_runs_every_organisation_in_airflow(airflow_python: Path, tmp_path: Path) -> None:
    dags, airflow_home, home = tmp_path / "dags", tmp_path / "airflow", tmp_path / "firm"
    dags.mkdir()
    shutil.copy(ROOT / "examples" / "airflow" / "recon_firm_dag.py", dags)
    env = clean_env(AIRFLOW_HOME=str(airflow_home), AIRFLOW__CORE__DAGS_FOLDER=str(dags),
                    AIRFLOW__CORE__LOAD_EXAMPLES="False", PYTHONPATH=str(ROOT))
    migrate = subprocess.run([str(airflow_python.parent / "airflow"), "db", "migrate"], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    out = tmp_path / "nights.json"
    night = subprocess.run([str(airflow_python), str(ROOT / "tests" / "airflow_night.py"), str(home), str(out)],
                           env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    log = night.stdout + night.stderr
    assert night.returncode == 0, log[-6000:]
    nights = json.loads(out.read_text())

    # nights one and two: every task of every organisation succeeded
    for name in ("first", "second"):
        assert nights[name]["state"] == "success"
        tasks = nights[name]["tasks"]
        assert all(state == "success" for _, _, state in tasks), tasks
        assert sorted((task, index) for task, index, _ in tasks if task.startswith("organisation.")) == sorted(
            (f"organisation.{step}", index) for step in ("start_run", "sync", "audit_report") for index in range(3))
    summaries = sorted((home / "data" / "firm").glob("2*/summary.json"))
    assert len(summaries) == 3  # one per night
    first, second, deferred = (json.loads(p.read_text())["organisations"] for p in summaries)
    assert [row["organisation"] for row in first] == ["acme", "kauri", "tui"] == [row["organisation"] for row in second]
    assert {row["organisation"]: row["applied"] for row in first} == {"acme": 14, "kauri": 15, "tui": 16}
    for row in first + second:
        assert row["status"] == "synced" and row["failed"] == 0 and Path(row["report"]).is_file()
        assert Path(row["report"]).parent.parent == home / "clients" / row["organisation"] / "reports"
    # the second night converges: nothing left to apply, nothing waiting
    assert all((row["applied"], row["waiting"], row["differences"]) == (0, 0, 0) for row in second)

    # the third night: kauri's day limit is spent, so its sync defers until the limit's end, then resumes
    assert nights["deferred"]["state"] == "success" and nights["deferred"]["refused_for_the_day"] >= 1
    assert re.search(r"kauri: deferred until \d{4}-\d\d-\d\d \d\d:\d\d UTC", log)
    assert "Pausing task as DEFERRED" in log and "running trigger in line" in log
    assert "kauri: the day limit has passed; resuming run" in log
    assert [row["organisation"] for row in deferred] == ["kauri"] and deferred[0]["status"] == "synced"
    for secret in ("sandbox-secret",):
        assert secret not in "".join(p.read_text() for p in summaries)
