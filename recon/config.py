"""Settings and profiles: the only place recon reads the environment and config files.

Everything else receives a :class:`Settings` and passes it down. Sources, later ones winning: built-in
defaults, the ``[profile.NAME]`` table of ``recon.toml`` (``RECON_CONFIG``, else ``recon.toml`` in the per-user
config folder: ``~/.config/recon/`` on Linux), then ``RECON_*`` environment variables. Keys in ``recon.toml``
are the variable names without ``RECON_``, lower-cased (``xero_client_id = "..."``).

**Profiles.** ``default`` and ``sandbox`` always exist; any other name must be a table of the config file, or
it is an error (with or without a config file). With no Xero or Precoro credentials at all, ``default`` *is*
the sandbox: both systems are served by the built-in emulators and their fixed public credentials.

**Where state lives.** The state file and the reports folder belong to the profile and are resolved here,
once, to absolute paths: ``state``/``reports_dir`` from the environment must be absolute; in ``recon.toml``
they may be relative to the file itself. Otherwise both live in the profile's folder under the per-user data
folder (``RECON_DATA_DIR``, else platformdirs' user data folder: ``~/.local/share/recon`` on Linux)::

    <data>/profiles/<profile>/state.sqlite
    <data>/profiles/<profile>/reports/<run_id>/

Never the working folder: JupyterLab kernels (started in ``notebooks/``), ``recon run``, plain papermill,
cron, systemd and Airflow each start somewhere else, and must all see the same state.

**Many organisations** (a bookkeeping firm, :mod:`recon.profiles`): besides its ``[profile.NAME]`` tables,
``recon.toml`` may have a ``[defaults]`` table whose keys every profile of the file takes unless it sets its own
(the firm's one Xero app, its tier, its approval ``policy``, its ``limits_store``), and a folder of one file per
client, ``profiles.d/NAME.toml`` beside it (``profiles_dir`` moves it), holding that profile's keys at the top
level. A path is relative to the file that names it. Secrets need not be written in any of them: ``KEY_env =
"VAR"`` reads ``KEY`` from the environment variable ``VAR`` (``precoro_token_env = "ACME_PRECORO_TOKEN"``), and
``secrets_file = "PATH"`` reads keys from a TOML file readable by its owner alone. ``RECON_*`` variables still
win over every profile: :func:`shared_overrides` names those that would give every profile one organisation's
state, reports or credentials.

**The sandbox profile.** A running ``recon sandbox`` (or ``recon lab``) registers itself in
``<data>/profiles/sandbox/server.json``, holding ``server.lock`` beside it while it serves; every recon process
of the sandbox profile then talks to it and shares its state, ``<data>/profiles/sandbox/state.sqlite``, which
it reset and seeded with the demo's links and baselines when it started (so that file is never one named by
``RECON_STATE``). recon hands its own kernels a sandbox with ``RECON_SANDBOX_XERO_URL`` /
``RECON_SANDBOX_PRECORO_URL`` / ``RECON_SANDBOX_STATE`` (URLs and a path, never credentials). With neither,
the caller starts a sandbox of its own (``needs_sandbox``).
"""

from __future__ import annotations

import json
import math
import os
import re
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

#: Built-in profile names (every other profile is a ``[profile.NAME]`` table of the config file).
DEFAULT_PROFILE = "default"
SANDBOX_PROFILE = "sandbox"
PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

#: Xero OAuth scopes. Apps created on or after 2 March 2026 get only the granular ones; older apps may still
#: use the broad ``accounting.transactions`` until they migrate (September 2027).
GRANULAR_SCOPES = ("offline_access", "accounting.contacts", "accounting.settings", "accounting.invoices",
                   "accounting.payments")
BROAD_SCOPES = ("offline_access", "accounting.transactions", "accounting.contacts", "accounting.settings")
DEPRECATED_SCOPES = ("accounting.transactions", "accounting.transactions.read", "accounting.reports.read")
SCOPE_SETS = {"granular": GRANULAR_SCOPES, "broad": BROAD_SCOPES}
#: Xero's 2026 pricing tiers; the day limit per organisation follows the tier (``recon.limits``).
XERO_TIERS = ("starter", "core", "plus", "advanced")

