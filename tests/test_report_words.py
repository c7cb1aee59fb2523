"""The accountant's words of every view (recon/report_words.py), table-driven: the meanings of reconcile's
kinds and directions (issue 10), fields, amounts with their currency, times in the organisation's zone."""

from __future__ import annotations

import datetime as dt

import pytest

from recon import report_words as rw


@pytest.mark.parametrize("obj, kind, direction, field, p, x, b, words", [
    ("supplier", "conflict", "to_precoro", "email", "a@x", "b@x", "c@x", "Changed on both sides: Xero wins"),
    ("bill", "conflict", "to_xero", "due_date", "1", "2", "3", "Changed on both sides: Precoro is the source"),
    ("supplier", "mismatch", "to_precoro", "phone", "1", "2", "1", "Changed in Xero"),
    ("supplier", "mismatch", "to_xero", "email", "new", "old", "old", "Changed in Precoro"),
    ("supplier", "mismatch", "to_precoro", "phone", "", "2", "", "Values differ: Xero is the source"),
    ("item", "blocked_edit", "to_precoro", "purchase_price", "14", "12.5", "12.5",
     "Edited in Precoro, where it is read-only: Xero's value goes back"),
    ("bill", "blocked_edit", "to_xero", "total", "1", "2", "1", "Edited in Xero, where it is read-only: Precoro's value goes back"),
    ("bill", "rounding", "none", "total", "87.74", "87.73", "", "Xero rounds tax per line: 0.01"),
    ("bill", "rounding", "to_xero", "lines[1].unit_amount", "8.3533", "8.3500", "", "Rounding difference: 0.0033"),
    ("purchase_order", "mismatch", "to_xero", "total", "100", "120", "", "Totals differ beyond rounding (material): review"),
    ("supplier", "only_in_precoro", "to_xero", "", "", "", "", "Only in Precoro: to be created in Xero"),
    ("supplier", "only_in_xero", "to_precoro", "", "", "", "", "Only in Xero: to be created in Precoro"),
    ("supplier", "match_candidate", "none", "name", "A", "A", "", "Looks like the same record on both sides: link it after checking"),
])
def test_each_difference_in_plain_words(obj, kind, direction, field, p, x, b, words) -> None:
    assert rw.difference_words(obj, kind, direction, field, p, x, b) == words


@pytest.mark.parametrize("kind, p, x, b, side", [
    ("mismatch", "1", "2", "1", "xero"), ("mismatch", "2", "1", "1", "precoro"), ("conflict", "1", "2", "3", "both"),
    ("mismatch", "1", "2", "", ""), ("only_in_xero", "", "x", "", ""), ("rounding", "1.01", "1.00", "1.01", ""),
])
def test_the_side_that_changed(kind, p, x, b, side) -> None:
    assert rw.changed_side(kind, p, x, b) == side


@pytest.mark.parametrize("name, words, money", [
    ("lines[2].quantity", "line 2: quantity", False), ("lines[10].line_amount", "line 10: line amount", True),
    ("tax_number", "tax number", False), ("total", "total", True), ("", "", False),
])
def test_fields_in_words(name, words, money) -> None:
    assert (rw.field_words(name), rw.is_money_field(name)) == (words, money)


@pytest.mark.parametrize("value, currency, shown", [
    ("4585.00", "NZD", "NZD 4,585.00"), ("1234567.5", "", "1,234,567.5"), ("-0.01", "AUD", "AUD -0.01"),
    ("n/a", "NZD", "n/a"), ("", "NZD", ""),
])
def test_amounts_keep_every_digit_and_carry_their_currency(value, currency, shown) -> None:
    assert rw.amount(value, currency) == shown


@pytest.mark.parametrize("xero, configured, instant, shown", [
    ("NEWZEALANDSTANDARDTIME", "", "2026-03-01T09:05:07.123456Z", "2026-03-01 22:05:07 NZDT"),
    ("NEWZEALANDSTANDARDTIME", "", "2026-07-01T09:05:07+00:00", "2026-07-01 21:05:07 NZST"),
    ("", "Australia/Sydney", "2026-03-01T09:05:07Z", "2026-03-01 20:05:07 AEDT"),
    ("SOMEWHERESTANDARDTIME", "Europe/London", "2026-03-01T09:05:07Z", "2026-03-01 09:05:07 GMT"),
])
def test_times_in_the_organisations_zone_to_the_second(xero, configured, instant, shown) -> None:
    assert rw.local_time(instant, rw.zone_of(xero, configured)) == shown


def test_without_any_zone_the_machines_is_used_and_bad_text_is_kept() -> None:
    assert rw.zone_of("", "").utcoffset(dt.datetime.now()) == dt.datetime.now().astimezone().utcoffset()
    assert rw.local_time("not a time", dt.timezone.utc) == "not a time"


@pytest.mark.parametrize("by, shown", [("policy:demo", "policy “demo”"), ("ana", "ana"), ("", "")])
def test_who_decided(by, shown) -> None:
    assert rw.by_words(by) == shown


@pytest.mark.parametrize("name, shown", [
    ("\x1b[31mRed Ltd\x1b[0m", "\\x1b[31mRed Ltd\\x1b[0m"), ("Bell\x07", "Bell\\x07"), ("Kauri Print & Signs", "Kauri Print & Signs"),
    ("tab\tand\nnewline", "tab\tand\nnewline"), ("\x9b2J", "\\x9b2J"),
])
def test_terminal_escapes_in_a_name_stay_text(name, shown) -> None:
    assert rw.terminal_text(name) == shown


@pytest.mark.parametrize("op, kind, target, record_id, fields, shown", [
    ("update", "supplier", "xero", "S1", ["email"], "Update supplier in Xero"),
    ("create", "payment", "precoro", "", ["date", "amount"], "Create payment in Precoro"),
    ("archive", "payment", "precoro", "4471", ["active"], "Archive payment in Precoro"),
    ("link", "payment", "precoro", "4471", ["xero_id"], "Link payment in Precoro"),
    ("update", "payment", "xero", "X1", ["amount"], "Update payment in Xero"),  # Xero payments: never replaced
    # Precoro cannot edit a payment (reference/precoro-api.md 7, 9, 18.6): the words say what recon does instead
    ("update", "payment", "precoro", "4471", ["amount"],
     "Replace payment in Precoro: cancel payment 4471 and record it again with Xero's amount"),
    ("update", "payment", "precoro", "4471", ["date", "amount"],
     "Replace payment in Precoro: cancel payment 4471 and record it again with Xero's date and amount"),
    ("update", "payment", "precoro", "4471", ["bill_xero_id", "date", "amount", "active"],
     "Replace payment in Precoro: cancel payment 4471 and record it again with Xero's bill, date and amount"),
    ("update", "payment", "precoro", "4471", ["active"],
     "Replace payment in Precoro: payment 4471 was cancelled there; record it again as Xero has it"),
    ("update", "payment", "precoro", "", ["date"],
     "Replace payment in Precoro: cancel the payment and record it again with Xero's date"),
])
def test_what_each_action_does_in_words(op, kind, target, record_id, fields, shown) -> None:
    assert rw.action_words(op, kind, target, record_id, fields) == shown
    assert rw.operation_words(op, kind, target) == shown.split(" ", 1)[0]
