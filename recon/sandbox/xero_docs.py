"""Xero's documents: PurchaseOrders and Invoices (ACCPAY bills, ACCREC accepted); payments are in xero_payments.

Line and tax maths come from :mod:`recon.money` (per-line tax rounded half-up to cents, totals from lines,
unit amounts to 2 dp unless ``unitdp=4``; purchase orders keep 4 dp natively). Status rules follow
reference/xero-api.md section 18.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from recon.money import quantize, round2, xero_line, xero_totals
from recon.sandbox.xero_rules import active_account, active_tax_rate, check_lock_dates, merged, organisation, text
from recon.sandbox.xero_store import Change, Context, Handler, Invalid, Record, Store, register

ZERO = Decimal("0.00")
INVOICE_TRANSITIONS = {
    None: {"DRAFT", "SUBMITTED", "AUTHORISED"},
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"SUBMITTED", "AUTHORISED", "DRAFT", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
    "PAID": {"PAID"}, "VOIDED": {"VOIDED"}, "DELETED": {"DELETED"},
}
PO_TRANSITIONS = {
    None: {"DRAFT", "SUBMITTED", "AUTHORISED"},
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"SUBMITTED", "DRAFT", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "DRAFT", "SUBMITTED", "BILLED", "DELETED"},
    "BILLED": {"BILLED", "AUTHORISED"},
    "DELETED": {"DELETED"},
}
#: Header fields a paid invoice still lets a client change.
PAID_EDITABLE = {"Reference", "DueDate", "ExpectedPaymentDate", "PlannedPaymentDate", "SentToContact", "Status",
                 "InvoiceID", "Url"}


def compute_lines(store: Store, given: list[Record], old: list[Record], lat: str, unitdp: int,
                  purchase: bool) -> list[Record]:
    """Lines as Xero stores them: items, accounts, tax rates and tracking resolved, amounts computed.

    A line with a known ``LineItemID`` updates that line; a line without one is new; old lines left out are
    deleted (section 18). A ``TaxAmount`` in the request overrides the computed tax, as Xero allows.
    """
    by_id = {line["LineItemID"]: line for line in old}
    lines = []
    for index, data in enumerate(given, start=1):
        try:
            lines.append(_line(store, data, by_id.get(data.get("LineItemID", "")), lat, unitdp, purchase))
        except Invalid as exc:
            raise Invalid(*(f"Line {index}: {m}" if len(given) > 1 else m for m in exc.messages)) from exc
    return lines


def _line(store: Store, data: Record, old: Record | None, lat: str, unitdp: int, purchase: bool) -> Record:
    line = merged(old, data)
    line["LineItemID"] = old["LineItemID"] if old else store.new_id()
    if line.get("ItemCode"):
        item = store.find("Items", "Code", line["ItemCode"])
        if item is None:
            raise Invalid(f"Item code '{line['ItemCode']}' is not valid.")
        line["ItemCode"] = item["Code"]
        details = item.get("PurchaseDetails" if purchase else "SalesDetails") or {}
        description = item.get("PurchaseDescription" if purchase else "Description") or item.get("Description")
        if description:
            line.setdefault("Description", description)
        for key, source in (("UnitAmount", "UnitPrice"), ("AccountCode", "AccountCode"), ("TaxType", "TaxType")):
            if details.get(source) is not None and key not in line:
                line[key] = details[source]
    account = None
    if line.get("AccountID") and not line.get("AccountCode"):
        account = active_account(store, account_id=line["AccountID"])
    elif line.get("AccountCode"):
        account = active_account(store, line["AccountCode"])
    if account is not None:
        line["AccountCode"], line["AccountID"] = account.get("Code"), account["AccountID"]
    rate = None
    if not line.get("TaxType") and account is not None and account.get("TaxType"):
        line["TaxType"] = account["TaxType"]
    if line.get("TaxType"):
        rate = active_tax_rate(store, line["TaxType"]).get("EffectiveRate")
    line["Tracking"] = [_tracking(store, t) for t in line.get("Tracking") or []]
    if len(line["Tracking"]) > 2:
        raise Invalid("A line item can have at most 2 tracking categories.")
    quantity, unit, amount = line.get("Quantity"), line.get("UnitAmount"), line.get("LineAmount")
    if quantity is None and unit is None and amount is None:
        line["LineAmount"], line["TaxAmount"] = ZERO, ZERO
        return line
    if quantity is None:
        quantity = Decimal(1)
    if unit is None:
        unit = (amount / quantity) if quantity else Decimal(0)
    try:
        computed = xero_line(quantize(quantity, 4), unit, rate, lat, unitdp)
    except InvalidOperation:
        raise Invalid("The line amount is too large.") from None
    line["Quantity"] = quantize(quantity, 4)
    line["UnitAmount"], line["LineAmount"] = computed.unit_amount, computed.line_amount
    line["TaxAmount"] = round2(data["TaxAmount"]) if "TaxAmount" in data else computed.tax_amount
    return line


def _tracking(store: Store, data: Record) -> Record:
    categories = store.all("TrackingCategories")
    category = next((c for c in categories if c["TrackingCategoryID"] == data.get("TrackingCategoryID")
                     or (data.get("Name") and c["Name"].lower() == text(data, "Name").lower())), None)
    if category is None or category.get("Status") != "ACTIVE":
        name = data.get("Name") or data.get("TrackingCategoryID")
        raise Invalid(f"Tracking category {name} does not exist or is not active.")
    option = next((o for o in category.get("Options", []) if o["TrackingOptionID"] == data.get("TrackingOptionID")
                   or (data.get("Option") and o["Name"].lower() == text(data, "Option").lower())), None)
    if option is None or option.get("Status", "ACTIVE") != "ACTIVE":
        raise Invalid(f"Tracking option {data.get('Option') or data.get('TrackingOptionID')} does not exist "
                      f"in the tracking category {category['Name']}.")
    return {"TrackingCategoryID": category["TrackingCategoryID"], "TrackingOptionID": option["TrackingOptionID"],
            "Name": category["Name"], "Option": option["Name"]}


def set_totals(rec: Record) -> None:
    totals = xero_totals(((line["LineAmount"], line["TaxAmount"]) for line in rec.get("LineItems", [])),
                         rec.get("LineAmountTypes", "Exclusive"))
    rec["SubTotal"], rec["TotalTax"], rec["Total"] = totals.subtotal, totals.total_tax, totals.total


def contact_summary(store: Store, ref: Record | None) -> Record | None:
    if not ref:
        return None
    contact = store.get("Contacts", ref.get("ContactID"))
    if contact is None:
        return ref
    return {k: contact[k] for k in ("ContactID", "ContactNumber", "Name", "ContactStatus", "IsSupplier",
                                    "IsCustomer") if k in contact}


class Document(Handler):
    """What POs and invoices share: contact, currency, lines, totals, statuses."""

    transitions: dict[str | None, set[str]] = {}
    unitdp_native: int | None = None

    def check_status(self, old: str | None, new: str) -> None:
        if new not in self.transitions[old]:
            if old in ("PAID", "VOIDED", "DELETED", "BILLED") and old != new:
                raise Invalid(f"{self.kind[:-1]} not of valid status for modification")
            raise Invalid(f"The status of this document cannot be changed from {old or 'new'} to {new}.")

    def common(self, store: Store, rec: Record, data: Record, existing: Record | None, ctx: Context,
               purchase: bool) -> None:
        org = organisation(store)
        if existing is None:
            rec.setdefault("Date", store.today())
            rec.setdefault("LineAmountTypes", "Exclusive")
            rec.setdefault("CurrencyCode", org.get("BaseCurrency", "NZD"))
        if "CurrencyRate" not in rec or (rec.get("CurrencyCode") == org.get("BaseCurrency")):
            rec["CurrencyRate"] = Decimal("1.0000000000") if rec.get("CurrencyCode") == org.get("BaseCurrency") \
                else rec.get("CurrencyRate", Decimal(1))
        if "LineItems" in data or "LineAmountTypes" in data or existing is None:
            given = data.get("LineItems", rec.get("LineItems") or [])
            if not given:
                raise Invalid("At least one line item is required.")
            unitdp = self.unitdp_native or ctx.unitdp
            rec["LineItems"] = compute_lines(store, given, (existing or {}).get("LineItems", []),
                                             rec["LineAmountTypes"], unitdp, purchase)
        set_totals(rec)
        check_lock_dates(store, rec.get("Date"), (existing or {}).get("Date"))

    def view(self, store: Store, record: Record, ctx: Context) -> Record:
        out = {**record, "Contact": contact_summary(store, record.get("Contact")), "HasAttachments": False}
        if not ctx.paged or ctx.summary_only:
            out.pop("LineItems", None)
        return out


@register
class PurchaseOrders(Document):
    kind, id_field, number_field = "PurchaseOrders", "PurchaseOrderID", "PurchaseOrderNumber"
    transitions = PO_TRANSITIONS
    unitdp_native = 4

    def build(self, store: Store, data: Record, existing: Record | None, ctx: Context) -> list[Change]:
        rec = merged(existing, data)
        old_status = existing.get("Status") if existing else None
        rec["Status"] = data.get("Status") or old_status or "DRAFT"
        self.check_status(old_status, rec["Status"])
        if old_status == "DELETED":
            raise Invalid("Purchase order not of valid status for modification")
        if existing is None:
            rec["PurchaseOrderID"] = store.new_id()
        contact_id = (rec.get("Contact") or {}).get("ContactID")
        if not contact_id:
            raise Invalid("A Contact with a valid ContactID must be specified.")
        if store.get("Contacts", contact_id) is None:
            raise Invalid(f"The contact with ContactID {contact_id} could not be found.")
        rec["Contact"] = {"ContactID": contact_id}
        number = text(rec, "PurchaseOrderNumber") or next_number(store, self.kind, "PurchaseOrderNumber", "PO-")
        rec["PurchaseOrderNumber"] = number
        if rec["Status"] != "DELETED" and store.find(self.kind, "PurchaseOrderNumber", number, lambda p: (
                p["PurchaseOrderID"] != rec["PurchaseOrderID"] and p.get("Status") != "DELETED")):
            raise Invalid("Order number must be unique")
        rec.setdefault("SentToContact", False)
        self.common(store, rec, data, existing, ctx, purchase=True)
        rec.setdefault("TotalDiscount", ZERO)
        return [Change(self.kind, rec)]

    def view(self, store: Store, record: Record, ctx: Context) -> Record:
        return {**super().view(store, record, Context(ctx.unitdp, paged=True)), "Type": "PURCHASEORDER"}

    def load(self, store: Store, data: Record) -> list[Change]:
        return load_document(store, self, data)


@register
class Invoices(Document):
    kind, id_field, number_field = "Invoices", "InvoiceID", "InvoiceNumber"
    transitions = INVOICE_TRANSITIONS
    error_flag = "HasErrors"

    def match(self, store: Store, data: Record) -> Record | None:
        if data.get("InvoiceID"):
            return super().match(store, data)
        return None  # ACCPAY numbers are not unique: POST without an id creates

    def build(self, store: Store, data: Record, existing: Record | None, ctx: Context) -> list[Change]:
        rec = merged(existing, data)
        changes: list[Change] = []
        if existing is None:
            rec["InvoiceID"] = store.new_id()
            if rec.get("Type") not in ("ACCPAY", "ACCREC"):
                raise Invalid("Type must be ACCPAY (a bill) or ACCREC (a sales invoice).")
        elif data.get("Type", existing["Type"]) != existing["Type"]:
            raise Invalid("The Type of an invoice cannot be changed.")
        old_status = existing.get("Status") if existing else None
        rec["Status"] = data.get("Status") or old_status or "DRAFT"
        self.check_status(old_status, rec["Status"])
        paid = (existing or {}).get("AmountPaid", ZERO)
        if old_status in ("VOIDED", "DELETED") and set(data) - {"InvoiceID", "Status"}:
            raise Invalid("Invoice not of valid status for modification")
        if old_status == "PAID" and set(data) - PAID_EDITABLE:
            raise Invalid("This document cannot be edited as it has a payment or credit note allocated to it.")
        if old_status == "AUTHORISED" and paid and set(data) & {"LineItems", "LineAmountTypes", "CurrencyCode",
                                                                "Contact", "CurrencyRate"}:
            raise Invalid("This document cannot be edited as it has a payment or credit note allocated to it.")
        if rec["Status"] == "VOIDED" and old_status != "VOIDED" and paid:
            raise Invalid("This invoice cannot be voided as it has payments allocated to it. "
                          "Remove the payments first.")
        contact, created = self.resolve_contact(store, rec.get("Contact"))
        rec["Contact"] = {"ContactID": contact["ContactID"]}
        if rec["Type"] == "ACCREC":
            number = text(rec, "InvoiceNumber") or next_number(store, self.kind, "InvoiceNumber", "INV-")
            if store.find(self.kind, "InvoiceNumber", number, lambda i: (
                    i["InvoiceID"] != rec["InvoiceID"] and i["Type"] == "ACCREC")):
                raise Invalid("Invoice # must be unique.")
            rec["InvoiceNumber"] = number
        self.common(store, rec, data, existing, ctx, purchase=rec["Type"] == "ACCPAY")
        rec.setdefault("AmountCredited", ZERO)
        rec.setdefault("IsDiscounted", False)
        rec["AmountPaid"] = paid
        rec["AmountDue"] = rec["Total"] - paid - rec["AmountCredited"]
        if rec["AmountDue"] < 0 and rec["Status"] not in ("VOIDED", "DELETED"):
            raise Invalid("The document total cannot be less than the amount already paid.")
        if rec["Status"] in ("VOIDED", "DELETED"):
            rec["AmountDue"] = ZERO
        changes.append(Change(self.kind, rec))
        flag = "IsSupplier" if rec["Type"] == "ACCPAY" else "IsCustomer"
        if created:
            changes.append(Change("Contacts", {**contact, flag: True}))
        elif not contact.get(flag):
            changes.append(Change("Contacts", {**contact, flag: True}, touch=False))
        return changes

    @staticmethod
    def resolve_contact(store: Store, ref: Record | None) -> tuple[Record, bool]:
        """The invoice's contact by id, number or name; an unknown name creates a contact, as Xero does."""
        ref = ref or {}
        if ref.get("ContactID"):
            contact = store.get("Contacts", ref["ContactID"])
            if contact is None:
                raise Invalid(f"The contact with ContactID {ref['ContactID']} could not be found.")
            return contact, False
        if ref.get("ContactNumber"):
            contact = store.find("Contacts", "ContactNumber", ref["ContactNumber"])
            if contact is None:
                raise Invalid(f"The contact with ContactNumber {ref['ContactNumber']} could not be found.")
            return contact, False
        if text(ref, "Name"):
            contact = store.find("Contacts", "Name", text(ref, "Name"), lambda c: c.get("ContactStatus") == "ACTIVE")
            if contact is not None:
                return contact, False
            return {"ContactID": store.new_id(), "Name": text(ref, "Name"), "ContactStatus": "ACTIVE",
                    "IsSupplier": False, "IsCustomer": False}, True
        raise Invalid("A Contact must be specified for this type of transaction")

    def view(self, store: Store, record: Record, ctx: Context) -> Record:
        out = super().view(store, record, ctx)
        out.update(HasErrors=False)
        if ctx.paged and not ctx.summary_only:
            out["Payments"] = [
                {k: p[k] for k in ("PaymentID", "Date", "Amount", "Reference", "CurrencyRate") if k in p}
                | {"HasAccount": False, "HasValidationErrors": False}
                for p in store.payments_of(record["InvoiceID"]) if p.get("Status") == "AUTHORISED"
            ]
        return out

    def load(self, store: Store, data: Record) -> list[Change]:
        if data.get("Type") not in ("ACCPAY", "ACCREC"):
            raise Invalid("Type must be ACCPAY or ACCREC")
        changes = load_document(store, self, data)
        rec = changes[0].record
        rec.setdefault("AmountCredited", ZERO)
        rec.setdefault("AmountPaid", ZERO)
        rec.setdefault("AmountDue", rec["Total"] - rec["AmountPaid"] - rec["AmountCredited"])
        contact = store.get("Contacts", rec["Contact"]["ContactID"])
        flag = "IsSupplier" if rec["Type"] == "ACCPAY" else "IsCustomer"
        if not contact.get(flag):
            changes.append(Change("Contacts", {**contact, flag: True}, touch=False))
        return changes