#: Keys that configure a system: setting any of them leaves the sandbox for that system.
XERO_KEYS = ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET", "XERO_TENANT_ID", "XERO_API_URL", "XERO_IDENTITY_URL")
PRECORO_KEYS = ("PRECORO_TOKEN", "PRECORO_EMAIL", "PRECORO_BASE_URL")
#: Keys that tune a profile without leaving the sandbox.
PATH_KEYS = ("STATE", "REPORTS_DIR", "TOKEN_FILE")
OTHER_KEYS = PATH_KEYS + ("TIMEOUT", "USER", "XERO_SCOPES", "XERO_TIER", "POLICY", "LIMITS_STORE",
                          "REQUIRE_SECOND_APPROVER", "TIMEZONE")
ALL_KEYS = XERO_KEYS + PRECORO_KEYS + OTHER_KEYS
#: Keys holding a secret: better named by ``KEY_env`` or kept in a ``secrets_file`` than written in recon.toml.
SECRET_KEYS = ("XERO_CLIENT_SECRET", "PRECORO_TOKEN")
#: Keys that belong to one organisation: set in the environment they would apply to every profile.
PER_ORGANISATION_KEYS = ("STATE", "REPORTS_DIR", "XERO_TENANT_ID", "PRECORO_TOKEN", "PRECORO_EMAIL")
#: The config file's table of keys every profile takes, and the folder of one file per profile beside it.
DEFAULTS_TABLE = "defaults"
PROFILES_DIR = "profiles.d"
#: ``[defaults]`` may not name one state or reports folder for every profile.
NOT_DEFAULTS = ("STATE", "REPORTS_DIR")
#: Environment-only variables (never in a profile table).
ENV_ONLY = ("PROFILE", "CONFIG", "DATA_DIR", "SANDBOX_XERO_URL", "SANDBOX_PRECORO_URL", "SANDBOX_STATE",
            "SANDBOX_INSTANCE")


@dataclass(frozen=True)
class XeroSettings:
    """Where and as whom recon talks to Xero. Secrets are kept out of ``repr``."""

    api_url: str = "https://api.xero.com"
    identity_url: str = "https://identity.xero.com"
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    tenant_id: str = ""
    sandbox: bool = False
    scopes: tuple[str, ...] = GRANULAR_SCOPES
    tier: str = "core"

    @property
    def day_limit(self) -> int:
        """Calls a day per organisation for this app's pricing tier."""
        from recon.limits import xero_day_limit

        return xero_day_limit(self.tier)


@dataclass(frozen=True)
class PrecoroSettings:
    """Where and as whom recon talks to Precoro. The token is kept out of ``repr``."""

    base_url: str = "https://api.precoro.com"
    token: str = field(default="", repr=False)
    email: str = ""
    sandbox: bool = False


@dataclass(frozen=True)
class SandboxServer:
    """A ``recon sandbox`` serving for the sandbox profile, as registered in its ``server.json``."""

    xero_url: str
    precoro_url: str
    instance: str
    pid: int
    started_at: str
    state: str
    seed: str = "demo"


@dataclass(frozen=True)
class Settings:
    """All settings of one profile, read once and passed down. Every path is absolute."""

    profile: str = DEFAULT_PROFILE
    xero: XeroSettings = field(default_factory=XeroSettings)
    precoro: PrecoroSettings = field(default_factory=PrecoroSettings)
    state_path: Path = Path("/nonexistent/recon-state.sqlite")
    reports_dir: Path = Path("/nonexistent/recon-reports")
    token_file: Path = Path("/nonexistent/recon-tokens.json")
    profile_dir: Path = Path("/nonexistent/recon-profile")
    config_file: Path | None = None
    timeout: float = 30.0
    user: str = ""
    #: signs the approvals chain's head (recon.chain); from the environment or a file, never from recon.toml
    approvals_key: bytes = field(default=b"", repr=False)
    #: the registered ``recon sandbox`` this profile talks to ("" when none): its state lives as long as it
    sandbox_instance: str = ""
    #: the approval policy of unattended runs of this profile ("" when it has none)
    policy: str = ""
    #: where the pacer's budgets are counted: ``memory``, ``sqlite:/abs/path`` or a Redis URL (may hold a password)
    limits_store: str = field(default="memory", repr=False)
    #: four eyes: apply refuses an action approved by the person running the apply
    require_second_approver: bool = False
    #: the organisation's IANA timezone for the views ("" : Xero's organisation timezone, else the machine's)
    timezone: str = ""

    @property
    def uses_sandbox(self) -> bool:
        """True when either system is served by the built-in sandbox."""
        return self.xero.sandbox or self.precoro.sandbox

    @property
    def is_sandbox(self) -> bool:
        """The built-in sandbox profile (both systems emulated, state bound to the sandbox)."""
        return self.profile == SANDBOX_PROFILE

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


