"""Lower libraries' errors become recon's through one table, and Precoro writes are retried when that is safe.

The table (``recon.connectors.failures``) is checked entry by entry with the exceptions httpx, urllib3 and the
OS really raise; then the Precoro connector is driven against its emulator with injected faults: a PUT or
PATCH whose reply is lost or that meets a 5xx is sent again (same budget and backoff as reads) and lands
once; a POST is not sent again, and its message says what happened ("connection lost", "server error").
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
import urllib3.exceptions as u3

from recon.config import load_settings
from recon.connectors.base import WriteRequest
from recon.connectors.failures import TRANSPORT_ERRORS, translate, translated
from recon.connectors.pacing import RetryPolicy, reset_pacers
from recon.connectors.precoro import PrecoroConnector
from recon.errors import (ApiError, CallTimeoutError, ConnectionLostError, NotConnectedError, ServerError,
                          TransientError)
from recon.sandbox import Sandbox

from connector_sandbox import sandbox  # noqa: F401  (fixture)

pytestmark = pytest.mark.reliability  # counted in docs/approve-apply.md, section Reliability

REQUEST = httpx.Request("PUT", "http://127.0.0.1/suppliers/3")


@pytest.mark.parametrize("raised, ours, words", [
    (httpx.ConnectError("[Errno 111] Connection refused", request=REQUEST), NotConnectedError, "could not connect"),
    (httpx.ConnectTimeout("timed out", request=REQUEST), NotConnectedError, "could not connect"),
    (httpx.PoolTimeout("no connection free", request=REQUEST), NotConnectedError, "could not connect"),
    (httpx.ReadTimeout("timed out", request=REQUEST), CallTimeoutError, "timed out"),
    (httpx.WriteTimeout("timed out", request=REQUEST), CallTimeoutError, "timed out"),
    (httpx.RemoteProtocolError("peer closed connection without sending complete message body", request=REQUEST),
     ConnectionLostError, "connection lost"),
    (httpx.ReadError("[Errno 104] Connection reset by peer", request=REQUEST), ConnectionLostError, "connection lost"),
    (httpx.WriteError("[Errno 32] Broken pipe", request=REQUEST), ConnectionLostError, "connection lost"),
    (httpx.DecodingError("incorrect header check", request=REQUEST), ConnectionLostError, "connection lost"),
    (httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'.", request=REQUEST), ApiError,
     "UnsupportedProtocol"),
    (u3.MaxRetryError(None, "/api.xro/2.0/Contacts", u3.NewConnectionError(None, "Failed to establish a new connection")),
     NotConnectedError, "could not connect"),
    (u3.MaxRetryError(None, "/api.xro/2.0/Contacts", u3.ReadTimeoutError(None, "/", "Read timed out.")),
     CallTimeoutError, "timed out"),
    (u3.ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer")),
     ConnectionLostError, "connection lost"),
    (u3.IncompleteRead(10, 54), ConnectionLostError, "connection lost"),
    (ConnectionRefusedError(111, "Connection refused"), NotConnectedError, "could not connect"),
    (ConnectionResetError(104, "Connection reset by peer"), ConnectionLostError, "connection lost"),
    (socket.timeout("timed out"), CallTimeoutError, "timed out"),
])
def test_each_library_error_maps_to_one_recon_error(raised, ours, words):
    mapped = translate(raised, system="precoro", operation="PUT /suppliers/3")
    assert type(mapped) is ours
    assert str(mapped).startswith(f"precoro PUT /suppliers/3: {words}")
    assert mapped.retryable == issubclass(ours, TransientError)
    with pytest.raises(ours):
        with translated("precoro", "PUT /suppliers/3"):
            raise raised


def test_never_sent_is_the_only_transient_error_a_create_may_resend():
    resendable = {ours for _, ours in TRANSPORT_ERRORS if issubclass(ours, TransientError) and not ours.maybe_delivered}
    assert resendable == {NotConnectedError}
    assert ServerError.maybe_delivered and ConnectionLostError.maybe_delivered and CallTimeoutError.maybe_delivered


def test_an_error_of_recon_passes_through_unchanged():
    error = ServerError("server error: 503", system="xero", status=503)
    assert translate(error, system="precoro", operation="X") is error


# ---- Precoro writes against the emulator --------------------------------------------------------------

ATTEMPTS = 4


@pytest.fixture()
def precoro(sandbox: Sandbox, tmp_path: Path):
    sandbox.reset("demo")
    reset_pacers()
    settings = load_settings(env={"RECON_TOKEN_FILE": str(tmp_path / "t.json")}).with_sandbox_urls(
        sandbox.xero_url, sandbox.precoro_url)
    conn = PrecoroConnector(settings)
    conn.pacer.set_limits({"minute": 100_000, "hour": 100_000})
    conn.pacer.policy = RetryPolicy(attempts=ATTEMPTS, base=0.01, cap=0.02)
    yield sandbox, conn
    conn.close()
    httpx.post(f"{sandbox.precoro_url}/_sandbox/faults", json={
        "rate_drop_after": 0, "rate_drop": 0, "rate_5xx": 0, "max_faults": None, "methods": [], "path_regex": ""})


def _supplier(sb: Sandbox, name: str) -> dict[str, Any]:
    return next(s for s in sb.precoro.dump()["suppliers"] if s["name"] == name)


def _served(sb: Sandbox, route: str) -> int:
    return httpx.get(f"{sb.precoro_url}/_sandbox/stats").json()["by_route"].get(route, 0)


def _fault(sb: Sandbox, **faults: Any) -> None:
    httpx.post(f"{sb.precoro_url}/_sandbox/faults", json=faults).raise_for_status()


@pytest.mark.parametrize("fault", [
    {"rate_drop_after": 1.0, "max_faults": 2},   # Precoro wrote it, the reply was lost, twice
    {"rate_5xx": 1.0, "max_faults": 2},          # two server errors before it was handled
    {"rate_drop": 1.0, "max_faults": 1},         # the connection dropped before it was handled
])
@pytest.mark.parametrize("op, method, values, check", [
    ("update", "PUT", {"phone": "+64 9 555 7777"}, lambda s: s["phone"] == "+64 9 555 7777"),
    ("update", "PUT", {"email": "ap@kauri.example"}, lambda s: s["contacts"]["data"][0]["email"] == "ap@kauri.example"),
    ("link", "PATCH", {"xero_id": "5f0c0000-0000-4000-8000-00000000beef"},
     lambda s: s["externalId"] == "5f0c0000-0000-4000-8000-00000000beef"),
])
def test_a_put_or_patch_is_sent_again_after_a_lost_reply_or_a_server_error(precoro, fault, op, method, values, check):
    sb, conn = precoro
    target = _supplier(sb, "Kauri Print & Signs")
    _fault(sb, **fault, methods=[method], path_regex=r"^/suppliers/\d+$")
    [res] = conn.write([WriteRequest("k", "supplier", op, str(target["id"]), values)])
    assert res.ok, res.error
    after = _supplier(sb, "Kauri Print & Signs")
    assert check(after)
    # sent three times, it leaves what one send leaves (the edited contact keeps its id)
    assert [c["id"] for c in after["contacts"]["data"]] == [c["id"] for c in target["contacts"]["data"]]
    assert _served(sb, f"{method} /suppliers/{{id}}") == fault["max_faults"] + 1
    assert conn.pacer.stats.retries == fault["max_faults"]


@pytest.mark.parametrize("fault, words, created", [
    ({"rate_drop_after": 1.0}, "connection lost", 1),   # created; the reply never came
    ({"rate_5xx": 1.0}, "server error", 0),
    ({"rate_drop": 1.0}, "connection lost", 0),
])
def test_a_post_is_not_sent_again_and_says_what_happened(precoro, fault, words, created):
    sb, conn = precoro
    _fault(sb, **fault, max_faults=1, methods=["POST"], path_regex=r"^/suppliers$")
    [res] = conn.write([WriteRequest("k", "supplier", "create", None, {"name": "Once Only Ltd", "currency": "NZD"})])
    assert not res.ok and res.retryable
    assert re.match(rf"precoro POST /suppliers( HTTP 503)?: {words}", res.error) and "refused" not in res.error
    assert _served(sb, "POST /suppliers") == 1
    assert [s["name"] for s in sb.precoro.dump()["suppliers"]].count("Once Only Ltd") == created


def test_a_post_that_could_not_connect_is_sent_again_then_named(tmp_path):
    with socket.socket() as probe:  # a loopback port with nothing listening on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    reset_pacers()
    settings = load_settings(env={"RECON_PRECORO_TOKEN": "t", "RECON_PRECORO_EMAIL": "e@example.com",
                                  "RECON_PRECORO_BASE_URL": f"http://127.0.0.1:{port}",
                                  "RECON_TOKEN_FILE": str(tmp_path / "t.json")})
    with PrecoroConnector(settings) as conn:
        conn.pacer.policy = RetryPolicy(attempts=3, base=0.01, cap=0.02)
        [res] = conn.write([WriteRequest("k", "supplier", "create", None, {"name": "Nobody Home Ltd"})])
        assert conn.pacer.stats.retries == 2  # never sent, so safe to send again
    assert not res.ok and res.retryable and "precoro POST /suppliers: could not connect (ConnectError" in res.error
