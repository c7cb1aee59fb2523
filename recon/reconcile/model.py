"""What reconcile hands to the rest of recon: differences, a plan of frozen actions, and a summary.

These dataclasses cross module boundaries (reconcile → approve → apply → report), so they are frozen and
serialise to plain JSON. Values inside actions are canonical *strings* (``Decimal`` as its exact text,
dates as ISO ``YYYY-MM-DD``, booleans as ``true``/``false``), so a plan file round-trips exactly.
"""

from __future__ import annotations

import functools
import hashlib
import json
import operator
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

#: Columns of ``differences.csv`` (DESIGN.md section 4), in order.
DIFF_COLUMNS: tuple[str, ...] = (
    "run_id", "object", "precoro_id", "xero_id", "label", "field", "precoro_value", "xero_value",
    "baseline_value", "kind", "direction", "action", "reason",
)
DIFF_KINDS = ("only_in_precoro", "only_in_xero", "mismatch", "conflict", "blocked_edit", "rounding", "match_candidate")
#: what an action may answer besides a difference: a document held back by Xero's lock date, a revert of a run
LOCKED_PERIOD, REVERT = "locked_period", "revert"
ACTION_DIFFERENCES = DIFF_KINDS + (LOCKED_PERIOD, REVERT)
DIRECTIONS = ("to_xero", "to_precoro", "none")
OPERATIONS = ("create", "update", "archive", "link")
NO_CHANGES = "No objects needed to be updated."


def _encoder() -> Any:
    """``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)``, with the
    encoder made once: ``json.dumps`` with options makes a new one on every call, which cost about as much as
    the encoding itself for the ~10^4 small actions of a large plan. CPython's C encoder is the one ``dumps``
    uses; without it (another interpreter), the pure-Python one."""
    options = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return options.encode
    # no circular-reference check: action values are strings, lists and dicts made from JSON or columns
    encode = make(None, options.default, json.encoder.encode_basestring, None, options.key_separator,
                  options.item_separator, options.sort_keys, options.skipkeys, options.allow_nan)
    return lambda value: "".join(encode(value, 0))


_ENCODE = _encoder()
_STRING = json.encoder.encode_basestring
#: the canonical JSON of one ``str`` (quoted and escaped as the encoder does it)
json_string = _STRING


def _scalar(value: Any) -> str:
    return _STRING(value) if type(value) is str else _ENCODE(value)


