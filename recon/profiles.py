"""The profiles of a recon.toml and how each one's last run went: what ``recon profiles`` prints, and what the
firm's summary (:mod:`recon.firm`) is built on.

The last run of a profile is the latest run of its reports folder by :func:`recon.run_folder.latest_run`'s
rule (the run whose ``run.json`` started last). Its **status**, in the words the firm's accountants use:

==============  ===============================================================================================
``synced``      the run applied its plan and nothing failed or was refused (or nothing needed to change)
``failures``    the run applied its plan, and some actions failed or were refused (counted in the detail)
``deferred``    a day limit stopped it; it can resume at the time named (``run.json``'s ``stopped``)
``failed``      a notebook of the run stopped on an error (named), or the profile's settings cannot be read
``waiting``     actions of the plan wait for a person's decision (the policy left them), applied or not
``unfinished``  started and not finished (running now, or stopped without saying why)
``no runs``     the profile has no run yet
==============  ===============================================================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from recon.config import Settings, configured_profiles, credential_sources, load_settings, shared_overrides
from recon.errors import ConfigError, ReconError
from recon.run_folder import RunFolder, runs

#: the notebooks whose errors end a run, in the order a scheduled run executes them
RUN_NOTEBOOKS = ("sync.ipynb", "reconcile.ipynb", "audit_report.ipynb")


@dataclass(frozen=True)
class RunStatus:
    """One run's state as the firm reads it: ``status`` (the module table), a one-line ``detail``, counts."""

    run_id: str
    folder: Path
    status: str
    detail: str
    started_at: str = ""
    finished_at: str = ""
    #: actions per result status (``applied``, ``failed``, ...), from outcome.json (empty without one)
    outcome: Mapping[str, int] = field(default_factory=dict)
    #: actions in the plan, and those without any decision
    actions: int = 0
    undecided: int = 0
    differences: int = 0
    resume_at: str = ""

    @property
    def report(self) -> Path | None:
        """The run's audit report, when it has been written."""
        path = RunFolder(self.folder).file("audit.html")
        return path if path.is_file() else None


def run_status(folder: RunFolder) -> RunStatus:
    """How the run in ``folder`` went (read through :class:`RunFolder` only)."""
    info = folder.run_info()
    plan = folder.plan()
    outcome = folder.outcome()
    decided = {line.get("action_id") for line in folder.approvals() or []}
    actions = len(plan.actions) if plan else 0
    undecided = sum(1 for a in plan.actions if a.id not in decided) if plan else 0
    differences = folder.differences()
    base = dict(run_id=folder.run_id, folder=folder.path, started_at=str(info.get("started_at", "")),
                finished_at=str(info.get("finished_at", "")), actions=actions, undecided=undecided,
                differences=0 if differences is None else len(differences))
    stopped = folder.stopped()
    if stopped and stopped.get("reason") == "day_limit":
        resume = stopped.get("resume_at") or ""
        return RunStatus(**base, status="deferred", resume_at=resume,
                         detail=f"day limit: deferred until {resume.replace('T', ' ').replace('Z', ' UTC') or 'tomorrow'}")
    for name in RUN_NOTEBOOKS:
        error = folder.notebook_error(name)
        if error is not None:
            ename, evalue = error
            return RunStatus(**base, status="failed", detail=f"{name} stopped on {ename}: {_one_line(evalue)}")
    if outcome is not None:
        counts = outcome.counts()
        bad = {k: counts[k] for k in ("failed", "refused") if counts.get(k)}
        done = ", ".join(f"{n} {k}" for k, n in counts.items() if n and k != "dry_run") or "nothing to do"
        if undecided:  # the policy left these for a person
            done = f"{done}; {undecided} of {actions} actions waiting for a decision"
        status = "failures" if bad else ("waiting" if undecided else "synced")
        return RunStatus(**base, status=status, outcome=counts, detail=done)
    if plan is not None and not info.get("finished_at") and not actions:
        return RunStatus(**base, status="unfinished", detail="reconciled, nothing to do; not finished")
    if plan is not None:
        if undecided:
            return RunStatus(**base, status="waiting", detail=f"{undecided} of {actions} actions waiting for a decision")
        return RunStatus(**base, status="waiting" if actions else "synced",
                         detail=f"all {actions} actions decided, not applied yet" if actions else "nothing to do")
    return RunStatus(**base, status="unfinished", detail="started, not finished" if not info.get("finished_at")
                     else "finished without a plan")


def _one_line(text: str, width: int = 160) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= width else line[:width - 1] + "…"


def last_run(reports_dir: Path | str) -> RunStatus | None:
    """The status of the latest run of ``reports_dir`` (:func:`recon.run_folder.runs`' order), or None."""
    every = runs(reports_dir)
    return run_status(every[-1]) if every else None


@dataclass(frozen=True)
class ProfileInfo:
    """One profile of the config file: where its state and runs are, where its secrets come from, its policy,
    and its last run. ``error`` is set (and ``settings`` None) when its settings cannot be read."""

    name: str
    settings: Settings | None
    credentials: Mapping[str, str]
    last: RunStatus | None
    error: str = ""

    @property
    def status(self) -> str:
        if self.error:
            return "failed"
        return self.last.status if self.last else "no runs"

    @property
    def detail(self) -> str:
        if self.error:
            return f"settings: {self.error}"
        return self.last.detail if self.last else ""


def profile_info(name: str, env: Mapping[str, str] | None = None) -> ProfileInfo:
    """Read one profile and its last run; a profile whose settings fail says why instead of raising."""
    env = os.environ if env is None else env
    try:
        credentials = credential_sources(name, env)
    except ConfigError as exc:
        return ProfileInfo(name, None, {}, None, error=str(exc))
    try:
        settings = load_settings(name, env=env)
    except ReconError as exc:
        return ProfileInfo(name, None, credentials, None, error=str(exc))
    try:
        last = last_run(settings.reports_dir)
    except ReconError as exc:
        return ProfileInfo(name, settings, credentials, None, error=f"cannot read its runs: {exc}")
    return ProfileInfo(name, settings, credentials, last)


def list_profiles(names: list[str] | None = None, env: Mapping[str, str] | None = None) -> list[ProfileInfo]:
    """The config file's profiles (or ``names``), each with its last run: the firm's organisations."""
    env = os.environ if env is None else env
    return [profile_info(name, env) for name in (names if names is not None else configured_profiles(env))]


def format_profiles(infos: list[ProfileInfo], env: Mapping[str, str] | None = None) -> str:
    """The table ``recon profiles`` prints: one line per profile, then a warning per shared override."""
    rows = [("profile", "last run", "status", "policy", "secrets", "detail")]
    for info in infos:
        last = info.last
        secrets = ", ".join(sorted({v for v in info.credentials.values()})) or "-"
        rows.append((info.name, last.run_id if last else "-", info.status,
                     (info.settings.policy if info.settings else "") or "-", secrets, info.detail))
    widths = [max(len(str(r[i])) for r in rows) for i in range(5)]
    lines = ["  ".join(str(cell).ljust(widths[i]) if i < 5 else str(cell) for i, cell in enumerate(row)).rstrip()
             for row in rows]
    for variable in shared_overrides(env):
        lines.append(f"warning: {variable} is set in the environment: every profile above uses its value "
                     "(one organisation's), not its own; unset it for a firm's runs")
    if len(rows) == 1:
        lines.append("no profiles in the config file: add [profile.NAME] tables to recon.toml, or one NAME.toml "
                     "per client in profiles.d/ beside it")
    return "\n".join(lines)