# ---- where things are ------------------------------------------------------------------------------------

def data_root(env: Mapping[str, str] | None = None) -> Path:
    """The per-user data folder holding every profile's folder (``RECON_DATA_DIR`` moves it)."""
    env = os.environ if env is None else env
    if env.get("RECON_DATA_DIR"):
        return _absolute(env["RECON_DATA_DIR"], "RECON_DATA_DIR", None)
    import platformdirs

    return platformdirs.user_data_path("recon", appauthor=False)


def config_dir() -> Path:
    """The per-user config folder (``recon.toml``, ``tokens.json``)."""
    import platformdirs

    return platformdirs.user_config_path("recon", appauthor=False)


def profile_dir(profile: str, env: Mapping[str, str] | None = None) -> Path:
    """The folder of one profile under the data folder."""
    return data_root(env) / "profiles" / profile


def sandbox_server_file(env: Mapping[str, str] | None = None) -> Path:
    """Where a serving ``recon sandbox`` registers its URLs (its lock is ``server.lock`` beside it)."""
    return profile_dir(SANDBOX_PROFILE, env) / "server.json"


def served_sandbox(env: Mapping[str, str] | None = None) -> SandboxServer | None:
    """The ``recon sandbox`` serving right now for this user, or None (a file whose lock nobody holds is a
    sandbox that has stopped)."""
    path = sandbox_server_file(env)
    if not path.is_file():
        return None
    from filelock import FileLock, Timeout

    probe = FileLock(str(path.with_name("server.lock")))
    try:
        probe.acquire(timeout=0)
    except Timeout:
        try:
            return SandboxServer(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None
    probe.release()
    return None


def _absolute(value: str, key: str, source: Path | None) -> Path:
    """An absolute path: as given, or relative to the config file it was written in."""
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    if source is not None:
        return (source.parent / path).resolve()
    raise ConfigError(f"{key} must be an absolute path, not {value!r}: JupyterLab, recon run, cron and Airflow "
                      "each start in another folder, so a relative path would name a different file for each")


def _find_config_file(env: Mapping[str, str]) -> Path | None:
    if env.get("RECON_CONFIG"):
        path = Path(env["RECON_CONFIG"]).expanduser()
        if not path.is_file():
            raise ConfigError(f"RECON_CONFIG points at {path}, which is not a file")
        return path
    candidate = config_dir() / "recon.toml"
    return candidate if candidate.is_file() else None


def _read_toml(path: Path, what: str) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc}") from exc


@dataclass(frozen=True)
class ProfileSource:
    """Where one profile of the config file is written: its keys (``KEY`` upper-cased, as written), the file
    each came from (paths are relative to it), and the ``[defaults]`` it takes."""

    name: str
    file: Path
    keys: Mapping[str, object]
    defaults: Mapping[str, object]
    config_file: Path


def _profiles_dir(path: Path, data: Mapping[str, object]) -> Path:
    given = data.get("profiles_dir")
    if given is not None and not isinstance(given, str):
        raise ConfigError(f"{path}: profiles_dir is a folder name, not {given!r}")
    return _absolute(given, f"{path} profiles_dir", path) if given else path.parent / PROFILES_DIR


