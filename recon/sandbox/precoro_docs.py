"""Precoro documents in the emulator: purchase orders, invoices, their lines and maths, and payments.

Documents are read-only through the API but for ``PATCH externalId`` and payments; they arrive through
``/_sandbox/load`` (or a seed) in the detail shape ``GET /{kind}/{idn}`` returns. Loading recomputes every line
and total with :func:`recon.money.precoro_line` under the document's ``precisionData`` (the company's when
absent) and refuses a document whose stated amounts disagree, naming the document and the field, so what is
served is always consistent. References (supplier, product, tax, ICF options) are refreshed from the live
records when rendered, so a ``PATCH`` of a supplier's ``externalId`` shows in its documents.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from recon.money import Precision, PrecoroLine, fmt, precoro_line, precoro_totals, quantize
from recon.sandbox import precoro_forms as f
from recon.sandbox.precoro_forms import Invalid
from recon.sandbox.precoro_store import State, once, passthrough, shared, shared_table

STATUS = {0: "Draft", 1: "Pending", 2: "Approved", 3: "Denied", 4: "Partly Paid", 5: "Paid",
          6: "Awaiting Confirmation", 7: "In Revision", 8: "Canceled", 9: "Pending Receipt",
          10: "Approval Review", 11: "Closed"}
PAYABLE = (2, 4, 5)
FULLY_PAID = "The Invoice is already fully paid."
DETAIL_ONLY = ("precisionData", "note", "exchangeRate", "items", "payments")
BASE_ID = {"purchaseorders": 5001, "invoices": 6001}
HEADER_TIMES = ("createDate", "updateDate", "approvalDate", "requiredDate")
_LINE_KEYS = ("id", "position", "name", "sku", "description", "quantity", "price", "netSum", "taxSum", "sum",
              "tax", "product", "itemCustomFields")


def _ref(field: str, value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("id") is None:
        raise Invalid({field: "This value should be an object with an id."})
    return {**passthrough(value), "id": f.integer(f"{field}.id", value["id"])}


def _same(field: str, given: Any, computed: Decimal) -> None:
    """A stated amount must equal the recomputed one (numerically: ``10.0`` equals ``10.00``)."""
    if given is None:
        return
    value = f.number(field, given)
    if value != computed:
        raise Invalid({field: f"is {value}, but the document maths give {computed}."})


def normalise_line(data: Any, precision: Precision, state: State, where: str, position: int,
                   maths: list[PrecoroLine] | None = None,
                   tables: tuple[Any, ...] = (None, None, None)) -> dict[str, Any]:
    """One loaded line, recomputed under ``precision`` (its maths also appended to ``maths`` when given).

    ``tables`` (from :func:`line_tables`, during a load) share the references built for the same input objects.
    """
    if not isinstance(data, dict):
        raise Invalid({where: "A line should be an object."})
    taxes, products, icf_lists = tables
    tax, percent = once(taxes, data.get("tax"), lambda: _tax(where, data.get("tax")))
    line = _line_maths(where, data, percent, precision)
    if maths is not None:
        maths.append(line)
    ident = data.get("id")
    if ident is not None:
        ident = ident if type(ident) is int and -10**12 < ident < 10**12 else f.integer(f"{where}.id", ident)
    else:
        ident = state.next_id("lines", 9001)
    state.seen("lines", ident)
    icfs = data.get("itemCustomFields") or []
    if not isinstance(icfs, list):
        raise Invalid({f"{where}.itemCustomFields": "This value should be a list."})
    at = data.get("position", position)
    record = {
        "id": ident,
        "position": at if type(at) is int and -10**12 < at < 10**12 else f.integer(f"{where}.position", at),
        "name": _text(where, "name", data.get("name"), 2000),
        "sku": _text(where, "sku", data.get("sku"), 255),
        "description": _text(where, "description", data.get("description"), 2000),
        "quantity": line.quantity, "price": line.price, "netSum": line.net, "taxSum": line.tax, "sum": line.gross,
        "tax": tax,
        "product": once(products, data.get("product"), lambda: _ref(f"{where}.product", data.get("product"))),
        # a loaded line is never changed in place (only rendered), so lines of one load may share these
        "itemCustomFields": once(icf_lists, icfs, lambda: [passthrough(x) for x in icfs]),
    }
    if len(data) > len(_LINE_KEYS) or not _LINE_KEY_SET.issuperset(data):
        record.update({k: passthrough(v) for k, v in data.items() if k not in _LINE_KEY_SET})
    return record


_LINE_KEY_SET = frozenset(_LINE_KEYS)


def line_tables() -> tuple[Any, ...]:
    """The tables :func:`normalise_line` shares a load's line references through."""
    return shared_table("line.tax"), shared_table("line.product"), shared_table("line.icfs")


