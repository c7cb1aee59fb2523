"""The scheduling examples: the cron line run exactly as cron would against the sandbox, the systemd units
parsed and checked, the Airflow DAG files compiled (tests/test_airflow.py runs the firm's DAG in Airflow)."""

from __future__ import annotations

import ast
import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from recon import runner

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CRON_FIELDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def crontab() -> tuple[dict[str, str], list[tuple[list[str], str]]]:
    """Variables and jobs (five schedule fields, command) of the example crontab."""
    env, jobs = {}, []
    for line in (EXAMPLES / "cron" / "recon.crontab").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if m:
            env[m.group(1)] = m.group(2)
            continue
        fields = line.split(None, 5)
        jobs.append((fields[:5], fields[5]))
    return env, jobs


def valid_field(field: str, low: int, high: int) -> bool:
    for part in field.split(","):
        base, _, step = part.partition("/")
        if step and not step.isdigit():
            return False
        if base == "*":
            continue
        lo, _, hi = base.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            return False
        if not (low <= int(lo) <= high and (not hi or low <= int(hi) <= high)):
            return False
    return True


def test_the_crontab_has_one_valid_weekday_job() -> None:
    env, jobs = crontab()
    assert env["SHELL"] == "/bin/bash" and env["RECON_HOME"].startswith("/")
    assert env["RECON_CONFIG"].startswith("/") and env["RECON_PROFILE"]
    assert len(jobs) == 1
    schedule, command = jobs[0]
    assert all(valid_field(f, lo, hi) for f, (lo, hi) in zip(schedule, CRON_FIELDS)), schedule
    assert "%" not in command.replace("\\%", ""), "an unescaped % ends a cron command"
    assert "examples/scheduled-run.sh" in command


def test_the_cron_command_runs_against_the_sandbox(tmp_path: Path) -> None:
    """The job's command, as cron runs it (SHELL -c, its variables, from /), with its profile in a recon.toml
    whose state and reports_dir are relative to the file: the same run folders as any other entry point."""
    from recon.demo import reset_state
    from recon.sandbox import Sandbox

    home = tmp_path / "recon-home"
    (home / "examples").mkdir(parents=True)
    (home / "examples" / "scheduled-run.sh").symlink_to(EXAMPLES / "scheduled-run.sh")
    env_vars, jobs = crontab()
    command = jobs[0][1].replace("\\%", "%").replace(env_vars["RECON_HOME"], str(home))  # cron's own unescaping
    with Sandbox(seed="demo") as sb:
        (home / "recon.toml").write_text(f"""
[profile.{env_vars["RECON_PROFILE"]}]
xero_client_id = "sandbox-client"
xero_client_secret = "sandbox-secret"
xero_tenant_id = "sandbox-tenant"
xero_api_url = "{sb.xero_url}"
xero_identity_url = "{sb.xero_url}"
precoro_token = "sandbox-token"
precoro_email = "sandbox@example.com"
precoro_base_url = "{sb.precoro_url}"
state = "state.sqlite"
reports_dir = "reports"
""")
        reset_state(home / "state.sqlite", "demo")
        env = {k: v for k, v in os.environ.items() if not k.startswith("RECON_")}
        env.update({k: v for k, v in env_vars.items() if k not in ("PATH", "RECON_HOME", "RECON_CONFIG")})
        env.update({"RECON_CONFIG": str(home / "recon.toml"), "PYTHONPATH": str(ROOT),
                    # the venv's bin (where `recon` is installed) in place of /srv/recon/.venv/bin
                    "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"])})
        proc = subprocess.run([env_vars["SHELL"], "-c", command], env=env, cwd="/", capture_output=True, text=True,
                              timeout=600)
    log = (home / "cron.log").read_text()
    assert proc.returncode == 0, log
    runs = [p for p in (home / "reports").iterdir() if p.is_dir()]
    assert len(runs) == 1 and runs[0].name.endswith("-sched")
    for name in ("sync.ipynb", "sync.html", "audit_report.ipynb", "audit.html", "outcome.json"):
        assert (runs[0] / name).is_file(), name
    assert f"report: {runs[0] / 'audit.html'}" in log
    assert "approved by policy xero_to_precoro_reference" in (runs[0] / "approvals.jsonl").read_text()
    assert not (home / "notebooks").exists()  # recon run found its own notebooks


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False, comment_prefixes=("#", ";"))
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((EXAMPLES / "systemd" / name).read_text())
    return parser


def test_the_systemd_service_runs_the_scheduled_script_once() -> None:
    service = unit("recon-sync.service")
    assert service.sections() == ["Unit", "Service"]
    s = service["Service"]
    assert s["Type"] == "oneshot"
    home = Path(s["WorkingDirectory"])
    executable, *args = s["ExecStart"].split()
    assert Path(executable).is_relative_to(home)
    assert (ROOT / Path(executable).relative_to(home)).is_file() and os.access(ROOT / Path(executable).relative_to(home), os.X_OK)
    assert args == ["xero_to_precoro_reference"]
    assert s["EnvironmentFile"].startswith("-/etc/"), "credentials come from a root-readable file, not the unit"
    assert not runner.SECRET_NAME.search("\n".join(f"{k}={v}" for k, v in s.items() if k != "EnvironmentFile"))


def test_the_systemd_timer_starts_the_service_on_weekdays() -> None:
    timer = unit("recon-sync.timer")
    t = timer["Timer"]
    assert t["Unit"] == "recon-sync.service" and (EXAMPLES / "systemd" / t["Unit"]).is_file()
    assert t["OnCalendar"].startswith("Mon..Fri ") and t["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    analyze = shutil.which("systemd-analyze")
    if analyze:  # check the calendar expression with systemd itself when it is here
        proc = subprocess.run([analyze, "calendar", t["OnCalendar"]], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_the_airflow_examples_build_their_dag_with_recon_airflow() -> None:
    """Both example DAG files compile and build their DAG with recon.airflow.firm_dag (no checkout path, no
    notebook path: recon's own notebooks come with the package). tests/test_airflow.py runs the firm's DAG in
    real Airflow; tests/test_firm.py runs its steps without it."""
    for name, dag_id in (("recon_firm_dag.py", "recon_firm"), ("recon_sync_dag.py", "recon_sync")):
        source = (EXAMPLES / "airflow" / name).read_text()
        compile(source, name, "exec")
        tree = ast.parse(source)
        imports = [n for n in tree.body if isinstance(n, ast.ImportFrom)]
        assert [(n.module, [a.name for a in n.names]) for n in imports] == [("recon.airflow", ["firm_dag"])]
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "firm_dag"]
        assert len(calls) == 1 and ast.literal_eval(calls[0].args[0]) == dag_id
        assert "RECON_HOME" not in source and "/srv/recon/notebooks" not in source
