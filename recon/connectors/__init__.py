"""Connectors: the only code that talks to Xero (``xero.py``, on xero-python) and Precoro (``precoro.py``,
on httpx). :func:`open_connectors` builds both from the settings; both are context managers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from recon.connectors.base import Connector, WriteRequest, WriteResult

if TYPE_CHECKING:
    from recon.config import Settings
    from recon.connectors.precoro import PrecoroConnector
    from recon.connectors.xero import XeroConnector

__all__ = ["Connector", "WriteRequest", "WriteResult", "open_connectors"]


class _Pair(tuple):
    """``(xero, precoro)`` that also closes both when used in a ``with`` block."""

    def __enter__(self) -> "_Pair":
        return self

    def __exit__(self, *exc: object) -> None:
        for conn in self:
            conn.close()


def open_connectors(settings: "Settings") -> "tuple[XeroConnector, PrecoroConnector]":
    """Both connectors for ``settings`` (each system's sandbox URLs must be filled in when it is sandboxed)."""
    from recon.connectors.precoro import PrecoroConnector
    from recon.connectors.xero import XeroConnector

    xero = XeroConnector(settings)
    try:
        precoro = PrecoroConnector(settings)
    except Exception:
        xero.close()
        raise
    return _Pair((xero, precoro))
