"""Purchase orders and bills (one-way Precoro → Xero): sending, edits made in Xero, cancellation, lines,
matching by number and supplier, and the rounding analysis."""

import pytest

from reconcile_data import META, baseline, doc, line, snap
from recon.reconcile import reconcile
from recon.reconcile.rounding import settings_check


def run(kind, p_docs, x_docs, p_lines=(), x_lines=(), base=None, meta=None):
    lines = {"purchase_order": "purchase_order_lines", "bill": "bill_lines"}[kind]
    s = snap({kind: p_docs, lines: list(p_lines)}, {kind: x_docs, lines: list(x_lines)}, meta=meta)
    return reconcile(s, kinds=[kind], baselines={kind: baseline(kind, base)} if base else {}, run_id="t")


def rows(rec):
    d = rec.differences
    return sorted(zip(d["field"], d["kind"], d["direction"], d["action"]))


KINDS = ["purchase_order", "bill"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status, sent", [("approved", True), ("partly_paid", True), ("paid", True),
                                          ("draft", False), ("submitted", False), ("rejected", False)])
def test_only_approved_or_later_documents_are_sent_to_xero(kind, status, sent):
    rec = run(kind, [doc("118", None, status=status)], [], [line("118", 1)])
    if sent:
        assert rows(rec) == [("", "only_in_precoro", "to_xero", "create")]
        (a,) = rec.plan.actions
        assert a.target == "xero" and dict(a.keys) == {"precoro_id": "118"}
        assert a.new["supplier_id"] == "S1" and a.new["supplier_xero_id"] == "XS1" and a.new["number"] == "PO-0001"
        # amounts in their canonical text (quantities, unit amounts and rates at 4 decimals)
        assert a.new["lines"] == [{"line_no": "1", "item_code": "BOLT", "description": "Bolt", "quantity": "10.0000",
                                   "unit_amount": "10.0000", "account_code": "300", "tax_type": "INPUT2",
                                   "tax_rate": "20.0000", "tracking1_category": "", "tracking1_option": "",
                                   "tracking2_category": "", "tracking2_option": ""}]
    else:
        assert rows(rec) == [] and not rec.plan.actions


@pytest.mark.parametrize("kind, cancel_status", [("purchase_order", "deleted"), ("bill", "voided")])
def test_cancelled_in_precoro_is_deleted_in_xero(kind, cancel_status):
    rec = run(kind, [doc("118", "XP1", status="cancelled", active=False)], [doc("XP1", "XP1")],
              [line("118", 1)], [line("XP1", 1)])
    assert rows(rec) == [("active", "mismatch", "to_xero", "archive")]
    assert rec.plan.actions[0].new == {"status": cancel_status}


@pytest.mark.parametrize("kind", KINDS)
def test_header_edit_made_in_xero_is_shown_and_overwritten_from_precoro(kind):
    rec = run(kind, [doc("118", "XP1")], [doc("XP1", "XP1", date="2026-11-09")], [line("118", 1)],
              [line("XP1", 1)], base=[doc("118", "XP1")])
    assert rows(rec) == [("date", "blocked_edit", "to_xero", "update")]
    (a,) = rec.plan.actions
    assert (a.new, a.old) == ({"date": "2026-11-02"}, {"date": "2026-11-09"})


@pytest.mark.parametrize("kind", KINDS)
def test_line_edits_resend_all_precoro_lines(kind):
    rec = run(kind, [doc("118", "XP1")], [doc("XP1", "XP1", total="108.00", total_tax="18.00", subtotal="90.00")],
              [line("118", 1), line("118", 2, quantity="0", line_amount="0.00", tax_amount="0.00")],
              [line("XP1", 1, quantity="9", line_amount="90.00", tax_amount="18.00")])
    got = rows(rec)
    assert ("lines[1].quantity", "mismatch", "to_xero", "update") in got
    assert ("lines[2]", "mismatch", "to_xero", "update") in got
    (a,) = rec.plan.actions
    assert [ln["quantity"] for ln in a.new["lines"]] == ["10.0000", "0.0000"]
    assert [ln["quantity"] for ln in a.old["lines"]] == ["9.0000"]


@pytest.mark.parametrize("kind", KINDS)
def test_only_in_xero_is_shown_not_written(kind):
    rec = run(kind, [], [doc("XP1", "XP1")], [], [line("XP1", 1)])
    assert rows(rec) == [("", "only_in_xero", "none", "none")]


@pytest.mark.parametrize("kind", KINDS)
def test_documents_match_by_number_and_supplier(kind):
    rec = run(kind, [doc("118", None, number="INV-7")], [doc("XP1", "XP1", number="inv-7"), doc("XP2", "XP2", number="INV-7", supplier_xero_id="XS2")],
              [line("118", 1)], [line("XP1", 1), line("XP2", 1)])
    d = rec.differences
    assert sorted(zip(d["xero_id"], d["kind"], d["action"])) == [
        ("XP1", "match_candidate", "link"), ("XP1", "mismatch", "update"), ("XP2", "only_in_xero", "none")]


