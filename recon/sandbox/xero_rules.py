"""Xero's rules for master data: Contacts, Items, Accounts, TrackingCategories (and Options), TaxRates,
Organisation. Messages are Xero's where known (reference/xero-api.md sections 10 and 18)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from recon.money import quantize
from recon.sandbox.xero_store import Change, Context, Handler, Invalid, Record, Store, register

ACCOUNT_CLASS = {
    "BANK": "ASSET", "CURRENT": "ASSET", "CURRLIAB": "LIABILITY", "DEPRECIATN": "EXPENSE", "DIRECTCOSTS": "EXPENSE",
    "EQUITY": "EQUITY", "EXPENSE": "EXPENSE", "FIXED": "ASSET", "INVENTORY": "ASSET", "LIABILITY": "LIABILITY",
    "NONCURRENT": "ASSET", "OTHERINCOME": "REVENUE", "OVERHEADS": "EXPENSE", "PREPAYMENT": "ASSET",
    "REVENUE": "REVENUE", "SALES": "REVENUE", "TERMLIAB": "LIABILITY", "PAYG": "LIABILITY",
}


def merged(existing: Record | None, data: Record) -> Record:
    """An update: the given fields replace the stored ones (lists and objects wholesale, as Xero does)."""
    return {**(existing or {}), **data}


def text(record: Record, name: str) -> str:
    value = record.get(name)
    return value.strip() if isinstance(value, str) else ""


def active_tax_rate(store: Store, tax_type: str) -> Record:
    rate = store.get("TaxRates", tax_type)
    if rate is None or rate.get("Status", "ACTIVE") != "ACTIVE":
        raise Invalid(f"The TaxType code {tax_type} does not exist or cannot be used for this type of transaction.")
    return rate


def active_account(store: Store, code: str | None = None, account_id: str | None = None) -> Record:
    account = store.get("Accounts", account_id) if account_id else store.find("Accounts", "Code", code)
    if account is None or account.get("Status", "ACTIVE") != "ACTIVE":
        raise Invalid(f"Account code '{code or account_id}' is not a valid code for this document.")
    return account


@register
class Contacts(Handler):
    kind, id_field, number_field = "Contacts", "ContactID", "ContactNumber"

    def build(self, store: Store, data: Record, existing: Record | None, ctx: Context) -> list[Change]:
        rec = merged(existing, data)
        if existing is None:
            rec["ContactID"] = store.new_id()
            rec.setdefault("ContactStatus", "ACTIVE")
            rec.update(IsSupplier=False, IsCustomer=False)
        name = text(rec, "Name")
        if not name:
            raise Invalid("The contact name must be specified.")
        rec["Name"] = name
        if rec.get("ContactStatus") == "ACTIVE":
            self.check_unique(store, rec)
        for tax in ("AccountsPayableTaxType", "AccountsReceivableTaxType"):
            if rec.get(tax) and tax in data:
                active_tax_rate(store, rec[tax])
        return [Change(self.kind, rec)]

    @staticmethod
    def check_unique(store: Store, rec: Record) -> None:
        clash = store.find("Contacts", "Name", rec["Name"],
                           lambda c: c["ContactID"] != rec["ContactID"] and c.get("ContactStatus") == "ACTIVE")
        if clash is not None:
            raise Invalid(f"The contact name {rec['Name']} is already assigned to another contact. "
                          "The contact name must be unique across all active contacts.")

    def visible(self, record: Record, ctx: Context) -> bool:
        return ctx.include_archived or record.get("ContactStatus", "ACTIVE") == "ACTIVE"

    def view(self, store: Store, record: Record, ctx: Context) -> Record:
        return {**record, "HasAttachments": False, "HasValidationErrors": False}

    def load(self, store: Store, data: Record) -> list[Change]:
        data.setdefault("ContactStatus", "ACTIVE")
        data.setdefault("IsSupplier", False)
        data.setdefault("IsCustomer", False)
        return super().load(store, data)


@register
class Items(Handler):
    kind, id_field, number_field = "Items", "ItemID", "Code"

    def build(self, store: Store, data: Record, existing: Record | None, ctx: Context) -> list[Change]:
        rec = merged(existing, data)
        if existing is None:
            rec["ItemID"] = store.new_id()
            rec.setdefault("IsSold", True)
            rec.setdefault("IsPurchased", True)
            rec.setdefault("IsTrackedAsInventory", False)
        code = text(rec, "Code")
        if not code:
            raise Invalid("Item code must be specified.")
        rec["Code"] = code
        clash = store.find("Items", "Code", code, lambda i: i["ItemID"] != rec["ItemID"])
        if clash is not None:
            raise Invalid(f"Item code {code} already exists. Item codes must be unique.")
        for side, flag in (("PurchaseDetails", "IsPurchased"), ("SalesDetails", "IsSold")):
            details = dict(rec.get(side) or {})
            if "UnitPrice" in details:
                details["UnitPrice"] = quantize(details["UnitPrice"], 4 if ctx.unitdp == 4 else 2)
            if details.get("AccountCode"):
                active_account(store, details["AccountCode"])
            if details.get("TaxType"):
                active_tax_rate(store, details["TaxType"])
            rec[side] = details
        if rec.get("IsPurchased") is False:
            rec.pop("PurchaseDescription", None)
            rec["PurchaseDetails"] = {}
        return [Change(self.kind, rec)]

    def view(self, store: Store, record: Record, ctx: Context) -> Record:
        return {"PurchaseDetails": {}, "SalesDetails": {}, **record}

    def load(self, store: Store, data: Record) -> list[Change]:
        if not text(data, "Code"):
            raise Invalid("Item code must be specified.")
        return super().load(store, data)


@register
class Accounts(Handler):
    kind, id_field = "Accounts", "AccountID"

    def build(self, store: Store, data: Record, existing: Record | None, ctx: Context) -> list[Change]:
        rec = merged(existing, data)
        if existing is None:
            rec["AccountID"] = store.new_id()
            rec.setdefault("Status", "ACTIVE")
            rec.setdefault("EnablePaymentsToAccount", False)
            rec.setdefault("ShowInExpenseClaims", False)
        if not rec.get("Type"):
            raise Invalid("Account Type must be specified.")
        if not text(rec, "Name"):
            raise Invalid("Please enter a Name.")
        if not text(rec, "Code") and rec["Type"] != "BANK":
            raise Invalid("Please enter a Code.")
        others = lambda a: a["AccountID"] != rec["AccountID"] and a.get("Status") != "DELETED"  # noqa: E731
        if rec.get("Code") and store.find("Accounts", "Code", rec["Code"], others):
            raise Invalid("Please enter a unique Code.")
        if store.find("Accounts", "Name", rec["Name"], others):
            raise Invalid("Please enter a unique Name.")
        if rec.get("TaxType") and "TaxType" in data:
            active_tax_rate(store, rec["TaxType"])
        rec["Class"] = ACCOUNT_CLASS[rec["Type"]]
        if rec["Type"] == "BANK":
            rec.setdefault("BankAccountType", "BANK")
        return [Change(self.kind, rec)]

    def load(self, store: Store, data: Record) -> list[Change]:
        if data.get("Type") in ACCOUNT_CLASS:
            data.setdefault("Class", ACCOUNT_CLASS[data["Type"]])
        data.setdefault("Status", "ACTIVE")
        return super().load(store, data)


@register
class TrackingCategories(Handler):
    kind, id_field = "TrackingCategories", "TrackingCategoryID"

    def build(self, store: Store, data: Record, existing: Record | None, ctx: Context) -> list[Change]:
        rec = merged(existing, {k: v for k, v in data.items() if k != "Options"})
        if existing is None:
            rec["TrackingCategoryID"] = store.new_id()
            rec.setdefault("Status", "ACTIVE")
            rec["Options"] = []
            for option in data.get("Options") or []:
                rec["Options"].append(TrackingOptions.build_option(store, rec, option, None))
        name = text(rec, "Name")
        if not name:
            raise Invalid("Tracking Category name cannot be empty.")
        rec["Name"] = name
        others = lambda c: c["TrackingCategoryID"] != rec["TrackingCategoryID"] and c.get("Status") != "DELETED"  # noqa: E731
        if store.find(self.kind, "Name", name, others):
            raise Invalid(f"A tracking category called {name} already exists.")
        if rec["Status"] == "ACTIVE":
            active = [c for c in store.all(self.kind) if c.get("Status") == "ACTIVE" and others(c)]
            if len(active) >= 2:
                raise Invalid("You can only have 2 active tracking categories.")
        return [Change(self.kind, rec, touch=False)]

    def visible(self, record: Record, ctx: Context) -> bool:
        status = record.get("Status", "ACTIVE")
        return status == "ACTIVE" or (ctx.include_archived and status == "ARCHIVED")

    def view(self, store: Store, record: Record, ctx: Context) -> Record:
        options = [o for o in record.get("Options", [])
                   if o.get("Status", "ACTIVE") == "ACTIVE" or (ctx.include_archived and o.get("Status") == "ARCHIVED")]
        return {**record, "Options": options}

    def load(self, store: Store, data: Record) -> list[Change]:
        data.setdefault("Status", "ACTIVE")
        for option in data.setdefault("Options", []):
            option.setdefault("TrackingOptionID", store.new_id())
            option.setdefault("Status", "ACTIVE")
        return [Change(self.kind, {**data, "TrackingCategoryID": data.get("TrackingCategoryID") or store.new_id()},
                       touch=False)]


class TrackingOptions:
    """Options live inside their category; these helpers serve ``/TrackingCategories/{id}/Options``."""

    @staticmethod
    def build_option(store: Store, category: Record, data: Record, existing: Record | None) -> Record:
        option = merged(existing, data)
        if existing is None:
            option["TrackingOptionID"] = store.new_id()
            option.setdefault("Status", "ACTIVE")
        name = text(option, "Name")
        if not name:
            raise Invalid("Tracking Option name cannot be empty.")
        option["Name"] = name
        for other in category.get("Options", []):
            if other["TrackingOptionID"] != option["TrackingOptionID"] and other.get("Status") != "DELETED" \
                    and other["Name"].lower() == name.lower():
                raise Invalid("For each specified tracking option the name must be unique.")
        return option

    @staticmethod
    def upsert(store: Store, category: Record, data: Record, option_id: str | None) -> Record:
        """Create (``option_id=None``) or update an option; returns the option. Raises ``Invalid``."""
        options = category.setdefault("Options", [])
        existing = next((o for o in options if o["TrackingOptionID"] == option_id), None) if option_id else None
        option = TrackingOptions.build_option(store, category, data, existing)
        if existing is None:
            options.append(option)
        else:
            options[options.index(existing)] = option
        return option


@register
class TaxRates(Handler):
    kind, id_field, number_field = "TaxRates", "TaxType", "Name"
    error_flag = "HasValidationErrors"

    def match(self, store: Store, data: Record) -> Record | None:
        if data.get("TaxType"):
            return store.get(self.kind, data["TaxType"])
        return store.find(self.kind, "Name", data["Name"]) if data.get("Name") else None

    def build(self, store: Store, data: Record, existing: Record | None, ctx: Context) -> list[Change]:
        rec = merged(existing, data)
        if existing is None:
            rec["TaxType"] = data.get("TaxType") or self.next_code(store)
            rec.setdefault("Status", "ACTIVE")
        if not text(rec, "Name"):
            raise Invalid("Name is required.")
        if store.find(self.kind, "Name", rec["Name"], lambda t: t["TaxType"] != rec["TaxType"]):
            raise Invalid(f"A tax rate called {rec['Name']} already exists.")
        components = rec.get("TaxComponents") or []
        if not components:
            raise Invalid("At least one tax component is required.")
        for component in components:
            if "Rate" not in component or not text(component, "Name"):
                raise Invalid("Each tax component needs a Name and a Rate.")
            component.setdefault("IsCompound", False)
            component.setdefault("IsNonRecoverable", False)
        rec["EffectiveRate"] = rec["DisplayTaxRate"] = effective_rate(components)
        return [Change(self.kind, rec, touch=False)]

    @staticmethod
    def next_code(store: Store) -> str:
        used = {t["TaxType"] for t in store.all("TaxRates")}
        n = 1
        while f"TAX{n:03d}" in used:
            n += 1
        return f"TAX{n:03d}"

    def load(self, store: Store, data: Record) -> list[Change]:
        if not data.get("TaxType"):
            data["TaxType"] = self.next_code(store)
        data.setdefault("Status", "ACTIVE")
        if "EffectiveRate" not in data and data.get("TaxComponents"):
            data["EffectiveRate"] = effective_rate(data["TaxComponents"])
        data.setdefault("DisplayTaxRate", data.get("EffectiveRate", Decimal(0)))
        data.setdefault("EffectiveRate", data["DisplayTaxRate"])
        return [Change(self.kind, data, touch=False)]


def effective_rate(components: list[Record]) -> Decimal:
    """Simple components add up; a compound one applies on top of the simple ones."""
    simple = sum((c["Rate"] for c in components if not c.get("IsCompound")), Decimal(0))
    compound = sum((c["Rate"] for c in components if c.get("IsCompound")), Decimal(0))
    return quantize(simple + compound + simple * compound / Decimal(100), 4)


DEFAULT_ORGANISATION: dict[str, Any] = {
    "OrganisationID": "b2f4a8e0-5c1d-4e57-9a43-0d6c2a1e7f10", "Name": "recon sandbox company",
    "LegalName": "recon sandbox company", "PaysTax": True, "Version": "NZ", "OrganisationType": "COMPANY",
    "BaseCurrency": "NZD", "CountryCode": "NZ", "IsDemoCompany": False, "OrganisationStatus": "ACTIVE",
    "FinancialYearEndDay": 31, "FinancialYearEndMonth": 3, "SalesTaxBasis": "INVOICE", "SalesTaxPeriod": "TWOMONTHS",
    "DefaultSalesTax": "Tax Exclusive", "DefaultPurchasesTax": "Tax Exclusive", "Timezone": "NEWZEALANDSTANDARDTIME",
    "OrganisationEntityType": "COMPANY", "ShortCode": "!rcn01", "Edition": "BUSINESS", "Class": "PREMIUM",
}


@register
class Organisations(Handler):
    kind, id_field = "Organisations", "OrganisationID"

    def build(self, store: Store, data: Record, existing: Record | None, ctx: Context) -> list[Change]:
        raise Invalid("The Organisation cannot be changed through the API.")


def organisation(store: Store) -> Record:
    """The organisation (the first loaded, else the built-in default)."""
    orgs = store.all("Organisations")
    return orgs[0] if orgs else DEFAULT_ORGANISATION


#: Xero's lock dates, the later wins; each refuses a document dated on or before it with its own words.
LOCK_DATES = (("EndOfYearLockDate", "end of year lock date"), ("PeriodLockDate", "period lock date"))


def check_lock_dates(store: Store, *dates: Any) -> None:
    """Refuse a document write when the document is dated on or before a lock date of the organisation: its new
    date, and the date it had (a document in a locked period cannot be edited, voided or deleted either)."""
    org = organisation(store)
    for name, words in LOCK_DATES:
        lock = org.get(name)
        if lock and any(when is not None and when <= lock for when in dates):
            raise Invalid(f"The document date cannot be before the {words}")


def set_lock_dates(store: Store, given: dict[str, Any]) -> Record:
    """The admin surface's ``POST /_sandbox/organisation``: set (a ``YYYY-MM-DD`` date) or clear (``null``)
    ``PeriodLockDate`` and ``EndOfYearLockDate``; no other field may be changed."""
    from recon.sandbox.xero_store import Change
    from recon.sandbox.xero_wire import parse_date

    names = {name for name, _ in LOCK_DATES}
    unknown = sorted(set(given) - names)
    if unknown:
        raise ValueError(f"organisation: only {', '.join(sorted(names))} can be set, not {', '.join(unknown)}")
    org = dict(organisation(store))
    for name, value in given.items():
        if value in (None, ""):
            org.pop(name, None)
        else:
            org[name] = parse_date(str(value))
    store.put(Change("Organisations", org, touch=False))
    return org