def canonical_json(value: Any) -> str:
    """Stable JSON text: sorted keys, no spaces, non-ASCII kept (used for ids, fingerprints and files)."""
    return _ENCODE(value)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def digest(value: Any, length: int = 16) -> str:
    """Short, stable hex digest of a JSON-able value."""
    return _sha256(canonical_json(value))[:length]


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of action values: document lines (a list of dicts) copied one level deeper."""
    return {k: [dict(v) for v in val] if isinstance(val, list) else val for k, val in values.items()}


def _as_dict(values: Mapping[str, Any]) -> dict[str, Any]:
    return values if type(values) is dict else dict(values)


_TEXT = frozenset({str})


def _plain_already(values: Mapping[str, Any]) -> bool:
    """Whether :func:`_plain` of ``values`` is the same JSON as ``values`` itself (lines are plain dicts, as
    reconcile and plan files make them), so that the text made for the id serves the fingerprint too."""
    types = set(map(type, values.values()))
    if types <= _TEXT or not any(issubclass(t, list) for t in types):
        return True  # the usual case (a record's fields), told apart without a Python loop over the values
    return all(type(v) is dict for val in values.values() if isinstance(val, list) for v in val)


@dataclass(frozen=True)
class Action:
    """One change recon proposes to make in one system.

    ``keys`` holds ``precoro_id`` and/or ``xero_id`` of the record (and, for lines, of the document);
    ``new`` the values to write, ``old`` the values they replace as seen in the target when the plan was
    made (used to refuse stale actions). ``id`` is derived from the rest, so the same change always has the
    same id (it is also the idempotency key of the write).
    """

    kind: str
    target: str
    op: str
    keys: Mapping[str, str]
    new: Mapping[str, Any]
    old: Mapping[str, Any]
    reason: str
    difference: str = "mismatch"
    label: str = ""
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            parts = self._parts()
            object.__setattr__(self, "id", self._id_from(parts))
            # kept for the fingerprint of the plan being made now (frozen: the action's content stays as it is)
            object.__setattr__(self, "_made_parts", parts)

    @property
    def record_id(self) -> str:
        """The record's id in the target (``precoro_id`` or ``xero_id`` of ``keys``), "" for a create."""
        return str(self.keys.get(f"{self.target}_id") or "")

    # The id and the fingerprint are stored (approvals name action ids, plan files carry their fingerprint), so
    # their text stays exactly ``canonical_json`` of the same dicts as ever (tests/test_plan_ids.py pins it). It
    # is put together from the canonical text of each part, in the sorted key order the encoder uses, so that
    # ``keys``, ``new`` and ``old`` are encoded once for both the id and the fingerprint.

    def _parts(self) -> tuple[str, str, str]:
        return _ENCODE(_as_dict(self.keys)), _ENCODE(_as_dict(self.new)), _ENCODE(_as_dict(self.old))

    def _id_from(self, parts: tuple[str, str, str]) -> str:
        # canonical_json({"kind", "target", "op", "keys", "new", "old"}) in key order: keys kind new old op target
        keys, new, old = parts
        body = (f'{{"keys":{keys},"kind":{_scalar(self.kind)},"new":{new},"old":{old},"op":{_scalar(self.op)},'
                f'"target":{_scalar(self.target)}}}')
        return f"{self.kind}-{self.op}-{_sha256(body)[:12]}"

    def compute_id(self) -> str:
        return self._id_from(self._parts())

    def canonical_text(self, parts: tuple[str, str, str] | None = None) -> str:
        """``canonical_json(self.to_dict())``: the action's share of the plan fingerprint (``parts``: the text
        of ``keys``, ``new`` and ``old`` already made for the id)."""
        if parts is None or not (_plain_already(self.new) and _plain_already(self.old)):
            parts = (_ENCODE(dict(self.keys)), _ENCODE(_plain(self.new)), _ENCODE(_plain(self.old)))
        keys, new, old = parts
        return (f'{{"difference":{_scalar(self.difference)},"id":{_scalar(self.id)},"keys":{keys},'
                f'"kind":{_scalar(self.kind)},"label":{_scalar(self.label)},"new":{new},"old":{old},'
                f'"op":{_scalar(self.op)},"reason":{_scalar(self.reason)},"target":{_scalar(self.target)}}}')

    def to_dict(self) -> dict[str, Any]:
        # built field by field: dataclasses.asdict deep-copies every value and dominated large plans
        return {"kind": self.kind, "target": self.target, "op": self.op, "keys": dict(self.keys),
                "new": _plain(self.new), "old": _plain(self.old), "reason": self.reason,
                "difference": self.difference, "label": self.label, "id": self.id}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Action":
        return cls(**{k: d[k] for k in ("kind", "target", "op", "keys", "new", "old", "reason", "difference", "label", "id")})


# ``Action._id_from`` and ``Action.canonical_text`` as templates, for actions made many at a time
_ID_BODY = '{"keys":%s,"kind":%s,"new":%s,"old":%s,"op":%s,"target":%s}'
_TEXT_BODY = ('{"difference":%s,"id":%s,"keys":%s,"kind":%s,"label":%s,"new":%s,"old":%s,"op":%s,"reason":%s,'
              '"target":%s}')
_NEW_ACTION = object.__new__
_MADE_TEXT = operator.attrgetter("_made_text")


def _each(value: Any, n: int) -> Any:
    return [value] * n if isinstance(value, str) else value


