"""A firm's night without Airflow: the same steps the DAG's tasks run (recon.firm), against three sandboxes
(three organisations, different data): every organisation synced under its policy, its audit report in its
own run folder, the firm summary listing all three, and a second night that converges (nothing left to do).
A day limit ends a sync as deferred until a time; a failure that may pass is told apart from one that will not."""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx
import pytest

from recon import firm
from recon.run_folder import RunFolder

from firm_sandboxes import ORGANISATIONS, environment, firm as firm_world

ROOT = Path(__file__).resolve().parents[1]


#: tui's policy approves what goes into Precoro and leaves writes into Xero (and conflicts) for a person
POLICIES = {"tui": "to_precoro:*"}


@pytest.fixture()
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path / "firm"
    with firm_world(home, policies=POLICIES) as sandboxes:
        for key, value in environment(home).items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("RECON_DATA_DIR", str(tmp_path / "data"))
        yield home, sandboxes


def night(workers: int = 3) -> tuple[list[dict], list[firm.SyncResult], list[str], dict[str, str]]:
    """What the DAG does, with a pool of worker processes in place of Airflow's (each task its own process, as
    Airflow runs them; notebooks run at once from one working folder, which once crossed their kernels' sockets)."""
    runs = [firm.start_run(org) for org in firm.organisations()]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(firm.sync_organisation, runs))
        reports = list(pool.map(firm.report_organisation, runs))
    return runs, results, reports, firm.write_summary(firm.firm_rows(runs))


def test_a_night_syncs_every_organisation_and_a_second_night_converges(world, tmp_path: Path) -> None:
    home, sandboxes = world
    runs, results, reports, summary = night()
    assert [r["profile"] for r in runs] == sorted(ORGANISATIONS)
    assert [(r.profile, r.status) for r in results] == [("acme", "synced"), ("kauri", "synced"), ("tui", "waiting")]
    for run, report in zip(runs, reports):
        folder = RunFolder(Path(run["reports_dir"]) / run["run_id"])
        assert Path(report) == folder.file("audit.html") and Path(report).is_file()
        assert folder.path.is_relative_to(home / "clients" / run["profile"])  # its own reports folder
        assert folder.file("sync.ipynb").is_file() and folder.outcome() is not None
    rows = {row["organisation"]: row for row in json.loads(Path(summary["json"]).read_text())["organisations"]}
    assert sorted(rows) == sorted(ORGANISATIONS)
    # the demo company's 14 actions, plus one supplier created in Precoro per extra Xero contact; tui's policy
    # applied only what goes into Precoro, and the rest waits for a person
    assert (rows["acme"]["applied"], rows["kauri"]["applied"]) == (14, 15)
    tui = rows["tui"]
    assert tui["status"] == "waiting" and tui["applied"] > 0 and tui["waiting"] > 0 and tui["applied"] + tui["waiting"] == 16
    assert all(row["failed"] == 0 and Path(row["report"]).is_file() for row in rows.values())
    html = Path(summary["html"]).read_text()
    assert all(Path(row["report"]).as_uri() in html for row in rows.values())
    assert "3 organisations: 2 synced, 1 waiting" in html
    assert Path(summary["csv"]).read_text().splitlines()[0].startswith("organisation,status,detail,run_id")
    assert (Path(summary["html"]).parent.parent / "latest.html").read_text() == html
    # each organisation's sync went to its own sandbox: kauri's new supplier is in kauri's Precoro only
    names = {n: {s["name"] for s in httpx.get(f"{sb.precoro_url}/_sandbox/dump").json()["suppliers"]}
             for n, sb in sandboxes.items()}
    assert "Kauri Supplies 1 Ltd" in names["kauri"] and "Kauri Supplies 1 Ltd" not in names["acme"] | names["tui"]

    again, results2, _, summary2 = night()
    assert {r["run_id"] for r in again}.isdisjoint({r["run_id"] for r in runs})
    rows2 = {row["organisation"]: row for row in json.loads(Path(summary2["json"]).read_text())["organisations"]}
    # converged: nothing applied; acme and kauri have nothing left, tui the same actions still waiting, no more
    assert [(n, rows2[n]["applied"], rows2[n]["failed"]) for n in sorted(rows2)] == [(n, 0, 0) for n in sorted(rows2)]
    assert [r.status for r in results2] == ["synced", "synced", "waiting"] and rows2["tui"]["waiting"] == tui["waiting"]
    assert [len(RunFolder(Path(r["reports_dir"]) / r["run_id"]).plan().actions) for r in again] == [0, 0, tui["waiting"]]

    # the workbench's view of the same: the firm notebook lists every organisation, what waits, and each report
    from recon.runner import run_notebook

    import nbformat

    done = run_notebook("notebooks/firm.ipynb" if (ROOT / "notebooks" / "firm.ipynb").is_file() else "firm.ipynb", {},
                        run_id="firm-view", reports_dir=tmp_path / "views")
    shown = "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/html", ""))
                    for c in nbformat.read(done.executed, as_version=4).cells for o in c.get("outputs", []))
    assert "3 organisations: 2 synced, 1 waiting" in shown
    assert f"{tui['waiting']} actions waiting for a decision" in shown
    assert all(Path(row["report"]).as_uri() in shown for row in rows2.values())
    assert "sandbox-secret" not in shown and "sandbox-token" not in shown


