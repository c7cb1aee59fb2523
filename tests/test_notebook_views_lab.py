"""The notebook's views in JupyterLab, in headless chromium: a notebook builds the difference view and the
approval grid over a run folder, JupyterLab runs it in a real `recon` kernel, and chromium sorts and filters
the difference view, reads a hostile name as text, and clicks Approve in the grid: the store holds that
decision. No page error, nothing fetched from outside the lab."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import nbformat
import pytest

import sample_run

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "views-test-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_notebook(folder: Path, run: Path, state: Path) -> Path:
    cells = [
        nbformat.v4.new_code_cell(
            "from recon import report_views as views\nfrom recon.run_folder import RunFolder\n"
            f"run = RunFolder({str(run)!r})\nimport pandas as pd\n"
            "# the run's differences and three copies under other names: a table long enough for paging and search\n"
            "d = pd.concat([run.differences()] + [run.differences().assign(label=run.differences()['label'] + f' #{n}')\n"
            "                                      for n in (1, 2, 3)], ignore_index=True)\n"
            "views.difference_view(d, 'NZD', page_length=10)"),
        nbformat.v4.new_code_cell(
            "from recon.approve import ApprovalModel\nfrom recon.store import Store\nfrom recon.widgets import ApprovalView\n"
            f"store = Store({str(state)!r})\n"
            "view = ApprovalView(ApprovalModel(run.plan(), store, 'ana', lambda: '2026-03-01T09:10:00Z'))\nview"),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "recon", "display_name": "recon (Python 3)", "language": "python"}
    path = folder / "views.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("lab")
    run = sample_run.build(folder / "reports" / "20260301-090507-beef")
    state = folder / "state.sqlite"
    write_notebook(folder, run, state)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JUPYTER_RUNTIME_DIR": str(folder / "runtime"),
           "JUPYTER_CONFIG_DIR": str(folder / "config"), "JUPYTERLAB_SETTINGS_DIR": str(folder / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(folder / "workspaces")}
    proc = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
                             f"--ServerApp.root_dir={folder}", f"--IdentityProvider.token={TOKEN}",
                             "--ServerApp.ip=127.0.0.1", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
                             "jupyterlab.NeverCheckForUpdate", "--LabApp.extension_manager=readonly",
                             *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
                            env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{url}/api/status", headers={"Authorization": f"token {TOKEN}"}, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise AssertionError("jupyter lab did not start")
        yield {"url": url, "state": state, "run": run}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def page(lab: dict[str, Any]) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (`make test` does, via tools/ensure-test-packages)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev extra: pip install -e '.[dev]'")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 1000})
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("request", lambda r: problems.append(f"request: {r.url}")
                if not r.url.startswith((lab["url"], "data:", "blob:", "ws://127.0.0.1")) else None)
        page.goto(f"{lab['url']}/lab/tree/views.ipynb?token={TOKEN}")
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status=idle], .jp-Toolbar-kernelStatus", timeout=60_000)
        page.wait_for_timeout(3000)  # the kernel connects after its status shows
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        page.wait_for_selector("table.dataTable", timeout=120_000)
        page.wait_for_selector(".jupyter-widgets button:has-text('Approve')", timeout=120_000)
        yield page
        browser.close()
        assert problems == [], problems


def rows(page: Any) -> list[str]:
    return page.eval_on_selector_all("table.dataTable tbody tr",  # the shown table (not its static fallback copy)
                                     "rs => rs.filter(r => r.offsetParent !== null).map(r => r.cells[1].textContent)")


def test_the_difference_view_sorts_and_filters_in_jupyterlab(page: Any) -> None:
    before = rows(page)
    assert len(before) == 10  # a page of 10 of the 24 differences
    page.locator("table.dataTable thead th:visible", has_text="Record").first.click()
    after = [r for r in rows(page) if not r.startswith("<")]  # DataTables sorts a tag-like name by its text inside
    assert after == sorted(after, key=str.lower) and rows(page) != before
    search = page.locator(".dt-container input[type=search]").first
    search.fill("Acme")
    assert sorted(rows(page)) == ["Acme Ltd", "Acme Ltd #1", "Acme Ltd #2", "Acme Ltd #3"]
    assert "Changed in Xero" in " ".join(page.eval_on_selector_all(
        "table.dataTable tbody tr", "rs => rs.filter(r => r.offsetParent !== null).map(r => r.textContent)"))
    search.fill("")


def test_a_hostile_name_stays_text_in_jupyterlab(page: Any) -> None:
    assert page.locator("table.dataTable").get_by_text(sample_run.XSS).count() >= 1
    assert page.locator(".jp-OutputArea script:has-text('alert(1)')").count() == 0


def test_a_click_in_the_grid_lands_in_the_store(page: Any, lab: dict[str, Any]) -> None:
    from recon.store import Store

    plan = sample_run.RunFolder(lab["run"]).plan()
    page.locator(".jupyter-widgets button:has-text('Approve')").nth(2).click()  # 0, 1: approve selected / shown
    page.wait_for_selector(".jupyter-widgets :text('approved by ana')", timeout=30_000)
    with Store(lab["state"]) as store:
        decisions = store.decisions(plan.fingerprint)
    assert [(d.verdict, d.by) for d in decisions] == [("approve", "ana")]
    assert decisions[0].action_id in plan.by_id()
