"""Properties of reconcile (hypothesis): a snapshot agrees with itself; a plan converges (apply it, reconcile
again, nothing is left to do); the order of rows does not matter."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconcile_data import META, snap
from recon import money
from recon.reconcile import apply_to_frames, reconcile
from recon.snapshot import Snapshot

KINDS = ("supplier", "item", "purchase_order", "bill", "payment")
NAMES = ["Acme", "Beta", "Gamma", "Delta"]
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])

text = st.sampled_from(["", "a", "b", "Bath"])
flag = st.booleans()
price = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99.99"), places=2) | st.decimals(
    min_value=Decimal("0.0001"), max_value=Decimal("9.9999"), places=4)
qty = st.integers(min_value=1, max_value=9).map(Decimal)
rate = st.sampled_from([Decimal("0"), Decimal("15"), Decimal("20")])


@st.composite
def supplier_pair(draw, i):
    base = {"name": draw(st.sampled_from(NAMES)) + str(i), "email": f"s{i}@x.test", "tax_number": f"T{i}",
            "city": draw(text), "currency": "EUR", "active": True}
    shape = draw(st.sampled_from(["linked", "precoro", "xero"]))
    p = {**base, "id": f"P{i}", "xero_id": f"XS{i}" if shape == "linked" else None}
    x = {**base, "id": f"XS{i}", "xero_id": f"XS{i}"}
    if shape == "linked":
        p["city"], x["phone"] = draw(text), draw(text)
        p["active"], x["active"] = draw(flag), draw(flag)
    return [p] if shape != "xero" else [], [x] if shape != "precoro" else [], p if shape == "linked" else None


@st.composite
def document(draw, i, kind, supplier_id, supplier_xero_id):
    lines = []
    for n in range(1, draw(st.integers(1, 3)) + 1):
        q, u, r = draw(qty), draw(price), draw(rate)
        pl = money.precoro_line(q, u, r, money.Precision(4, 2, 2))
        lines.append({"line_no": n, "item_code": draw(st.sampled_from(["", "BOLT"])), "description": f"line {n}",
                      "quantity": q, "unit_amount": pl.price, "tax_rate": r, "account_code": "300",
                      "line_amount": pl.net, "tax_amount": pl.tax})
    net = sum((ln["line_amount"] for ln in lines), Decimal("0.00"))
    tax = sum((ln["tax_amount"] for ln in lines), Decimal("0.00"))
    shape = draw(st.sampled_from(["precoro", "linked", "linked_edited", "xero"]))
    head = {"number": f"N{i}", "supplier_id": supplier_id, "supplier_xero_id": supplier_xero_id,
            "date": "2026-11-02", "currency": "EUR", "line_amount_types": "Exclusive", "subtotal": net,
            "total_tax": tax, "total": net + tax, "active": True}
    status = draw(st.sampled_from(["approved", "paid", "draft", "cancelled"]))
    p = {**head, "id": f"{i}", "xero_id": f"XD{i}" if shape.startswith("linked") else None, "status": status,
         "active": status != "cancelled"}
    xl = []
    for ln in lines:
        xa = money.xero_line(ln["quantity"], ln["unit_amount"], ln["tax_rate"], "Exclusive", 4)
        xl.append({**ln, "doc_id": f"XD{i}", "unit_amount": xa.unit_amount, "line_amount": xa.line_amount,
                   "tax_amount": xa.tax_amount})
    if shape == "linked_edited":
        xl[0] = {**xl[0], "quantity": xl[0]["quantity"] + 1}
    xt = money.xero_totals([(ln["line_amount"], ln["tax_amount"]) for ln in xl])
    x = {**head, "id": f"XD{i}", "xero_id": f"XD{i}", "supplier_id": supplier_xero_id, "status": "approved",
         "subtotal": xt.subtotal, "total_tax": xt.total_tax, "total": xt.total,
         "date": draw(st.sampled_from(["2026-11-02", "2026-11-05"]))}
    pdocs = [p] if shape != "xero" else []
    xdocs = [x] if shape != "precoro" else []
    return pdocs, [{**ln, "doc_id": f"{i}"} for ln in lines] if pdocs else [], xdocs, xl if xdocs else []


@st.composite
def world(draw) -> tuple[Snapshot, dict]:
    P: dict[str, list] = {k: [] for k in ("supplier", "item", "purchase_order", "purchase_order_lines", "bill",
                                          "bill_lines", "payment")}
    X: dict[str, list] = {k: [] for k in P}
    base = []
    linked_suppliers = []
    for i in range(draw(st.integers(0, 4))):
        ps, xs, b = draw(supplier_pair(i))
        P["supplier"] += ps
        X["supplier"] += xs
        if b is not None:
            if draw(flag):
                base.append({**b, "active": True, "city": ""})
            linked_suppliers.append((b["id"], b["xero_id"]))
    for i in range(draw(st.integers(0, 3))):
        item = {"code": f"C{i % 2}", "name": draw(st.sampled_from(["Bolt", "Nut"])), "purchase_price": draw(price),
                "active": draw(flag)}
        where = draw(st.sampled_from(["both", "precoro", "xero", "unlinked"]))
        if where in ("both", "precoro", "unlinked"):
            P["item"].append({**item, "id": f"I{i}", "xero_id": f"XI{i}" if where == "both" else None,
                              "name": item["name"] + ("" if where != "both" or draw(flag) else " edited")})
        if where in ("both", "xero", "unlinked"):
            X["item"].append({**item, "id": f"XI{i}", "xero_id": f"XI{i}", "active": True})
    if linked_suppliers:
        for i in range(draw(st.integers(0, 3))):
            sid, sxid = draw(st.sampled_from(linked_suppliers))
            kind = draw(st.sampled_from(["purchase_order", "bill"]))
            pd_, pl, xd, xl = draw(document(100 + i, kind, sid, sxid))
            P[kind] += pd_
            P[kind + "_lines"] += pl
            X[kind] += xd
            X[kind + "_lines"] += xl
            if kind == "bill" and pd_ and xd and pd_[0]["xero_id"] and draw(flag):
                X["payment"].append({"id": f"XP{i}", "xero_id": f"XP{i}", "bill_id": xd[0]["id"],
                                     "bill_xero_id": xd[0]["id"], "date": "2026-11-20", "amount": Decimal("1.00"),
                                     "active": True})
    return snap(P, X, meta={**META, "xero": {**META["xero"], "unitdp": 4}}), {"supplier": base}


def _baselines(raw: dict) -> dict:
    from recon import schema
    return {k: schema.conform(v, k) for k, v in raw.items() if v}


@SETTINGS
@given(world())
def test_a_snapshot_reconciled_with_itself_has_no_differences(data):
    s, _ = data
    # every Precoro record is its own Xero counterpart
    own = {f: (df.assign(xero_id=df["id"]) if "xero_id" in df else df)
           for (system, f), df in s.frames.items() if system == "precoro"}
    mirror = Snapshot(frames={**{("precoro", f): df for f, df in own.items()},
                              **{("xero", f): df for f, df in own.items()}}, meta=s.meta)
    rec = reconcile(mirror, kinds=KINDS, run_id="p")
    assert rec.plan.actions == () and rec.differences.empty


@SETTINGS
@given(world())
def test_applying_the_plan_converges(data):
    s, base = data
    first = reconcile(s, kinds=KINDS, baselines=_baselines(base), run_id="p")
    after = apply_to_frames(s, first.plan)
    second = reconcile(after, kinds=KINDS, run_id="p")
    assert second.plan.actions == (), [a.to_dict() for a in second.plan.actions]
    assert (second.differences["action"] == "none").all()
    # what is left was already shown, with no action, before the plan ran
    left = set(zip(second.differences["object"], second.differences["kind"]))
    assert left <= set(zip(first.differences["object"], first.differences["kind"])) | {
        ("purchase_order", "rounding"), ("bill", "rounding")}


@SETTINGS
@given(world(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(data, rnd):
    s, base = data
    shuffled = Snapshot(frames={k: df.sample(frac=1, random_state=rnd.randint(0, 10**6)).reset_index(drop=True)
                                for k, df in s.frames.items()}, meta=s.meta)
    a = reconcile(s, kinds=KINDS, baselines=_baselines(base), run_id="p")
    b = reconcile(shuffled, kinds=KINDS, baselines=_baselines(base), run_id="p")
    pd.testing.assert_frame_equal(a.differences, b.differences)
    assert a.plan == b.plan
    pd.testing.assert_frame_equal(a.rounding, b.rounding)
