"""A Precoro load's line memo gives the records the line-by-line path gives, and the load's GC pause leaves
nothing young.

The memo (``precoro_docs.LineMemo``) assembles a line from groups of objects met in lines already loaded; each
case below loads the same payload with it and without it (``_line_memo`` returning None) and compares what the
emulator serves, ids and counters included, or the error it raises.
"""

from __future__ import annotations

import copy
import gc
import json
from decimal import Decimal
from typing import Any, Callable

import pytest

from recon.errors import DataError
from recon.sandbox import precoro_docs
from recon.sandbox.admin import paused_gc
from recon.sandbox.generate import generate_side
from recon.sandbox.precoro import PrecoroEmulator

TAX = {"id": 301, "name": "GST on Expenses", "percent": 15.0, "externalId": "INPUT2", "xeroId": None}
PRODUCT = {"id": 2001, "sku": "G00001", "externalId": None, "xeroId": None}
ICFS = [{"itemCustomField": {"id": 1, "name": "Xero Chart of Accounts"},
         "option": {"id": 1002, "code": "429", "name": "General Expenses", "externalId": None}}]
NAME, SKU, DESCRIPTION = "Generated item 1", "G00001", "Catalogue item number 1"
Q, P, N, T, G = 2.0, 10.0, 20.0, 3.0, 23.0  # one set of float objects, shared by the lines that reuse them


def _line(ident: int, position: int, **changed: Any) -> dict[str, Any]:
    line = {"id": ident, "position": position, "name": NAME, "sku": SKU, "description": DESCRIPTION,
            "quantity": Q, "price": P, "netSum": N, "taxSum": T, "sum": G, "tax": TAX, "product": PRODUCT,
            "itemCustomFields": ICFS}
    line.update(changed)
    return line


def _payload(lines: list[dict[str, Any]]) -> dict[str, Any]:
    net = sum(Decimal(repr(x["netSum"])) for x in lines)
    tax = sum(Decimal(repr(x["taxSum"])) for x in lines)
    return {"company": {"id": 1, "name": "Memo Ltd", "currency": "NZD",
                        "precisionData": {"price": 4, "quantity": 2, "total": 2}},
            "purchaseorders": [{"id": 5001, "idn": 1, "status": 2, "currency": "NZD", "supplier": None,
                                "netSum": float(net), "sum": float(net + tax), "items": {"data": lines}}]}


def _served(payload: dict[str, Any]) -> Any:
    emulator = PrecoroEmulator(seed="empty")
    emulator.load(payload)
    return json.loads(json.dumps({"dump": emulator.dump(), "counters": emulator.state.counters}, default=str))


def _without_memo(monkeypatch: pytest.MonkeyPatch, work: Callable[[], Any]) -> Any:
    with monkeypatch.context() as m:
        m.setattr(precoro_docs, "_line_memo", lambda precision: None)
        return work()


CASES: dict[str, list[dict[str, Any]]] = {
    "the same objects, other ids and positions": [_line(9001, 1), _line(9005, 2), _line(9002, 7)],
    # equal values in other objects: the int renders otherwise than the float, so the line must not be copied
    "an equal int quantity in place of the float": [_line(9001, 1), _line(9002, 2, quantity=2)],
    "equal floats in other objects": [_line(9001, 1), _line(9002, 2, quantity=float("2"), sum=float("23"))],
    "another name with the same description object": [_line(9001, 1), _line(9002, 2, name="Other name")],
    "another product object, equal": [_line(9001, 1), _line(9002, 2, product=dict(PRODUCT))],
    "another sku with the same description object": [_line(9001, 1), _line(9002, 2, sku="G00002")],
    "another product": [_line(9001, 1), _line(9002, 2, product={**PRODUCT, "id": 2002})],
    "other custom fields": [_line(9001, 1), _line(9002, 2, itemCustomFields=[
        {"itemCustomField": {"id": 1, "name": "Xero Chart of Accounts"},
         "option": {"id": 1001, "code": "400", "name": "Advertising", "externalId": None}}])],
    "a zero tax sum, then a negative zero": [
        _line(9001, 1, tax={**TAX, "percent": 0.0}, taxSum=0.0, sum=N),
        _line(9002, 2, tax={**TAX, "percent": 0.0}, taxSum=-0.0, sum=N)],
    "no id on the second (drawn from the counter)": [_line(9001, 1), {k: v for k, v in _line(0, 2).items()
                                                                      if k != "id"}],
    "an extra key on the second (kept)": [_line(9001, 1), {**_line(9002, 2), "unit": "each"}],
    "a string id on the second": [_line(9001, 1), _line(9002, 2, id="9002")],
}