def actions_of(kind: Any, target: Any, op: Any, keys: list[Mapping[str, str]], new: list[Mapping[str, Any]],
               old: list[Mapping[str, Any]], reason: Any, difference: Any, label: Any,
               texts: tuple[list[str], list[str], list[str]] | None = None) -> list[Action]:
    """Many actions at once, each equal to ``Action(kind, target, op, keys[i], new[i], old[i], reason[i],
    difference[i], label[i])`` with the same id and fingerprint text (``kind`` .. ``label``: one string for all,
    or one per action). ``texts``: the canonical JSON of every ``keys``, ``new`` and ``old``, when the caller
    built them a column at a time (:func:`string_dict_texts`); values must then be plain strings or, for lines,
    lists of plain dicts. Skips the dataclass's per-field ``__setattr__`` and per-action checks, which cost more
    than the hashing for the ~10^4 actions of a large plan."""
    n = len(keys)
    if not n:
        return []
    kind, target, op = _each(kind, n), _each(target, n), _each(op, n)
    reason, difference, label = _each(reason, n), _each(difference, n), _each(label, n)
    if texts is None:
        texts = (list(map(_ENCODE, keys)), list(map(_ENCODE, new)), list(map(_ENCODE, old)))
    out = []
    sha, new_action, scalar, string = hashlib.sha256, _NEW_ACTION, _scalar, _STRING
    # the few distinct kinds, targets, operations, differences and reasons are encoded once each, and so are the
    # ids' "<kind>-<op>-" and its JSON text (escaped per character: the hex digits that follow need none)
    once = {value: scalar(value) for value in {*kind, *target, *op, *difference, *reason}}
    heads = {(ki, o): ("%s-%s-" % (ki, o), string("%s-%s-" % (ki, o))[:-1]) for ki, o in set(zip(kind, op))}
    append = out.append
    for ki, ta, o, kt, nt, ot, k, nw, ol, r, d, lab in zip(kind, target, op, *texts, keys, new, old, reason,
                                                             difference, label):
        kd, td, od = once[ki], once[ta], once[o]
        digest = sha((_ID_BODY % (kt, kd, nt, ot, od, td)).encode()).hexdigest()[:12]
        head, head_text = heads[ki, o]
        a = new_action(Action)
        # the instance's own dict filled key by key, in the fields' order (cheaper than update() with keywords)
        v = a.__dict__
        v["kind"], v["target"], v["op"], v["keys"], v["new"], v["old"] = ki, ta, o, k, nw, ol
        v["reason"], v["difference"], v["label"], v["id"] = r, d, lab, head + digest
        v["_made_text"] = _TEXT_BODY % (once[d], head_text + digest + '"', kt, kd,
                                        string(lab) if lab.__class__ is str else scalar(lab), nt, ot, od, once[r], td)
        append(a)
    return out


def string_dict_text(values: Mapping[str, Any]) -> str:
    """``canonical_json(values)`` for a dict with ``str`` keys and scalar values (a record's changed fields):
    a template instead of the encoder, whose setup on each call costs more than encoding two or three fields."""
    if len(values) == 1:
        ((key, value),) = values.items()
        return "{%s:%s}" % (_STRING(key), _scalar(value))
    return "{" + ",".join([_STRING(k) + ":" + _scalar(v) for k, v in sorted(values.items())]) + "}"


def string_dict_texts(columns: Mapping[str, list[str]], n: int) -> list[str]:
    """``canonical_json`` of the ``n`` dicts ``{name: columns[name][i]}`` (every value a ``str``), built a
    column at a time: each value escaped by the encoder's own string function, the rows put together by one
    template in sorted key order (the encoder's)."""
    names = sorted(columns)
    if not names:
        return ["{}"] * n
    template = "{" + ",".join(_STRING(name).replace("%", "%%") + ":%s" for name in names) + "}"
    escaped = [list(map(_STRING, columns[name])) for name in names]
    return [template % row for row in zip(*escaped)]


