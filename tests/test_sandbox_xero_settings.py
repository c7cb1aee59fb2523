"""Items, Accounts, TrackingCategories (+Options), TaxRates and Organisation through the real SDK."""

from __future__ import annotations

from decimal import Decimal

import pytest
from xero_python.accounting import (
    Account, AccountType, Item, Items, Purchase, TaxComponent, TaxRate, TaxRates, TrackingCategory, TrackingOption,
)
from xero_python.exceptions import AccountingBadRequestException, NotFoundException

from xero_sdk import TENANT, Sdk, chart, emu, sdk, served  # noqa: F401  (fixtures)


@pytest.fixture()
def org(emu, sdk: Sdk) -> Sdk:
    emu.load(chart())
    return sdk


def test_items_are_unpaged_keyed_by_code_and_round_unit_prices(org: Sdk) -> None:
    made = org.acc.create_items(TENANT, Items(items=[Item(code="GAD-1", name="Gadget", purchase_details=Purchase(
        unit_price=Decimal("3.14159"), account_code="300", tax_type="INPUT2"))])).items[0]
    assert made.purchase_details.unit_price == Decimal("3.14") and made.is_purchased is True
    four = org.acc.create_items(TENANT, Items(items=[Item(code="GAD-2", name="Gadget 2", purchase_details=Purchase(
        unit_price=Decimal("3.14159")))]), unitdp=4).items[0]
    assert four.purchase_details.unit_price == Decimal("3.1416")
    assert org.acc.get_item(TENANT, "GAD-1").items[0].item_id == made.item_id
    assert org.acc.get_items(TENANT, unitdp=4).items[0].purchase_details.unit_price == Decimal("3.1400")
    codes = [i.code for i in org.acc.get_items(TENANT, where='IsPurchased==true', order="Code DESC").items]
    assert codes == ["WID-1", "GAD-2", "GAD-1"]


def test_item_code_must_be_unique_and_present(org: Sdk) -> None:
    with pytest.raises(AccountingBadRequestException, match="400"):
        org.acc.create_items(TENANT, Items(items=[Item(code="WID-1", name="Clash")]))
    res = org.acc.create_items(TENANT, Items(items=[Item(code="", name="No code"), Item(code="OK-1")]),
                               summarize_errors=False)
    assert [i.status_attribute_string for i in res.items] == ["ERROR", "OK"]
    assert res.items[0].validation_errors[0].message == "Item code must be specified."


def test_item_update_not_purchased_empties_purchase_details_and_delete(org: Sdk) -> None:
    item = org.acc.get_item(TENANT, "WID-1").items[0]
    res = org.acc.update_item(TENANT, item.item_id, Items(items=[Item(code="WID-1", is_purchased=False)]))
    assert res.items[0].purchase_details.unit_price is None and res.items[0].purchase_description is None
    org.acc.update_or_create_items(TENANT, Items(items=[Item(code="WID-1", name="Widget renamed")]))
    assert org.acc.get_item(TENANT, item.item_id).items[0].name == "Widget renamed"
    org.acc.delete_item(TENANT, item.item_id)
    with pytest.raises(NotFoundException):
        org.acc.get_item(TENANT, item.item_id)


def test_accounts_create_archive_filter_delete(org: Sdk) -> None:
    made = org.acc.create_account(TENANT, Account(code="610", name="Office", type=AccountType.OVERHEADS,
                                                  tax_type="INPUT2")).accounts[0]
    assert made.status == "ACTIVE" and made._class == "EXPENSE"
    with pytest.raises(AccountingBadRequestException) as err:
        org.acc.create_account(TENANT, Account(code="610", name="Again", type=AccountType.OVERHEADS))
    assert err.value.reason == "Please enter a unique Code."
    org.acc.update_account(TENANT, made.account_id, _accounts(Account(status="ARCHIVED")))
    banks = org.acc.get_accounts(TENANT, where='Type=="BANK"').accounts
    assert [a.code for a in banks] == ["090"]
    assert org.acc.get_account(TENANT, made.account_id).accounts[0].status == "ARCHIVED"
    assert org.acc.delete_account(TENANT, made.account_id).accounts[0].status == "DELETED"
    assert "610" not in [a.code for a in org.acc.get_accounts(TENANT).accounts]
    rounding = org.acc.get_accounts(TENANT, where='SystemAccount=="ROUNDING"').accounts
    assert [a.code for a in rounding] == ["860"]


def _accounts(account: Account):
    from xero_python.accounting import Accounts
    return Accounts(accounts=[account])


def test_tracking_categories_with_options_and_archiving(org: Sdk) -> None:
    cat = org.acc.create_tracking_category(TENANT, TrackingCategory(name="Department")).tracking_categories[0]
    opt = org.acc.create_tracking_options(TENANT, cat.tracking_category_id, TrackingOption(name="Sales")).options[0]
    org.acc.create_tracking_options(TENANT, cat.tracking_category_id, TrackingOption(name="Ops"))
    with pytest.raises(AccountingBadRequestException):
        org.acc.create_tracking_options(TENANT, cat.tracking_category_id, TrackingOption(name="sales"))
    with pytest.raises(AccountingBadRequestException, match="400"):  # a third active category
        org.acc.create_tracking_category(TENANT, TrackingCategory(name="Project"))
    org.acc.update_tracking_options(TENANT, cat.tracking_category_id, opt.tracking_option_id,
                                    TrackingOption(name="Sales", status="ARCHIVED"))
    names = {c.name: sorted(o.name for o in c.options) for c in org.acc.get_tracking_categories(TENANT).tracking_categories}
    assert names == {"Department": ["Ops"], "Region": ["North", "South"]}
    everything = org.acc.get_tracking_categories(TENANT, include_archived=True).tracking_categories
    assert sorted(o.name for c in everything if c.name == "Department" for o in c.options) == ["Ops", "Sales"]
    got = org.acc.get_tracking_category(TENANT, cat.tracking_category_id).tracking_categories[0]
    assert got.name == "Department"
    org.acc.delete_tracking_options(TENANT, cat.tracking_category_id, opt.tracking_option_id)
    org.acc.delete_tracking_category(TENANT, cat.tracking_category_id)
    assert [c.name for c in org.acc.get_tracking_categories(TENANT).tracking_categories] == ["Region"]


def test_tax_rates_by_tax_type_create_and_update(org: Sdk) -> None:
    assert org.acc.get_tax_rate_by_tax_type(TENANT, "INPUT2").tax_rates[0].effective_rate == Decimal("15.0000")
    made = org.acc.create_tax_rates(TENANT, TaxRates(tax_rates=[TaxRate(name="Import duty", report_tax_type="INPUT",
        tax_components=[TaxComponent(name="Duty", rate=Decimal("12.5"), is_compound=False)])])).tax_rates[0]
    assert (made.tax_type, made.display_tax_rate, made.status) == ("TAX002", Decimal("12.5000"), "ACTIVE")
    org.acc.update_tax_rate(TENANT, TaxRates(tax_rates=[TaxRate(name="Import duty", tax_type="TAX002", status="DELETED",
        tax_components=[TaxComponent(name="Duty", rate=Decimal("12.5"))])]))
    active = [t.tax_type for t in org.acc.get_tax_rates(TENANT, where='Status=="ACTIVE"').tax_rates]
    assert "TAX002" not in active and "INPUT2" in active


def test_organisation(org: Sdk) -> None:
    [o] = org.acc.get_organisations(TENANT).organisations
    assert (o.name, o.base_currency.value, o.country_code.value) == ("recon sandbox company", "NZD", "NZ")
