"""``recon doctor``: check a profile end to end, one line per check, and say how to fix each problem.

What it checks, in order: the profile and its config file; where the state and the run folders are (and
that they can be written); that they, the apply lock and the token file are private to the user (``--fix``
makes them so); the Jupyter kernel; the credentials; Xero (a token, the scopes granted against
what each kind needs, the organisation reached, its day limit left); Precoro (the company, its precision);
whether the two systems' rounding settings agree. A sandbox profile with no ``recon sandbox`` serving is
checked against a sandbox started for the purpose.

Each line starts with ``ok`` or ``FAIL`` (a problem, with ``fix:`` and what to do). The exit status is 0
when nothing failed, else 1.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from recon.config import Settings, config_dir
from recon.errors import ApiError, ReconError


@dataclass(frozen=True)
class Finding:
    """One check: what was looked at, what was found, and (for a problem) the fix."""

    topic: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        head = "ok  " if self.ok else "FAIL"
        return f"{head}  {self.topic}: {self.detail}" + (f" — fix: {self.fix}" if self.fix else "")


def _writable(path: Path) -> bool:
    """Whether ``path`` (a file or folder, existing or not) could be written by this user."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return os.access(probe, os.W_OK)


def check_profile(settings: Settings) -> Iterator[Finding]:
    where = f"config file {settings.config_file}" if settings.config_file else \
        f"no config file (looked for RECON_CONFIG, then {config_dir() / 'recon.toml'})"
    yield Finding("profile", True, f"{settings.describe()}; {where}")
    stray = Path.cwd() / "recon.toml"
    if stray.is_file() and stray.resolve() != (settings.config_file or Path()).resolve():
        yield Finding("config", False, f"{stray} is not read (the working folder never holds settings)",
                      f"move it to {config_dir() / 'recon.toml'}, or set RECON_CONFIG={stray}")


def check_paths(settings: Settings) -> Iterator[Finding]:
    from recon.run_folder import runs

    state, reports = settings.state_path, settings.reports_dir
    every = runs(reports)
    if settings.is_sandbox and not settings.sandbox_instance and not state.is_file():
        yield Finding("state", True, "the sandbox profile with no recon sandbox serving: each run keeps the state "
                      "of the sandbox it starts in its own run folder")
    elif state.is_file():
        from recon.store import Store

        with Store(state, approvals_key=settings.approvals_key, writable=False) as store:
            report = store.verify()
            links = len(store.links())
        yield Finding("state", report.ok, f"{state} ({links} links; {report.message})",
                      "" if report.ok else "restore the state file from a backup; apply refuses a broken chain")
    elif every:
        yield Finding("state", False, f"no state file at {state}, but {len(every)} runs in {reports}",
                      "point RECON_STATE (or the profile's state) at the state those runs were made with")
    else:
        yield Finding("state", _writable(state), f"{state} (not created yet: the first run creates it)",
                      "" if _writable(state) else f"make {state.parent} writable, or set the profile's state")
    latest = f"; latest run {every[-1].run_id}" if every else ""
    yield Finding("run folders", _writable(reports), f"{reports} ({len(every)} runs{latest})",
                  "" if _writable(reports) else f"make {reports} writable, or set the profile's reports_dir")


def private_paths(settings: Settings) -> Iterator[Path]:
    """Every file and folder of the profile that holds business data or a secret, as far as it exists: the state
    file (and SQLite's files beside it), its apply lock, the token file and its lock, the reports folder and
    every run folder with all that is in it."""
    state, token = settings.state_path, settings.token_file
    for path in (state, state.with_name(f"{state.name}-wal"), state.with_name(f"{state.name}-shm"),
                 state.with_name(f"{state.name}-journal"), state.with_name(f"{state.name}.apply.lock"),
                 token, token.with_name(f"{token.name}.lock")):
        if path.is_file():
            yield path
    if settings.reports_dir.is_dir():
        yield settings.reports_dir
        yield from sorted(p for p in settings.reports_dir.rglob("*") if not p.is_symlink())


