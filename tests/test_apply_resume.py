"""Every write route, both systems: the reply lost after the write was committed, or the process killed there,
then a re-run finishes with exactly one record.

One table, :data:`ROUTES`: each row is a one-action plan on the demo data (every kind recon writes, create /
update / archive / link in Precoro, create / update / archive in Xero) and the HTTP call that carries it out.
For each route:

* **reference**: the plan applied without faults gives the emulators' state to reach;
* **reply lost**: the emulator commits the write and drops the connection before replying, on every attempt
  the connector makes (retries included), so the first run fails; faults off, a re-run must finish;
* **kill**: the applying process is SIGKILLed after the write committed and before its ``done`` journal row;
  a re-run must finish.

Both end in exactly the reference state (no duplicate, nothing lost) with the action ``done`` once in the
journal. A Xero link writes nothing in Xero (recon's store keeps it), so it has no route here.
"""

from __future__ import annotations

import dataclasses
import os
import signal
from dataclasses import dataclass
from typing import Any, Callable

import httpx
import pytest

from recon.apply import apply_plan
from recon.approve import ApprovalModel, Policy, apply_policy
from recon.connectors import mapping
from recon.connectors.pacing import RetryPolicy, reset_pacers
from recon.reconcile.model import Action, Plan
from recon.sandbox import demo
from recon.store import Store
from test_apply_kit import emulator_state, sandbox_connectors, sandbox_settings, start_sandbox
from test_apply_roundtrip import no_duplicates, reconciled

pytestmark = pytest.mark.reliability  # counted in docs/approve-apply.md, section Reliability

CLOCK = lambda: "2026-11-23T10:00:00Z"  # noqa: E731
ATTEMPTS = 2  # the connectors' attempts per call in these tests: a lost reply is lost on every one of them


def guid(n: int) -> str:
    return f"5e5e0000-0000-4000-8000-{n:012d}"


@dataclass(frozen=True)
class Route:
    """One write route: how to build its action from the demo data, and the call that carries it out."""

    name: str
    build: Callable[["Demo"], Action]
    method: str
    path: str  # a regular expression on the request path
    #: for creates: (emulator collection, field, value) that must occur exactly once afterwards
    once: tuple[str, str, str] | None = None


class Demo:
    """The demo data as the connectors read it, and the demo plan's own actions (computed once)."""

    def __init__(self, sb: Any, folder: Any) -> None:
        sb.reset("demo")
        self.settings = sandbox_settings(sb, folder)
        with Store(self.settings.state_path) as store:
            store.seed(links=demo.links(), baselines=demo.baseline())
            self.plan = reconciled(self.settings, store, "routes").plan
        with sandbox_connectors(self.settings) as (xero, precoro):
            self.records = {(system, kind): {r["id"]: r for r in _all(conn, system, kind)}
                            for system, conn in (("xero", xero), ("precoro", precoro))
                            for kind in (("supplier", "item", "tax_rate", "account", "tracking_option",
                                          "purchase_order", "bill", "payment") if system == "precoro"
                                         else ("supplier", "purchase_order", "bill"))}

    def planned(self, kind: str, target: str, op: str, label: str) -> Action:
        return next(a for a in self.plan.actions if (a.kind, a.target, a.op, a.label) == (kind, target, op, label))

    def record(self, system: str, kind: str, record_id: str) -> dict[str, str]:
        return self.records[(system, kind)][record_id]

    def change(self, system: str, kind: str, record_id: str, op: str, **new: str) -> Action:
        """An update/archive/link of an existing record; ``old`` is what it holds now."""
        rec = self.record(system, kind, record_id)
        keys = {f"{system}_id": record_id}
        if system == "precoro" and rec.get("xero_id") and op != "link":
            keys["xero_id"] = rec["xero_id"]
        if op == "link":
            keys["xero_id"] = new.pop("xero_id")
        return Action(kind, system, op, keys, new, {f: rec[f] for f in new}, f"{op} for the resume test",
                      "mismatch", rec.get("name") or rec.get("number") or record_id)


