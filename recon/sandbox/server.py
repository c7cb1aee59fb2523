"""Serve an ASGI app on loopback in a background thread (tests, notebooks, `recon sandbox`)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


#: how long an idle keep-alive connection stays open
KEEP_ALIVE_SECONDS = 60


class ThreadedServer:
    """A uvicorn server on ``127.0.0.1`` running in a daemon thread; ``url`` once started."""

    def __init__(self, app: Any, port: int = 0, host: str = "127.0.0.1") -> None:
        self.app, self.host = app, host
        self.port = port or _free_port(host)
        # idle connections kept a minute, as the load balancers in front of hosted APIs keep them (AWS's default
        # is 60 s): at uvicorn's 5 s a client reusing a pooled connection raced the server closing it
        # (RemoteProtocolError, "Server disconnected"), seen between the steps of a night in the tests
        self._server = uvicorn.Server(uvicorn.Config(app, host=host, port=self.port, log_level="warning",
                                                     access_log=False, lifespan="off",
                                                     timeout_keep_alive=KEEP_ALIVE_SECONDS))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> "ThreadedServer":
        self._thread = threading.Thread(target=self._server.run, name=f"sandbox-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"sandbox server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> "ThreadedServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