def test_a_day_limit_ends_the_sync_as_deferred_until_a_time(world) -> None:
    home, sandboxes = world
    httpx.post(f"{sandboxes['kauri'].xero_url}/_sandbox/faults", json={"limits": {"day": 3}}).raise_for_status()
    run = firm.start_run({"profile": "kauri"})
    result = firm.sync_organisation(run)
    assert result.status == "deferred" and result.resume_at is not None
    assert f"deferred until {result.resume_at:%Y-%m-%d %H:%M} UTC" in result.detail
    folder = RunFolder(Path(run["reports_dir"]) / run["run_id"])
    assert folder.stopped()["reason"] == "day_limit" and folder.has_snapshot()  # what was fetched is kept
    report = firm.report_organisation(run)  # the report of what the stopped run has
    row = {r.organisation: r for r in firm.firm_rows([run], names=["kauri"])}["kauri"]
    assert (row.status, row.report) == ("deferred", report) and row.resume_at


@pytest.mark.parametrize("break_it, kind", [
    ("outage", firm.RetryableOrganisationError),      # every Xero call answers 503: worth a retry after a backoff
    ("secret", firm.OrganisationError),               # the app's secret is wrong: a retry will not mend it
])
def test_a_failure_that_may_pass_is_told_apart_from_one_that_will_not(world, monkeypatch, break_it, kind) -> None:
    home, sandboxes = world
    if break_it == "outage":
        httpx.post(f"{sandboxes['tui'].xero_url}/_sandbox/faults",
                   json={"rate_5xx": 1.0, "path_regex": "^/api.xro/"}).raise_for_status()
        monkeypatch.setenv("RECON_TIMEOUT", "5")
    else:
        monkeypatch.setenv("FIRM_XERO_SECRET", "not-the-secret")
    run = firm.start_run({"profile": "tui"})
    with pytest.raises(firm.OrganisationError) as err:
        firm.sync_organisation(run)
    assert type(err.value) is kind and str(err.value).startswith("tui: sync.ipynb failed in code cell")


@pytest.mark.parametrize("env, message", [
    ({"RECON_STATE": "/srv/one.sqlite"}, "RECON_STATE is set in the environment, which would give every organisation"),
    ({"RECON_PRECORO_TOKEN": "x", "RECON_REPORTS_DIR": "/srv/r"}, "RECON_REPORTS_DIR, RECON_PRECORO_TOKEN are set"),
])
def test_a_firm_night_refuses_variables_that_would_give_every_organisation_one_value(world, monkeypatch, env,
                                                                                      message) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(firm.OrganisationError, match=message):
        firm.organisations()


def test_an_organisation_without_a_policy_is_refused_before_anything_runs(world) -> None:
    home, _ = world
    (home / "recon.toml").write_text((home / "recon.toml").read_text().replace('policy = "demo"\n', "", 1))
    with pytest.raises(firm.OrganisationError, match="acme: no approval policy for unattended runs"):
        firm.start_run({"profile": "acme"})
    reports = home / "clients" / "acme" / "reports"
    assert not reports.exists() or not list(reports.iterdir())  # no run folder was made
