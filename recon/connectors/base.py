"""Types shared by both connectors: the write protocol the apply engine calls, and the read surface.

A connector is the only code that talks to one external system. It reads whole kinds into canonical
records (see :mod:`recon.connectors.mapping`) and writes single records, reporting each record's outcome
as a :class:`WriteResult` instead of raising for a per-record failure.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Protocol, Sequence, runtime_checkable

#: Write operations the apply engine sends.
OPS: tuple[str, ...] = ("create", "update", "archive", "link")


@dataclass(frozen=True)
class WriteRequest:
    """One record to write.

    ``key`` is the idempotency key (the plan Action id); ``record_id`` the target-side id for
    update/archive/link (Precoro: ``id``, or ``idn`` for documents; Xero: the GUID, or the ``TaxType`` for
    tax rates). ``values`` maps canonical column names to canonical strings (Decimal text, ISO dates,
    ``"true"``/``"false"``, ``""`` for none); PO and bill creates add ``"lines"``: a list of canonical line
    dicts; a link carries ``{"xero_id": ...}``.
    """

    key: str
    kind: str
    op: str
    record_id: str | None
    values: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class WriteResult:
    """The outcome of one :class:`WriteRequest`; ``request`` is the call as sent (no secrets)."""

    key: str
    ok: bool
    record_id: str | None
    error: str | None = None
    field: str | None = None
    retryable: bool = False
    request: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    """One fetched page: raw records as the API returned them, plus what the pacing layer saw. ``total`` is
    the number of records of the whole list when the API says so (Precoro's ``meta.pagination.total``; Xero's
    ``pagination.itemCount`` less the records recon has dropped so far, an upper bound exact on the last page)."""

    records: list[dict[str, Any]]
    has_more: bool
    warnings: tuple[str, ...] = ()
    total: int | None = None


@runtime_checkable
class Connector(Protocol):
    """What the fetch orchestration and the apply engine need from a system."""

    system: str

    def read(self, kind: str, record_id: str) -> dict[str, str] | None:
        """Current canonical values of one record (for the stale check), or ``None`` when it is gone."""
        ...

    def find(self, kind: str, values: Mapping[str, str], *, unlinked: bool = False) -> str | None:
        """The id of an existing record matching ``values`` (so a create is not repeated), or ``None``.

        ``unlinked=True`` (asked only when an earlier attempt may have committed before its reply was lost)
        also looks among records not yet linked to Xero, by the kind's natural key, and raises
        :class:`recon.errors.ApiError` rather than guess when several match."""
        ...

    def write(self, requests: Sequence[WriteRequest], *, dry_run: bool = False) -> list[WriteResult]:
        """Carry out ``requests``; one result per request in the same order. Never raises for a
        per-record failure; raises :class:`recon.errors.ApiError` when a whole call fails after retries."""
        ...

    def fetch_kind(self, kind: str, *, since: Any = None) -> Iterator[Page]:
        """Raw pages of one kind (``since``: only records changed after that UTC instant)."""
        ...

    def close(self) -> None:
        ...


def canonical_bool(value: Any) -> bool | None:
    """``"true"``/``"false"`` (and ``1``/``0``, ``True``/``False``) as a bool; ``""``/``None`` as ``None``."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ValueError(f"{value!r} is not a boolean")


def text(values: Mapping[str, Any], name: str) -> str:
    """``values[name]`` as stripped text, ``""`` when missing or none."""
    value = values.get(name)
    if value is None:
        return ""
    return str(value).strip()
