"""``recon app``: the approval flow as a small web application, for accountants who never open a notebook.

Pages (the :data:`PAGES` registry: one lookup from name to path, title and builder)::

    /                         the profile's runs, newest first, with their status
    /runs/{run_id}            the run's differences (the difference view of the report)
    /runs/{run_id}/approve    the approval grid
    /runs/{run_id}/report     the audit report of a finished run

and two endpoints the grid calls: ``GET /runs/{run_id}/actions/{action_id}`` (one action's before and after,
as an escaped fragment) and ``POST /runs/{run_id}/decisions`` (decisions on the run's plan, recorded at once
in the profile's state store through :class:`recon.approve.ApprovalModel`, bound to the plan's fingerprint,
``by`` the profile's user, exactly like a click in the notebook).

Built on Starlette and served by uvicorn (see the README for why not Voilà or Panel). It listens on
loopback only; it answers only requests whose Host is loopback (no DNS rebinding) and takes decisions only
with the page's token in ``X-Recon-Token`` (another site cannot post one).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from recon import report_words as rw
from recon.approval_grid import GRID_CSS, GRID_SCRIPT, grid, state_words
from recon.approve import ApprovalModel
from recon.config import Settings
from recon.difference_view import changes_html, difference_frame, differences_table
from recon.errors import ConfigError, ReconError
from recon.reconcile.model import VERDICTS
from recon.report_html import CSS, SCRIPT, esc, table
from recon.run_folder import OWN_SANDBOX, RunFolder, check_run_id, iso, runs

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass(frozen=True)
class Page:
    """One page of the app: where it is, its title, and the function building its body from a request."""

    path: str
    title: str
    build: Callable[["App", Request], str]


class App:
    """The app's state: the profile's settings, a clock and the token of this start."""

    def __init__(self, settings: Settings, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.settings = settings
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.token = secrets.token_urlsafe(24)
        self._plans: dict[str, tuple[Any, Any]] = {}

    # -- where things are --------------------------------------------------------------------------------
    def folder(self, run_id: str) -> RunFolder:
        folder = RunFolder(self.settings.reports_dir / check_run_id(run_id))
        if not folder.is_run():
            raise ConfigError(f"there is no run {run_id} in {self.settings.reports_dir}")
        return folder

    def plan(self, folder: RunFolder) -> Any:
        """The run's plan, checked against its fingerprint once per version of ``plan.json`` (a click on 10,000
        actions must not rehash the plan)."""
        from recon.approve import check_plan

        path = folder.file("plan.json")
        if not path.is_file():
            return None
        key = (str(path), path.stat().st_mtime_ns, path.stat().st_size)
        cached = self._plans.get(str(path))
        if cached is None or cached[0] != key:
            plan = folder.plan()
            if plan is not None:
                check_plan(plan)
            cached = self._plans[str(path)] = (key, plan)
        return cached[1]

    def model(self, plan: Any, store: Any) -> ApprovalModel:
        return ApprovalModel(plan, store, self.settings.user, lambda: iso(self.clock()), plan_checked=True)

    def store(self, folder: RunFolder) -> Any:
        """The state store the run's decisions belong in (a demo run's own sandbox state, else the profile's)."""
        from recon.store import Store

        own = folder.run_info().get("sandbox") == OWN_SANDBOX
        return Store(folder.sandbox_state() if own else self.settings.state_path, approvals_key=self.settings.approvals_key)

    def zone(self, folder: RunFolder | None = None) -> dt.tzinfo:
        return rw.zone_of_snapshot(folder.snapshot_meta() if folder is not None else None, self.settings.timezone)

    # -- pages -------------------------------------------------------------------------------------------
    def layout(self, title: str, body: str, *, script: str = "", run_id: str = "") -> HTMLResponse:
        nav = ['<a href="/">Runs</a>']
        if run_id:
            nav += [f'<a href="/runs/{esc(run_id)}">Differences</a>', f'<a href="/runs/{esc(run_id)}/approve">Approve</a>',
                    f'<a href="/runs/{esc(run_id)}/report">Audit report</a>']
        return HTMLResponse(
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="recon-token" content="{self.token}">'
            '<link rel="icon" href="data:,">'
            f"<title>{esc(title)} · recon</title><style>{CSS}{GRID_CSS}"
            ".recon-report nav{display:flex;gap:1.2em;padding:.4em 0;border-bottom:1px solid #d8dee8}</style></head>"
            f'<body><div class="recon-report"><nav aria-label="recon">{"".join(nav)}<span class="note">'
            f"{esc(self.settings.describe())} · you are {esc(self.settings.user)}</span></nav><h1>{esc(title)}</h1>"
            f"{body}<script>{SCRIPT}</script>{f'<script>{script}</script>' if script else ''}</div></body></html>")


