"""A snapshot: for each system and frame one canonical DataFrame, the raw payloads beside it, and metadata.

Persisted per run as ``<folder>/<system>_<frame>.parquet`` plus ``<folder>/raw/<system>_<frame>.jsonl`` and
``<folder>/snapshot.json`` (metadata), so a report can be rebuilt from exactly what was fetched; the run
folder (:mod:`recon.run_folder`) writes and reads those files. The raw payloads are not held in memory: a fetch
streams them to disk as the pages arrive, and ``raw`` gives each file's records when they are read
(:class:`recon.raw_file.RawRecords`); a snapshot made by hand may hold lists of records instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd

from recon import schema


@dataclass
class Snapshot:
    """Frames keyed by ``(system, frame)``; ``meta`` holds per-system facts (organisation, company
    rounding precision, fetch watermarks); ``raw`` the API payloads as returned."""

    frames: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)
    raw: dict[tuple[str, str], Sequence[dict[str, Any]] | Iterable[dict[str, Any]]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def frame(self, system: str, name: str) -> pd.DataFrame:
        """The frame, or an empty canonical one when it was not fetched."""
        df = self.frames.get((system, name))
        return schema.empty(name) if df is None else df

    def counts(self) -> dict[str, int]:
        """Rows per ``<system>_<frame>`` file name, in canonical order."""
        return {f"{s}_{f}": len(self.frames[(s, f)]) for s in schema.SYSTEMS for f in schema.FRAME_NAMES
                if (s, f) in self.frames}

    def save(self, folder: Path) -> list[Path]:
        """Write every frame as Parquet, the raw payloads as JSON Lines, and the metadata; return the Parquet paths
        (the files and their names belong to :class:`recon.run_folder.RunFolder`)."""
        from recon.run_folder import RunFolder

        return RunFolder(folder).save_snapshot(self)

    @classmethod
    def load(cls, folder: Path) -> "Snapshot":
        """Read a snapshot saved by :meth:`save` (frames conformed to the canonical schema again)."""
        from recon.run_folder import RunFolder

        return RunFolder(folder).load_snapshot()
