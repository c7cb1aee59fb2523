"""The emulator's identity side: token grants, refresh rotation, the authorisation-code pair, 401s, connections."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from httpx import Response
import pytest
from xero_python.exceptions import HTTPStatusException

from recon.config import SANDBOX_XERO_CLIENT_ID as CID, SANDBOX_XERO_CLIENT_SECRET as SECRET
from xero_sdk import HTTP, TENANT, Sdk, emu, make_sdk, sdk, served  # noqa: F401  (fixtures)

ALLOWED_KEYS = {"access_token", "expires_in", "token_type", "scope", "refresh_token", "id_token"}


def _token(url: str, auth=None, **form) -> Response:
    return HTTP.post(f"{url}/connect/token", data=form, auth=auth)


@pytest.mark.parametrize("how", ["form", "basic"])
def test_client_credentials_in_form_or_basic_header(served, emu, how) -> None:
    r = (_token(served.url, grant_type="client_credentials", client_id=CID, client_secret=SECRET) if how == "form"
         else _token(served.url, auth=(CID, SECRET), grant_type="client_credentials"))
    assert r.status_code == 200
    body = r.json()
    assert set(body) <= ALLOWED_KEYS and "refresh_token" not in body
    assert (body["expires_in"], body["token_type"]) == (1800, "Bearer")


@pytest.mark.parametrize("form, auth, error", [
    ({"grant_type": "client_credentials", "client_id": CID, "client_secret": "wrong"}, None, "invalid_client"),
    ({"grant_type": "client_credentials"}, ("someone", SECRET), "invalid_client"),
    ({"grant_type": "client_credentials"}, None, "invalid_client"),
    ({"grant_type": "refresh_token", "refresh_token": "nope"}, (CID, SECRET), "invalid_grant"),
    ({"grant_type": "authorization_code", "code": "nope", "redirect_uri": "http://x/cb"}, (CID, SECRET), "invalid_grant"),
    ({"grant_type": "password"}, (CID, SECRET), "unsupported_grant_type"),
])
def test_token_errors_are_400_with_oauth_codes(served, emu, form, auth, error) -> None:
    r = _token(served.url, auth=auth, **form)
    assert (r.status_code, r.json()) == (400, {"error": error})


GRANULAR = "openid offline_access accounting.contacts accounting.settings accounting.invoices accounting.payments"


def _authorise(url: str, scope: str = GRANULAR) -> dict:
    r = HTTP.get(f"{url}/identity/connect/authorize", params={
        "response_type": "code", "client_id": CID, "redirect_uri": "http://localhost:8765/callback?x=1",
        "scope": scope, "state": "s-42"})
    assert r.status_code == 302
    target = urlsplit(r.headers["location"])
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert (target.netloc, target.path, query["state"], query["x"]) == ("localhost:8765", "/callback", "s-42", "1")
    r = _token(url, auth=(CID, SECRET), grant_type="authorization_code", code=query["code"],
               redirect_uri="http://localhost:8765/callback?x=1")
    assert r.status_code == 200, r.text
    return r.json()


def test_authorisation_code_then_sdk_refresh_rotates_refresh_tokens(served, emu) -> None:
    token = _authorise(served.url)
    assert set(token) <= ALLOWED_KEYS and token["refresh_token"]
    sdk = make_sdk(served.url, login=False)
    sdk.client.set_oauth2_token(token)
    new = sdk.client.refresh_oauth2_token()
    assert new["refresh_token"] != token["refresh_token"] and new["access_token"] != token["access_token"]
    assert sdk.acc.get_organisations(TENANT).organisations[0].name
    reused = _token(served.url, grant_type="refresh_token", refresh_token=token["refresh_token"],
                    client_id=CID, client_secret=SECRET)
    assert reused.json() == {"error": "invalid_grant"}
    code_reuse = HTTP.get(f"{served.url}/identity/connect/authorize", params={"client_id": "bad", "redirect_uri": "http://x/cb"})
    assert code_reuse.status_code == 400


def test_no_refresh_token_without_offline_access(served, emu) -> None:
    assert "refresh_token" not in _authorise(served.url, scope="accounting.contacts")


@pytest.mark.parametrize("headers, detail", [
    ({}, "AuthenticationUnsuccessful"),
    ({"Authorization": "Bearer not-a-token"}, "AuthenticationUnsuccessful"),
    ({"Authorization": "Basic abc"}, "AuthenticationUnsuccessful"),
])
def test_missing_or_wrong_bearer_is_401_with_xeros_body(served, emu, headers, detail) -> None:
    r = HTTP.get(f"{served.url}/api.xro/2.0/Contacts", headers=headers)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert r.json() == {"Type": None, "Title": "Unauthorized", "Status": 401, "Detail": detail}


def test_tokens_expire_after_30_minutes(served, sdk: Sdk) -> None:
    sdk.acc.get_contacts(TENANT)
    served.clock.advance(1801)
    with pytest.raises(HTTPStatusException) as err:
        sdk.acc.get_contacts(TENANT)
    assert err.value.status == 401
    assert b"TokenExpired: token expired at" in err.value.body
    sdk.client.get_client_credentials_token()  # what a client must do itself (the SDK never renews these)
    assert sdk.acc.get_contacts(TENANT).contacts == []


def test_connections_any_case_and_tenant_header(served, sdk: Sdk) -> None:
    [conn] = sdk.ident.get_connections()
    assert (conn.tenant_id, conn.tenant_type) == (TENANT, "ORGANISATION")
    auth = {"Authorization": f"Bearer {sdk.store['token']['access_token']}"}
    assert HTTP.get(f"{served.url}/connections", headers=auth).json()[0]["tenantId"] == TENANT
    assert HTTP.get(f"{served.url}/API.XRO/2.0/contacts", headers=auth).status_code == 200
    assert sdk.acc.get_contacts("").contacts == []  # a custom connection may send an empty tenant
    wrong = HTTP.get(f"{served.url}/api.xro/2.0/Contacts", headers={**auth, "xero-tenant-id": "other"})
    assert wrong.status_code == 403


# ---- new apps get granular scopes only (since 2 March 2026); old ones may still ask for the broad one ---------

def _consent(url: str, scope: str, client_id: str = CID) -> dict[str, str]:
    r = HTTP.get(f"{url}/identity/connect/authorize", params={
        "response_type": "code", "client_id": client_id, "redirect_uri": "http://localhost:8765/callback",
        "scope": scope, "state": "s-7"})
    assert r.status_code == 302, r.text
    return {k: v[0] for k, v in parse_qs(urlsplit(r.headers["location"]).query).items()}


@pytest.mark.parametrize("app, scope, refused", [
    ("new", "offline_access accounting.transactions accounting.contacts", True),
    ("new", "accounting.transactions.read", True),
    ("new", "accounting.reports.read accounting.settings", True),
    ("new", GRANULAR, False),
    ("old", "offline_access accounting.transactions accounting.contacts accounting.settings", False),
    ("old", GRANULAR, False),
])
def test_a_new_app_is_refused_the_broad_scopes_an_old_one_is_not(app, scope, refused) -> None:
    from datetime import date

    from recon.sandbox.xero import XeroEmulator
    from recon.sandbox.server import ThreadedServer
    from recon.sandbox.xero_auth import APP_CREATED

    emulator = XeroEmulator(seed="empty")
    emulator.identity.register_app("app-x", "secret-x", APP_CREATED[app])
    server = ThreadedServer(emulator.app).start()
    try:
        consent = _consent(server.url, scope, client_id="app-x")
        token = _token(server.url, auth=("app-x", "secret-x"), grant_type="client_credentials",
                       scope=" ".join(s for s in scope.split() if s not in ("openid", "offline_access")))
        if refused:
            assert (consent["error"], consent["error_description"], consent["state"]) == \
                ("invalid_scope", "Invalid scope for client", "s-7") and "code" not in consent
            assert (token.status_code, token.json()) == (400, {"error": "invalid_scope"})
        else:
            assert consent["code"] and "error" not in consent
            assert token.status_code == 200 and token.json()["scope"].split()[0] in scope.split()
        assert APP_CREATED["new"] == date(2026, 3, 2) > APP_CREATED["old"]
    finally:
        server.stop()


def test_a_token_request_naming_no_scope_gets_what_the_app_has(served, emu) -> None:
    body = _token(served.url, auth=(CID, SECRET), grant_type="client_credentials").json()
    assert set(body["scope"].split()) == {"accounting.contacts", "accounting.settings", "accounting.invoices",
                                          "accounting.payments"}
