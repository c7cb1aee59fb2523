"""A bookkeeping firm's night: every organisation (a profile of recon.toml) synced under its own approval policy,
its audit report written into its own run folder, and one firm-wide summary of how each went.

These are the steps the Airflow DAG (:mod:`recon.airflow`) runs as tasks, one mapped task group per
organisation; they are plain functions, so the same steps run (and are tested) without Airflow:

>>> runs = [start_run(org) for org in organisations()]        # checks settings, policy and parameters first
>>> results = [sync_organisation(run) for run in runs]         # sync.ipynb under the profile's policy
>>> reports = [report_organisation(run) for run in runs]       # audit_report.ipynb into the same run folder
>>> write_summary(firm_rows(runs))                             # one row per organisation

Both notebooks run through :func:`recon.runner.run_notebook` (what ``recon run`` does): parameters checked
against the notebooks before anything starts, recon's own packaged notebooks (no checkout needed on the
workers), the ``recon`` kernel or else the worker's own interpreter, the executed notebook and its HTML kept in
the run folder even when a cell fails, and the failing cell named.

How a sync ends, and what the scheduler should do about it (:func:`sync_organisation`):

* done (``synced``, or ``failures`` when some actions failed or were refused: recorded, not retried);
* ``deferred``: a day limit stopped it; :class:`SyncResult` says when it can resume (the scheduler waits
  until then and runs the same run again, which starts from what was fetched and repeats nothing applied);
* :class:`RetryableOrganisationError`: a rate limit, an outage, a dropped connection, or another apply holding
  the state's lock: worth retrying after a backoff (the same run id, so a retry resumes the same plan);
* :class:`OrganisationError`: bad settings, refused credentials, a bad plan: retrying will not help.

The summary data (:func:`firm_rows`) is what the firm notebook shows and what a web page can call.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from recon import errors
from recon.config import configured_profiles, firm_summary_dir, load_settings, shared_overrides
from recon.errors import ReconError
from recon.private import make_dir, replace_private
from recon.profiles import RunStatus, last_run, run_status
from recon.run_folder import RunFolder, iso, new_run_id, utc_now

Clock = Callable[[], datetime]

#: recon's errors worth a retry after a backoff when a notebook stops on one (by the name a notebook reports):
#: rate limits and transient failures (``retryable`` in :mod:`recon.errors`, day limits excluded), and another
#: apply holding the state file's lock. Plus the runner's cell timeout (a service that answered too slowly).
RETRYABLE_ERRORS = frozenset(
    [name for name, kind in vars(errors).items()
     if isinstance(kind, type) and issubclass(kind, errors.ApiError) and kind.retryable]
    + ["LockError", "CellTimeoutError"])
#: how long to wait when a day limit stopped a run without saying until when
DEFAULT_DEFERRAL = timedelta(hours=1)
SYNC = "sync.ipynb"
REPORT = "audit_report.ipynb"


class OrganisationError(ReconError):
    """One organisation's step failed in a way a retry will not mend (settings, credentials, a plan)."""

    retryable = False


class RetryableOrganisationError(OrganisationError):
    """One organisation's step failed in a way that may pass (rate limit, outage, a held lock): retry later."""

    retryable = True


@dataclass(frozen=True)
class SyncResult:
    """How one organisation's sync ended: ``status`` as :mod:`recon.profiles` names it, and for ``deferred``
    when it can resume."""

    profile: str
    run_id: str
    status: str
    detail: str
    resume_at: datetime | None = None

    @property
    def deferred(self) -> bool:
        return self.status == "deferred"


# ---- the steps --------------------------------------------------------------------------------------------