def _text(where: str, name: str, value: Any, max_len: int) -> Any:
    if type(value) is str and len(value) <= max_len and "\x00" not in value:
        return value  # what f.text returns for it (blank text included), without the checks' calls
    return f.text(f"{where}.{name}" if where else name, value, max_len=max_len)


def _tax(where: str, value: Any) -> tuple[dict[str, Any] | None, Decimal | None]:
    tax = _ref(f"{where}.tax", value)
    percent = f.number(f"{where}.tax.percent", tax.get("percent")) if tax else None
    if tax is not None:
        tax["percent"] = percent if percent is not None else Decimal("0")
    return tax, percent


#: (stated numbers, tax percent, precision) -> the line they make, for lines that passed the checks: a bulk load
#: repeats a few thousand distinct lines. Zero keys also by text (-0.0 == 0.0, but it renders otherwise).
_MATHS: dict[tuple[Any, ...], PrecoroLine] = {}


def _line_maths(where: str, data: dict[str, Any], percent: Decimal | None, precision: Precision) -> PrecoroLine:
    q, p, n, t, g = (data.get("quantity"), data.get("price"), data.get("netSum"), data.get("taxSum"),
                     data.get("sum"))
    try:
        key: tuple[Any, ...] | None = (q, type(q), p, type(p), n, type(n), t, type(t), g, type(g), percent,
                                       precision.price, precision.quantity, precision.total)
        if q == 0 or p == 0 or n == 0 or t == 0 or g == 0 or percent == 0:
            key = (*key, str(q), str(p), str(n), str(t), str(g), str(percent))  # type: ignore[misc]
        hit = _MATHS.get(key)
    except (TypeError, ArithmeticError):  # unhashable, or a signalling NaN: checked (and refused) below
        key, hit = None, None
    if hit is not None:
        return hit
    quantity = f.number(f"{where}.quantity", data.get("quantity"), required=True)
    price = f.number(f"{where}.price", data.get("price"), required=True)
    try:
        line = precoro_line(quantity, price, percent, precision)
    except ArithmeticError:  # decimal.InvalidOperation: more digits than a Decimal context holds
        raise Invalid({f"{where}.price": "price × quantity is too large."}) from None
    for name, computed in (("quantity", line.quantity), ("price", line.price), ("netSum", line.net),
                           ("taxSum", line.tax), ("sum", line.gross)):
        _same(f"{where}.{name}", data.get(name), computed)
    if key is not None and len(_MATHS) < 1 << 16:
        _MATHS[key] = line
    return line


class LineMemo:
    """What one load (of one precision) made of each group of a line's input values, by their identity.

    A line's record is made of three groups, each checked and converted on its own: its texts and product
    (``name``, ``sku``, ``description``, ``product``), its maths (the five amounts with the ``tax``, under the
    precision) and its ``itemCustomFields``. A generated payload shares these objects between the lines that
    have them equal, so a line whose three groups are objects already met in lines that loaded gives the same
    record but for its ``id`` and ``position``: it is assembled from what they made, with no check that could
    fail. Identity, not equality, is the key (``1`` and ``1.0``, or ``0.0`` and ``-0.0``, never meet), and the
    input objects are kept alive with their entry, so an id is never reused while the load runs. Lines of parsed
    JSON share nothing: once :data:`_MEMO_TRIAL` lines were made with under one hit for four of them, the memo
    closes and the load goes on without it.
    """

    __slots__ = ("texts", "maths", "hits", "made", "open")

    def __init__(self) -> None:
        #: id(description) -> (name, sku, description, product) given, then the four made of them
        self.texts: dict[int, tuple[Any, ...]] = {}
        #: id(sum) -> (quantity, price, netSum, taxSum, sum, tax) given, then the line maths, its sum and tax
        self.maths: dict[int, tuple[Any, ...]] = {}
        self.hits = 0
        self.made = 0
        self.open = True


_MEMO_TRIAL = 8192
_ID_RANGE = 10**12


def _line_memo(precision: Precision) -> LineMemo | None:
    """The load's :class:`LineMemo` for ``precision`` (None outside a load)."""
    table = shared_table("line.records")
    if table is None:
        return None
    key = (precision.price, precision.quantity, precision.total)
    memo = table.get(key)  # type: ignore[call-overload]
    if memo is None:
        memo = table[key] = LineMemo()  # type: ignore[index]
    return memo  # type: ignore[no-any-return]


