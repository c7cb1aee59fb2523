"""The built-in sandbox as the commands run it: ``recon sandbox`` (served for the sandbox profile),
``recon demo`` (the whole loop on a sandbox of its own) and ``recon lab`` (JupyterLab for a profile).

**Served.** :func:`serve_sandbox` starts both emulators, takes ``server.lock`` of the sandbox profile (one
served sandbox per user), resets that profile's state and seeds it with the demo's links and baselines (the
state "after the last sync"), and registers the URLs in ``server.json``. While it serves, every recon process
of the sandbox profile (JupyterLab kernels, ``recon run``, plain papermill) talks to it and shares that state;
when it stops, the lock goes with it, whatever way the process ends.

**The demo** starts a sandbox of its own and a fresh state in its run folder, then runs the notebooks exactly
as a scheduled job would (:func:`recon.runner.run_notebook`): ``sync.ipynb`` (fetch, reconcile, approve under
the ``demo`` policy, apply) and ``audit_report.ipynb``. Its kernels find that sandbox through
``RECON_SANDBOX_*`` (URLs and a path; the sandbox's credentials are fixed and public).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterator, Mapping

from recon import config
from recon.config import SANDBOX_PROFILE, SandboxServer, Settings
from recon.errors import ConfigError
from recon.private import make_dir
from recon.run_folder import iso, new_run_id, utc_now
from recon.runner import KERNEL_NAME, RunResult, interpreter_kernel_spec, kernel_registered, notebooks_dir, run_notebook

#: Variables that would take a system off the sandbox: hidden from kernels that must use it.
REAL_SYSTEM_VARS = ("RECON_XERO_", "RECON_PRECORO_", "RECON_CONFIG", "RECON_PROFILE", "RECON_STATE",
                    "RECON_SANDBOX_")


def sandbox_environment(base: Mapping[str, str], xero_url: str, precoro_url: str, state: Path,
                        reports_dir: Path, instance: str = "") -> dict[str, str]:
    """The environment of kernels that must use this sandbox and this state, whatever else is set."""
    env = {k: v for k, v in base.items() if not k.startswith(REAL_SYSTEM_VARS)}
    env.update({"RECON_PROFILE": SANDBOX_PROFILE, "RECON_SANDBOX_XERO_URL": xero_url,
                "RECON_SANDBOX_PRECORO_URL": precoro_url, "RECON_SANDBOX_STATE": str(state),
                "RECON_SANDBOX_INSTANCE": instance, "RECON_REPORTS_DIR": str(reports_dir)})
    return env


@contextlib.contextmanager
def environment(env: Mapping[str, str]) -> Iterator[None]:
    """Replace ``os.environ`` for the duration (kernels started meanwhile inherit it), then restore it."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def reset_state(state: Path, seed: str) -> None:
    """A fresh state file for a fresh sandbox, seeded with the demo's links and baselines for the demo data."""
    from recon.sandbox import demo
    from recon.store import Store

    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{state}{suffix}").unlink(missing_ok=True)
    with Store(state) as store:
        if seed == "demo":
            store.seed(links=demo.links(), baselines=demo.baseline())


@contextlib.contextmanager
def serve_sandbox(*, seed: str = "demo", xero_port: int = 0, precoro_port: int = 0,
                  xero_app: str = "new") -> Iterator[SandboxServer]:
    """Serve the sandbox for the sandbox profile (see the module docstring); yields its registration."""
    from filelock import FileLock, Timeout

    from recon.sandbox import Sandbox

    server_file = config.sandbox_server_file()
    make_dir(server_file.parent)
    lock = FileLock(str(server_file.with_name("server.lock")))
    try:
        lock.acquire(timeout=2)
    except Timeout:
        running = config.served_sandbox()
        where = f" at {running.xero_url} and {running.precoro_url} (pid {running.pid})" if running else ""
        raise ConfigError(f"a recon sandbox is already serving{where}: every recon command of the sandbox "
                          "profile uses it; stop it first to start another") from None
    try:
        with Sandbox(seed=seed, xero_port=xero_port, precoro_port=precoro_port, xero_app=xero_app) as sb:
            state = server_file.with_name("state.sqlite")  # the sandbox's own, never a file RECON_STATE names
            reset_state(state, seed)
            server = SandboxServer(xero_url=sb.xero_url, precoro_url=sb.precoro_url, instance=secrets.token_hex(6),
                                   pid=os.getpid(), started_at=iso(utc_now()), state=str(state), seed=seed)
            tmp = server_file.with_name(f".{server_file.name}.tmp")
            tmp.write_text(json.dumps(asdict(server), indent=2) + "\n", encoding="utf-8")
            tmp.replace(server_file)
            try:
                yield server
            finally:
                server_file.unlink(missing_ok=True)
    finally:
        lock.release()


