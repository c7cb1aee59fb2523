"""recon's exceptions: one tree, so callers can catch as broadly or narrowly as they need.

::

    ReconError                      anything recon raises on purpose
    ├── ConfigError                 bad or missing settings, profile or token file
    ├── DataError                   a record that cannot be read into the canonical schema (names record and field)
    ├── ApiError                    a call to Xero or Precoro failed (system, operation, record, field, status)
    │   ├── AuthError               401/403, expired or refused credentials
    │   ├── NotFoundError           404 for a record we asked for
    │   ├── RemoteValidationError   the service refused a record (400 ValidationException / errors.errors)
    │   ├── TransientError          5xx, timeout, dropped connection: retryable
    │   │   ├── ServerError         5xx: "server error"
    │   │   ├── ConnectionLostError the connection dropped or the reply was cut short: "connection lost"
    │   │   │   └── NotConnectedError  no connection was made, so nothing was sent: "could not connect"
    │   │   └── CallTimeoutError    no reply in time: "timed out"
    │   └── RateLimitError          429 for a minute or hour limit: retryable after ``retry_after`` seconds
    │       └── DailyLimitError     429 for the day limit: not retryable in this run; ``resume_at`` says when
    ├── PlanError                   a plan or decision that cannot be used
    │   ├── StaleActionError        the target record changed since the plan was made
    │   └── ApprovalError           a decision on another plan, on changed data, or by an unknown policy
    └── StoreError                  the state store
        ├── LockError               another process is applying on this state file (names the holder)
        └── IntegrityError          the approvals chain, its head or its signature does not verify (names the row)

Every :class:`ApiError` carries ``retryable``: the connectors retry only those, and writes only when
sending them again is safe (an idempotency key, a method that is idempotent, or a request that never left:
``TransientError.maybe_delivered``). Lower libraries' exceptions (httpx, urllib3 under xero-python, the OS)
become these through the one table in :mod:`recon.connectors.failures`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


class ReconError(Exception):
    """Base of every exception recon raises on purpose."""


class ConfigError(ReconError):
    """Settings, a profile or a token file are missing or wrong."""


class DataError(ReconError):
    """A record that cannot be read into the canonical schema.

    The message always names the system, the kind, the record and the field.
    """

    def __init__(
        self,
        message: str,
        *,
        system: str | None = None,
        kind: str | None = None,
        record: str | None = None,
        field: str | None = None,
        value: Any = None,
    ) -> None:
        self.system, self.kind, self.record, self.field, self.value = system, kind, record, field, value
        where = "/".join(p for p in (system, kind, record) if p)
        prefix = f"{where}" + (f" field {field!r}" if field else "")
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ApiError(ReconError):
    """A call to an external system failed.

    Attributes name what failed: ``system`` (``"xero"`` or ``"precoro"``), ``operation`` (e.g.
    ``"PUT /Contacts"``), ``record`` and ``field`` when the service named them, the HTTP ``status`` when
    there was one, and whether a retry may succeed (``retryable``).
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        system: str,
        operation: str = "",
        record: str | None = None,
        field: str | None = None,
        status: int | None = None,
        body: Any = None,
    ) -> None:
        self.message = message
        self.system, self.operation, self.record, self.field = system, operation, record, field
        self.status, self.body = status, body
        parts = [system]
        if operation:
            parts.append(operation)
        if record:
            parts.append(f"record {record}")
        if field:
            parts.append(f"field {field!r}")
        if status is not None:
            parts.append(f"HTTP {status}")
        super().__init__(f"{' '.join(parts)}: {message}")


class AuthError(ApiError):
    """The service refused our credentials (401/403) or a token could not be obtained."""


class NotFoundError(ApiError):
    """The record asked for does not exist (404)."""


class RemoteValidationError(ApiError):
    """The service refused a record it was sent; ``record`` and ``field`` name it where the service did."""


class TransientError(ApiError):
    """A failure that may pass: 5xx, a timeout, a dropped connection.

    ``what`` names the failure for people ("connection lost", "server error", ...); ``maybe_delivered``
    says whether the service may have received (and carried out) the request."""

    retryable = True
    what = "temporary failure"
    maybe_delivered = True


class ServerError(TransientError):
    """The service answered with a 5xx: it may or may not have carried out a write."""

    what = "server error"


class ConnectionLostError(TransientError):
    """The connection dropped, or the reply was cut short or garbled: a write may have been carried out."""

    what = "connection lost"


class NotConnectedError(ConnectionLostError):
    """No connection could be made (refused, unreachable, connect timeout): the request was never sent."""

    what = "could not connect"
    maybe_delivered = False


class CallTimeoutError(TransientError):
    """The request was sent and no reply came in time: a write may have been carried out."""

    what = "timed out"


class RateLimitError(ApiError):
    """A 429 for a minute (Xero) or minute/hour (Precoro) limit; wait ``retry_after`` seconds and go on."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float, scope: str = "minute", **kw: Any) -> None:
        self.retry_after, self.scope = retry_after, scope
        super().__init__(message, **kw)


class DailyLimitError(RateLimitError):
    """The day limit is spent. The run stops; ``resume_at`` (UTC) says when it can go on."""

    retryable = False

    def __init__(self, message: str, *, resume_at: datetime | None = None, **kw: Any) -> None:
        self.resume_at = resume_at
        kw.setdefault("scope", "day")
        kw.setdefault("retry_after", 0.0)
        super().__init__(message, **kw)


class PlanError(ReconError):
    """A plan, an action or a decision that cannot be used as asked."""


class StaleActionError(PlanError):
    """The target record changed since the plan was made; the action is refused, not applied."""


class ApprovalError(PlanError):
    """A decision made on another plan, on changed data, or otherwise not acceptable."""


class StoreError(ReconError):
    """The SQLite state store failed or holds something unexpected."""


class LockError(StoreError):
    """Another process holds the apply lock of this state file (whatever its profile); the message names it."""


class IntegrityError(StoreError):
    """The approvals chain (rows, head, or its keyed signature) does not verify; the message names the first
    row that cannot be vouched for."""