@dataclass(frozen=True)
class Plan:
    """The actions proposed by one reconciliation. ``fingerprint`` binds decisions to exactly this plan."""

    run_id: str
    kinds: tuple[str, ...]
    actions: tuple[Action, ...]
    fingerprint: str = ""
    #: a reverse plan (``recon revert``): the run it reverts, what of that run cannot be reverted and why
    #: (``action_id, kind, op, target, label, why``), and the actions whose record recon then forgets the link of
    reverts: str = ""
    held: tuple[Mapping[str, str], ...] = ()
    unlinks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", self._fingerprint(made=True))

    def _revert_body(self) -> dict[str, Any]:
        if not self.reverts:
            return {}
        return {"reverts": self.reverts, "held": [dict(h) for h in self.held], "unlinks": sorted(self.unlinks)}

    def compute_fingerprint(self) -> str:
        """Hash over the kinds and every action's content (not the run id): same data, same fingerprint. A reverse
        plan's run it reverts, held actions and unlinks count too."""
        return self._fingerprint(made=False)

    def _fingerprint(self, made: bool) -> str:
        """``digest({"kinds": ..., "actions": [a.to_dict() ...], **revert}, 32)`` with each action's text made
        once and joined into the list ("actions" sorts first: ``{"actions":[`` + the actions + the rest).
        ``made``: reuse the text each action made for its id (a plan made now; a plan being checked is hashed
        from its content afresh)."""
        head = '{"actions":['
        rest = canonical_json({"kinds": sorted(self.kinds), "actions": [], **self._revert_body()})[len(head):]
        if made:
            try:
                texts = list(map(_MADE_TEXT, self.actions))  # actions made together carry their text
            except AttributeError:
                texts = [a.__dict__.get("_made_text") or a.canonical_text(a.__dict__.get("_made_parts"))
                         for a in self.actions]
        else:
            texts = [a.canonical_text() for a in self.actions]
        # hashed piece by piece: the actions' text (megabytes in a large plan) is not copied once more
        digest = hashlib.sha256(head.encode())
        digest.update(",".join(texts).encode())
        digest.update(rest.encode())
        return digest.hexdigest()[:32]

    def to_json(self) -> str:
        return json.dumps({"run_id": self.run_id, "kinds": list(self.kinds), "fingerprint": self.fingerprint,
                           "actions": [a.to_dict() for a in self.actions], **self._revert_body()}, indent=2,
                          sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Plan":
        d = json.loads(text)
        return cls(run_id=d["run_id"], kinds=tuple(d["kinds"]), fingerprint=d["fingerprint"],
                   actions=tuple(Action.from_dict(a) for a in d["actions"]), reverts=d.get("reverts", ""),
                   held=tuple(d.get("held", ())), unlinks=tuple(d.get("unlinks", ())))

    def by_id(self) -> dict[str, Action]:
        """The actions by id (built once per plan: checking 10,000 decisions must not rebuild it 10,000 times;
        callers read it, never change it)."""
        index = self.__dict__.get("_by_id")
        if index is None:
            index = {a.id: a for a in self.actions}
            object.__setattr__(self, "_by_id", index)
        return index


@dataclass(frozen=True)
class Agreed:
    """One field that linked pairs hold equal on both sides and their baseline does not hold yet: ``keys`` are
    the baseline keys (the Xero id; ``<Xero document id>#<line_no>`` for lines), ``values`` the Xero side's
    canonical values, the frame's own objects (no text is made until the store writes them).

    Made from whole columns and the agreeing ``rows`` (positions), they are taken from them when first read: a
    reconcile whose result is not recorded takes nothing (a take of ~10^5 keys and values per field was 8 % of
    the supplier reconcile).

    ``rows`` are kept in the least memory that says the same positions (:func:`compact_rows`): a range when they
    run on without a gap (most line fields agree on every paired line), else int32. As int64 arrays they were
    about 94 MiB of a reconcile's result at 10^6 lines per side, more than the values they point at."""

    frame: str
    field: str
    column_keys: Any
    column_values: pd.Series
    rows: Any = None

    def __post_init__(self) -> None:
        if self.rows is not None:
            object.__setattr__(self, "rows", compact_rows(self.rows))

    @functools.cached_property
    def keys(self) -> Any:
        return self.column_keys if self.rows is None else self.column_keys[self.rows]

    @functools.cached_property
    def values(self) -> pd.Series:
        if self.rows is None:
            return self.column_values
        return self.column_values.iloc[self.rows].reset_index(drop=True)

    def __len__(self) -> int:
        return len(self.column_keys) if self.rows is None else len(self.rows)

    def texts(self) -> list[str]:
        """The values as the canonical strings the store keeps."""
        from recon.reconcile.fields import text

        return text(self.values).tolist()


def compact_rows(rows: Any) -> range | np.ndarray:
    """Positions ``rows`` as a ``range`` when they are consecutive and ascending, else as an int32 array when
    they fit (int64 otherwise): the same positions for ``len``, ``numpy.asarray``, ``iloc`` and a take."""
    if isinstance(rows, range):
        return rows
    rows = np.asarray(rows)
    if rows.dtype == bool:
        rows = np.flatnonzero(rows)
    if not len(rows):
        return range(0)
    first, last = int(rows[0]), int(rows[-1])
    if last - first + 1 == len(rows) and first >= 0 and (len(rows) == 1 or bool((np.diff(rows) == 1).all())):
        return range(first, last + 1)
    if rows.min() >= 0 and rows.max() <= np.iinfo(np.int32).max:
        return rows.astype(np.int32)
    return rows


@dataclass(frozen=True)
class Reconciliation:
    """The result of reconcile: differences (``DIFF_COLUMNS``), the plan, a summary frame per kind,
    the rounding analysis of POs and bills, the rounding-settings check, and ``agreed``: per field, the
    values linked pairs hold equal that their baseline does not hold yet (:class:`Agreed`), for the caller to
    record as baseline (:meth:`recon.store.Store.record_agreed`)."""

    differences: pd.DataFrame
    plan: Plan
    summary: pd.DataFrame
    rounding: pd.DataFrame = field(default_factory=pd.DataFrame)
    settings_check: Mapping[str, Any] = field(default_factory=dict)
    agreed: tuple[Agreed, ...] = ()

    def agreed_values(self) -> pd.DataFrame:
        """``agreed`` as one frame of canonical strings (``frame, key, field, value``), for people and tests."""
        parts = [pd.DataFrame({"frame": a.frame, "key": a.keys, "field": a.field, "value": a.texts()})
                 for a in self.agreed if len(a)]
        return (pd.concat(parts, ignore_index=True) if parts
                else pd.DataFrame({c: pd.Series([], dtype=object) for c in ("frame", "key", "field", "value")}))

    @property
    def message(self) -> str:
        """The plain sentence for the terminal and the report. With nothing to do it says so, and counts the
        differences that are only shown (rounding, a possible duplicate, a document deleted in Xero)."""
        if not self.plan.actions:
            if self.differences.empty:
                return NO_CHANGES
            n = len(self.differences)
            return f"{NO_CHANGES} {n} difference{'s' if n != 1 else ''} shown need{'s' if n == 1 else ''} no action."
        return f"{len(self.differences)} differences, {len(self.plan.actions)} proposed actions."


VERDICTS = ("approve", "reject")
RESULT_STATUSES = ("applied", "skipped", "refused", "failed", "dry_run")


@dataclass(frozen=True)
class Decision:
    """A person's (or a policy's) verdict on one action of one plan, bound to the plan's fingerprint.

    ``by`` is the person, or ``policy:<name>`` for an unattended run; ``at`` an ISO-8601 UTC instant from an
    injected clock.
    """

    plan_fingerprint: str
    action_id: str
    verdict: str
    by: str
    at: str
    comment: str = ""
    policy: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ActionResult:
    """What became of one action in an apply: ``status`` is one of ``RESULT_STATUSES``.

    ``request`` is the exact request sent (or, in a dry run, that would be sent: method, path, body);
    ``before``/``after`` the target's values around the write; ``target_id`` the record's id in the target;
    ``approved_by`` who made the decision in force (a person, or ``policy:<name>``).
    """

    action_id: str
    status: str
    message: str = ""
    target_id: str = ""
    request: Mapping[str, Any] = field(default_factory=dict)
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)
    approved_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["request"], d["before"], d["after"] = dict(self.request), dict(self.before), dict(self.after)
        return d


@dataclass(frozen=True)
class Outcome:
    """The result of one apply of one plan: ``applied_by`` is who ran the apply; ``second_approver_required``
    says the profile asked for four eyes (an approver may not apply their own approvals)."""

    run_id: str
    plan_fingerprint: str
    results: tuple[ActionResult, ...]
    dry_run: bool = False
    applied_by: str = ""
    second_approver_required: bool = False

    def counts(self) -> dict[str, int]:
        """Actions per status, every status present (zeros included)."""
        return {s: sum(1 for r in self.results if r.status == s) for s in RESULT_STATUSES}

    def to_json(self) -> str:
        return json.dumps({"run_id": self.run_id, "plan_fingerprint": self.plan_fingerprint, "dry_run": self.dry_run,
                           "applied_by": self.applied_by, "second_approver_required": self.second_approver_required,
                           "counts": self.counts(), "results": [r.to_dict() for r in self.results]},
                          indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Outcome":
        d = json.loads(text)
        return cls(run_id=d["run_id"], plan_fingerprint=d["plan_fingerprint"], dry_run=d["dry_run"],
                   applied_by=d.get("applied_by", ""), second_approver_required=d.get("second_approver_required", False),
                   results=tuple(ActionResult(**r) for r in d["results"]))