# lines 25.06, 25.61, 25.63 at 15 %: Xero's per-line tax is 11.44, tax on the total would be 11.45
_ROUND_LINES = [("25.06", "3.76"), ("25.61", "3.85"), ("25.63", "3.84")]


def _round_case(kind):
    p_lines = [line("118", i + 1, quantity="1", unit_amount=a, tax_rate="15", line_amount=a, tax_amount=t)
               for i, (a, t) in enumerate(_ROUND_LINES)]
    x_lines = [line("XP1", i + 1, quantity="1", unit_amount=a, tax_rate="15", line_amount=a, tax_amount=t)
               for i, (a, t) in enumerate([("25.06", "3.76"), ("25.61", "3.84"), ("25.63", "3.84")])]
    return run(kind, [doc("118", "XP1", subtotal="76.30", total_tax="11.45", total="87.75")],
               [doc("XP1", "XP1", subtotal="76.30", total_tax="11.44", total="87.74")], p_lines, x_lines)


@pytest.mark.parametrize("kind", KINDS)
def test_per_line_tax_rounding_is_classified_rounding_with_a_rounding_line_remedy(kind):
    rec = _round_case(kind)
    assert rows(rec) == [("total", "rounding", "none", "none"), ("total_tax", "rounding", "none", "none")]
    assert not rec.plan.actions
    r = rec.rounding.iloc[0].to_dict()
    assert (r["precoro_total"], r["xero_total"], r["xero_expected"], r["difference"], r["classification"],
            r["lines"]) == ("87.75", "87.74", "87.74", "0.01", "rounding", "2")
    assert r["remedy"] == "add a rounding line of 0.01 to account 860"


@pytest.mark.parametrize("kind", KINDS)
def test_four_decimal_unit_prices_are_rounding_fixed_by_unitdp4(kind):
    p = [line("118", 1, quantity="3", unit_amount="1.115", tax_rate="0", line_amount="3.35", tax_amount="0.00")]
    x = [line("XP1", 1, quantity="3", unit_amount="1.12", tax_rate="0", line_amount="3.36", tax_amount="0.00")]
    rec = run(kind, [doc("118", "XP1", subtotal="3.35", total_tax="0.00", total="3.35")],
              [doc("XP1", "XP1", subtotal="3.36", total_tax="0.00", total="3.36")], p, x)
    assert rows(rec) == [("subtotal", "rounding", "none", "none"), ("total", "rounding", "none", "none")]
    assert rec.rounding.iloc[0]["remedy"] == "send unit amounts at 4 decimals (unitdp=4)"


@pytest.mark.parametrize("kind", KINDS)
def test_total_difference_not_explained_by_rounding_is_material(kind):
    rec = run(kind, [doc("118", "XP1")], [doc("XP1", "XP1", total="125.00", total_tax="25.00")],
              [line("118", 1)], [line("XP1", 1)])
    assert rows(rec) == [("total", "mismatch", "to_xero", "none"), ("total_tax", "mismatch", "to_xero", "none")]
    assert rec.rounding.iloc[0]["classification"] == "material"
    assert "not explained by rounding" in rec.differences["reason"].iloc[0]


def test_equal_documents_are_classified_equal():
    rec = run("bill", [doc("118", "XP1")], [doc("XP1", "XP1")], [line("118", 1)], [line("XP1", 1)])
    assert rec.differences.empty and rec.rounding["classification"].tolist() == ["equal"]


