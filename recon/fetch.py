"""Fetch orchestration: every requested kind from both systems into one :class:`~recon.snapshot.Snapshot`.

>>> snap = fetch(settings, kinds=KINDS, full=False, previous=last_snapshot, progress=True)

* **Full** fetch: every record of every kind (Xero paged kinds at 1000 a page, with their lines; Precoro at
  200 a page, documents listed and then read by ``idn`` for their lines, reusing the previous snapshot's
  detail of a document whose ``updateDate`` did not change).
* **Incremental** fetch (a previous snapshot and ``full=False``): only records changed since each kind's
  watermark (the newer of its newest ``updated_at`` and the start of the fetch that last read it) minus an
  overlap window (Xero ``If-Modified-Since`` as an aware UTC datetime, Precoro
  ``modifiedSince``), merged into the previous frames and de-duplicated by id (a changed document's lines
  replace its old lines). Neither API reports deletions, so a kind falls back to a full fetch when its last
  full fetch is older than :attr:`FetchOptions.full_after` (and whenever ``full=True``).
* The raw payloads are not held: each page's records are written to the snapshot's raw file of the kind as
  they arrive (``options.out``'s ``raw/`` when set, else a temporary spool the snapshot keeps), and the file is
  put in place when the kind is complete (:mod:`recon.raw_file`); the previous snapshot's raw records are read
  from its files when needed, Precoro's documents one by one.
* A day-limit 429 stops the run with :class:`~recon.errors.DailyLimitError` saying when it can resume; the
  kinds fetched so far are kept on the exception (``exc.snapshot``) and saved when ``options.out`` is set.

Each system is fetched in its own thread (they share nothing); within a system, calls go through the
shared pacer, and each page is mapped to canonical rows as it arrives (while one system's thread maps, the
other's waits on the network). Progress bars (``tqdm.auto``, notebook-aware) count requests; logs are structured
(``extra={"system", "kind", "records", "requests"}``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import pandas as pd
from recon.progress import progress as tqdm  # a bar where someone watches, plain lines in logs

from recon import raw_file, schema
from recon.config import Settings
from recon.connectors import mapping
from recon.connectors.pacing import RetryPolicy
from recon.errors import DailyLimitError
from recon.raw_file import RawRecords, Spool
from recon.run_folder import RunFolder
from recon.snapshot import Snapshot

log = logging.getLogger("recon.fetch")
KINDS = schema.KINDS


@dataclass(frozen=True)
class FetchOptions:
    """Knobs of a fetch; the defaults suit the real services."""

    #: re-read this much before each watermark (clock skew; Xero's filter is coarse)
    overlap: dt.timedelta = dt.timedelta(minutes=5)
    #: a kind whose last full fetch is older than this is fetched in full (to see deletions)
    full_after: dt.timedelta = dt.timedelta(days=7)
    #: pacer overrides per system, e.g. ``{"xero": {"minute": 10000}}`` against a sandbox with raised limits
    limits: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    #: save the snapshot here when set
    out: Path | None = None
    systems: tuple[str, ...] = schema.SYSTEMS
    #: retry policy for every call of the run (default: :class:`recon.connectors.pacing.RetryPolicy`)
    retry: RetryPolicy | None = None
    #: injectable clock (UTC now)
    now: Any = None


def _utcnow(options: FetchOptions) -> dt.datetime:
    return options.now() if options.now else dt.datetime.now(dt.timezone.utc)


def map_page(system: str, kind: str, records: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One page of raw records as canonical rows, and (for documents) the rows of their lines."""
    frame = schema.LINE_FRAMES.get(kind)
    rows: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    for doc in records:
        mapped_doc = mapping.to_canonical(system, kind, doc)
        rows.append(mapped_doc)
        if frame is None:
            continue
        if system == "xero":
            lines = doc.get("LineItems") or []
        else:
            lines = (doc.get("items") or {}).get("data") if isinstance(doc.get("items"), dict) else (doc.get("items") or [])
        for n, line in enumerate(lines or [], start=1):
            row = mapping.to_canonical(system, frame, line, extra={"doc_id": mapped_doc["id"], "line_no": n})
            if row.get("line_no") is None:
                row["line_no"] = n
            row["doc_id"] = mapped_doc["id"]
            out.append(row)
    return rows, out


