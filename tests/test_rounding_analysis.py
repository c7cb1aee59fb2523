"""The rounding analysis made in Arrow and a chunk of lines at a time (``rounding.analyse``) gives the frame the
analysis as it was gave (object arrays of Python strings, every line's arrays at once, a pandas sort at the end),
value by value and dtype by dtype: line amount types of every kind, missing totals, an id linked twice, lines of
documents not linked, documents without lines, the Decimal paths (unit amounts beyond 4 dp, amounts finer than a
cent, values beyond 64 bits) and chunks that split a document's lines."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from recon import money, schema
from recon.reconcile import fields, rounding


def _analysis_as_it_was(kind, p, x, pairs, p_lines, meta):
    xmeta = (meta or {}).get("xero") or {}
    unitdp = int(xmeta.get("unitdp", 2) or 2)
    account = str(xmeta.get("rounding_account_code", "") or "") or "the ROUNDING account"
    pd_docs = p[["id", "number", "line_amount_types", "total"]].iloc[pairs["p"].to_numpy()].reset_index(drop=True)
    xd_docs = x[["id", "total"]].iloc[pairs["x"].to_numpy()].reset_index(drop=True)
    n = len(pd_docs)
    ids = pd_docs["id"].astype("string").fillna("").to_numpy(dtype=object)
    lines, pos, rows = rounding._lines_for(p_lines, ids)
    lat = pd_docs["line_amount_types"].astype("string").fillna("Exclusive").replace("", "Exclusive")
    lat = lat.to_numpy(dtype=object)
    line_lat = lat[pos] if len(pos) else np.array([], dtype=object)

    def totals(amount, tax):
        a, t = rounding._exact_sum(amount, pos, n), rounding._exact_sum(tax, pos, n)
        return np.where(lat == "Inclusive", a, a + t)

    expected_other = totals(*rounding.line_cents(lines, line_lat, (4 if unitdp == 2 else 2,), rows)[0])
    ((amount, tax),) = rounding.line_cents(lines, line_lat, (unitdp,), rows)
    expected = totals(amount, tax)
    expected2, expected4 = (expected, expected_other) if unitdp == 2 else (expected_other, expected)
    known = (pd_docs["total"].notna() & xd_docs["total"].notna()).to_numpy(dtype=bool)
    pc = np.where(known, rounding._cents(pd_docs["total"]), 0)
    xc = np.where(known, rounding._cents(xd_docs["total"]), 0)
    diff = pc - xc
    n_lines = np.bincount(pos, minlength=n) if len(pos) else np.zeros(n, dtype=np.int64)
    close = (np.abs(pc - expected4) <= np.maximum(n_lines, 1)) | (np.abs(pc - expected) <= np.maximum(n_lines, 1))
    explained = ((xc == expected) | (xc == expected2) | (xc == expected4)) & close
    cls = np.where(~known, "unknown", np.where(diff == 0, "equal", np.where(explained, "rounding", "material")))
    p_gross = rounding._cents(lines["line_amount"], rows) + rounding._cents(lines["tax_amount"], rows)
    off = p_gross != np.where(line_lat == "Inclusive", 0, tax) + amount
    line_no = lines["line_no"].astype("Int64").fillna(0).astype(np.int64).to_numpy()
    line_no = line_no if rows is None else line_no[rows]
    cause = pd.Series(line_no[off]).groupby(pos[off]).apply(lambda s: ", ".join(map(str, sorted(s))))
    cause_text = np.full(n, "", dtype=object)
    cause_text[cause.index.to_numpy(dtype=np.int64)] = cause.to_numpy(dtype=object)
    remedy = np.full(n, "", dtype=object)
    is_rounding = cls == "rounding"
    resend = is_rounding & (pc == expected)
    remedy[resend] = f"send the lines again with unit amounts at {unitdp} decimals (unitdp={unitdp})"
    fix4 = is_rounding & ~resend & (pc == expected4)
    remedy[fix4] = "send unit amounts at 4 decimals (unitdp=4)"
    adjust = is_rounding & ~resend & ~fix4
    remedy[adjust] = "add a rounding line of " + money.cents_text(pc[adjust] - expected[adjust]) + \
        f" to account {account}"
    remedy[cls == "material"] = "review: the difference is not explained by rounding"
    out = pd.DataFrame({
        "object": kind, "precoro_id": ids, "xero_id": fields.text(xd_docs["id"]),
        "number": fields.text(pd_docs["number"]), "precoro_total": fields.text(pd_docs["total"]),
        "xero_total": fields.text(xd_docs["total"]), "xero_expected": money.cents_text(expected),
        "difference": np.where(known, money.cents_text(diff), ""),
        "classification": cls, "lines": cause_text, "remedy": remedy,
    })
    return out.sort_values("precoro_id", kind="stable").reset_index(drop=True)


#: the random documents compared (each seed a different mix of cases)
SEEDS = 6
LATS = ["Exclusive", "Inclusive", "NoTax", "", None, "Other"]


def _documents(seed: int, n_docs: int = 12, odd: bool = False):
    """Precoro and Xero headers, their pairs and the Precoro lines; ``odd``: values only the Decimal paths take."""
    rng = np.random.default_rng(seed)
    ids = [str(v) for v in rng.integers(1, 3 * n_docs, n_docs)]  # some ids twice, in no order
    lines = []
    for d in range(n_docs + 3):  # the last three documents are not linked
        for k in range(int(rng.integers(0, 5))):
            q = str(rng.choice(["1", "2", "3.5", "0.3333", "7", "-1"]))
            u = str(rng.choice(["1.005", "2.5", "0.3333", "19.99", "1.23456"] + (["1.00005"] if odd else [])))
            r = str(rng.choice(["0", "15", "20", "12.5"]))
            amount = str(rng.choice(["3.02", "2.50", "0.67", "1.005", ""] + (["10000000000000.005"] if odd else [])))
            tax = str(rng.choice(["0.60", "0", "0.10", ""]))
            lat = LATS[d % len(LATS)]
            if rng.random() < 0.5:  # Precoro's figures are Xero's arithmetic (at 2 dp)
                made = money.xero_line(Decimal(q), Decimal(u), Decimal(r),
                                       lat if lat in money.LINE_AMOUNT_TYPES else "Exclusive", 2)
                inclusive = lat == "Inclusive"
                amount = str(made.line_amount - made.tax_amount if inclusive else made.line_amount)
                tax = str(made.tax_amount)
            lines.append({"doc_id": ids[d] if d < n_docs else f"unlinked-{d}", "line_no": k + 1, "quantity": q,
                          "unit_amount": u, "tax_rate": r, "line_amount": amount, "tax_amount": tax})
    of_doc: dict[str, list[dict]] = {}
    for li in lines:
        of_doc.setdefault(li["doc_id"], []).append(li)

    def xero_total(d: int, unitdp: int) -> Decimal:
        lat = LATS[d % len(LATS)] if LATS[d % len(LATS)] in money.LINE_AMOUNT_TYPES else "Exclusive"
        made = [money.xero_line(Decimal(li["quantity"]), Decimal(li["unit_amount"]), Decimal(li["tax_rate"]), lat,
                                unitdp) for li in of_doc.get(ids[d], [])]
        return money.xero_totals([(m.line_amount, m.tax_amount) for m in made], lat).total

    # totals Xero's arithmetic gives at 2 or 4 dp (a cent off), and others, in turn: (Precoro, Xero)
    cent, other = Decimal("0.01"), Decimal("12.345")
    cases = [lambda e2, e4: (e2, e4), lambda e2, e4: (e4, e2), lambda e2, e4: (e4 + cent, e2),
             lambda e2, e4: (other, Decimal("-4.10")), lambda e2, e4: (e2, e2), lambda e2, e4: (None, e4)]
    chosen = [cases[(seed + d) % len(cases)](xero_total(d, 2), xero_total(d, 4)) for d in range(n_docs)]
    totals = [None if t is None else str(t) for t, _ in chosen]
    x_totals = [str(t) for _, t in chosen]
    p = schema.conform([{"id": i, "number": f"PO-{j}" if j % 4 else None, "total": t,
                         "line_amount_types": LATS[j % len(LATS)]} for j, (i, t) in enumerate(zip(ids, totals))],
                       "bill")
    order = rng.permutation(n_docs)
    # each Xero document has the total of the Precoro one it is linked to (one Precoro document is linked twice)
    pairs = pd.DataFrame({"p": np.append(order, order[0]), "x": np.append(order[::-1], order[1])})
    x_of = dict(zip(order[::-1].tolist(), order.tolist()))
    x = schema.conform([{"id": f"x{j}", "total": x_totals[x_of[j]] if j % 7 else None}
                        for j in range(n_docs)], "bill")
    return p, x, pairs, schema.conform(lines, "bill_lines")


@pytest.mark.parametrize("seed", range(SEEDS))
@pytest.mark.parametrize("unitdp", [2, 4])
@pytest.mark.parametrize("chunk, n_docs", [(1, 12), (3, 12), (rounding._CHUNK, 12), (7, 300)])
@pytest.mark.parametrize("odd", [False, True])
def test_the_analysis_gives_the_frame_it_gave(monkeypatch, seed, unitdp, chunk, n_docs, odd):
    """(300 documents: enough for a sort that is not stable to show, numpy's sorts are stable below 17)"""
    monkeypatch.setattr(rounding, "_CHUNK", chunk)
    p, x, pairs, lines = _documents(seed, n_docs, odd=odd)
    meta = {"xero": {"unitdp": unitdp, "rounding_account_code": "860" if seed % 2 else ""}}
    got = rounding.analyse("bill", p, x, pairs, lines, meta)
    want = _analysis_as_it_was("bill", p, x, pairs, lines, meta)
    assert str(got.dtypes.to_dict()) == str(want.dtypes.to_dict())
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.to_csv(index=False) == want.to_csv(index=False)
    held = rounding.expanded(rounding.compact(got))  # as the reconcile holds it while the next kinds run
    pd.testing.assert_frame_equal(held, want, check_exact=True)
    assert str(held.dtypes.to_dict()) == str(want.dtypes.to_dict())


def test_the_cases_are_there():
    """The generated documents reach every class and remedy the comparison above is to cover."""
    seen = pd.concat([rounding.analyse("bill", *_documents(seed, odd=odd), {"xero": {"unitdp": dp}})
                      for seed in range(SEEDS) for dp in (2, 4) for odd in (False, True)])
    assert set(seen["classification"]) == {"unknown", "equal", "rounding", "material"}
    assert {r.split(" ")[0] for r in seen["remedy"]} == {"", "send", "add", "review:"}
    assert (seen["lines"] != "").any() and (seen["lines"].str.contains(",")).any()
    assert (seen["lines"] == "").sum() > len(seen) // 10


@pytest.mark.parametrize("cents", [[], [0], [1, -1, 99, -99, 100, -100, 123456, -1234, 10**15, -(10**15)]])
def test_cents_text_in_arrow_is_the_text(cents):
    c = np.array(cents, dtype=np.int64)
    want = [("-" if v < 0 else "") + f"{abs(v) // 100}.{abs(v) % 100:02d}" for v in cents]
    assert money.cents_arrow_text(c).to_pylist() == want
    assert money.cents_text(c).tolist() == want and money.cents_text(c).dtype == object


@pytest.mark.parametrize("values, frame, column", [
    (["1.5", None, "0.000001", "-12.805", "100000000000000000000"], "bill", "total"),
    (["1", "2.5", None], "bill_lines", "quantity"),
    (["PO-1", None, " x "], "bill", "number"),
    ([True, False, None], "bill", "active"),
    (["2026-01-02", None], "bill", "date"),
])
def test_arrow_text_is_the_text(values, frame, column):
    series = schema.conform([{column: v} for v in values], frame)[column]
    assert fields.arrow_text(series).to_pylist() == fields.text(series).tolist()
    assert fields.text(series).dtype == object
    assert isinstance(fields.text(series)[0], str)
