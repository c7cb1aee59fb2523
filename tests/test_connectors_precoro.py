"""The Precoro client on its own: paging at 200, the 429 body's limiters, detail reuse, auth failures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from recon.config import load_settings
from recon.connectors.pacing import RetryPolicy, reset_pacers
from recon.connectors.precoro import PrecoroConnector
from recon.errors import AuthError, DailyLimitError
from recon.sandbox.precoro import PrecoroEmulator
from recon.sandbox.server import ThreadedServer

HIGH = {"minute": 1_000_000, "hour": 1_000_000, "day": 1_000_000}


@pytest.fixture()
def served(tmp_path: Path):
    emu = PrecoroEmulator(seed="empty", limits=HIGH)
    server = ThreadedServer(emu.app).start()
    reset_pacers()
    settings = load_settings(env={"RECON_TOKEN_FILE": str(tmp_path / "t.json")}).with_sandbox_urls(None, server.url)
    conn = PrecoroConnector(settings)
    conn.pacer.set_limits({"minute": 100_000, "hour": 100_000})
    yield emu, server.url, conn, settings
    conn.close()
    server.stop()


def _stats(emu: PrecoroEmulator) -> dict[str, int]:
    return emu.middleware.stats.snapshot()["by_route"]


@pytest.mark.parametrize("n,pages", [(0, 1), (200, 1), (201, 2), (450, 3)])
def test_lists_are_read_200_a_page(served, n: int, pages: int) -> None:
    emu, _, conn, _ = served
    emu.load({"suppliers": [{"id": 100 + i, "name": f"S{i}", "uniqueCode": f"U{i}"} for i in range(n)]})
    got = [r for page in conn.fetch_kind("supplier") for r in page.records]
    assert len(got) == n and len({r["id"] for r in got}) == n
    assert _stats(emu).get("GET /suppliers", 0) == pages


def test_unchanged_documents_reuse_the_previous_detail(served) -> None:
    from recon.sandbox.demo import precoro_seed
    emu, _, conn, _ = served
    emu.load(precoro_seed())
    first = {str(r["idn"]): r for p in conn.fetch_kind("bill") for r in p.records}
    details0 = sum(n for route, n in _stats(emu).items() if route.startswith("GET /invoices/"))
    assert details0 == len(first)
    again = [r for p in conn.fetch_kind("bill", previous=first) for r in p.records]
    assert sum(n for route, n in _stats(emu).items() if route.startswith("GET /invoices/")) == details0
    assert again == list(first.values())


def test_wrong_credentials_are_an_auth_error(served) -> None:
    _, url, _, _ = served
    bad = load_settings(env={"RECON_PRECORO_TOKEN": "nope", "RECON_PRECORO_EMAIL": "x@y", "RECON_PRECORO_BASE_URL": url})
    with PrecoroConnector(bad) as conn, pytest.raises(AuthError) as err:
        list(conn.fetch_kind("supplier"))
    assert err.value.status == 401 and err.value.system == "precoro"


def _limited_app(kind: str, times: int) -> Starlette:
    hits = {"n": 0}

    async def suppliers(request: Any) -> JSONResponse:
        hits["n"] += 1
        if hits["n"] <= times:
            at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)
            return JSONResponse({"RateLimit-Type": kind, "RateLimit-Retry-After": at.strftime("%Y-%m-%d %H:%M:%S UTC")},
                                status_code=429)
        return JSONResponse({"data": [{"id": 1, "name": "A"}], "meta": {"pagination": {"has_next_page": False}}})
    app = Starlette(routes=[Route("/suppliers", suppliers)])
    app.state.hits = hits
    return app


@pytest.mark.parametrize("limiter", ["Minute limiter", "Hourly limiter"])
def test_minute_and_hour_limiters_wait_for_the_retry_time_and_go_on(tmp_path: Path, limiter: str) -> None:
    app = _limited_app(limiter, 1)
    server = ThreadedServer(app).start()
    reset_pacers()
    try:
        settings = load_settings(env={"RECON_TOKEN_FILE": str(tmp_path / "t.json")}).with_sandbox_urls(None, server.url)
        with PrecoroConnector(settings) as conn:
            conn.pacer.policy = RetryPolicy(base=0.01)
            records = [r for p in conn.fetch_kind("supplier") for r in p.records]
        assert records == [{"id": 1, "name": "A"}] and app.state.hits["n"] == 2
    finally:
        server.stop()


def test_the_daily_limiter_stops_with_the_resume_time(tmp_path: Path) -> None:
    app = _limited_app("Daily limiter", 99)
    server = ThreadedServer(app).start()
    reset_pacers()
    try:
        settings = load_settings(env={"RECON_TOKEN_FILE": str(tmp_path / "t.json")}).with_sandbox_urls(None, server.url)
        with PrecoroConnector(settings) as conn, pytest.raises(DailyLimitError) as err:
            list(conn.fetch_kind("supplier"))
        assert err.value.resume_at is not None and "resume at" in str(err.value)
        assert app.state.hits["n"] == 1
    finally:
        server.stop()
