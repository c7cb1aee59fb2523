"""The fast SDK read check gives the SDK's own verdict: on every record the sandbox serves, and on each of those
records broken at every field in every way a server can break it."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any, Iterator

import httpx
import pytest
from xero_python.accounting import models as xm
from xero_python.api_client import ModelFinder
from xero_python.api_client.deserializer import deserialize

from connector_sandbox import sandbox  # noqa: F401  (fixture)
from recon.connectors.xero import READS
from recon.connectors.xero_check import SdkReadCheck


FINDER = ModelFinder(xm)
CHECK = SdkReadCheck()
PARAMS = {"supplier": {"includeArchived": "true"}, "tracking_option": {"includeArchived": "true"},
          "item": {"unitdp": 4}, "bill": {"unitdp": 4}}

#: ways a field can arrive broken (an unknown enum value, a bad date, a wrong JSON type, ...)
BREAKS: list[tuple[str, Any]] = [
    ("unknown-text", "NOT-A-KNOWN-VALUE"), ("bad-iso-date", "2019-13-45"), ("bad-ms-date", "/Date(abc)/"),
    ("ms-date", "/Date(1552522946077+0000)/"), ("number-as-text", "twelve"), ("decimal", Decimal("1.5")),
    ("int", 7), ("true", True), ("null", None), ("object", {"x": 1}), ("list", [1]), ("empty-text", ""),
]


def _verdict(fn: Any) -> str | None:
    try:
        fn()
        return None
    except Exception as exc:  # noqa: BLE001 - the exception *type* is what is compared
        return type(exc).__name__


def sdk_verdict(type_name: str, data: Any) -> str | None:
    return _verdict(lambda: deserialize(type_name, copy.deepcopy(data), FINDER))


def check_verdict(type_name: str, data: Any) -> str | None:
    return _verdict(lambda: CHECK.check(type_name, data))


@pytest.fixture(scope="module")
def payloads(sandbox: Any) -> dict[str, dict[str, Any]]:
    """The raw JSON of every list recon reads, as the demo sandbox serves it."""
    with httpx.Client(base_url=sandbox.xero_url, timeout=30) as c:
        token = c.post("/connect/token", data={"grant_type": "client_credentials", "client_id": "sandbox-client",
                                               "client_secret": "sandbox-secret"}).json()["access_token"]
        c.headers.update({"Authorization": f"Bearer {token}", "xero-tenant-id": "sandbox-tenant",
                          "Accept": "application/json"})
        out = {}
        for kind, (_, key, _, _, _) in READS.items():
            r = c.get(f"/api.xro/2.0/{key}", params=PARAMS.get(kind, {}))
            r.raise_for_status()
            out[kind] = json.loads(r.content, parse_float=Decimal)
    return out


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every field path inside one record (keys of objects, the first element of lists)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield (*path, k)
            yield from _paths(v, (*path, k))
    elif isinstance(value, list) and value:
        yield from _paths(value[0], (*path, 0))


def _broken(record: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(record)
    cur: Any = out
    for step in path[:-1]:
        cur = cur[step]
    cur[path[-1]] = copy.deepcopy(value)
    return out


@pytest.mark.parametrize("kind", sorted(READS))
def test_the_check_reads_every_served_page_and_record_as_the_sdk_does(payloads: dict[str, Any], kind: str) -> None:
    _, key, coll, elem, _ = READS[kind]
    payload = payloads[kind]
    assert payload[key], f"the demo sandbox serves no {kind}"
    assert check_verdict(coll, payload) == sdk_verdict(coll, payload) is None
    for rec in payload[key]:
        assert check_verdict(elem, rec) == sdk_verdict(elem, rec), rec


@pytest.mark.parametrize("kind", sorted(READS))
@pytest.mark.parametrize("name,value", BREAKS, ids=[b[0] for b in BREAKS])
def test_the_check_fails_exactly_where_the_sdk_fails(payloads: dict[str, Any], kind: str, name: str, value: Any) -> None:
    _, key, _, elem, _ = READS[kind]
    # the richest record of the kind: the most fields to break
    record = max(payloads[kind][key], key=lambda r: len(list(_paths(r))))
    disagreements, sdk_failures = [], 0
    for path in _paths(record):
        broken = _broken(record, path, value)
        want = sdk_verdict(elem, broken)
        sdk_failures += want is not None
        got = check_verdict(elem, broken)
        if got != want:
            disagreements.append((path, want, got))
    assert not disagreements
    if name in ("unknown-text", "object", "number-as-text"):
        assert sdk_failures, f"breaking {kind} fields with {name} never failed the SDK: the test proves nothing"


def test_an_unknown_type_name_is_refused_like_the_sdk_refuses_it() -> None:
    assert check_verdict("NoSuchModel", {}) == sdk_verdict("NoSuchModel", {}) == "ValueError"
