"""Contacts through the real xero-python SDK against the emulator: CRUD, Xero's rules, paging and filters."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from xero_python.accounting import Address, Contact, Contacts
from xero_python.exceptions import AccountingBadRequestException, NotFoundException

from xero_sdk import TENANT, Sdk, emu, sdk, served  # noqa: F401  (fixtures)

DUPLICATE = ("The contact name {} is already assigned to another contact. "
             "The contact name must be unique across all active contacts.")


def _create(sdk: Sdk, *names: str, **kw) -> list[Contact]:
    return sdk.acc.create_contacts(TENANT, Contacts(contacts=[Contact(name=n, **kw) for n in names])).contacts


def test_create_get_update_round_trip(sdk: Sdk) -> None:
    [made] = _create(sdk, "Bolt Ltd", email_address="ap@bolt.example", contact_number="C-1",
                     addresses=[Address(address_type="STREET", city="Wellington")])
    assert made.contact_status == "ACTIVE" and made.is_supplier is False and made.updated_date_utc is not None
    got = sdk.acc.get_contact(TENANT, made.contact_id).contacts[0]
    assert (got.name, got.email_address, got.addresses[0].city) == ("Bolt Ltd", "ap@bolt.example", "Wellington")
    assert sdk.acc.get_contact_by_contact_number(TENANT, "C-1").contacts[0].contact_id == made.contact_id
    updated = sdk.acc.update_contact(TENANT, made.contact_id, Contacts(contacts=[Contact(email_address="new@bolt.example")]))
    assert updated.contacts[0].email_address == "new@bolt.example" and updated.contacts[0].name == "Bolt Ltd"


def test_unknown_id_is_404(sdk: Sdk) -> None:
    with pytest.raises(NotFoundException):
        sdk.acc.get_contact(TENANT, "7d2b8d3c-0000-4000-8000-000000000000")


@pytest.mark.parametrize("name", ["Bolt Ltd", "bolt ltd", " Bolt Ltd "])
def test_names_are_unique_among_active_contacts(sdk: Sdk, name: str) -> None:
    _create(sdk, "Bolt Ltd")
    with pytest.raises(AccountingBadRequestException) as err:
        _create(sdk, name)
    assert err.value.status == 400
    assert err.value.reason == DUPLICATE.format(name.strip())
    assert err.value.error_data["Type"] == "ValidationException"


def test_archived_contact_frees_its_name_and_hides_from_lists(sdk: Sdk) -> None:
    [old] = _create(sdk, "Bolt Ltd")
    sdk.acc.update_contact(TENANT, old.contact_id, Contacts(contacts=[Contact(contact_status="ARCHIVED")]))
    [new] = _create(sdk, "Bolt Ltd")
    assert [c.contact_id for c in sdk.acc.get_contacts(TENANT).contacts] == [new.contact_id]
    listed = sdk.acc.get_contacts(TENANT, include_archived=True).contacts
    assert {c.contact_id: c.contact_status for c in listed} == {old.contact_id: "ARCHIVED", new.contact_id: "ACTIVE"}
    with pytest.raises(AccountingBadRequestException):  # reactivating would duplicate the name
        sdk.acc.update_contact(TENANT, old.contact_id, Contacts(contacts=[Contact(contact_status="ACTIVE")]))


def test_summarize_errors_false_reports_each_element_and_keeps_the_valid_ones(sdk: Sdk) -> None:
    _create(sdk, "Taken")
    res = sdk.acc.create_contacts(TENANT, Contacts(contacts=[Contact(name="Fresh"), Contact(name="Taken")]),
                                  summarize_errors=False)
    assert [c.status_attribute_string for c in res.contacts] == ["OK", "ERROR"]
    assert res.contacts[1].validation_errors[0].message == DUPLICATE.format("Taken")
    assert res.contacts[1].has_validation_errors is True
    assert sorted(c.name for c in sdk.acc.get_contacts(TENANT).contacts) == ["Fresh", "Taken"]


def test_batches_are_not_transactional_even_when_summarised(sdk: Sdk) -> None:
    _create(sdk, "Taken")
    with pytest.raises(AccountingBadRequestException) as err:
        _create(sdk, "Fresh", "Taken")
    assert len(err.value.error_data["Elements"]) == 1
    assert sorted(c.name for c in sdk.acc.get_contacts(TENANT).contacts) == ["Fresh", "Taken"]


def test_post_creates_or_updates_by_id_and_put_refuses_existing_ids(sdk: Sdk) -> None:
    [made] = _create(sdk, "Bolt Ltd")
    res = sdk.acc.update_or_create_contacts(TENANT, Contacts(contacts=[
        Contact(contact_id=made.contact_id, name="Bolt Limited"), Contact(name="Nut Ltd")]))
    assert [c.name for c in res.contacts] == ["Bolt Limited", "Nut Ltd"]
    assert res.contacts[0].contact_id == made.contact_id
    with pytest.raises(AccountingBadRequestException):
        sdk.acc.create_contacts(TENANT, Contacts(contacts=[Contact(contact_id=made.contact_id, name="Again")]))


def test_read_only_fields_in_requests_are_ignored(sdk: Sdk) -> None:
    [made] = _create(sdk, "Bolt Ltd", is_supplier=True, has_validation_errors=True)
    assert made.is_supplier is False and made.has_validation_errors is False


def test_paging_with_page_size_and_pagination_block(sdk: Sdk) -> None:
    _create(sdk, *(f"Supplier {i:02d}" for i in range(25)))
    pages = [sdk.acc.get_contacts(TENANT, page=p, page_size=10) for p in (1, 2, 3, 4)]
    assert [len(p.contacts) for p in pages] == [10, 10, 5, 0]
    p = pages[0].pagination
    assert (p.page, p.page_size, p.page_count, p.item_count) == (1, 10, 3, 25)
    names = [c.name for page in pages for c in page.contacts]
    assert names == sorted(names) and len(set(names)) == 25
    assert len(sdk.acc.get_contacts(TENANT, page=1, page_size=5000).contacts) == 25  # clamped to 1000


def test_if_modified_since_compares_updated_date(served, sdk: Sdk) -> None:
    [old] = _create(sdk, "Old")
    served.clock.advance(120)
    boundary = datetime.fromtimestamp(served.clock.now - 60, timezone.utc)
    [new] = _create(sdk, "New")
    for since in (boundary, boundary.replace(tzinfo=None), boundary.astimezone(timezone(timedelta(hours=13)))):
        assert [c.name for c in sdk.acc.get_contacts(TENANT, if_modified_since=since).contacts] == ["New"]
    sdk.acc.update_contact(TENANT, old.contact_id, Contacts(contacts=[Contact(email_address="x@old.example")]))
    assert {c.name for c in sdk.acc.get_contacts(TENANT, if_modified_since=boundary).contacts} == {"Old", "New"}


@pytest.mark.parametrize("where, expected", [
    ('Name=="Bolt Ltd"', ["Bolt Ltd"]),
    ('Name!="Bolt Ltd"', ["Nut Co", "Screw Works"]),
    ('Name.StartsWith("S") OR Name.Contains("nut")', ["Nut Co", "Screw Works"]),
    ('EmailAddress!=null&&EmailAddress.StartsWith("ap@")', ["Bolt Ltd"]),
    ('ContactStatus=="ACTIVE" AND IsSupplier==false', ["Bolt Ltd", "Nut Co", "Screw Works"]),
    ('Name="BOLT LTD"', ["Bolt Ltd"]),
])
def test_where_filters(sdk: Sdk, where: str, expected: list[str]) -> None:
    _create(sdk, "Bolt Ltd", email_address="ap@bolt.example")
    _create(sdk, "Nut Co", "Screw Works")
    assert [c.name for c in sdk.acc.get_contacts(TENANT, where=where).contacts] == expected


def test_where_by_guid_ids_filter_and_order(sdk: Sdk) -> None:
    made = _create(sdk, "A", "B", "C")
    got = sdk.acc.get_contacts(TENANT, where=f'ContactID==Guid("{made[1].contact_id}")').contacts
    assert [c.name for c in got] == ["B"]
    got = sdk.acc.get_contacts(TENANT, i_ds=[made[0].contact_id, made[2].contact_id], order="Name DESC").contacts
    assert [c.name for c in got] == ["C", "A"]


@pytest.mark.parametrize("where", ['Name==', 'Name.Explode("x")', 'Name=="x" AND', '(Name=="x"'])
def test_unreadable_where_is_a_400(sdk: Sdk, where: str) -> None:
    with pytest.raises(AccountingBadRequestException):
        sdk.acc.get_contacts(TENANT, where=where)


def test_search_term(sdk: Sdk) -> None:
    _create(sdk, "Bolt Ltd", "Nut Co")
    assert [c.name for c in sdk.acc.get_contacts(TENANT, search_term="bol").contacts] == ["Bolt Ltd"]


def test_update_by_url_keeps_the_record_id_whatever_the_body_says(sdk: Sdk) -> None:
    [made] = _create(sdk, "Bolt Ltd")
    res = sdk.acc.update_contact(TENANT, made.contact_id, Contacts(contacts=[
        Contact(contact_id="7d2b8d3c-0000-4000-8000-000000000000", name="Bolt Limited")]))
    assert res.contacts[0].contact_id == made.contact_id
    assert [(c.contact_id, c.name) for c in sdk.acc.get_contacts(TENANT).contacts] == [(made.contact_id, "Bolt Limited")]
