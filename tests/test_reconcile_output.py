"""The run files: columns, ordering, byte-identical output, and the plain no-change message."""

import json

import pandas as pd

from reconcile_data import doc, line, snap, supplier
from recon.outputs import write_outputs
from recon.reconcile import DIFF_COLUMNS, NO_CHANGES, Plan, reconcile
from recon.reconcile.output import summary


def busy_snapshot():
    return snap(
        {"supplier": [supplier("1", "X1", name="Old"), supplier("2", None, name="New", tax_number="N", email="n@n")],
         # a new PO needs a number of its own: one equal to a linked PO's is a possible duplicate, not created
         "purchase_order": [doc("118", None, number="PO-0002"), doc("119", "XP1", date="2026-11-03")],
         "purchase_order_lines": [line("118", 1), line("119", 1)]},
        {"supplier": [supplier("X1", "X1"), supplier("X2", "X2", name="Other", tax_number="O", email="o@o")],
         "purchase_order": [doc("XP1", "XP1")], "purchase_order_lines": [line("XP1", 1)]})


def test_write_outputs_is_byte_identical_for_the_same_input(tmp_path):
    files = []
    for n in (1, 2):
        rec = reconcile(busy_snapshot(), kinds=["purchase_order", "supplier"], run_id="r1")
        paths = write_outputs(rec, tmp_path / str(n))
        files.append([p.read_bytes() for p in paths])
    assert files[0] == files[1]
    assert [p.name for p in paths] == ["differences.csv", "plan.json", "summary.json", "rounding.csv"]


def test_differences_csv_has_the_design_columns_and_sorted_rows(tmp_path):
    rec = reconcile(busy_snapshot(), kinds=["supplier", "purchase_order"], run_id="r1")
    write_outputs(rec, tmp_path)
    df = pd.read_csv(tmp_path / "differences.csv", dtype=str, keep_default_na=False)
    assert tuple(df.columns) == DIFF_COLUMNS
    assert df["object"].tolist() == sorted(df["object"], key=["supplier", "purchase_order"].index)
    assert set(df["run_id"]) == {"r1"}


def test_plan_round_trips_and_ids_are_stable(tmp_path):
    rec = reconcile(busy_snapshot(), kinds=["supplier", "purchase_order"], run_id="r1")
    write_outputs(rec, tmp_path)
    plan = Plan.from_json((tmp_path / "plan.json").read_text())
    assert plan == rec.plan
    again = reconcile(busy_snapshot(), kinds=["supplier", "purchase_order"], run_id="r2")
    assert [a.id for a in again.plan.actions] == [a.id for a in rec.plan.actions]
    assert again.plan.fingerprint == rec.plan.fingerprint
    # suppliers are planned before the documents that refer to them
    assert [a.kind for a in plan.actions] == sorted((a.kind for a in plan.actions), key=["supplier", "purchase_order"].index)


def test_action_values_are_canonical_strings():
    rec = reconcile(busy_snapshot(), kinds=["supplier", "purchase_order"], run_id="r1")

    def strings(v):
        if isinstance(v, dict):
            return all(isinstance(k, str) and strings(x) for k, x in v.items())
        if isinstance(v, list):
            return all(strings(x) for x in v)
        return isinstance(v, str)
    for a in rec.plan.actions:
        assert strings(dict(a.new)) and strings(dict(a.old)) and strings(dict(a.keys))
    create = next(a for a in rec.plan.actions if a.kind == "purchase_order" and a.op == "create")
    assert create.new["date"] == "2026-11-02" and create.new["total"] == "120.00" and create.new["active"] == "true"


def test_nothing_to_do_says_so_plainly(tmp_path):
    s = snap({"supplier": [supplier("1", "X1")]}, {"supplier": [supplier("X1", "X1")]})
    rec = reconcile(s, kinds=["supplier"], run_id="r1")
    assert rec.message == NO_CHANGES and rec.plan.actions == () and rec.differences.empty
    write_outputs(rec, tmp_path)
    data = json.loads((tmp_path / "summary.json").read_text())
    assert data["message"] == NO_CHANGES and data["kinds"]["supplier"]["equal"] == 1


def test_summary_reports_the_settings_check_and_counts():
    rec = reconcile(busy_snapshot(), kinds=["supplier", "purchase_order"], run_id="r1")
    s = summary(rec)
    assert s["settings_check"]["agree"] is True
    assert s["kinds"]["purchase_order"]["only_in_precoro"] == 1
    assert s["actions"] == len(rec.plan.actions) and s["differences"] == len(rec.differences)


def test_a_frame_without_canonical_columns_is_a_clear_error():
    import pytest

    from recon.errors import DataError, PlanError
    s = snap({"supplier": [supplier("1", "X1")]}, {"supplier": [supplier("X1", "X1")]})
    s.frames[("xero", "supplier")] = s.frames[("xero", "supplier")].drop(columns=["email"])
    with pytest.raises(DataError, match=r"xero/supplier: missing canonical columns \['email'\]"):
        reconcile(s, kinds=["supplier"], run_id="r1")
    with pytest.raises(DataError, match="state/links"):
        reconcile(busy_snapshot(), kinds=["supplier"], links=pd.DataFrame({"kind": ["supplier"]}), run_id="r1")
    with pytest.raises(PlanError, match="unknown object kind"):
        reconcile(busy_snapshot(), kinds=["vendors"], run_id="r1")


def test_a_baseline_of_plain_strings_is_read_as_canonical_values():
    """A baseline written as text ("12.50") must compare equal to the exact value 12.5000 a system returns."""
    from recon import schema
    from recon.snapshot import Snapshot

    xero = schema.conform([{"id": "X1", "xero_id": "X1", "code": "V", "name": "Vest", "purchase_price": "12.5000",
                            "active": True}], "item")
    precoro = schema.conform([{"id": "7", "xero_id": "X1", "code": "V", "name": "Vest", "purchase_price": "14.00",
                               "active": True}], "item")
    raw = pd.DataFrame([{"id": "7", "xero_id": "X1", "code": "V", "name": "Vest", "purchase_price": "12.50",
                         "active": True}])
    snap = Snapshot(frames={("xero", "item"): xero, ("precoro", "item"): precoro})
    rec = reconcile(snap, kinds=["item"], baselines={"item": raw}, run_id="t")
    assert list(rec.differences["kind"]) == ["blocked_edit"]
    assert schema.is_conformed(schema.conform(raw, "item"), "item") and not schema.is_conformed(raw, "item")


IO_CALLS = {"open", "write_text", "write_bytes", "read_text", "read_bytes", "mkdir", "to_csv", "to_parquet",
            "read_csv", "read_parquet", "unlink", "rename", "replace_file", "connect"}


def test_the_reconcile_package_does_no_file_or_network_io():
    """DESIGN: the core is pure. Run files are written by recon.outputs, outside the package."""
    import ast
    from pathlib import Path

    import recon.reconcile

    found = []
    for path in sorted(Path(recon.reconcile.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in IO_CALLS:
                    found.append(f"{path.name}:{node.lineno} {name}()")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                found += [f"{path.name}:{node.lineno} import {m}" for m in mods
                          if m.split(".")[0] in {"httpx", "urllib3", "sqlite3", "socket", "requests"}]
    assert not found
