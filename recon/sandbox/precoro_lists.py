"""Precoro list endpoints: filters and the Fractal-style ``meta.pagination`` envelope.

Filters (``docs/precoro-wire.md``): ``modifiedSince`` (ISO; no offset means UTC; inclusive, against
``updateDate``), ``status[]``, ``logicType[]``, ``enable``, ``externalIntegrated``, ``sent_to_external``,
``external_id[]`` (at most 200), ``supplier[]``, ``id``, ``approvalLeftDate``/``approvalRightDate`` (ISO) and
``approvalDate[left_date]``/``[right_date]`` and ``createDate[left_date]``/``[right_date]`` (``DD.MM.YYYY``,
whole days). Bad values are a 400, never a 500.
"""

from __future__ import annotations

import operator
import re
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable
from urllib.parse import urlencode

from recon.sandbox import precoro_forms as f
from recon.sandbox.precoro_forms import Invalid

PER_PAGE = (10, 20, 50, 100, 200)
DEFAULT_PER_PAGE = 20
MAX_EXTERNAL_IDS = 200

Row = dict[str, Any]
Predicate = Callable[[Row], bool]


def _many(query: dict[str, Any], name: str) -> list[Any]:
    """A repeatable filter: ``status[]=2&status[]=4`` (also ``status=2`` and ``status[0]=2``)."""
    value = query.get(name)
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    if any(not isinstance(v, str) for v in values):
        raise Invalid({name: "This value should be a list of values."})
    return values


def _one(query: dict[str, Any], name: str) -> str | None:
    value = query.get(name)
    if value is None or isinstance(value, str):
        return value
    raise Invalid({name: "This value should be a single value."})


def predicates(query: dict[str, Any], kind: str) -> list[Predicate]:
    """The filters a query asks for, as row predicates (rows are stored records)."""
    out: list[Predicate] = []
    since = _one(query, "modifiedSince")
    if since:
        moment = f.timestamp("modifiedSince", since)
        out.append(lambda r: r.get("updateDate") is not None and r["updateDate"] >= moment)
    statuses = {f.integer("status", s) for s in _many(query, "status")}
    if statuses:
        out.append(lambda r: r.get("status") in statuses)
    logic = {f.integer("logicType", s) for s in _many(query, "logicType")}
    if logic:
        out.append(lambda r: r.get("logicType", 0) in logic)
    enable = _one(query, "enable")
    if enable not in (None, ""):
        wanted = f.boolean("enable", enable)
        out.append(lambda r: bool(r.get("enable", True)) == wanted)
    for name in ("externalIntegrated", "sent_to_external"):
        flag = _one(query, name)
        if flag not in (None, ""):
            linked = f.boolean(name, flag)
            out.append(lambda r, linked=linked: bool(r.get("externalId")) == linked)
    external = _many(query, "external_id")
    if len(external) > MAX_EXTERNAL_IDS:
        raise Invalid({"external_id": f"This collection should contain {MAX_EXTERNAL_IDS} elements or less."})
    if external:
        wanted_ids = set(external)
        out.append(lambda r: r.get("externalId") in wanted_ids)
    suppliers = {f.integer("supplier", s) for s in _many(query, "supplier")}
    if suppliers:
        out.append(lambda r: isinstance(r.get("supplier"), dict) and r["supplier"].get("id") in suppliers)
    ident = _one(query, "id")
    if ident not in (None, ""):
        wanted_id = f.integer("id", ident)
        out.append(lambda r: r.get("id") == wanted_id)
    out.extend(_date_range(query, "approvalDate", "approvalLeftDate", "approvalRightDate"))
    out.extend(_date_range(query, "createDate"))
    return out


def _date_range(query: dict[str, Any], name: str, left_key: str | None = None,
                right_key: str | None = None) -> list[Predicate]:
    """Bounds on the timestamp ``name``: ``<left_key>``/``<right_key>`` (ISO, inclusive) and
    ``name[left_date]``/``name[right_date]`` (``DD.MM.YYYY``; the right date includes its whole day)."""
    tests: list[Predicate] = []

    def add(op: Callable[[Any, Any], bool], moment: datetime) -> None:
        tests.append(lambda r: r.get(name) is not None and op(r[name], moment))

    for key, op in ((left_key, operator.ge), (right_key, operator.le)):
        raw = _one(query, key) if key else None
        if raw:
            moment = f.timestamp(key, raw)
            assert moment is not None
            add(op, moment)
    bounds = query.get(name)
    if bounds is not None and not isinstance(bounds, dict):
        raise Invalid({name: f"Use {name}[left_date] and {name}[right_date] (DD.MM.YYYY)."})
    if bounds and bounds.get("left_date"):
        add(operator.ge, f.day_start(f.day(f"{name}[left_date]", bounds["left_date"])))
    if bounds and bounds.get("right_date"):
        add(operator.lt, f.day_start(f.day(f"{name}[right_date]", bounds["right_date"])) + timedelta(days=1))
    return tests


def paging(query: dict[str, Any]) -> tuple[int, str | int]:
    """``(per_page, page)`` from the query; ``page`` is ``"last"`` or a number from 1."""
    raw = _one(query, "per_page")
    per_page = DEFAULT_PER_PAGE
    if raw not in (None, ""):
        try:
            per_page = int(raw)
        except ValueError:
            per_page = -1
        if per_page not in PER_PAGE or not re.fullmatch(r"[0-9]+", raw.strip()):
            raise Invalid({"per_page": f"The value must be one of {', '.join(map(str, PER_PAGE))}."})
    page_raw = _one(query, "page")
    if page_raw in (None, ""):
        return per_page, 1
    if page_raw == "last":
        return per_page, "last"
    if not re.fullmatch(r"[0-9]{1,9}", page_raw) or int(page_raw) < 1:
        raise Invalid({"page": "The page must be a positive integer or \"last\"."})
    return per_page, int(page_raw)


def select(rows: Iterable[Row], query: dict[str, Any], kind: str) -> list[Row]:
    """Rows passing every filter of ``query``, by ``id`` ascending."""
    tests = predicates(query, kind)
    if not tests:  # a plain page of a big list: no Python call per row
        return sorted(rows, key=_BY_ID)
    return sorted((r for r in rows if all(t(r) for t in tests)), key=_BY_ID)


_BY_ID = operator.itemgetter("id")


def envelope(rows: list[Row], query: dict[str, Any], url: str, render: Callable[[Row], Row]) -> dict[str, Any]:
    """One page of ``rows`` in ``{"data": [...], "meta": {"pagination": {...}}}``."""
    per_page, page = paging(query)
    total = len(rows)
    total_pages = max(1, -(-total // per_page))
    current = total_pages if page == "last" else int(page)
    chunk = rows[(current - 1) * per_page: current * per_page]
    has_next = current < total_pages
    next_url = None
    if has_next:
        flat = [(k, v) for k, v in _flatten(query) if k != "page"] + [("page", str(current + 1))]
        next_url = f"{url}?{urlencode(flat)}"
    return {"data": [render(r) for r in chunk],
            "meta": {"pagination": {"total": total, "count": len(chunk), "per_page": per_page,
                                    "current_page": current, "total_pages": total_pages,
                                    "has_next_page": has_next, "links": {"next": next_url}}}}


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested query values back to bracket pairs, for the ``links.next`` URL."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _flatten(v, f"{prefix}[{k}]" if prefix else k)]
    if isinstance(value, list):
        return [p for v in value for p in _flatten(v, f"{prefix}[]")]
    return [(prefix, value)]
