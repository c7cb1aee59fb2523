"""The raw payloads on disk: streamed by the fetch as JSON Lines, read lazily, and snapshots written before
(one JSON array per file) still loading and serving as the base of the next fetch."""

from __future__ import annotations

import copy
import json
import tarfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from recon.connectors.pacing import reset_pacers
from recon.errors import DailyLimitError
from recon.fetch import FetchOptions, fetch
from recon.raw_file import RawRecords, RawWriter, record_id
from recon.run_folder import RunFolder
from recon.sandbox import Sandbox
from recon.snapshot import Snapshot

from connector_sandbox import sandbox  # noqa: F401  (fixture)
from test_fetch import FAST, _faults, _frames_equal, _stats, finish_partial_documents, sb  # noqa: F401  (sb: fixture)

#: a run folder of the demo data fetched in full by the code before issue 14 (commit 6d5f4b5), as it wrote it:
#: ``raw/<system>_<kind>.json``, each one JSON array
OLD_SNAPSHOT = Path(__file__).parent / "data" / "snapshot_demo_before_issue14.tar.gz"


def _old_snapshot(into: Path) -> Path:
    with tarfile.open(OLD_SNAPSHOT) as tar:
        tar.extractall(into, filter="data")
    return into


def _write_the_old_way(folder: Path) -> None:
    """Turn a folder's raw files into what the code before issue 14 wrote (its exact expression)."""
    for path in sorted((folder / "raw").glob("*.jsonl")):
        system, kind = path.stem.split("_", 1)
        payload = list(RawRecords(path, system, kind))
        (folder / "raw" / f"{path.stem}.json").write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
        path.unlink()


def _detail_calls(url: str, before: dict[str, int]) -> int:
    after = _stats(url)["by_route"]
    return sum(n - before.get(r, 0) for r, n in after.items()
               if r.startswith(("GET /purchaseorders/", "GET /invoices/")))


# ---- the file on its own ------------------------------------------------------------------------------------

@pytest.mark.parametrize("records", [
    [],
    [{"id": "1", "name": "Acme"}],
    [{"id": 'quo"te\\', "name": "Ünïcode ✓", "amount": Decimal("12.50")}, {"id": "2", "nested": {"a": [1, None]}}],
], ids=["empty", "one", "escapes-unicode-decimal"])
def test_records_written_are_read_back_in_order_with_decimals_as_the_old_files_had_them(tmp_path: Path, records: list) -> None:
    writer = RawWriter(tmp_path / "precoro_supplier.jsonl", "precoro", "supplier")
    writer.write(records[:1])
    writer.write(records[1:])
    back = writer.finish()
    old_way = json.loads(json.dumps(records, default=str))  # what a snapshot before issue 14 read back
    assert list(back) == old_way and len(back) == len(records) == writer.count
    for rec in old_way:
        assert back.get(record_id("precoro", "supplier", rec)) == rec
    assert back.get("absent") is None and copy.deepcopy(back) is back


def test_a_kind_that_never_finished_leaves_no_file_that_looks_complete(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path / "run")
    done = folder.raw_writer("xero", "supplier")
    done.write([{"ContactID": "a"}])
    done.finish()
    crashed = folder.raw_writer("xero", "item")  # never finished: the process died mid-kind
    crashed.write([{"ItemID": "i"}])
    crashed._fh.flush()
    stopped = folder.raw_writer("xero", "account")
    stopped.write([{"AccountID": "x"}])
    stopped.abort()
    folder.save_snapshot(Snapshot(meta={"xero": {}}))
    loaded = folder.load_snapshot()
    assert sorted(loaded.raw) == [("xero", "supplier")]
    assert not (tmp_path / "run" / "raw" / ".xero_account.jsonl.tmp").exists()


def test_an_incremental_copy_keeps_the_last_records_of_other_ids_and_the_new_file_replaces_an_old_one(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "xero_supplier.json").write_text(json.dumps([{"ContactID": "a", "v": 1}, {"ContactID": "b", "v": 1}]))
    previous = RawRecords(raw / "xero_supplier.json", "xero", "supplier")
    writer = RawWriter(raw / "xero_supplier.jsonl", "xero", "supplier")
    writer.write([{"ContactID": "b", "v": 2}, {"ContactID": "c", "v": 2}])
    writer.copy(previous, skip=set(writer.ids))
    merged = writer.finish()
    assert sorted((r["ContactID"], r["v"]) for r in merged) == [("a", 1), ("b", 2), ("c", 2)]
    assert not (raw / "xero_supplier.json").exists()  # one file per kind: the old one is replaced


# ---- snapshots written before, and streamed now, as the base of the next fetch ------------------------------