def check_permissions(settings: Settings, fix: bool = False) -> Iterator[Finding]:
    """Files others may read (0600 wanted) and folders others may enter (0700): named, and with ``fix`` made
    private."""
    from recon.private import loose, tighten

    found = [(path, mode) for path in private_paths(settings) if (mode := loose(path))]
    if not found:
        yield Finding("permissions", True, "the state, its lock, the token file and the run folders are private "
                      "to you (0600 files, 0700 folders)")
        return
    shown = ", ".join(f"{path} ({mode})" for path, mode in found[:5]) + (f" and {len(found) - 5} more"
                                                                        if len(found) > 5 else "")
    if fix:
        for path, _ in found:
            tighten(path)
        left = [path for path, _ in found if loose(path)]
        yield Finding("permissions", not left, f"made {len(found) - len(left)} private to you: {shown}",
                      f"chmod go-rwx {' '.join(map(str, left))}" if left else "")
        return
    yield Finding("permissions", False, f"{len(found)} readable or enterable by others: {shown}",
                  "recon doctor --fix (takes every permission of others and the group away)")


def check_kernel() -> Iterator[Finding]:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    from recon.runner import KERNEL_NAME

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        yield Finding("kernel", False, f"no Jupyter kernel {KERNEL_NAME!r}: recon run and recon lab use this "
                      "interpreter, but plain jupyter lab, papermill and Airflow need the kernel",
                      f"python -m ipykernel install --user --name {KERNEL_NAME}")
        return
    try:
        done = subprocess.run([spec.argv[0], "-c", "import recon"], capture_output=True, text=True, timeout=60)
        imports = done.returncode == 0
    except OSError:
        imports = False
    yield Finding("kernel", imports, f"{KERNEL_NAME!r} runs {spec.argv[0]}" +
                  ("" if imports else ", which cannot import recon"),
                  "" if imports else f"python -m ipykernel install --user --name {KERNEL_NAME} from recon's environment")


def check_xero(settings: Settings) -> Iterator[Finding]:
    from recon.connectors.tokens import XeroTokenSource, connections, missing_scopes
    from recon.config import DEPRECATED_SCOPES

    x = settings.xero
    yield Finding("xero credentials", True, "the sandbox's public client" if x.sandbox else
                  f"client {x.client_id}, secret set; asks for {' '.join(x.scopes)}; {x.tier} tier")
    source = XeroTokenSource(settings)
    try:
        token = source.token()
    except ReconError as exc:
        if "refused the scope" in str(exc):
            fix = 'use xero_scopes = "granular" (the default), or give the app those scopes in Xero\'s developer portal'
        elif source.mode == "authorization_code":
            fix = "run `recon connect xero` again"
        else:
            fix = "check xero_client_id / xero_client_secret (a custom connection's, or run `recon connect xero` for an app)"
        yield Finding("xero token", False, str(exc), fix)
        return
    finally:
        source.close()
    granted = str(token.get("scope") or "")
    yield Finding("xero token", True, f"{source.mode.replace('_', ' ')} token; granted {granted or '(none named)'}")
    missing = missing_scopes(granted)
    for scope in dict.fromkeys(missing.values()):
        kinds = [k for k, s in missing.items() if s == scope]
        yield Finding("xero scopes", False, f"{' and '.join(kinds)} need{'s' if len(kinds) == 1 else ''} {scope}, "
                      "which Xero did not grant", f"give the app {scope} (developer portal), add it to xero_scopes, "
                      "then `recon connect xero` for an app")
    old = [s for s in granted.split() if s in DEPRECATED_SCOPES]
    if old and not missing:
        yield Finding("xero scopes", True, f"uses the broad {', '.join(old)}: Xero retires it for older apps by "
                      "September 2027; plan the move to granular scopes (xero_scopes = \"granular\")")
    try:
        reachable = connections(settings, str(token.get("access_token")))
    except ReconError as exc:
        yield Finding("xero tenant", False, str(exc), "check the app's connection to the organisation in Xero")
        return
    ids = [str(c.get("tenantId")) for c in reachable]
    names = ", ".join(f"{c.get('tenantName')} ({c.get('tenantId')})" for c in reachable) or "none"
    if x.tenant_id and x.tenant_id not in ids:
        yield Finding("xero tenant", False, f"tenant {x.tenant_id} is not among the organisations reachable: {names}",
                      "set xero_tenant_id to one of them, or connect the organisation with `recon connect xero`")
    elif not ids:
        yield Finding("xero tenant", False, "no organisation is connected to this app",
                      "connect one with `recon connect xero`")
    elif not x.tenant_id and len(ids) > 1 and not source.tenant_id():
        yield Finding("xero tenant", False, f"several organisations are reachable ({names}) and none is chosen",
                      "set xero_tenant_id to the one to keep in step")
    else:
        yield Finding("xero tenant", True, f"reaches {names}")


