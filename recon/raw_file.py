"""The raw payloads of one system and kind on disk, written as the pages arrive and read back lazily.

``raw/<system>_<kind>.jsonl``: JSON Lines, one record a line as ``["<id>", {record}]``. The id comes first so
that a reader can find a record, or skip one, without parsing it (an incremental fetch copies the unchanged
records of the last snapshot line by line; Precoro's document reuse looks documents up by ``idn``). Numbers the
connectors parsed as ``Decimal`` are written as strings, as the JSON arrays of earlier snapshots have them.

A :class:`RawWriter` writes to a hidden temporary name and renames it into place only when the kind is complete
(after an ``fsync`` when the file is to last): a crash leaves no file that looks whole. :class:`RawRecords` reads
either that format or the one JSON array per file (``raw/<system>_<kind>.json``) that snapshots written before
held, so those still load.

The folder a writer writes into and the names of the files belong to :class:`recon.run_folder.RunFolder`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import weakref
from decimal import Decimal
from json.decoder import scanstring
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from recon.private import open_private

LINES = ".jsonl"
#: the format of snapshots written before the payloads were streamed: one JSON array per file
ARRAY = ".json"
_ENCODE = json.JSONEncoder(default=str, ensure_ascii=False, separators=(",", ":")).encode


def record_id(system: str, kind: str, rec: Mapping[str, Any]) -> str:
    """The id a raw record is known by (Precoro documents by ``idn``, Xero records by their GUID)."""
    if system == "precoro":
        return str(rec.get("idn" if kind in ("purchase_order", "bill") else "id"))
    from recon.connectors.xero import ID_KEY

    return str(rec.get("TrackingOptionID") if kind == "tracking_option" else rec.get(ID_KEY[kind]))


def _line_id(line: str) -> str:
    """The id of a ``["<id>", {...}]`` line, read without parsing the record."""
    return scanstring(line, 2)[0]


def _record(line: str) -> dict[str, Any]:
    return json.loads(line, parse_float=Decimal)[1]


class Spool:
    """A private temporary folder for the raw files of a fetch that has no run folder to write into; it is
    removed when the last reader or writer of its files is gone."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="recon-raw-"))  # 0700
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.path), ignore_errors=True)


