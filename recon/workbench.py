"""What the notebooks call around the core: settings with the sandbox when needed, and the run-folder files
the audit report reads (``run.json``, ``approvals.jsonl``, ``outcome.json``, ``integrity.json``).

Kept apart from the core so notebooks stay thin: every notebook cell is one or two calls into recon.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, is_dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from recon.config import Settings, load_settings
from recon.reconcile.model import Decision, Outcome
from recon.report import scrub

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(at: datetime) -> str:
    """ISO-8601 UTC to the second (``2026-03-01T09:05:07Z``)."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_folder(settings: Settings, run_id: str, reports_dir: str | Path | None = None) -> Path:
    """``<reports_dir>/<run_id>/``, created. ``reports_dir`` defaults to the settings' reports directory."""
    from recon.runner import check_run_id

    folder = Path(reports_dir or settings.reports_dir) / check_run_id(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def record_run(folder: Path, *, run_id: str, settings: Settings, parameters: Mapping[str, Any], notebook: str,
               clock: Clock = utc_now) -> dict[str, Any]:
    """Write ``run.json``: who runs what, when, with which parameters, against what (no secret: the settings
    are described by :meth:`Settings.describe`, and secret-looking parameter names are dropped)."""
    path = Path(folder) / "run.json"
    previous = json.loads(path.read_text()) if path.is_file() else {}
    info = {
        "run_id": run_id,
        "user": settings.user,
        "started_at": previous.get("started_at") or iso(clock()),
        "notebook": notebook if not previous.get("notebook") else f"{previous['notebook']}, {notebook}",
        "settings": settings.describe(),
        "parameters": scrub({**previous.get("parameters", {}), **{k: v for k, v in parameters.items()}}),
    }
    _write_json(path, info)
    return info


def finish_run(folder: Path, clock: Clock = utc_now) -> None:
    """Stamp ``finished_at`` into ``run.json``."""
    path = Path(folder) / "run.json"
    info = json.loads(path.read_text()) if path.is_file() else {}
    info["finished_at"] = iso(clock())
    _write_json(path, info)


def save_decisions(folder: Path, decisions: Iterable[Decision | Mapping[str, Any]]) -> Path:
    """Write ``approvals.jsonl``: one decision per line, sorted by time then action id."""
    rows = [d.to_dict() if isinstance(d, Decision) else dict(d) for d in decisions]
    rows.sort(key=lambda d: (str(d.get("at", "")), str(d.get("action_id", ""))))
    path = Path(folder) / "approvals.jsonl"
    path.write_text("".join(json.dumps(scrub(r), sort_keys=True, ensure_ascii=False, default=str) + "\n"
                            for r in rows), encoding="utf-8")
    return path


def save_outcome(folder: Path, outcome: Outcome) -> Path:
    path = Path(folder) / "outcome.json"
    path.write_text(outcome.to_json(), encoding="utf-8")
    return path


def save_integrity(folder: Path, result: Any) -> Path:
    """Write ``integrity.json`` from what the store's ``verify()`` returned (a mapping, a dataclass, a bool),
    or from the :class:`~recon.errors.IntegrityError` it raised."""
    if isinstance(result, BaseException):
        body: dict[str, Any] = {"ok": False, "message": str(result)}
    elif isinstance(result, Mapping):
        body = dict(result)
    elif is_dataclass(result) and not isinstance(result, type):
        body = asdict(result)
    elif isinstance(result, bool):
        body = {"ok": result}
    else:
        body = {"ok": bool(getattr(result, "ok", result)), "message": str(getattr(result, "message", ""))}
    path = Path(folder) / "integrity.json"
    _write_json(path, scrub(body))
    return path


def _write_json(path: Path, body: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)  # never a half-written file for the report to read


def latest_run(reports_dir: Path) -> str:
    """The newest run id in ``reports_dir`` (run ids sort by time)."""
    from recon.errors import ConfigError

    runs = sorted(p.name for p in Path(reports_dir).iterdir() if p.is_dir()) if Path(reports_dir).is_dir() else []
    if not runs:
        raise ConfigError(f"no runs in {reports_dir}; give run_id")
    return runs[-1]


def previous_snapshot_folder(reports_dir: Path, run_id: str) -> Path | None:
    """The newest earlier run folder holding a snapshot (the base of an incremental fetch)."""
    root = Path(reports_dir)
    if not root.is_dir():
        return None
    earlier = sorted(p for p in root.iterdir() if p.is_dir() and p.name < run_id and (p / "snapshot.json").is_file())
    return earlier[-1] if earlier else None


class Session:
    """One run as the notebooks see it: settings (with a sandbox when needed), the run folder, the state store.

    ``Session.open(...)`` prints what it connects to; each step writes its files into the run folder, so the
    audit report can be rebuilt from the folder alone.
    """

    def __init__(self, settings: Settings, folder: Path, run_id: str, store: Any, clock: Clock,
                 stack: contextlib.ExitStack) -> None:
        self.settings, self.folder, self.run_id, self.store, self.clock = settings, folder, run_id, store, clock
        self._stack = stack

    @classmethod
    def open(cls, *, run_id: str, notebook: str, parameters: Mapping[str, Any], profile: str = "",
             reports_dir: str | Path = "", clock: Clock = utc_now, seed: str = "demo") -> "Session":
        """Connect (starting a sandbox in this kernel when nothing else is configured), record the run."""
        from recon.runner import new_run_id
        from recon.store import Store

        stack = contextlib.ExitStack()
        settings = load_settings(profile or None)
        own_sandbox = settings.needs_sandbox
        if own_sandbox:
            from recon.sandbox import Sandbox

            sb = stack.enter_context(Sandbox(seed=seed))
            settings = settings.with_sandbox_urls(sb.xero_url, sb.precoro_url)
        run_id = run_id or new_run_id(clock())
        folder = run_folder(settings, run_id, reports_dir or None)
        # A sandbox started here lives as long as this kernel: its store must too, or links would point at
        # records of an earlier sandbox.
        store = stack.enter_context(Store(folder / "state.sqlite" if own_sandbox else settings.state_path))
        if own_sandbox and seed == "demo" and store.links().empty:
            from recon.sandbox import demo

            store.seed(links=demo.links(), baselines=demo.baseline())
        record_run(folder, run_id=run_id, settings=settings, parameters=parameters, notebook=notebook, clock=clock)
        where = " (built-in sandbox with demo data started in this process)" if own_sandbox else ""
        print(f"run {run_id}: {settings.describe()}{where}\nrun folder: {folder}")
        return cls(settings, folder, run_id, store, clock, stack)

    def stamp(self) -> str:
        return iso(self.clock())

    def fetch(self, kinds: Iterable[str], full: bool = False, progress: bool = True) -> Any:
        """Fetch into a snapshot saved in the run folder (incremental from the previous run unless ``full``)."""
        from recon.fetch import fetch
        from recon.snapshot import Snapshot

        prev_folder = None if full else previous_snapshot_folder(self.folder.parent, self.run_id)
        previous = Snapshot.load(prev_folder) if prev_folder else None
        snap = fetch(self.settings, tuple(kinds), full=full or previous is None, previous=previous, progress=progress)
        snap.save(self.folder)
        return snap

    def reconcile(self, snap: Any, kinds: Iterable[str]) -> Any:
        """Reconcile against the store's links and baselines; write differences, plan and summary."""
        from recon.outputs import write_outputs
        from recon.reconcile import reconcile

        kinds = tuple(kinds)
        rec = reconcile(snap, kinds=kinds, links=self.store.links(), baselines=self.store.baselines(kinds),
                        run_id=self.run_id)
        self.store.record_agreed(rec.agreed, at=self.stamp())  # what both sides hold equal is their baseline now
        write_outputs(rec, self.folder)
        return rec

    def plan(self) -> Any:
        """The plan already in the run folder, or None."""
        from recon.reconcile.model import Plan

        path = self.folder / "plan.json"
        return Plan.from_json(path.read_text(encoding="utf-8")) if path.is_file() else None

    def plan_or_reconcile(self, kinds: Iterable[str], full: bool = False) -> Any:
        """The run's plan when the folder has one (made earlier, perhaps approved in JupyterLab), else the plan
        of a fresh fetch and reconcile."""
        plan = self.plan()
        if plan is not None:
            print(f"carrying out the plan of run {self.run_id} ({len(plan.actions)} actions)")
            return plan
        rec = self.reconcile(self.fetch(kinds, full=full, progress=False), kinds)
        print(rec.message)
        return rec.plan

    def finish(self) -> None:
        """Stamp the run's end in ``run.json``."""
        finish_run(self.folder, self.clock)

    def approvals(self, plan: Any) -> Any:
        """The approval model of ``plan`` (decisions go to the store at once)."""
        from recon.approve import ApprovalModel

        return ApprovalModel(plan, self.store, self.settings.user, self.stamp)

    def approve_by_policy(self, plan: Any, policy: str) -> list[Decision]:
        """Approve the pending actions ``policy`` allows (``"none"`` approves nothing); save the decisions."""
        from recon.approve import Policy, apply_policy

        decisions = apply_policy(self.approvals(plan), Policy.parse(policy))
        self.save_approvals(plan)
        return decisions

    def save_approvals(self, plan: Any) -> Path:
        """Copy the store's decisions on ``plan`` into ``approvals.jsonl`` and the chain check into ``integrity.json``."""
        save_integrity(self.folder, self.store.verify())
        return save_decisions(self.folder, self.store.decisions(plan.fingerprint))

    def apply(self, plan: Any, dry_run: bool = False, progress: bool = True) -> Outcome:
        """Carry out the approved actions; write ``outcome.json``, ``approvals.jsonl``, ``integrity.json``."""
        from recon.apply import apply_plan
        from recon.connectors import open_connectors

        with open_connectors(self.settings) as conns:
            outcome = apply_plan(plan, self.store, conns, dry_run=dry_run, run_id=self.run_id, clock=self.stamp,
                                 progress=progress, profile=self.settings.profile, user=self.settings.user)
        save_outcome(self.folder, outcome)
        self.save_approvals(plan)
        self.finish()
        return outcome

    def close(self) -> None:
        self._stack.close()


def report_folder(run_id: str = "", reports_dir: str | Path = "", profile: str = "") -> Path:
    """The run folder the audit report is about (``run_id`` empty: the latest run)."""
    root = Path(reports_dir or load_settings(profile or None).reports_dir)
    return root / (run_id or latest_run(root))