def check_services(settings: Settings, xero_ok: bool = True) -> Iterator[Finding]:
    """The organisation, the company, the rounding settings and the limits left, through the connectors
    (Xero's only when it gave a token for a tenant it reaches: else its problem is already said)."""
    from recon.connectors import open_connectors
    from recon.reconcile.rounding import settings_check

    meta: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        try:
            xero, precoro = stack.enter_context(open_connectors(settings))
        except ReconError as exc:
            yield Finding("connectors", False, str(exc), "check the profile's URLs and credentials")
            return
        if xero_ok:
            yield from _xero_organisation(settings, xero, meta)
        try:
            meta["precoro"] = company = precoro.company()
            yield Finding("precoro company", True, f"{company.get('company') or '(unnamed)'} "
                          f"({company.get('currency') or '?'}; precision {company.get('precision')})")
        except ApiError as exc:
            yield Finding("precoro company", False, str(exc),
                          "check precoro_token and precoro_email (the e-mail of the user who made the key)")
    from recon.limits import PRECORO_LIMITS, calls

    per = {"minute": "a minute", "hour": "an hour", "day": "a day"}
    yield Finding("precoro limits", True, ", ".join(f"{n:,} {per[w]}" for w, n in calls(PRECORO_LIMITS).items()) +
                  " for each token (Precoro does not say how many are left)")
    if "xero" in meta and "precoro" in meta:
        check = settings_check(meta)
        yield Finding("rounding", bool(check.get("agree")), str(check.get("message")),
                      "" if check.get("agree") else "set Precoro's company precision to what Xero keeps "
                      "(totals to 2 decimals, prices to at most 4), or expect rounding differences")


def _xero_organisation(settings: Settings, xero: Any, meta: dict[str, Any]) -> Iterator[Finding]:
    try:
        meta["xero"] = org = xero.organisation()
        yield Finding("xero organisation", True, f"{org.get('organisation')} (base currency "
                      f"{org.get('base_currency') or '?'})")
    except ApiError as exc:
        yield Finding("xero organisation", False, str(exc), "check the app's access to the organisation in Xero")
    remaining = xero.pacer.stats.remaining
    day = settings.xero.day_limit
    left = f"{remaining['day']:,} of {day:,} calls left today" if "day" in remaining else f"{day:,} calls a day"
    app = f", {remaining['appminute']:,} this minute for the whole app" if "appminute" in remaining else ""
    yield Finding("xero limits", remaining.get("day", 1) > 0, f"{left} ({settings.xero.tier} tier){app}",
                  "" if remaining.get("day", 1) > 0 else "wait for the day window to renew, or narrow --objects")


def checks(settings: Settings, fix: bool = False) -> Iterator[Finding]:
    """Every check of :func:`run_doctor`, in order (``fix``: make loose permissions private)."""
    from recon import config

    yield from check_profile(settings)
    yield from check_paths(settings)
    yield from check_permissions(settings, fix)
    yield from check_kernel()
    with contextlib.ExitStack() as stack:
        if settings.is_sandbox:
            server = config.served_sandbox()
            yield Finding("sandbox", True, f"recon sandbox serving at {server.xero_url} and {server.precoro_url}"
                          if server else "no recon sandbox serving: each command starts its own, with its state in "
                          "its run folder (start `recon sandbox` to share one); checking against one started now")
        if settings.needs_sandbox:
            from recon.sandbox import Sandbox

            sb = stack.enter_context(Sandbox(seed="demo"))
            settings = settings.with_sandbox_urls(sb.xero_url, sb.precoro_url)
        xero = list(check_xero(settings))
        yield from xero
        yield from check_services(settings, xero_ok=all(f.ok for f in xero if f.topic in ("xero token", "xero tenant")))


def run_doctor(settings: Settings, out: Callable[[str], None] = print, *, fix: bool = False) -> int:
    """Print one line per check; 0 when nothing failed, else 1. ``fix`` repairs what it can (permissions)."""
    problems = 0
    for finding in checks(settings, fix):
        out(finding.line())
        problems += not finding.ok
    out(f"{problems} problem{'s' if problems != 1 else ''} found" if problems else "no problem found")
    return 1 if problems else 0
