"""Fetch against both emulators over loopback: completeness, incremental refresh, faults, day limits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from recon import schema
from recon.config import load_settings
from recon.connectors import mapping
from recon.connectors.pacing import RetryPolicy, reset_pacers
from recon.errors import DailyLimitError, DataError
from recon.fetch import FetchOptions, fetch
from recon.sandbox import Sandbox
from recon.snapshot import Snapshot

from connector_sandbox import sandbox  # noqa: F401  (fixture)

FAST = FetchOptions(limits={"xero": {"minute": 100_000}, "precoro": {"minute": 100_000, "hour": 100_000}},
                    retry=RetryPolicy(attempts=8, base=0.01, cap=0.1))


@pytest.fixture()
def sb(sandbox: Sandbox, tmp_path: Path):
    sandbox.reset("demo")
    reset_pacers()
    for url in (sandbox.xero_url, sandbox.precoro_url):
        httpx.post(f"{url}/_sandbox/faults", json={"rate_429": 0, "rate_5xx": 0, "rate_slow": 0, "rate_drop": 0,
                                                     "rate_drop_after": 0, "methods": [], "path_regex": "",
                                                     "max_faults": None, "limits": {"minute": 1_000_000, "day": 1_000_000}})
    sandbox.settings = load_settings(env={"RECON_TOKEN_FILE": str(tmp_path / "tokens.json")}).with_sandbox_urls(
        sandbox.xero_url, sandbox.precoro_url)
    yield sandbox
    reset_pacers()


def _faults(url: str, **settings: Any) -> None:
    r = httpx.post(f"{url}/_sandbox/faults", json=settings)
    assert r.status_code == 200, r.text


def _stats(url: str) -> dict[str, Any]:
    """Server-side request counts; ``total`` leaves out the token endpoint."""
    stats = httpx.get(f"{url}/_sandbox/stats").json()
    stats["total"] = sum(n for route, n in stats["by_route"].items() if "/connect/" not in route)
    return stats


def _xero_expected(dump: dict[str, Any]) -> dict[str, set[str]]:
    contacts = [c for c in dump["Contacts"] if c.get("IsSupplier") or not c.get("IsCustomer")]
    return {
        "supplier": {c["ContactID"] for c in contacts},
        "item": {i["ItemID"] for i in dump["Items"]},
        "account": {a["AccountID"] for a in dump["Accounts"]},
        "tracking_option": {o["TrackingOptionID"] for c in dump["TrackingCategories"] for o in c.get("Options", [])},
        "tax_rate": {t["TaxType"] for t in dump["TaxRates"]},
        "purchase_order": {p["PurchaseOrderID"] for p in dump["PurchaseOrders"] if p.get("Status") != "DELETED"},
        "bill": {i["InvoiceID"] for i in dump["Invoices"] if i.get("Type") == "ACCPAY" and i.get("Status") != "DELETED"},
        "payment": {p["PaymentID"] for p in dump["Payments"] if p.get("Status") != "DELETED"},
    }


def _precoro_expected(dump: dict[str, Any]) -> dict[str, set[str]]:
    fields = dump["itemcustomfields"]
    return {
        "supplier": {str(s["id"]) for s in dump["suppliers"]},
        "item": {str(i["id"]) for i in dump["items"]},
        "account": {str(o["id"]) for f in fields if f["name"] == "Xero Chart of Accounts" for o in f["options"]},
        "tracking_option": {str(o["id"]) for f in fields if f["name"] != "Xero Chart of Accounts" for o in f["options"]},
        "tax_rate": {str(t["id"]) for t in dump["taxes"]},
        "purchase_order": {str(d["idn"]) for d in dump["purchaseorders"]},
        "bill": {str(d["idn"]) for d in dump["invoices"]},
        "payment": {str(p["id"]) for p in dump["payments"]},
    }


def test_every_kind_from_both_sides_equals_what_the_sandbox_holds(sb: Sandbox) -> None:
    snap = fetch(sb.settings, progress=False, options=FAST)
    xdump, pdump = sb.xero.dump(), sb.precoro.dump()
    for system, expected in (("xero", _xero_expected(xdump)), ("precoro", _precoro_expected(pdump))):
        for kind, ids in expected.items():
            got = set(snap.frame(system, kind)["id"])
            assert got == ids, (system, kind)
    # lines: every line of every document, with the document totals intact
    x_lines = sum(len(p.get("LineItems", [])) for p in xdump["PurchaseOrders"] if p.get("Status") != "DELETED")
    assert len(snap.frame("xero", "purchase_order_lines")) == x_lines
    p_lines = sum(len(d["items"]["data"]) for d in pdump["invoices"])
    assert len(snap.frame("precoro", "bill_lines")) == p_lines
    x_total = sum((Decimal(str(i["Total"])) for i in xdump["Invoices"] if i.get("Type") == "ACCPAY" and i.get("Status") != "DELETED"), Decimal(0))
    assert sum(snap.frame("xero", "bill")["total"], Decimal(0)) == x_total
    assert all(isinstance(v, Decimal) for v in snap.frame("precoro", "bill_lines")["unit_amount"])
    assert snap.meta["xero"]["rounding_account_code"] == "860"
    assert snap.meta["xero"]["organisation"] and snap.meta["xero"]["unitdp"] == 4
    assert snap.meta["precoro"]["precision"] == {"price": 4, "quantity": 2, "total": 2}


def test_a_fresh_fetch_has_the_frames_a_reloaded_snapshot_has(sb: Sandbox, tmp_path: Path) -> None:
    """Typed as the schema says, column for column (the Xero lines' tax rate, filled from the tax rates after
    the mapping, was a column of Decimal objects until the snapshot was saved and read again)."""
    snap = fetch(sb.settings, progress=False, options=FAST)
    for (system, kind), df in snap.frames.items():
        assert schema.is_conformed(df, kind), (system, kind, df.dtypes.to_dict())
    lines = snap.frame("xero", "bill_lines")
    rates = dict(zip(snap.frame("xero", "tax_rate")["tax_type"], snap.frame("xero", "tax_rate")["rate"]))
    assert lines["tax_rate"].notna().any()
    assert [rates.get(t) if isinstance(t, str) else None for t in lines["tax_type"]] == \
        [None if pd.isna(r) else r for r in lines["tax_rate"]]
    payments, bills = snap.frame("precoro", "payment"), snap.frame("precoro", "bill")
    xero_of_bill = dict(zip(bills["id"], bills["xero_id"]))
    assert payments["bill_xero_id"].notna().any()
    assert [xero_of_bill.get(b) for b in payments["bill_id"]] == \
        [None if pd.isna(x) else x for x in payments["bill_xero_id"]]
    snap.save(tmp_path / "snap")
    _frames_equal(snap, Snapshot.load(tmp_path / "snap"))


def test_a_full_fetch_uses_one_request_per_kind_on_small_data(sb: Sandbox) -> None:
    x0, p0 = _stats(sb.xero_url)["total"], _stats(sb.precoro_url)["total"]
    snap = fetch(sb.settings, progress=False, options=FAST)
    # Xero: one call per kind + the organisation. Precoro: one per kind, where the two ICF kinds cost one
    # options call per field plus one list of fields, + one detail per document + the company.
    assert snap.meta["xero"]["requests"] == _stats(sb.xero_url)["total"] - x0 == 8 + 1
    pdump = sb.precoro.dump()
    docs = len(pdump["purchaseorders"]) + len(pdump["invoices"])
    fields = len(pdump["itemcustomfields"])
    assert snap.meta["precoro"]["requests"] == _stats(sb.precoro_url)["total"] - p0 == 6 + fields + 1 + docs + 1


def test_an_incremental_refresh_with_nothing_changed_costs_one_request_per_kind_and_the_lock_dates(sb: Sandbox) -> None:
    first = fetch(sb.settings, progress=False, options=FAST)
    x0, p0 = _stats(sb.xero_url)["total"], _stats(sb.precoro_url)["total"]
    second = fetch(sb.settings, previous=first, progress=False, options=FAST)
    assert _stats(sb.xero_url)["total"] - x0 == 8 + 1  # and the organisation: its lock dates may have moved
    fields = len(sb.precoro.dump()["itemcustomfields"])
    assert _stats(sb.precoro_url)["total"] - p0 == 6 + fields + 1
    for key, df in first.frames.items():
        pd.testing.assert_frame_equal(df, second.frames[key], obj=str(key))


def test_incremental_refresh_picks_up_changes_on_either_side(sb: Sandbox) -> None:
    first = fetch(sb.settings, progress=False, options=FAST)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)
    # Precoro: rename a supplier (PUT); Xero: archive a contact (POST)
    sid = first.frame("precoro", "supplier")["id"].iloc[0]
    hdr = {"X-AUTH-TOKEN": "sandbox-token", "email": "sandbox@example.com"}
    assert httpx.put(f"{sb.precoro_url}/suppliers/{sid}", data={"name": "Renamed Ltd"}, headers=hdr).status_code == 200
    from recon.connectors.base import WriteRequest
    from recon.connectors.xero import XeroConnector
    cid = first.frame("xero", "supplier")["id"].iloc[0]
    with XeroConnector(sb.settings) as xero:
        [res] = xero.write([WriteRequest("a1", "supplier", "archive", cid, {})])
    assert res.ok, res
    second = fetch(sb.settings, previous=first, progress=False, options=FAST)
    p = second.frame("precoro", "supplier").set_index("id")
    x = second.frame("xero", "supplier").set_index("id")
    assert p.loc[sid, "name"] == "Renamed Ltd"
    assert not x.loc[cid, "active"]
    assert len(p) == len(first.frame("precoro", "supplier")) and len(x) == len(first.frame("xero", "supplier"))
    assert second.meta["precoro"]["modes"]["supplier"] == "incremental"
    assert later  # the change is after the watermark minus the overlap


def _frames_equal(a: Snapshot, b: Snapshot) -> None:
    assert sorted(a.frames) == sorted(b.frames)
    for key, df in a.frames.items():
        pd.testing.assert_frame_equal(df, b.frames[key], obj=str(key))


@pytest.mark.parametrize("faults", [
    {"rate_5xx": 0.3, "seed": 1},
    {"rate_drop": 0.3, "seed": 2},
    {"rate_429": 0.3, "retry_after": 1, "seed": 3, "max_faults": 3},
    {"rate_slow": 0.5, "slow_seconds": 0.05, "seed": 4},
], ids=["5xx", "dropped", "429-minute", "slow"])
def test_a_fetch_under_faults_ends_with_the_frames_of_a_clean_fetch(sb: Sandbox, faults: dict[str, Any]) -> None:
    clean = fetch(sb.settings, progress=False, options=FAST)
    reset_pacers()
    for url in (sb.xero_url, sb.precoro_url):
        _faults(url, **faults)
    faulty = fetch(sb.settings, progress=False, options=FAST)
    injected = [httpx.get(f"{u}/_sandbox/faults").json()["injected"] for u in (sb.xero_url, sb.precoro_url)]
    assert sum(injected) > 0
    _frames_equal(clean, faulty)


def test_a_token_expiring_mid_run_is_renewed(sb: Sandbox) -> None:
    from recon.connectors.precoro import PrecoroConnector
    from recon.connectors.xero import XeroConnector
    clean = fetch(sb.settings, progress=False, options=FAST)
    reset_pacers()
    xero, precoro = XeroConnector(sb.settings), PrecoroConnector(sb.settings)
    original = xero.fetch_kind
    clock = sb.xero.clock

    def aging_fetch(kind: str, **kw: Any):
        if kind == "purchase_order":  # half way: the token the connector holds expires on the server
            sb.xero.clock = lambda: clock() + 3600
            sb.xero.identity.clock = sb.xero.clock
        return original(kind, **kw)
    xero.fetch_kind = aging_fetch  # type: ignore[method-assign]
    try:
        before = xero.tokens.fetches
        snap = fetch(sb.settings, progress=False, options=FAST, connectors=(xero, precoro))
        assert xero.tokens.fetches == before + 2  # the first token, and one after the 401
    finally:
        sb.xero.clock = clock
        sb.xero.identity.clock = clock
        xero.close()
        precoro.close()
    _frames_equal(clean, snap)


@pytest.mark.parametrize("system", ["xero", "precoro"])
def test_a_day_limit_stops_with_the_resume_time_and_keeps_what_was_fetched(sb: Sandbox, system: str, tmp_path: Path) -> None:
    url = sb.xero_url if system == "xero" else sb.precoro_url
    _faults(url, limits={"day": 4})
    with pytest.raises(DailyLimitError) as err:
        fetch(sb.settings, progress=False, options=FetchOptions(limits=FAST.limits, retry=FAST.retry, out=tmp_path / "run"))
    exc = err.value
    assert exc.system == system and exc.resume_at is not None
    assert exc.resume_at > dt.datetime.now(dt.timezone.utc)
    assert "resume" in str(exc)
    kept = exc.snapshot  # type: ignore[attr-defined]
    assert len(kept.meta[system]["fetched_kinds"]) >= 2
    other = "precoro" if system == "xero" else "xero"
    assert len(kept.meta[other]["fetched_kinds"]) == len(schema.KINDS)
    saved = Snapshot.load(tmp_path / "run")
    assert sorted(saved.frames) == sorted(kept.frames)


def test_a_kind_whose_last_full_fetch_is_too_old_is_fetched_in_full_again(sb: Sandbox) -> None:
    first = fetch(sb.settings, kinds=("supplier",), progress=False, options=FAST)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=8)
    options = FetchOptions(limits=FAST.limits, retry=FAST.retry, now=lambda: later)
    again = fetch(sb.settings, kinds=("supplier",), previous=first, progress=False, options=options)
    assert again.meta["xero"]["modes"]["supplier"] == "full" and again.meta["precoro"]["modes"]["supplier"] == "full"
    soon = FetchOptions(limits=FAST.limits, retry=FAST.retry, now=lambda: later - dt.timedelta(days=7))
    third = fetch(sb.settings, kinds=("supplier",), previous=first, progress=False, options=soon)
    assert third.meta["xero"]["modes"]["supplier"] == "incremental"
    assert again.meta["xero"]["last_full"]["supplier"] == later.isoformat()


def test_after_a_day_limit_in_document_details_the_next_run_reuses_the_details_read(sb: Sandbox) -> None:
    docs = len(sb.precoro.dump()["purchaseorders"])
    # enough for the lists before documents and a few purchase-order details, not for all of them
    _faults(sb.precoro_url, limits={"day": 14})
    with pytest.raises(DailyLimitError) as err:
        fetch(sb.settings, progress=False, options=FAST)
    finish_partial_documents(sb, err.value.snapshot, docs)  # type: ignore[attr-defined]


def finish_partial_documents(sb: Sandbox, kept: Snapshot, docs: int) -> Snapshot:
    """The fetch after one a day limit stopped in the purchase-order details: with the budget back, it reads
    only the details ``kept`` lacks and ends with all ``docs`` purchase orders."""
    assert "purchase_order" in kept.meta["precoro"]["partial_kinds"]
    read = len(kept.raw[("precoro", "purchase_order")])
    assert 0 < read < docs and ("precoro", "purchase_order") not in kept.frames
    _faults(sb.precoro_url, limits={"day": 1_000_000})
    before = _stats(sb.precoro_url)["by_route"]
    snap = fetch(sb.settings, previous=kept, progress=False, options=FAST)
    after = _stats(sb.precoro_url)["by_route"]
    details = sum(n - before.get(r, 0) for r, n in after.items() if r.startswith("GET /purchaseorders/"))
    assert details == docs - read
    assert len(snap.frame("precoro", "purchase_order")) == docs
    return snap


def test_the_compiled_field_map_gives_what_the_map_rows_give_on_every_served_record(sb: Sandbox) -> None:
    """to_canonical runs one generated function per frame; it must agree with the table row by row."""
    snap = fetch(sb.settings, progress=False, options=FAST)
    checked = 0
    for (system, kind), records in snap.raw.items():
        line_frame = schema.LINE_FRAMES.get(kind)
        for rec in records:
            pairs = [(kind, rec)]
            if line_frame:
                lines = rec.get("LineItems") if system == "xero" else (rec.get("items") or {}).get("data")
                pairs += [(line_frame, line) for line in lines or []]
            for frame, raw in pairs:
                by_rows = {row.column: row.value(raw) for row in mapping.rows(system, frame)}
                assert mapping.to_canonical(system, frame, raw) == by_rows, (system, frame, raw)
                checked += 1
    assert checked > 100


@pytest.mark.parametrize("record", ["a text", 7, ["a", "list"], None])
def test_a_record_that_is_not_an_object_is_named_not_mapped_to_nothing(record: Any) -> None:
    with pytest.raises(DataError, match="not an object") as err:
        mapping.to_canonical("precoro", "bill_lines", record, extra={"doc_id": "12"})
    assert (err.value.system, err.value.kind, err.value.record) == ("precoro", "bill_lines", "line of 12")


def test_an_unknown_kind_is_refused_by_name_not_dropped(sb: Sandbox) -> None:
    with pytest.raises(ValueError, match="unknown kinds \\['invoice'\\]"):
        fetch(sb.settings, kinds=("supplier", "invoice"), progress=False, options=FAST)


def test_a_fetch_raises_the_collector_threshold_only_while_it_runs_even_when_fetches_overlap() -> None:
    import gc
    import threading

    from recon.fetch import _fewer_collections

    before = gc.get_threshold()
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with _fewer_collections(young=123_456):
            inside.set()
            release.wait(5)

    t = threading.Thread(target=other)
    t.start()
    inside.wait(5)
    with _fewer_collections(young=123_456):
        assert gc.get_threshold()[0] == max(before[0], 123_456)
    assert gc.get_threshold()[0] == max(before[0], 123_456)  # the other fetch still runs
    release.set()
    t.join()
    assert gc.get_threshold() == before
