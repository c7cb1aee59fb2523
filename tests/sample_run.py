"""A small but complete run folder built from real model objects (no mocks: they are plain dataclasses and
frames), for the report, notebook and browser tests."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from recon import schema
from recon.config import load_settings
from recon.reconcile.model import DIFF_COLUMNS, Action, ActionResult, Decision, Outcome, Plan, Reconciliation
from recon.reconcile.rounding import ROUNDING_COLUMNS
from recon.snapshot import Snapshot
from recon.run_folder import RunFolder

XSS = "<script>alert(1)</script>"
SECRETS = {"RECON_XERO_CLIENT_ID": "client-id-visible", "RECON_XERO_CLIENT_SECRET": "xero-secret-value-9f3a",
           "RECON_PRECORO_TOKEN": "precoro-token-value-77c1", "RECON_PRECORO_EMAIL": "ops@example.com",
           "RECON_USER": "alice"}
T0 = datetime(2026, 3, 1, 9, 5, 7, tzinfo=timezone.utc)
T1 = datetime(2026, 3, 1, 9, 6, 0, tzinfo=timezone.utc)


def actions() -> tuple[Action, ...]:
    return (
        Action(kind="supplier", target="precoro", op="update", keys={"precoro_id": "7", "xero_id": "x-7"},
               new={"name": "Acme Ltd", "email": "ap@acme.test"}, old={"name": "Acme", "email": "ap@acme.test"},
               reason="name changed in Xero", difference="mismatch", label="Acme Ltd"),
        Action(kind="supplier", target="xero", op="create", keys={"precoro_id": "8"}, new={"name": XSS},
               old={}, reason="only in Precoro", difference="only_in_precoro", label=XSS),
        Action(kind="item", target="precoro", op="update", keys={"precoro_id": "3", "xero_id": "i-3"},
               new={"name": "Paper A4"}, old={"name": "Paper"}, reason="blocked edit in Precoro: Xero value restored",
               difference="blocked_edit", label="PAPER-A4"),
        Action(kind="bill", target="xero", op="create", keys={"precoro_id": "INV-12"}, new={"total": "115.01"},
               old={}, reason="approved invoice not in Xero", difference="only_in_precoro", label="INV-12"),
        Action(kind="tax_rate", target="precoro", op="create", keys={"xero_id": "INPUT2"}, new={"rate": "15"},
               old={}, reason="only in Xero", difference="only_in_xero", label="GST on Expenses"),
    )


def differences(run_id: str, acts: tuple[Action, ...]) -> pd.DataFrame:
    rows = [
        (acts[0], "name", "Acme", "Acme Ltd", "Acme", "mismatch", "to_precoro", "update"),
        (acts[1], "", XSS, "", "", "only_in_precoro", "to_xero", "create"),
        (acts[2], "name", "Paper", "Paper A4", "Paper A4", "blocked_edit", "to_precoro", "update"),
        (acts[3], "", "115.01", "", "", "only_in_precoro", "to_xero", "create"),
        (acts[4], "", "", "15", "", "only_in_xero", "to_precoro", "create"),
    ]
    records = [{"run_id": run_id, "object": a.kind, "precoro_id": a.keys.get("precoro_id", ""),
                "xero_id": a.keys.get("xero_id", ""), "label": a.label, "field": f, "precoro_value": p,
                "xero_value": x, "baseline_value": b, "kind": k, "direction": d, "action": op, "reason": a.reason}
               for a, f, p, x, b, k, d, op in rows]
    records.append({"run_id": run_id, "object": "purchase_order", "precoro_id": "PO-5", "xero_id": "po-5",
                    "label": "PO-5", "field": "total", "precoro_value": "100.01", "xero_value": "100.00",
                    "baseline_value": "", "kind": "rounding", "direction": "none", "action": "none",
                    "reason": "per-line tax rounding"})
    return pd.DataFrame(records, columns=list(DIFF_COLUMNS))


def build(folder: Path, *, with_outcome: bool = True, integrity_ok: bool = True) -> Path:
    """Write every file of a run folder the audit report reads (the run id is the folder's name); return it."""
    run_id = folder.name
    folder.mkdir(parents=True, exist_ok=True)
    run = RunFolder(folder)
    settings = load_settings(env={**SECRETS, "RECON_DATA_DIR": "/srv/recon-sample"})  # paths only, never made
    run.record_run(settings=settings, notebook="sync.ipynb", clock=lambda: T0, parameters={"run_id": run_id, "policy": "demo", "dry_run": False, "objects": ["supplier", "bill"]})
    snap = Snapshot(
        frames={("xero", "supplier"): schema.conform([{"id": "x-7", "xero_id": "x-7", "name": "Acme Ltd"},
                                                      {"id": "x-9", "xero_id": "x-9", "name": "Globex"}], "supplier"),
                ("precoro", "supplier"): schema.conform([{"id": "7", "xero_id": "x-7", "name": "Acme"},
                                                         {"id": "8", "name": XSS}], "supplier"),
                ("precoro", "bill"): schema.conform([{"id": "INV-12", "number": "INV-12"}], "bill")},
        meta={"xero": {"organisation": "Demo Org Ltd", "tenant_id": "sandbox-tenant", "access_token": "tok-leak-1",
                       "base_currency": "NZD", "timezone": "NEWZEALANDSTANDARDTIME"},
              "precoro": {"company": "Demo Company", "precision": 2}},
    )
    run.save_snapshot(snap)
    acts = actions()
    plan = Plan(run_id=run_id, kinds=("supplier", "item", "bill", "tax_rate"), actions=acts)
    summary = pd.DataFrame([
        {"object": "supplier", "precoro": 2, "xero": 2, "linked": 1, "equal": 0, "mismatch": 1, "only_in_precoro": 1,
         "actions": 2},
        {"object": "bill", "precoro": 1, "xero": 0, "linked": 0, "equal": 0, "mismatch": 0, "only_in_precoro": 1,
         "actions": 1}])
    rounding = pd.DataFrame([{"object": "purchase_order", "precoro_id": "PO-5", "xero_id": "po-5", "number": "PO-5",
                              "precoro_total": "100.01", "xero_total": "100.00", "xero_expected": "100.00",
                              "difference": "0.01", "classification": "rounding", "lines": "1, 2",
                              "remedy": "send unit amounts at 4 decimals"}], columns=list(ROUNDING_COLUMNS))
    settings_check = {"agree": True, "precoro": {"precision": 2}, "xero": {"unitdp": 4, "amount_dp": 2},
                      "message": "Xero rounds tax per line; Precoro precision 2 agrees."}
    run.write_reconciliation(Reconciliation(differences=differences(run_id, acts), plan=plan, summary=summary,
                                            rounding=rounding, settings_check=settings_check))
    fp = plan.fingerprint
    run.write_approvals([
        Decision(fp, acts[0].id, "approve", "policy:demo", "2026-03-01T09:05:30Z", policy="demo"),
        Decision(fp, acts[1].id, "approve", "alice", "2026-03-01T09:05:31Z", comment="new supplier <ok>"),
        Decision(fp, acts[2].id, "approve", "policy:demo", "2026-03-01T09:05:30Z", policy="demo"),
        Decision(fp, acts[3].id, "approve", "alice", "2026-03-01T09:05:32Z"),
        Decision(fp, acts[4].id, "reject", "alice", "2026-03-01T09:05:33Z", comment="not this month"),
        Decision("0" * 32, acts[4].id, "approve", "mallory", "2026-03-01T09:05:34Z", comment="old plan"),
    ])
    if with_outcome:
        run.write_outcome(Outcome(run_id=run_id, plan_fingerprint=fp, applied_by="bob", results=(
            ActionResult(acts[0].id, "applied", target_id="7", before={"name": "Acme"}, after={"name": "Acme Ltd"},
                         approved_by="policy:demo"),
            ActionResult(acts[1].id, "failed", message="Xero refused: Name is required <ValidationException>"),
            ActionResult(acts[2].id, "refused", message="target changed since the plan was made"),
            ActionResult(acts[3].id, "applied", target_id="b-1", after={"total": "115.01"}, approved_by="alice"),
        )))
    run.write_integrity({"ok": integrity_ok, "rows": 6, "message": "6 rows checked" if integrity_ok
                            else "row 4: hash does not match its content"})
    run.finish_run(clock=lambda: T1)
    return folder
