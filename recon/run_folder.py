"""The run folder ``<reports>/<run_id>/``: the one writer and reader of its files, and the one "latest run" rule.

================  =========================================================================================
``run.json``      who runs what, when, with which parameters, against what (:meth:`RunFolder.record_run`)
snapshot          ``<system>_<frame>.parquet``, ``raw/<system>_<frame>.jsonl`` (JSON Lines, streamed by the fetch;
                  ``raw/<system>_<frame>.json``, one JSON array, in snapshots written before: still read),
                  ``snapshot.json``
``differences.csv``, ``plan.json``, ``summary.json``, ``rounding.csv``   what reconcile found and proposes (a
                  revert's folder holds its reverse ``plan.json`` alone)
``changed_in_xero.csv``  documents recon sent to Xero and someone changed there since (:mod:`recon.sent`)
``approvals.jsonl``  the state store's decisions on the plan, one JSON object per line (never fewer than it held)
``outcome.json``  what an apply did (a dry run writes none)
``integrity.json``  the approvals-chain check of the state store
notebooks         ``<name>.ipynb`` and ``<name>.html`` of ``recon run``; ``audit.html``
``state.sqlite``  the state of a sandbox a kernel started for itself (that sandbox lives as long as the kernel)
================  =========================================================================================

**The latest run** of a reports folder is the run whose ``run.json`` has the latest ``started_at`` (ties: the
greater run id); a folder without ``run.json`` is not a run. The same order finds the snapshot an
incremental fetch starts from: the latest earlier run holding one, made against the same sandbox.

Folders are made 0700 and files 0600 (:mod:`recon.private`), whatever the umask.

Run ids are ``YYYYMMDD-HHMMSS-xxxx`` in UTC (:func:`new_run_id`); any name usable as a folder is accepted.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from dataclasses import asdict, is_dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import pandas as pd

from recon import raw_file
from recon.errors import ConfigError, StoreError
from recon.private import make_dir, make_file, open_private, replace_private
from recon.reconcile.model import Decision, Outcome, Plan, canonical_json

if TYPE_CHECKING:
    from recon.config import Settings
    from recon.reconcile.model import Reconciliation
    from recon.snapshot import Snapshot

Clock = Callable[[], datetime]

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
RUN_INFO = "run.json"
SNAPSHOT_META = "snapshot.json"
RAW = "raw"
DIFFERENCES = "differences.csv"
PLAN = "plan.json"
SUMMARY = "summary.json"
ROUNDING = "rounding.csv"
CHANGED_IN_XERO = "changed_in_xero.csv"
APPROVALS = "approvals.jsonl"
OUTCOME = "outcome.json"
INTEGRITY = "integrity.json"
SANDBOX_STATE = "state.sqlite"
RECONCILE_FILES = (DIFFERENCES, PLAN, SUMMARY, ROUNDING)
#: A folder with none of these is not a run folder.
RUN_FILES = (RUN_INFO, SNAPSHOT_META, DIFFERENCES, PLAN)
#: the ``sandbox`` of run.json for a sandbox that lived in the run's own process
OWN_SANDBOX = "own"


class RunIdError(ConfigError):
    """A run id that cannot be a folder name."""


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(at: datetime) -> str:
    """ISO-8601 UTC to the second (``2026-03-01T09:05:07Z``)."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_run_id(now: datetime | None = None, suffix: str | None = None) -> str:
    """``YYYYMMDD-HHMMSS-xxxx`` in UTC: sortable, safe as a folder name. Both parts are injectable."""
    now = (now or utc_now()).astimezone(timezone.utc)
    return f"{now:%Y%m%d-%H%M%S}-{suffix if suffix is not None else secrets.token_hex(2)}"


def check_run_id(run_id: str) -> str:
    if not RUN_ID.match(run_id or ""):
        raise RunIdError(f"run id {run_id!r} is not usable as a folder name (letters, digits, '.', '_', '-')")
    return run_id


def _writable_dir(path: Path) -> bool:
    """Whether a file can be made in the folder ``path`` (tried: root passes ``os.access`` on a read-only
    mount or an immutable folder)."""
    try:
        with tempfile.TemporaryFile(dir=path):
            return True
    except OSError:
        return False


