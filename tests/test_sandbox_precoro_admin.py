"""The Precoro emulator's rate limits (429 body per window), faults, admin surface, and a table of malformed
requests that must each get a 4xx in Precoro's shapes, never a 500."""

from __future__ import annotations

import importlib.util
import json
import re

import httpx
import pytest

from recon.errors import ConfigError
from recon.sandbox.precoro import DEFAULT_LIMITS, PrecoroEmulator

from precoro_served import serve

T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


@pytest.fixture(scope="module")
def served():
    yield from serve(T0)


@pytest.fixture()
def api(served):
    emu, client, clock = served
    clock.now = T0
    emu.reset("empty")
    emu.middleware.configure({"limits": {"minute": 3, "hour": 5, "day": 7}})
    yield client, emu, clock
    emu.middleware.configure({"limits": DEFAULT_LIMITS, "rate_5xx": 0.0, "rate_429": 0.0, "methods": [],
                              "max_faults": None})


# ---- rate limits --------------------------------------------------------------------------------------

@pytest.mark.parametrize("steps, limiter, retry_after", [
    # (requests, seconds to wait after them) ..., then the refused request
    ([(3, 0)], "Minute limiter", "2023-11-14 22:14:20 UTC"),
    ([(3, 61), (2, 0)], "Hourly limiter", "2023-11-14 23:13:20 UTC"),
    ([(3, 61), (2, 3600), (2, 0)], "Daily limiter", "2023-11-15 22:13:20 UTC"),
])
def test_each_window_answers_429_with_precoros_body(api, steps, limiter, retry_after):
    client, emu, clock = api
    for count, wait in steps:
        for _ in range(count):
            assert client.get("/suppliers").status_code == 200
        clock.now += wait
    r = client.get("/suppliers")
    assert (r.status_code, r.json()) == (429, {"RateLimit-Type": limiter, "RateLimit-Retry-After": retry_after})
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", r.json()["RateLimit-Retry-After"])


def test_limits_are_per_token_and_spare_the_admin_surface(api):
    client, emu, clock = api
    for _ in range(3):
        client.get("/company")
    assert client.get("/company").status_code == 429
    assert client.get("/company", headers={"X-AUTH-TOKEN": "other"}).status_code == 401  # another key
    assert client.get("/_sandbox/stats").status_code == 200
    clock.now += 60
    assert client.get("/company").status_code == 200


def test_default_limits_are_precoros(served):
    emu, client, clock = served
    assert PrecoroEmulator().limiter.limits() == {"minute": 300, "hour": 1500, "day": 3000}
    assert PrecoroEmulator(limits={"minute": 5}).limiter.limits() == {"minute": 5, "hour": 1500, "day": 3000}


# ---- faults, stats, reset, dump -----------------------------------------------------------------------

def test_faults_are_configured_over_http_and_reported(api):
    client, emu, clock = api
    r = client.post("/_sandbox/faults", json={"rate_5xx": 1.0, "max_faults": 1, "methods": ["GET"],
                                              "limits": {"minute": 50}})
    assert r.status_code == 200 and r.json()["limits"] == {"minute": 50, "hour": 5, "day": 7}
    assert client.get("/suppliers").status_code == 503
    assert client.get("/suppliers").status_code == 200
    assert client.get("/_sandbox/faults").json()["injected"] == 1
    bad = client.post("/_sandbox/faults", json={"rate_teapot": 1})
    assert bad.status_code == 400 and "faults" in bad.json()["errors"]["errors"]