def _all(conn: Any, system: str, kind: str) -> list[dict[str, str]]:
    return [mapping.canonical_strings(mapping.to_canonical(system, kind, r), kind)
            for page in conn.fetch_kind(kind) for r in page.records]


def _create(kind: str, target: str, keys: dict[str, str], values: dict[str, Any], label: str) -> Callable[[Demo], Action]:
    return lambda d: Action(kind, target, "create", keys, values, {}, "create for the resume test", "only_in_xero", label)


BILL_LINES = [{"line_no": "1", "item_code": "", "description": "Resume test service", "quantity": "2.00",
               "unit_amount": "125.5000", "account_code": "429", "tax_type": "INPUT2"}]

ROUTES: list[Route] = [
    # ---- Precoro: create, update, archive, link of each kind; documents are only linked; payments
    Route("precoro supplier create", _create("supplier", "precoro", {"xero_id": guid(1)}, {
        "xero_id": guid(1), "name": "Resume Test Supplies Ltd", "email": "ap@resume.example", "currency": "NZD"},
        "Resume Test Supplies Ltd"), "POST", r"^/suppliers$", ("suppliers", "name", "Resume Test Supplies Ltd")),
    Route("precoro supplier update", lambda d: d.change("precoro", "supplier", "102", "update", phone="+64 3 555 0199"),
          "PUT", r"^/suppliers/\d+$"),
    Route("precoro supplier archive", lambda d: d.change("precoro", "supplier", "101", "archive", active="false"),
          "PUT", r"^/suppliers/\d+$"),
    Route("precoro supplier link", lambda d: d.planned("supplier", "precoro", "link", "Harbour Coffee Roasters"),
          "PATCH", r"^/suppliers/\d+$"),
    Route("precoro item create", _create("item", "precoro", {"xero_id": guid(2)}, {
        "xero_id": guid(2), "code": "RESUME-1", "name": "Resume widget", "purchase_price": "5.2500",
        "account_code": "300"}, "Resume widget"), "POST", r"^/items$", ("items", "sku", "RESUME-1")),
    Route("precoro item update", lambda d: d.change("precoro", "item", "2001", "update", purchase_price="199.0000"),
          "PUT", r"^/items/\d+$"),
    Route("precoro item archive", lambda d: d.change("precoro", "item", "2002", "archive", active="false"),
          "PUT", r"^/items/\d+$"),
    Route("precoro item link", lambda d: d.change("precoro", "item", "2003", "link", xero_id=guid(3)),
          "PATCH", r"^/items/\d+$"),
    Route("precoro tax_rate create", _create("tax_rate", "precoro", {"xero_id": "RESUME9"}, {
        "xero_id": "RESUME9", "tax_type": "RESUME9", "name": "Resume tax 9%", "rate": "9"}, "Resume tax 9%"),
          "POST", r"^/taxes$", ("taxes", "name", "Resume tax 9%")),
    Route("precoro tax_rate update", lambda d: d.change("precoro", "tax_rate", "302", "update",
                                                        name="15% GST on Income (renamed)"), "PUT", r"^/taxes/\d+$"),
    Route("precoro tax_rate archive", lambda d: d.change("precoro", "tax_rate", "302", "archive", active="false"),
          "PUT", r"^/taxes/\d+$"),
    Route("precoro tax_rate link", lambda d: d.change("precoro", "tax_rate", "302", "link", xero_id="RESUMETT"),
          "PATCH", r"^/taxes/\d+$"),
    Route("precoro account create", _create("account", "precoro", {"xero_id": guid(4)}, {
        "xero_id": guid(4), "code": "499", "name": "Resume expenses"}, "499"),
          "POST", r"^/itemcustomfields/\d+/options$", ("itemcustomfields.options", "code", "499")),
    Route("precoro account update", lambda d: d.change("precoro", "account", "1002", "update",
                                                       name="Business Savings (renamed)"),
          "PUT", r"^/itemcustomfields/\d+/options/\d+$"),
    Route("precoro account archive", lambda d: d.change("precoro", "account", "1002", "archive", active="false"),
          "PUT", r"^/itemcustomfields/\d+/options/\d+$"),
    Route("precoro account link", lambda d: d.change("precoro", "account", "1002", "link", xero_id=guid(5)),
          "PATCH", r"^/itemcustomfields/\d+/options/\d+$"),
    Route("precoro tracking_option create", _create("tracking_option", "precoro", {"xero_id": guid(6)}, {
        "xero_id": guid(6), "category": "Region", "name": "Nelson"}, "Nelson"),
          "POST", r"^/itemcustomfields/\d+/options$", ("itemcustomfields.options", "name", "Nelson")),
    Route("precoro tracking_option update", lambda d: d.change("precoro", "tracking_option", "3002", "update",
                                                               name="Wellington CBD"),
          "PUT", r"^/itemcustomfields/\d+/options/\d+$"),
    Route("precoro tracking_option archive", lambda d: d.change("precoro", "tracking_option", "3002", "archive",
                                                                active="false"),
          "PUT", r"^/itemcustomfields/\d+/options/\d+$"),
    Route("precoro tracking_option link", lambda d: d.change("precoro", "tracking_option", "3002", "link",
                                                             xero_id=guid(7)),
          "PATCH", r"^/itemcustomfields/\d+/options/\d+$"),
    Route("precoro purchase_order link", lambda d: d.change("precoro", "purchase_order", "8", "link", xero_id=guid(8)),
          "PATCH", r"^/purchaseorders/\d+$"),
    Route("precoro bill link", lambda d: d.change("precoro", "bill", "11", "link", xero_id=guid(9)),
          "PATCH", r"^/invoices/\d+$"),
    Route("precoro payment create", lambda d: d.planned("payment", "precoro", "create", "Ruapehu 88123 part 2"),
          "POST", r"^/payments$", ("payments", "externalId", "da20c2f4-1491-56c2-b5fd-fd8b7b2b6e09")),
    Route("precoro payment archive (cancel)", lambda d: d.change("precoro", "payment", "7002", "archive",
                                                                 active="false"), "PATCH", r"^/payments/\d+$"),
    Route("precoro payment link", lambda d: d.change("precoro", "payment", "7002", "link", xero_id=guid(10)),
          "PATCH", r"^/payments/\d+$"),
    # ---- Xero: suppliers, purchase orders and bills are created, updated and archived there
    Route("xero supplier create", lambda d: d.planned("supplier", "xero", "create", "Tui Electrical Contractors"),
          "PUT", r"/Contacts$", ("Contacts", "Name", "Tui Electrical Contractors")),
    Route("xero supplier update", lambda d: d.planned("supplier", "xero", "update", "Coastal Packaging Ltd"),
          "POST", r"/Contacts$"),
    Route("xero supplier archive", lambda d: d.change("xero", "supplier", "cf5d01d1-416e-58dd-86f0-d7cddb015f37",
                                                      "archive", active="false"), "POST", r"/Contacts$"),
    Route("xero purchase_order create", lambda d: d.planned("purchase_order", "xero", "create", "PO-00008"),
          "PUT", r"/PurchaseOrders$", ("PurchaseOrders", "PurchaseOrderNumber", "PO-00008")),
    Route("xero purchase_order update", lambda d: d.change("xero", "purchase_order",
                                                           "dc0a5f73-289f-5161-9d95-62cd88ce7282", "update",
                                                           delivery_date="2026-09-30"), "POST", r"/PurchaseOrders$"),
    Route("xero purchase_order archive", lambda d: d.planned("purchase_order", "xero", "archive", "PO-00007"),
          "POST", r"/PurchaseOrders$"),
    Route("xero bill create", _create("bill", "xero", {"precoro_id": "99"}, {
        "number": "RESUME-BILL-1", "supplier_xero_id": "cf5d01d1-416e-58dd-86f0-d7cddb015f37", "date": "2026-11-20",
        "due_date": "2026-12-20", "currency": "NZD", "status": "approved", "line_amount_types": "Exclusive",
        "lines": BILL_LINES}, "RESUME-BILL-1"), "PUT", r"/Invoices$", ("Invoices", "InvoiceNumber", "RESUME-BILL-1")),
    Route("xero bill update", lambda d: d.planned("bill", "xero", "update", "TH-10077"), "POST", r"/Invoices$"),
    Route("xero bill archive", lambda d: d.change("xero", "bill", "96ff0b2b-9358-5b71-8098-cac087311cdc", "archive",
                                                  status="voided"), "POST", r"/Invoices$"),
]


