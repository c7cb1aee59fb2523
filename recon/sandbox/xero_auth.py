"""The identity side of the Xero emulator: ``/connect/token``, the authorisation-code pair, ``/connections``
and bearer checks (reference/xero-api.md sections 3, 15 and 19).

Access tokens live 30 minutes on the injected clock. Client-credentials tokens carry no refresh token;
authorisation-code tokens do, and refresh tokens rotate: each is good for one refresh only.
Token replies carry only the keys ``xero-python``'s ``update_token`` accepts.

Apps are registered with the day they were created, as Xero tells them apart since 2 March 2026: a *new*
app gets granular scopes only, and asking for a deprecated broad one (``accounting.transactions``,
``accounting.reports.read``) is refused with ``invalid_scope`` (at ``/connect/token``, and as a redirect
back with ``error=invalid_scope`` at the consent page); an *old* app accepts both kinds. The sandbox's
public client is a new app unless the emulator is told otherwise (:meth:`Identity.register_app`).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Callable
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from recon.config import (BROAD_SCOPES, DEPRECATED_SCOPES, GRANULAR_SCOPES, SANDBOX_XERO_CLIENT_ID,
                          SANDBOX_XERO_CLIENT_SECRET, SANDBOX_XERO_TENANT_ID)

ACCESS_SECONDS = 1800
REFRESH_SECONDS = 60 * 24 * 3600
CODE_SECONDS = 300
#: apps created on or after this day get granular scopes only
GRANULAR_ONLY_FROM = date(2026, 3, 2)
#: the day the sandbox's public client counts as created, by the kind of app it plays
APP_CREATED = {"new": GRANULAR_ONLY_FROM, "old": date(2025, 6, 1)}
TENANT_NAME = "recon sandbox company"
CONNECTION_ID = "6c5f9a3e-2b1d-4a7c-9e80-3f4d5c6b7a81"
AUTH_EVENT_ID = "0e4d3c2b-1a09-4f8e-8d7c-6b5a49382716"
CONNECTED_AT = "2026-01-01T00:00:00.0000000"


@dataclass(frozen=True)
class App:
    """A registered Xero app (or custom connection)."""

    client_id: str
    client_secret: str
    created: date

    @property
    def granular_only(self) -> bool:
        return self.created >= GRANULAR_ONLY_FROM

    @property
    def default_scope(self) -> str:
        """What a token request that names no scope gets: everything the app was set up with."""
        scopes = GRANULAR_SCOPES if self.granular_only else BROAD_SCOPES
        return " ".join(s for s in scopes if s != "offline_access")

    def refused(self, scope: str) -> list[str]:
        """The scopes of ``scope`` this app may not ask for."""
        return [s for s in scope.split() if self.granular_only and s in DEPRECATED_SCOPES]


@dataclass
class Grant:
    client_id: str
    scope: str
    expires_at: float
    redirect_uri: str = ""


class TokenError(Exception):
    """An OAuth2 error reply: ``{"error": code}`` with HTTP 400 (401 for a bad client on Basic auth)."""

    def __init__(self, code: str, status: int = 400) -> None:
        super().__init__(code)
        self.code, self.status = code, status


class Identity:
    """Issued tokens, codes and refresh tokens for the one sandbox client and tenant."""

    def __init__(self, clock: Callable[[], float], app: str = "new") -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self.client_id, self.client_secret, self.tenant_id = (
            SANDBOX_XERO_CLIENT_ID, SANDBOX_XERO_CLIENT_SECRET, SANDBOX_XERO_TENANT_ID)
        self.apps: dict[str, App] = {}
        self.register_app(self.client_id, self.client_secret, APP_CREATED[app])
        self.access: dict[str, Grant] = {}
        self.refresh: dict[str, Grant] = {}
        self.codes: dict[str, Grant] = {}

    def register_app(self, client_id: str, client_secret: str, created: date) -> App:
        """Register an app (or re-register it as created on another day)."""
        with self._lock:
            self.apps[client_id] = app = App(client_id, client_secret, created)
        return app

    # ------------------------------------------------------------ token endpoint
    def token(self, form: dict[str, str], authorization: str | None) -> dict[str, object]:
        """Answer ``POST /connect/token``; raises :class:`TokenError`."""
        app = self.token_client(form, authorization)
        grant_type = form.get("grant_type", "")
        now = self.clock()
        with self._lock:
            if grant_type == "client_credentials":
                scope = form.get("scope") or app.default_scope
                if app.refused(scope):
                    raise TokenError("invalid_scope")
                return self._issue(app, scope, now, with_refresh=False)
            if grant_type == "authorization_code":
                grant = self.codes.pop(form.get("code", ""), None)
                if grant is None or grant.expires_at <= now or grant.client_id != app.client_id \
                        or grant.redirect_uri != form.get("redirect_uri", grant.redirect_uri):
                    raise TokenError("invalid_grant")
                return self._issue(app, grant.scope, now, with_refresh="offline_access" in grant.scope.split())
            if grant_type == "refresh_token":
                grant = self.refresh.pop(form.get("refresh_token", ""), None)  # rotation: one use each
                if grant is None or grant.expires_at <= now or grant.client_id != app.client_id:
                    raise TokenError("invalid_grant")
                scope = form.get("scope") or grant.scope
                if app.refused(scope):
                    self.refresh[form["refresh_token"]] = grant  # a refused request spends nothing
                    raise TokenError("invalid_scope")
                return self._issue(app, scope, now, with_refresh=True)
        raise TokenError("unsupported_grant_type")

    def _issue(self, app: App, scope: str, now: float, with_refresh: bool) -> dict[str, object]:
        access = secrets.token_urlsafe(32)
        self.access[access] = Grant(app.client_id, scope, now + ACCESS_SECONDS)
        reply: dict[str, object] = {"access_token": access, "expires_in": ACCESS_SECONDS, "token_type": "Bearer",
                                    "scope": scope}
        if with_refresh:
            refresh = secrets.token_urlsafe(32)
            self.refresh[refresh] = Grant(app.client_id, scope, now + REFRESH_SECONDS)
            reply["refresh_token"] = refresh
        return reply

    def revoke(self, form: dict[str, str], authorization: str | None) -> None:
        """``POST /connect/revocation``: forget a refresh token (unknown tokens are fine, per RFC 7009)."""
        self.token_client(form, authorization)
        with self._lock:
            self.refresh.pop(form.get("token", ""), None)

    def token_client(self, form: dict[str, str], authorization: str | None) -> App:
        """Check the client credentials, from the form body or a Basic header (Xero's docs use the header);
        return the app they belong to."""
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(authorization[6:].strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise TokenError("invalid_client") from None
        app = self.apps.get(client_id or "")
        if app is None or secret != app.client_secret:
            raise TokenError("invalid_client")
        return app

    # ------------------------------------------------------------ authorisation code
    def authorize(self, query: dict[str, str]) -> str:
        """``GET /identity/connect/authorize``: consent at once; the URL to redirect to (code and state, or
        ``error=invalid_scope`` when the app may not ask for a scope)."""
        app = self.apps.get(query.get("client_id") or "")
        if app is None:
            raise TokenError("invalid_client")
        if query.get("response_type", "code") != "code":
            raise TokenError("unsupported_response_type")
        redirect = query.get("redirect_uri", "")
        parts = urlsplit(redirect)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise TokenError("invalid_request")
        scope = query.get("scope") or app.default_scope
        params = parse_qs(parts.query)
        if app.refused(scope):
            params.update({"error": ["invalid_scope"], "error_description": ["Invalid scope for client"]})
        else:
            code = secrets.token_urlsafe(24)
            with self._lock:
                self.codes[code] = Grant(app.client_id, scope, self.clock() + CODE_SECONDS, redirect)
            params.update({"code": [code], "scope": [scope]})
        if "state" in query:
            params["state"] = [query["state"]]
        return urlunsplit(parts._replace(query=urlencode(params, doseq=True)))

    # ------------------------------------------------------------ bearer checks
    def check_bearer(self, authorization: str | None) -> tuple[int, str] | None:
        """None when the bearer token is good, else (status, detail) for the 401 reply."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return 401, "AuthenticationUnsuccessful"
        grant = self.access.get(authorization[7:].strip())
        if grant is None:
            return 401, "AuthenticationUnsuccessful"
        if grant.expires_at <= self.clock():
            when = datetime.fromtimestamp(grant.expires_at, timezone.utc).strftime("%m/%d/%Y %H:%M:%S")
            return 401, f"TokenExpired: token expired at {when}"
        return None

    def tenant_of(self, authorization: str | None) -> str | None:
        """The rate-limit key of a request: the tenant its (valid) bearer token may reach."""
        return self.tenant_id if self.check_bearer(authorization) is None else None

    def connections(self) -> list[dict[str, str]]:
        return [{"id": CONNECTION_ID, "authEventId": AUTH_EVENT_ID, "tenantId": self.tenant_id,
                 "tenantType": "ORGANISATION", "tenantName": TENANT_NAME, "createdDateUtc": CONNECTED_AT,
                 "updatedDateUtc": CONNECTED_AT}]