class _Rows:
    """The mapped rows of one frame, typed a chunk at a time as they arrive: a row dict of Python objects
    costs many times its typed column values, and a kind of 100,000 records would otherwise hold them all
    until its last page."""

    CHUNK = 20_000

    def __init__(self, system: str, name: str) -> None:
        self.system, self.name = system, name
        self.pending: list[dict[str, Any]] = []
        self.chunks: list[pd.DataFrame] = []

    def extend(self, rows: list[dict[str, Any]]) -> None:
        self.pending.extend(rows)
        if len(self.pending) >= self.CHUNK:
            self.chunks.append(schema.conform(self.pending, self.name, system=self.system))
            self.pending = []

    def frame(self) -> pd.DataFrame:
        if self.pending or not self.chunks:
            self.chunks.append(schema.conform(self.pending, self.name, system=self.system) if self.pending
                               else schema.empty(self.name))
        df = self.chunks[0] if len(self.chunks) == 1 else pd.concat(self.chunks, ignore_index=True)
        self.chunks, self.pending = [], []
        keys = ["doc_id", "line_no"] if self.name in schema.LINE_FRAMES.values() else ["id"]
        return df.sort_values(keys, kind="stable").reset_index(drop=True)


class _RawOut:
    """Where a fetch writes its raw files: the run folder it saves into (each file made durable at the end of its
    kind), or, without one, a temporary spool the snapshot's readers keep alive (:meth:`Snapshot.save` copies
    them into a run folder later)."""

    def __init__(self, out: Path | None) -> None:
        self.spool = None if out is not None else Spool()
        self.folder = RunFolder(out if out is not None else self.spool.path)  # type: ignore[union-attr]

    def writer(self, system: str, kind: str) -> raw_file.RawWriter:
        return self.folder.raw_writer(system, kind, durable=self.spool is None, owner=self.spool)


