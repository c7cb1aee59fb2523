"""Tokens and SDK wiring: the token file, client-credentials renewal, `recon connect xero`, rotation
serialised across processes, the Configuration singleton trap, hidden retries off, and the raw-JSON fallback."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from recon.config import load_settings
from recon.connectors.pacing import reset_pacers
from recon.connectors.tokens import TokenFile, XeroTokenSource, connect_xero
from recon.connectors.xero import XeroConnector
from recon.errors import ConfigError, RateLimitError
from recon.sandbox.server import ThreadedServer
from recon.sandbox.xero import XeroEmulator

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def emu():
    emulator = XeroEmulator(seed="demo", limits={"minute": 1_000_000, "day": 1_000_000})
    server = ThreadedServer(emulator.app).start()
    yield emulator, server.url
    server.stop()


def _app_settings(url: str, token_file: Path, **extra: str) -> Any:
    """Settings of a configured (non-sandbox) Xero app pointing at the emulator."""
    env = {"RECON_XERO_CLIENT_ID": "sandbox-client", "RECON_XERO_CLIENT_SECRET": "sandbox-secret",
           "RECON_XERO_API_URL": url, "RECON_XERO_IDENTITY_URL": url, "RECON_TOKEN_FILE": str(token_file), **extra}
    return load_settings(env=env)


def _token_posts(url: str) -> int:
    routes = httpx.get(f"{url}/_sandbox/stats").json()["by_route"]
    return sum(n for r, n in routes.items() if r.startswith("POST") and "connect/token" in r)


# ---- the token file ------------------------------------------------------------------------------------

def test_the_token_file_is_private_and_keeps_other_profiles(tmp_path: Path) -> None:
    tf = TokenFile(tmp_path / "cfg" / "tokens.json")
    tf.write("a", {"xero": {"refresh_token": "r1"}})
    tf.write("b", {"xero": {"refresh_token": "r2"}})
    assert stat.S_IMODE(tf.path.stat().st_mode) == 0o600
    assert tf.read("a") == {"xero": {"refresh_token": "r1"}} and tf.read("b")["xero"]["refresh_token"] == "r2"
    assert not list(tf.path.parent.glob("*.tmp"))


def test_a_token_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("{}")
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        TokenFile(path).read("default")


# ---- client credentials -------------------------------------------------------------------------------

def test_client_credentials_token_is_fetched_again_before_it_expires(emu, tmp_path: Path) -> None:
    _, url = emu
    now = [1_000_000.0]
    settings = load_settings(env={"RECON_TOKEN_FILE": str(tmp_path / "t.json")}).with_sandbox_urls(url, None)
    source = XeroTokenSource(settings, clock=lambda: now[0])
    first = source.token()
    assert set(first) == {"access_token", "scope", "expires_in", "token_type", "expires_at", "refresh_token", "id_token"}
    assert first["expires_at"] is None  # the SDK must never try to refresh on its own
    now[0] += 1500
    assert source.token()["access_token"] == first["access_token"] and source.fetches == 1
    now[0] += 250  # within two minutes of the 30-minute lifetime
    assert source.token()["access_token"] != first["access_token"] and source.fetches == 2
    source.invalidate()
    source.token()
    assert source.fetches == 3
    assert not (tmp_path / "t.json").exists()  # custom-connection tokens stay in memory
    source.close()


# ---- authorisation code -------------------------------------------------------------------------------

def _connect(url: str, token_file: Path) -> dict[str, Any]:
    settings = _app_settings(url, token_file)
    return connect_xero(settings, opener=lambda u: httpx.get(u, follow_redirects=True, timeout=10))


def test_connect_xero_saves_rotating_tokens_and_the_connector_uses_them(emu, tmp_path: Path) -> None:
    emulator, url = emu
    token_file = tmp_path / "tokens.json"
    info = _connect(url, token_file)
    assert info["tenant_id"] == "sandbox-tenant"
    saved = TokenFile(token_file).read("default")["xero"]
    assert saved["refresh_token"] and saved["tenant_id"] == "sandbox-tenant"
    assert "sandbox-secret" not in token_file.read_text()
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600

    reset_pacers()
    now = [saved["obtained_at"] + 3600.0]  # the saved access token has expired
    settings = _app_settings(url, token_file)
    from recon.connectors.tokens import XeroTokenSource as Source
    with XeroConnector(settings, tokens=Source(settings, clock=lambda: now[0])) as xero:
        assert xero.tokens.mode == "authorization_code" and xero.tenant == "sandbox-tenant"
        pages = list(xero.fetch_kind("supplier"))
        assert pages and pages[0].records
    rotated = TokenFile(token_file).read("default")["xero"]
    assert rotated["refresh_token"] != saved["refresh_token"]  # the new refresh token was saved at once


def test_refresh_is_serialised_across_processes(emu, tmp_path: Path) -> None:
    _, url = emu
    token_file = tmp_path / "tokens.json"
    _connect(url, token_file)
    before = _token_posts(url)
    script = textwrap.dedent(f"""
        import time, json
        from recon.config import load_settings
        from recon.connectors.tokens import XeroTokenSource
        env = {{"RECON_XERO_CLIENT_ID": "sandbox-client", "RECON_XERO_CLIENT_SECRET": "sandbox-secret",
               "RECON_XERO_API_URL": "{url}", "RECON_XERO_IDENTITY_URL": "{url}", "RECON_TOKEN_FILE": "{token_file}"}}
        source = XeroTokenSource(load_settings(env=env), clock=lambda: time.time() + 3600)
        print(json.dumps(source.token()["access_token"]))
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(3)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    tokens = {json.loads(o[0]) for o in outs}
    assert len(tokens) == 1  # one process refreshed; the others read what it saved
    assert _token_posts(url) - before == 1


