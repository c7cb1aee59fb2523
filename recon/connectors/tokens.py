"""Xero tokens: custom-connection (client credentials) and authorisation-code, plus the token file.

* **Client credentials** (custom connections): the token is kept in memory and fetched again before its
  lifetime (30 minutes) is up, or at once after a 401 (:meth:`XeroTokenSource.invalidate`). The SDK would
  never renew it: Xero's reply has no ``expires_at``.
* **Authorisation code** (``recon connect xero``): browser consent with a loopback redirect; the reply,
  including the refresh token, is saved in the token file at once. Refresh tokens rotate, so every refresh
  runs under an exclusive file lock (``filelock``: the same on Linux, macOS and Windows) and re-reads the
  file first: two processes never spend the same refresh token.

**Scopes** come from the settings (``xero_scopes``): Xero's granular scopes by default, the broad
``accounting.transactions`` set for apps created before 2 March 2026 that still use it. When Xero refuses a
scope (``invalid_scope``), the error names the scopes asked for and what to change.

The token file (``Settings.token_file``) is JSON keyed by profile, created with mode 0600 and rewritten
atomically; it never holds the client secret. Token requests use httpx with a timeout (the SDK's own token
calls have none).
"""

from __future__ import annotations

import base64
import datetime as dt
import contextlib
import json
import logging
import os
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx

from recon.config import DEPRECATED_SCOPES, GRANULAR_SCOPES, Settings
from recon.connectors.failures import translated
from recon.errors import AuthError, ConfigError, DailyLimitError, RateLimitError, ServerError, TransientError
from recon.private import make_dir

log = logging.getLogger("recon.connectors")

#: Keys the SDK's ``OAuth2Token.update_token`` accepts; any other key makes every SDK call fail.
SDK_TOKEN_KEYS = ("access_token", "scope", "expires_in", "token_type", "expires_at", "refresh_token", "id_token")
DEFAULT_SCOPES = GRANULAR_SCOPES
#: what each kind needs of Xero: a granular scope, or (apps that still use them) a broad one; any of each set
NEEDED_SCOPES: dict[str, tuple[str, ...]] = {
    "supplier": ("accounting.contacts",),
    "item": ("accounting.settings", "accounting.settings.read", "accounting.invoices", "accounting.invoices.read"),
    "account": ("accounting.settings", "accounting.settings.read"),
    "tracking_option": ("accounting.settings", "accounting.settings.read"),
    "tax_rate": ("accounting.settings", "accounting.settings.read"),
    "purchase_order": ("accounting.invoices", "accounting.transactions"),
    "bill": ("accounting.invoices", "accounting.transactions"),
    "payment": ("accounting.payments", "accounting.payments.read", "accounting.transactions",
                "accounting.transactions.read"),
}


def missing_scopes(granted: str | tuple[str, ...], kinds: tuple[str, ...] | None = None) -> dict[str, str]:
    """Kinds whose needs ``granted`` does not meet, each with the scope to add (the granular one)."""
    have = set(granted.split() if isinstance(granted, str) else granted)
    return {kind: needs[0] for kind, needs in NEEDED_SCOPES.items()
            if (kinds is None or kind in kinds) and not have & set(needs)}


def scope_refused(asked: tuple[str, ...] | list[str], error: str) -> AuthError:
    """Xero's ``invalid_scope`` as a message that names the scope and what to change."""
    broad = [s for s in asked if s in DEPRECATED_SCOPES]
    if broad:
        message = (f"Xero refused the scope {', '.join(broad)} ({error}): apps created on or after 2 March 2026 "
                   "get only granular scopes. Use the default xero_scopes = \"granular\" "
                   f"({' '.join(GRANULAR_SCOPES)}), or migrate the app in Xero's developer portal")
    else:
        message = (f"Xero refused the scopes asked for, {' '.join(asked)} ({error}): give the app (or custom "
                   "connection) those scopes in Xero's developer portal, or set xero_scopes to the ones it has")
    return AuthError(message, system="xero", operation="POST /connect/token")
REAL_IDENTITY = "https://identity.xero.com"
REAL_LOGIN = "https://login.xero.com"


class TokenFile:
    """A JSON file of tokens per profile, readable by the user alone, with a cross-process lock."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser()

    def read(self, profile: str) -> dict[str, Any]:
        """The saved entry of ``profile`` (``{}`` when none); refuses a file others can read."""
        if not self.path.exists():
            return {}
        mode = self.path.stat().st_mode & 0o777
        if mode & 0o077 and os.name != "nt":  # Windows keeps access in ACLs (the per-user folder), not mode bits
            raise ConfigError(f"token file {self.path} is readable by others (mode {mode:o}); run chmod 600 {self.path}")
        try:
            data = json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read token file {self.path}: {exc}") from exc
        return dict(data.get(profile, {}))

    def write(self, profile: str, entry: dict[str, Any]) -> None:
        """Replace the entry of ``profile`` atomically; the file is created with mode 0600."""
        make_dir(self.path.parent)
        data: dict[str, Any] = {}
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text() or "{}")
            except ValueError:
                data = {}
        data[profile] = entry
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        os.chmod(self.path, 0o600)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive lock shared by every process using this token file."""
        from filelock import FileLock

        make_dir(self.path.parent)
        with FileLock(str(self.path.with_name(self.path.name + ".lock")), mode=0o600):
            yield