class RawRecords:
    """The records of one raw file, read when asked for: iterable (again and again), sized, and looked up by
    id (:meth:`get`). The file does not change once written, so a copy of this object is this object."""

    def __init__(self, path: Path, system: str, kind: str, *, owner: Any = None) -> None:
        self.path, self.system, self.kind = Path(path), system, kind
        self._owner = owner  # keeps a spool folder alive as long as its files are read
        self._len: int | None = None
        self._offsets: dict[str, int] | None = None
        self._array: list[dict[str, Any]] | None = None  # a file of the old format, read whole once
        self._old_by_id: dict[str, dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return f"RawRecords({str(self.path)!r})"

    @property
    def is_lines(self) -> bool:
        return self.path.suffix == LINES

    def lines(self) -> Iterator[tuple[str, str]]:
        """``(id, line)`` of every record, the line as written (a file of the old format is re-encoded)."""
        if not self.is_lines:
            for rec in self._old():
                yield record_id(self.system, self.kind, rec), _ENCODE([record_id(self.system, self.kind, rec), rec])
            return
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield _line_id(line), line.rstrip("\n")

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if not self.is_lines:
            yield from self._old()
            return
        for _, line in self.lines():
            yield _record(line)

    def __len__(self) -> int:
        if self._len is None:
            self._len = len(self._old()) if not self.is_lines else sum(1 for _ in self.lines())
        return self._len

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (RawRecords, list)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __deepcopy__(self, memo: dict[int, Any]) -> "RawRecords":
        return self

    def get(self, rid: str, default: Any = None) -> dict[str, Any] | None:
        """The record with id ``rid`` (the last one written, as a dict by id would keep), or ``default``."""
        if not self.is_lines:
            return self._by_id_old().get(rid, default)
        if self._offsets is None:
            offsets: dict[str, int] = {}
            with open(self.path, "rb") as fh:
                at = 0
                for raw in fh:
                    if raw.strip():
                        offsets[_line_id(raw.decode("utf-8"))] = at
                    at += len(raw)
            self._offsets = offsets
        at = self._offsets.get(rid)
        if at is None:
            return default
        with open(self.path, "rb") as fh:
            fh.seek(at)
            return _record(fh.readline().decode("utf-8"))

    def _old(self) -> list[dict[str, Any]]:
        if self._array is None:
            self._array = json.loads(self.path.read_text(encoding="utf-8"), parse_float=Decimal)
        return self._array

    def _by_id_old(self) -> dict[str, dict[str, Any]]:
        if self._old_by_id is None:
            self._old_by_id = {record_id(self.system, self.kind, r): r for r in self._old()}
        return self._old_by_id


def by_id(records: Iterable[Mapping[str, Any]] | None, system: str, kind: str) -> Mapping[str, Any]:
    """Records looked up by id: the lazy look-up of a raw file, or a dict made of records held in memory."""
    if records is None:
        return {}
    if isinstance(records, RawRecords):
        return _Lookup(records)
    return {record_id(system, kind, r): r for r in records}


class _Lookup(Mapping[str, Any]):
    """A raw file as a read-only mapping id -> record (what the Precoro connector's ``previous`` takes)."""

    def __init__(self, records: RawRecords) -> None:
        self.records = records

    def __getitem__(self, rid: str) -> Any:
        found = self.records.get(rid)
        if found is None:
            raise KeyError(rid)
        return found

    def get(self, rid: str, default: Any = None) -> Any:  # type: ignore[override]
        return self.records.get(rid, default)

    def __iter__(self) -> Iterator[str]:
        return (rid for rid, _ in self.records.lines())

    def __len__(self) -> int:
        return len(self.records)


class RawWriter:
    """The one writer of one raw file: records appended as pages arrive, the file in place at :meth:`finish`."""

    def __init__(self, path: Path, system: str, kind: str, *, durable: bool = True, owner: Any = None) -> None:
        self.path, self.system, self.kind, self.durable, self.owner = Path(path), system, kind, durable, owner
        self.tmp = self.path.with_name(f".{self.path.name}.tmp")
        self._stack = contextlib.ExitStack()
        self._fh = self._stack.enter_context(open_private(self.tmp, "w", encoding="utf-8"))
        #: ids written so far (an incremental fetch and a stopped one copy the last snapshot's other records)
        self.ids: set[str] = set()
        self.count = 0

    def write(self, records: Iterable[Mapping[str, Any]]) -> None:
        out = []
        for rec in records:
            rid = record_id(self.system, self.kind, rec)
            self.ids.add(rid)
            out.append(_ENCODE([rid, rec]))
        if out:
            self._fh.write("\n".join(out) + "\n")
            self.count += len(out)

    def copy(self, source: Iterable[Mapping[str, Any]] | None, *, skip: set[str] | frozenset[str] = frozenset()) -> None:
        """Append the records of ``source`` whose id is not in ``skip`` (a raw file's lines are copied as
        they are, unparsed)."""
        if source is None:
            return
        if not isinstance(source, RawRecords):
            self.write(r for r in source if record_id(self.system, self.kind, r) not in skip)
            return
        batch: list[str] = []
        for rid, line in source.lines():
            if rid in skip:
                continue
            self.ids.add(rid)
            batch.append(line)
            if len(batch) >= 1000:
                self._fh.write("\n".join(batch) + "\n")
                self.count += len(batch)
                batch = []
        if batch:
            self._fh.write("\n".join(batch) + "\n")
            self.count += len(batch)

    def finish(self) -> RawRecords:
        """Close the file and put it in place (replacing a file of the old format of the same name)."""
        self._fh.flush()
        if self.durable:
            os.fsync(self._fh.fileno())
        self._stack.close()
        self.tmp.replace(self.path)
        old = self.path.with_suffix(ARRAY)
        if old != self.path and old.exists():
            old.unlink()
        return RawRecords(self.path, self.system, self.kind, owner=self.owner)

    def abort(self) -> None:
        """Drop what was written: the kind did not complete."""
        self._stack.close()
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()