def sandbox_exports(server: SandboxServer, settings: Settings) -> str:
    """An ``export`` block pointing any shell at the served sandbox, with the sandbox profile's state."""
    values = {
        "RECON_XERO_CLIENT_ID": config.SANDBOX_XERO_CLIENT_ID, "RECON_XERO_CLIENT_SECRET": config.SANDBOX_XERO_CLIENT_SECRET,
        "RECON_XERO_TENANT_ID": config.SANDBOX_XERO_TENANT_ID, "RECON_XERO_API_URL": server.xero_url,
        "RECON_XERO_IDENTITY_URL": server.xero_url, "RECON_PRECORO_TOKEN": config.SANDBOX_PRECORO_TOKEN,
        "RECON_PRECORO_EMAIL": config.SANDBOX_PRECORO_EMAIL, "RECON_PRECORO_BASE_URL": server.precoro_url,
        "RECON_STATE": server.state, "RECON_REPORTS_DIR": str(settings.reports_dir),
    }
    head = (f"# the recon sandbox serving at pid {server.pid} (public sandbox credentials, no secret). recon finds it\n"
            "# without these; export them for other tools, or to treat it as a configured service.\n")
    return head + "".join(f"export {k}={shlex.quote(v)}\n" for k, v in values.items())


def run_demo(settings: Settings, *, run_id: str | None = None, timeout: float = 600,
             out: Callable[[str], None] = print) -> tuple[RunResult, RunResult]:
    """Run the demo into ``<reports>/<run_id>/`` of the sandbox profile; return the sync and audit runs."""
    from recon.run_folder import RunFolder
    from recon.sandbox import Sandbox

    run_id = run_id or new_run_id()
    folder = RunFolder.create(settings.reports_dir, run_id)
    out(f"recon demo: run {run_id} on a sandbox of its own (demo data)")
    with Sandbox(seed="demo") as sb:
        reset_state(folder.sandbox_state(), "demo")
        env = sandbox_environment(os.environ, sb.xero_url, sb.precoro_url, folder.sandbox_state(), settings.reports_dir,
                                  instance=f"demo-{run_id}")
        with environment(env):
            out("sync: fetch, reconcile, approve under the demo policy, apply ...")
            sync = run_notebook("sync.ipynb", {"run_id": run_id, "policy": "demo"}, reports_dir=settings.reports_dir,
                                timeout=timeout)
            out("audit report ...")
            audit = run_notebook("audit_report.ipynb", {"run_id": run_id}, reports_dir=settings.reports_dir,
                                 timeout=timeout)
    out(f"executed notebooks: {sync.executed}, {audit.executed}")
    out(f"audit report: {audit.html}")
    return sync, audit


def lab_command(port: int = 0, open_browser: bool = True, root: Path | None = None) -> list[str]:
    """The JupyterLab command line, opening the three notebooks under ``root/notebooks``."""
    cmd = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={root or notebooks_dir().parent}",
           "--ServerApp.ip=127.0.0.1", f"--MappingKernelManager.default_kernel_name={KERNEL_NAME}"]
    if port:
        cmd.append(f"--ServerApp.port={port}")
    if not open_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers often run as root; JupyterLab refuses that otherwise
    return cmd + [f"notebooks/{n}" for n in ("reconcile.ipynb", "sync.ipynb", "audit_report.ipynb")]


def lab_root(data: Path) -> Path:
    """The folder JupyterLab opens: a source checkout's root, else a copy of the packaged notebooks under
    the data folder (a notebook is never edited inside the installed package)."""
    source = notebooks_dir()
    if (source.parent / "pyproject.toml").is_file():
        return source.parent
    root = data / "workbench"
    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    for notebook in sorted(source.glob("*.ipynb")):
        target = root / "notebooks" / notebook.name
        if not target.exists():
            shutil.copyfile(notebook, target)
    return root


def kernel_environment(env: dict[str, str], data: Path) -> dict[str, str]:
    """With no ``recon`` kernel registered, one for this interpreter in a folder of recon's own, on
    ``JUPYTER_PATH`` for this JupyterLab only (nothing is installed for the user)."""
    if kernel_registered(KERNEL_NAME):
        return env
    folder = data / "jupyter" / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    spec = interpreter_kernel_spec()
    (folder / "kernel.json").write_text(json.dumps({"argv": spec.argv, "display_name": spec.display_name,
                                                    "language": spec.language}, indent=1), encoding="utf-8")
    paths = [str(data / "jupyter")] + ([env["JUPYTER_PATH"]] if env.get("JUPYTER_PATH") else [])
    return {**env, "JUPYTER_PATH": os.pathsep.join(paths)}


def run_lab(settings: Settings, *, port: int = 0, open_browser: bool = True,
            out: Callable[[str], None] = print) -> int:
    """JupyterLab on the notebooks for ``settings``' profile until it stops; the sandbox profile gets the
    served sandbox (the running one, else one served for as long as the lab runs)."""
    data = config.data_root()
    with contextlib.ExitStack() as stack:
        if settings.is_sandbox:
            server = config.served_sandbox()
            if server is None:
                server = stack.enter_context(serve_sandbox())
                out(f"sandbox: Xero {server.xero_url}, Precoro {server.precoro_url} (served while the lab runs)")
            else:
                out(f"sandbox: Xero {server.xero_url}, Precoro {server.precoro_url} (the running recon sandbox)")
            env = sandbox_environment(os.environ, server.xero_url, server.precoro_url, Path(server.state),
                                      settings.reports_dir, server.instance)
            settings = config.load_settings(env=env)
        else:
            env = {**os.environ, "RECON_PROFILE": settings.profile}
            out(settings.describe())
        env = kernel_environment(env, data)
        root = lab_root(data)
        out(f"state: {settings.state_path}\nrun folders: {settings.reports_dir}\nstarting JupyterLab in {root}; "
            "stop it with Ctrl-C")
        proc = subprocess.Popen(lab_command(port, open_browser, root), env=env, cwd=root)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            return proc.wait()