def _scrub(value: Any) -> Any:
    from recon.report import scrub

    return scrub(value)


def _write_text(path: Path, text: str) -> Path:
    """Write whole or not at all (:func:`~recon.private.replace_private`), the folder made first."""
    make_dir(path.parent)
    return replace_private(path, text)


def _write_json(path: Path, body: Any) -> Path:
    return _write_text(path, json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n")


class RunFolder:
    """One run's folder. Every file in it is written and read through here."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RunFolder) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    @classmethod
    def create(cls, reports_dir: Path | str, run_id: str) -> "RunFolder":
        """``<reports_dir>/<run_id>/``, created."""
        folder = cls(Path(reports_dir) / check_run_id(run_id))
        try:
            make_dir(folder.path)
        except OSError as exc:
            raise ConfigError(f"cannot make the run folder {folder.path}: {exc.strerror or exc}") from None
        return folder

    @classmethod
    def usable(cls, reports_dir: Path | str, run_id: str, *, setting: str = "the reports folder") -> "RunFolder":
        """``<reports_dir>/<run_id>/`` as it will be, made nowhere yet: a :class:`ConfigError` naming ``setting``
        when it could not be made (a file where a folder must be, a folder that cannot be written)."""
        folder = cls(Path(reports_dir) / check_run_id(run_id))
        probe = folder.path
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if not probe.is_dir():
            raise ConfigError(f"{probe} is a file, not a folder: the run folder {folder.path} cannot be made there "
                              f"(check {setting})")
        if not os.access(probe, os.W_OK | os.X_OK) or not _writable_dir(probe):
            raise ConfigError(f"{probe} cannot be written: the run folder {folder.path} cannot be made there "
                              f"(check {setting})")
        return folder

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def reports_dir(self) -> Path:
        return self.path.parent

    def file(self, name: str) -> Path:
        return self.path / name

    def is_run(self) -> bool:
        return self.path.is_dir() and any((self.path / n).is_file() for n in RUN_FILES)

    # -- run.json ----------------------------------------------------------------------------------------
    def run_info(self) -> dict[str, Any]:
        """``run.json`` (``{}`` when the folder has none)."""
        return self._json(RUN_INFO) or {}

    def record_run(self, *, settings: "Settings", parameters: Mapping[str, Any], notebook: str,
                   clock: Clock = utc_now, sandbox: str = "") -> dict[str, Any]:
        """Write ``run.json``: who runs what, when, with which parameters, against what. No secret: the settings
        appear as :meth:`Settings.describe`, secret-looking parameter names are dropped. A later step of the
        same run keeps ``started_at`` and adds its notebook and parameters."""
        previous = self.run_info()
        info = {
            "run_id": self.run_id,
            "user": settings.user,
            "profile": settings.profile,
            "state": str(settings.state_path),
            "sandbox": previous.get("sandbox") or sandbox,
            "started_at": previous.get("started_at") or iso(clock()),
            "notebook": notebook if not previous.get("notebook") else
            (previous["notebook"] if notebook in previous["notebook"].split(", ") else f"{previous['notebook']}, {notebook}"),
            "settings": settings.describe(),
            "timezone": settings.timezone,
            "require_second_approver": settings.require_second_approver,
            "parameters": _scrub({**previous.get("parameters", {}), **dict(parameters)}),
        }
        if "finished_at" in previous:
            info["finished_at"] = previous["finished_at"]
        _write_json(self.file(RUN_INFO), info)
        return info

    def finish_run(self, clock: Clock = utc_now) -> None:
        """Stamp ``finished_at`` into ``run.json``."""
        info = self.run_info()
        info["finished_at"] = iso(clock())
        info.pop("stopped", None)
        _write_json(self.file(RUN_INFO), info)

    def record_stop(self, *, reason: str, message: str, resume_at: datetime | None, clock: Clock = utc_now) -> None:
        """Say in ``run.json`` why the run stopped before it finished (``day_limit``) and when it can resume; the
        next step of the run (:meth:`record_run`) or its finish clears it."""
        info = self.run_info()
        info["stopped"] = {"reason": reason, "message": _scrub(message), "at": iso(clock()),
                           "resume_at": iso(resume_at) if resume_at else ""}
        _write_json(self.file(RUN_INFO), info)

    def stopped(self) -> dict[str, Any] | None:
        """Why the run stopped (``{"reason", "message", "at", "resume_at"}``), or None."""
        return self.run_info().get("stopped") or None

    def notebook_error(self, name: str) -> tuple[str, str] | None:
        """The error (name, message) the executed notebook ``name`` stopped on, or None (no error, no notebook)."""
        import nbformat

        path = self.file(Path(name).name)
        if not path.is_file():
            return None
        try:
            nb = nbformat.read(path, as_version=4)
        except (OSError, ValueError) as exc:  # a notebook papermill is writing right now
            return ("unreadable", str(exc))
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    return (str(output.get("ename", "")), str(output.get("evalue", "")))
        return None

    # -- the snapshot ------------------------------------------------------------------------------------
    def has_snapshot(self) -> bool:
        return self.file(SNAPSHOT_META).is_file()

    def raw_file(self, system: str, name: str) -> Path:
        """Where the raw payloads of ``system``'s ``name`` go (JSON Lines, :mod:`recon.raw_file`)."""
        return self.path / RAW / f"{system}_{name}{raw_file.LINES}"

    def raw_writer(self, system: str, name: str, *, durable: bool = True, owner: Any = None) -> "raw_file.RawWriter":
        """The one writer of ``raw/<system>_<name>.jsonl``: a fetch appends each page as it arrives, and the
        file is put in place when the kind is complete (:class:`recon.raw_file.RawWriter`)."""
        make_dir(self.path / RAW)
        return raw_file.RawWriter(self.raw_file(system, name), system, name, durable=durable, owner=owner)

    def save_snapshot(self, snap: "Snapshot") -> list[Path]:
        """Every frame as Parquet, the raw payloads as JSON Lines, the metadata; returns the Parquet paths. Raw
        payloads a fetch already streamed into this folder are left as they are; others (held in memory, or in
        another folder) are written through the same writer."""
        make_dir(self.path / RAW)
        paths = []
        for (system, name), df in sorted(snap.frames.items()):
            path = self.file(f"{system}_{name}.parquet")
            with open_private(path, "wb") as fh:
                df.to_parquet(fh, index=False)
            paths.append(path)
        for (system, name), payload in sorted(snap.raw.items()):
            if isinstance(payload, raw_file.RawRecords) and payload.path == self.raw_file(system, name):
                continue
            writer = self.raw_writer(system, name)
            try:
                writer.copy(payload)
            except BaseException:
                writer.abort()
                raise
            writer.finish()
        _write_text(self.file(SNAPSHOT_META), json.dumps(snap.meta, indent=2, sort_keys=True, default=str))
        return paths

    def load_snapshot(self) -> "Snapshot":
        """The snapshot saved here (frames conformed to the canonical schema again; raw payloads read when asked
        for, in either format)."""
        import pyarrow.parquet as pq

        from recon import schema
        from recon.snapshot import Snapshot

        snap = Snapshot()
        for path in sorted(self.path.glob("*_*.parquet")):
            system, name = path.stem.split("_", 1)
            if system in schema.SYSTEMS and name in schema.FRAMES:
                # one chunk a column (read_table's scanner gave four a line frame), decoded in this thread (worker
                # threads left their frames' memory in arenas of their own: ~10 MiB more at the reconcile's peak)
                with pq.ParquetFile(path) as parquet:
                    snap.frames[(system, name)] = schema.from_arrow(parquet.read(use_threads=False), name, system=system)
        raw = self.path / RAW
        # the old format first, so that a file of the new format (the later write) wins where both are
        for suffix in (raw_file.ARRAY, raw_file.LINES):
            for path in sorted(raw.glob(f"*_*{suffix}")) if raw.is_dir() else []:
                system, name = path.stem.split("_", 1)
                snap.raw[(system, name)] = raw_file.RawRecords(path, system, name)
        snap.meta = self._json(SNAPSHOT_META) or {}
        return snap

    def snapshot_meta(self) -> dict[str, Any] | None:
        return self._json(SNAPSHOT_META)

    def snapshot_counts(self) -> pd.DataFrame:
        """Rows per saved frame (``system``, ``frame``, ``rows``), read from the Parquet footers only."""
        import pyarrow.parquet as pq

        rows = []
        for path in sorted(self.path.glob("*_*.parquet")):
            system, frame = path.stem.split("_", 1)
            rows.append({"system": system, "frame": frame, "rows": pq.ParquetFile(path).metadata.num_rows})
        return pd.DataFrame(rows, columns=["system", "frame", "rows"])

    # -- what reconcile found ----------------------------------------------------------------------------
    def write_reconciliation(self, rec: "Reconciliation") -> list[Path]:
        """``differences.csv``, ``plan.json``, ``summary.json``, ``rounding.csv``: byte-identical for the same
        input."""
        from recon.reconcile.output import summary

        make_dir(self.path)
        paths = [self.file(n) for n in RECONCILE_FILES]
        _write_text(paths[0], rec.differences.to_csv(index=False, lineterminator="\n"))
        _write_text(paths[1], rec.plan.to_json())
        _write_text(paths[2], json.dumps(summary(rec), indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        _write_text(paths[3], rec.rounding.to_csv(index=False, lineterminator="\n"))
        return paths

    def write_reverse_plan(self, plan: Plan) -> Path:
        """``plan.json`` alone, for a reverse plan (``recon revert``): no reconcile made it, so there are no
        differences beside it."""
        if not plan.reverts:
            raise ValueError("only a reverse plan is written without the reconcile that makes a plan")
        self.path.mkdir(parents=True, exist_ok=True)
        return _write_text(self.file(PLAN), plan.to_json())

    def write_changed_in_xero(self, changed: pd.DataFrame) -> Path:
        """``changed_in_xero.csv``: what :func:`recon.sent.changed_in_xero` found (written every reconcile, empty
        or not)."""
        self.path.mkdir(parents=True, exist_ok=True)
        return _write_text(self.file(CHANGED_IN_XERO), changed.to_csv(index=False, lineterminator="\n"))

    def changed_in_xero(self) -> pd.DataFrame | None:
        path = self.file(CHANGED_IN_XERO)
        return pd.read_csv(path, dtype=str, keep_default_na=False) if path.is_file() else None

    def plan(self) -> Plan | None:
        """The plan of this run, or None when it has none."""
        path = self.file(PLAN)
        if not path.is_file():
            return None
        from recon.errors import PlanError
        from recon.plan_file import parse_plan

        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PlanError(f"cannot read plan {path}: {exc}") from None
        return parse_plan(text, path)  # checked field by field: a plan file is text anyone may have edited

    def differences(self) -> pd.DataFrame | None:
        path = self.file(DIFFERENCES)
        return pd.read_csv(path, dtype=str, keep_default_na=False) if path.is_file() else None

    def summary(self) -> Any:
        return self._json(SUMMARY)

    def rounding(self) -> pd.DataFrame | None:
        path = self.file(ROUNDING)
        if not path.is_file() or not path.read_text(encoding="utf-8").strip():
            return None  # empty, or a lone newline: no analysis written
        return pd.read_csv(path, dtype=str, keep_default_na=False)

    # -- decisions, outcome, integrity -------------------------------------------------------------------
    def approvals(self) -> list[dict[str, Any]] | None:
        """The lines of ``approvals.jsonl`` (None when there is no such file)."""
        path = self.file(APPROVALS)
        if not path.is_file():
            return None
        rows = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except ValueError as exc:
                    raise ConfigError(f"{path} line {n} is not valid JSON: {exc}") from None
        return rows

    def write_approvals(self, decisions: Iterable[Decision | Mapping[str, Any]], *, source: str = "") -> Path:
        """Write ``approvals.jsonl`` from the state store's decisions on the plan, one per line in the order
        they were recorded. Refuses to drop a decision the file already holds: a store that lacks decisions
        this run recorded is not the store the run was made with (``source`` names it in the message)."""
        rows = [d.to_dict() if isinstance(d, Decision) else dict(d) for d in decisions]
        lines = [canonical_json(_scrub(r)) for r in rows]
        held = [canonical_json(_scrub(r)) for r in self.approvals() or []]
        have = set(lines)  # once: a set per line made 10,000 decisions quadratic
        lost = [line for line in held if line not in have]
        if lost:
            raise StoreError(f"{self.file(APPROVALS)} holds {len(lost)} decision(s) that the state store "
                             f"{source or ''} does not; not overwriting it with fewer (is this the profile and "
                             "state the run was made with?)".replace("  ", " "))
        return _write_text(self.file(APPROVALS), "".join(line + "\n" for line in lines))

    def outcome(self) -> Outcome | None:
        body = self._json(OUTCOME)
        if body is None:
            return None
        try:
            return Outcome.from_json(json.dumps(body))
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"{self.file(OUTCOME)} is not an outcome recon wrote: {exc!r} is missing or "
                              "wrong") from None

    def write_outcome(self, outcome: Outcome) -> Path:
        """``outcome.json``. A dry run is never written: it would stand in for what was really applied."""
        if outcome.dry_run:
            raise ValueError("a dry run's outcome is shown, never written into the run folder")
        return _write_text(self.file(OUTCOME), outcome.to_json())

    def integrity(self) -> dict[str, Any] | None:
        return self._json(INTEGRITY)

    def write_integrity(self, result: Any) -> Path:
        """``integrity.json`` from what the store's ``verify()`` returned (a mapping, a dataclass, a bool), or
        from the :class:`~recon.errors.IntegrityError` it raised."""
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
        return _write_json(self.file(INTEGRITY), _scrub(body))

    # -- notebooks and the report -------------------------------------------------------------------------
    def notebook(self, name: str) -> Path:
        """Where the executed copy of notebook ``name`` goes (papermill writes it, cell by cell): made 0600 here,
        papermill then writes into it."""
        make_dir(self.path)
        return make_file(self.file(Path(name).name))

    def write_html(self, name: str, body: str) -> Path:
        """An HTML export (``sync.html``, ``audit.html``)."""
        make_dir(self.path)
        return _write_text(self.file(Path(name).name), body)

    def sandbox_state(self) -> Path:
        """The state file of a sandbox started by the run's own process."""
        return self.file(SANDBOX_STATE)

    # -- helpers -----------------------------------------------------------------------------------------
    def _json(self, name: str) -> Any:
        path = self.file(name)
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:  # UnicodeDecodeError included
            raise ConfigError(f"{path} is not valid JSON: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None


# ---- the runs of a reports folder ---------------------------------------------------------------------------

def runs(reports_dir: Path | str) -> list[RunFolder]:
    """The runs under ``reports_dir``, oldest first (by ``run.json``'s ``started_at``, then run id)."""
    root = Path(reports_dir)
    if not root.is_dir():
        return []
    found = []
    for path in root.iterdir():
        folder = RunFolder(path)
        if path.is_dir() and folder.file(RUN_INFO).is_file():
            try:
                started = str(folder.run_info().get("started_at") or "")
            except ConfigError:
                continue  # a run.json being written right now, or broken: not a run to continue from
            found.append((started, path.name, folder))
    return [folder for _, _, folder in sorted(found, key=lambda t: (t[0], t[1]))]


def latest_run(reports_dir: Path | str) -> RunFolder:
    """The latest run under ``reports_dir``; a :class:`ConfigError` when there is none."""
    every = runs(reports_dir)
    if not every:
        raise ConfigError(f"no runs in {reports_dir}; give run_id")
    return every[-1]


def find_run(reports_dir: Path | str, run_id: str = "") -> RunFolder:
    """Run ``run_id`` under ``reports_dir`` (empty: the latest run)."""
    return RunFolder(Path(reports_dir) / check_run_id(run_id)) if run_id else latest_run(reports_dir)


def previous_snapshot(reports_dir: Path | str, before: str, sandbox: str = "") -> RunFolder | None:
    """The latest run before run ``before`` holding a snapshot, made against the same ``sandbox`` (a sandbox
    that has stopped took its data with it: a snapshot of it is no base for an incremental fetch)."""
    every = runs(reports_dir)
    names = [f.run_id for f in every]
    earlier = every[:names.index(before)] if before in names else every
    for folder in reversed(earlier):
        if folder.run_id != before and folder.has_snapshot() and folder.run_info().get("sandbox", "") == sandbox:
            return folder
    return None