# ---- scopes: granular by default, the broad ones as a setting, a refusal that names the scope ------------

@pytest.mark.parametrize("app, scopes, refused", [
    ("new", "", None),                                  # the default: granular scopes
    ("new", "granular", None),
    ("new", "broad", "accounting.transactions"),
    ("new", "accounting.contacts accounting.transactions.read", "accounting.transactions.read"),
    ("old", "broad", None),
    ("old", "granular", None),
])
def test_scopes_follow_the_setting_and_a_refusal_names_the_scope(tmp_path: Path, app: str, scopes: str,
                                                                 refused: str | None) -> None:
    from recon.errors import AuthError
    from recon.sandbox import Sandbox

    extra = {"RECON_XERO_SCOPES": scopes} if scopes else {}
    with Sandbox(seed="empty", xero_app=app) as sb:
        for how in ("client credentials", "consent"):
            token_file = tmp_path / f"{how}.json"
            settings = _app_settings(sb.xero_url, token_file, **extra)
            try:
                if how == "consent":
                    connect_xero(settings, opener=lambda u: httpx.get(u, follow_redirects=True, timeout=10), timeout=20)
                    granted = TokenFile(token_file).read("default")["xero"]["scope"]
                else:
                    source = XeroTokenSource(settings)
                    granted = source.granted()
                    source.close()
            except AuthError as exc:
                assert refused is not None, f"{how}: {exc}"
                assert f"Xero refused the scope {refused} (invalid_scope)" in str(exc), str(exc)
                assert "2 March 2026" in str(exc) and 'xero_scopes = "granular"' in str(exc)
                continue
            assert refused is None, f"{how}: {refused} was granted"
            asked = set(settings.xero.scopes) - ({"offline_access"} if how == "client credentials" else set())
            assert set(granted.split()) == asked


def test_the_default_scopes_are_granular_and_the_broad_set_is_a_setting(tmp_path: Path) -> None:
    from recon.config import BROAD_SCOPES, GRANULAR_SCOPES
    from recon.connectors.tokens import missing_scopes

    env = {"RECON_XERO_CLIENT_ID": "c", "RECON_XERO_CLIENT_SECRET": "s"}
    assert load_settings(env=env).xero.scopes == GRANULAR_SCOPES
    assert "accounting.transactions" not in GRANULAR_SCOPES
    assert load_settings(env={**env, "RECON_XERO_SCOPES": "broad"}).xero.scopes == BROAD_SCOPES
    assert missing_scopes(" ".join(GRANULAR_SCOPES)) == {} and missing_scopes(" ".join(BROAD_SCOPES)) == {}
    assert missing_scopes("accounting.contacts accounting.settings.read") == {
        "purchase_order": "accounting.invoices", "bill": "accounting.invoices", "payment": "accounting.payments"}


# ---- SDK wiring ---------------------------------------------------------------------------------------

def test_each_connector_has_its_own_credentials_despite_the_configuration_singleton(emu, tmp_path: Path) -> None:
    _, url = emu
    a = XeroConnector(_app_settings(url, tmp_path / "a.json"))
    b = XeroConnector(_app_settings(url, tmp_path / "b.json", RECON_XERO_CLIENT_ID="other-client"))
    try:
        ta, tb = a.api_client.configuration.oauth2_token, b.api_client.configuration.oauth2_token
        assert ta is not tb and (ta.client_id, tb.client_id) == ("sandbox-client", "other-client")
        assert a.api.base_url == f"{url}/api.xro/2.0"
        retries = a.api_client.rest_client.pool_manager.connection_pool_kw["retries"]
        assert retries.total == 0 and not retries.respect_retry_after_header
        assert isinstance(a.timeout, tuple) and all(isinstance(t, int) for t in a.timeout)
    finally:
        a.close()
        b.close()


