"""One table per defect of issue 10 ("correct over many runs"), each of which failed before its fix.

1. partial baselines read as float NaN; 2. no baseline for records already in step; 3. items that stop
being purchased vanish; 4. deletions invisible to an incremental fetch; 5. near-duplicates created;
6. values not canonical; 7. wrong labels and remedies. The whole loop is proven in ``test_lifecycle.py``.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from reconcile_data import META, doc, line, snap, supplier
from recon import schema
from recon.connectors import mapping
from recon.reconcile import reconcile
from recon.store import Store

P_PO = doc("7", "XPO7", number="PO-7", delivery_date="2026-11-30")
X_PO = doc("XPO7", "XPO7", number="PO-7", delivery_date="2026-11-30")


def _cells(frame: pd.DataFrame) -> list[Any]:
    return [v for col in frame.columns for v in frame[col].tolist()]


# -- 1. a baseline is never partial, a field it lacks is unknown, never NaN --------------------------------
PARTIAL = [
    # what an older recon stored after an apply, kind, the (Precoro, Xero) records reconciled with it
    ("an archived PO kept only its status", "purchase_order", {"status": "deleted"}, P_PO, X_PO),
    ("a bill updated for its lines kept only them", "bill", {}, doc("5", "XB5"), doc("XB5", "XB5")),
    ("an item price put back kept only the price", "item",
     {"purchase_price": "12.5000"}, {"id": "2012", "xero_id": "XI", "code": "V", "name": "Vest", "active": True},
     {"id": "XI", "xero_id": "XI", "code": "V", "name": "Vest", "active": True}),
]


@pytest.mark.parametrize("name, kind, values, precoro, xero", PARTIAL, ids=[c[0] for c in PARTIAL])
def test_partial_baselines_read_as_unknown_fields_never_nan(tmp_path, name, kind, values, precoro, xero):
    with Store(tmp_path / "s.sqlite") as store:
        store.record_applied(kind, precoro_id=precoro["id"], xero_id=xero["id"], values=values, at="t")
        frames = store.baselines([kind])
    base = frames[kind]
    assert not [v for v in _cells(base) if isinstance(v, float) and math.isnan(v)]
    assert set(base.iloc[0][schema.BASELINE_FIELDS].split()) == {"id", "xero_id", *values}
    rec = reconcile(snap({kind: [precoro]}, {kind: [xero]}), kinds=[kind], baselines=frames, run_id="t")
    assert rec.differences.empty  # before the fix: "field 'date': nan is not a valid date"


def test_a_field_the_baseline_does_not_know_is_judged_without_one():
    base = pd.DataFrame([{"xero_id": "X1", "id": "1", "email": "ap@acme.test",
                          schema.BASELINE_FIELDS: "email id xero_id"}])
    rec = reconcile(snap({"supplier": [supplier("1", "X1", name="Acme A")]},
                         {"supplier": [supplier("X1", "X1", name="Acme B")]}), kinds=["supplier"],
                    baselines={"supplier": base}, run_id="t")
    [row] = rec.differences.to_dict("records")
    # an unknown name is not "changed on both sides": it is the no-baseline rule (Xero wins for suppliers)
    assert (row["field"], row["kind"], row["direction"], row["baseline_value"]) == ("name", "mismatch", "to_precoro", "")
    assert schema.to_date(float("nan")) is None and schema.to_decimal(float("nan")) is None


# -- 2. pairs in step become the baseline, so the next run is three-way --------------------------------------
NEXT_NIGHT = [
    # kind, agreed records (Precoro, Xero), what changed the next night, expected (field, kind, direction)
    ("supplier", supplier("1", "X1", phone="1"), supplier("X1", "X1", phone="1"), ("precoro", {"email": "new@acme.test"}),
     ("email", "mismatch", "to_xero")),
    ("supplier", supplier("1", "X1", phone="1"), supplier("X1", "X1", phone="1"), ("both", {"phone": ("2", "3")}),
     ("phone", "conflict", "to_precoro")),
    ("item", {"id": "9", "xero_id": "XI", "code": "V", "name": "Vest", "purchase_price": "12.50", "active": True},
     {"id": "XI", "xero_id": "XI", "code": "V", "name": "Vest", "purchase_price": "12.5000", "active": True},
     ("precoro", {"purchase_price": "14.00"}), ("purchase_price", "blocked_edit", "to_precoro")),
    ("bill", doc("5", "XB5", due_date="2026-12-01"), doc("XB5", "XB5", due_date="2026-12-01"),
     ("xero", {"due_date": "2026-12-24"}), ("due_date", "blocked_edit", "to_xero")),
]


@pytest.mark.parametrize("kind, precoro, xero, change, expected", NEXT_NIGHT,
                         ids=[f"{c[0]}-{c[3][0]}-{next(iter(c[3][1]))}" for c in NEXT_NIGHT])
def test_records_in_step_become_the_baseline_and_the_next_night_is_three_way(tmp_path, kind, precoro, xero, change,
                                                                            expected):
    lines = {f"{kind}_lines": []} if kind in schema.LINE_FRAMES else {}
    with Store(tmp_path / "s.sqlite") as store:
        first = reconcile(snap({kind: [precoro], **lines}, {kind: [xero], **lines}), kinds=[kind], run_id="1")
        assert first.differences.empty and len(first.agreed_values())
        store.record_agreed(first.agreed, at="night 1")
        side, values = change
        p = {**precoro, **{k: (v[0] if side == "both" else v) for k, v in values.items()}} if side != "xero" else precoro
        x = {**xero, **{k: (v[1] if side == "both" else v) for k, v in values.items()}} if side != "precoro" else xero
        second = reconcile(snap({kind: [p], **lines}, {kind: [x], **lines}), kinds=[kind],
                           baselines=store.baselines([kind]), run_id="2")
    assert [tuple(r) for r in second.differences[["field", "kind", "direction"]].itertuples(index=False)] == [expected]


def test_agreed_values_already_in_the_baseline_are_not_written_again():
    p, x = supplier("1", "X1"), supplier("X1", "X1")
    first = reconcile(snap({"supplier": [p]}, {"supplier": [x]}), kinds=["supplier"], run_id="1")
    base = schema.conform([{**x, "id": "1"}], "supplier")
    again = reconcile(snap({"supplier": [p]}, {"supplier": [x]}), kinds=["supplier"], baselines={"supplier": base},
                      run_id="2")
    assert set(first.agreed_values()["field"]) == set(schema.columns("supplier")) - {"id", "xero_id", "updated_at"} - {
        c for c in schema.columns("supplier") if c not in {f.name for f in schema.compared("supplier")}}
    assert again.agreed_values().empty and not again.agreed


def test_a_pair_only_matched_in_this_run_is_not_agreed_before_it_is_linked():
    rec = reconcile(snap({"supplier": [supplier("1", None)]}, {"supplier": [supplier("X1", "X1")]}),
                    kinds=["supplier"], run_id="1")
    assert [a.op for a in rec.plan.actions] == ["link"] and not rec.agreed


# -- 3 and 4: items not purchased, records deleted in Xero (through the emulators) -------------------------
@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from test_apply_kit import sandbox_settings, start_sandbox
    from xero_sdk import make_sdk

    with start_sandbox() as sb:
        yield sb, sandbox_settings(sb, tmp_path_factory.mktemp("w")), make_sdk(sb.xero_url).acc


def _fetch(settings: Any, previous: Any = None):
    from recon.fetch import FetchOptions, fetch
    from test_apply_kit import SANDBOX_LIMITS

    return fetch(settings, full=previous is None, previous=previous, progress=False,
                 options=FetchOptions(limits=SANDBOX_LIMITS))


def _demo_reconcile(snapshot: Any, kinds: list[str]) -> Any:
    from recon.sandbox import demo

    return reconcile(snapshot, kinds=kinds, links=pd.DataFrame(demo.links()),
                     baselines={k: schema.conform(v, k) for k, v in demo.baseline().items()}, run_id="t")


def _unused_item(sdk: Any, sb: Any) -> Any:
    used = {ln.get("ItemCode") for k in ("Invoices", "PurchaseOrders") for d in sb.xero.dump()[k] for ln in d["LineItems"]}
    return next(i for i in sdk.get_items("sandbox-tenant").items if i.code not in used)


DELETIONS = [
    # name, kind, how Xero loses the record (sdk, sandbox) -> its Xero id
    ("item no longer purchased", "item",
     lambda sdk, sb: _stop_purchasing(sdk, _unused_item(sdk, sb))),
    ("item deleted", "item", lambda sdk, sb: _delete_item(sdk, _unused_item(sdk, sb))),
    ("tracking option deleted", "tracking_option", lambda sdk, sb: _delete_option(sdk, "Wellington")),
    ("tax rate deleted (Xero lists it as DELETED: right before too)", "tax_rate", lambda sdk, sb: _delete_tax(sdk, "TAX001")),
    ("account archived", "account", lambda sdk, sb: _archive_account(sdk, "473")),
]


def _stop_purchasing(sdk: Any, item: Any) -> str:
    from xero_python.accounting import Item, Items
    sdk.update_item("sandbox-tenant", item.item_id, Items(items=[Item(code=item.code, is_purchased=False)]))
    return item.item_id


def _delete_item(sdk: Any, item: Any) -> str:
    sdk.delete_item("sandbox-tenant", item.item_id)
    return item.item_id


def _delete_option(sdk: Any, name: str) -> str:
    for cat in sdk.get_tracking_categories("sandbox-tenant").tracking_categories:
        for option in cat.options:
            if option.name == name:
                sdk.delete_tracking_options("sandbox-tenant", cat.tracking_category_id, option.tracking_option_id)
                return option.tracking_option_id
    raise AssertionError(name)


def _delete_tax(sdk: Any, tax_type: str) -> str:
    from xero_python.accounting import TaxRate, TaxRates
    rate = sdk.get_tax_rate_by_tax_type("sandbox-tenant", tax_type).tax_rates[0]
    sdk.update_tax_rate("sandbox-tenant", TaxRates(tax_rates=[TaxRate(name=rate.name, tax_type=tax_type, status="DELETED",
                                                                       tax_components=rate.tax_components)]))
    return tax_type


def _archive_account(sdk: Any, code: str) -> str:
    from xero_python.accounting import Account, Accounts
    account = next(a for a in sdk.get_accounts("sandbox-tenant").accounts if a.code == code)
    sdk.update_account("sandbox-tenant", account.account_id, Accounts(accounts=[Account(status="ARCHIVED")]))
    return account.account_id


@pytest.mark.parametrize("name, kind, lose", DELETIONS, ids=[c[0] for c in DELETIONS])
def test_what_xero_no_longer_offers_is_inactivated_in_precoro_on_the_next_incremental_run(world, name, kind, lose):
    sb, settings, sdk = world
    sb.reset("demo")
    before = _fetch(settings)
    gone = lose(sdk, sb)
    after = _fetch(settings, previous=before)  # incremental: the next night, not the weekly full refresh
    assert after.meta["xero"]["modes"][kind] == "full"
    assert after.meta["xero"]["requests_by_kind"][kind] == 1  # the one call an incremental read costs
    rec = _demo_reconcile(after, [kind])
    precoro = after.frame("precoro", kind)
    [pid] = precoro[precoro["xero_id"].astype(str) == gone]["id"].tolist()
    about = [a for a in rec.plan.actions if a.keys.get("precoro_id") == pid]
    # an archive and nothing else: a record about to be inactive is not edited (before the fix: no action)
    assert [(a.op, a.target, dict(a.new)) for a in about] == [("archive", "precoro", {"active": "false"})]


# -- 5. possible duplicates are stopped ------------------------------------------------------------------------
LINKED = (supplier("1", "X1", name="Kowhai Outdoor Supplies Ltd", tax_number="T1", email="a@k.test"),
          supplier("X1", "X1", name="Kowhai Outdoor Supplies Ltd", tax_number="T1", email="a@k.test"))
NEAR = ["kowhai outdoor supplies ltd", "Kowhai  Outdoor Supplies Limited", "Kowhai Outdoor Supplies, Ltd.",
        "KOWHAI OUTDOOR SUPPLIES", "Kowhai Outdoor-Supplies Ltd"]


@pytest.mark.parametrize("side", ["precoro", "xero"])
@pytest.mark.parametrize("name", NEAR)
def test_a_new_record_named_like_a_linked_one_is_a_candidate_never_created(side, name):
    new = supplier("2" if side == "precoro" else "X2", None if side == "precoro" else "X2", name=name,
                   tax_number="T2", email="b@k.test")
    p, x = [LINKED[0]], [LINKED[1]]
    (p if side == "precoro" else x).append(new)
    rec = reconcile(snap({"supplier": p}, {"supplier": x}), kinds=["supplier"], run_id="t")
    assert not rec.plan.actions  # before the fix: a create, i.e. a second contact or supplier
    [row] = rec.differences.to_dict("records")
    assert (row["kind"], row["action"], row["field"]) == ("match_candidate", "none", "name")
    assert "possible duplicate" in row["reason"] and "Kowhai Outdoor Supplies Ltd" in row["reason"]


def test_a_different_company_is_still_created():
    p = [LINKED[0], supplier("2", None, name="Kowhai Outdoor Rentals", tax_number="T2", email="b@k.test")]
    rec = reconcile(snap({"supplier": p}, {"supplier": [LINKED[1]]}), kinds=["supplier"], run_id="t")
    assert [(a.op, a.target) for a in rec.plan.actions] == [("create", "xero")]


# -- 6. one canonical text per value ---------------------------------------------------------------------------
CANONICAL = [
    # frame, column, raw JSON values that are one value, its canonical text
    ("item", "purchase_price", [Decimal("14.0"), Decimal("14.00"), "14", 14], "14.0000"),
    ("bill", "total", [Decimal("87.7"), Decimal("87.70"), "87.700"], "87.70"),
    ("bill_lines", "unit_amount", [Decimal("8.3533"), "8.35330"], "8.3533"),
    ("bill_lines", "quantity", [Decimal("2.0"), Decimal("2.0000"), 2], "2.0000"),
    ("tax_rate", "rate", [Decimal("15.0"), Decimal("15"), "15.0000"], "15.0000"),
    ("bill", "total", [Decimal("1.005"), "1.0050"], "1.005"),  # more decimals than the scale: kept, never rounded
]


@pytest.mark.parametrize("frame, column, raws, text", CANONICAL, ids=[f"{c[0]}.{c[1]}={c[3]}" for c in CANONICAL])
def test_each_amount_has_one_canonical_text_whatever_the_wire_wrote(frame, column, raws, text):
    from recon.reconcile import fields

    [row] = [r for r in mapping.FIELD_MAP if r.system == "precoro" and r.frame == frame and r.column == column] or [
        r for r in mapping.FIELD_MAP if r.system == "xero" and r.frame == frame and r.column == column]
    got = {format(row.converter(raw), "f") for raw in raws}
    assert got == {text}
    conformed = schema.conform([{column: str(raw)} for raw in raws], frame)
    assert set(fields.text(conformed[column])) == {text}


def test_full_and_incremental_fetches_write_the_same_differences(world, tmp_path):
    from recon.outputs import write_outputs

    sb, settings, _ = world
    sb.reset("demo")
    full = _fetch(settings)
    incremental = _fetch(settings, previous=full)
    files = []
    for n, snapshot in enumerate((full, incremental)):
        write_outputs(_demo_reconcile(snapshot, list(schema.KINDS)), tmp_path / str(n))
        files.append([(tmp_path / str(n) / f).read_bytes() for f in ("differences.csv", "plan.json", "rounding.csv")])
    assert files[0] == files[1]
    assert b"14.0000,12.5000" in files[0][0]  # the Hi-vis vest's price, both at the unit scale


# -- 7. the right words ----------------------------------------------------------------------------------------
LABELS = [
    ("supplier", "conflict", "name", "conflict (Xero wins)"),
    ("item", "conflict", "name", "conflict (Xero is the source)"),
    ("purchase_order", "conflict", "date", "conflict (Precoro is the source)"),
    ("bill", "blocked_edit", "total", "blocked_edit (material)"),
    ("purchase_order", "mismatch", "subtotal", "mismatch (material)"),
    ("bill", "rounding", "total", "rounding"),
    ("bill", "blocked_edit", "due_date", "blocked_edit"),
]


@pytest.mark.parametrize("obj, kind, field, label", LABELS, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in LABELS])
def test_labels_name_the_side_that_wins_and_rounding_or_material(obj, kind, field, label):
    from recon.report_views import kind_label

    assert kind_label(obj, kind, field) == label


UNITDP4 = {**META, "xero": {**META["xero"], "unitdp": 4}}
REMEDIES = [
    # name, meta, Precoro line (qty, unit), Xero line (qty, unit, amount), Precoro total, Xero total, remedy
    ("Xero kept 2 of the 4 decimals it was sent", UNITDP4, ("3", "1.115"), ("3", "1.12", "3.36"), "3.35", "3.36",
     "send the lines again with unit amounts at 4 decimals (unitdp=4)"),
    ("the organisation sends 2 decimals", META, ("3", "1.115"), ("3", "1.12", "3.36"), "3.35", "3.36",
     "send unit amounts at 4 decimals (unitdp=4)"),
]


@pytest.mark.parametrize("name, meta, p_line, x_line, p_total, x_total, remedy", REMEDIES, ids=[c[0] for c in REMEDIES])
def test_a_rounding_remedy_is_never_a_zero_adjustment(name, meta, p_line, x_line, p_total, x_total, remedy):
    p = [line("118", 1, quantity=p_line[0], unit_amount=p_line[1], tax_rate="0", line_amount=p_total, tax_amount="0.00")]
    x = [line("XB1", 1, quantity=x_line[0], unit_amount=x_line[1], tax_rate="0", line_amount=x_line[2], tax_amount="0.00")]
    rec = reconcile(snap({"bill": [doc("118", "XB1", subtotal=p_total, total_tax="0.00", total=p_total)], "bill_lines": p},
                         {"bill": [doc("XB1", "XB1", subtotal=x_total, total_tax="0.00", total=x_total)], "bill_lines": x},
                         meta=meta), kinds=["bill"], run_id="t")
    r = rec.rounding.iloc[0]
    assert (r["classification"], r["remedy"]) == ("rounding", remedy)
    assert "0.00" not in r["remedy"]
    totals = rec.differences[rec.differences["field"].isin(["subtotal", "total"])]
    assert set(totals["kind"]) == {"rounding"} and totals["reason"].str.startswith("rounding:").all()


def test_a_material_total_difference_says_material():
    rec = reconcile(snap({"bill": [doc("118", "XB1")], "bill_lines": [line("118", 1)]},
                         {"bill": [doc("XB1", "XB1", total="125.00", total_tax="25.00")],
                          "bill_lines": [line("XB1", 1, tax_amount="25.00")]}), kinds=["bill"], run_id="t")
    totals = rec.differences[rec.differences["field"].isin(["total", "total_tax"])]
    assert len(totals) and totals["reason"].str.startswith("material:").all()
    assert rec.rounding.iloc[0]["classification"] == "material"


# -- the store migration, on a state file made by recon before this issue ------------------------------------
FIXTURE = Path(__file__).parent / "data" / "state_v3_first_apply.sql"


def test_a_state_file_of_the_previous_version_is_upgraded_and_reads_whole(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(FIXTURE.read_text())
    with Store(path) as store:
        assert store.version == 4 and store.verify().ok  # the approvals chain survives the migration
        frames = store.baselines(schema.KINDS)
        assert len(store.links()) == 13
    for name, frame in frames.items():
        assert not [v for v in _cells(frame) if isinstance(v, float) and math.isnan(v)], name
    po = frames["purchase_order"].set_index("id").loc["7"]
    # PO-00007 was archived by the old code, which stored only its status: now inactive, its date unknown
    assert po["active"] is False or bool(po["active"]) is False
    assert "date" not in po[schema.BASELINE_FIELDS].split() and po["date"] is pd.NA  # an unknown date is missing in its Arrow date column
    from recon.sandbox import demo
    from recon.snapshot import Snapshot

    rec = reconcile(Snapshot(frames={}, meta={}), kinds=schema.KINDS, links=pd.DataFrame(demo.links()),
                    baselines=frames, run_id="t")
    assert rec.differences.empty
