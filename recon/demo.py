"""``recon demo`` and ``recon lab``: the whole loop on the built-in sandbox, and JupyterLab beside it.

The demo starts both emulators with the demo data, seeds a fresh state store in the run folder from the demo's
links and baseline (the state "after the last sync"), then runs the notebooks exactly as a scheduled job would
(:func:`recon.runner.run_notebook`): ``sync.ipynb`` (fetch, reconcile, approve under the ``demo`` policy,
apply) and ``audit_report.ipynb``. Kernels find the sandbox through ``RECON_SANDBOX_XERO_URL`` /
``RECON_SANDBOX_PRECORO_URL`` (URLs only: the sandbox's credentials are fixed and public).
"""

from __future__ import annotations

import contextlib
import getpass
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator, Mapping

from recon.runner import RunResult, new_run_id, run_notebook

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: Variables that would take a system off the sandbox: hidden from the demo's kernels.
REAL_SYSTEM_VARS = ("RECON_XERO_", "RECON_PRECORO_", "RECON_CONFIG", "RECON_PROFILE")


def sandbox_environment(base: Mapping[str, str], xero_url: str, precoro_url: str, state: Path,
                        reports_dir: Path) -> dict[str, str]:
    """The environment of kernels that must use the running sandbox and the given store, whatever else is set."""
    env = {k: v for k, v in base.items() if not k.startswith(REAL_SYSTEM_VARS)}
    env.setdefault("RECON_USER", env.get("USER") or getpass.getuser())  # the report says who ran it
    env.update({"RECON_SANDBOX_XERO_URL": xero_url, "RECON_SANDBOX_PRECORO_URL": precoro_url,
                "RECON_STATE": str(state), "RECON_REPORTS_DIR": str(reports_dir)})
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


@contextlib.contextmanager
def demo_sandbox(state: Path, reports_dir: Path) -> Iterator[dict[str, str]]:
    """A running sandbox with the demo data and a state store seeded to match; yields the kernels' environment."""
    from recon.sandbox import Sandbox, demo
    from recon.store import Store

    with Sandbox(seed="demo") as sb:
        with Store(state) as store:
            if store.links().empty:
                store.seed(links=demo.links(), baselines=demo.baseline())
        yield sandbox_environment(os.environ, sb.xero_url, sb.precoro_url, state, reports_dir)


def run_demo(reports_dir: Path | str = Path("reports"), *, run_id: str | None = None, timeout: float = 600,
             out: Callable[[str], None] = print) -> tuple[RunResult, RunResult]:
    """Run the demo into ``reports_dir/<run_id>/``; return the sync and audit-report runs."""
    reports_dir = Path(reports_dir).resolve()
    run_id = run_id or new_run_id()
    folder = reports_dir / run_id
    folder.mkdir(parents=True, exist_ok=True)
    out(f"recon demo: run {run_id} on the built-in sandbox (demo data)")
    with demo_sandbox(folder / "state.sqlite", reports_dir) as env, environment(env):
        out("sync: fetch, reconcile, approve under the demo policy, apply ...")
        sync = run_notebook(NOTEBOOKS / "sync.ipynb", {"run_id": run_id, "policy": "demo"}, reports_dir=reports_dir,
                            timeout=timeout)
        out("audit report ...")
        audit = run_notebook(NOTEBOOKS / "audit_report.ipynb", {"run_id": run_id}, reports_dir=reports_dir,
                             timeout=timeout)
    out(f"executed notebooks: {sync.executed}, {audit.executed}")
    out(f"audit report: {audit.html}")
    return sync, audit


def lab_command(port: int = 0, open_browser: bool = True) -> list[str]:
    """The JupyterLab command line, opening the three notebooks."""
    cmd = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={NOTEBOOKS.parent}",
           "--ServerApp.ip=127.0.0.1", "--MappingKernelManager.default_kernel_name=recon"]
    if port:
        cmd.append(f"--ServerApp.port={port}")
    if not open_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers often run as root; JupyterLab refuses that otherwise
    return cmd + [f"notebooks/{n}" for n in ("reconcile.ipynb", "sync.ipynb", "audit_report.ipynb")]


def run_lab(reports_dir: Path | str = Path("reports"), *, port: int = 0, open_browser: bool = True,
            out: Callable[[str], None] = print) -> int:
    """JupyterLab with the sandbox running (demo data, a fresh store under ``reports_dir/lab/``) until it stops."""
    reports_dir = Path(reports_dir).resolve()
    lab = reports_dir / "lab"
    lab.mkdir(parents=True, exist_ok=True)
    state = lab / "state.sqlite"
    state.unlink(missing_ok=True)  # the sandbox starts fresh, so must the store
    with demo_sandbox(state, reports_dir) as env:
        out(f"sandbox: Xero {env['RECON_SANDBOX_XERO_URL']}, Precoro {env['RECON_SANDBOX_PRECORO_URL']}")
        out("starting JupyterLab; stop it with Ctrl-C")
        proc = subprocess.Popen(lab_command(port, open_browser), env=env, cwd=NOTEBOOKS.parent)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            return proc.wait()
