"""Reconcile benchmark: 100,000 suppliers and 1,000,000 PO and bill lines, time and peak memory, and the
supplier comparison against datacompy on the same frames and keys, in the same process.

The data is generated here, deterministically (numpy ``default_rng`` with a fixed seed), directly in the
canonical schema: amounts are exact integers turned into decimal128 columns in one buffer each, and the systems'
own integer line maths (``money``) gives the line amounts. The datacompy comparisons run in a child process of
their own, so that the peak memory reported is recon's (the child's is reported beside it).
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import resource
import sys
import tempfile
import time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from recon import money, schema
from recon.reconcile import diff, fields, reconcile
from recon.reconcile.link import link
from recon.rules import rule as get_rule
from recon.snapshot import Snapshot

SEED = 20261123
#: each supplier comparison is timed this many times; the best time counts
REPEAT = 3
SUPPLIER_FIELDS = ("name", "email", "phone", "tax_number", "company_number", "currency", "address_line1", "city",
                   "region", "postal_code", "country")


def _s(values: Any) -> pd.Series:
    return pd.Series(values, dtype="string")


@lru_cache(maxsize=8)
def _no_text(n: int) -> pa.Array:
    """One all-missing text array of ``n`` values, shared by every text column the generator leaves empty (Arrow
    arrays are immutable): each would otherwise hold 8 bytes of offsets a row, about 120 MiB for the line
    frames' eight empty columns at 1,000,000 lines."""
    return pa.nulls(n, pa.large_string())


def _frame(frame: str, data: dict[str, Any], n: int) -> pd.DataFrame:
    out = {}
    empty = schema.empty(frame)
    for name in schema.columns(frame):
        if name in data:
            value = data[name]
        elif empty[name].dtype == "string":
            value = pd.Series(_no_text(n), dtype=empty[name].dtype)
        else:
            value = pd.Series([None] * n, dtype=empty[name].dtype) if str(empty[name].dtype) != "object" else \
                np.full(n, None, dtype=object)
        out[name] = pd.Series(value, dtype=empty[name].dtype) if not isinstance(value, pd.Series) else \
            value.reset_index(drop=True).astype(empty[name].dtype)
    return pd.DataFrame(out)


def suppliers(n: int, seed: int = SEED) -> tuple[Snapshot, dict[str, pd.DataFrame]]:
    """``n`` suppliers per side: 96 % linked (5 % of them with one edited field, 1 % inactivated), 2 % only in
    Precoro, 2 % only in Xero; with a baseline for every linked pair."""
    rng = np.random.default_rng(seed)
    i = np.arange(n)
    xid = _s(pd.Series(i).map("{:08x}-0000-4000-8000-000000000000".format))
    base = {
        "name": _s("Supplier " + pd.Series(i).astype(str)),
        "email": _s("ap" + pd.Series(i).astype(str) + "@supplier.test"),
        "phone": _s("+44 20 " + pd.Series(rng.integers(1000000, 9999999, n)).astype(str)),
        "tax_number": _s("GB" + pd.Series(i + 100000000).astype(str)),
        "company_number": _s(pd.Series(i + 1000000).astype(str)),
        "currency": _s(np.where(rng.random(n) < 0.8, "GBP", "EUR")),
        "address_line1": _s(pd.Series(rng.integers(1, 300, n)).astype(str) + " High Street"),
        "city": _s(np.array(["London", "Leeds", "Bath", "York", "Derby"])[rng.integers(0, 5, n)]),
        "region": _s(np.full(n, "England")), "postal_code": _s(np.full(n, "AB1 2CD")), "country": _s(np.full(n, "GB")),
        "active": pd.Series(np.ones(n, dtype=bool), dtype="boolean"),
    }
    shape = rng.random(n)
    linked, only_p, only_x = shape < 0.96, (shape >= 0.96) & (shape < 0.98), shape >= 0.98
    p = {k: v.copy() for k, v in base.items()}
    x = {k: v.copy() for k, v in base.items()}
    edit = linked & (rng.random(n) < 0.05)
    which = rng.integers(0, 3, n)
    x["name"] = x["name"].where(~(edit & (which == 0)), x["name"] + " Ltd")
    p["email"] = p["email"].where(~(edit & (which == 1)), "billing@changed.test")
    x["city"] = x["city"].where(~(edit & (which == 2)), "Bristol")
    x["active"] = x["active"].where(~(linked & (rng.random(n) < 0.01)), False)
    p_rows, x_rows = ~only_x, ~only_p
    pf = _frame("supplier", {**{k: v[p_rows] for k, v in p.items()}, "id": _s("P" + pd.Series(i).astype(str))[p_rows],
                             "xero_id": xid.where(linked, None)[p_rows]}, int(p_rows.sum()))
    # only-in-Precoro suppliers have names of their own (no match candidates)
    pf.loc[~linked[p_rows], "name"] = pf.loc[~linked[p_rows], "name"] + " (new)"
    pf.loc[~linked[p_rows], "email"] = None
    pf.loc[~linked[p_rows], "tax_number"] = None
    xf = _frame("supplier", {**{k: v[x_rows] for k, v in x.items()}, "id": xid[x_rows], "xero_id": xid[x_rows]},
                int(x_rows.sum()))
    bf = _frame("supplier", {**{k: v[linked] for k, v in base.items()}, "id": _s("P" + pd.Series(i).astype(str))[linked],
                             "xero_id": xid[linked]}, int(linked.sum()))
    snap = Snapshot(frames={("precoro", "supplier"): pf, ("xero", "supplier"): xf}, meta=META)
    return snap, {"supplier": bf}