def profile_sources(path: Path | None) -> dict[str, ProfileSource]:
    """Every profile the config file defines: its ``[profile.NAME]`` tables and its ``profiles.d/NAME.toml``
    files (one profile each, keys at the top level), with the file's ``[defaults]``. None without a file."""
    if path is None:
        return {}
    data = _read_toml(path, "the config file")
    unknown = sorted(set(data) - {"profile", DEFAULTS_TABLE, "profiles_dir", "summary_dir"})
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key(s) {', '.join(unknown)}; recon.toml holds [profile.NAME] "
                          f"tables, [{DEFAULTS_TABLE}], profiles_dir and summary_dir")
    tables = data.get("profile", {})
    if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
        raise ConfigError(f"{path}: profiles are tables, written [profile.NAME]")
    defaults = data.get(DEFAULTS_TABLE, {})
    if not isinstance(defaults, dict):
        raise ConfigError(f"{path}: [{DEFAULTS_TABLE}] is a table of keys every profile takes")
    shared = [k for k in defaults if k.upper() in NOT_DEFAULTS]
    if shared:
        raise ConfigError(f"{path} [{DEFAULTS_TABLE}]: {', '.join(shared)} would give every profile the same one; "
                          "set it per profile, or leave it out (each profile then has its own folder)")
    sources = {name: ProfileSource(name, path, table, defaults, path) for name, table in tables.items()}
    folder = _profiles_dir(path, data)
    for file in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        name = file.stem
        if name in sources:
            raise ConfigError(f"profile {name!r} is defined twice: in {sources[name].file} and in {file}")
        sources[name] = ProfileSource(name, file, _read_toml(file, "the profile file"), defaults, path)
    for name, source in sources.items():
        if name == SANDBOX_PROFILE:
            raise ConfigError(f"{source.file}: [profile.{SANDBOX_PROFILE}] is the built-in sandbox profile and takes "
                              "no settings; give your profile another name")
        if not PROFILE_NAME.match(name):
            raise ConfigError(f"{source.file}: profile name {name!r} is not usable (letters, digits, '.', '_', '-')")
    return sources


def profile_tables(path: Path | None) -> dict[str, dict[str, object]]:
    """The profiles of the config file, each as the keys written for it (none without a file)."""
    return {name: dict(source.keys) for name, source in profile_sources(path).items()}


def configured_profiles(env: Mapping[str, str] | None = None) -> list[str]:
    """The profiles the config file defines (its tables and profile files), sorted: a firm's organisations."""
    env = os.environ if env is None else env
    return sorted(profile_sources(_find_config_file(env)))


def profile_names(env: Mapping[str, str] | None = None) -> list[str]:
    """Every profile that exists: the two built-in ones and the config file's."""
    return [DEFAULT_PROFILE, SANDBOX_PROFILE] + [n for n in configured_profiles(env) if n != DEFAULT_PROFILE]


def firm_summary_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where the firm-wide summary of every organisation's last run is written: the config file's top-level
    ``summary_dir`` (relative to it), else ``<data>/firm``."""
    env = os.environ if env is None else env
    path = _find_config_file(env)
    given = _read_toml(path, "the config file").get("summary_dir") if path else None
    if given is not None and not isinstance(given, str):
        raise ConfigError(f"{path}: summary_dir is a folder name, not {given!r}")
    return _absolute(given, f"{path} summary_dir", path) if given else data_root(env) / "firm"


def shared_overrides(env: Mapping[str, str] | None = None) -> list[str]:
    """The ``RECON_*`` variables set in ``env`` that would apply to *every* profile although they belong to one
    organisation (its state, reports folder, tenant, Precoro token): what a firm's scheduler must not set."""
    env = os.environ if env is None else env
    return [f"RECON_{key}" for key in PER_ORGANISATION_KEYS if env.get(f"RECON_{key}")]


def _secrets_file(path: Path, where: str) -> dict[str, object]:
    """The keys of a ``secrets_file``: a TOML file readable by its owner alone."""
    if not path.is_file():
        raise ConfigError(f"{where}: secrets_file {path} is not a file")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077 and os.name != "nt":  # Windows keeps access in ACLs, not mode bits
        raise ConfigError(f"{where}: secrets_file {path} is readable by others (mode {mode:o}); run chmod 600 {path}")
    return _read_toml(path, "the secrets file")


