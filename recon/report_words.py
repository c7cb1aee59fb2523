"""The words an accountant reads in every view (notebook, web app, audit report) instead of recon's
internal codes: difference kinds, directions, operations, statuses, field names and facts, amounts with
their currency, and times in the organisation's timezone to the second.

The meanings are those of reconcile (``differences.csv``, issue 10): a conflict of a two-way kind is settled
by its rule's winner (Xero for suppliers), a conflict of a one-way kind by its source, a PO or bill total
that rounding does not explain is *material*, a blocked edit is put back from the source.

>>> difference_words("supplier", "conflict", "to_precoro", "email", "a@x", "b@x", "c@x")
'Changed on both sides: Xero wins'
>>> field_words("lines[2].quantity")
'line 2: quantity'
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from recon import schema
from recon.rules import DOC_TOTALS, RULES, TWO_WAY

SYSTEM = {"precoro": "Precoro", "xero": "Xero"}

KIND = {"only_in_precoro": "Only in Precoro", "only_in_xero": "Only in Xero", "mismatch": "Values differ",
        "conflict": "Changed on both sides", "blocked_edit": "Edited where it is read-only",
        "rounding": "Rounding", "match_candidate": "Possible match", "": ""}

DIRECTION = {"to_xero": "Precoro → Xero", "to_precoro": "Xero → Precoro", "none": "no change", "": ""}

OPERATION = {"create": "Create", "update": "Update", "archive": "Archive", "link": "Link", "none": "—", "": ""}

OBJECT = {"supplier": "Supplier", "item": "Item", "account": "Account", "tracking_option": "Tracking option",
          "tax_rate": "Tax rate", "purchase_order": "Purchase order", "bill": "Bill", "payment": "Payment"}

STATUS = {"pending": "Pending", "approve": "Approved", "reject": "Rejected", "applied": "Applied",
          "failed": "Failed", "refused": "Refused", "skipped": "Skipped", "dry_run": "Dry run",
          "not applied": "Not applied"}

#: facts of ``snapshot.json`` per system, in words; a fact not named here is shown as "<System> <its words>"
FACTS = {("xero", "organisation"): "Xero organisation", ("xero", "base_currency"): "Xero base currency",
         ("xero", "unitdp"): "Xero decimals of unit amounts", ("xero", "tenant_id"): "Xero tenant",
         ("xero", "timezone"): "Xero timezone", ("precoro", "company"): "Precoro company",
         ("precoro", "precision"): "Precoro decimals of amounts", ("xero", "amount_dp"): "Xero decimals of amounts"}

#: Xero names timezones the Windows way (``Organisation.Timezone``); the IANA zone of the ones its
#: organisations most often use. Any other falls back to the profile's ``timezone`` or the machine's.
XERO_TIMEZONES = {
    "NEWZEALANDSTANDARDTIME": "Pacific/Auckland", "AUSEASTERNSTANDARDTIME": "Australia/Sydney",
    "EAUSTRALIASTANDARDTIME": "Australia/Brisbane", "CENAUSTRALIASTANDARDTIME": "Australia/Adelaide",
    "WAUSTRALIASTANDARDTIME": "Australia/Perth", "TASMANIASTANDARDTIME": "Australia/Hobart",
    "GMTSTANDARDTIME": "Europe/London", "UTC": "UTC", "EASTERNSTANDARDTIME": "America/New_York",
    "CENTRALSTANDARDTIME": "America/Chicago", "MOUNTAINSTANDARDTIME": "America/Denver",
    "PACIFICSTANDARDTIME": "America/Los_Angeles", "SINGAPORESTANDARDTIME": "Asia/Singapore",
    "SOUTHAFRICASTANDARDTIME": "Africa/Johannesburg", "WEUROPESTANDARDTIME": "Europe/Berlin",
    "ROMANCESTANDARDTIME": "Europe/Paris", "IRELANDSTANDARDTIME": "Europe/Dublin",
}

_LINE_FIELD = re.compile(r"^(\w+)\[(\d+)\]\.(\w+)$")
_MONEY_FIELDS = frozenset(c.name for cols in schema.FRAMES.values() for c in cols if c.type == "money")


def words(code: Any) -> str:
    """A code such as ``unit_amount`` as words (``unit amount``)."""
    return str(code or "").replace("_", " ")


def field_words(name: Any) -> str:
    """``lines[2].quantity`` → ``line 2: quantity``; ``tax_number`` → ``tax number``."""
    text = str(name or "")
    m = _LINE_FIELD.match(text)
    if m:
        return f"line {m.group(2)}: {words(m.group(3))}"
    return words(text)


def is_money_field(name: Any) -> bool:
    """Whether a difference's field holds an amount of money (shown with its currency, right-aligned)."""
    text = str(name or "")
    m = _LINE_FIELD.match(text)
    return (m.group(3) if m else text) in _MONEY_FIELDS