def runs_page(app: App, request: Request) -> str:
    from recon.profiles import run_status

    every = list(reversed(runs(app.settings.reports_dir)))
    if not every:
        return (f'<p class="note">No runs yet in {esc(app.settings.reports_dir)}. Start one with <code>recon reconcile'
                "</code> or in JupyterLab.</p>")
    rows = []
    for folder in every:
        zone = app.zone(folder)
        status = run_status(folder)
        plan = folder.plan() if status.status == "waiting" else None
        if plan is not None and plan.actions:  # decisions made here are in the store, not yet in approvals.jsonl
            with app.store(folder) as store:
                decided = {d.action_id for d in store.decisions(plan.fingerprint)}
            pending = sum(1 for a in plan.actions if a.id not in decided)
            status = replace(status, detail=f"{pending} of {len(plan.actions)} actions waiting for a decision"
                             if pending else f"all {len(plan.actions)} actions decided, not applied yet")
        run_id = esc(folder.run_id)
        links = [f'<a href="/runs/{run_id}">differences</a>']
        if status.actions:
            links.append(f'<a href="/runs/{run_id}/approve">approve</a>')
        if status.report is not None or folder.outcome() is not None:
            links.append(f'<a href="/runs/{run_id}/report">audit report</a>')
        from recon.report_html import Html

        rows.append({"run": folder.run_id, "started": rw.local_time(status.started_at, zone), "status": status.status,
                     "detail": status.detail, "differences": status.differences, "actions": status.actions,
                     "open": Html(" · ".join(links))})
    import pandas as pd

    return table(pd.DataFrame(rows), "t-runs", headers={"run": "Run", "started": "Started", "status": "Status",
                                                        "detail": "What happened", "differences": "Differences",
                                                        "actions": "Actions", "open": "Open"})


def differences_page(app: App, request: Request) -> str:
    folder = app.folder(request.path_params["run_id"])
    diffs = folder.differences()
    if diffs is None:
        return '<p class="note">This run has not been reconciled yet: it has no differences.</p>'
    meta = folder.snapshot_meta() or {}
    currency = str((meta.get("xero") or {}).get("base_currency") or (meta.get("precoro") or {}).get("currency") or "")
    return f'<p class="lead">{len(diffs)} differences.</p>' + differences_table(difference_frame(diffs, currency))


def approve_page(app: App, request: Request) -> str:
    folder = app.folder(request.path_params["run_id"])
    plan = app.plan(folder)
    if plan is None:
        return '<p class="note">This run has no plan: nothing to approve.</p>'
    if not plan.actions:
        return '<p class="lead">No objects needed to be updated.</p>'
    with app.store(folder) as store:
        verdicts = app.model(plan, store).verdicts()
    return (f'<p class="note">Plan {esc(plan.fingerprint)}: every click is recorded at once in the state store, '
            f"as {esc(app.settings.user)}.</p>" + grid(plan, verdicts, app.zone(folder)))


def report_page(app: App, request: Request) -> str:
    from recon import report
    from recon.report_html import body

    folder = app.folder(request.path_params["run_id"])
    if folder.outcome() is None:
        return '<p class="note">This run has not been applied yet: its audit report comes when it finishes.</p>'
    return body(report.load_run(folder.path))


PAGES: dict[str, Page] = {
    "runs": Page("/", "Runs", runs_page),
    "differences": Page("/runs/{run_id}", "Differences", differences_page),
    "approve": Page("/runs/{run_id}/approve", "Approve", approve_page),
    "report": Page("/runs/{run_id}/report", "Audit report", report_page),
}