def _resolve_keys(source: ProfileSource, env: Mapping[str, str]) -> dict[str, tuple[str, Path]]:
    """A profile's keys as ``KEY -> (value, file it was written in)``: ``[defaults]`` first, then its own,
    with ``KEY_env`` read from the environment and a ``secrets_file`` read in."""
    values: dict[str, tuple[str, Path]] = {}
    for origin, keys, where in ((source.config_file, source.defaults, f"{source.config_file} [{DEFAULTS_TABLE}]"),
                                (source.file, source.keys, f"{source.file} [profile.{source.name}]"
                                 if source.file == source.config_file else str(source.file))):
        for key, value in keys.items():
            upper = key.upper()
            if upper == "SECRETS_FILE":
                secrets_path = _absolute(str(value), f"{where} secrets_file", origin)
                for skey, svalue in _secrets_file(secrets_path, where).items():
                    if skey.upper() not in XERO_KEYS + PRECORO_KEYS:
                        raise ConfigError(f"{secrets_path}: unknown key {skey!r}; a secrets file holds Xero and "
                                          f"Precoro settings: {', '.join(k.lower() for k in XERO_KEYS + PRECORO_KEYS)}")
                    values[skey.upper()] = (str(svalue), secrets_path)
                continue
            if upper.endswith("_ENV") and upper[:-4] in ALL_KEYS:
                variable = str(value)
                if not env.get(variable):
                    raise ConfigError(f"{where}: {key} names the environment variable {variable}, which is not set")
                values[upper[:-4]] = (env[variable], origin)
                continue
            if upper not in ALL_KEYS:
                raise ConfigError(f"{where}: unknown key {key!r}; known: {', '.join(k.lower() for k in ALL_KEYS)}, "
                                  "each also as KEY_env (an environment variable's name), and secrets_file")
            if isinstance(value, (dict, list)):
                raise ConfigError(f"{where}: {key} is a single value, not {type(value).__name__}")
            values[upper] = (str(value), origin)
    return values