def amount(value: Any, currency: str = "") -> str:
    """An exact amount with thousands separators and its currency: ``NZD 1,234.50`` (text left as it is)."""
    text = "" if value is None else str(value).strip()
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return text
    shown = f"{number:,}"
    return f"{currency} {shown}".strip() if currency else shown


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None


def changed_side(kind: str, precoro: Any, xero: Any, baseline: Any) -> str:
    """Which side changed since the last agreed value: ``precoro``, ``xero``, ``both`` or ``""`` (unknown, or a
    record that exists on one side only)."""
    if kind in ("only_in_precoro", "only_in_xero", "match_candidate"):
        return ""
    if kind == "conflict":
        return "both"
    p, x, b = (str(v if v is not None else "") for v in (precoro, xero, baseline))
    if kind in ("rounding",) or not b:
        return ""
    if p == b and x != b:
        return "xero"
    if x == b and p != b:
        return "precoro"
    return "both" if p != b and x != b else ""


def difference_words(obj: str, kind: str, direction: str, field: str, precoro: Any = "", xero: Any = "",
                     baseline: Any = "") -> str:
    """One difference in plain words: what happened and what recon proposes."""
    rule = RULES.get(obj)
    source = SYSTEM.get(rule.source, "") if rule else ""
    if kind == "conflict":
        if rule is not None and rule.direction == TWO_WAY:
            return f"Changed on both sides: {SYSTEM[rule.conflict_winner]} wins"
        return f"Changed on both sides: {source} is the source"
    if kind == "rounding":
        p, x = _decimal(precoro), _decimal(xero)
        gap = f": {abs(p - x)}" if p is not None and x is not None else ""
        if "tax" in str(field) or str(field) in DOC_TOTALS:
            return f"Xero rounds tax per line{gap}"
        return f"Rounding difference{gap}"
    if rule is not None and rule.lines is not None and str(field) in DOC_TOTALS and kind == "mismatch":
        return "Totals differ beyond rounding (material): review"
    if kind == "blocked_edit":
        target = SYSTEM.get(rule.target, "") if rule else ""
        return f"Edited in {target}, where it is read-only: {source}'s value goes back"
    if kind == "only_in_precoro":
        return "Only in Precoro: to be created in Xero" if direction == "to_xero" else "Only in Precoro"
    if kind == "only_in_xero":
        return "Only in Xero: to be created in Precoro" if direction == "to_precoro" else "Only in Xero"
    if kind == "match_candidate":
        return "Looks like the same record on both sides: link it after checking"
    side = changed_side(kind, precoro, xero, baseline)
    if side in ("precoro", "xero"):
        return f"Changed in {SYSTEM[side]}"
    if kind == "mismatch":
        return f"Values differ: {source} is the source" if source else "Values differ"
    return KIND.get(kind, words(kind))


