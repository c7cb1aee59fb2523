"""The sandbox: local emulators of the Xero and Precoro APIs, served over real HTTP on loopback.

>>> with Sandbox(seed="demo") as sb:          # both emulators on free ports, demo data loaded
...     settings = load_settings().with_sandbox_urls(sb.xero_url, sb.precoro_url)

Each emulator keeps its state in memory and offers the admin surface of DESIGN.md (``/_sandbox/reset``,
``/load``, ``/stats``, ``/faults``, ``/dump``). ``limits`` overrides the rate limits in force (by default the
real services' limits); tests and benchmarks raise them. ``xero_app`` says what kind of Xero app the public
sandbox client plays: ``new`` (created after 2 March 2026: granular scopes only, the default) or ``old``
(also accepts the broad ``accounting.transactions``).
"""

from __future__ import annotations

from typing import Any

from recon.sandbox.server import ThreadedServer

__all__ = ["Sandbox"]


class Sandbox:
    """Both emulators running in this process, each on its own loopback port."""

    def __init__(self, seed: str = "demo", *, xero_port: int = 0, precoro_port: int = 0,
                 xero_limits: dict[str, int] | None = None, precoro_limits: dict[str, int] | None = None,
                 xero_app: str = "new") -> None:
        from recon.config import SANDBOX_XERO_CLIENT_ID, SANDBOX_XERO_CLIENT_SECRET
        from recon.sandbox.precoro import PrecoroEmulator
        from recon.sandbox.xero import XeroEmulator
        from recon.sandbox.xero_auth import APP_CREATED

        if xero_app not in APP_CREATED:
            raise ValueError(f"xero_app is one of {', '.join(APP_CREATED)}, not {xero_app!r}")
        self.xero = XeroEmulator(seed=seed, limits=xero_limits)
        self.xero.identity.register_app(SANDBOX_XERO_CLIENT_ID, SANDBOX_XERO_CLIENT_SECRET, APP_CREATED[xero_app])
        self.precoro = PrecoroEmulator(seed=seed, limits=precoro_limits)
        self._servers = [ThreadedServer(self.xero.app, xero_port), ThreadedServer(self.precoro.app, precoro_port)]

    @property
    def xero_url(self) -> str:
        """Base URL serving both ``RECON_XERO_API_URL`` and ``RECON_XERO_IDENTITY_URL``."""
        return self._servers[0].url

    @property
    def precoro_url(self) -> str:
        return self._servers[1].url

    def start(self) -> "Sandbox":
        for server in self._servers:
            server.start()
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.stop()

    def reset(self, seed: str = "demo") -> None:
        """Put both emulators back to a seed (``demo`` or ``empty``); faults and statistics are cleared."""
        self.xero.reset(seed)
        self.precoro.reset(seed)

    def load(self, xero: dict[str, Any] | None = None, precoro: dict[str, Any] | None = None) -> None:
        """Load records (in each API's GET shapes) into the emulators without going through HTTP."""
        if xero:
            self.xero.load(xero)
        if precoro:
            self.precoro.load(precoro)

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