def _remembered_lines(raw_lines: list[Any], precision: Precision, state: State, maths: list[PrecoroLine],
                      tables: tuple[Any, ...], memo: LineMemo) -> list[dict[str, Any]]:
    """:func:`normalise_line` of each line; a line made of groups of objects met before assembled from them."""
    lines = []
    texts_of, maths_of, icfs_of = memo.texts, memo.maths, tables[2]
    for i, x in enumerate(raw_lines):
        eligible = False
        if type(x) is dict and x.keys() == _LINE_KEY_SET:
            ident, at, icfs = x["id"], x["position"], x["itemCustomFields"]
            if (type(ident) is int and -_ID_RANGE < ident < _ID_RANGE and type(at) is int
                    and -_ID_RANGE < at < _ID_RANGE and type(icfs) is list):
                eligible = True
                # each group is found by the id of one of its objects (a tuple of ids hashes badly), then the
                # others are checked to be the very objects of the entry
                description, gross_in = x["description"], x["sum"]
                t = texts_of.get(id(description))
                m = maths_of.get(id(gross_in))
                c = icfs_of.get(id(icfs))
                if (t is not None and m is not None and c is not None and t[0] is x["name"] and t[1] is x["sku"]
                        and t[3] is x["product"] and m[0] is x["quantity"] and m[1] is x["price"]
                        and m[2] is x["netSum"] and m[3] is x["taxSum"] and m[5] is x["tax"]):
                    memo.hits += 1
                    state.seen("lines", ident)
                    line = m[6]
                    maths.append(line)
                    lines.append({"id": ident, "position": at, "name": t[4], "sku": t[5], "description": t[6],
                                  "quantity": line.quantity, "price": line.price, "netSum": line.net,
                                  "taxSum": line.tax, "sum": m[7], "tax": m[8], "product": t[7],
                                  "itemCustomFields": c[1]})
                    continue
        record = normalise_line(x, precision, state, f"items[{i}]", i + 1, maths, tables)
        lines.append(record)
        if eligible and memo.open:
            memo.made += 1
            if memo.made >= _MEMO_TRIAL and memo.hits * 4 < memo.made:
                memo.open = False  # the lines share too little for the memo to pay
            # the entry holds its input objects, so the id it is filed under stays theirs while the load runs
            texts_of[id(x["description"])] = (x["name"], x["sku"], x["description"], x["product"], record["name"],
                                              record["sku"], record["description"], record["product"])
            maths_of[id(x["sum"])] = (x["quantity"], x["price"], x["netSum"], x["taxSum"], x["sum"], x["tax"],
                                      maths[-1], record["sum"], record["tax"])
    return lines


def normalise_document(kind: str, data: Any, state: State) -> dict[str, Any]:
    """A loaded purchase order or invoice (detail shape) with its maths recomputed and checked."""
    if not isinstance(data, dict):
        raise Invalid({"record": "This value should be an object."})
    precision = Precision.from_json(data.get("precisionData") or state.company.get("precisionData"))
    raw_lines = (data.get("items") or {}).get("data", []) if isinstance(data.get("items"), dict) else data.get("items") or []
    if not isinstance(raw_lines, list):
        raise Invalid({"items": "This value should be a list of lines."})
    maths: list[PrecoroLine] = []
    tables = line_tables()
    memo = _line_memo(precision)
    if memo is None or not memo.open:
        lines = [normalise_line(x, precision, state, f"items[{i}]", i + 1, maths, tables)
                 for i, x in enumerate(raw_lines)]
    else:
        lines = _remembered_lines(raw_lines, precision, state, maths, tables, memo)
    totals = precoro_totals(maths, precision)
    _same("netSum", data.get("netSum"), totals.subtotal)
    _same("sum", data.get("sum"), totals.total)
    ident = f.integer("id", data["id"]) if data.get("id") is not None else state.next_id(kind, BASE_ID[kind])
    state.seen(kind, ident)
    idn = f.integer("idn", data["idn"]) if data.get("idn") is not None else state.next_id(f"{kind}.idn", 1)
    state.seen(f"{kind}.idn", idn)
    status = f.integer("status", data.get("status", 2))
    record: dict[str, Any] = {
        "id": ident, "idn": idn, "customName": _text("", "customName", data.get("customName"), 255),
        "status": status,
        "statusString": _text("", "statusString", data.get("statusString"), 255) or STATUS.get(status),
    }
    for key in HEADER_TIMES:
        record[key] = f.timestamp(key, data.get(key))
    record.update({"currency": f.currency("currency", data.get("currency") or state.company.get("currency")),
                   "sum": totals.total, "netSum": totals.subtotal,
                   # never changed in place (rendered with the live supplier's fields), so documents may share it
                   "supplier": shared("doc.supplier", data.get("supplier"),
                                      lambda: _ref("supplier", data.get("supplier"))),
                   "externalId": _text("", "externalId", data.get("externalId"), 255),
                   "xeroId": _text("", "xeroId", data.get("xeroId"), 255)})
    if kind == "invoices":
        record.update({"invoiceNumber": _text("", "invoiceNumber", data.get("invoiceNumber"), 255),
                       "issueDate": f.timestamp("issueDate", data.get("issueDate")),
                       "sumPaid": f.number("sumPaid", data.get("sumPaid")) or Decimal("0"),
                       "logicType": f.integer("logicType", data.get("logicType", 0)),
                       "purchaseOrder": passthrough(data.get("purchaseOrder") or [])})
    record.update({"precisionData": precision.to_json(), "note": _text("", "note", data.get("note"), 2000),
                   "exchangeRate": passthrough(data.get("exchangeRate") or {"rate": Decimal("1.0")}),
                   "items": {"data": lines}})
    known = set(record) | {"payments"}
    record.update({k: passthrough(v) for k, v in data.items() if k not in known and not k.startswith("_")})
    return record