class _SystemFetch:
    """Fetches the requested kinds of one system (run in its own thread)."""

    def __init__(self, conn: Any, kinds: tuple[str, ...], full: bool, previous: Snapshot | None,
                 options: FetchOptions, bar: Any, raw_out: _RawOut) -> None:
        self.conn, self.system = conn, conn.system
        self.kinds, self.full, self.previous, self.options, self.bar = kinds, full, previous, options, bar
        self.raw_out = raw_out
        self.prev_meta: dict[str, Any] = (previous.meta.get(self.system, {}) if previous else {}) or {}
        self.frames: dict[str, pd.DataFrame] = {}
        #: the raw file of each kind fetched, on disk (written page by page while the kind was read)
        self.raw: dict[str, RawRecords] = {}
        self.meta: dict[str, Any] = {"watermarks": dict(self.prev_meta.get("watermarks", {})),
                                     "last_full": dict(self.prev_meta.get("last_full", {})),
                                     "seen_at": dict(self.prev_meta.get("seen_at", {})), "modes": {},
                                     "requests_by_kind": {}}
        self.warnings: list[str] = []
        self.requests = 0
        self.partial_raw: dict[str, RawRecords] = {}

    def _mode(self, kind: str, now: dt.datetime) -> tuple[bool, dt.datetime | None]:
        """``(full, since)`` for one kind."""
        if self.full or self.previous is None or (self.system, kind) not in self.previous.frames \
                or kind in getattr(self.conn, "always_full", ()):
            return True, None
        last_full = self.meta["last_full"].get(kind)
        mark = self.meta["watermarks"].get(kind)
        if not last_full or now - dt.datetime.fromisoformat(last_full) > self.options.full_after:
            return True, None
        if not mark:
            return True, None
        # The last fetch of this kind saw every change made before it started (up to clock skew, which the
        # overlap covers), so there is no need to re-read records stamped between the watermark and then.
        seen = self.meta["seen_at"].get(kind)
        since = max(dt.datetime.fromisoformat(mark), dt.datetime.fromisoformat(seen)) if seen else dt.datetime.fromisoformat(mark)
        return False, since - self.options.overlap

    def run(self) -> None:
        now = _utcnow(self.options)
        for kind in self.kinds:
            self.fetch_kind(kind, now)
        self.meta["fetched_at"] = now.isoformat()

    def fetch_kind(self, kind: str, now: dt.datetime) -> None:
        full, since = self._mode(kind, now)
        prev = self.previous.raw.get((self.system, kind)) if self.previous else None
        calls0 = self.conn.pacer.stats.calls
        kwargs: dict[str, Any] = {"since": since}
        if self.system == "precoro" and kind in ("purchase_order", "bill"):
            kwargs["previous"] = raw_file.by_id(prev, self.system, kind)  # read per document, not all at once
        seen = calls0
        # progress per kind and system, in records (of the total when the API gives it); the system's bar counts requests
        words = kind.replace("_", " ")
        shown = tqdm(desc=f"fetch {self.system} {words}", unit="records", disable=self.bar.disable, leave=True) \
            if hasattr(self.bar, "disable") else None
        # each page is mapped as it arrives (the other system's thread uses the network waits in between), its
        # rows typed a chunk at a time, and its raw records go to disk
        line_frame = schema.LINE_FRAMES.get(kind)
        mapped = {kind: _Rows(self.system, kind), **({line_frame: _Rows(self.system, line_frame)} if line_frame else {})}
        writer = self.raw_out.writer(self.system, kind)
        try:
            for page in self.conn.fetch_kind(kind, **kwargs):
                writer.write(page.records)
                rows, lines = map_page(self.system, kind, page.records)
                mapped[kind].extend(rows)
                if line_frame:
                    mapped[line_frame].extend(lines)
                self.warnings.extend(page.warnings)
                now_calls = self.conn.pacer.stats.calls
                self.bar.update(now_calls - seen)  # requests, not pages: Precoro documents cost one each
                seen = now_calls
                if shown is not None:
                    if page.total is not None and shown.total != page.total:
                        shown.total = page.total
                    shown.update(len(page.records))
        except DailyLimitError as exc:
            # keep the raw records read so far (not a frame: the kind is incomplete), with the last snapshot's
            # others; the next run reuses their document details instead of spending the day's budget on them again
            try:
                writer.write(getattr(exc, "partial", []))
                writer.copy(prev, skip=set(writer.ids))
                self.partial_raw[kind] = writer.finish()
            except BaseException:
                writer.abort()
                raise
            if shown is not None:
                shown.close()
            raise
        except BaseException:
            writer.abort()
            raise
        fetched = writer.count
        requests = self.conn.pacer.stats.calls - calls0
        self.requests += requests
        self.meta.setdefault("requests_by_kind", {})[kind] = requests
        if shown is not None:
            shown.set_postfix_str(f"{requests} requests")
            shown.close()
        try:
            for name, rows in mapped.items():
                self.frames[name] = rows.frame()
            del mapped
            if not full:
                changed: set[str] | None = set(writer.ids)
                writer.copy(prev, skip=changed)  # the unchanged records of the last snapshot, as they were
                self._merge(kind, changed)
            else:
                changed = None
        except BaseException:
            writer.abort()
            raise
        self.raw[kind] = writer.finish()
        total = writer.count
        stamps = self.frames[kind]["updated_at"].dropna()
        if len(stamps):
            self.meta["watermarks"][kind] = stamps.max().isoformat()
        if full:
            self.meta["last_full"][kind] = now.isoformat()
        self.meta["seen_at"][kind] = now.isoformat()
        self.meta["modes"][kind] = "full" if full else "incremental"
        log.info("fetched %s %s: %d records (%d new or changed) in %d requests", self.system, kind,
                 total, fetched, requests,
                 extra={"system": self.system, "kind": kind, "records": total,
                        "changed": fetched if changed is not None else total, "requests": requests,
                        "mode": "full" if full else "incremental"})

    def _merge(self, kind: str, changed: set[str]) -> None:
        """Put the freshly mapped changed records in place of their old rows (and a changed document's
        lines in place of its old lines); only the changed records were mapped."""
        assert self.previous is not None
        for name, key in ((kind, "id"), (schema.LINE_FRAMES.get(kind), "doc_id")):
            if name is None:
                continue
            old = self.previous.frames.get((self.system, name))
            if old is None:
                continue
            kept = old[~old[key].isin(changed)]
            new = self.frames[name]
            merged = kept if new.empty else new if kept.empty else pd.concat([kept, new], ignore_index=True)
            keys = ["doc_id", "line_no"] if key == "doc_id" else ["id"]
            self.frames[name] = merged.sort_values(keys, kind="stable").reset_index(drop=True)