def test_a_reply_dropped_after_a_payment_leaves_the_payment_committed(api):
    client, emu, clock = api
    emu.load({"invoices": [{"id": 6001, "idn": 1, "status": 2, "items": {"data": [{"quantity": 1, "price": 10}]}}]})
    client.post("/_sandbox/faults", json={"limits": DEFAULT_LIMITS, "rate_drop_after": 1.0, "methods": ["POST"], "max_faults": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/payments", data={"invoice[id]": "6001", "sumPaid": "4"})
    assert client.get("/invoices/1").json()["sumPaid"] == "4.00"  # the client must look before it retries
    r = client.post("/payments", data={"invoice[id]": "6001", "sumPaid": "7"})
    assert r.json() == {"errors": {"errors": {"sumPaid": "The amount must be greater than 0 and not exceed 6.00"}}}


def test_injected_429_uses_the_precoro_body(api):
    client, emu, clock = api
    client.post("/_sandbox/faults", json={"rate_429": 1.0, "max_faults": 1})
    r = client.get("/taxes")
    assert r.status_code == 429 and r.json()["RateLimit-Type"] == "Minute limiter"


def test_stats_count_requests_by_route(api):
    client, emu, clock = api
    client.get("/suppliers")
    client.get("/suppliers/5")
    client.post("/suppliers", data={"name": "A"})
    assert client.get("/_sandbox/stats").json() == {
        "total": 3, "by_method": {"GET": 2, "POST": 1},
        "by_route": {"GET /suppliers": 1, "GET /suppliers/{id}": 1, "POST /suppliers": 1}, "limited": {}}


def test_reset_over_http(api):
    client, emu, clock = api
    client.post("/suppliers", data={"name": "A"})
    r = client.post("/_sandbox/reset", json={"seed": "empty"})
    assert r.status_code == 200 and r.json()["counts"]["suppliers"] == 0
    assert client.post("/_sandbox/reset", json={"seed": "nope"}).status_code == 400


def test_demo_seed_loads_or_says_clearly_it_is_missing(api):
    client, emu, clock = api
    r = client.post("/_sandbox/reset", json={"seed": "demo"})
    if importlib.util.find_spec("recon.sandbox.demo") is None:
        assert r.status_code == 400 and "precoro_seed" in r.json()["errors"]["errors"]["seed"]
        with pytest.raises(ConfigError, match="demo seed is not available"):
            emu.reset("demo")
    else:
        assert r.status_code == 200 and r.json()["counts"]["suppliers"] > 0


@pytest.mark.parametrize("payload, field", [
    ({"widgets": []}, "payload"),
    ({"suppliers": [{"id": 1, "name": "A", "uniqueCode": "X"}, {"id": 2, "name": "B", "uniqueCode": "X"}]},
     "uniqueCode"),
    ({"payments": [{"sumPaid": "1", "invoice": {"id": 42}}]}, "invoice"),
    ({"company": {"precisionData": {"price": 2, "quantity": 2, "total": 12}}}, "precisionData"),
    ({"suppliers": {"id": 1}}, "payload"),
    ({"invoices": [{"idn": 1}, {"idn": 1}]}, "idn"),
])
def test_bad_loads_are_400_and_change_nothing(api, payload, field):
    client, emu, clock = api
    before = emu.dump()
    r = client.post("/_sandbox/load", json=payload)
    assert r.status_code == 400 and list(r.json()["errors"]["errors"]) == [field]
    assert emu.dump() == before


# ---- malformed requests never answer 500 --------------------------------------------------------------

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}

MALFORMED = [
    ("POST", "/suppliers", {"content": b"{not json", "headers": JSON}),
    ("POST", "/suppliers", {"content": b"[1, 2]", "headers": JSON}),
    ("POST", "/suppliers", {"content": b'{"name": NaN}', "headers": JSON}),
    ("POST", "/items", {"content": b'{"name": "A", "price": 1e999999}', "headers": JSON}),
    ("POST", "/suppliers", {"content": b"[" * 5000 + b"]" * 5000, "headers": JSON}),
    ("POST", "/suppliers", {"content": b'{"name": ' + b'{"a":' * 40 + b"1" + b"}" * 41, "headers": JSON}),
    ("POST", "/suppliers", {"content": b"\xff\xfe\x00garbage", "headers": FORM}),
    ("POST", "/suppliers", {"content": b"name=a&name[x]=b", "headers": FORM}),
    ("POST", "/suppliers", {"content": b"contacts[data][0][email]=a@b.c&contacts=1", "headers": FORM}),
    ("POST", "/suppliers", {"content": b"a[b=1", "headers": FORM}),
    ("POST", "/suppliers", {"content": b"=1", "headers": FORM}),
    ("POST", "/suppliers", {"content": b"a" + b"[x]" * 20 + b"=1", "headers": FORM}),
    ("POST", "/suppliers", {"content": b"&".join(b"f%d=1" % i for i in range(3000)), "headers": FORM}),
    ("POST", "/suppliers", {"content": b"x" * 2_000_001, "headers": FORM}),
    ("POST", "/suppliers", {"content": b"<supplier/>", "headers": {"Content-Type": "application/xml"}}),
    ("POST", "/suppliers", {"content": b"--xx\r\nbroken", "headers": {"Content-Type": "multipart/form-data; boundary=xx"}}),
    ("POST", "/suppliers", {"content": b"garbage", "headers": {"Content-Type": "multipart/form-data"}}),
    ("POST", "/suppliers", {"json": {"name": ["a", "b"]}}),
    ("POST", "/suppliers", {"json": {"name": {"x": 1}}}),
    ("POST", "/suppliers", {"json": {"name": "A", "contacts": "nobody"}}),
    ("POST", "/suppliers", {"json": {"name": "A", "contacts": {"data": ["x"]}}}),
    ("POST", "/suppliers", {"json": {"name": "A", "enable": "perhaps"}}),
    ("POST", "/suppliers", {"json": {"name": "A", "status": 1.5}}),
    ("POST", "/suppliers", {"json": {"name": "A", "status": 10**30}}),
    ("POST", "/items", {"json": {"name": "A", "price": "NaN"}}),
    ("POST", "/items", {"json": {"name": "A", "price": "Infinity"}}),
    ("POST", "/items", {"json": {"name": "A", "price": "99999999999999999999"}}),
    ("POST", "/items", {"json": {"name": "A", "price": True}}),
    ("POST", "/items", {"json": {"name": "A", "price": "1" * 50}}),
    ("POST", "/items", {"json": {"name": "A", "accountOption": {"id": "x"}}}),
    ("POST", "/items", {"json": {"name": "A", "accountOption": {}}}),
    ("POST", "/taxes", {"json": {"name": "T", "percent": -1}}),
    ("POST", "/taxes", {"data": {"name": "T", "percent": "1,5"}}),
    ("POST", "/itemcustomfields/1/options", {"data": {"name": "x"}}),
    ("PUT", "/suppliers/1", {"data": {"name": "x"}}),
    ("PATCH", "/suppliers/101", {"data": {"externalId": "x" * 5000}}),
    ("PATCH", "/suppliers/101", {"json": {"externalId": ["a"]}}),
    ("POST", "/payments", {"data": {"invoice[id]": "1" * 40, "sumPaid": "1"}}),
    ("POST", "/payments", {"data": {"invoice": "x", "sumPaid": "1"}}),
    ("POST", "/payments", {"json": {"invoice": {"id": None}, "sumPaid": 1}}),
    ("POST", "/payments", {"json": {"invoice": [1], "sumPaid": 1}}),
    ("POST", "/payments", {"data": {"invoice[id]": "6001", "sumPaid": "1", "payDate": "9999-99-99"}}),
    ("PATCH", "/payments/1", {"data": {"status": "paid"}}),
    ("PUT", "/payments/1", {"data": {"sumPaid": "1"}}),
    ("DELETE", "/suppliers/101", {}),
    ("GET", "/suppliers?per_page=7", {}),
    ("GET", "/suppliers?page=99999999999999999999", {}),
    ("GET", "/suppliers?per_page[]=10", {}),
    ("GET", "/suppliers?modifiedSince=2024-02-30T00:00:00", {}),
    ("GET", "/suppliers?modifiedSince[x]=1", {}),
    ("GET", "/suppliers?id=abc", {}),
    ("GET", "/suppliers?id=99999999999999999999999", {}),
    ("GET", "/suppliers?enable=2", {}),
    ("GET", "/suppliers?%ff%fe=1", {}),
    ("GET", "/suppliers?a[b=1", {}),
    ("GET", "/invoices?status[]=", {}),
    ("GET", "/invoices?approvalDate=01.01.2024", {}),
    ("GET", "/invoices?approvalDate[left_date]=1.1.24", {}),
    ("GET", "/items?supplier[]=acme", {}),
    ("GET", "/suppliers/abc", {}),
    ("GET", "/invoices/-1", {}),
]


@pytest.mark.parametrize("method, path, kwargs", MALFORMED, ids=[f"{m} {p[:40]} #{i}" for i, (m, p, _) in enumerate(MALFORMED)])
def test_malformed_requests_get_a_4xx_never_a_500(api, method, path, kwargs):
    client, emu, clock = api
    emu.middleware.configure({"limits": DEFAULT_LIMITS})
    emu.load({"suppliers": [{"id": 101, "name": "Acme", "uniqueCode": "A"}],
              "invoices": [{"id": 6001, "idn": 1, "status": 2, "items": {"data": [{"quantity": 1, "price": 10}]}}]})
    before = emu.dump()
    r = client.request(method, path, **kwargs)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    body = r.json()
    if r.status_code == 400:
        errors = body["errors"]["errors"]
        assert errors and all(isinstance(k, str) and isinstance(v, str) and v for k, v in errors.items())
    else:
        assert set(body) == {"message"}
    if r.status_code != 200:
        assert emu.dump() == before  # a refused request changes nothing


def test_an_empty_write_body_is_a_validation_error(api):
    client, emu, clock = api
    r = client.post("/suppliers")
    assert (r.status_code, r.json()) == (400, {"errors": {"errors": {"name": "This value should not be blank."}}})
    assert json.loads(client.post("/taxes", content=b"   ", headers=JSON).content)["errors"]["errors"]


def test_reset_clears_faults_but_keeps_the_limits(api):
    client, emu, clock = api
    client.post("/_sandbox/faults", json={"rate_5xx": 1.0, "limits": {"minute": 40}})
    client.post("/_sandbox/reset", json={"seed": "empty"})
    faults = client.get("/_sandbox/faults").json()
    assert (faults["rate_5xx"], faults["limits"]["minute"]) == (0.0, 40)
    assert client.get("/suppliers").status_code == 200
