"""Settings and profiles: the only place recon reads the environment and config files.

Everything else receives a :class:`Settings` and passes it down. With no Xero or Precoro settings at all,
each system falls back to the built-in sandbox (``sandbox=True``) and its fixed public credentials; the
caller starts the sandbox and fills in its URLs with :meth:`Settings.with_sandbox_urls`.

Sources, later ones winning: built-in defaults, the ``[profile.NAME]`` table of ``recon.toml`` (looked up
in ``RECON_CONFIG``, the working directory, then ``~/.config/recon/recon.toml``), then ``RECON_*``
environment variables. Keys in ``recon.toml`` are the variable names without ``RECON_``, lower-cased
(``xero_client_id = "..."``). ``RECON_SANDBOX_XERO_URL`` / ``RECON_SANDBOX_PRECORO_URL`` (environment only)
point the sandboxed systems at an already running sandbox.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

from recon.errors import ConfigError

#: Fixed, public credentials of the sandbox (DESIGN.md section 4).
SANDBOX_XERO_CLIENT_ID = "sandbox-client"
SANDBOX_XERO_CLIENT_SECRET = "sandbox-secret"
SANDBOX_XERO_TENANT_ID = "sandbox-tenant"
SANDBOX_PRECORO_TOKEN = "sandbox-token"
SANDBOX_PRECORO_EMAIL = "sandbox@example.com"

XERO_KEYS = ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET", "XERO_TENANT_ID", "XERO_API_URL", "XERO_IDENTITY_URL")
PRECORO_KEYS = ("PRECORO_TOKEN", "PRECORO_EMAIL", "PRECORO_BASE_URL")
OTHER_KEYS = ("STATE", "REPORTS_DIR", "TOKEN_FILE", "TIMEOUT", "USER")
ALL_KEYS = XERO_KEYS + PRECORO_KEYS + OTHER_KEYS


@dataclass(frozen=True)
class XeroSettings:
    """Where and as whom recon talks to Xero. Secrets are kept out of ``repr``."""

    api_url: str = "https://api.xero.com"
    identity_url: str = "https://identity.xero.com"
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    tenant_id: str = ""
    sandbox: bool = False


@dataclass(frozen=True)
class PrecoroSettings:
    """Where and as whom recon talks to Precoro. The token is kept out of ``repr``."""

    base_url: str = "https://api.precoro.com"
    token: str = field(default="", repr=False)
    email: str = ""
    sandbox: bool = False


@dataclass(frozen=True)
class Settings:
    """All settings of one profile, read once and passed down."""

    profile: str = "default"
    xero: XeroSettings = field(default_factory=XeroSettings)
    precoro: PrecoroSettings = field(default_factory=PrecoroSettings)
    state_path: Path = Path("recon-state.sqlite")
    reports_dir: Path = Path("reports")
    token_file: Path = Path.home() / ".config" / "recon" / "tokens.json"
    timeout: float = 30.0
    user: str = ""
    #: signs the approvals chain's head (recon.chain); from the environment or a file, never from recon.toml
    approvals_key: bytes = field(default=b"", repr=False)

    @property
    def uses_sandbox(self) -> bool:
        """True when either system is served by the built-in sandbox."""
        return self.xero.sandbox or self.precoro.sandbox

    @property
    def needs_sandbox(self) -> bool:
        """True when a sandboxed system has no running sandbox to talk to, so the caller must start one."""
        return (self.xero.sandbox and not self.xero.api_url) or (self.precoro.sandbox and not self.precoro.base_url)

    def with_sandbox_urls(self, xero_url: str | None, precoro_url: str | None) -> "Settings":
        """Point the sandboxed systems at running emulators (one base URL serves Xero's API and identity)."""
        xero, precoro = self.xero, self.precoro
        if xero.sandbox and xero_url:
            xero = replace(xero, api_url=xero_url.rstrip("/"), identity_url=xero_url.rstrip("/"))
        if precoro.sandbox and precoro_url:
            precoro = replace(precoro, base_url=precoro_url.rstrip("/"))
        return replace(self, xero=xero, precoro=precoro)

    def describe(self) -> str:
        """One line for the terminal and the report, with no secret in it."""
        x = "sandbox" if self.xero.sandbox else self.xero.api_url
        p = "sandbox" if self.precoro.sandbox else self.precoro.base_url
        return f"profile {self.profile}: Xero {x}, Precoro {p}"


def _find_config_file(env: Mapping[str, str]) -> Path | None:
    if env.get("RECON_CONFIG"):
        path = Path(env["RECON_CONFIG"]).expanduser()
        if not path.is_file():
            raise ConfigError(f"RECON_CONFIG points at {path}, which is not a file")
        return path
    for candidate in (Path.cwd() / "recon.toml", Path.home() / ".config" / "recon" / "recon.toml"):
        if candidate.is_file():
            return candidate
    return None


def _profile_values(path: Path | None, profile: str) -> dict[str, str]:
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    profiles = data.get("profile", {})
    if profile not in profiles:
        if profile == "default":
            return {}
        raise ConfigError(f"{path} has no [profile.{profile}] table (it has: {', '.join(sorted(profiles)) or 'none'})")
    values = {}
    for key, value in profiles[profile].items():
        upper = key.upper()
        if upper not in ALL_KEYS:
            raise ConfigError(f"{path} [profile.{profile}]: unknown key {key!r}; known: {', '.join(k.lower() for k in ALL_KEYS)}")
        values[upper] = str(value)
    return values


def _approvals_key(env: Mapping[str, str]) -> bytes:
    """``RECON_APPROVALS_KEY`` (text), or the contents of the file ``RECON_APPROVALS_KEY_FILE``; none: ``b""``.

    Outside the state file on purpose: whoever can rewrite the state must not find the key there."""
    text, path = env.get("RECON_APPROVALS_KEY", ""), env.get("RECON_APPROVALS_KEY_FILE", "")
    if text and path:
        raise ConfigError("set RECON_APPROVALS_KEY or RECON_APPROVALS_KEY_FILE, not both")
    if path:
        try:
            key = Path(path).expanduser().read_bytes().strip()
        except OSError as exc:
            raise ConfigError(f"RECON_APPROVALS_KEY_FILE {path}: cannot read the approvals key: {exc.strerror}") from None
        source = f"the file {path} (RECON_APPROVALS_KEY_FILE)"
    else:
        key, source = text.encode(), "RECON_APPROVALS_KEY"
    if key and len(key) < 16:
        raise ConfigError(f"the approvals key in {source} is too short: use at least 16 characters")
    return key


def load_settings(profile: str | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings of ``profile`` (default: ``RECON_PROFILE`` or ``"default"``).

    ``env`` defaults to ``os.environ``; tests pass their own mapping.
    """
    env = os.environ if env is None else env
    profile = profile or env.get("RECON_PROFILE") or "default"
    values = _profile_values(_find_config_file(env), profile)
    values.update({k: env[f"RECON_{k}"] for k in ALL_KEYS if env.get(f"RECON_{k}")})

    if any(k in values for k in XERO_KEYS):
        missing = [f"RECON_{k}" for k in ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET") if not values.get(k)]
        if missing:
            raise ConfigError(f"Xero settings are partly configured: missing {', '.join(missing)}")
        xero = XeroSettings(
            api_url=values.get("XERO_API_URL", XeroSettings.api_url).rstrip("/"),
            identity_url=values.get("XERO_IDENTITY_URL", XeroSettings.identity_url).rstrip("/"),
            client_id=values["XERO_CLIENT_ID"],
            client_secret=values["XERO_CLIENT_SECRET"],
            tenant_id=values.get("XERO_TENANT_ID", ""),
        )
    else:
        xero = XeroSettings(
            api_url="", identity_url="", client_id=SANDBOX_XERO_CLIENT_ID,
            client_secret=SANDBOX_XERO_CLIENT_SECRET, tenant_id=SANDBOX_XERO_TENANT_ID, sandbox=True,
        )

    if any(k in values for k in PRECORO_KEYS):
        missing = [f"RECON_{k}" for k in ("PRECORO_TOKEN", "PRECORO_EMAIL") if not values.get(k)]
        if missing:
            raise ConfigError(f"Precoro settings are partly configured: missing {', '.join(missing)}")
        precoro = PrecoroSettings(
            base_url=values.get("PRECORO_BASE_URL", PrecoroSettings.base_url).rstrip("/"),
            token=values["PRECORO_TOKEN"],
            email=values["PRECORO_EMAIL"],
        )
    else:
        precoro = PrecoroSettings(base_url="", token=SANDBOX_PRECORO_TOKEN, email=SANDBOX_PRECORO_EMAIL, sandbox=True)

    try:
        timeout = float(values.get("TIMEOUT", Settings.timeout))
    except ValueError as exc:
        raise ConfigError(f"RECON_TIMEOUT must be a number of seconds, not {values['TIMEOUT']!r}") from exc

    defaults = Settings()
    settings = Settings(
        approvals_key=_approvals_key(env),
        profile=profile,
        xero=xero,
        precoro=precoro,
        state_path=Path(values["STATE"]).expanduser() if "STATE" in values else defaults.state_path,
        reports_dir=Path(values["REPORTS_DIR"]).expanduser() if "REPORTS_DIR" in values else defaults.reports_dir,
        token_file=Path(values["TOKEN_FILE"]).expanduser() if "TOKEN_FILE" in values else defaults.token_file,
        timeout=timeout,
        user=values.get("USER") or env.get("USER") or env.get("USERNAME") or "unknown",
    )
    # A running sandbox (``recon lab``, ``recon demo``) tells kernels where it listens; only the sandboxed
    # systems follow it, and these variables carry URLs, never credentials.
    return settings.with_sandbox_urls(env.get("RECON_SANDBOX_XERO_URL"), env.get("RECON_SANDBOX_PRECORO_URL"))
