"""The shared sandbox plumbing on a real loopback server: limits, faults, stats."""

import json

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from recon.sandbox.admin import RateLimiter, SandboxMiddleware, Window, route_of
from recon.sandbox.server import ThreadedServer

WRITES: list[str] = []


async def _thing(request):
    if request.method == "PUT":
        WRITES.append(request.path_params["tid"])
    return JSONResponse({"ok": True})


def _limited(problem, wait, remaining):
    return 429, [("Retry-After", str(int(wait))), ("X-Rate-Limit-Problem", problem)], json.dumps({"problem": problem}).encode()


@pytest.fixture()
def served():
    clock = [1000.0]
    limiter = RateLimiter([Window("minute", 60, 3), Window("day", 86400, 5)], clock=lambda: clock[0])
    app = SandboxMiddleware(
        Starlette(routes=[Route("/things/{tid}", _thing, methods=["GET", "PUT"])]),
        limiter=limiter, key_of=lambda scope: "t", limited=_limited,
        remaining_headers=lambda r: [("X-MinLimit-Remaining", str(r["minute"]))],
    )
    with ThreadedServer(app) as server:
        yield server, app, clock


def test_limits_minute_then_day_with_retry_after(served):
    server, app, clock = served
    with httpx.Client(base_url=server.url) as c:
        assert [c.get("/things/1").headers["x-minlimit-remaining"] for _ in range(3)] == ["2", "1", "0"]
        r = c.get("/things/1")
        assert (r.status_code, r.headers["x-rate-limit-problem"]) == (429, "minute")
        assert 1 <= int(r.headers["retry-after"]) <= 60
        clock[0] += 61
        assert c.get("/things/1").status_code == 200
        assert c.get("/things/1").status_code == 200
        r = c.get("/things/1")
        assert (r.status_code, r.headers["x-rate-limit-problem"]) == (429, "day")


def test_drop_after_commit_writes_but_client_sees_a_broken_reply(served):
    server, app, clock = served
    app.configure({"rate_drop_after": 1.0, "methods": ["PUT"], "max_faults": 1, "limits": {"minute": 100, "day": 100}})
    WRITES.clear()
    with httpx.Client(base_url=server.url) as c:
        with pytest.raises(httpx.RemoteProtocolError):
            c.put("/things/7")
        assert WRITES == ["7"]
        assert c.put("/things/8").status_code == 200  # max_faults spent
    assert app.stats.snapshot()["by_route"] == {"PUT /things/{id}": 2}


@pytest.mark.parametrize("path, route", [
    ("/api.xro/2.0/Contacts/3f2b0c1e-1111-2222-3333-444455556666", "GET /api.xro/2.0/Contacts/{id}"),
    ("/purchaseorders/12", "GET /purchaseorders/{id}"),
    ("/api.xro/2.0/TaxRates", "GET /api.xro/2.0/TaxRates"),
])
def test_route_names_hide_ids(path, route):
    assert route_of("GET", path) == route
