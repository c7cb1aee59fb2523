"""Reading Precoro requests: PHP/Symfony bracket forms, JSON bodies, query strings and typed field values.

Precoro takes writes as ``application/x-www-form-urlencoded`` with bracket keys (``contacts[data][0][email]``,
``currencies[]``, ``invoice[id]``) or as JSON of the same structure; both end up as one nested ``dict``.
Every reader here raises :class:`Invalid` (field → message) on bad input, which the app answers with a 400 in
Precoro's ``{"errors": {"errors": {...}}}`` shape: a malformed request never reaches a 500.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

MAX_BODY = 2_000_000
MAX_FIELDS = 2000
MAX_DEPTH = 8
MAX_JSON_DEPTH = 32
MAX_TEXT = 2000
#: Largest magnitude accepted for an amount, a quantity or a percentage (Precoro stores DECIMAL columns).
MAX_NUMBER = Decimal("1e13")
_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class Invalid(Exception):
    """A request Precoro would refuse with 400: ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors

    def body(self) -> dict[str, Any]:
        return {"errors": {"errors": dict(self.errors)}}


def nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Fold ``[("contacts[data][0][email]", "x"), ("currencies[]", "NZD")]`` into nested dicts and lists.

    ``a[]`` appends to a list; a dict whose keys are all digits becomes a list in key order. A key used both
    as a value and as a container (``a=1&a[b]=2``) is malformed.
    """
    if len(pairs) > MAX_FIELDS:
        raise Invalid({"body": f"Too many fields (more than {MAX_FIELDS})."})
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if not match:
            raise Invalid({key or "body": "Malformed field name."})
        path = [match.group(1)] + re.findall(r"\[([^\[\]]*)\]", match.group(2))
        if len(path) > MAX_DEPTH:
            raise Invalid({path[0]: "Field nested too deeply."})
        node: Any = root
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if isinstance(node, list):
                if part != "":
                    raise Invalid({path[0]: "Malformed field name."})
                if last:
                    node.append(value)
                    break
                node.append({})
                node = node[-1]
                continue
            if last:
                if part in node and not isinstance(node[part], str):
                    raise Invalid({path[0]: "Malformed field name."})
                node[part] = value
                break
            child_is_list = path[i + 1] == ""
            existing = node.get(part)
            if existing is None:
                node[part] = [] if child_is_list else {}
            elif isinstance(existing, str) or isinstance(existing, list) != child_is_list:
                raise Invalid({path[0]: "Malformed field name."})
            node = node[part]
    return _listify(root)


def _listify(node: Any) -> Any:
    if isinstance(node, list):
        return [_listify(v) for v in node]
    if isinstance(node, dict):
        out = {k: _listify(v) for k, v in node.items()}
        if out and all(k.isdigit() for k in out):
            return [out[k] for k in sorted(out, key=int)]
        return out
    return node


def parse_query(query: bytes | str) -> dict[str, Any]:
    """The query string as nested values (``status[]=2&status[]=4`` → ``{"status": ["2", "4"]}``)."""
    text = query.decode("latin-1") if isinstance(query, bytes) else query
    try:
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise Invalid({"query": f"Malformed query string: {exc}."}) from None
    return nest(pairs)


def parse_body(content_type: str, body: bytes, max_body: int | None = MAX_BODY) -> dict[str, Any]:
    """A write's body (form or JSON) as one nested dict; an empty body is ``{}``.

    ``max_body`` None lifts the size limit (the admin ``load`` of generated data).
    """
    if max_body is not None and len(body) > max_body:
        raise Invalid({"body": f"Request body too large (over {max_body} bytes)."})
    if not body.strip():
        return {}
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json" or (not kind and body.lstrip()[:1] in (b"{", b"[")):
        try:
            data = json.loads(body, parse_float=Decimal, parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            raise Invalid({"body": f"Invalid JSON: {exc}."}) from None
        if not isinstance(data, dict):
            raise Invalid({"body": "The JSON body must be an object."})
        _check_depth(data, 0)
        return data
    if kind in ("", "application/x-www-form-urlencoded"):
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except (UnicodeDecodeError, ValueError) as exc:
            raise Invalid({"body": f"Malformed form body: {exc}."}) from None
        return nest(pairs)
    raise Invalid({"body": f"Unsupported content type {kind!r}: send a form or JSON."})


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _check_depth(node: Any, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise Invalid({"body": "JSON nested too deeply."})
    if isinstance(node, dict):
        for v in node.values():
            _check_depth(v, depth + 1)
    elif isinstance(node, list):
        for v in node:
            _check_depth(v, depth + 1)


# ---- typed field values -------------------------------------------------------------------------------

def text(field: str, value: Any, *, required: bool = False, max_len: int = 255) -> str | None:
    """A string field; numbers are accepted as their text (forms carry everything as text).

    A blank string stays blank (``""`` loads back as ``""``) unless the field is required.
    """
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if required:
            raise Invalid({field: "This value should not be blank."})
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal, float)):
        raise Invalid({field: "This value should be of type string."})
    out = value if isinstance(value, str) else str(value)
    if "\x00" in out:
        raise Invalid({field: "This value contains a NUL character."})
    if len(out) > min(max_len, MAX_TEXT):
        raise Invalid({field: f"This value is too long. It should have {max_len} characters or less."})
    return out


def boolean(field: str, value: Any) -> bool:
    """``1``/``0``/``true``/``false`` (forms) or a JSON boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, str)) and str(value).strip().lower() in ("1", "true"):
        return True
    if isinstance(value, (int, str)) and str(value).strip().lower() in ("0", "false"):
        return False
    raise Invalid({field: "This value is not a valid boolean."})


