"""The one table that turns the lower libraries' exceptions into recon's (:mod:`recon.errors`).

Below the connectors sit httpx (Precoro), urllib3 (under xero-python) and the OS sockets. Each raises its own
exceptions for the same few events, and what matters to recon is which event it was: whether the request
ever left (then a write can be sent again safely), whether the connection broke after it left (a write may
have been carried out), or whether no reply came in time. :data:`TRANSPORT_ERRORS` says that once, most
specific first, in the manner of httpx's own map of httpcore exceptions (``httpx/_transports/default.py``);
:func:`translate` applies it and :func:`translated` wraps a call with it.

>>> with translated("precoro", "PUT /suppliers/3"):
...     client.put("/suppliers/3", ...)          # an httpx.RemoteProtocolError comes out as ConnectionLostError
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import httpx
import urllib3.exceptions as u3

from recon.errors import ApiError, CallTimeoutError, ConnectionLostError, NotConnectedError, TransientError

#: (library exception, recon exception), most specific first: the first ``isinstance`` match wins.
TRANSPORT_ERRORS: tuple[tuple[type[BaseException], type[ApiError]], ...] = (
    # httpx (Precoro): the request never left ...
    (httpx.ConnectError, NotConnectedError),
    (httpx.ConnectTimeout, NotConnectedError),
    (httpx.PoolTimeout, NotConnectedError),
    (httpx.ProxyError, NotConnectedError),
    # ... it left, and then the reply did not come in time, or the connection broke
    (httpx.TimeoutException, CallTimeoutError),        # ReadTimeout, WriteTimeout
    (httpx.RemoteProtocolError, ConnectionLostError),  # closed mid-reply, a truncated body
    (httpx.NetworkError, ConnectionLostError),         # ReadError, WriteError, CloseError
    (httpx.DecodingError, ConnectionLostError),        # a garbled (cut) compressed body
    # httpx errors of recon's own making are not passing failures
    (httpx.UnsupportedProtocol, ApiError),
    (httpx.LocalProtocolError, ApiError),
    (httpx.TransportError, ConnectionLostError),
    # urllib3 (xero-python): NewConnectionError is a ConnectTimeoutError subclass, both mean nothing was sent
    (u3.NewConnectionError, NotConnectedError),
    (u3.ConnectTimeoutError, NotConnectedError),
    (u3.ProxyError, NotConnectedError),
    (u3.ReadTimeoutError, CallTimeoutError),
    (u3.ProtocolError, ConnectionLostError),           # connection aborted or reset, an incomplete read
    (u3.HTTPError, ConnectionLostError),
    # the OS, when a socket error is not wrapped by either library
    (ConnectionRefusedError, NotConnectedError),
    (TimeoutError, CallTimeoutError),
    (OSError, ConnectionLostError),                    # reset, broken pipe
)

#: What :func:`translated` catches: every library exception the table knows.
TRANSPORT_TYPES: tuple[type[BaseException], ...] = tuple(dict.fromkeys(t for t, _ in TRANSPORT_ERRORS))


def _root(exc: BaseException) -> BaseException:
    # urllib3 reports a failed attempt as MaxRetryError (recon switches its retries off); the reason says what
    while isinstance(exc, u3.MaxRetryError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    return exc


def translate(exc: BaseException, *, system: str, operation: str) -> ApiError:
    """``exc`` as the recon :class:`~recon.errors.ApiError` the table names (an ApiError is returned as is).

    The message starts with what happened ("connection lost", "could not connect", "timed out") and keeps
    the library's own words in brackets."""
    if isinstance(exc, ApiError):
        return exc
    cause = _root(exc)
    ours: type[ApiError] = next((mapped for library, mapped in TRANSPORT_ERRORS if isinstance(cause, library)),
                                ConnectionLostError)
    detail = f"{type(cause).__name__}: {cause}".rstrip(": ")[:300]
    message = f"{ours.what} ({detail})" if issubclass(ours, TransientError) else detail
    return ours(message, system=system, operation=operation)


@contextmanager
def translated(system: str, operation: str) -> Iterator[None]:
    """Run the block; a library exception from the table leaves it as the recon exception it maps to."""
    try:
        yield
    except ApiError:
        raise
    except TRANSPORT_TYPES as exc:
        raise translate(exc, system=system, operation=operation) from None


__all__ = ["TRANSPORT_ERRORS", "translate", "translated"]
