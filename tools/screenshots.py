"""Make the screenshots of the README and docs/workbench.md (``make screenshots``): a `recon sandbox` with the
demo company, a reconcile through it, two decisions clicked in `recon app`, the sync, the audit report; each
view photographed in headless chromium at 1366 px wide into docs/images/.

    docs/images/difference-view.png   the notebook's difference view, in JupyterLab
    docs/images/notebook-grid.png     the notebook's approval grid, in JupyterLab
    docs/images/approval-grid.png     the approval grid of `recon app`, two decisions made
    docs/images/app-runs.png          the runs of `recon app`
    docs/images/audit-report.png      the top of the audit report of the synced run

Everything runs in a temporary data folder: no profile of yours is read or written.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import httpx

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
CHROMIUM = "/usr/bin/chromium"
RUN = "20261201-093000-demo"


def recon(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "recon.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    if done.returncode not in (0, 1):
        raise SystemExit(f"recon {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


@contextlib.contextmanager
def serving(args: list[str], env: dict[str, str], ready: str) -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-m", "recon.cli", *args], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines = "".join(proc.stdout.readline() for _ in range(1 if args[0] == "app" else 3))
        if not re.search(ready, lines):
            raise SystemExit(f"recon {args[0]} did not start: {lines}{proc.stderr.read()}")
        yield lines
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LAB_TOKEN = "screenshots"


def lab_shots(folder: Path, run: Path, state: Path, browser: object, env: dict[str, str]) -> None:
    """The notebook's two views in JupyterLab (a real server and `recon` kernel), over the reconciled run."""
    import nbformat

    cells = [nbformat.v4.new_code_cell(
                "from recon import report_views as views\nfrom recon.run_folder import RunFolder\n"
                f"run = RunFolder({str(run)!r})\nviews.difference_view(run.differences(), 'NZD', page_length=10)"),
             nbformat.v4.new_code_cell(
                "from recon.approve import ApprovalModel\nfrom recon.store import Store\nfrom recon.widgets import ApprovalView\n"
                f"view = ApprovalView(ApprovalModel(run.plan(), Store({str(state)!r}), 'ana', lambda: '2026-12-01T09:40:00Z'),"
                " page_size=8)\nview")]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "recon", "display_name": "recon (Python 3)", "language": "python"}
    nbformat.write(nb, folder / "views.ipynb")
    port = free_port()
    lab_env = {**env, "JUPYTER_RUNTIME_DIR": str(folder / "rt"), "JUPYTER_CONFIG_DIR": str(folder / "cfg"),
               "JUPYTERLAB_SETTINGS_DIR": str(folder / "st"), "JUPYTERLAB_WORKSPACES_DIR": str(folder / "ws")}
    root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    news = folder / "st" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True, exist_ok=True)
    news.write_text('{"fetchNews": "false"}')  # no question about Jupyter's news over the picture
    proc = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
                             f"--ServerApp.root_dir={folder}", f"--IdentityProvider.token={LAB_TOKEN}",
                             "--LabApp.extension_manager=readonly", *root], env=lab_env, cwd=folder,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(150):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/api/status?token={LAB_TOKEN}", timeout=1).status_code == 200:
                    break
            time.sleep(0.2)
        page = browser.new_page(viewport={"width": 1366, "height": 1600})  # type: ignore[attr-defined]
        page.goto(f"http://127.0.0.1:{port}/lab/tree/views.ipynb?token={LAB_TOKEN}")
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        page.wait_for_timeout(4000)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        page.wait_for_selector(".jupyter-widgets button:has-text('Approve')", timeout=120_000)
        with contextlib.suppress(Exception):  # JupyterLab's question about its news, in the corner
            page.locator(".jp-Notification-Toast button", has_text="No").first.click(timeout=2000)
        page.keyboard.press("Control+b")  # the file browser folded away: the notebook takes the width
        page.wait_for_timeout(800)
        page.locator("table.dataTable").first.screenshot(path=str(IMAGES / "difference-view.png"))
        grid = page.locator(".jp-OutputArea-output .widget-vbox").first
        grid.locator("button:has-text('Before/after')").nth(4).click()
        page.wait_for_timeout(500)
        grid.screenshot(path=str(IMAGES / "notebook-grid.png"))
        page.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def main() -> None:
    from playwright.sync_api import sync_playwright

    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RECON_")}
        env.update(RECON_DATA_DIR=str(Path(tmp) / "data"), USER="ana", PYTHONPATH=str(ROOT))
        reports = Path(tmp) / "data" / "profiles" / "sandbox" / "reports"
        with serving(["sandbox"], env, r"Xero sandbox:"):
            recon("reconcile", "--out", str(reports / RUN), env=env)
            port = free_port()
            with serving(["app", "--port", str(port)], env, r"recon app for"), sync_playwright() as p:
                url = f"http://127.0.0.1:{port}"
                for _ in range(50):
                    with contextlib.suppress(httpx.HTTPError):
                        if httpx.get(url, timeout=1).status_code == 200:
                            break
                    time.sleep(0.2)
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
                lab_shots(Path(tmp), reports / RUN, Path(tmp) / "data" / "profiles" / "sandbox" / "state.sqlite",
                          browser, env)
                page = browser.new_page(viewport={"width": 1366, "height": 900})
                page.goto(f"{url}/runs/{RUN}/approve")
                grid = page.locator("#t-grid")
                for label, verdict in (("Southern Alps Timber Ltd", "Approve"), ("Coastal Packaging Ltd", "Reject")):
                    row = grid.locator("tr[data-id]", has_text=label)
                    row.get_by_role("button", name=verdict).click()
                    page.wait_for_function("r => r.getAttribute('data-state') !== 'pending'", arg=row.element_handle())
                grid.locator("tr[data-id]", has_text="Kauri Print").get_by_role("button", name="Before/after").click()
                page.wait_for_selector("#t-grid tr.detail-row")
                page.screenshot(path=str(IMAGES / "approval-grid.png"))
                recon("run", "sync.ipynb", "-p", "run_id", RUN, "-p", "policy", "xero_to_precoro_reference", env=env)
                recon("run", "audit_report.ipynb", "-p", "run_id", RUN, env=env)
                recon("reconcile", "--out", str(reports / "20261202-093000-next"), env=env)  # a run waiting
                page.goto(url + "/")
                page.screenshot(path=str(IMAGES / "app-runs.png"))
                page.goto((reports / RUN / "audit.html").as_uri())
                page.screenshot(path=str(IMAGES / "audit-report.png"))
                browser.close()
    for name in ("difference-view", "notebook-grid", "approval-grid", "app-runs", "audit-report"):
        print(IMAGES / f"{name}.png")


if __name__ == "__main__":
    main()