# -- time ---------------------------------------------------------------------------------------------------
def zone_of(xero_timezone: str = "", configured: str = "") -> dt.tzinfo:
    """The organisation's timezone: Xero's own (mapped to IANA), else the profile's, else the machine's."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    for name in (XERO_TIMEZONES.get(str(xero_timezone or "").upper(), ""), configured):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return dt.datetime.now().astimezone().tzinfo or dt.timezone.utc


def zone_of_snapshot(meta: Mapping[str, Any] | None, configured: str = "") -> dt.tzinfo:
    """:func:`zone_of` for a run whose snapshot metadata (``snapshot.json``) is ``meta`` (None: not fetched)."""
    return zone_of(str(((meta or {}).get("xero") or {}).get("timezone", "")), configured)


def local_time(value: Any, zone: dt.tzinfo) -> str:
    """An ISO-8601 instant as ``2026-03-01 22:05:07 NZDT`` in ``zone``, to the second (text left as it is)."""
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname() or ''}".strip()


def fact_label(system: str, key: str) -> str:
    return FACTS.get((system, key), f"{SYSTEM.get(system, system)} {words(key)}")


def by_words(by: str) -> str:
    """``policy:demo`` → ``policy “demo”`` (an unattended approval), a person's name as it is."""
    return f"policy “{by.split(':', 1)[1]}”" if str(by).startswith("policy:") else str(by or "")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_text(value: Any) -> str:
    """Text safe to print in a terminal or a log: control characters (an escape sequence hidden in a supplier's
    name would recolour, move or clear the screen) shown as their code, ``\\x1b``, never sent as they are."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value if value is not None else ""))


def lookup(table: Mapping[str, str], code: Any) -> str:
    return table.get(str(code or ""), words(code))


def is_replacement(op: Any, kind: Any, target: Any) -> bool:
    """Whether an action is carried out by cancelling the record and recording it anew (a Precoro payment:
    Precoro cannot edit one; ``recon.apply_payments``), so that no view promises an edit."""
    rule = RULES.get(str(kind or ""))
    return op == "update" and rule is not None and str(target or "") in rule.replaced_on


def operation_words(op: Any, kind: Any = "", target: Any = "") -> str:
    """The operation in one word: ``Replace`` where the target can only cancel and record anew."""
    return "Replace" if is_replacement(op, kind, target) else lookup(OPERATION, op)


def action_words(op: Any, kind: Any, target: Any, record_id: Any = "", fields: Any = ()) -> str:
    """What an action does, as a view's *Action* column says it: ``Update supplier in Xero``; for a Precoro
    payment, what the replacement does to it (``record_id``: its Precoro id; ``fields``: the fields it changes).

    >>> action_words("update", "payment", "precoro", "4471", ["date", "amount"])
    "Replace payment in Precoro: cancel payment 4471 and record it again with Xero's date and amount"
    >>> action_words("update", "payment", "precoro", "4471", ["active"])
    'Replace payment in Precoro: payment 4471 was cancelled there; record it again as Xero has it'
    """
    obj, system = lookup(OBJECT, kind).lower(), SYSTEM.get(str(target or ""), words(target))
    what = f"{operation_words(op, kind, target)} {obj} in {system}"
    if not is_replacement(op, kind, target):
        return what
    named = f"{obj} {record_id}" if record_id else f"the {obj}"
    source = SYSTEM.get(RULES[str(kind)].source, RULES[str(kind)].source)
    changed = [_REPLACED_FIELDS.get(f, field_words(f)) for f in dict.fromkeys(fields or ()) if f != "active"]
    if not changed:
        return f"{what}: {named} was cancelled there; record it again as {source} has it"
    listed = changed[0] if len(changed) == 1 else f"{', '.join(changed[:-1])} and {changed[-1]}"
    return f"{what}: cancel {named} and record it again with {source}'s {listed}"


#: a replaced payment's fields as the accountant names them (the bill is known to Precoro by Xero's id)
_REPLACED_FIELDS = {"bill_xero_id": "bill"}