@pytest.mark.parametrize("meta, agree, phrase", [
    (META, True, "The rounding settings agree."),
    ({**META, "precoro": {"precision": {"price": 4, "quantity": 2, "total": 2}}}, False, "unitdp=4"),
    ({**META, "precoro": {"precision": {"price": 2, "quantity": 2, "total": 3}}}, False, "totals to 3 decimals"),
    ({"xero": {"unitdp": 4}, "precoro": {"precision": {"price": 4, "quantity": 4, "total": 2}}}, True, "agree"),
    ({"xero": {}}, None, "not known"),
])
def test_rounding_settings_check(meta, agree, phrase):
    check = settings_check(meta)
    assert check["agree"] is agree and phrase in check["message"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_cancelled_document_is_archived_not_edited(kind):
    rec = run(kind, [doc("118", "XP1", status="cancelled", active=False, date="2026-11-05")],
              [doc("XP1", "XP1")], [line("118", 1, quantity="3")], [line("XP1", 1)])
    assert rows(rec) == [("active", "mismatch", "to_xero", "archive")]


@pytest.mark.parametrize("kind", KINDS)
def test_a_document_deleted_in_xero_is_shown_not_edited(kind):
    rec = run(kind, [doc("118", "XP1", date="2026-11-05")], [doc("XP1", "XP1", status="deleted", active=False)],
              [line("118", 1)], [line("XP1", 1)])
    assert rows(rec) == [("active", "mismatch", "to_xero", "none")]
    assert not rec.plan.actions


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("precoro_unit, xero_unit, expected", [
    ("8.3533", "8.3500", "rounding"),   # Xero kept 2 dp of a 4-dp price: nobody edited it
    ("12.8050", "12.8100", "rounding"),  # half-up
    ("8.3533", "8.3600", "mismatch"),  # not what rounding gives: Precoro's value wins (no baseline)
])
def test_unit_amounts_xero_kept_at_two_decimals_are_rounding_and_resent(kind, precoro_unit, xero_unit, expected):
    meta = {**META, "xero": {**META.get("xero", {}), "unitdp": 4}}
    p = [line("118", 1, quantity="1", unit_amount=precoro_unit, tax_rate="0", line_amount=precoro_unit[:-2],
              tax_amount="0.00")]
    x = [line("XP1", 1, quantity="1", unit_amount=xero_unit, tax_rate="0", line_amount=xero_unit[:-2],
              tax_amount="0.00")]
    rec = run(kind, [doc("118", "XP1")], [doc("XP1", "XP1")], p, x, meta=meta)
    unit = rec.differences[rec.differences["field"] == "lines[1].unit_amount"].iloc[0]
    assert (unit["kind"], unit["direction"], unit["action"]) == (expected, "to_xero", "update")
    assert [a.op for a in rec.plan.actions] == ["update"]
    assert rec.plan.actions[0].new["lines"][0]["unit_amount"] == precoro_unit


@pytest.mark.parametrize("kind, cancel_status", [("purchase_order", "deleted"), ("bill", "voided")])
@pytest.mark.parametrize("xero_statuses", [["AUTHORISED"], ["AUTHORISED", "SUBMITTED"],
                                           ["DRAFT", "AUTHORISED", "DRAFT"]])
def test_each_archive_replaces_the_status_its_document_has_in_xero(kind, cancel_status, xero_statuses):
    # Xero's status is read (once, when the first document is archived) at each archived document's own row
    n = len(xero_statuses)
    rec = run(kind, [doc(f"11{i}", f"XP{i}", number=f"PO-{i}", status="cancelled", active=False, date="2026-11-05")
                     for i in range(n)],
              [doc(f"XP{i}", f"XP{i}", number=f"PO-{i}", status=s) for i, s in enumerate(xero_statuses)],
              [line(f"11{i}", 1) for i in range(n)], [line(f"XP{i}", 1) for i in range(n)])
    got = sorted((a.keys["xero_id"], a.op, dict(a.new), dict(a.old)) for a in rec.plan.actions)
    assert got == [(f"XP{i}", "archive", {"status": cancel_status}, {"status": s}) for i, s in enumerate(xero_statuses)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("order", [(0, 1, 2, 3), (3, 2, 1, 0), (1, 3, 0, 2)])
def test_each_rounding_total_gives_its_own_documents_remedy(kind, order):
    """Totals explained by rounding read "rounding: explained by the rounding rules; " and the remedy of their
    own document (made once per distinct remedy, so read back per document, whatever order they come in)."""
    def round_lines(doc_id):
        return [line(doc_id, i + 1, quantity="1", unit_amount=a, tax_rate="15", line_amount=a, tax_amount=t)
                for i, (a, t) in enumerate(_ROUND_LINES)]

    def unit_line(doc_id, unit, amount):
        return [line(doc_id, 1, quantity="3", unit_amount=unit, tax_rate="0", line_amount=amount, tax_amount="0.00")]

    cases = [  # (Precoro header, Xero header, Precoro lines, Xero lines)
        (dict(subtotal="76.30", total_tax="11.45", total="87.75"), dict(subtotal="76.30", total_tax="11.44",
                                                                        total="87.74"), round_lines, round_lines),
        (dict(subtotal="3.35", total_tax="0.00", total="3.35"), dict(subtotal="3.36", total_tax="0.00", total="3.36"),
         lambda d: unit_line(d, "1.115", "3.35"), lambda d: unit_line(d, "1.12", "3.36")),
        ({}, dict(total="125.00", total_tax="25.00"), lambda d: [line(d, 1)], lambda d: [line(d, 1)]),
        (dict(subtotal="76.30", total_tax="11.45", total="87.75"), dict(subtotal="76.30", total_tax="11.44",
                                                                        total="87.74"), round_lines, round_lines),
    ]
    p_docs, x_docs, p_lines, x_lines = [], [], [], []
    for i in order:
        ph, xh, pl, xl = cases[i]
        pid, xid, number = f"11{i}", f"XP{i}", f"PO-000{i}"
        p_docs.append(doc(pid, xid, number=number, **ph))
        x_docs.append(doc(xid, xid, number=number, **xh))
        p_lines += pl(pid)
        x_lines += xl(xid)
    rec = run(kind, p_docs, x_docs, p_lines, x_lines)
    remedy = dict(zip(rec.rounding["precoro_id"], rec.rounding["remedy"]))
    d = rec.differences
    totals = d[d["field"].isin(["subtotal", "total_tax", "total"])]
    rounding = totals[totals["kind"] == "rounding"]
    assert sorted(set(rounding["precoro_id"])) == ["110", "111", "113"]
    for pid, reason in zip(rounding["precoro_id"], rounding["reason"]):
        assert reason == "rounding: explained by the rounding rules; " + remedy[pid]
    assert remedy["110"] != remedy["111"]
    assert set(totals[totals["kind"] != "rounding"]["precoro_id"]) == {"112"}