def test_the_table_covers_every_write_route():
    from recon.rules import RULES
    covered = {tuple(r.name.split(" (")[0].split(" ")) for r in ROUTES}
    wanted = {(system, kind, op) for kind, rule in RULES.items()
              for op, systems in (("create", rule.create_on), ("update", rule.update_on), ("archive", rule.archive_on))
              for system in systems}
    wanted |= {("precoro", kind, "link") for kind in RULES}  # a Precoro record takes its Xero id
    wanted -= {("precoro", "payment", "update")}  # a payment is never edited: it is cancelled and made anew
    wanted |= {("precoro", "payment", "archive")}  # the cancel recon sends for a payment gone from Xero
    assert wanted <= covered, sorted(wanted - covered)


# ---- running one route ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox() as sb:
        yield sb


@pytest.fixture(scope="module")
def demo_data(sandbox, tmp_path_factory):
    return Demo(sandbox, tmp_path_factory.mktemp("demo"))


def _fresh(sb: Any, folder: Any, action: Action) -> tuple[Plan, Any]:
    sb.reset("demo")
    settings = sandbox_settings(sb, folder)
    plan = Plan(f"resume-{action.kind}-{action.op}", (action.kind,), (action,))
    with Store(settings.state_path) as store:
        store.seed(links=demo.links(), baselines=demo.baseline())
        apply_policy(ApprovalModel(plan, store, "ana", CLOCK), Policy.parse("demo"))
    return plan, settings