def _fill_cross_references(sf: _SystemFetch, previous: Snapshot | None) -> None:
    """Values one kind's records do not carry: Xero line tax rates (from tax rates by TaxType) and Precoro
    payment ``bill_xero_id`` (from the bills by idn)."""
    def frame(kind: str) -> pd.DataFrame | None:
        if kind in sf.frames:
            return sf.frames[kind]
        if previous is not None and (sf.system, kind) in previous.frames:
            return previous.frames[(sf.system, kind)]
        return None

    if sf.system == "xero":
        rates = frame("tax_rate")
        if rates is not None:
            for name in ("purchase_order_lines", "bill_lines"):
                if name in sf.frames and len(sf.frames[name]):
                    df = sf.frames[name]
                    df["tax_rate"] = _looked_up(df["tax_type"], rates["tax_type"], rates["rate"], df["tax_rate"].dtype)
    else:
        bills = frame("bill")
        if bills is not None and "payment" in sf.frames and len(sf.frames["payment"]):
            df = sf.frames["payment"]
            df["bill_xero_id"] = _looked_up(df["bill_id"], bills["id"], bills["xero_id"], df["bill_xero_id"].dtype)


def _looked_up(keys: pd.Series, index: pd.Series, values: pd.Series, dtype: Any) -> pd.Series:
    """``values`` at the row of ``index`` equal to each key (missing where none is), in Arrow and typed
    ``dtype`` (the column's own): the column a snapshot loaded from disk has, so a fresh fetch and a reloaded
    one are equal."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from recon.money import arrow_array

    positions = pc.index_in(arrow_array(keys).cast(pa.large_string()),
                            value_set=arrow_array(index).cast(pa.large_string()))
    taken = arrow_array(values).take(positions)
    if isinstance(dtype, pd.ArrowDtype):
        return pd.Series(pd.arrays.ArrowExtensionArray(taken.cast(dtype.pyarrow_dtype)), index=keys.index)
    return pd.Series(pd.arrays.ArrowExtensionArray(taken), index=keys.index).astype(dtype)  # text: StringDtype


_GC_LOCK = threading.Lock()
_GC_STATE: dict[str, Any] = {"depth": 0, "saved": None}


@contextlib.contextmanager
def _fewer_collections(young: int = 100_000) -> Iterator[None]:
    """Run the cyclic garbage collector less often while a fetch builds millions of objects that all stay
    alive (the mapped rows and the frames): otherwise each full pass walks everything read so far, and at 100,000
    records those passes are a large part of the fetch. Reference counting frees memory as usual; only the
    cycle collector's young-generation threshold is raised (the trade mypy makes for its builds), and the
    previous thresholds come back when the last concurrent fetch ends."""
    with _GC_LOCK:
        if _GC_STATE["depth"] == 0:
            _GC_STATE["saved"] = gc.get_threshold()
            old = _GC_STATE["saved"]
            gc.set_threshold(max(old[0], young), *old[1:])
        _GC_STATE["depth"] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_STATE["depth"] -= 1
            if _GC_STATE["depth"] == 0:
                gc.set_threshold(*_GC_STATE["saved"])


def fetch(settings: Settings, kinds: Iterable[str] = KINDS, full: bool = False, previous: Snapshot | None = None,
          progress: bool = True, options: FetchOptions | None = None, connectors: tuple[Any, Any] | None = None) -> Snapshot:
    """Fetch ``kinds`` from both systems into a snapshot (see the module docstring).

    ``connectors`` (``(xero, precoro)``) reuses open connectors; by default they are opened from
    ``settings`` and closed at the end.
    """
    options = options or FetchOptions()
    asked = set(kinds)
    unknown = asked - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds {sorted(unknown)}; known: {', '.join(KINDS)}")
    kinds = tuple(k for k in KINDS if k in asked)
    with _fewer_collections():
        return _fetch(settings, kinds, full, previous, progress, options, connectors)


def _fetch(settings: Settings, kinds: tuple[str, ...], full: bool, previous: Snapshot | None, progress: bool,
           options: FetchOptions, connectors: tuple[Any, Any] | None = None) -> Snapshot:
    own = connectors is None
    if own:
        connectors = _open(settings, options.systems)
    xero, precoro = connectors
    by_system = {"xero": xero, "precoro": precoro}
    fetches: dict[str, _SystemFetch] = {}
    lock = threading.Lock()
    try:
        for system, limits in options.limits.items():
            if by_system.get(system) is not None:
                by_system[system].pacer.set_limits(dict(limits))
        if options.retry is not None:
            for conn in by_system.values():
                if conn is not None:
                    conn.pacer.policy = options.retry
        # the Xero line tax rate needs the tax rates, and the lines' accounts and tracking their current names:
        # one extra request each when they were not asked for
        xero_kinds = kinds if not ({"purchase_order", "bill"} & set(kinds)) else \
            tuple(dict.fromkeys(("account", "tracking_option", "tax_rate", *kinds)))
        plan = {"xero": tuple(k for k in KINDS if k in xero_kinds), "precoro": kinds}
        bars = {s: tqdm(desc=f"fetch {s}", unit="requests", disable=not progress, position=n, leave=True)
                for n, s in enumerate(options.systems)}
        raw_out = _RawOut(Path(options.out) if options.out else None)
        for system in options.systems:
            fetches[system] = _SystemFetch(by_system[system], plan[system], full, previous, options, bars[system],
                                           raw_out)

        errors: dict[str, BaseException] = {}

        def run(system: str) -> None:
            try:
                fetches[system].run()
            except BaseException as exc:  # re-raised below, after the other system finished
                with lock:
                    errors[system] = exc

        with ThreadPoolExecutor(max_workers=len(fetches), thread_name_prefix="recon-fetch") as pool:
            list(pool.map(run, list(fetches)))
        for bar in bars.values():
            bar.close()

        snap = _assemble(fetches, previous, kinds, options, by_system, skip_meta=bool(errors))
        if errors:
            exc = next((e for e in errors.values() if isinstance(e, DailyLimitError)), next(iter(errors.values())))
            if isinstance(exc, DailyLimitError):
                exc.snapshot = snap  # type: ignore[attr-defined]
                if options.out:
                    snap.save(Path(options.out))
            raise exc
        if options.out:
            snap.save(Path(options.out))
        return snap
    finally:
        if own:
            for conn in connectors:
                if conn is not None:
                    conn.close()


def _open(settings: Settings, systems: tuple[str, ...]) -> tuple[Any, Any]:
    from recon.connectors.precoro import PrecoroConnector
    from recon.connectors.xero import XeroConnector

    xero = XeroConnector(settings) if "xero" in systems else None
    try:
        precoro = PrecoroConnector(settings) if "precoro" in systems else None
    except Exception:
        if xero is not None:
            xero.close()
        raise
    return xero, precoro


def _assemble(fetches: dict[str, _SystemFetch], previous: Snapshot | None, kinds: tuple[str, ...],
              options: FetchOptions, by_system: dict[str, Any], skip_meta: bool) -> Snapshot:
    snap = Snapshot()
    for system, sf in fetches.items():
        _fill_cross_references(sf, previous)
        for kind in kinds:
            if kind in sf.frames:
                snap.frames[(system, kind)] = sf.frames[kind]
                snap.raw[(system, kind)] = sf.raw[kind]
                if kind in schema.LINE_FRAMES:
                    snap.frames[(system, schema.LINE_FRAMES[kind])] = sf.frames[schema.LINE_FRAMES[kind]]
        for kind, records in sf.partial_raw.items():
            snap.raw[(system, kind)] = records
        meta = {**sf.prev_meta, **sf.meta, "requests": sf.requests, "warnings": sf.warnings,
                "fetched_kinds": [k for k in kinds if k in sf.frames], "partial_kinds": sorted(sf.partial_raw)}
        reuse = {"xero": "organisation", "precoro": "company"}[system]
        if reuse in sf.prev_meta and "incremental" in sf.meta["modes"].values() and system != "xero":
            pass  # an incremental run: the company facts of the last snapshot stand (Xero's lock dates move: read)
        elif not skip_meta:
            try:
                meta.update(_system_meta(system, sf, by_system[system]))
            except DailyLimitError:
                pass
        meta["requests"] = sf.requests
        snap.meta[system] = meta
    _current_references(snap, fetches, previous)
    return snap


def _current_references(snap: Snapshot, fetches: dict[str, _SystemFetch], previous: Snapshot | None) -> None:
    """Document lines name what they refer to as Xero names it now, on both sides, by its Xero id: the
    tracking category and option (``tracking<n>_option_id``) and the account code (``account_id``). A record
    renamed since a document was read is the same record, and a document read in an earlier run shows what a
    full read would."""
    def xero_frame(kind: str) -> pd.DataFrame | None:
        sf = fetches.get("xero")
        found = sf.frames.get(kind) if sf is not None else None
        if found is None and previous is not None:
            found = previous.frames.get(("xero", kind))
        return None if found is None or found.empty else found

    def by_id(frame: pd.DataFrame, column: str) -> pd.Series:
        values = pd.Series(frame[column].astype("string").to_numpy(dtype=object),
                           index=frame["id"].astype("string").fillna("").to_numpy(dtype=object))
        return values[~values.index.duplicated()]

    # where each named column's current value comes from: (Xero frame, its column)
    sources = {"tracking1_category": ("tracking_option", "category"), "tracking1_option": ("tracking_option", "name"),
               "tracking2_category": ("tracking_option", "category"), "tracking2_option": ("tracking_option", "name"),
               "account_code": ("account", "code")}
    names: list[tuple[str, str, pd.Series]] = []  # (id column, column it names, current value by id)
    for column, ref_column in schema.LINE_REFERENCES.items():
        kind, source = sources[column]
        frame = xero_frame(kind)
        if frame is not None:
            names.append((ref_column, column, by_id(frame, source)))
    for (system, frame), lines in snap.frames.items():
        if frame not in schema.LINE_FRAMES.values() or lines.empty:
            continue
        for ref_column, column, current in names:
            ref = lines[ref_column].astype("string").fillna("")
            known = ref.isin(current.index).to_numpy()
            if known.any():
                lines.loc[known, column] = current.reindex(ref[known]).to_numpy()


def _system_meta(system: str, sf: _SystemFetch, conn: Any) -> dict[str, Any]:
    if system == "xero":
        info = conn.organisation()
        sf.requests += 1
        accounts = sf.raw.get("account")
        if accounts is not None:
            rounding = next((a.get("Code") for a in accounts if a.get("SystemAccount") == "ROUNDING"), None)
            info["rounding_account_code"] = rounding or ""
        else:
            info["rounding_account_code"] = sf.prev_meta.get("rounding_account_code", "")
        return info
    sample = next((r for k in ("purchase_order", "bill") for r in sf.raw.get(k, []) if r.get("precisionData")), None)
    info = conn.company(sample)
    sf.requests += 1
    return info
