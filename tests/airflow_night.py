"""Run by tests/test_airflow.py inside a venv that has Airflow (never imported by pytest itself): three sandboxes
(three organisations, different data), the firm's DAG from examples/airflow/ run with ``dag.test()`` for two
nights, then a third night for one organisation whose Xero day limit is spent, which defers until the limit's
end and resumes. Writes what happened as JSON to the path given.

    python tests/airflow_night.py FIRM_HOME OUT.json        (AIRFLOW_HOME and its DAGs folder set, db migrated)
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from firm_sandboxes import environment, firm  # noqa: E402


def load_dag(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


def states(run) -> list[list]:
    from airflow.utils.session import create_session

    with create_session() as session:
        return sorted([ti.task_id, ti.map_index, str(ti.state)] for ti in run.get_task_instances(session=session))


def stats(url: str) -> dict:
    import httpx

    return httpx.get(f"{url}/_sandbox/stats", timeout=10).json()


def spend(xero_url: str, calls: int) -> None:
    """Make ``calls`` calls to the sandbox's organisation, as another client of the same app would."""
    import httpx

    token = httpx.post(f"{xero_url}/connect/token", data={"grant_type": "client_credentials"},
                       auth=("sandbox-client", "sandbox-secret"), timeout=10).json()["access_token"]
    for _ in range(calls):
        httpx.get(f"{xero_url}/api.xro/2.0/Organisation", timeout=10,
                  headers={"Authorization": f"Bearer {token}", "xero-tenant-id": "sandbox-tenant"}).raise_for_status()


def main() -> int:
    home, out = Path(sys.argv[1]), Path(sys.argv[2])
    dags = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    report: dict = {}
    with firm(home, limits_store=f"sqlite:{home / 'limits.sqlite'}") as sandboxes:
        os.environ.update(environment(home))
        os.environ["RECON_DATA_DIR"] = str(home / "data")
        dag = load_dag(dags / "recon_firm_dag.py")
        for night in ("first", "second"):
            started = time.monotonic()
            run = dag.test()
            report[night] = {"state": str(run.state), "tasks": states(run), "seconds": time.monotonic() - started}
        # the third night, kauri alone: its Xero allows 12 calls in a "day" of 20 seconds, and 10 are spent just
        # before the night starts (someone's big fetch in JupyterLab): the sync stops at once, defers until the
        # day's end, and resumes with room for its incremental fetch (about 9 calls)
        kauri = sandboxes["kauri"].xero.limiter
        for window in kauri.windows:
            if window.name == "day":
                window.seconds, window.limit = 20.0, 12
        kauri.reset()  # the nights before count no more
        spend(sandboxes["kauri"].xero_url, 10)
        before = stats(sandboxes["kauri"].xero_url)["limited"].get("day", 0)
        started = time.monotonic()
        run = dag.test(run_conf={"organisations": ["kauri"]})
        report["deferred"] = {"state": str(run.state), "tasks": states(run), "seconds": time.monotonic() - started,
                              "refused_for_the_day": stats(sandboxes["kauri"].xero_url)["limited"].get("day", 0) - before}
    out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