def organisations(names: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """The organisations of tonight's run: every profile of the config file (or ``names``), as small dicts a
    scheduler can pass between tasks. Refuses an environment whose ``RECON_*`` variables would give every
    profile one organisation's state, reports or credentials."""
    env = os.environ if env is None else env
    overrides = shared_overrides(env)
    if overrides:
        raise OrganisationError(
            f"{', '.join(overrides)} {'is' if len(overrides) == 1 else 'are'} set in the environment, which would give "
            "every organisation the same value; unset it for the firm's runs and give each profile its own in "
            "recon.toml (or leave state and reports_dir out: each profile then has its own folder)")
    known = configured_profiles(env)
    chosen = list(names) if names else known
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise OrganisationError(f"no profile {', '.join(map(repr, unknown))} in the config file; its profiles: "
                                f"{', '.join(known) or 'none'}")
    if not chosen:
        raise OrganisationError("the config file lists no organisation: add a [profile.NAME] table, or a NAME.toml in "
                                "profiles.d/ beside recon.toml, for each client")
    return [{"profile": name} for name in chosen]


def _parameters(run: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    sync = {"profile": run["profile"], "run_id": run["run_id"], "policy": run["policy"], "reports_dir": run["reports_dir"]}
    report = {"profile": run["profile"], "run_id": run["run_id"], "reports_dir": run["reports_dir"]}
    return sync, report


def start_run(organisation: Mapping[str, str], *, run_id: str = "", clock: Clock = utc_now) -> dict[str, str]:
    """Check one organisation's settings, its policy and both notebooks' parameters, then create its run folder;
    return the run (``profile``, ``policy``, ``run_id``, ``reports_dir``) the next steps take. Nothing is
    fetched or written to a service."""
    from recon.runner import RunError, check_parameters, resolve_notebook

    profile = organisation["profile"]
    try:
        settings = load_settings(profile)
    except ReconError as exc:
        raise OrganisationError(f"{profile}: {exc}") from None
    if not settings.policy:
        raise OrganisationError(f"{profile}: no approval policy for unattended runs: set policy = \"...\" in its table "
                                "or in [defaults] of recon.toml (for example xero_to_precoro_reference)")
    folder = RunFolder.create(settings.reports_dir, run_id or new_run_id(clock()))
    run = {"profile": profile, "policy": settings.policy, "run_id": folder.run_id, "reports_dir": str(folder.reports_dir)}
    sync, report = _parameters(run)
    try:
        check_parameters(resolve_notebook(SYNC), sync)
        check_parameters(resolve_notebook(REPORT), report)
    except RunError as exc:
        raise OrganisationError(f"{profile}: {exc}") from None
    return run


def _parse(stamp: str) -> datetime | None:
    try:
        return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) if stamp else None
    except ValueError:
        return None


def sync_organisation(run: Mapping[str, str], *, timeout: float = 900.0, clock: Clock = utc_now) -> SyncResult:
    """Run ``sync.ipynb`` for one organisation under its policy into its run folder (see the module docstring
    for how it ends). Running it again for the same run resumes it: the plan already made, the decisions
    already recorded and the actions already applied are kept."""
    from recon.runner import CellError, RunError, run_notebook

    profile, sync = run["profile"], _parameters(run)[0]
    folder = RunFolder(Path(run["reports_dir"]) / run["run_id"])
    try:
        run_notebook(SYNC, sync, run_id=run["run_id"], reports_dir=run["reports_dir"], timeout=timeout)
    except CellError as exc:
        stopped = folder.stopped()
        if (stopped and stopped.get("reason") == "day_limit") or exc.ename == "DailyLimitError":
            resume = _parse((stopped or {}).get("resume_at", "")) or clock() + DEFAULT_DEFERRAL
            return SyncResult(profile, run["run_id"], "deferred",
                              f"{profile}: deferred until {resume:%Y-%m-%d %H:%M} UTC: {exc.evalue}", resume)
        kind = RetryableOrganisationError if exc.ename in RETRYABLE_ERRORS else OrganisationError
        raise kind(f"{profile}: {exc}") from None
    except RunError as exc:
        raise OrganisationError(f"{profile}: {exc}") from None
    status = run_status(folder)
    return SyncResult(profile, run["run_id"], status.status, f"{profile}: {status.detail}")


def report_organisation(run: Mapping[str, str], *, timeout: float = 900.0) -> str:
    """Run ``audit_report.ipynb`` into the organisation's run folder; return the path of its ``audit.html``."""
    from recon.runner import RunError, run_notebook

    try:
        result = run_notebook(REPORT, _parameters(run)[1], run_id=run["run_id"], reports_dir=run["reports_dir"],
                              timeout=timeout)
    except RunError as exc:
        raise OrganisationError(f"{run['profile']}: the audit report: {exc}") from None
    return str(result.html)


# ---- the firm's summary -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class FirmRow:
    """One organisation in the firm's summary (plain values: a table row, a JSON object, a CSV line)."""

    organisation: str
    status: str
    detail: str
    run_id: str = ""
    started_at: str = ""
    finished_at: str = ""
    applied: int = 0
    failed: int = 0
    refused: int = 0
    skipped: int = 0
    differences: int = 0
    #: actions of the run's plan that nobody (no person, no policy) has decided on: waiting for approval
    waiting: int = 0
    report: str = ""
    policy: str = ""
    resume_at: str = ""

    @classmethod
    def of(cls, organisation: str, status: RunStatus | None, policy: str = "") -> "FirmRow":
        if status is None:
            return cls(organisation, "no runs", "no run yet", policy=policy)
        counts = status.outcome
        return cls(organisation, status.status, status.detail, status.run_id, status.started_at, status.finished_at,
                   counts.get("applied", 0), counts.get("failed", 0), counts.get("refused", 0),
                   counts.get("skipped", 0), status.differences, status.undecided,
                   str(status.report) if status.report else "", policy, status.resume_at)


def firm_rows(runs: Sequence[Mapping[str, str]] | None = None, names: Sequence[str] | None = None,
              env: Mapping[str, str] | None = None) -> list[FirmRow]:
    """One row per organisation. With ``runs`` (what :func:`start_run` returned tonight), each row is that run,
    and every organisation of ``names`` (default: the config file's) without one says its run did not start;
    without, each row is the organisation's last run (the workbench's view)."""
    env = os.environ if env is None else env
    wanted = list(names) if names else configured_profiles(env)
    tonight = {run["profile"]: run for run in runs or []}
    rows = []
    for name in dict.fromkeys(wanted + list(tonight)):
        try:
            settings = load_settings(name, env=env)
        except ReconError as exc:
            rows.append(FirmRow(name, "failed", f"settings: {exc}"))
            continue
        if runs is not None:
            run = tonight.get(name)
            if run is None:
                rows.append(FirmRow(name, "failed", "its run did not start (see the scheduler's log of start_run)",
                                    policy=settings.policy))
                continue
            folder = RunFolder(Path(run["reports_dir"]) / run["run_id"])
            status = run_status(folder) if folder.run_info() else None
            rows.append(FirmRow.of(name, status, settings.policy) if status else
                        FirmRow(name, "failed", "its sync did not start (see the scheduler's log of sync)",
                                run["run_id"], policy=settings.policy))
        else:
            rows.append(FirmRow.of(name, last_run(settings.reports_dir), settings.policy))
    return rows


def waiting_actions(names: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> "Any":
    """Every action of each organisation's last run that waits for a decision, as a DataFrame (organisation,
    run, kind, operation, record, target system, reason): what the accountants approve in ``reconcile.ipynb``."""
    import pandas as pd

    env = os.environ if env is None else env
    rows = []
    for name in (list(names) if names else configured_profiles(env)):
        try:
            status = last_run(load_settings(name, env=env).reports_dir)
        except ReconError:
            continue
        if status is None or not status.undecided:
            continue
        folder = RunFolder(status.folder)
        decided = {line.get("action_id") for line in folder.approvals() or []}
        for action in folder.plan().actions:
            if action.id not in decided:
                rows.append({"organisation": name, "run_id": status.run_id, "object": action.kind, "action": action.op,
                             "record": action.label or action.id, "into": action.target, "reason": action.reason})
    return pd.DataFrame(rows, columns=["organisation", "run_id", "object", "action", "record", "into", "reason"])


def firm_frame(rows: Sequence[FirmRow]) -> "Any":
    """The rows as a DataFrame, in the summary's column order."""
    import pandas as pd

    return pd.DataFrame([asdict(row) for row in rows], columns=[f.name for f in fields(FirmRow)])


def firm_view(rows: Sequence[FirmRow]) -> "Any":
    """The summary for the notebook: one row per organisation in the accountants' words, each report a link,
    every value escaped."""
    frame = firm_frame(rows)[["organisation", "status", "run_id", "applied", "failed", "refused", "waiting",
                              "differences", "detail", "report"]]
    frame = frame.rename(columns={"run_id": "last run", "waiting": "waiting for approval"})

    def link(path: str) -> str:
        return f'<a href="{html.escape(Path(path).as_uri())}" target="_blank">audit report</a>' if path else "-"

    return (frame.style.hide(axis="index").format(escape="html").format({"report": link}, escape=None)
            .map(lambda s: "background:#fde8e8" if s in ("failed", "failures") else
                 ("background:#fff6db" if s in ("deferred", "waiting") else ""), subset=["status"]))


def headline(rows: Sequence[FirmRow]) -> str:
    """``3 organisations: 2 synced, 1 deferred; 4 actions waiting for approval``."""
    by_status: dict[str, int] = {}
    for row in rows:
        by_status[row.status] = by_status.get(row.status, 0) + 1
    waiting = sum(row.waiting for row in rows)
    parts = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
    return (f"{len(rows)} organisation{'s' if len(rows) != 1 else ''}: {parts or 'none'}; "
            f"{waiting} action{'s' if waiting != 1 else ''} waiting for approval")


_CSS = ("body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
        "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}td.n{text-align:right}"
        "tr.failed td,tr.failures td{background:#fde8e8}tr.deferred td,tr.waiting td{background:#fff6db}")


def summary_html(rows: Sequence[FirmRow], *, title: str, written_at: str) -> str:
    """The summary as one self-contained HTML page; every value escaped, each report a link."""
    head = ("organisation", "status", "run", "applied", "failed", "refused", "waiting for approval", "differences",
            "detail", "report")
    body = []
    for r in rows:
        link = f'<a href="{html.escape(Path(r.report).as_uri())}">audit report</a>' if r.report else "-"
        cells = [html.escape(r.organisation), html.escape(r.status), html.escape(r.run_id or "-")] + \
            [f'<td class="n">{n}</td>' for n in (r.applied, r.failed, r.refused, r.waiting, r.differences)] + \
            [html.escape(r.detail), link]
        body.append(f'<tr class="{html.escape(r.status.replace(" ", "-"))}">' +
                    "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in cells) + "</tr>")
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(headline(rows))}. Written {html.escape(written_at)}.</p><table><thead><tr>"
            + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr></thead><tbody>" + "".join(body)
            + "</tbody></table></body></html>\n")


def write_summary(rows: Sequence[FirmRow], folder: Path | str | None = None, *, clock: Clock = utc_now,
                  title: str = "recon: the firm's last runs") -> dict[str, str]:
    """Write ``summary.html``, ``summary.csv`` and ``summary.json`` into ``<summary_dir>/<stamp>/`` and copy them
    to ``latest.*`` beside it (renamed into place: a reader never sees half a file). Returns the paths."""
    root = Path(folder) if folder else firm_summary_dir()
    now = clock()
    night = root / now.astimezone(timezone.utc).strftime("%Y%m%d-%H%M%S")
    make_dir(night)  # the firm's summary names every client: private like their run folders
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[f.name for f in fields(FirmRow)], lineterminator="\n")
    writer.writeheader()
    writer.writerows(asdict(row) for row in rows)
    texts = {"html": summary_html(rows, title=title, written_at=iso(now)), "csv": buffer.getvalue(),
             "json": json.dumps({"written_at": iso(now), "headline": headline(rows),
                                 "organisations": [asdict(row) for row in rows]}, indent=2, ensure_ascii=False) + "\n"}
    paths = {}
    for kind, text in texts.items():
        paths[kind] = str(replace_private(night / f"summary.{kind}", text))
        replace_private(root / f"latest.{kind}", text)
    return paths