META = {"precoro": {"precision": {"price": 4, "quantity": 2, "total": 2}},
        "xero": {"name": "Bench Org", "base_currency": "GBP", "unitdp": 2, "rounding_account_code": "860"}}


def _decimal(ints: np.ndarray, kind: str, places: int) -> pd.Series:
    """A canonical decimal column of ``kind`` ("money" or "unit") from exact integers × 10^places: built from the
    unscaled integers in one Arrow buffer, no ``Decimal`` per value."""
    type_ = schema.ARROW_TYPES[kind]
    return pd.Series(money.from_unscaled(ints, type_, places), dtype=pd.ArrowDtype(type_))


def documents(n_lines: int, seed: int = SEED, per_doc: int = 5) -> Snapshot:
    """``n_lines`` lines per side, half purchase orders and half bills, ``per_doc`` lines a document: 97 % of
    documents linked (1 % of them with a quantity edited in Xero), 1 % approved and not yet sent, 1 % cancelled
    in Precoro, 1 % still draft. 10 % of unit prices have 4 decimals (rounding differences at unitdp=2).

    The amounts are made as exact integers (quantities, prices and rates × 10^4, amounts in cents) with the
    systems' own integer line maths (Precoro's rounding at its precision 4/2/2, ``money.xero_line_cents``), and
    become decimal128 columns straight from those integers: a million ``Decimal`` objects and their arithmetic
    would hold more memory than the frames themselves."""
    rng = np.random.default_rng(seed + 1)
    rates4 = np.array([0, 15, 20], dtype=np.int64) * 10**4
    days = np.array([dt.date(2026, 1, 1) + dt.timedelta(days=d) for d in range(365)], dtype=object)
    frames: dict[tuple[str, str], pd.DataFrame] = {}
    for k, kind in enumerate(("purchase_order", "bill")):
        n_docs = n_lines // 2 // per_doc
        nl = n_docs * per_doc
        d = np.arange(n_docs)
        pid = _s(pd.Series(d + 1 + k * 10**7).astype(str))
        xid = _s(pd.Series(d + k * 10**7).map("{:08x}-1111-4000-8000-000000000000".format))
        shape = rng.random(n_docs)
        sent, new, cancelled = shape < 0.97, (shape >= 0.97) & (shape < 0.98), (shape >= 0.98) & (shape < 0.99)
        status = np.where(cancelled, "cancelled", np.where(shape >= 0.99, "draft", "approved"))
        doc_of_line = np.repeat(d, per_doc)
        four = rng.random(nl) < 0.10
        # the same draws as ever: a 4-decimal price j / 10^4 or a 2-decimal one j / 100, as units × 10^4
        price4 = np.where(four, rng.integers(1, 100000, nl), rng.integers(1, 100000, nl) * 100)
        qty4 = rng.integers(1, 21, nl) * 10**4
        rate4 = rates4[rng.integers(0, 3, nl)]
        # Precoro at precision price 4, quantity 2, total 2: both already exact at those places
        net = money.div_half_up(qty4 * price4, 10**6)
        tax = money.div_half_up(net * rate4, 100 * 10**4)
        xq4 = qty4.copy()
        edited = np.zeros(nl, dtype=bool)
        edited[(np.flatnonzero(sent & (rng.random(n_docs) < 0.01)) * per_doc)] = True
        xq4[edited] = 20 * 10**4
        xamt, xtax = money.xero_line_cents(xq4, price4, rate4, np.array("Exclusive"), 2)
        line_no = np.tile(np.arange(1, per_doc + 1), n_docs)
        item = rng.random(nl) < 0.5
        common = {"line_no": pd.array(line_no, dtype="Int64"), "item_code": _s(np.where(item, "BOLT", "")),
                  "description": _s(np.full(nl, "Bolts, zinc plated")), "account_code": _s(np.full(nl, "300")),
                  "tax_type": _s(np.where(rate4 == 0, "NONE", "INPUT2"))}
        frames[("precoro", f"{kind}_lines")] = _frame(f"{kind}_lines", {
            **common, "doc_id": pid.iloc[doc_of_line].reset_index(drop=True), "tax_rate": _decimal(rate4, "unit", 4),
            "quantity": _decimal(qty4, "unit", 4), "unit_amount": _decimal(price4, "unit", 4),
            "line_amount": _decimal(net, "money", 2), "tax_amount": _decimal(tax, "money", 2)}, nl)
        x_keep = sent[doc_of_line]
        frames[("xero", f"{kind}_lines")] = _frame(f"{kind}_lines", {
            **{c: v[x_keep] for c, v in common.items()}, "tax_rate": _decimal(rate4[x_keep], "unit", 4),
            "doc_id": xid.iloc[doc_of_line[x_keep]].reset_index(drop=True), "quantity": _decimal(xq4[x_keep], "unit", 4),
            "unit_amount": _decimal(money.div_half_up(price4[x_keep], 100), "unit", 2),
            "line_amount": _decimal(xamt[x_keep], "money", 2), "tax_amount": _decimal(xtax[x_keep], "money", 2)},
            int(x_keep.sum()))
        del common, price4, qty4, xq4, rate4

        def sums(cents: np.ndarray) -> np.ndarray:
            # the lines of a document are contiguous, per_doc of them
            return cents.reshape(n_docs, per_doc).sum(axis=1)
        p_sub, p_tax, x_sub, x_tax = sums(net), sums(tax), sums(xamt), sums(xtax)
        supplier = rng.integers(0, 96000, n_docs)
        head = {"number": _s("PO-" + pd.Series(d + k * 10**7).astype(str)), "supplier_id": _s("P" + pd.Series(supplier).astype(str)),
                "supplier_xero_id": _s(pd.Series(supplier).map("{:08x}-0000-4000-8000-000000000000".format)),
                "date": days[rng.integers(0, 365, n_docs)], "currency": _s(np.full(n_docs, "GBP")),
                "line_amount_types": _s(np.full(n_docs, "Exclusive"))}
        if kind == "purchase_order":
            head["delivery_date"] = head["date"]
        else:
            head["due_date"] = head["date"]
        frames[("precoro", kind)] = _frame(kind, {
            **head, "id": pid, "xero_id": xid.where(sent, None), "status": _s(status),
            "active": pd.array(~cancelled, dtype="boolean"), "subtotal": _decimal(p_sub, "money", 2),
            "total_tax": _decimal(p_tax, "money", 2), "total": _decimal(p_sub + p_tax, "money", 2)}, n_docs)
        frames[("xero", kind)] = _frame(kind, {
            **{c: v[sent] for c, v in head.items()}, "id": xid[sent],
            "xero_id": xid[sent], "status": _s(np.full(int(sent.sum()), "approved")),
            "active": pd.array(np.ones(int(sent.sum()), dtype=bool), dtype="boolean"),
            "subtotal": _decimal(x_sub[sent], "money", 2), "total_tax": _decimal(x_tax[sent], "money", 2),
            "total": _decimal((x_sub + x_tax)[sent], "money", 2)}, int(sent.sum()))
        del new
    return Snapshot(frames=frames, meta=META)