def _connectors(settings: Any) -> Any:
    pair = sandbox_connectors(settings)
    for conn in pair:
        conn.pacer.policy = RetryPolicy(attempts=ATTEMPTS, base=0.01, cap=0.02)
    return pair


def _apply(plan: Plan, settings: Any, run_id: str, on_journal: Any = None):
    with Store(settings.state_path) as store, _connectors(settings) as conns:
        return apply_plan(plan, store, conns, clock=CLOCK, progress=False, run_id=run_id, on_journal=on_journal)


def _done_once(settings: Any, plan: Plan) -> bool:
    with Store(settings.state_path) as store:
        rows = store.journal_rows(plan.fingerprint)
    return rows.query("phase == 'done'")["action_id"].tolist() == [plan.actions[0].id]


def _faults(sb: Any, system: str, body: dict[str, Any]) -> None:
    url = sb.xero_url if system == "xero" else sb.precoro_url
    httpx.post(f"{url}/_sandbox/faults", json=body).raise_for_status()


def _injected(sb: Any, system: str) -> int:
    url = sb.xero_url if system == "xero" else sb.precoro_url
    return httpx.get(f"{url}/_sandbox/faults").json()["injected"]


def _count(sb: Any, system: str, once: tuple[str, str, str]) -> int:
    collection, field, value = once
    dump = (sb.xero if system == "xero" else sb.precoro).dump()
    if collection == "itemcustomfields.options":
        records = [o for cf in dump["itemcustomfields"] for o in cf["options"]]
    else:
        records = dump[collection]
    return sum(1 for r in records if str(r.get(field)) == value)


_REFERENCE: dict[str, str] = {}


def _reference(sb: Any, folder: Any, route: Route, action: Action) -> str:
    if route.name not in _REFERENCE:
        plan, settings = _fresh(sb, folder, action)
        outcome = _apply(plan, settings, "reference")
        assert outcome.counts()["applied"] == 1, [(r.status, r.message) for r in outcome.results]
        _REFERENCE[route.name] = emulator_state(sb)
    return _REFERENCE[route.name]


