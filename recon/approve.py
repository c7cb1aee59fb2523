"""The approval model: decisions on the actions of one plan, bound to that plan's fingerprint.

Pure logic over a :class:`~recon.reconcile.model.Plan` and a decision log (the state store, or anything
with ``record_decision`` and ``decisions``). The ipywidgets view (:mod:`recon.widgets`) and unattended
policies are two ways of making decisions through the same model; both end up as rows in the store's
append-only approvals chain, which is the record (never widget state).

>>> model = ApprovalModel(plan, store, user="ana", clock=lambda: "2026-11-23T10:00:00Z")
>>> model.decide(plan.actions[0].id, "approve", "checked with supplier")
>>> apply_policy(model, Policy.parse("xero_to_precoro_reference"))   # by="policy:xero_to_precoro_reference"

Policies, given by name (several joined with ``+``):

===========================  ======================================================================
``none``                     approves nothing (every action waits for a person)
``xero_to_precoro_reference`` reference data flowing from Xero into Precoro: items, accounts, tracking
                             options and tax rates, created or updated in Precoro
``to_precoro:KIND``          any action of ``KIND`` written into Precoro (``*`` for every kind)
``to_xero:KIND``             any action of ``KIND`` written into Xero: nothing goes into Xero unattended
                             unless the policy names it like this
``demo``                     everything (the built-in demo only)
===========================  ======================================================================

Conflicts are never approved by a policy unless it is ``demo``: a person settles them. A PO or bill in Xero's
locked period (:mod:`recon.reconcile.locks`) is never approved by any policy, ``demo`` included: the
accountant chooses to date it after the lock or to leave it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Protocol, Sequence

from recon.errors import ApprovalError
from recon.reconcile.model import VERDICTS, Action, Decision, Plan
from recon.schema import KINDS

REFERENCE_KINDS = ("item", "account", "tracking_option", "tax_rate")


class DecisionLog(Protocol):
    """Where decisions are kept (:class:`recon.store.Store` is one)."""

    def record_decision(self, decision: Decision) -> int: ...

    # optional: ``record_decisions(decisions)`` records several in one go (the store has it)

    def decisions(self, fingerprint: str) -> list[Decision]: ...


def direction_of(action: Action) -> str:
    """``to_xero`` or ``to_precoro``: the system the action writes into."""
    return f"to_{action.target}"


def check_plan(plan: Plan) -> None:
    """Refuse a plan whose content no longer matches its fingerprint (edited after it was made)."""
    actual = plan.compute_fingerprint()
    if actual != plan.fingerprint:
        raise ApprovalError(f"plan {plan.run_id} has changed since it was made: its fingerprint is "
                            f"{plan.fingerprint} but its data hashes to {actual}; reconcile again")


def check_decision(plan: Plan, decision: Decision) -> None:
    """Refuse a decision that is not about an action of exactly this plan."""
    if decision.plan_fingerprint != plan.fingerprint:
        raise ApprovalError(f"decision on action {decision.action_id} by {decision.by} was made on plan "
                            f"{decision.plan_fingerprint}, not on this plan ({plan.fingerprint})")
    if decision.action_id not in plan.by_id():
        raise ApprovalError(f"decision by {decision.by} names action {decision.action_id}, which is not in plan "
                            f"{plan.fingerprint}")
    if decision.verdict not in VERDICTS:
        raise ApprovalError(f"decision on action {decision.action_id}: verdict {decision.verdict!r} is not one of "
                            f"{', '.join(VERDICTS)}")


def latest(plan: Plan, decisions: Iterable[Decision]) -> dict[str, Decision]:
    """The decision in force per action (the last one made), after checking each belongs to ``plan``."""
    out: dict[str, Decision] = {}
    for d in decisions:
        check_decision(plan, d)
        out[d.action_id] = d
    return out


class ApprovalModel:
    """Decisions on one plan. Every decision goes to the log the moment it is made."""

    def __init__(self, plan: Plan, store: DecisionLog, user: str, clock: Callable[[], str], *,
                 plan_checked: bool = False) -> None:
        if not plan_checked:  # a caller holding a plan it checked since it was read (the web app) skips the rehash
            check_plan(plan)
        if not user:
            raise ApprovalError("a decision needs a user name (settings.user)")
        self.plan, self.store, self.user, self.clock = plan, store, user, clock
        self._actions = plan.by_id()
        self._verdicts = latest(plan, store.decisions(plan.fingerprint))

    # -- deciding ----------------------------------------------------------------------------------------
    def decide(self, action_id: str, verdict: str, comment: str = "", *, by: str | None = None,
               policy: str = "") -> Decision:
        """Approve or reject one action; recorded at once. Raises :class:`ApprovalError` when refused."""
        decision = Decision(self.plan.fingerprint, action_id, verdict, by or self.user, self.clock(), comment, policy)
        return self.record(decision)

    def decide_many(self, action_ids: Sequence[str], verdict: str, comment: str = "", *, by: str | None = None,
                    policy: str = "") -> list[Decision]:
        """The same verdict on several actions, all checked before any is recorded, and recorded together
        (one transaction) when the log can (``record_decisions``)."""
        at = self.clock()
        made = [Decision(self.plan.fingerprint, a, verdict, by or self.user, at, comment, policy) for a in action_ids]
        for decision in made:
            check_decision(self.plan, decision)
        many = getattr(self.store, "record_decisions", None)
        if many is None:
            for decision in made:
                self.store.record_decision(decision)
        else:
            many(made)
        for decision in made:
            self._verdicts[decision.action_id] = decision
        return made

    def record(self, decision: Decision) -> Decision:
        """Record a decision made elsewhere (e.g. read from ``approvals.jsonl``), checked like any other."""
        check_decision(self.plan, decision)
        self.store.record_decision(decision)
        self._verdicts[decision.action_id] = decision
        return decision

    # -- reading -----------------------------------------------------------------------------------------
    @property
    def actions(self) -> tuple[Action, ...]:
        return self.plan.actions

    def action(self, action_id: str) -> Action:
        try:
            return self._actions[action_id]
        except KeyError:
            raise ApprovalError(f"action {action_id} is not in plan {self.plan.fingerprint}") from None

    def decision(self, action_id: str) -> Decision | None:
        """The decision in force on an action, or ``None`` while it is pending."""
        return self._verdicts.get(action_id)

    def verdicts(self) -> dict[str, Decision]:
        return dict(self._verdicts)

    def pending(self) -> list[Action]:
        return [a for a in self.plan.actions if a.id not in self._verdicts]

    def approved(self) -> list[Action]:
        return [a for a in self.plan.actions if (d := self._verdicts.get(a.id)) and d.verdict == "approve"]

    def filter(self, kind: str | None = None, difference: str | None = None, direction: str | None = None,
               status: str | None = None) -> list[Action]:
        """Actions matching every given criterion (``status``: pending, approve or reject)."""
        def keep(a: Action) -> bool:
            d = self._verdicts.get(a.id)
            return ((kind is None or a.kind == kind) and (difference is None or a.difference == difference)
                    and (direction is None or direction_of(a) == direction)
                    and (status is None or (d.verdict if d else "pending") == status))
        return [a for a in self.plan.actions if keep(a)]

    def counts(self) -> dict[str, int]:
        """Actions per status: pending, approve, reject."""
        out = {"pending": 0, "approve": 0, "reject": 0}
        for a in self.plan.actions:
            d = self._verdicts.get(a.id)
            out[d.verdict if d else "pending"] += 1
        return out


# -- policies ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Policy:
    """An explicit rule for unattended approval. Build with :meth:`parse`; ``name`` is what was given."""

    name: str
    terms: tuple[tuple[str, str], ...]  # (direction or "*", kind or "*"), plus ("conflict", "*") for demo

    @classmethod
    def parse(cls, text: str) -> "Policy":
        """Read a policy such as ``xero_to_precoro_reference+to_xero:purchase_order``."""
        terms: list[tuple[str, str]] = []
        for part in (p.strip() for p in text.split("+")):
            if part == "none":
                continue
            if part == "demo":
                terms += [("*", "*"), ("conflict", "*")]
            elif part == "xero_to_precoro_reference":
                terms += [("to_precoro", k) for k in REFERENCE_KINDS]
            elif ":" in part and part.split(":", 1)[0] in ("to_xero", "to_precoro"):
                direction, kind = part.split(":", 1)
                if kind != "*" and kind not in KINDS:
                    raise ApprovalError(f"policy {text!r}: unknown kind {kind!r}; known: {', '.join(KINDS)}")
                terms.append((direction, kind))
            else:
                raise ApprovalError(f"unknown approval policy {part!r} in {text!r}; known: none, demo, "
                                    "xero_to_precoro_reference, to_xero:KIND, to_precoro:KIND")
        return cls(text.strip(), tuple(terms))

    def allows(self, action: Action) -> bool:
        if action.difference == "locked_period":  # Xero's lock date: the accountant chooses, never a policy
            return False
        if action.difference == "conflict" and ("conflict", "*") not in self.terms:
            return False
        return any(d in ("*", direction_of(action)) and k in ("*", action.kind)
                   for d, k in self.terms if d != "conflict")


def apply_policy(model: ApprovalModel, policy: Policy, comment: str = "") -> list[Decision]:
    """Approve every *pending* action the policy allows (a person's decision is never overridden).

    Each approval is recorded like any other decision, ``by="policy:<name>"``.
    """
    chosen = [a.id for a in model.pending() if policy.allows(a)]
    note = comment or f"approved by policy {policy.name}"
    return model.decide_many(chosen, "approve", note, by=f"policy:{policy.name}", policy=policy.name) if chosen else []