def load_document(store: Store, handler: Handler, data: Record) -> list[Change]:
    """A loaded PO or invoice: the contact must exist; totals are kept when given, else computed."""
    contact_id = (data.get("Contact") or {}).get("ContactID")
    if not contact_id or store.get("Contacts", contact_id) is None:
        raise Invalid(f"Contact {contact_id or '(none)'} must be loaded before the documents that use it")
    data["Contact"] = {"ContactID": contact_id}
    data.setdefault("Status", "DRAFT")
    data.setdefault("LineAmountTypes", "Exclusive")
    data.setdefault("CurrencyCode", organisation(store).get("BaseCurrency", "NZD"))
    data.setdefault("CurrencyRate", Decimal(1))
    for line in data.setdefault("LineItems", []):
        if "LineItemID" in line:
            store.skip_id()  # the id sequence stays what it was when every line drew one
        else:
            line["LineItemID"] = store.new_id()
        if "LineAmount" not in line:
            line["LineAmount"] = round2(line.get("Quantity", Decimal(1)) * line.get("UnitAmount", ZERO))
        line.setdefault("TaxAmount", ZERO)
        line.setdefault("Tracking", [])
    if "Total" not in data:
        set_totals(data)
    return super(type(handler), handler).load(store, data)


def next_number(store: Store, kind: str, fieldname: str, prefix: str) -> str:
    """The next ``PO-0001``-style number: one above the highest used with that prefix."""
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$", re.IGNORECASE)
    used = [int(m.group(1)) for r in store.all(kind) if (m := pattern.match(str(r.get(fieldname, ""))))]
    return f"{prefix}{max(used, default=0) + 1:04d}"