def test_a_429_is_not_retried_behind_our_back(emu, tmp_path: Path) -> None:
    emulator, url = emu
    reset_pacers()
    settings = load_settings(env={"RECON_TOKEN_FILE": str(tmp_path / "t.json")}).with_sandbox_urls(url, None)
    with XeroConnector(settings) as xero:
        xero.tokens.token()
        httpx.post(f"{url}/_sandbox/faults", json={"rate_429": 1.0, "retry_after": 1, "max_faults": 5, "methods": ["PUT"]})
        before = httpx.get(f"{url}/_sandbox/stats").json()["total"]
        from xero_python.accounting import models as xm
        try:
            with pytest.raises(RateLimitError) as err:
                xero._raw_call("create_contacts", (xm.Contacts(contacts=[xm.Contact(name="Nope")]),),
                               {"idempotency_key": "k"}, "PUT /Contacts")
        finally:
            httpx.post(f"{url}/_sandbox/faults", json={"rate_429": 0, "methods": [], "max_faults": None})
        assert err.value.retry_after == 1
        assert httpx.get(f"{url}/_sandbox/stats").json()["total"] - before == 1  # urllib3 sent it once


def _odd_xero_app() -> Starlette:
    """A tiny Xero look-alike whose contacts include values the SDK cannot deserialise."""
    contacts = [
        {"ContactID": "c-1", "Name": "Fine Ltd", "ContactStatus": "ACTIVE", "UpdatedDateUTC": "/Date(1552522946077+0000)/"},
        {"ContactID": "c-2", "Name": "Odd Ltd", "ContactStatus": "ACTIVE", "TaxNumberType": "TAXNUMBERTYPE/SSN",
         "UpdatedDateUTC": "/Date(1552522946077+0000)/"},
        {"ContactID": "c-3", "Name": "Bad Date Ltd", "ContactStatus": "ACTIVE", "UpdatedDateUTC": "2019-03-14"},
    ]

    async def token(request: Any) -> JSONResponse:
        return JSONResponse({"access_token": "at", "expires_in": 1800, "token_type": "Bearer", "scope": "x"})

    async def listing(request: Any) -> JSONResponse:
        return JSONResponse({"pagination": {"page": 1, "pageSize": 1000, "pageCount": 1, "itemCount": 3}, "Contacts": contacts})
    return Starlette(routes=[Route("/connect/token", token, methods=["POST"]),
                             Route("/api.xro/2.0/Contacts", listing, methods=["GET"])])


def test_records_the_sdk_cannot_read_are_kept_from_the_raw_json_with_a_warning(tmp_path: Path, caplog: Any) -> None:
    reset_pacers()
    server = ThreadedServer(_odd_xero_app()).start()
    try:
        settings = load_settings(env={"RECON_TOKEN_FILE": str(tmp_path / "t.json")}).with_sandbox_urls(server.url, None)
        with XeroConnector(settings) as xero:
            [page] = list(xero.fetch_kind("supplier"))
        assert [r["ContactID"] for r in page.records] == ["c-1", "c-2", "c-3"]
        assert len(page.warnings) == 2
        assert "c-2" in page.warnings[0] and "c-3" in page.warnings[1]
        assert "c-2" in caplog.text
    finally:
        server.stop()


# ---- token errors through the one table of lower-library errors (recon/connectors/failures.py) ---------------

def _closed_port_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"  # nobody listens once the socket is closed


def _failing_token_service() -> ThreadedServer:
    async def token(request: Any) -> JSONResponse:
        return JSONResponse({"error": "maintenance"}, status_code=503)
    return ThreadedServer(Starlette(routes=[Route("/connect/token", token, methods=["POST"])])).start()


@pytest.mark.parametrize("where, call, error, words", [
    ("closed", lambda s: XeroTokenSource(s).token(), "NotConnectedError", "xero POST /connect/token: could not connect"),
    ("failing", lambda s: XeroTokenSource(s).token(), "ServerError", "xero POST /connect/token HTTP 503: token service"),
    ("closed", lambda s: __import__("recon.connectors.tokens", fromlist=["connections"]).connections(s, "t"),
     "NotConnectedError", "xero GET /connections: could not connect"),
])
def test_token_failures_are_named_by_the_failures_table(tmp_path: Path, where, call, error, words) -> None:
    server = _failing_token_service() if where == "failing" else None
    try:
        settings = _app_settings(server.url if server else _closed_port_url(), tmp_path / "tokens.json")
        with pytest.raises(Exception) as caught:
            call(settings)
    finally:
        if server:
            server.stop()
    assert type(caught.value).__name__ == error and str(caught.value).startswith(words), caught.value
    assert caught.value.retryable