def credential_sources(profile: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Where each secret of ``profile`` comes from, in words (never the secret): ``environment ACME_TOKEN``,
    ``secrets file /etc/...``, ``recon.toml`` (written in the file), ``RECON_PRECORO_TOKEN``, or ``sandbox``."""
    env = os.environ if env is None else env
    source = profile_sources(_find_config_file(env)).get(profile)
    out = {}
    for key in SECRET_KEYS:
        if env.get(f"RECON_{key}") and profile != SANDBOX_PROFILE:
            out[key.lower()] = f"RECON_{key}"
            continue
        if source is None:
            out[key.lower()] = "sandbox"
            continue
        written = {k.upper(): v for k, v in {**source.defaults, **source.keys}.items()}
        if f"{key}_ENV" in written:
            out[key.lower()] = f"environment {written[f'{key}_ENV']}"
        elif key in written:
            out[key.lower()] = f"written in {source.file.name}"
        elif "SECRETS_FILE" in written:
            out[key.lower()] = f"secrets file {written['SECRETS_FILE']}"
        else:
            out[key.lower()] = "sandbox" if not any(k in written for k in XERO_KEYS + PRECORO_KEYS) else "not set"
    return out


def _profile_values(path: Path | None, profile: str, env: Mapping[str, str]) -> dict[str, tuple[str, Path]]:
    sources = profile_sources(path)
    if profile not in sources:
        if profile in (DEFAULT_PROFILE, SANDBOX_PROFILE):
            return {}
        where = f"{path} defines no profile {profile!r} (no [profile.{profile}] table, no " \
                f"{PROFILES_DIR}/{profile}.toml)" if path else \
            f"there is no config file (RECON_CONFIG, or {config_dir() / 'recon.toml'})"
        known = ", ".join([DEFAULT_PROFILE, SANDBOX_PROFILE] + sorted(n for n in sources if n != DEFAULT_PROFILE))
        raise ConfigError(f"unknown profile {profile!r}: {where}; profiles: {known}")
    return _resolve_keys(sources[profile], env)


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
def _login_name(env: Mapping[str, str]) -> str:
    """Who is running recon: the environment's user name, else the account's login name."""
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        if env.get(name):
            return env[name]
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, OSError):  # no pwd on Windows; a uid without an entry in containers
        pass
    try:
        return os.getlogin()
    except OSError:
        return "unknown"


def _scopes(text: str | None) -> tuple[str, ...]:
    if not text:
        return GRANULAR_SCOPES
    if text.strip().lower() in SCOPE_SETS:
        return SCOPE_SETS[text.strip().lower()]
    scopes = tuple(s for s in re.split(r"[\s,]+", text.strip()) if s)
    if not scopes:
        raise ConfigError("RECON_XERO_SCOPES is empty; use granular, broad or a list of Xero scopes")
    return scopes


def _url(text: str, key: str, from_env: Mapping[str, str], written: Mapping[str, tuple[str, Path]],
         profile: str) -> str:
    """A service's base URL: http or https with a host (checked here, not by a failed call deep in a fetch)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is no number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        where = f"RECON_{key}" if key in from_env else \
            f"{written[key][1]} [profile.{profile}] {key.lower()}" if key in written else key
        raise ConfigError(f"{where}: {text!r} is not a URL (http:// or https:// and a host)")
    return text.strip().rstrip("/")


#: the longest wait for one HTTP reply recon accepts (seconds): longer is a typo, and the libraries below
#: overflow on infinity
MAX_TIMEOUT = 3600.0


def _timeout(text: str | None, where: str) -> float:
    """Seconds to wait for one reply: a number above 0 and at most :data:`MAX_TIMEOUT` (``nan``, ``inf``, ``0``
    and ``-5`` are refused here, not by a socket deep in a fetch)."""
    if text is None:
        return Settings.timeout
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (0 < seconds <= MAX_TIMEOUT):  # also false for nan
        raise ConfigError(f"{where}: the timeout must be a number of seconds above 0 and at most "
                          f"{MAX_TIMEOUT:g}, not {text!r}")
    return seconds


def _tier(text: str | None) -> str:
    tier = (text or "core").strip().lower()
    if tier not in XERO_TIERS:
        raise ConfigError(f"RECON_XERO_TIER {text!r} is not a Xero pricing tier; use one of {', '.join(XERO_TIERS)}")
    return tier


def load_settings(profile: str | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings of ``profile`` (default: ``RECON_PROFILE`` or ``"default"``).

    ``env`` defaults to ``os.environ``; tests pass their own mapping. Raises :class:`ConfigError` for a
    profile that does not exist, a partly configured system, a relative path from the environment, ...
    """
    env = os.environ if env is None else env
    name = profile or env.get("RECON_PROFILE") or DEFAULT_PROFILE
    if not PROFILE_NAME.match(name):
        raise ConfigError(f"profile name {name!r} is not usable (letters, digits, '.', '_', '-')")
    config_file = _find_config_file(env)
    written = _profile_values(config_file, name, env)
    table = {key: value for key, (value, _) in written.items()}
    sandbox_profile = name == SANDBOX_PROFILE
    from_env = {k: env[f"RECON_{k}"] for k in ALL_KEYS if env.get(f"RECON_{k}")}
    if sandbox_profile:  # credentials never reach the built-in sandbox profile, whatever the environment holds
        from_env = {k: v for k, v in from_env.items() if k not in XERO_KEYS + PRECORO_KEYS}
    values = {**table, **from_env}

    def path_of(key: str) -> Path | None:
        if key in from_env:
            return _absolute(from_env[key], f"RECON_{key}", None)
        if key in written:
            value, origin = written[key]
            return _absolute(value, f"{origin} [profile.{name}] {key.lower()}", origin)
        return None

    if any(k in values for k in XERO_KEYS):
        missing = [f"RECON_{k}" for k in ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET") if not values.get(k)]
        if missing:
            raise ConfigError(f"Xero settings are partly configured: missing {', '.join(missing)}")
        xero = XeroSettings(
            api_url=_url(values.get("XERO_API_URL", XeroSettings.api_url), "XERO_API_URL", from_env, written, name),
            identity_url=_url(values.get("XERO_IDENTITY_URL", XeroSettings.identity_url), "XERO_IDENTITY_URL",
                              from_env, written, name),
            client_id=values["XERO_CLIENT_ID"],
            client_secret=values["XERO_CLIENT_SECRET"],
            tenant_id=values.get("XERO_TENANT_ID", ""),
            scopes=_scopes(values.get("XERO_SCOPES")),
            tier=_tier(values.get("XERO_TIER")),
        )
    else:
        xero = XeroSettings(
            api_url="", identity_url="", client_id=SANDBOX_XERO_CLIENT_ID,
            client_secret=SANDBOX_XERO_CLIENT_SECRET, tenant_id=SANDBOX_XERO_TENANT_ID, sandbox=True,
            scopes=_scopes(values.get("XERO_SCOPES")), tier=_tier(values.get("XERO_TIER")),
        )

    if any(k in values for k in PRECORO_KEYS):
        missing = [f"RECON_{k}" for k in ("PRECORO_TOKEN", "PRECORO_EMAIL") if not values.get(k)]
        if missing:
            raise ConfigError(f"Precoro settings are partly configured: missing {', '.join(missing)}")
        precoro = PrecoroSettings(
            base_url=_url(values.get("PRECORO_BASE_URL", PrecoroSettings.base_url), "PRECORO_BASE_URL", from_env,
                          written, name),
            token=values["PRECORO_TOKEN"],
            email=values["PRECORO_EMAIL"],
        )
    else:
        precoro = PrecoroSettings(base_url="", token=SANDBOX_PRECORO_TOKEN, email=SANDBOX_PRECORO_EMAIL, sandbox=True)

    # Nothing configured: the default profile is the built-in sandbox.
    if name == DEFAULT_PROFILE and xero.sandbox and precoro.sandbox:
        name = SANDBOX_PROFILE

    timeout = _timeout(values.get("TIMEOUT"), "RECON_TIMEOUT" if "TIMEOUT" in from_env else
                       f"{written['TIMEOUT'][1]} [profile.{name}] timeout" if "TIMEOUT" in written else "")

    folder = profile_dir(name, env)
    state = path_of("STATE") or folder / "state.sqlite"
    settings = Settings(
        approvals_key=_approvals_key(env),
        profile=name,
        xero=xero,
        precoro=precoro,
        state_path=state,
        reports_dir=path_of("REPORTS_DIR") or folder / "reports",
        token_file=path_of("TOKEN_FILE") or config_dir() / "tokens.json",
        profile_dir=folder,
        config_file=config_file,
        timeout=timeout,
        user=values.get("USER") or _login_name(env),
        policy=values.get("POLICY", "").strip(),
        require_second_approver=_flag(values.get("REQUIRE_SECOND_APPROVER", ""), "require_second_approver"),
        timezone=_timezone(values.get("TIMEZONE", "")),
        limits_store=_limits_store(values.get("LIMITS_STORE", ""), None if "LIMITS_STORE" in from_env else
                                   written.get("LIMITS_STORE", ("", None))[1], xero.sandbox and precoro.sandbox, env),
    )
    return _attach_sandbox(settings, env)


def _flag(text: object, name: str) -> bool:
    """A yes/no setting (``true``/``false`` in recon.toml, ``1``/``0``, ``yes``/``no`` from the environment)."""
    value = str(text).strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} (RECON_{name.upper()}) must be true or false, not {text!r}")


def _timezone(text: str) -> str:
    name = str(text or "").strip()
    if name:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"timezone {name!r} (RECON_TIMEZONE) is not an IANA timezone such as Pacific/Auckland") from None
    return name


def _limits_store(spec: str, origin: Path | None, sandboxed: bool, env: Mapping[str, str]) -> str:
    """Where the pacer's budgets are counted (``recon.connectors.budget``): as set (a ``sqlite:`` path relative
    to the file that names it), else in memory for the sandbox (each emulator counts for itself) and in
    ``<data>/limits.sqlite`` for real accounts, so every recon process of the machine shares one count of each
    organisation's, token's and app's calls."""
    spec = spec.strip()
    if not spec:
        return "memory" if sandboxed else f"sqlite:{data_root(env) / 'limits.sqlite'}"
    if spec == "memory" or spec.startswith(("redis://", "rediss://", "unix://")):
        return spec
    if spec.startswith("sqlite:") and spec[len("sqlite:"):].strip():
        where = f"{origin} limits_store" if origin else "RECON_LIMITS_STORE"
        return f"sqlite:{_absolute(spec[len('sqlite:'):].strip(), where, origin)}"
    raise ConfigError(f"limits_store {spec!r} is not a store: use memory, sqlite:PATH or redis://HOST:PORT/DB")


def _attach_sandbox(settings: Settings, env: Mapping[str, str]) -> Settings:
    """Point the sandboxed systems at the sandbox recon handed this process, else at the registered
    ``recon sandbox``; with neither, the caller starts one of its own (``needs_sandbox``)."""
    if not settings.uses_sandbox:
        return settings
    xero_url, precoro_url = env.get("RECON_SANDBOX_XERO_URL"), env.get("RECON_SANDBOX_PRECORO_URL")
    if xero_url or precoro_url:
        handed = settings.with_sandbox_urls(xero_url, precoro_url)
        if settings.is_sandbox and env.get("RECON_SANDBOX_STATE"):
            handed = replace(handed, state_path=_absolute(env["RECON_SANDBOX_STATE"], "RECON_SANDBOX_STATE", None))
        return replace(handed, sandbox_instance=env.get("RECON_SANDBOX_INSTANCE", ""))
    server = served_sandbox(env)
    if server is None:
        return settings
    served = replace(settings.with_sandbox_urls(server.xero_url, server.precoro_url), sandbox_instance=server.instance)
    return replace(served, state_path=Path(server.state)) if settings.is_sandbox else served
