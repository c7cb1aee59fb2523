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
from typing import Any, Callable, Iterable, Iterator, Mapping

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


@contextlib.contextmanager
def connected(profile: str | None = None, *, seed: str = "demo") -> Iterator[Settings]:
    """Settings ready to use. When a system is on the sandbox and no running sandbox was named (by
    ``RECON_SANDBOX_XERO_URL``/``RECON_SANDBOX_PRECORO_URL``), start one in this process for the duration."""
    settings = load_settings(profile)
    needs = (settings.xero.sandbox and not settings.xero.api_url) or \
            (settings.precoro.sandbox and not settings.precoro.base_url)
    if not needs:
        yield settings
        return
    from recon.sandbox import Sandbox

    with Sandbox(seed=seed) as sb:
        print(f"No credentials configured: using recon's built-in sandbox ({seed} data).")
        yield settings.with_sandbox_urls(sb.xero_url, sb.precoro_url)


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
