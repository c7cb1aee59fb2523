"""The sync rules of DESIGN.md section 1, as data.

Each :class:`Rule` says for one kind which way records flow, which system is the source, what may be
created, updated or archived on which side, who wins a conflict, which fields are compared (and how), and
which keys propose a match between unlinked records. The reconcile core reads only these tables, so a rule
change is a one-line change here.
"""

from __future__ import annotations

from dataclasses import dataclass

from recon import schema

TWO_WAY = "two_way"
ONE_WAY = "one_way"

#: Precoro document statuses that are sent to Xero: approved, or later in the payment flow.
SENDABLE_STATUSES: frozenset[str] = frozenset({"approved", "partly_paid", "paid"})


@dataclass(frozen=True)
class Rule:
    """How one kind is kept in step.

    ``source`` is the system whose value wins when there is no baseline (and on a conflict: ``conflict_winner``).
    ``create_on``/``update_on``/``archive_on`` name the systems recon may write to for that operation.
    ``fields`` are the compared canonical columns; ``casefold`` those compared case-insensitively.
    ``match_keys`` are alternative key sets for proposing links between unlinked records (a candidate is
    any pair equal on all columns of at least one key set). ``duplicate_keys`` (default: ``match_keys``) are
    the key sets on which a record new on one side is a possible duplicate of a record already linked on the
    other (shown for a person to decide, never created). Names are compared normalised (case, spacing,
    punctuation; ``legal_names``: a legal suffix such as Ltd or Limited too). ``label`` is the column shown.
    """

    kind: str
    direction: str
    source: str
    create_on: frozenset[str]
    update_on: frozenset[str]
    archive_on: frozenset[str]
    conflict_winner: str
    fields: tuple[str, ...]
    match_keys: tuple[tuple[str, ...], ...]
    label: str
    casefold: frozenset[str] = frozenset()
    lines: str | None = None
    line_fields: tuple[str, ...] = ()
    #: value written to Xero's ``status`` when a Precoro document is cancelled (documents only)
    cancel_status: str = ""
    duplicate_keys: tuple[tuple[str, ...], ...] | None = None
    legal_names: bool = False
    #: fields Xero writes as one object (a contact's STREET address): an update of one carries the others at
    #: their current Xero values, so writing it changes nothing else
    xero_groups: tuple[tuple[str, ...], ...] = ()
    #: systems that cannot edit a record of this kind, only cancel it and create it again: an ``update`` there is
    #: carried out as a replacement (Precoro payments have no PUT: ``recon.apply_payments``)
    replaced_on: frozenset[str] = frozenset()
    #: whether unlinked inactive records are matched with inactive ones (``False``: a cancelled payment records
    #: nothing, so no link is proposed for it)
    match_inactive: bool = True

    @property
    def duplicates(self) -> tuple[tuple[str, ...], ...]:
        return self.match_keys if self.duplicate_keys is None else self.duplicate_keys

    @property
    def target(self) -> str | None:
        """The only system written to by a one-way rule (``None`` for two-way kinds)."""
        if self.direction == TWO_WAY:
            return None
        return "xero" if self.source == "precoro" else "precoro"

    def other(self, system: str) -> str:
        return "xero" if system == "precoro" else "precoro"


def _cols(frame: str, *drop: str) -> tuple[str, ...]:
    return tuple(c.name for c in schema.compared(frame) if c.name not in drop)


_BOTH = frozenset({"precoro", "xero"})
_P = frozenset({"precoro"})
_X = frozenset({"xero"})
_NONE: frozenset[str] = frozenset()
_CI = frozenset({"email", "currency", "country", "tax_type", "status"})

# Document status is not compared field by field: the two systems' status models differ (a Precoro invoice
# "partly_paid" is an AUTHORISED Xero bill with AmountPaid > 0); cancellation travels through ``active``.
_DOC_DROP = ("status",)
# Lines are compared on what is sent; amounts each system computes itself are left to the rounding analysis.
_LINE_FIELDS = _cols("purchase_order_lines", "tax_amount", "line_amount")

RULES: dict[str, Rule] = {
    "supplier": Rule(
        "supplier", TWO_WAY, "xero", _BOTH, _BOTH, _BOTH, "xero", _cols("supplier"),
        (("name",), ("tax_number",), ("email",)), "name", _CI, duplicate_keys=(("name",),), legal_names=True,
        xero_groups=(("address_line1", "city", "region", "postal_code", "country"),)),
    "item": Rule(
        "item", ONE_WAY, "xero", _P, _P, _P, "xero", _cols("item"), (("code", "name"),), "name", _CI),
    "account": Rule(
        "account", ONE_WAY, "xero", _P, _P, _P, "xero", _cols("account"), (("code",),), "name", _CI),
    "tracking_option": Rule(
        "tracking_option", ONE_WAY, "xero", _P, _P, _P, "xero", _cols("tracking_option"),
        (("category", "name"),), "name", _CI),
    "tax_rate": Rule(
        "tax_rate", ONE_WAY, "xero", _P, _P, _P, "xero", _cols("tax_rate"), (("tax_type",), ("name",)),
        "name", _CI),
    "purchase_order": Rule(
        "purchase_order", ONE_WAY, "precoro", _X, _X, _X, "precoro", _cols("purchase_order", *_DOC_DROP),
        (("number", "supplier_xero_id"),), "number", _CI, "purchase_order_lines", _LINE_FIELDS, "deleted"),
    "bill": Rule(
        "bill", ONE_WAY, "precoro", _X, _X, _X, "precoro", _cols("bill", *_DOC_DROP),
        (("number", "supplier_xero_id"),), "number", _CI, "bill_lines", _LINE_FIELDS, "voided"),
    "payment": Rule(
        "payment", ONE_WAY, "xero", _P, _P, _P, "xero", _cols("payment"),
        (("bill_xero_id", "date"),), "reference", _CI, duplicate_keys=(),  # two equal payments on a day are two
        replaced_on=_P, match_inactive=False),
}

#: Kinds in dependency order: what a later kind refers to is created first.
ORDER: tuple[str, ...] = tuple(schema.KINDS)

#: Header money fields of documents: computed by each system, compared through the rounding analysis.
DOC_TOTALS: tuple[str, ...] = ("subtotal", "total_tax", "total")


def rule(kind: str) -> Rule:
    """The rule of ``kind``; a clear error for an unknown kind."""
    from recon.errors import PlanError

    try:
        return RULES[kind]
    except KeyError:
        raise PlanError(f"unknown object kind {kind!r}; known: {', '.join(ORDER)}") from None