def normalise_payment(data: Any, state: State, invoice: dict[str, Any] | None) -> dict[str, Any]:
    """A loaded payment; ``invoice`` is the enclosing invoice when it came inside an invoice's detail."""
    if not isinstance(data, dict):
        raise Invalid({"record": "This value should be an object."})
    if invoice is None:
        link = data.get("invoice")
        if not isinstance(link, dict) or link.get("id") is None:
            raise Invalid({"invoice": "A payment needs its invoice (invoice.id)."})
        invoice = state.tables["invoices"].get(f.integer("invoice.id", link["id"]))
        if invoice is None:
            raise Invalid({"invoice": f"Invoice {link['id']} does not exist."})
    status = data.get("status", "paid")
    if status not in ("paid", "canceled"):
        raise Invalid({"status": "The status should be paid or canceled."})
    ident = f.integer("id", data["id"]) if data.get("id") is not None else state.next_id("payments", 7001)
    state.seen("payments", ident)
    idn = f.integer("idn", data["idn"]) if data.get("idn") is not None else state.next_id("payments.idn", 1)
    state.seen("payments.idn", idn)
    record = {"id": ident, "idn": idn, "sumPaid": f.number("sumPaid", data.get("sumPaid"), required=True),
              "payDate": f.timestamp("payDate", data.get("payDate")), "status": status,
              "externalId": _text("", "externalId", data.get("externalId"), 255),
              "currency": f.currency("currency", data.get("currency") or invoice["currency"]),
              "updateDate": f.timestamp("updateDate", data.get("updateDate")), "_invoice": invoice["id"]}
    record.update({k: passthrough(v) for k, v in data.items() if k not in record and k != "invoice"})
    return record


def link_payment(state: State, payment: dict[str, Any], previous: dict[str, Any] | None) -> None:
    """Keep ``payments.by_invoice`` (invoice id → payment ids, as tuples so a staged load shares nothing
    mutable with the state it came from) in step with a stored payment."""
    index = state.tables["payments.by_invoice"]
    if previous is not None and previous["_invoice"] != payment["_invoice"]:
        index[previous["_invoice"]] = tuple(i for i in index.get(previous["_invoice"], ()) if i != payment["id"])
    ids = index.get(payment["_invoice"], ())
    if payment["id"] not in ids:
        index[payment["_invoice"]] = tuple(sorted((*ids, payment["id"])))


def payments_of(state: State, invoice_id: int) -> list[dict[str, Any]]:
    """The invoice's payments (paid and cancelled), by id."""
    table = state.tables["payments"]
    return [table[i] for i in state.tables["payments.by_invoice"].get(invoice_id, ())]


def paid_sum(state: State, invoice_id: int) -> Decimal:
    return sum((p["sumPaid"] for p in payments_of(state, invoice_id) if p["status"] == "paid"), Decimal("0"))


def check_paid(invoice: dict[str, Any], paid: Decimal) -> None:
    """A loaded invoice's ``sumPaid`` must be what its payments add up to."""
    if paid != invoice["sumPaid"]:
        raise Invalid({"sumPaid": f"is {invoice['sumPaid']}, but its paid payments add up to {paid}."})


