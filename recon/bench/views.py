"""How the approval views hold up with many actions: the notebook grid (ipywidgets, driven headless), the web
app (Starlette in-process, and the page in headless chromium), each measured with 10,000 actions against the
same code with 1,000 in the same run (the peer): a ratio near 10 means the cost grows with the actions and no
faster; what a person waits for is given in seconds on this machine.

Measured for each size: building the grid; changing a filter; one click; "approve shown" on every action
(one transaction in the store: :meth:`recon.store.Store.record_decisions`); the app's approval page (server
render and size, then load, filter and "approve shown" in chromium).

``python -m recon.bench views -- [--sizes 1000,10000] [--no-browser] [--no-write]`` prints the figures and
writes the "Views" section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from recon.bench import _docs_page as docs_page

DOCS = docs_page.DOCS
SECTION = "## Views"
CHROMIUM = Path("/usr/bin/chromium")


def plan_of(n: int) -> Any:
    """A plan of ``n`` supplier updates, alternately into Xero and into Precoro."""
    from recon.reconcile.model import Action, Plan

    actions = tuple(Action("supplier", "xero" if i % 2 else "precoro", "update",
                           {"precoro_id": str(i), "xero_id": f"x-{i}"}, {"phone": f"+64 9 555 {i:05d}"},
                           {"phone": f"+64 9 444 {i:05d}"}, "phone changed", "conflict" if i % 10 == 0 else "mismatch",
                           f"Supplier {i:05d} Ltd") for i in range(n))
    return Plan(f"bench-{n}", ("supplier",), actions)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def notebook_grid(n: int, folder: Path) -> dict[str, float]:
    from recon.approve import ApprovalModel
    from recon.store import Store
    from recon.widgets import ApprovalView

    plan = plan_of(n)
    clock = lambda: "2026-12-01T10:00:00Z"  # noqa: E731
    with Store(folder / f"nb-{n}.sqlite") as store:
        build, view = timed(lambda: ApprovalView(ApprovalModel(plan, store, "ana", clock)))
        flt, _ = timed(lambda: setattr(view.direction, "value", "to_xero"))
        first = next(iter(view.cards.values()))
        click, _ = timed(first.approve.click)
        view.direction.value = None
        shown, _ = timed(view.approve_shown.click)
        assert len(store.decisions(plan.fingerprint)) == n + 1
    return {"build": build, "filter": flt, "click": click, "approve_shown": shown}


def app_grid(n: int, folder: Path, browser: Any | None) -> dict[str, float]:
    from starlette.testclient import TestClient

    from recon.app import create_app
    from recon.config import load_settings
    from recon.run_folder import RunFolder
    from recon.store import Store

    reports = folder / f"app-{n}" / "reports"
    run = RunFolder.create(reports, "bench")
    plan = plan_of(n)
    run.file("plan.json").write_text(plan.to_json())
    run.file("run.json").write_text('{"run_id": "bench", "started_at": "2026-12-01T10:00:00Z"}')
    settings = load_settings(env={"RECON_STATE": str(folder / f"app-{n}.sqlite"), "RECON_REPORTS_DIR": str(reports),
                                  "USER": "ana", "RECON_DATA_DIR": str(folder / "data")})
    out: dict[str, float] = {}
    web = create_app(settings)
    with TestClient(web, base_url="http://127.0.0.1") as client:
        out["server_render"], page = timed(lambda: client.get("/runs/bench/approve"))
        out["page_mib"] = len(page.content) / 2**20
        token = web.state.recon.token
        ids = [a.id for a in plan.actions]
        out["post_all"], reply = timed(lambda: client.post("/runs/bench/decisions", headers={"X-Recon-Token": token},
                                                           json={"plan": plan.fingerprint, "ids": ids,
                                                                 "verdict": "reject"}))
        assert reply.status_code == 200, reply.text
        out["post_one"], _ = timed(lambda: client.post("/runs/bench/decisions", headers={"X-Recon-Token": token},
                                                       json={"plan": plan.fingerprint, "ids": ids[:1],
                                                             "verdict": "approve"}))
    with Store(settings.state_path) as store:
        assert len(store.decisions(plan.fingerprint)) == n + 1
    if browser is not None:
        out.update(browser_grid(settings, browser))
    return out


def browser_grid(settings: Any, browser: Any) -> dict[str, float]:
    """Load, filter and "approve shown" in chromium, against the app served by uvicorn in a thread."""
    import socket
    import threading

    import uvicorn

    from recon.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        load, _ = timed(lambda: page.goto(f"http://127.0.0.1:{port}/runs/bench/approve", wait_until="load"))
        filt = page.evaluate("""() => { const t0 = performance.now(); const s = document.querySelector('select[data-filter=direction]');
            s.value = 'to_xero'; s.dispatchEvent(new Event('change')); return (performance.now() - t0) / 1000; }""")
        page.select_option("select[data-filter=direction]", "")
        t0 = time.perf_counter()
        page.click("#approve-shown")
        page.wait_for_function("() => document.querySelectorAll('#t-grid tr[data-state=approve]').length === "
                               "document.querySelectorAll('#t-grid tr[data-id]').length", timeout=120_000)
        shown = time.perf_counter() - t0
        page.close()
        return {"browser_load": load, "browser_filter": float(filt), "browser_approve_shown": shown}
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def section(results: dict[int, dict[str, dict[str, float]]], sizes: list[int]) -> str:
    small, big = sizes[0], sizes[-1]
    rows = [("Notebook grid: build", "notebook", "build"), ("Notebook grid: change a filter", "notebook", "filter"),
            ("Notebook grid: one click", "notebook", "click"),
            ("Notebook grid: approve shown (every action)", "notebook", "approve_shown"),
            ("App: approval page rendered by the server", "app", "server_render"),
            ("App: approval page size (MiB)", "app", "page_mib"),
            ("App: one decision posted", "app", "post_one"),
            ("App: decisions on every action posted", "app", "post_all"),
            ("App in chromium: page loaded", "app", "browser_load"),
            ("App in chromium: change a filter", "app", "browser_filter"),
            ("App in chromium: approve shown, until every row says so", "app", "browser_approve_shown")]
    out = [SECTION, "", "What it does (`recon/bench/views.py`, `make bench-views`): a plan of supplier updates "
           f"({small:,} and {big:,} actions, alternately into Xero and Precoro, one in ten a conflict) in the "
           "notebook's approval grid (ipywidgets, driven headless: what a click runs in the kernel) and in `recon "
           "app` (Starlette in-process, then the page in headless chromium against uvicorn). Every decision lands "
           "in a real SQLite state store. Seconds on this machine; the ratio is the bigger plan against the smaller "
           "in the same run.", "",
           f"Run on {dt.datetime.now(dt.timezone.utc):%Y-%m-%d (%H:%M UTC)} on {platform.machine()}, "
           f"{os.cpu_count()} cores, Python {platform.python_version()} (other work running beside it).", "",
           f"| step | {small:,} actions | {big:,} actions | ratio |", "|---|---:|---:|---:|"]
    for label, where, key in rows:
        a, b = results[small][where].get(key), results[big][where].get(key)
        if a is None or b is None:
            continue
        unit = "" if key == "page_mib" else " s"
        out.append(f"| {label} | {a:.3f}{unit} | {b:.3f}{unit} | {b / a if a else float('nan'):.1f} |")
    out += ["", "The notebook grid lays out 50 rows a page and the app's page 100, so changing a filter or a page "
            "hardly grows with the plan; \"approve shown\" records every action the filters select in one "
            "transaction (`Store.record_decisions`). The app sends every row with the page (filters run in the "
            "browser, no round trip), which is what its load time grows with; a click re-reads the decisions of the "
            "plan from the store (the record), never the page's state."]
    return "\n".join(out) + "\n"


def run(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="python -m recon.bench views")
    p.add_argument("--sizes", default="1000,10000")
    p.add_argument("--no-browser", action="store_true")
    p.add_argument("--no-write", action="store_true")
    opts = p.parse_args(argv)
    sizes = sorted(int(s) for s in opts.sizes.split(","))
    results: dict[int, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp, _browser(not opts.no_browser) as browser:
        for n in sizes:
            results[n] = {"notebook": notebook_grid(n, Path(tmp)), "app": app_grid(n, Path(tmp), browser)}
            print(n, results[n], flush=True)
    text = section(results, sizes)
    print(text)
    if not opts.no_write:
        write_section_as(text)


def write_section_as(text: str, path: Path = DOCS) -> None:
    """This benchmark's section of docs/benchmarks.md replaced (or added), the others left alone."""
    docs_page.write_section(text, SECTION, path)


class _browser:
    """Headless system chromium through playwright, or None when it is not wanted or not there."""

    def __init__(self, wanted: bool) -> None:
        self.wanted, self.pw, self.browser = wanted, None, None

    def __enter__(self) -> Any:
        if not self.wanted or not CHROMIUM.exists():
            return None
        from playwright.sync_api import sync_playwright

        self.pw = sync_playwright().start()
        self.browser = self.pw.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
        return self.browser

    def __exit__(self, *exc: object) -> None:
        if self.browser is not None:
            self.browser.close()
        if self.pw is not None:
            self.pw.stop()