def sdk_token(token: dict[str, Any]) -> dict[str, Any]:
    """Only the keys the SDK accepts, with ``expires_at`` cleared so the SDK never refreshes on its own."""
    out = {k: token.get(k) for k in SDK_TOKEN_KEYS}
    out["expires_at"] = None
    out["token_type"] = out["token_type"] or "Bearer"
    return out


class XeroTokenSource:
    """Hands out a valid Xero access token, renewing it before it expires."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time, margin: float = 120.0) -> None:
        self.settings = settings
        self.clock = clock
        self.margin = margin
        self.file = TokenFile(settings.token_file)
        self._lock = threading.Lock()
        self._token: dict[str, Any] | None = None
        self._http = httpx.Client(timeout=max(5.0, settings.timeout))
        saved = self._saved()
        self.mode = "authorization_code" if saved.get("refresh_token") else "client_credentials"
        self.fetches = 0

    def _saved(self) -> dict[str, Any]:
        if self.settings.xero.sandbox and not self.file.path.exists():
            return {}
        entry = self.file.read(self.settings.profile).get("xero", {})
        if entry and entry.get("client_id") not in (None, self.settings.xero.client_id):
            return {}  # saved for another app
        return entry

    @property
    def token_url(self) -> str:
        return self.settings.xero.identity_url.rstrip("/") + "/connect/token"

    def tenant_id(self) -> str:
        """The tenant saved at connect time (authorisation-code mode), else ``""``."""
        return str(self._saved().get("tenant_id") or "")

    def _expired(self, token: dict[str, Any]) -> bool:
        lifetime = float(token.get("expires_in") or 1800)
        margin = min(self.margin, lifetime / 4)
        return self.clock() >= float(token.get("obtained_at", 0)) + lifetime - margin

    def token(self) -> dict[str, Any]:
        """A token dict for the SDK getter (only the keys it accepts)."""
        with self._lock:
            if self._token is None or self._expired(self._token):
                self._token = self._renew()
            return sdk_token(self._token)

    def invalidate(self) -> None:
        """Forget the current access token (after a 401) so the next call renews it."""
        with self._lock:
            if self._token is not None:
                self._token["obtained_at"] = 0

    def granted(self) -> str:
        """The scopes of the current token, as Xero granted them (space-separated)."""
        return str(self.token().get("scope") or "")

    def _renew(self) -> dict[str, Any]:
        if self.mode == "client_credentials":
            # a custom connection has no refresh token: offline_access is not for it
            asked = [s for s in self.settings.xero.scopes if s != "offline_access"]
            return self._post({"grant_type": "client_credentials", "scope": " ".join(asked)}, asked)
        with self.file.lock():
            saved = self._saved()
            if saved.get("access_token") and not self._expired(saved) and saved.get("access_token") != (self._token or {}).get("access_token"):
                return saved  # another process refreshed it while we waited
            if not saved.get("refresh_token"):
                raise AuthError("no refresh token saved; run `recon connect xero`", system="xero", operation="refresh")
            new = self._post({"grant_type": "refresh_token", "refresh_token": saved["refresh_token"]})
            new.setdefault("refresh_token", saved["refresh_token"])
            entry = {**saved, **new}
            self.file.write(self.settings.profile, {**self.file.read(self.settings.profile), "xero": entry})
            return entry

    def _post(self, form: dict[str, str], asked: list[str] | None = None) -> dict[str, Any]:
        x = self.settings.xero
        basic = base64.b64encode(f"{x.client_id}:{x.client_secret}".encode()).decode()
        with translated("xero", "POST /connect/token"):  # the one table of lower-library errors
            r = self._http.post(self.token_url, data=form, headers={"Authorization": f"Basic {basic}",
                                                                  "Accept": "application/json"})
        if r.status_code == 429:
            retry = float(r.headers.get("retry-after") or 60)
            if r.headers.get("x-rate-limit-problem") == "day":
                raise DailyLimitError("Xero's daily call limit is spent", system="xero", operation="POST /connect/token",
                                      status=429, resume_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=retry))
            raise RateLimitError("token endpoint rate limit", system="xero", operation="POST /connect/token",
                                 status=429, retry_after=retry)
        if r.status_code >= 500:
            raise ServerError("token service failed", system="xero", operation="POST /connect/token", status=r.status_code)
        if r.status_code != 200:
            error = _json(r).get("error", r.text[:200])
            if error in ("invalid_scope", "unauthorized_client") and asked:
                raise scope_refused(asked, error)
            raise AuthError(f"token refused: {error}", system="xero", operation="POST /connect/token", status=r.status_code)
        self.fetches += 1
        data = _json(r)
        token = {k: data.get(k) for k in SDK_TOKEN_KEYS if data.get(k) is not None}
        token["obtained_at"] = self.clock()
        log.info("xero token obtained (%s, expires in %ss)", self.mode, token.get("expires_in"))
        return token

    def close(self) -> None:
        self._http.close()


def _json(r: httpx.Response) -> dict[str, Any]:
    try:
        data = r.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def connections(settings: Settings, access_token: str) -> list[dict[str, Any]]:
    """The organisations the token may reach (``GET /connections``); an :class:`AuthError` when refused."""
    with httpx.Client(timeout=max(5.0, settings.timeout)) as http:
        with translated("xero", "GET /connections"):
            r = http.get(settings.xero.api_url.rstrip("/") + "/connections",
                         headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"})
    if r.status_code != 200:
        raise AuthError(f"connections refused: {r.text[:200]}", system="xero", operation="GET /connections",
                        status=r.status_code)
    body = _json_list(r)
    return [c for c in body if isinstance(c, dict)]


def _json_list(r: httpx.Response) -> list[Any]:
    try:
        data = r.json()
    except ValueError:
        return []
    return data if isinstance(data, list) else []


class _CallbackHandler(BaseHTTPRequestHandler):
    result: dict[str, str] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        type(self).result.update(query)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        self.wfile.write(b"recon is connected to Xero. You can close this window.")

    def log_message(self, *args: Any) -> None:  # keep codes out of logs
        return


def connect_xero(settings: Settings, *, opener: Callable[[str], Any] | None = None,
                 scopes: tuple[str, ...] | None = None, timeout: float = 300.0) -> dict[str, Any]:
    """The authorisation-code flow: open the consent page, receive the code on a loopback redirect,
    exchange it, pick the tenant, and save the tokens in the token file. Returns the saved entry
    without its secrets (``tenant_id``, ``tenant_name``, ``scope``). ``scopes`` default to the settings'."""
    import webbrowser

    x = settings.xero
    scopes = tuple(scopes or x.scopes)
    if not x.client_id or not x.client_secret:
        raise ConfigError("set RECON_XERO_CLIENT_ID and RECON_XERO_CLIENT_SECRET before `recon connect xero`")
    handler = type("Handler", (_CallbackHandler,), {"result": {}})
    server = HTTPServer(("127.0.0.1", 0), handler)
    redirect = f"http://127.0.0.1:{server.server_address[1]}/callback"
    state = secrets.token_urlsafe(16)
    login = REAL_LOGIN if x.identity_url.rstrip("/") == REAL_IDENTITY else x.identity_url.rstrip("/")
    url = f"{login}/identity/connect/authorize?" + urllib.parse.urlencode({
        "response_type": "code", "client_id": x.client_id, "redirect_uri": redirect,
        "scope": " ".join(scopes), "state": state})
    thread = threading.Thread(target=server.handle_request, daemon=True)
    server.timeout = timeout
    thread.start()
    try:
        (opener or webbrowser.open)(url)
        thread.join(timeout)
    finally:
        server.server_close()
    result = handler.result
    if result.get("state") != state:
        raise AuthError("the consent reply did not come back (or its state did not match)", system="xero",
                        operation="authorize")
    if result.get("error") in ("invalid_scope", "unauthorized_client"):
        raise scope_refused(list(scopes), result["error"])
    if "code" not in result:
        raise AuthError(f"consent refused: {result.get('error', 'no code')}", system="xero", operation="authorize")
    source = XeroTokenSource(settings)
    try:
        token = source._post({"grant_type": "authorization_code", "code": result["code"], "redirect_uri": redirect})
    finally:
        source.close()
    tenant_id, tenant_name = x.tenant_id, ""
    try:
        conns = connections(settings, token["access_token"])
    except (AuthError, TransientError):  # the tokens are good; the tenant can be set by hand
        conns = []
    if conns:
        chosen = next((c for c in conns if c.get("tenantId") == tenant_id), conns[0])
        tenant_id, tenant_name = chosen.get("tenantId", ""), chosen.get("tenantName", "")
    entry = {**token, "client_id": x.client_id, "tenant_id": tenant_id, "tenant_name": tenant_name}
    tf = TokenFile(settings.token_file)
    with tf.lock():
        tf.write(settings.profile, {**tf.read(settings.profile), "xero": entry})
    return {"tenant_id": tenant_id, "tenant_name": tenant_name, "scope": token.get("scope", "")}