def _finished_once(sb: Any, settings: Any, plan: Plan, route: Route, expected: str) -> None:
    again = _apply(plan, settings, "re-run")
    [result] = again.results
    assert result.status == "applied", result.message
    assert emulator_state(sb) == expected  # exactly the uninterrupted run's records: none twice, none lost
    assert _done_once(settings, plan)
    no_duplicates(sb)
    if route.once:
        assert _count(sb, plan.actions[0].target, route.once) == 1


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_reply_lost_after_commit_then_a_rerun_finishes_with_one_record(sandbox, demo_data, tmp_path, route):
    action = route.build(demo_data)
    expected = _reference(sandbox, tmp_path / "reference", route, action)
    plan, settings = _fresh(sandbox, tmp_path, action)
    reset_pacers()
    _faults(sandbox, action.target, {"rate_drop_after": 1.0, "max_faults": ATTEMPTS, "methods": [route.method],
                                     "path_regex": route.path})
    try:
        [first] = _apply(plan, settings, "first").results
        injected = _injected(sandbox, action.target)
    finally:
        _faults(sandbox, action.target, {"rate_drop_after": 0, "max_faults": None, "methods": [], "path_regex": ""})
    assert injected >= 1
    assert first.status == "failed" and "did not finish" in first.message and "connection lost" in first.message, \
        first.message
    _finished_once(sandbox, settings, plan, route, expected)


def _killed_after_the_write(plan: Plan, settings: Any) -> int:
    """Apply in a forked process that SIGKILLs itself after the write committed, before its ``done`` row."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            def hook(n: int, when: str) -> None:
                if (n, when) == (2, "before"):  # journal write 1 is "started", 2 is "done"
                    os.kill(os.getpid(), signal.SIGKILL)
            _apply(plan, settings, "killed", on_journal=hook)
            code = 0
        finally:
            os._exit(code)
    return os.waitpid(pid, 0)[1]


@pytest.mark.parametrize("route", [pytest.param(r, id=r.name) for r in ROUTES])
def test_killed_after_commit_then_a_rerun_finishes_with_one_record(sandbox, demo_data, tmp_path, route):
    action = route.build(demo_data)
    expected = _reference(sandbox, tmp_path / "reference", route, action)
    plan, settings = _fresh(sandbox, tmp_path, action)
    status = _killed_after_the_write(plan, settings)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    with Store(settings.state_path) as store:
        assert store.journal_state(plan.fingerprint)[action.id].phase == "started"
    _finished_once(sandbox, settings, plan, route, expected)


def test_a_payment_whose_reply_was_lost_is_found_by_its_xero_id_and_never_patched(sandbox, demo_data, tmp_path):
    """The case of the issue: the link call used the payment's id where Precoro wants the idn. A payment
    carries its Xero id from its create, so the re-run adopts it without any PATCH."""
    route = next(r for r in ROUTES if r.name == "precoro payment create")
    action = route.build(demo_data)
    plan, settings = _fresh(sandbox, tmp_path, dataclasses.replace(action))
    _faults(sandbox, "precoro", {"rate_drop_after": 1.0, "max_faults": 1, "methods": ["POST"], "path_regex": r"^/payments$"})
    try:
        assert _apply(plan, settings, "first").results[0].status == "failed"
    finally:
        _faults(sandbox, "precoro", {"rate_drop_after": 0, "max_faults": None, "methods": [], "path_regex": ""})
    [result] = _apply(plan, settings, "re-run").results
    assert result.status == "applied" and "found existing payment" in result.message
    routes = httpx.get(f"{sandbox.precoro_url}/_sandbox/stats").json()["by_route"]
    assert routes.get("PATCH /payments/{id}", 0) == 0 and routes["POST /payments"] == 1
    assert _count(sandbox, "precoro", route.once) == 1
