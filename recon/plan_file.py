"""Reading a ``plan.json`` strictly: a plan is used only when every part of it is one recon could have made.

A plan file is text anyone who can write the run folder may edit, and its fingerprint only binds decisions to
its content: whoever edits the plan can recompute it. So the file is checked field by field before anything
uses it, in a dry run too: the top-level keys, every action's fields (no unknown one, none missing), its kind,
operation, target and difference among recon's own, the fields it writes among its kind's canonical columns
(:data:`recon.schema.FRAMES`, document lines among the line columns), each value of the column's type (an
amount a finite decimal, ``active`` true or false, a date ISO), its id the one its content gives, and no id
twice. The first problem found is the one :class:`~recon.errors.PlanError` names, as
``<file> action <n> (<id>) field '<field>': <problem>``.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable, Mapping

from recon import schema
from recon.errors import PlanError
from recon.reconcile.model import ACTION_DIFFERENCES, OPERATIONS, Action, Plan

PLAN_KEYS = ("actions", "fingerprint", "kinds", "run_id")
#: what a reverse plan (``recon revert``) holds besides: all three or none
REVERSE_KEYS = ("held", "reverts", "unlinks")
HELD_KEYS = ("action_id", "kind", "label", "op", "target", "why")
ACTION_KEYS = ("difference", "id", "keys", "kind", "label", "new", "old", "op", "reason", "target")
#: the field of a document action holding its lines (each a mapping of line columns)
LINES = "lines"
KEY_NAMES = ("precoro_id", "xero_id")


def _decimal(value: str) -> str:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return "is not a decimal number"
    return "" if number.is_finite() else "is not a finite number"


def _boolean(value: str) -> str:
    return "" if value in ("true", "false") else "is not true or false"


def _date(value: str) -> str:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return "is not a date (YYYY-MM-DD)"
    return ""


#: what a value of each column type must be ("" passes: a field the system leaves empty)
VALUE_CHECKS: dict[str, Callable[[str], str]] = {
    **{t: _decimal for t in schema.DECIMAL_TYPES}, "bool": _boolean, "date": _date,
}
_COLUMN_TYPES = {frame: {c.name: c.type for c in cols} for frame, cols in schema.FRAMES.items()}


class _Where:
    """Names the part of the file a problem is in."""

    def __init__(self, path: Path | str) -> None:
        self.path, self.action = path, ""

    def fail(self, problem: str, field: str = "") -> PlanError:
        where = f"{self.path}" + (f" {self.action}" if self.action else "") + (f" field {field!r}" if field else "")
        return PlanError(f"{where}: {problem}")


def _text(value: Any, where: _Where, field: str) -> str:
    if not isinstance(value, str):
        raise where.fail(f"is {type(value).__name__} {value!r:.40}, not text", field)
    return value


def _one_of(value: Any, known: tuple[str, ...], where: _Where, field: str, what: str) -> str:
    if _text(value, where, field) not in known:
        raise where.fail(f"unknown {what} {value!r:.40}; known: {', '.join(known)}", field)
    return value


def _exact_keys(body: Any, keys: tuple[str, ...], where: _Where, what: str, field: str = "") -> Mapping[str, Any]:
    if not isinstance(body, dict):
        raise where.fail(f"{what} is {type(body).__name__}, not an object", field)
    unknown = sorted(set(body) - set(keys))
    if unknown:
        raise where.fail(f"unknown field(s) {', '.join(map(repr, unknown))} in {what}; a plan holds only "
                         f"{', '.join(keys)}", field or unknown[0])
    missing = [k for k in keys if k not in body]
    if missing:
        raise where.fail(f"{what} lacks {', '.join(missing)}", field or missing[0])
    return body


def _values(values: Any, frame: str, where: _Where, side: str, documents: bool) -> None:
    if not isinstance(values, dict):
        raise where.fail(f"is {type(values).__name__}, not an object of fields", side)
    columns = _COLUMN_TYPES[frame]
    for name, value in values.items():
        field = f"{side}.{name}"
        if name == LINES and documents:
            if not isinstance(value, list):
                raise where.fail(f"is {type(value).__name__}, not a list of lines", field)
            for n, line in enumerate(value, 1):
                if not isinstance(line, dict):
                    raise where.fail(f"line {n} is {type(line).__name__}, not an object", field)
                _values(line, schema.LINE_FRAMES[frame], where, f"{field}[{n}]", documents=False)
            continue
        if name not in columns:
            raise where.fail(f"is not a field of a {frame.replace('_', ' ')}; known: {', '.join(columns)}", field)
        text = _text(value, where, field)
        check = VALUE_CHECKS.get(columns[name])
        problem = check(text) if check and text else ""
        if problem:
            raise where.fail(f"{text!r:.40} {problem}", field)


def _action(body: Any, where: _Where) -> Action:
    body = _exact_keys(body, ACTION_KEYS, where, "the action")
    kind = _one_of(body["kind"], schema.KINDS, where, "kind", "kind")
    _one_of(body["op"], OPERATIONS, where, "op", "operation")
    _one_of(body["target"], schema.SYSTEMS, where, "target", "target system")
    _one_of(body["difference"], ACTION_DIFFERENCES, where, "difference", "difference")
    for field in ("reason", "label", "id"):
        _text(body[field], where, field)
    keys = body["keys"]
    if not isinstance(keys, dict):
        raise where.fail("is not an object of the record's ids", "keys")
    for name, value in keys.items():
        _one_of(name, KEY_NAMES, where, "keys", "key")
        _text(value, where, f"keys.{name}")
    documents = kind in schema.LINE_FRAMES
    _values(body["new"], kind, where, "new", documents)
    _values(body["old"], kind, where, "old", documents)
    action = Action.from_dict(body)
    if action.compute_id() != action.id:
        raise where.fail(f"does not match the action's content (it gives {action.compute_id()}): the action was "
                         "edited after the plan was made", "id")
    return action


def parse_plan(text: str, path: Path | str) -> Plan:
    """The plan in ``text`` (the contents of ``path``), or a :class:`PlanError` naming where it is wrong."""
    where = _Where(path)
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise where.fail(f"is not valid JSON ({exc})") from None
    reverse = isinstance(body, dict) and any(key in body for key in REVERSE_KEYS)
    body = _exact_keys(body, PLAN_KEYS + REVERSE_KEYS if reverse else PLAN_KEYS, where, "the plan")
    _text(body["run_id"], where, "run_id")
    _text(body["fingerprint"], where, "fingerprint")
    kinds = body["kinds"]
    if not isinstance(kinds, list):
        raise where.fail("is not a list of kinds", "kinds")
    for kind in kinds:
        _one_of(kind, schema.KINDS, where, "kinds", "kind")
    if not isinstance(body["actions"], list):
        raise where.fail("is not a list of actions", "actions")
    actions, seen = [], {}
    for n, item in enumerate(body["actions"], 1):
        where.action = f"action {n}" + (f" ({item['id']})" if isinstance(item, dict) and isinstance(item.get("id"), str)
                                        else "")
        action = _action(item, where)
        if action.id in seen:
            raise where.fail(f"{action.id} is also the id of action {seen[action.id]}: an action appears twice", "id")
        seen[action.id] = n
        actions.append(action)
    where.action = ""
    held, unlinks = _reverse_parts(body, seen, where) if reverse else ((), ())
    return Plan(run_id=body["run_id"], kinds=tuple(kinds), fingerprint=body["fingerprint"], actions=tuple(actions),
                reverts=body.get("reverts", ""), held=held, unlinks=unlinks)


def _reverse_parts(body: Mapping[str, Any], seen: Mapping[str, int],
                   where: _Where) -> tuple[tuple[Mapping[str, str], ...], tuple[str, ...]]:
    """A reverse plan's held actions (each an object of text) and unlinks (ids of actions of this plan)."""
    if not _text(body["reverts"], where, "reverts"):
        raise where.fail("is empty: a reverse plan names the run it reverts", "reverts")
    if not isinstance(body["held"], list):
        raise where.fail("is not a list of held actions", "held")
    held = []
    for n, item in enumerate(body["held"], 1):
        entry = _exact_keys(item, HELD_KEYS, where, f"held action {n}", f"held[{n}]")
        held.append({key: _text(entry[key], where, f"held[{n}].{key}") for key in HELD_KEYS})
    if not isinstance(body["unlinks"], list):
        raise where.fail("is not a list of action ids", "unlinks")
    for n, action_id in enumerate(body["unlinks"], 1):
        if _text(action_id, where, f"unlinks[{n}]") not in seen:
            raise where.fail(f"{action_id!r:.40} is not the id of an action of this plan", f"unlinks[{n}]")
    return tuple(held), tuple(body["unlinks"])


__all__ = ["parse_plan"]