def _peak_mib() -> float:
    """This process's peak resident memory: Linux's high-water mark of its own address space (``VmHWM``), else
    ``ru_maxrss``. On Linux ``ru_maxrss`` of a spawned child starts at its parent's resident size when it was
    spawned (the kernel keeps the larger of the two across the exec): a child spawned by this bench after its
    reconciles reported the parent's ~1 GiB as its own peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_mib() -> float:
    """Resident memory now (the peak above includes the data generation's temporaries)."""
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _timed(fn: Any) -> tuple[Any, float]:
    gc.collect()
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def compare_with_datacompy(snap: Snapshot) -> dict[str, Any]:
    """The supplier comparison: recon's comparison and whole reconcile against datacompy's PandasCompare, same
    frames and key, each the best of :data:`REPEAT` interleaved runs."""
    import datacompy

    cols = ["xero_id", *SUPPLIER_FIELDS, "active"]
    p = snap.frame("precoro", "supplier")[cols]
    x = snap.frame("xero", "supplier")[cols]
    rule = get_rule("supplier")

    # recon gets the columns datacompy gets (plus each side's own id, which linking reports)
    pf = snap.frame("precoro", "supplier")[["id", *cols]]
    xf = snap.frame("xero", "supplier")[["id", *cols]]

    def comparison() -> pd.DataFrame:
        # the part datacompy does: pair the records on the key and find the differing fields (recon's linking
        # also looks for match candidates among the unpaired records, which datacompy only lists)
        linkage = link(rule, pf, xf, None)
        pair_p, pair_x = linkage.pairs["p"].to_numpy(), linkage.pairs["x"].to_numpy()
        # the pairs' compared columns, aligned by reconcile's own take (datacompy's merge does the same)
        pc, xc = fields.taken(pf, list(rule.fields), pair_p), fields.taken(xf, list(rule.fields), pair_x)
        return diff.compare(rule, "supplier", rule.fields, pc, xc, None, np.zeros(len(pair_p), dtype=bool), pair_p, pair_x)

    # best of REPEAT, interleaved, so that other work on a shared machine hits both sides alike
    t_cmp = t_recon = t_dc = float("inf")
    for _ in range(REPEAT):
        found, t = _timed(comparison)
        t_cmp = min(t_cmp, t)
        cmp, t = _timed(lambda: datacompy.PandasCompare(p, x, join_columns=["xero_id"], ignore_spaces=True))
        t_dc = min(t_dc, t)
        rec, t = _timed(lambda: reconcile(snap, kinds=["supplier"], run_id="bench"))
        t_recon = min(t_recon, t)
    return {"recon_comparison_seconds": round(t_cmp, 3), "recon_reconcile_seconds": round(t_recon, 3),
            "datacompy_seconds": round(t_dc, 3), "speedup_comparison": round(t_dc / t_cmp, 2),
            "speedup_full_reconcile": round(t_dc / t_recon, 2), "recon_field_differences": int(len(found)),
            "recon_differences": int(len(rec.differences)),
            "datacompy_mismatched_rows": int(len(cmp.all_mismatch()))}


def _line_frames_for_datacompy(snap: Snapshot, kind: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The line frames of ``kind`` as datacompy needs them: both keyed by the Xero document id and the line number
    (Precoro lines get their document's ``xero_id``; lines of documents not in Xero keep no key and datacompy
    lists them as unpaired), with the compared line columns."""
    frame = schema.LINE_FRAMES[kind]
    cols = ["doc_id", "line_no", *get_rule(kind).line_fields]
    head = snap.frame("precoro", kind)
    to_xero = pd.Series(head["xero_id"].to_numpy(), index=head["id"].to_numpy())
    lp = snap.frame("precoro", frame)[cols].copy()
    lp["doc_id"] = pd.array(lp["doc_id"].map(to_xero).to_numpy(), dtype="string")
    return lp, snap.frame("xero", frame)[cols]


def compare_documents_with_datacompy(snap: Snapshot) -> dict[str, Any]:
    """recon's documents ``reconcile()`` (headers, lines, rounding analysis, plan) against datacompy's bare
    comparison of the same PO and bill line frames joined on document id and line number."""
    import datacompy

    frames = {kind: _line_frames_for_datacompy(snap, kind) for kind in ("purchase_order", "bill")}

    def bare() -> int:
        return sum(len(datacompy.PandasCompare(lp, lx, join_columns=["doc_id", "line_no"]).all_mismatch())
                   for lp, lx in frames.values())

    mismatched, t_dc = _timed(bare)
    rec, t_recon = _timed(lambda: reconcile(snap, kinds=["purchase_order", "bill"], run_id="bench"))
    return {"recon_documents_seconds": round(t_recon, 3), "datacompy_lines_seconds": round(t_dc, 3),
            "speedup_documents": round(t_dc / t_recon, 2), "datacompy_mismatched_line_rows": int(mismatched),
            "recon_document_differences": int(len(rec.differences)), "recon_document_actions": len(rec.plan.actions)}


def representations(n: int = 1_000_000, seed: int = SEED) -> dict[str, Any]:
    """The micro case behind the schema's choice: Xero's line maths (line amount and per-line tax, half away
    from zero) and an equality test on ``n`` lines, in Arrow ``decimal128`` arithmetic (``pyarrow.compute``),
    in scaled ``int64`` (what ``money.xero_line_columns`` does on the decimal columns' own integers) and, for
    the equality test, on ``Decimal`` objects (the schema before issue 14); both exact results are checked equal."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)
    q4 = rng.integers(1, 21, n) * 10**4
    u4 = rng.integers(1, 10**9, n)
    r4 = rng.choice(np.array([0, 150000, 200000]), n)
    unit = schema.ARROW_TYPES["unit"]
    cols = [money.from_unscaled(v, unit, 4) for v in (q4, u4, r4)]
    lat = np.full(n, "Exclusive", dtype=object)

    def arrow_maths() -> tuple[Any, Any]:
        q, u, r = (pc.cast(c, pa.decimal128(18, 4)) for c in cols)
        line = pc.cast(pc.round(pc.multiply(q, u), 2, round_mode=money.HALF_AWAY_FROM_ZERO), pa.decimal128(18, 2))
        rate = pc.cast(pc.divide(r, pa.scalar(Decimal(100), pa.decimal128(3, 0))), pa.decimal128(18, 6))
        return line, pc.round(pc.multiply(line, rate), 2, round_mode=money.HALF_AWAY_FROM_ZERO)

    def int_maths() -> tuple[np.ndarray, np.ndarray]:
        return money.xero_line_columns(*(pd.Series(c, dtype=pd.ArrowDtype(unit)) for c in cols), lat, 4)

    t_arrow = t_int = float("inf")
    for _ in range(REPEAT):
        (a_line, a_tax), t = _timed(arrow_maths)
        t_arrow = min(t_arrow, t)
        (i_line, i_tax), t = _timed(int_maths)
        t_int = min(t_int, t)
    same = bool(np.array_equal(money.unscaled(a_line, 2), i_line) and np.array_equal(money.unscaled(a_tax, 2), i_tax))
    objects = np.array([Decimal(int(v)).scaleb(-4) for v in u4[: n // 10]], dtype=object)
    objects_back = objects[::-1].copy()
    back = cols[1].take(pa.array(np.arange(n)[::-1]))
    _, t_obj = _timed(lambda: objects == objects_back)
    _, t_eq = _timed(lambda: pc.equal(cols[1], back))
    sums = [pd.Series(objects), pd.Series(cols[1][: n // 10], dtype=pd.ArrowDtype(unit))]
    _, t_obj_sum = _timed(lambda: sums[0].sum())
    _, t_dec_sum = _timed(lambda: sums[1].sum())
    return {"lines": n, "decimal128_line_maths_seconds": round(t_arrow, 3), "int64_line_maths_seconds": round(t_int, 3),
            "same_results": same, "decimal128_equality_seconds": round(t_eq, 4),
            "decimal_objects_equality_seconds": round(t_obj * 10, 4),  # measured on a tenth of the lines
            "decimal128_sum_seconds": round(t_dec_sum * 10, 4), "decimal_objects_sum_seconds": round(t_obj_sum * 10, 4),
            "bytes_per_value": {"decimal128": 16, "int64": 8, "Decimal object": 8 + sys.getsizeof(Decimal("1234.5678"))}}


def measure_suppliers(n_suppliers: int = 100_000) -> dict[str, Any]:
    """The supplier part alone (``--only suppliers``): the comparison with datacompy and the supplier
    ``reconcile()`` with baselines, without generating or reconciling documents."""
    out: dict[str, Any] = {"suppliers": n_suppliers, "only": "suppliers"}
    (sup, base), t_gen = _timed(lambda: suppliers(n_suppliers))
    out["generate_seconds"] = round(t_gen, 1)
    out["datacompy"] = compare_with_datacompy(sup)
    rec, t_s = _timed(lambda: reconcile(sup, kinds=["supplier"], baselines=base, run_id="bench"))
    out["suppliers_seconds"] = round(t_s, 3)
    out["supplier_differences"] = int(len(rec.differences))
    out["supplier_actions"] = len(rec.plan.actions)
    out["peak_rss_mib"] = round(_peak_mib(), 1)
    out["goals"] = {"speedup_comparison >= 5": out["datacompy"]["speedup_comparison"] >= 5,
                    "speedup_full_reconcile >= 1.5": out["datacompy"]["speedup_full_reconcile"] >= 1.5}
    return out


def peer_comparisons(n_suppliers: int, n_lines: int) -> dict[str, Any]:
    """The side-by-side comparisons with datacompy on freshly generated (identical, seeded) frames, with the
    peak resident memory of the process they run in."""
    sup, _ = suppliers(n_suppliers)
    docs = documents(n_lines)
    out: dict[str, Any] = {"datacompy": compare_with_datacompy(sup)}
    out["peak_rss_mib_after_supplier_comparisons"] = round(_peak_mib(), 1)
    out["datacompy_documents"] = compare_documents_with_datacompy(docs)
    out["peak_rss_mib"] = round(_peak_mib(), 1)
    return out


def _in_child(fn: Any, *args: Any) -> Any:
    """``fn(*args)`` in a fresh interpreter (spawned, so it shares no memory with this one)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


KINDS = ["supplier", "purchase_order", "bill"]


def _results(rec: Any) -> dict[str, Any]:
    """What a reconcile found, to compare two runs of it: counts, the plan's fingerprint and a hash of the
    differences as ``differences.csv`` holds them."""
    text = rec.differences.to_csv(index=False, lineterminator="\n").encode()
    return {"differences": int(len(rec.differences)), "actions": len(rec.plan.actions),
            "fingerprint": rec.plan.fingerprint, "differences_sha256": hashlib.sha256(text).hexdigest()}


def save_as_the_product(snap: Snapshot, baselines: dict[str, pd.DataFrame], folder: Path) -> None:
    """``snap`` saved as a fetch saves it (``<folder>/run``) and ``baselines`` in a state store
    (``<folder>/state.sqlite``), where a nightly run's reconcile step finds them."""
    from recon.run_folder import RunFolder
    from recon.store import Store

    RunFolder.create(folder, "run").save_snapshot(snap)
    with Store(folder / "state.sqlite") as store:
        store.seed(baselines={k: df.to_dict("records") for k, df in baselines.items()})


def product_path(folder: str) -> dict[str, Any]:
    """The reconcile step of a nightly run (``Session.reconcile``) on what :func:`save_as_the_product` saved:
    the snapshot read back (``RunFolder.load_snapshot``), links and baselines from the state store, the full
    ``reconcile()``. Run in a fresh process, so that its peak is that step's alone."""
    from recon.run_folder import RunFolder
    from recon.store import Store

    snap, t_load = _timed(lambda: RunFolder(Path(folder) / "run").load_snapshot())
    with Store(Path(folder) / "state.sqlite") as store:
        (links, baselines), t_store = _timed(lambda: (store.links(), store.baselines(KINDS)))
    held = _current_mib()
    rec, t_rec = _timed(lambda: reconcile(snap, kinds=KINDS, links=links, baselines=baselines, run_id="bench"))
    peak = _peak_mib()  # before the results' text is made
    return {"load_seconds": round(t_load, 2), "store_seconds": round(t_store, 2), "reconcile_seconds": round(t_rec, 3),
            "rss_mib_holding_the_frames": round(held, 1), "peak_rss_mib": round(peak, 1), **_results(rec)}


def measure(n_suppliers: int = 100_000, n_lines: int = 1_000_000) -> dict[str, Any]:
    """Generate, reconcile, measure; returns the figures recorded in docs/benchmarks.md.

    The comparisons with datacompy run first, in a child process of their own: datacompy's joins of the
    supplier and line frames hold more memory than recon's whole run (measured 2026-12-02: from 0.94 GiB of
    frames to 1.57 GiB), so in one process the peak would be datacompy's, not recon's. The child's peak is
    reported beside recon's (``peer_comparisons.peak_rss_mib``); ``peak_rss_mib`` is this process's: the
    generation of the data and recon's reconciles of it."""
    out: dict[str, Any] = {"suppliers": n_suppliers, "lines": n_lines}
    peers = _in_child(peer_comparisons, n_suppliers, n_lines)
    out["datacompy"], out["datacompy_documents"] = peers.pop("datacompy"), peers.pop("datacompy_documents")
    out["peer_comparisons"] = peers
    (sup, base), t_gen_s = _timed(lambda: suppliers(n_suppliers))
    docs, t_gen_d = _timed(lambda: documents(n_lines))
    out["generate_seconds"] = round(t_gen_s + t_gen_d, 1)
    out["peak_rss_mib_after_generate"] = round(_peak_mib(), 1)
    out["rss_mib_holding_the_frames"] = round(_current_mib(), 1)
    rec_s, t_s = _timed(lambda: reconcile(sup, kinds=["supplier"], baselines=base, run_id="bench"))
    out["suppliers_seconds"] = round(t_s, 3)
    out["supplier_differences"] = int(len(rec_s.differences))
    del rec_s
    both = Snapshot(frames={**sup.frames, **docs.frames}, meta=META)
    rec, t_all = _timed(lambda: reconcile(both, kinds=KINDS, baselines=base, run_id="bench"))
    out["full_seconds"] = round(t_all, 3)
    out["documents_seconds"] = round(t_all - t_s, 3)
    out["differences"] = int(len(rec.differences))
    out["actions"] = len(rec.plan.actions)
    out["peak_rss_mib_after_reconcile"] = round(_peak_mib(), 1)
    out["differences_by_kind"] = {str(k): int(v) for k, v in rec.differences["kind"].value_counts().sort_index().items()}
    out["rounding_classes"] = {str(k): int(v) for k, v in rec.rounding["classification"].value_counts().sort_index().items()}
    out["peak_rss_mib"] = round(_peak_mib(), 1)
    found = _results(rec)
    with tempfile.TemporaryDirectory(prefix="recon-bench-") as folder:
        save_as_the_product(both, base, Path(folder))
        del rec, both, docs, sup, base
        product = _in_child(product_path, folder)
    # the same data through the product's files: the same differences, byte for byte, and the same plan
    product["same_results"] = all(product[k] == v for k, v in found.items())
    del product["fingerprint"], product["differences_sha256"]
    out["product_path"] = product
    # after the peak is read: the micro case is not the run
    out["representations"] = representations(max(1000, min(n_lines, 1_000_000)))
    out["goals"] = {"speedup_comparison >= 5": out["datacompy"]["speedup_comparison"] >= 5,
                    "speedup_full_reconcile >= 1.5": out["datacompy"]["speedup_full_reconcile"] >= 1.5,
                    "speedup_documents >= 1.0": out["datacompy_documents"]["speedup_documents"] >= 1.0,
                    "peak_rss_mib <= 1024": out["peak_rss_mib"] <= 1024,
                    "product_path.peak_rss_mib <= 1024": product["peak_rss_mib"] <= 1024}
    return out


def run(args: list[str]) -> None:
    """``python -m recon.bench reconcile [-- --suppliers N --lines N --only suppliers]``: print the measurements as
    JSON (``--only suppliers``: the supplier part alone, no documents generated)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="recon.bench reconcile")
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["suppliers"], default=None)
    opts = parser.parse_args(args)
    figures = measure_suppliers(opts.suppliers) if opts.only == "suppliers" else measure(opts.suppliers, opts.lines)
    print(json.dumps(figures, indent=2, sort_keys=True), flush=True)
