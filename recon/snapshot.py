"""A snapshot: for each system and frame one canonical DataFrame, the raw payloads beside it, and metadata.

Persisted per run as ``<folder>/<system>_<frame>.parquet`` plus ``<folder>/raw/<system>_<frame>.json`` and
``<folder>/snapshot.json`` (metadata), so a report can be rebuilt from exactly what was fetched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from recon import schema


@dataclass
class Snapshot:
    """Frames keyed by ``(system, frame)``; ``meta`` holds per-system facts (organisation, company
    rounding precision, fetch watermarks); ``raw`` the API payloads as returned."""

    frames: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)
    raw: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
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
        """Write every frame as Parquet, the raw payloads as JSON, and the metadata; return the Parquet paths."""
        folder = Path(folder)
        (folder / "raw").mkdir(parents=True, exist_ok=True)
        paths = []
        for (system, name), df in sorted(self.frames.items()):
            path = folder / f"{system}_{name}.parquet"
            df.to_parquet(path, index=False)
            paths.append(path)
        for (system, name), payload in sorted(self.raw.items()):
            (folder / "raw" / f"{system}_{name}.json").write_text(json.dumps(payload, indent=1, default=str))
        (folder / "snapshot.json").write_text(json.dumps(self.meta, indent=2, sort_keys=True, default=str))
        return paths

    @classmethod
    def load(cls, folder: Path) -> "Snapshot":
        """Read a snapshot saved by :meth:`save` (frames conformed to the canonical schema again)."""
        folder = Path(folder)
        snap = cls()
        for path in sorted(folder.glob("*_*.parquet")):
            system, name = path.stem.split("_", 1)
            if system in schema.SYSTEMS and name in schema.FRAMES:
                snap.frames[(system, name)] = schema.conform(pd.read_parquet(path), name, system=system)
        for path in sorted((folder / "raw").glob("*.json")) if (folder / "raw").is_dir() else []:
            system, name = path.stem.split("_", 1)
            snap.raw[(system, name)] = json.loads(path.read_text())
        meta = folder / "snapshot.json"
        if meta.is_file():
            snap.meta = json.loads(meta.read_text())
        return snap
