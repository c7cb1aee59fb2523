"""The subset of Xero's ``where`` and ``order`` query syntax the emulator understands.

``where`` (reference/xero-api.md section 13) is a .NET-like boolean expression over a record's fields::

    Type=="ACCPAY" AND Status!="DELETED"
    Contact.ContactID==Guid("...") || Name.StartsWith("Acme")
    Date >= DateTime(2024, 01, 01) && AmountDue > 0 && EmailAddress != null
    IsSold==true

Supported: ``==``, ``=`` (the "optimised" form), ``!=``, ``<``, ``<=``, ``>``, ``>=``; ``AND``/``&&``,
``OR``/``||``, ``NOT``/``!`` and parentheses; string, number, ``true``/``false`` and ``null`` literals;
``Guid("...")`` and ``DateTime(y, m, d[, h, mi, s])``; ``.Contains``, ``.StartsWith`` and ``.EndsWith``.
String comparisons ignore case, as Xero's do. Anything else is a :class:`WhereError` (the emulator answers 400).

``order`` is ``Field [ASC|DESC][, Field [ASC|DESC]]...``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Callable

Record = dict[str, Any]
Predicate = Callable[[Record], bool]


class WhereError(ValueError):
    """A ``where`` or ``order`` expression the emulator cannot read."""


_TOKEN = re.compile(r"""
    \s*(?:
      (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<op>==|!=|<=|>=|&&|\|\||[=<>!(),.])
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""", re.VERBOSE)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos, text = [], 0, text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise WhereError(f"cannot read the where clause at {text[pos:pos + 20]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1].upper() != value.upper()):
            raise WhereError(f"expected {value or 'more'} in the where clause, found {tok[1] if tok else 'the end'}")
        self.i += 1
        return tok

    def is_word(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[1].upper() in words

    def parse(self) -> Predicate:
        pred = self.or_()
        if self.peek() is not None:
            raise WhereError(f"unexpected {self.peek()[1]!r} in the where clause")  # type: ignore[index]
        return pred

    def or_(self) -> Predicate:
        parts = [self.and_()]
        while self.is_word("OR", "||"):
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def and_(self) -> Predicate:
        parts = [self.not_()]
        while self.is_word("AND", "&&"):
            self.take()
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def not_(self) -> Predicate:
        if self.is_word("NOT", "!"):
            self.take()
            inner = self.not_()
            return lambda r: not inner(r)
        if self.is_word("("):
            self.take("(")
            inner = self.or_()
            self.take(")")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        left = self.operand()
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] in ("==", "=", "!=", "<", "<=", ">", ">="):
            op = self.take()[1]
            right = self.operand()
            return lambda r: _compare(op, left(r), right(r))
        return lambda r: _truthy(left(r))

    def operand(self) -> Callable[[Record], Any]:
        kind, text = self.take()
        if kind == "str":
            value = _unquote(text)
            return lambda r: value
        if kind == "num":
            number = Decimal(text)
            return lambda r: number
        if kind != "name":
            raise WhereError(f"unexpected {text!r} in the where clause")
        upper = text.upper()
        if upper in ("TRUE", "FALSE"):
            flag = upper == "TRUE"
            return lambda r: flag
        if upper == "NULL":
            return lambda r: None
        if upper == "GUID" and self.is_word("("):
            self.take("(")
            value = _unquote(self.take()[1]).lower()
            self.take(")")
            return lambda r: value
        if upper == "DATETIME" and self.is_word("("):
            moment = self.datetime_args()
            return lambda r: moment
        path = [text]
        while self.is_word("."):
            self.take(".")
            name = self.take()
            if name[0] != "name":
                raise WhereError(f"unexpected {name[1]!r} after '.' in the where clause")
            if self.is_word("("):
                return self.method(path, name[1])
            path.append(name[1])
        return lambda r: _lookup(r, path)

    def method(self, path: list[str], name: str) -> Callable[[Record], Any]:
        self.take("(")
        kind, text = self.take()
        if kind != "str":
            raise WhereError(f"{name} needs a string argument")
        self.take(")")
        arg = _unquote(text).lower()
        tests = {"CONTAINS": lambda v: arg in v, "STARTSWITH": lambda v: v.startswith(arg),
                 "ENDSWITH": lambda v: v.endswith(arg)}
        test = tests.get(name.upper())
        if test is None:
            raise WhereError(f"the method {name} is not supported in where clauses")

        def apply(r: Record) -> bool:
            value = _lookup(r, path)
            return isinstance(value, str) and test(value.lower())
        return apply

    def datetime_args(self) -> datetime:
        self.take("(")
        if self.peek() and self.peek()[0] == "str":  # type: ignore[index]
            from recon.sandbox.xero_wire import parse_timestamp
            try:
                moment = parse_timestamp(_unquote(self.take()[1]))
            except ValueError as exc:
                raise WhereError(str(exc)) from exc
            self.take(")")
            return moment
        numbers: list[int] = []
        while True:
            kind, text = self.take()
            if kind != "num" or "." in text:
                raise WhereError("DateTime() takes whole numbers: DateTime(2024, 01, 31)")
            numbers.append(int(text))
            if self.is_word(")"):
                self.take(")")
                break
            self.take(",")
        if not 3 <= len(numbers) <= 6:
            raise WhereError("DateTime() takes year, month, day and optionally hour, minute, second")
        try:
            return datetime(*numbers, tzinfo=timezone.utc)  # type: ignore[misc]
        except ValueError as exc:
            raise WhereError(f"DateTime{tuple(numbers)} is not a valid date: {exc}") from exc


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _lookup(record: Any, path: list[str]) -> Any:
    value = record
    for name in path:
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == name.lower()), None) \
            if name not in value else value[name]
    return value


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise WhereError("a where clause term must compare a field with a value")


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    return value


def _compare(op: str, left: Any, right: Any) -> bool:
    a, b = _norm(left), _norm(right)
    if op in ("==", "="):
        return a == b
    if op == "!=":
        return a != b
    if a is None or b is None:
        return False
    if type(a) is not type(b) or isinstance(a, bool):
        raise WhereError(f"cannot compare {left!r} with {right!r} using {op}")
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def where(text: str) -> Predicate:
    """A predicate over a record for a ``where`` clause (``WhereError`` when it cannot be read)."""
    return _Parser(text).parse()


_ORDER_TERM = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(ASC|DESC)?\s*$", re.IGNORECASE)


def order_terms(text: str) -> list[tuple[list[str], bool]]:
    """``Name ASC, UpdatedDateUTC DESC`` → ``[(["Name"], False), (["UpdatedDateUTC"], True)]``."""
    terms = []
    for part in text.split(","):
        m = _ORDER_TERM.match(part)
        if not m:
            raise WhereError(f"cannot read the order clause {text!r}")
        terms.append((m.group(1).split("."), (m.group(2) or "ASC").upper() == "DESC"))
    return terms


def sort_records(records: list[Record], terms: list[tuple[list[str], bool]]) -> list[Record]:
    """Stable sort by the terms; missing values sort last whatever the direction."""
    out = list(records)
    for path, desc in reversed(terms):
        present = [r for r in out if _lookup(r, path) is not None]
        missing = [r for r in out if _lookup(r, path) is None]
        try:
            present.sort(key=lambda r: _norm(_lookup(r, path)), reverse=desc)
        except TypeError as exc:
            raise WhereError(f"cannot order by {'.'.join(path)}: mixed values") from exc
        out = present + missing
    return out