@pytest.mark.parametrize("case", list(CASES))
def test_memo_serves_what_the_line_by_line_load_serves(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = _payload(CASES[case])
    assert _served(payload) == _without_memo(monkeypatch, lambda: _served(payload))


def test_a_line_of_the_same_objects_is_copied(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cases above meet the memo: a line of the same objects is a hit (and an empty custom-field list,
    made anew for each line by the loader, never is)."""
    memos: list[precoro_docs.LineMemo] = []
    made = precoro_docs._line_memo
    monkeypatch.setattr(precoro_docs, "_line_memo", lambda precision: memos.append(made(precision)) or memos[-1])
    _served(_payload([_line(9001, 1), _line(9002, 2), _line(9003, 3)]))
    assert (memos[-1].hits, memos[-1].made) == (2, 1)
    _served(_payload([_line(9001, 1, itemCustomFields=[]), _line(9002, 2, itemCustomFields=[])]))
    assert (memos[-1].hits, memos[-1].made) == (0, 2)


@pytest.mark.parametrize("bad, field", [
    ({"sum": 24.0}, "items[1].sum"),  # texts, tax and custom fields met before: the maths is still checked
    ({"name": "x" * 2001}, "items[1].name"),  # the maths met before: the texts are still checked
    ({"id": True}, "items[1].id"),
    ({"quantity": 1.0}, "items[1].netSum"),
    ({"netSum": 21.0}, "items[1].netSum"),
    ({"taxSum": 4.0}, "items[1].taxSum"),  # the same sum object as a good line, but other maths
    ({"price": 11.0}, "items[1].netSum"),
    ({"tax": {**TAX, "percent": 10.0}}, "items[1].taxSum"),
])
def test_memo_still_refuses_a_bad_line(bad: dict[str, Any], field: str, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = _payload([_line(9001, 1), _line(9002, 2)])
    payload["purchaseorders"][0]["items"]["data"][1].update(bad)
    errors = []
    for work in (lambda: _served(payload), lambda: _without_memo(monkeypatch, lambda: _served(payload))):
        with pytest.raises(DataError) as err:
            work()
        errors.append((err.value.field, str(err.value)))
    assert errors[0] == errors[1] and errors[0][0] == field


@pytest.mark.parametrize("shared_objects", [True, False])
def test_generated_and_parsed_json_payloads_load_the_same(shared_objects: bool,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A generated payload (shared objects: the memo stays open) and its JSON round trip (nothing shared: the
    memo closes after its trial) both give the line-by-line records."""
    payload = generate_side("precoro", 100, 1_000, seed=3, differences=0.1)
    if not shared_objects:
        payload = json.loads(json.dumps(payload))
    monkeypatch.setattr(precoro_docs, "_MEMO_TRIAL", 400)
    memos: list[precoro_docs.LineMemo] = []
    made = precoro_docs._line_memo

    def spy(precision: Any) -> Any:
        memo = made(precision)
        memos.append(memo)
        return memo
    monkeypatch.setattr(precoro_docs, "_line_memo", spy)
    with_memo = _served(copy.deepcopy(payload) if not shared_objects else payload)
    monkeypatch.setattr(precoro_docs, "_line_memo", made)
    assert with_memo == _without_memo(monkeypatch, lambda: _served(payload))
    memo = memos[-1]
    assert memo.open is shared_objects
    assert (memo.hits > memo.made) is shared_objects


@pytest.mark.parametrize("enabled", [True, False])
def test_paused_gc_restores_the_collector_and_leaves_nothing_young(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        gc.collect()  # counts at zero: the block's objects set off one young collection after it, not more
        with paused_gc():
            assert not gc.isenabled()
            made = [[n] for n in range(1000)]
        assert gc.isenabled() is enabled
        oldest = {id(o) for o in gc.get_objects(generation=2)}
        if enabled:  # moved to the oldest generation, so the next young collections do not walk them
            assert all(id(x) in oldest for x in made)
    finally:
        gc.enable() if was else gc.disable()