def recompute_paid(state: State, invoice: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The invoice after a payment was added or cancelled: ``sumPaid`` and status 2/4/5."""
    paid = paid_sum(state, invoice["id"])
    status = invoice["status"]
    if paid <= 0:
        status = 2 if status in (4, 5) else status
    elif paid >= invoice["sum"]:
        status = 5
    else:
        status = 4
    changed = {"sumPaid": paid, "status": status, "updateDate": now}
    if status != invoice["status"]:
        changed["statusString"] = STATUS[status]
    return {**invoice, **changed}


def new_payment(state: State, body: dict[str, Any], now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """``POST /payments``: the payment and its invoice after it, validated (not stored)."""
    if "invoice" not in body:
        raise Invalid({"invoice": "This value should not be blank."})
    invoice_id = f.ref_id("invoice", body["invoice"])
    invoice = state.tables["invoices"].get(invoice_id)
    if invoice is None:
        raise Invalid({"invoice": f"Invoice {invoice_id} does not exist."})
    if str(body.get("logicType", "0")) not in ("0", ""):
        raise Invalid({"logicType": "Only payments (logicType 0) can be created."})
    precision = Precision.from_json(invoice["precisionData"])
    amount = f.number("sumPaid", body.get("sumPaid"), required=True)
    pay_date = f.timestamp("payDate", body.get("payDate")) or now
    if invoice["status"] not in PAYABLE:
        raise Invalid({"invoice": "Payments can only be added to approved invoices."})
    due = invoice["sum"] - paid_sum(state, invoice_id)
    if due <= 0:
        raise Invalid({"sumPaid": FULLY_PAID})
    assert amount is not None
    amount = quantize(amount, precision.total)
    if amount <= 0 or amount > due:
        raise Invalid({"sumPaid": f"The amount must be greater than 0 and not exceed {fmt(due, precision.total)}"})
    payment = {"id": state.next_id("payments", 7001), "idn": state.next_id("payments.idn", 1), "sumPaid": amount,
               "payDate": pay_date, "status": "paid",
               "externalId": f.text("externalId", body.get("externalId")) or None,
               "currency": invoice["currency"], "updateDate": now, "_invoice": invoice_id}
    return payment, invoice


def render_payment(state: State, payment: dict[str, Any], *, with_invoice: bool) -> dict[str, Any]:
    invoice = state.tables["invoices"].get(payment["_invoice"])
    places = Precision.from_json(invoice["precisionData"] if invoice else state.company.get("precisionData")).total
    out = {k: v for k, v in payment.items() if not k.startswith("_")}
    out["sumPaid"] = fmt(payment["sumPaid"], places)
    if with_invoice:
        out["invoice"] = {"id": payment["_invoice"], "idn": invoice["idn"] if invoice else None}
    return out


def _live(ref: dict[str, Any] | None, table: dict[int, dict[str, Any]], keys: tuple[str, ...]) -> Any:
    """A reference refreshed from the record it points to (kept as stored when that record is unknown)."""
    if ref is None or ref.get("id") not in table:
        return ref
    target = table[ref["id"]]
    return {**ref, **{k: target.get(k) for k in keys}}


def _live_icf(state: State, entry: Any) -> Any:
    if not isinstance(entry, dict):
        return entry
    out = dict(entry)
    if isinstance(entry.get("itemCustomField"), dict):
        out["itemCustomField"] = _live(entry["itemCustomField"], state.tables["itemcustomfields"], ("name",))
    if isinstance(entry.get("option"), dict):
        out["option"] = _live(entry["option"], state.tables["options"], ("code", "name", "externalId"))
    return out


def render_document(state: State, kind: str, doc: dict[str, Any], *, detail: bool) -> dict[str, Any]:
    """The list row (summary) or the detail of a document."""
    out = {k: v for k, v in doc.items() if not k.startswith("_") and (detail or k not in DETAIL_ONLY)}
    out["supplier"] = _live(doc["supplier"], state.tables["suppliers"], ("name", "externalId", "xeroId"))
    precision = Precision.from_json(doc["precisionData"])
    if kind == "invoices":
        out["sumPaid"] = fmt(doc["sumPaid"], precision.total)
    if detail:
        out["items"] = {"data": [{
            **line,
            "tax": _live(line["tax"], state.tables["taxes"], ("name", "externalId", "xeroId")),
            "product": _live(line["product"], state.tables["items"], ("sku", "externalId", "xeroId")),
            "itemCustomFields": [_live_icf(state, e) for e in line["itemCustomFields"]],
        } for line in doc["items"]["data"]]}
        if kind == "invoices":
            out["payments"] = {"data": [render_payment(state, p, with_invoice=False)
                                        for p in payments_of(state, doc["id"])]}
    return out
