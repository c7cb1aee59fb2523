"""The Precoro emulator over real HTTP with httpx: auth, envelopes, paging, filters and master-data writes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest

from recon.sandbox.precoro import ManualClock, PrecoroEmulator, running

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20+00:00
DAY0 = datetime(2023, 12, 31, 10, tzinfo=timezone.utc)
BIG = {"minute": 100_000, "hour": 100_000, "day": 100_000}


@pytest.fixture(scope="module")
def served():
    clock = ManualClock(T0)
    emu = PrecoroEmulator(limits=BIG, clock=clock)
    with running(emu) as client, httpx.Client(base_url=str(client.base_url)) as bare:
        yield emu, bare, client, clock


@pytest.fixture()
def api(served):
    emu, bare, client, clock = served
    clock.now = T0
    emu.reset("empty")
    return client, emu, clock


def _supplier(i: int, **extra) -> dict:
    return {"id": 100 + i, "uniqueCode": f"S-{i:03d}", "name": f"Supplier {i}", "currency": "NZD",
            "currencies": ["NZD"], "updateDate": (DAY0 + timedelta(days=i)).isoformat(), **extra}


# ---- auth ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    {},
    {"X-AUTH-TOKEN": "sandbox-token"},
    {"email": "sandbox@example.com"},
    {"X-AUTH-TOKEN": "wrong", "email": "sandbox@example.com"},
    {"X-AUTH-TOKEN": "sandbox-token", "email": "someone@example.com"},
], ids=["none", "no-email", "no-token", "wrong-token", "wrong-email"])
@pytest.mark.parametrize("path", ["/suppliers", "/company", "/invoices", "/payments"])
def test_requests_without_the_sandbox_credentials_get_401(served, headers, path):
    emu, bare, client, clock = served
    r = bare.get(path, headers=headers)
    assert (r.status_code, r.json()) == (401, {"message": "Invalid credentials."})


def test_company_exposes_its_precision(api):
    client, emu, clock = api
    emu.load({"company": {"name": "Demo Procurement Ltd", "precisionData": {"price": 4, "quantity": 2, "total": 4}}})
    body = client.get("/company").json()
    assert body == {"id": 1, "name": "Demo Procurement Ltd", "currency": "NZD",
                    "precisionData": {"price": 4, "quantity": 2, "total": 4}}


# ---- paging -------------------------------------------------------------------------------------------

def test_paging_walks_every_page_with_the_pagination_block(api):
    client, emu, clock = api
    emu.load({"suppliers": [_supplier(i) for i in range(1, 46)]})
    first = client.get("/suppliers", params={"per_page": 20}).json()
    assert first["meta"]["pagination"] == {
        "total": 45, "count": 20, "per_page": 20, "current_page": 1, "total_pages": 3, "has_next_page": True,
        "links": {"next": first["meta"]["pagination"]["links"]["next"]}}
    seen, url = [], None
    page = first
    while True:
        seen += [r["id"] for r in page["data"]]
        url = page["meta"]["pagination"]["links"]["next"]
        if not page["meta"]["pagination"]["has_next_page"]:
            assert url is None
            break
        assert "per_page=20" in url
        page = client.get(url).json()
    assert seen == list(range(101, 146))


@pytest.mark.parametrize("params, current, ids", [
    ({"per_page": 10, "page": "last"}, 5, [141, 142, 143, 144, 145]),
    ({"per_page": 50}, 1, list(range(101, 146))),
    ({"per_page": 10, "page": 9}, 9, []),
    ({}, 1, list(range(101, 121))),
])
def test_page_last_default_size_and_pages_past_the_end(api, params, current, ids):
    client, emu, clock = api
    emu.load({"suppliers": [_supplier(i) for i in range(1, 46)]})
    body = client.get("/suppliers", params=params).json()
    assert [r["id"] for r in body["data"]] == ids
    assert body["meta"]["pagination"]["current_page"] == current
    assert body["meta"]["pagination"]["count"] == len(ids)


@pytest.mark.parametrize("params, field", [
    ({"per_page": 5}, "per_page"), ({"per_page": 15}, "per_page"), ({"per_page": 1000}, "per_page"),
    ({"per_page": "abc"}, "per_page"), ({"per_page": "20.0"}, "per_page"), ({"page": 0}, "page"),
    ({"page": "-1"}, "page"), ({"page": "first"}, "page"),
])
def test_bad_paging_is_a_400_naming_the_parameter(api, params, field):
    client, emu, clock = api
    r = client.get("/suppliers", params=params)
    assert r.status_code == 400
    assert list(r.json()["errors"]["errors"]) == [field]


# ---- filters ------------------------------------------------------------------------------------------

FILTER_SUPPLIERS = [
    _supplier(1, enable=True, externalId="X-1"),
    _supplier(2, enable=False, externalId=None),
    _supplier(3, enable=True, externalId=None, updateDate="2024-01-03T10:00:00+00:00"),
    _supplier(4, enable=True, externalId="X-4", updateDate="2024-01-04T12:00:00+02:00"),
]


@pytest.mark.parametrize("params, ids", [
    ({"modifiedSince": "2024-01-03T10:00:00"}, [103, 104]),  # no offset = UTC, inclusive
    ({"modifiedSince": "2024-01-03T10:00:01"}, [104]),
    ({"modifiedSince": "2024-01-04T10:00:00+00:00"}, [104]),  # 12:00+02:00 is 10:00 UTC
    ({"modifiedSince": "2024-01-04T10:00:01Z"}, []),
    ({"enable": "1"}, [101, 103, 104]), ({"enable": "true"}, [101, 103, 104]), ({"enable": "0"}, [102]),
    ({"externalIntegrated": "0"}, [102, 103]), ({"externalIntegrated": "1"}, [101, 104]),
    ({"external_id[]": ["X-4", "X-1", "nope"]}, [101, 104]),
    ({"id": "103"}, [103]),
    ({"enable": "1", "externalIntegrated": "0"}, [103]),
])
def test_supplier_filters(api, params, ids):
    client, emu, clock = api
    emu.load({"suppliers": FILTER_SUPPLIERS})
    r = client.get("/suppliers", params=params)
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()["data"]] == ids


def test_external_id_filter_takes_at_most_200_values(api):
    client, emu, clock = api
    assert client.get("/suppliers", params={"external_id[]": [str(i) for i in range(200)]}).status_code == 200
    r = client.get("/suppliers", params={"external_id[]": [str(i) for i in range(201)]})
    assert r.status_code == 400 and "external_id" in r.json()["errors"]["errors"]


def test_items_filter_by_supplier(api):
    client, emu, clock = api
    emu.load({"items": [{"id": 201, "name": "A", "sku": "A", "supplier": {"id": 7}},
                        {"id": 202, "name": "B", "sku": "B", "supplier": {"id": 8}},
                        {"id": 203, "name": "C", "sku": "C"}]})
    r = client.get("/items", params={"supplier[]": ["8"]})
    assert [i["id"] for i in r.json()["data"]] == [202]


# ---- supplier writes ----------------------------------------------------------------------------------

SUPPLIER_FORM = ("name=Fabrikam%2C+Inc.&currencies[]=USD&currencies[]=NZD&uniqueCode=10000"
                 "&legalAddress=10+North+Lake+Avenue&city=Atlanta&state=GA&country=US&postalCode=31772"
                 "&phone=4255550101&contacts[data][0][email]=krystal.york@contoso.com"
                 "&contacts[data][0][name]=Krystal&supplierLegalEntityIds[]=27377")
SUPPLIER_JSON = {"name": "Fabrikam, Inc.", "currencies": ["USD", "NZD"], "uniqueCode": "10000",
                 "legalAddress": "10 North Lake Avenue", "city": "Atlanta", "state": "GA", "country": "US",
                 "postalCode": "31772", "phone": "4255550101",
                 "contacts": {"data": [{"email": "krystal.york@contoso.com", "name": "Krystal"}]}}


@pytest.mark.parametrize("kwargs", [
    {"content": SUPPLIER_FORM, "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
    {"json": SUPPLIER_JSON},
], ids=["form", "json"])
def test_create_supplier_from_a_bracket_form_or_json(api, kwargs):
    client, emu, clock = api
    r = client.post("/suppliers", **kwargs)
    assert r.status_code == 200, r.text
    created = r.json()
    assert created["id"] == 101
    fetched = client.get("/suppliers/101").json()
    assert fetched == created
    assert (fetched["name"], fetched["currency"], fetched["currencies"]) == ("Fabrikam, Inc.", "USD", ["USD", "NZD"])
    assert fetched["contacts"]["data"] == [{"email": "krystal.york@contoso.com", "name": "Krystal", "id": 1}]
    assert (fetched["createDate"], fetched["updateDate"]) == ("2023-11-14T22:13:20+00:00",) * 2
    assert (fetched["enable"], fetched["externalId"], fetched["xeroId"]) == (True, None, None)


def test_multipart_forms_are_read_like_urlencoded_ones(api):
    client, emu, clock = api
    r = client.post("/suppliers", data={"name": "Multi", "currencies[]": ["EUR", "NZD"]},
                    files={"attachment": ("a.txt", b"ignored")})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["currencies"]) == ("Multi", ["EUR", "NZD"])


def test_put_replaces_currencies_and_bumps_update_date(api):
    client, emu, clock = api
    client.post("/suppliers", content=SUPPLIER_FORM, headers={"Content-Type": "application/x-www-form-urlencoded"})
    clock.now += 60
    r = client.put("/suppliers/101", data={"currencies[]": ["EUR"], "enable": "0"})
    assert r.status_code == 200, r.text
    body = client.get("/suppliers/101").json()
    assert (body["currencies"], body["currency"], body["enable"]) == (["EUR"], "EUR", False)
    assert body["updateDate"] == "2023-11-14T22:14:20+00:00"
    assert body["name"] == "Fabrikam, Inc."  # untouched fields stay
    assert [s["id"] for s in client.get("/suppliers", params={"enable": 0}).json()["data"]] == [101]


def test_create_assigns_a_unique_code_when_omitted(api):
    client, emu, clock = api
    assert client.post("/suppliers", data={"name": "A"}).json()["uniqueCode"] == "S-0101"


@pytest.mark.parametrize("data, field, message", [
    ({"name": "Other", "uniqueCode": "10000"}, "uniqueCode", "This Unique code is already being used."),
    ({"uniqueCode": "20000"}, "name", "This value should not be blank."),
    ({"name": "  "}, "name", "This value should not be blank."),
    ({"name": "X", "contacts[data][0][email]": "not-an-email"}, "contacts[0][email]",
     "This value is not a valid email address."),
    ({"name": "X", "currencies[]": "dollars"}, "currencies", "This value is not a valid currency."),
    ({"name": "X", "enable": "maybe"}, "enable", "This value is not a valid boolean."),
    ({"name": "X" * 300}, "name", "This value is too long. It should have 2000 characters or less."),
])
def test_supplier_validation_errors_use_the_nested_errors_shape(api, data, field, message):
    client, emu, clock = api
    client.post("/suppliers", data={"name": "First", "uniqueCode": "10000"})
    if field == "name" and len(data.get("name", "")) == 300:
        data = {"name": "X" * 2001}
    r = client.post("/suppliers", data=data)
    assert (r.status_code, r.json()) == (400, {"errors": {"errors": {field: message}}})
    assert client.get("/suppliers").json()["meta"]["pagination"]["total"] == 1
    # a refused write uses up no id
    assert client.post("/suppliers", data={"name": "Next"}).json()["id"] == 102


def test_put_to_an_existing_unique_code_is_refused(api):
    client, emu, clock = api
    client.post("/suppliers", data={"name": "A", "uniqueCode": "A"})
    client.post("/suppliers", data={"name": "B", "uniqueCode": "B"})
    r = client.put("/suppliers/102", data={"uniqueCode": "A"})
    assert r.json() == {"errors": {"errors": {"uniqueCode": "This Unique code is already being used."}}}


@pytest.mark.parametrize("path, create", [
    ("/suppliers", {"name": "A"}), ("/items", {"name": "A", "sku": "A"}),
    ("/taxes", {"name": "GST", "percent": "15"}), ("/itemcustomfields", {"name": "Region"}),
])
def test_patch_sets_external_id_and_bumps_update_date(api, path, create):
    client, emu, clock = api
    ident = client.post(path, data=create).json()["id"]
    clock.now += 3600
    r = client.patch(f"{path}/{ident}", data={"externalId": "d0762700-5633-f111-bec2-000d3aed9274"})
    assert r.status_code == 200, r.text
    body = client.get(f"{path}/{ident}").json()
    assert body["externalId"] == "d0762700-5633-f111-bec2-000d3aed9274"
    assert body["updateDate"] == "2023-11-14T23:13:20+00:00"
    listed = client.get(path, params={"modifiedSince": "2023-11-14T23:00:00"}).json()["data"]
    assert [x["id"] for x in listed] == [ident]
    assert client.patch(f"{path}/{ident}", data={"name": "x"}).status_code == 400  # externalId missing
    assert client.patch(f"{path}/{ident}", json={"externalId": ""}).json()["externalId"] is None


@pytest.mark.parametrize("method, path", [
    ("GET", "/suppliers/999"), ("PUT", "/suppliers/999"), ("PATCH", "/suppliers/999"), ("GET", "/items/5"),
    ("GET", "/taxes/5"), ("GET", "/itemcustomfields/5/options"), ("GET", "/purchaseorders/5"),
    ("GET", "/invoices/5"), ("PATCH", "/payments/5"), ("GET", "/nothing-here"),
    ("GET", "/suppliers/99999999999999999999999999"),
])
def test_unknown_records_are_404(api, method, path):
    client, emu, clock = api
    r = client.request(method, path, data={"externalId": "x"} if method != "GET" else None)
    assert (r.status_code, r.json()) == (404, {"message": "Not found"})


# ---- items, taxes, item custom fields -----------------------------------------------------------------

def _accounts(client) -> int:
    cf = client.post("/itemcustomfields", data={"name": "Xero Chart of Accounts", "externalId": "accounts"}).json()
    return client.post(f"/itemcustomfields/{cf['id']}/options",
                       data={"name": "General Expenses", "code": "429", "externalId": "acc-guid"}).json()["id"]


def test_item_with_an_account_option(api):
    client, emu, clock = api
    option = _accounts(client)
    r = client.post("/items", data={"sku": "COLDGLUE124", "name": "Coldglue 2oz", "description": "a coldglue",
                                    "freeOfCharge": "0", "price": "12.57", "accountOption[id]": str(option)})
    assert r.status_code == 200, r.text
    item = client.get(f"/items/{r.json()['id']}", ).json()
    assert item["price"] == 12.57 and item["typeString"] == "Product"
    assert item["dataProductCustomFields"] == {"data": [{
        "itemCustomField": {"id": 1, "name": "Xero Chart of Accounts"},
        "option": {"id": option, "code": "429", "name": "General Expenses"}}]}


@pytest.mark.parametrize("data, field", [
    ({"name": "A", "sku": "X", "accountOption[id]": "999"}, "accountOption"),
    ({"name": "A", "sku": "X", "price": "abc"}, "price"),
    ({"name": "A", "sku": "X", "price": "-1"}, "price"),
    ({"name": "A", "sku": "X", "price": "1e400"}, "price"),
    ({"name": "Dup", "sku": "PA4"}, "sku"),
    ({"sku": "Y"}, "name"),
])
def test_item_validation(api, data, field):
    client, emu, clock = api
    client.post("/items", data={"name": "Paper", "sku": "PA4"})
    r = client.post("/items", data=data)
    assert r.status_code == 400 and list(r.json()["errors"]["errors"]) == [field]


def test_the_account_option_must_belong_to_the_chart_of_accounts(api):
    client, emu, clock = api
    _accounts(client)
    region = client.post("/itemcustomfields", data={"name": "Region"}).json()["id"]
    north = client.post(f"/itemcustomfields/{region}/options", data={"name": "North"}).json()["id"]
    r = client.post("/items", data={"name": "A", "sku": "A", "accountOption[id]": str(north)})
    assert r.json() == {"errors": {"errors": {"accountOption": f"Option {north} is not an option of Xero Chart of Accounts."}}}


def test_sku_is_unique_among_enabled_items_only(api):
    client, emu, clock = api
    client.post("/items", data={"name": "Paper", "sku": "PA4"})
    client.put("/items/201", data={"enable": "false"})
    assert client.post("/items", data={"name": "Paper v2", "sku": "PA4"}).status_code == 200


def test_objects_integrated_by_the_native_connector_refuse_edits(api):
    client, emu, clock = api
    emu.load({"items": [{"id": 201, "name": "A", "sku": "A", "xeroId": "xero-guid"}],
              "taxes": [{"id": 301, "name": "GST", "percent": 15, "xeroId": "INPUT2"}]})
    for path in ("/items/201", "/taxes/301"):
        r = client.put(path, data={"name": "changed"})
        assert r.status_code == 400 and list(r.json()["errors"]["errors"]) == ["xeroId"]
        assert client.patch(path, data={"externalId": "ok"}).status_code == 200  # linking is still allowed


@pytest.mark.parametrize("data, percent, value", [
    ({"name": "TAX6", "value": "6", "percent": "6"}, 6, 6),
    ({"name": "GST", "percent": "15"}, 15, 15),
    ({"name": "Half", "value": "12.5"}, 12.5, 12.5),
])
def test_create_tax(api, data, percent, value):
    client, emu, clock = api
    r = client.post("/taxes", data=data)
    assert r.status_code == 200, r.text
    body = client.get(f"/taxes/{r.json()['id']}").json()
    assert (body["percent"], body["value"], body["isWithholdingTax"]) == (percent, value, False)


@pytest.mark.parametrize("data, field", [
    ({"name": "T"}, "percent"), ({"name": "T", "percent": "101"}, "percent"),
    ({"name": "T", "percent": "x"}, "percent"), ({"percent": "5"}, "name"),
])
def test_tax_validation(api, data, field):
    client, emu, clock = api
    r = client.post("/taxes", data=data)
    assert r.status_code == 400 and list(r.json()["errors"]["errors"]) == [field]


def test_item_custom_field_options(api):
    client, emu, clock = api
    region = client.post("/itemcustomfields", data={"name": "Region", "externalId": "tc-guid"}).json()["id"]
    other = client.post("/itemcustomfields", data={"name": "Other"}).json()["id"]
    north = client.post(f"/itemcustomfields/{region}/options", data={"name": "North", "externalId": "n"}).json()
    child = client.post(f"/itemcustomfields/{region}/options", data={"name": "North-East", "parent[id]": north["id"]})
    assert child.status_code == 200 and child.json()["parent"] == {"id": north["id"]}
    foreign = client.post(f"/itemcustomfields/{other}/options", data={"name": "X", "parent[id]": north["id"]})
    assert foreign.status_code == 400 and list(foreign.json()["errors"]["errors"]) == ["parent"]
    r = client.put(f"/itemcustomfields/{region}/options/{north['id']}", data={"enable": "0"})
    assert r.json()["enable"] is False
    assert client.get(f"/itemcustomfields/{other}/options/{north['id']}").status_code == 404
    listed = client.get(f"/itemcustomfields/{region}/options", params={"enable": "1"}).json()
    assert [o["name"] for o in listed["data"]] == ["North-East"]
    assert client.patch(f"/itemcustomfields/{region}/options/{north['id']}",
                        data={"externalId": "acc"}).json()["externalId"] == "acc"
    fields = client.get("/itemcustomfields").json()["data"]
    assert [(f["name"], f["externalId"]) for f in fields] == [("Region", "tc-guid"), ("Other", None)]


def test_money_comes_back_exact(api):
    client, emu, clock = api
    client.post("/items", data={"name": "A", "sku": "A", "price": "0.1"})
    body = httpx.Response(200, content=client.get("/items/201").content).json(parse_float=Decimal)
    assert body["price"] == Decimal("0.1")


def test_an_option_for_an_unknown_field_is_404_and_uses_no_id(api):
    client, emu, clock = api
    region = client.post("/itemcustomfields", data={"name": "Region"}).json()["id"]
    assert client.post("/itemcustomfields/77/options", data={"name": "North"}).status_code == 404
    assert client.post(f"/itemcustomfields/{region}/options", data={"name": "North"}).json()["id"] == 11


@pytest.mark.parametrize("price, stored", [(1e2, 100), (Decimal("2.50"), Decimal("2.50")), (0.1, Decimal("0.1"))])
def test_json_numbers_with_exponents_or_fractions_are_read_exactly(api, price, stored):
    client, emu, clock = api
    r = client.post("/items", content=f'{{"name": "A", "price": {price}}}', headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert emu.dump()["items"][0]["price"] == stored