def number(field: str, value: Any, *, minimum: Decimal | None = None, required: bool = False) -> Decimal | None:
    """A decimal number from text or JSON; bounded so nothing overflows later."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if required:
            raise Invalid({field: "This value should not be blank."})
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise Invalid({field: "This value is not a valid number."})
    finite = not isinstance(value, Decimal) or value.is_finite()  # a signalling NaN cannot even be hashed
    out = _decimal(value) if finite else None
    if out is None:
        raise Invalid({field: "This value is not a valid number."})
    if abs(out) >= MAX_NUMBER:
        raise Invalid({field: f"This value should be less than {MAX_NUMBER:f}."})
    if minimum is not None and out < minimum:
        raise Invalid({field: f"This value should be greater than or equal to {minimum}."})
    return out


@lru_cache(maxsize=65536, typed=True)
def _decimal(value: str | int | float | Decimal) -> Decimal | None:
    """The exact value of a number or numeric text, or None. Cached: bulk loads repeat the same amounts."""
    if isinstance(value, (float, Decimal)):
        # JSON and Python numbers may carry an exponent (1e2); text from forms may not.
        out = Decimal(repr(value)) if isinstance(value, float) else value
        if not out.is_finite() or (out != 0 and not -30 <= out.adjusted() <= 20):
            return None
        return out
    raw = str(value).strip()
    if not _NUMBER.match(raw) or len(raw) > 40:
        return None
    return Decimal(raw)


def integer(field: str, value: Any) -> int:
    """A whole number (ids, status codes)."""
    if isinstance(value, bool):
        raise Invalid({field: "This value is not a valid integer."})
    if isinstance(value, int):
        out = value
    elif isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]{1,12}\s*", value):
        out = int(value)
    elif isinstance(value, Decimal) and value == value.to_integral_value() and abs(value) < 10**12:
        out = int(value)
    else:
        raise Invalid({field: "This value is not a valid integer."})
    if abs(out) >= 10**12:
        raise Invalid({field: "This value is not a valid integer."})
    return out


def ref_id(field: str, value: Any) -> int:
    """An id given as ``x[id]=5`` (a dict), or bare."""
    if isinstance(value, dict):
        if "id" not in value:
            raise Invalid({field: "This value should not be blank."})
        value = value["id"]
    return integer(field, value)


def currency(field: str, value: Any) -> str:
    code = text(field, value, required=True, max_len=40)
    if not code or not _CURRENCY.match(code):
        raise Invalid({field: "This value is not a valid currency."})
    return code


def timestamp(field: str, value: Any) -> datetime | None:
    """ISO 8601 date or date-time; without an offset it is UTC. Returns an aware UTC datetime."""
    if type(value) is str:  # loads repeat the same few thousand stamps; a datetime is immutable
        hit = _TIMES.get(value)
        if hit is None:
            hit = _timestamp(field, value)
            if hit is not None and len(_TIMES) < 1 << 16:
                _TIMES[value] = hit
        return hit
    return _timestamp(field, value)


_TIMES: dict[str, datetime] = {}


def _timestamp(field: str, value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and len(value) <= 40:
        raw = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            raise Invalid({field: "This value is not a valid datetime."}) from None
    else:
        raise Invalid({field: "This value is not a valid datetime."})
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).replace(microsecond=0)


def day(field: str, value: Any) -> date:
    """A ``DD.MM.YYYY`` date (``approvalDate[left_date]=01.12.2023``)."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{2}\.[0-9]{2}\.[0-9]{4}", value.strip()):
        raise Invalid({field: "This value is not a valid date (DD.MM.YYYY)."})
    try:
        return datetime.strptime(value.strip(), "%d.%m.%Y").date()
    except ValueError:
        raise Invalid({field: "This value is not a valid date (DD.MM.YYYY)."}) from None


def day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=timezone.utc)


def iso(value: datetime | None) -> str | None:
    """The wire form of a timestamp: ``2024-03-02T10:11:00+00:00``."""
    return None if value is None else value.astimezone(timezone.utc).isoformat(timespec="seconds")


# ---- JSON out -----------------------------------------------------------------------------------------

_RAW = re.compile(r'"\\u0000D([-+0-9.Ee]+)\\u0000"')


def dumps(value: Any) -> str:
    """JSON with ``Decimal`` written as an exact number (``115.00``) and datetimes in the wire form.

    Decimals travel through the C encoder as marked strings and are unquoted afterwards; text fields never
    hold the NUL that marks them (:func:`text` refuses it).
    """
    return _RAW.sub(r"\1", json.dumps(_prepare(value), ensure_ascii=False, separators=(",", ":")))


_SCALARS = (str, int, bool, float, type(None))


def _prepare(value: Any) -> Any:
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): _prepare(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_prepare(v) for v in value]
    if kind is Decimal:
        if not value.is_finite():
            raise TypeError(f"cannot write {value} as JSON")
        return f"\x00D{format(abs(value) if value == 0 else value, 'f')}\x00"
    if kind is datetime:
        return iso(value)
    raise TypeError(f"cannot write {kind.__name__} as JSON")


def plain(value: Any) -> Any:
    """A deep copy in the types a JSON reader with ``parse_float=Decimal`` gives (timestamps as text)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        return {k: plain(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [plain(v) for v in value]
    if kind is datetime:
        return iso(value)
    if kind is Decimal and value == 0:
        return abs(value)
    return value


def loads(text_: str | bytes) -> Any:
    """The inverse of :func:`dumps` (numbers with a fraction as ``Decimal``)."""
    return json.loads(text_, parse_float=Decimal)
