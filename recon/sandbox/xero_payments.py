"""Xero's payments on invoices (reference/xero-api.md section 10.8).

Payments go only on AUTHORISED invoices, from a BANK account (or one with ``EnablePaymentsToAccount``), and
never above the amount due. A fully paid invoice turns PAID with ``FullyPaidOnDate``; deleting a payment
(``POST /Payments/{id}`` with ``{"Status": "DELETED"}``, the only change Xero allows) reverts it.
"""

from __future__ import annotations

from decimal import Decimal

from recon.money import round2
from recon.sandbox.xero_docs import ZERO, contact_summary
from recon.sandbox.xero_rules import active_account
from recon.sandbox.xero_store import Change, Context, Handler, Invalid, Record, Store, register


@register
class Payments(Handler):
    kind, id_field = "Payments", "PaymentID"

    def match(self, store: Store, data: Record) -> Record | None:
        return super().match(store, data) if data.get("PaymentID") else None

    def build(self, store: Store, data: Record, existing: Record | None, ctx: Context) -> list[Change]:
        if existing is not None:
            return self.delete(store, data, existing)
        invoice_ref = data.get("Invoice") or {}
        invoice = store.get("Invoices", invoice_ref.get("InvoiceID"))
        if invoice is None and invoice_ref.get("InvoiceNumber"):
            invoice = store.find("Invoices", "InvoiceNumber", invoice_ref["InvoiceNumber"],
                                 lambda i: i.get("Status") == "AUTHORISED")
        if invoice is None:
            raise Invalid("Invoice could not be found. A payment needs an Invoice with an InvoiceID or InvoiceNumber.")
        if invoice.get("Status") != "AUTHORISED":
            raise Invalid("Payments can only be made against Authorised documents.")
        account_ref = data.get("Account") or {}
        if not account_ref.get("AccountID") and not account_ref.get("Code"):
            raise Invalid("An Account with an AccountID or Code must be specified.")
        account = active_account(store, account_ref.get("Code"), account_ref.get("AccountID"))
        if account.get("Type") != "BANK" and not account.get("EnablePaymentsToAccount"):
            raise Invalid(f"Account {account.get('Code') or account['AccountID']} is not a bank account and does not "
                          "allow payments.")
        amount = data.get("Amount")
        if amount is None or amount <= 0:
            raise Invalid("Payment amount must be greater than zero.")
        amount = round2(amount)
        if amount > invoice["AmountDue"]:
            raise Invalid("Payment amount exceeds the amount outstanding on this document")
        rec = {k: v for k, v in data.items() if k in ("Date", "Reference", "IsReconciled", "CurrencyRate", "Details")}
        rec.update(PaymentID=store.new_id(), Amount=amount, BankAmount=amount, Status="AUTHORISED",
                   PaymentType="ACCPAYPAYMENT" if invoice["Type"] == "ACCPAY" else "ACCRECPAYMENT",
                   Invoice={"InvoiceID": invoice["InvoiceID"]},
                   Account={"AccountID": account["AccountID"], "Code": account.get("Code")})
        rec.setdefault("Date", store.today())
        rec.setdefault("IsReconciled", False)
        rec.setdefault("CurrencyRate", invoice.get("CurrencyRate", Decimal(1)))
        return [Change(self.kind, rec), Change("Invoices", settle(store, dict(invoice), extra=rec))]

    def delete(self, store: Store, data: Record, existing: Record) -> list[Change]:
        if data.get("Status") != "DELETED" or set(data) - {"Status", "PaymentID"}:
            raise Invalid("A payment can only be deleted (Status DELETED); it cannot be changed.")
        if existing["Status"] == "DELETED":
            raise Invalid("This payment has already been deleted.")
        existing["Status"] = "DELETED"
        invoice = store.get("Invoices", existing["Invoice"]["InvoiceID"])
        changes = [Change(self.kind, existing)]
        if invoice is not None:
            changes.append(Change("Invoices", settle(store, dict(invoice), removed=existing["PaymentID"])))
        return changes

    def view(self, store: Store, record: Record, ctx: Context) -> Record:
        invoice = store.get("Invoices", record["Invoice"]["InvoiceID"]) or record["Invoice"]
        summary = {k: invoice[k] for k in ("InvoiceID", "InvoiceNumber", "Type", "CurrencyCode") if k in invoice}
        summary["Contact"] = contact_summary(store, invoice.get("Contact"))
        return {**record, "Invoice": summary, "HasAccount": True, "HasValidationErrors": False}

    def load(self, store: Store, data: Record) -> list[Change]:
        invoice = store.get("Invoices", (data.get("Invoice") or {}).get("InvoiceID"))
        if invoice is None:
            raise Invalid("the payment's Invoice must be loaded first (by InvoiceID)")
        account = data.get("Account") or {}
        found = store.get("Accounts", account.get("AccountID")) or store.find("Accounts", "Code", account.get("Code"))
        if found is None:
            raise Invalid("the payment's Account must be loaded first")
        data["Invoice"] = {"InvoiceID": invoice["InvoiceID"]}
        data["Account"] = {"AccountID": found["AccountID"], "Code": found.get("Code")}
        data.setdefault("Status", "AUTHORISED")
        data.setdefault("PaymentType", "ACCPAYPAYMENT" if invoice["Type"] == "ACCPAY" else "ACCRECPAYMENT")
        data.setdefault("BankAmount", data.get("Amount", ZERO))
        data.setdefault("IsReconciled", False)
        return super().load(store, data)


def settle(store: Store, invoice: Record, extra: Record | None = None, removed: str | None = None) -> Record:
    """Recompute paid and due amounts and the PAID status from the invoice's live payments."""
    payments = [p for p in store.payments_of(invoice["InvoiceID"])
                if p.get("Status") == "AUTHORISED" and p["PaymentID"] != removed]
    if extra is not None:
        payments.append(extra)
    paid = sum((p["Amount"] for p in payments), ZERO)
    invoice["AmountPaid"] = paid
    invoice["AmountDue"] = invoice["Total"] - paid - invoice.get("AmountCredited", ZERO)
    if invoice["AmountDue"] == 0 and payments:
        invoice["Status"] = "PAID"
        invoice["FullyPaidOnDate"] = max(p["Date"] for p in payments)
    elif invoice["Status"] == "PAID":
        invoice["Status"] = "AUTHORISED"
        invoice.pop("FullyPaidOnDate", None)
    return invoice
