"""Purchase orders, bills (ACCPAY) and payments through the real SDK: Xero's maths, statuses and rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from xero_python.accounting import (
    Account, Contact, Invoice, Invoices, LineAmountTypes, LineItem, LineItemTracking, Payment, PaymentDelete,
    Payments, PurchaseOrder, PurchaseOrders,
)
from xero_python.exceptions import AccountingBadRequestException, NotFoundException

from xero_sdk import ACME, TENANT, Sdk, chart, emu, sdk, served  # noqa: F401  (fixtures)

D = Decimal


@pytest.fixture()
def org(emu, sdk: Sdk) -> Sdk:
    emu.load(chart())
    return sdk


def _bill(lines, status="AUTHORISED", lat=LineAmountTypes.EXCLUSIVE, **kw) -> Invoice:
    return Invoice(type="ACCPAY", contact=Contact(contact_id=ACME), date=date(2026, 3, 1), due_date=date(2026, 3, 31),
                   status=status, line_amount_types=lat, line_items=lines, **kw)


def _line(amount, qty="1", tax="INPUT2", **kw) -> LineItem:
    return LineItem(description="x", quantity=D(qty), unit_amount=D(amount), account_code="300", tax_type=tax, **kw)


def _create_bill(sdk: Sdk, *lines, unitdp=None, **kw) -> Invoice:
    extra = {"unitdp": unitdp} if unitdp else {}
    return sdk.acc.create_invoices(TENANT, Invoices(invoices=[_bill(list(lines), **kw)]), **extra).invoices[0]


@pytest.mark.parametrize("amounts, rate_type, lat, sub, tax, total", [
    (["25.06", "25.61", "25.63"], "INPUT2", LineAmountTypes.EXCLUSIVE, "76.30", "11.44", "87.74"),
    (["45.45", "45.45"], "TAX001", LineAmountTypes.EXCLUSIVE, "90.90", "9.10", "100.00"),
    (["115.00", "23.00"], "INPUT2", LineAmountTypes.INCLUSIVE, "120.00", "18.00", "138.00"),
    (["10.01", "10.01"], "INPUT2", LineAmountTypes.NOTAX, "20.02", "0.00", "20.02"),
])
def test_tax_is_rounded_per_line_and_totals_come_from_lines(org: Sdk, amounts, rate_type, lat, sub, tax, total) -> None:
    bill = _create_bill(org, *(_line(a, tax=rate_type) for a in amounts), lat=lat)
    assert (bill.sub_total, bill.total_tax, bill.total) == (D(sub), D(tax), D(total))
    assert bill.amount_due == D(total) and bill.amount_paid == D("0.00")


def test_unit_amounts_round_to_2dp_unless_unitdp_4(org: Sdk) -> None:
    two = _create_bill(org, _line("33.3333", qty="3"))
    assert (two.line_items[0].unit_amount, two.line_items[0].line_amount) == (D("33.33"), D("99.99"))
    four = _create_bill(org, _line("33.3333", qty="3"), unitdp=4)
    assert (four.line_items[0].unit_amount, four.line_items[0].line_amount) == (D("33.3333"), D("100.00"))
    assert org.acc.get_invoice(TENANT, four.invoice_id).invoices[0].line_items[0].unit_amount == D("33.33")
    assert org.acc.get_invoice(TENANT, four.invoice_id, unitdp=4).invoices[0].line_items[0].unit_amount == D("33.3333")


def test_lines_take_item_defaults_account_tax_and_tracking(org: Sdk) -> None:
    bill = _create_bill(org, LineItem(item_code="WID-1", quantity=D(2),
                                      tracking=[LineItemTracking(name="Region", option="North")]))
    line = bill.line_items[0]
    assert (line.description, line.unit_amount, line.account_code, line.tax_type) == ("Widget, blue", D("12.50"), "300", "INPUT2")
    assert (line.line_amount, line.tax_amount) == (D("25.00"), D("3.75"))
    assert [(t.name, t.option) for t in line.tracking] == [("Region", "North")]
    assert line.tracking[0].tracking_option_id == "22222222-0000-4000-8000-000000000011"


@pytest.mark.parametrize("line, message", [
    (LineItem(description="x", quantity=D(1), unit_amount=D(1), account_code="999"), "Account code '999' is not a valid code for this document."),
    (LineItem(description="x", quantity=D(1), unit_amount=D(1), account_code="300", tax_type="BOGUS"), "The TaxType code BOGUS does not exist or cannot be used for this type of transaction."),
    (LineItem(item_code="NOPE", quantity=D(1)), "Item code 'NOPE' is not valid."),
    (LineItem(description="x", quantity=D(1), unit_amount=D(1), account_code="300",
              tracking=[LineItemTracking(name="Region", option="West")]), "Tracking option West does not exist in the tracking category Region."),
])
def test_bad_line_references_are_validation_errors(org: Sdk, line, message) -> None:
    with pytest.raises(AccountingBadRequestException) as err:
        _create_bill(org, line)
    assert err.value.reason == message
    assert err.value.error_data["Elements"][0]["HasErrors"] is True


def test_contact_must_exist_on_bills_by_id_and_a_new_name_creates_a_supplier(org: Sdk) -> None:
    with pytest.raises(AccountingBadRequestException):
        org.acc.create_invoices(TENANT, Invoices(invoices=[Invoice(
            type="ACCPAY", contact=Contact(contact_id="9d4c1a1e-0000-4000-8000-000000000000"), line_items=[_line("1")])]))
    bill = org.acc.create_invoices(TENANT, Invoices(invoices=[Invoice(type="ACCPAY", contact=Contact(name="Brand New Ltd"),
                                                                      line_items=[_line("1")])])).invoices[0]
    made = org.acc.get_contact(TENANT, bill.contact.contact_id).contacts[0]
    assert (made.name, made.is_supplier) == ("Brand New Ltd", True)
    assert bill.status == "DRAFT" and bill.line_amount_types == LineAmountTypes.EXCLUSIVE


def test_an_accpay_bill_marks_its_contact_a_supplier_without_bumping_its_timestamp(org: Sdk) -> None:
    before = org.acc.get_contact(TENANT, ACME).contacts[0]
    assert before.is_supplier is False
    _create_bill(org, _line("10"))
    after = org.acc.get_contact(TENANT, ACME).contacts[0]
    assert after.is_supplier is True and after.updated_date_utc == before.updated_date_utc


@pytest.mark.parametrize("start, target, ok", [
    ("DRAFT", "SUBMITTED", True), ("DRAFT", "AUTHORISED", True), ("DRAFT", "DELETED", True),
    ("SUBMITTED", "DRAFT", True), ("SUBMITTED", "DELETED", True), ("AUTHORISED", "VOIDED", True),
    ("AUTHORISED", "DRAFT", False), ("AUTHORISED", "DELETED", False), ("DRAFT", "PAID", False),
    ("DRAFT", "VOIDED", False),
])
def test_invoice_status_transitions(org: Sdk, start, target, ok) -> None:
    bill = _create_bill(org, _line("10"), status=start)
    call = lambda: org.acc.update_invoice(TENANT, bill.invoice_id, Invoices(invoices=[Invoice(status=target)]))  # noqa: E731
    if ok:
        assert call().invoices[0].status == target
    else:
        with pytest.raises(AccountingBadRequestException):
            call()


def test_deleted_and_voided_bills_cannot_be_edited(org: Sdk) -> None:
    bill = _create_bill(org, _line("10"), status="DRAFT")
    org.acc.update_invoice(TENANT, bill.invoice_id, Invoices(invoices=[Invoice(status="DELETED")]))
    with pytest.raises(AccountingBadRequestException) as err:
        org.acc.update_invoice(TENANT, bill.invoice_id, Invoices(invoices=[Invoice(reference="late")]))
    assert err.value.reason == "Invoice not of valid status for modification" or "DELETED" in err.value.reason


def test_line_updates_keep_update_add_and_delete_lines(org: Sdk) -> None:
    bill = _create_bill(org, _line("10"), _line("20"), status="DRAFT")
    keep = bill.line_items[0]
    res = org.acc.update_invoice(TENANT, bill.invoice_id, Invoices(invoices=[Invoice(line_items=[
        LineItem(line_item_id=keep.line_item_id, quantity=D(2)), _line("5")])])).invoices[0]
    assert [(l.line_item_id == keep.line_item_id, l.line_amount) for l in res.line_items] == [(True, D("20.00")), (False, D("5.00"))]
    assert res.sub_total == D("25.00")


def _pay(sdk: Sdk, invoice_id: str, amount: str, day=date(2026, 3, 10), **kw):
    return sdk.acc.create_payments(TENANT, Payments(payments=[Payment(invoice=Invoice(invoice_id=invoice_id),
        account=Account(code="090"), amount=D(amount), date=day, reference="EFT", **kw)]))


def test_payments_part_then_full_turn_the_bill_paid_and_deleting_reverts(org: Sdk) -> None:
    bill = _create_bill(org, _line("100"))
    first = _pay(org, bill.invoice_id, "15.00").payments[0]
    assert (first.status, first.payment_type, first.amount) == ("AUTHORISED", "ACCPAYPAYMENT", D("15.00"))
    assert org.acc.get_invoice(TENANT, bill.invoice_id).invoices[0].amount_due == D("100.00")
    with pytest.raises(AccountingBadRequestException) as err:
        _pay(org, bill.invoice_id, "100.01")
    assert err.value.reason == "Payment amount exceeds the amount outstanding on this document"
    _pay(org, bill.invoice_id, "100.00", day=date(2026, 3, 20))
    paid = org.acc.get_invoice(TENANT, bill.invoice_id).invoices[0]
    assert (paid.status, paid.amount_due, paid.amount_paid, paid.fully_paid_on_date) == ("PAID", D("0.00"), D("115.00"), date(2026, 3, 20))
    assert sorted(p.amount for p in paid.payments) == [D("15.00"), D("100.00")]
    deleted = org.acc.delete_payment(TENANT, first.payment_id, PaymentDelete(status="DELETED")).payments[0]
    assert deleted.status == "DELETED"
    back = org.acc.get_invoice(TENANT, bill.invoice_id).invoices[0]
    assert (back.status, back.amount_due, back.fully_paid_on_date) == ("AUTHORISED", D("15.00"), None)
    with pytest.raises(AccountingBadRequestException):  # voiding needs the payments gone
        org.acc.update_invoice(TENANT, bill.invoice_id, Invoices(invoices=[Invoice(status="VOIDED")]))
    listed = org.acc.get_payments(TENANT, where='Status=="AUTHORISED"', page=1).payments
    assert [p.amount for p in listed] == [D("100.00")]


@pytest.mark.parametrize("status", ["DRAFT", "SUBMITTED"])
def test_payments_need_an_authorised_bill(org: Sdk, status) -> None:
    bill = _create_bill(org, _line("10"), status=status)
    with pytest.raises(AccountingBadRequestException, match="400"):
        _pay(org, bill.invoice_id, "1.00")


def test_payment_to_a_non_bank_account_is_refused_and_single_post_works(org: Sdk) -> None:
    bill = _create_bill(org, _line("10"))
    with pytest.raises(AccountingBadRequestException):
        org.acc.create_payments(TENANT, Payments(payments=[Payment(invoice=Invoice(invoice_id=bill.invoice_id),
                                account=Account(code="429"), amount=D(1), date=date(2026, 3, 2))]))
    one = org.acc.create_payment(TENANT, Payment(invoice=Invoice(invoice_id=bill.invoice_id), account=Account(code="090"),
                                                 amount=D("11.50"), date=date(2026, 3, 2)))
    assert one.payments[0].invoice.invoice_id == bill.invoice_id
    assert org.acc.get_invoice(TENANT, bill.invoice_id).invoices[0].status == "PAID"


def test_invoice_lists_filters_and_unpaged_lists_have_no_lines(org: Sdk) -> None:
    a = _create_bill(org, _line("10"), invoice_number="SUP-1")
    b = _create_bill(org, _line("20"), invoice_number="SUP-2", status="DRAFT")
    org.acc.create_invoices(TENANT, Invoices(invoices=[Invoice(type="ACCREC", contact=Contact(contact_id=ACME),
        line_items=[LineItem(description="sale", quantity=D(1), unit_amount=D(5), account_code="200")])]))
    unpaged = org.acc.get_invoices(TENANT, where='Type=="ACCPAY"').invoices
    assert len(unpaged) == 2 and all(not i.line_items for i in unpaged)
    paged = org.acc.get_invoices(TENANT, where='Type=="ACCPAY"', page=1).invoices
    assert all(len(i.line_items) == 1 for i in paged)
    assert [i.invoice_id for i in org.acc.get_invoices(TENANT, statuses=["DRAFT"], where='Type=="ACCPAY"').invoices] == [b.invoice_id]
    assert [i.invoice_id for i in org.acc.get_invoices(TENANT, invoice_numbers=["SUP-1"]).invoices] == [a.invoice_id]
    assert len(org.acc.get_invoices(TENANT, contact_i_ds=[ACME]).invoices) == 3
    assert [i.invoice_id for i in org.acc.get_invoices(TENANT, i_ds=[a.invoice_id, b.invoice_id], order="Total DESC").invoices] == [b.invoice_id, a.invoice_id]
    assert org.acc.get_invoice(TENANT, "SUP-2").invoices[0].invoice_id == b.invoice_id
    by_name = org.acc.get_invoices(TENANT, where='Contact.Name=="Acme Supplies" AND Type=="ACCPAY"', page=1).invoices
    assert sorted(i.invoice_number for i in by_name) == ["SUP-1", "SUP-2"]
    sales = org.acc.get_invoices(TENANT, where='Type=="ACCREC"').invoices
    assert [i.invoice_number for i in sales] == ["INV-0001"]
    assert [i.invoice_number for i in org.acc.get_invoices(TENANT, where='AmountDue > 15 && Date >= DateTime(2026, 03, 01)').invoices] == ["SUP-2"]


def _po(**kw) -> PurchaseOrder:
    return PurchaseOrder(contact=Contact(contact_id=ACME), date=date(2026, 2, 1), delivery_date=date(2026, 2, 10),
                         line_items=[LineItem(description="Bolts", quantity=D(3), unit_amount=D("33.3333"),
                                              account_code="300", tax_type="INPUT2")], **kw)


def test_purchase_orders_numbers_statuses_and_4dp_units(org: Sdk) -> None:
    made = org.acc.create_purchase_orders(TENANT, PurchaseOrders(purchase_orders=[_po(), _po(status="AUTHORISED")])).purchase_orders
    assert [p.purchase_order_number for p in made] == ["PO-0001", "PO-0002"]
    assert [p.status for p in made] == ["DRAFT", "AUTHORISED"]
    line = made[0].line_items[0]
    assert (line.unit_amount, line.line_amount, line.tax_amount) == (D("33.3333"), D("100.00"), D("15.00"))
    assert made[0].delivery_date == date(2026, 2, 10) and made[0].total == D("115.00")
    res = org.acc.create_purchase_orders(TENANT, PurchaseOrders(purchase_orders=[_po(purchase_order_number="PO-0001")]),
                                         summarize_errors=False).purchase_orders[0]
    assert (res.status_attribute_string, res.validation_errors[0].message) == ("ERROR", "Order number must be unique")
    org.acc.update_purchase_order(TENANT, made[1].purchase_order_id,
                                  PurchaseOrders(purchase_orders=[PurchaseOrder(status="BILLED")]))
    org.acc.update_purchase_order(TENANT, made[0].purchase_order_id,
                                  PurchaseOrders(purchase_orders=[PurchaseOrder(status="DELETED")]))
    assert org.acc.get_purchase_order_by_number(TENANT, "PO-0002").purchase_orders[0].status == "BILLED"
    assert [p.status for p in org.acc.get_purchase_orders(TENANT, status="DELETED").purchase_orders] == ["DELETED"]
    with pytest.raises(AccountingBadRequestException):
        org.acc.update_purchase_order(TENANT, made[0].purchase_order_id,
                                      PurchaseOrders(purchase_orders=[PurchaseOrder(status="AUTHORISED")]))
    ranged = org.acc.get_purchase_orders(TENANT, date_from="2026-01-15", date_to="2026-02-01", page=1, page_size=1)
    assert ranged.pagination.item_count == 2 and len(ranged.purchase_orders) == 1


def test_purchase_order_contact_must_exist(org: Sdk) -> None:
    with pytest.raises(AccountingBadRequestException):
        org.acc.create_purchase_orders(TENANT, PurchaseOrders(purchase_orders=[PurchaseOrder(
            contact=Contact(contact_id="9d4c1a1e-0000-4000-8000-000000000000"), line_items=[_line("1")])]))
    with pytest.raises(NotFoundException):
        org.acc.get_purchase_order(TENANT, "9d4c1a1e-0000-4000-8000-000000000000")
