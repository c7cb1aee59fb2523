"""The sandbox's HTTP server keeps an idle connection open as hosted APIs do, so a client's pooled connection is
not closed under it between two steps (uvicorn's 5 s default raced the tests' clients: "Server disconnected")."""

import http.client
import time

from recon.sandbox.server import KEEP_ALIVE_SECONDS, ThreadedServer


async def _app(scope, receive, send):  # a minimal ASGI app: 200, "ok"
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


def test_a_connection_idle_longer_than_uvicorns_default_is_still_open():
    server = ThreadedServer(_app).start()
    try:
        connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
        connection.request("GET", "/")
        first = connection.getresponse()
        assert first.status == 200 and first.read() == b"ok"
        local = connection.sock.getsockname()
        time.sleep(6)  # past uvicorn's 5 s, well inside the sandbox's minute
        connection.request("GET", "/")
        second = connection.getresponse()
        assert second.status == 200 and second.read() == b"ok"
        assert connection.sock.getsockname() == local  # the same connection, not a new one
        connection.close()
    finally:
        server.stop()
    assert KEEP_ALIVE_SECONDS >= 60