def _page_endpoint(app: App, page: Page) -> Callable[[Request], Any]:
    def endpoint(request: Request) -> Response:  # sync: Starlette runs it in a thread (SQLite, files)
        run_id = request.path_params.get("run_id", "")
        try:
            body = page.build(app, request)
        except ReconError as exc:
            return app.layout("Not found", f'<p class="bad">{esc(exc)}</p>', run_id="")
        title = f"{page.title} · run {run_id}" if run_id else page.title
        return app.layout(title, body, script=GRID_SCRIPT if page is PAGES["approve"] else "", run_id=run_id)

    return endpoint


def _action_fragment(app: App) -> Callable[[Request], Response]:
    def endpoint(request: Request) -> Response:
        try:
            plan = app.plan(app.folder(request.path_params["run_id"]))
        except ReconError as exc:
            return HTMLResponse(f'<p class="bad">{esc(exc)}</p>', status_code=404)
        action = plan.by_id().get(request.path_params["action_id"]) if plan else None
        if action is None:
            return HTMLResponse('<p class="bad">No such action in this run\'s plan.</p>', status_code=404)
        names = dict.fromkeys([*action.new, *action.old])
        changes = [(n, action.old.get(n), action.new.get(n)) for n in names
                   if action.op == "create" or action.old.get(n) != action.new.get(n)]
        return HTMLResponse(changes_html(changes, action.op).html)

    return endpoint


def _decisions(app: App) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        if not secrets.compare_digest(request.headers.get("x-recon-token", ""), app.token):
            return JSONResponse({"error": "This page is out of date (recon app restarted): reload it."}, status_code=403)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "The request is not JSON."}, status_code=400)
        return await run_in_threadpool(_record, app, request.path_params["run_id"], body)

    return endpoint


def _record(app: App, run_id: str, body: Any) -> JSONResponse:
    ids, verdict = body.get("ids") if isinstance(body, dict) else None, body.get("verdict") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or verdict not in VERDICTS:
        return JSONResponse({"error": "A decision needs a list of action ids and a verdict (approve or reject)."},
                            status_code=400)
    try:
        folder = app.folder(run_id)
        plan = app.plan(folder)
        if plan is None:
            raise ConfigError(f"run {run_id} has no plan")
        if body.get("plan") != plan.fingerprint:
            return JSONResponse({"error": f"The plan of run {run_id} has changed since this page was loaded: reload it."},
                                status_code=409)
        with app.store(folder) as store:
            model = app.model(plan, store)
            # the store is the record; approvals.jsonl is copied from it when the run is synced (sync.ipynb)
            made = model.decide_many(ids, verdict, str(body.get("comment") or ""))
    except ReconError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    zone = app.zone(folder)
    states = {d.action_id: {"state": d.verdict, "words": state_words(d, zone)} for d in made}
    word = "approved" if verdict == "approve" else "rejected"
    return JSONResponse({"states": states, "said": f"{len(made)} action(s) {word} as {app.settings.user}."})


def create_app(settings: Settings, clock: Callable[[], dt.datetime] | None = None) -> Starlette:
    """The Starlette application for ``settings``'s profile (served by :func:`serve`, or tested in-process)."""
    app = App(settings, clock)
    routes = [Route(page.path, _page_endpoint(app, page), name=name) for name, page in PAGES.items()]
    routes += [Route("/runs/{run_id}/actions/{action_id}", _action_fragment(app)),
               Route("/runs/{run_id}/decisions", _decisions(app), methods=["POST"])]
    web = Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(LOOPBACK))])
    web.state.recon = app
    return web


def serve(settings: Settings, port: int = 8765, open_browser: bool = False) -> None:
    """Serve the app on loopback until interrupted."""
    import uvicorn

    url = f"http://127.0.0.1:{port}/"
    print(f"recon app for {settings.describe()} at {url} (Ctrl-C stops)", flush=True)
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")


__all__ = ["PAGES", "Page", "create_app", "serve"]