@pytest.fixture(params=["written before issue 14", "streamed"])
def saved(request: Any, sb: Sandbox, tmp_path: Path) -> Path:  # noqa: F811
    """A run folder of a full fetch of the demo data, in either format."""
    if request.param == "streamed":
        fetch(sb.settings, progress=False, options=FetchOptions(limits=FAST.limits, retry=FAST.retry, out=tmp_path / "a"))
        assert list((tmp_path / "a" / "raw").glob("*.jsonl")) and not list((tmp_path / "a" / "raw").glob("*.json"))
        reset_pacers()
        return tmp_path / "a"
    return _old_snapshot(tmp_path / "a")


def test_a_saved_snapshot_loads_with_every_record_of_every_frame(saved: Path) -> None:
    snap = Snapshot.load(saved)
    assert len(snap.raw) == 16
    for (system, kind), records in snap.raw.items():
        ids = {record_id(system, kind, r) for r in records}
        assert len(records) == len(ids) and set(snap.frame(system, kind)["id"]) <= ids, (system, kind)


def test_a_full_fetch_from_a_saved_snapshot_reuses_every_unchanged_document_and_gives_the_same_frames(
        sb: Sandbox, saved: Path, tmp_path: Path) -> None:  # noqa: F811
    fresh = fetch(sb.settings, progress=False, options=FAST)
    reset_pacers()
    before = _stats(sb.precoro_url)["by_route"]
    again = fetch(sb.settings, full=True, previous=Snapshot.load(saved), progress=False,
                  options=FetchOptions(limits=FAST.limits, retry=FAST.retry, out=tmp_path / "b"))
    assert _detail_calls(sb.precoro_url, before) == 0
    _frames_equal(fresh, again)
    for key, records in fresh.raw.items():
        assert sorted(map(json.dumps, Snapshot.load(tmp_path / "b").raw[key]), key=str) == \
            sorted(map(json.dumps, records), key=str), key


def test_an_incremental_fetch_from_a_saved_snapshot_gives_the_frames_of_a_full_fetch(sb: Sandbox, saved: Path) -> None:  # noqa: F811
    sid = pd.read_parquet(saved / "precoro_supplier.parquet")["id"].iloc[0]
    hdr = {"X-AUTH-TOKEN": "sandbox-token", "email": "sandbox@example.com"}
    assert httpx.put(f"{sb.precoro_url}/suppliers/{sid}", data={"name": "Renamed Ltd"}, headers=hdr).status_code == 200
    previous = Snapshot.load(saved)
    # the saved snapshot's last full fetch may be days old (the file of the old format is): keep it "recent"
    last = max(pd.Timestamp(t) for s in ("xero", "precoro") for t in previous.meta[s]["last_full"].values())
    options = FetchOptions(limits=FAST.limits, retry=FAST.retry, now=lambda: last.to_pydatetime() + pd.Timedelta(hours=1))
    incremental = fetch(sb.settings, previous=previous, progress=False, options=options)
    assert {incremental.meta[s]["modes"][k] for s in ("xero", "precoro") for k in ("supplier", "purchase_order", "bill")} \
        == {"incremental"}
    reset_pacers()
    full = fetch(sb.settings, full=True, progress=False, options=FAST)
    _frames_equal(full, incremental)
    assert incremental.frame("precoro", "supplier").set_index("id").loc[sid, "name"] == "Renamed Ltd"
    for key, records in full.raw.items():
        assert {record_id(*key, r) for r in incremental.raw[key]} == {record_id(*key, r) for r in records}, key


@pytest.mark.parametrize("old_way", [False, True], ids=["streamed", "written before issue 14"])
def test_a_fetch_stopped_by_the_day_limit_is_finished_from_its_saved_snapshot(sb: Sandbox, tmp_path: Path, old_way: bool) -> None:  # noqa: F811
    docs = len(sb.precoro.dump()["purchaseorders"])
    _faults(sb.precoro_url, limits={"day": 14})
    with pytest.raises(DailyLimitError):
        fetch(sb.settings, progress=False, options=FetchOptions(limits=FAST.limits, retry=FAST.retry, out=tmp_path / "r"))
    if old_way:
        _write_the_old_way(tmp_path / "r")
    finish_partial_documents(sb, Snapshot.load(tmp_path / "r"), docs)


def test_rows_typed_a_chunk_at_a_time_give_the_frames_typed_all_at_once(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    from recon import fetch as fetch_module

    whole = fetch(sb.settings, progress=False, options=FAST)
    reset_pacers()
    monkeypatch.setattr(fetch_module._Rows, "CHUNK", 3)  # the demo's 30 suppliers in ten chunks, lines in more
    chunked = fetch(sb.settings, progress=False, options=FAST)
    _frames_equal(whole, chunked)
