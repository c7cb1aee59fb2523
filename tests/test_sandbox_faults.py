"""The fault surface (``POST /_sandbox/faults``) of BOTH emulators, with fractional values.

The Precoro emulator parses JSON numbers as ``Decimal`` (amounts must stay exact), the Xero one as ``float``;
the shared :class:`recon.sandbox.admin.Faults` checks every value and stores the type the middleware computes
with, so ``slow_seconds: 0.3`` slows a request on both instead of turning it into a 500.
"""

from __future__ import annotations

import time

import httpx
import pytest

from recon.sandbox import Sandbox
from recon.sandbox.precoro import AUTH_HEADERS as PRECORO_AUTH

pytestmark = pytest.mark.reliability  # counted in docs/approve-apply.md, section Reliability

#: a read that needs no token on either side once authenticated: Precoro by header, Xero by a bearer token
READS = {"precoro": "/taxes", "xero": "/api.xro/2.0/Contacts"}
OFF = {"rate_slow": 0, "rate_5xx": 0, "rate_drop": 0, "rate_drop_after": 0, "rate_429": 0, "slow_seconds": 1,
       "retry_after": 1, "methods": [], "path_regex": "", "max_faults": None, "seed": 0}


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(seed="empty") as sb:
        yield sb


@pytest.fixture()
def clients(sandbox):
    token = httpx.post(f"{sandbox.xero_url}/connect/token", data={
        "grant_type": "client_credentials", "client_id": "sandbox-client", "client_secret": "sandbox-secret"}).json()
    xero = httpx.Client(base_url=sandbox.xero_url, timeout=10, headers={
        "Authorization": f"Bearer {token['access_token']}", "Xero-tenant-id": "sandbox-tenant",
        "Accept": "application/json"})
    precoro = httpx.Client(base_url=sandbox.precoro_url, timeout=10, headers={**PRECORO_AUTH, "Accept": "application/json"})
    yield {"xero": xero, "precoro": precoro}
    for name, client in (("xero", xero), ("precoro", precoro)):
        client.post("/_sandbox/faults", json=OFF).raise_for_status()
        client.close()


SYSTEMS = ("precoro", "xero")


@pytest.mark.parametrize("system", SYSTEMS)
def test_a_fractional_slow_reply_is_slow_not_a_server_error(clients, system):
    client = clients[system]
    r = client.post("/_sandbox/faults", json={"rate_slow": 1.0, "slow_seconds": 0.3, "max_faults": 1})
    assert r.status_code == 200, r.text
    assert (r.json()["slow_seconds"], r.json()["rate_slow"]) == (0.3, 1.0)
    started = time.monotonic()
    reply = client.get(READS[system])
    slowed = time.monotonic() - started
    assert reply.status_code == 200, reply.text
    assert slowed >= 0.3  # asyncio.sleep sleeps at least that long; a 500 came back at once
    assert client.get("/_sandbox/faults").json()["injected"] == 1


@pytest.mark.parametrize("system", SYSTEMS)
@pytest.mark.parametrize("body, shown", [
    ({"rate_5xx": 0.25, "seed": 3}, {"rate_5xx": 0.25, "seed": 3}),
    ({"rate_drop_after": 0.5, "max_faults": 2}, {"rate_drop_after": 0.5, "max_faults": 2}),
    ({"rate_429": 0.75, "retry_after": 0.5}, {"rate_429": 0.75, "retry_after": 0.5}),
    ({"rate_slow": 0.1, "slow_seconds": 0.05, "methods": ["get", "POST"]},
     {"rate_slow": 0.1, "slow_seconds": 0.05, "methods": ["GET", "POST"]}),
    ({"max_faults": 3.0, "seed": 2.0}, {"max_faults": 3, "seed": 2}),
])
def test_fractional_settings_are_kept_as_numbers(clients, system, body, shown):
    r = clients[system].post("/_sandbox/faults", json=body)
    assert r.status_code == 200, r.text
    described = clients[system].get("/_sandbox/faults").json()
    assert {k: described[k] for k in shown} == shown


@pytest.mark.parametrize("system", SYSTEMS)
def test_fractional_rates_inject_some_faults_and_not_others(clients, system):
    client = clients[system]
    assert client.post("/_sandbox/faults", json={"rate_5xx": 0.5, "seed": 11, "methods": ["GET"]}).status_code == 200
    codes = [client.get(READS[system]).status_code for _ in range(30)]
    assert set(codes) == {200, 503}
    assert client.get("/_sandbox/faults").json()["injected"] == codes.count(503)


@pytest.mark.parametrize("system", SYSTEMS)
@pytest.mark.parametrize("body, words", [
    ({"rate_5xx": 1.5}, "rate_5xx is a rate between 0 and 1"),
    ({"rate_slow": -0.1}, "rate_slow must be a finite number of at least 0"),
    ({"slow_seconds": "0.3"}, "slow_seconds must be a number"),
    ({"slow_seconds": True}, "slow_seconds must be a number"),
    ({"max_faults": 1.5}, "max_faults must be a whole number"),
    ({"methods": "GET"}, "methods must be a list of HTTP methods"),
    ({"path_regex": "(unclosed"}, "path_regex is not a valid regular expression"),
    ({"rate_5xx": 0.5, "slow_seconds": "soon"}, "slow_seconds must be a number"),
])
def test_bad_settings_are_a_400_and_change_nothing(clients, system, body, words):
    client = clients[system]
    before = client.get("/_sandbox/faults").json()
    r = client.post("/_sandbox/faults", json=body)
    assert r.status_code == 400 and words in r.text
    assert client.get("/_sandbox/faults").json() == before
