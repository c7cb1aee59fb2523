"""Purchase orders and bills: lines paired by position and compared, header totals classified by the
rounding analysis (explained by rounding, or material)."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recon import money, schema
from recon.reconcile import diff, fields, plan, rounding
from recon.reconcile.model import Agreed
from recon.rules import DOC_TOTALS, Rule
from recon.snapshot import Snapshot


def compare_documents(rule: Rule, snap: Snapshot, baselines: Mapping[str, pd.DataFrame], meta: Mapping[str, Any],
                      p: pd.DataFrame, x: pd.DataFrame, cp: np.ndarray, cx: np.ndarray, pc: pd.DataFrame,
                      xc: pd.DataFrame, diffs: pd.DataFrame, linked: np.ndarray
                      ) -> tuple[pd.DataFrame, dict[str, dict[str, list[dict[str, str]]]], pd.DataFrame, list[Agreed]]:
    """Lines diff, rounding analysis, and the totals' difference kinds for linked documents ``cp``/``cx``.

    Returns the differences (header and lines), the lines of the documents whose lines differ (as action
    values, per system and document id), the rounding analysis, and the line fields both sides agree on
    (only for the ``linked`` documents, not those matched in this run)."""
    assert rule.lines is not None
    lp, lx = snap.frame("precoro", rule.lines), snap.frame("xero", rule.lines)
    unitdp = int(((meta or {}).get("xero") or {}).get("unitdp", 2) or 2)
    active_both = fields.active(pc, rule.kind) & fields.active(xc, rule.kind)
    # the documents' ids as Arrow text (the lines are looked up, and their keys made, in Arrow): as Python
    # strings, ~2 * 10^5 of them were held through the whole kind
    line_diffs, line_agreed = _line_diffs(rule, lp, lx, _ids_at(pc["id"], active_both),
                                          _ids_at(xc["id"], active_both), cp[active_both], cx[active_both],
                                          baselines.get(rule.lines), unitdp, linked[active_both])
    pairs = pd.DataFrame({"p": cp, "x": cx})
    analysis = rounding.analyse(rule.kind, p, x, pairs, lp, meta)
    if len(diffs):
        totals = diffs["field"].isin(list(DOC_TOTALS)).to_numpy()
        if totals.any():
            by_id = analysis.set_index("precoro_id")
            ids = fields.text(p["id"].iloc[diffs["p"].to_numpy()])
            cls = by_id["classification"].reindex(ids).fillna("").to_numpy(dtype=object)
            remedy = by_id["remedy"].reindex(ids).fillna("").to_numpy(dtype=object)
            is_round = totals & (cls == "rounding")
            diffs = diffs.copy()
            diffs.loc[is_round, "kind"] = "rounding"
            diffs.loc[is_round, "direction"] = "none"
            # one reason per distinct remedy (a handful), not a string made per row (~8 * 10^4 of them)
            codes, remedies = pd.factorize(remedy[is_round])
            diffs.loc[is_round, "reason"] = np.array(
                ["rounding: explained by the rounding rules; " + r for r in remedies], dtype=object)[codes]
            material = totals & ~is_round & (diffs["kind"] != "rounding").to_numpy()
            diffs.loc[material, "reason"] = "material: not explained by rounding, review it; Xero computes totals " \
                "from the lines"
    diffs = pd.concat([d for d in (diffs, line_diffs) if len(d)] or [diffs], ignore_index=True)
    diffs = _paid_bills_kept(rule, x, diffs)
    changed = diffs["field"].str.startswith("lines[").to_numpy() if len(diffs) else np.zeros(0, dtype=bool)
    docs_p = np.unique(fields.text(p["id"].iloc[diffs["p"].to_numpy()[changed]])) if changed.any() else np.array([])
    docs_x = np.unique(fields.text(x["id"].iloc[diffs["x"].to_numpy()[changed]])) if changed.any() else np.array([])
    # the lines an update replaces also carry the ids their names stand for, so the stale check before the
    # write can tell a record renamed in Xero (same id) from a line pointed at another record
    references = tuple(dict.fromkeys(schema.LINE_REFERENCES[c] for c in rule.line_fields if c in schema.LINE_REFERENCES))
    values = {"precoro": plan.lines_by_doc(lp, docs_p, rule.line_fields),
              "xero": plan.lines_by_doc(lx, docs_x, rule.line_fields + references)}
    return diffs, values, analysis, line_agreed


def _ids_at(ids: pd.Series, rows: np.ndarray) -> pa.Array:
    """``fields.text`` of the id column ``ids`` at the rows of the mask ``rows``, as an Arrow string array."""
    return diff.key_arrow(ids).filter(pa.array(rows, type=pa.bool_()))


def _line_diffs(rule: Rule, lp: pd.DataFrame, lx: pd.DataFrame, pids: pa.Array | np.ndarray,
                xids: pa.Array | np.ndarray, cp: np.ndarray, cx: np.ndarray, baseline: pd.DataFrame | None,
                unitdp: int, linked: np.ndarray) -> tuple[pd.DataFrame, list[Agreed]]:
    """Lines of linked documents paired by position (``line_no``) and compared like header fields; and the
    line fields both sides agree on (baseline keys ``<Xero document id>#<line_no>``)."""
    frame = rule.lines
    assert frame is not None
    agreed: list[Agreed] = []
    if not len(pids):
        return diff.empty_diffs(), agreed
    names = list(rule.line_fields)
    carried = list(dict.fromkeys([*names, *(ref for ref, _ in _REFERENCES), "description"]))
    doc, line_no, lpos, rpos = _paired_lines(lp, lx, pids, xids)
    matched = (lpos >= 0) & (rpos >= 0)
    out = []
    only = ~matched
    # the lines on one side only set aside, and of the pairs' arrays only the paired lines' kept through the
    # comparison
    one_sided = (doc[only], line_no[only], lpos[only], rpos[only]) if only.any() else None
    if not matched.all():
        doc, line_no, lpos, rpos = doc[matched], line_no[matched], lpos[matched], rpos[matched]
    del matched, only
    if len(doc):
        # the Xero side whole (its own columns when every line is paired in order), the Precoro side a column
        # at a time when the comparison reads it: the carried columns of half a million lines taken up front
        # were the peak of the bills' line work
        xl = _taken(lx, carried, rpos)
        pl = _LinesAt(lp, lpos, _prepared(lp, lpos, xl, unitdp))
        xl = xl[names]
        keys = LineKeys(xids, doc, line_no, linked)
        b, has_b = diff.align_baseline(baseline, keys, on=("doc_id", "line_no"), sep="#")
        equal: dict[str, np.ndarray] = {}
        d = diff.compare(rule, frame, rule.line_fields, pl, xl, b, has_b, cp[doc], cx[doc], line_no, equal=equal)
        out.append(_unit_rounding(d))
        agreed = diff.agreed(rule, frame, rule.line_fields, pl, xl, b, has_b, keys, equal=equal)
    if one_sided is not None:
        doc, line_no, lpos, rpos = one_sided
        in_p = lpos >= 0
        desc_p = np.full(len(doc), "", dtype=object)
        desc_x = np.full(len(doc), "", dtype=object)
        desc_p[in_p] = fields.text(_taken(lp, ["description"], lpos[in_p])["description"])
        desc_x[~in_p] = fields.text(_taken(lx, ["description"], rpos[~in_p])["description"])
        out.append(pd.DataFrame({
            "p": cp[doc], "x": cx[doc], "field": diff.line_names(line_no),
            "precoro_value": np.where(in_p, desc_p, ""), "xero_value": np.where(in_p, "", desc_x),
            "baseline_value": "", "kind": "mismatch" if rule.source == "precoro" else "blocked_edit",
            "direction": "to_xero",
            "reason": np.where(in_p, "line only in Precoro", "line only in Xero: put back from Precoro"),
        }))
    return (pd.concat(out, ignore_index=True) if out else diff.empty_diffs()), agreed


def _lines_of(lines: pd.DataFrame, doc_ids: pa.Array | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The lines of the documents ``doc_ids`` (their id text, Arrow strings or strings): each one's document (its
    position in ``doc_ids``), its row in ``lines`` and its line number (0 when missing). Looked up in Arrow's
    hash kernels on the id text, so no column of a million lines becomes Python strings."""
    ids = money.arrow_array(lines["doc_id"].astype("string"))
    wanted = doc_ids if isinstance(doc_ids, pa.Array) else pa.array(list(doc_ids), type=pa.string())
    where = pc.index_in(ids, value_set=wanted)
    found = pc.is_valid(where).to_numpy(zero_copy_only=False)
    # rows and documents as int32 (they fit), and only the lines found read: each side's are held until both
    # are paired, the numpy peak of the lines' work
    rows = _small_ints(np.flatnonzero(found))
    docs = _small_ints(pc.drop_null(where).to_numpy(zero_copy_only=False))
    numbers = lines["line_no"].iloc[rows].astype("Int64").fillna(0).to_numpy(dtype=np.int64)
    return docs, rows, numbers


class LineKeys:
    """Baseline keys ``<Xero document id>#<line_no>`` of paired lines, held as each line's document (a position in
    the Xero ids of the documents) and line number, in integer arrays: the text of a key is made only when it is
    read (the baseline look-up, the store writing the baseline), a chunk at a time. A million keys as Python
    strings, kept with the agreed values of every line field, held more memory than the agreed values themselves.

    Behaves as a read-only sequence of the key strings: ``len``, iteration, ``numpy.asarray``, ``keys[rows]``
    (positions or a mask: the keys of those rows, sharing the integer arrays; only the rows taken are kept, and
    not even those when they are all of them). ``recorded`` says per key whether its document is linked (a
    document only matched in this run records no baseline yet)."""

    __slots__ = ("_doc_ids", "_doc", "_line_no", "_linked", "_rows")

    #: keys made into text at a time when iterated (bounded memory for any number of keys)
    CHUNK = 65536

    def __init__(self, doc_ids: np.ndarray | pa.Array, doc: np.ndarray, line_no: np.ndarray,
                 linked: np.ndarray | None = None, rows: np.ndarray | None = None) -> None:
        self._doc_ids = doc_ids if isinstance(doc_ids, pa.Array) else pa.array(list(doc_ids), type=pa.string())
        self._doc = _small_ints(doc)
        self._line_no = _small_ints(line_no)
        self._linked = np.ones(len(self._doc_ids), dtype=bool) if linked is None else np.asarray(linked, dtype=bool)
        self._rows = rows

    def __len__(self) -> int:
        return len(self._doc) if self._rows is None else len(self._rows)

    def __getitem__(self, rows: np.ndarray) -> "LineKeys":
        rows = np.asarray(rows)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        if self._rows is not None:
            rows = self._rows[rows]
        every = len(rows) == len(self._doc) and bool((rows == np.arange(len(rows))).all())
        return LineKeys(self._doc_ids, self._doc, self._line_no, self._linked, None if every else _small_ints(rows))

    def _taken(self, values: np.ndarray, start: int = 0, stop: int | None = None) -> np.ndarray:
        return values[start:stop] if self._rows is None else values[self._rows[start:stop]]

    @property
    def recorded(self) -> np.ndarray:
        """Per key: its document is linked, so the agreed values under it are recorded."""
        return self._linked[self._taken(self._doc)]

    def arrow(self, start: int = 0, stop: int | None = None) -> pa.Array:
        """The keys ``[start:stop]`` as an Arrow string array (joined in Arrow, no Python string per key)."""
        doc, line_no = self._taken(self._doc, start, stop), self._taken(self._line_no, start, stop)
        return pc.binary_join_element_wise(self._doc_ids.take(pa.array(doc)), pc.cast(pa.array(line_no), pa.string()),
                                           "#")

    def __iter__(self):  # type: ignore[no-untyped-def]
        for start in range(0, len(self), self.CHUNK):
            yield from self.arrow(start, start + self.CHUNK).to_pylist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = np.asarray(self.arrow().to_numpy(zero_copy_only=False), dtype=object)
        return out if dtype is None else out.astype(dtype)

    def __repr__(self) -> str:
        return f"LineKeys({len(self)} keys)"


def _small_ints(values: np.ndarray) -> np.ndarray:
    """``values`` as int32 when they fit (row positions and line numbers do), else int64."""
    values = np.asarray(values)
    if values.dtype == np.int32:
        return values
    if not len(values) or (values.min() >= np.iinfo(np.int32).min and values.max() <= np.iinfo(np.int32).max):
        return values.astype(np.int32)
    return values.astype(np.int64)


def _paired_lines(lp: pd.DataFrame, lx: pd.DataFrame, pids: pa.Array | np.ndarray, xids: pa.Array | np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The lines of the documents ``pids`` (Precoro) and ``xids`` (Xero) paired by :func:`_pair_lines`: each pair's
    document, line number and rows in ``lp`` and ``lx``. The lines found of each side are let go once paired."""
    left_doc, left_pos, left_n = _lines_of(lp, pids)
    right_doc, right_pos, right_n = _lines_of(lx, xids)
    return _pair_lines(left_doc, left_n, left_pos, right_doc, right_n, right_pos)


def _pair_lines(left_doc: np.ndarray, left_n: np.ndarray, left_pos: np.ndarray, right_doc: np.ndarray,
                right_n: np.ndarray, right_pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lines of both sides paired on (document, line number), outer, in document and line order: per pair its
    document, line number and the row of each side (-1 where that side has no such line), integer arrays (int32
    or int64). Only integers are joined."""
    paired = _pair_unique_lines(left_doc, left_n, left_pos, right_doc, right_n, right_pos)
    if paired is not None:
        return paired
    left = pd.DataFrame({"_doc": left_doc, "_n": left_n, "lp": left_pos})
    right = pd.DataFrame({"_doc": right_doc, "_n": right_n, "rp": right_pos})
    both = left.merge(right, on=["_doc", "_n"], how="outer")
    both = both.sort_values(["_doc", "_n"], kind="stable").reset_index(drop=True)
    return (both["_doc"].to_numpy(dtype=np.int64), both["_n"].to_numpy(dtype=np.int64),
            both["lp"].fillna(-1).to_numpy(dtype=np.int64), both["rp"].fillna(-1).to_numpy(dtype=np.int64))


def _pair_unique_lines(left_doc: np.ndarray, left_n: np.ndarray, left_pos: np.ndarray, right_doc: np.ndarray,
                       right_n: np.ndarray, right_pos: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`_pair_lines` in numpy when no side has a (document, line number) twice (the usual case; ``None``
    otherwise): each pair is one int64, the union of both sides' sorted is the outer join in its order. The
    pandas merge it replaces built its join keys over a million lines, the peak of the lines' work. Each step
    makes one array and lets go of what it no longer needs (sorted in place, a side already in order not
    copied): their copies were the peak of the numpy memory of the bills' line work."""
    sides = [n for n in (left_n, right_n) if len(n)]
    if not sides:
        return None
    low, high = min(int(n.min()) for n in sides), max(int(n.max()) for n in sides)
    if low < 0 or high >= 2**31:
        return None
    width = high + 1
    kl, kr = _pair_keys(left_doc, left_n, width), _pair_keys(right_doc, right_n, width)
    keys = np.concatenate([kl, kr])
    # sorted and compared with their neighbours (np.unique hashes int64 in numpy 2, several times slower)
    for side in (kl, kr):
        in_order = side if _in_order(side) else np.sort(side)
        if (in_order[1:] == in_order[:-1]).any():
            return None
        del in_order
    keys.sort()
    if len(keys):
        first = np.empty(len(keys), dtype=bool)
        first[0] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        keys = keys[first]
        del first
    # the rows in the type of the rows given (int32 from _lines_of), documents and line numbers as int32 when
    # they fit: held through the comparison
    lp = np.full(len(keys), -1, dtype=np.result_type(left_pos, np.int32))
    lp[np.searchsorted(keys, kl)] = left_pos
    del kl
    rp = np.full(len(keys), -1, dtype=np.result_type(right_pos, np.int32))
    rp[np.searchsorted(keys, kr)] = right_pos
    del kr
    return _small_ints(keys // width), _small_ints(keys % width), lp, rp


def _pair_keys(doc: np.ndarray, line_no: np.ndarray, width: int) -> np.ndarray:
    """(document, line number) as one int64 each: ``doc * width + line_no``."""
    keys = np.asarray(doc, dtype=np.int64) * width
    keys += line_no
    return keys


def _in_order(values: np.ndarray) -> bool:
    return len(values) < 2 or bool((values[1:] >= values[:-1]).all())


def _taken(frame: pd.DataFrame, columns: list[str], rows: np.ndarray) -> pd.DataFrame:
    """``columns`` of ``frame`` at the positions ``rows``, with a fresh 0..n index. Every row in order (the Xero
    lines of linked documents, usually) is the columns themselves: a take copied half a million lines' columns.
    A column with no value at all (tracking, ids a system leaves empty) is a slice of itself, shared, not a take:
    any rows of it are as many missing values, and each taken one held 8 bytes of offsets a line."""
    chosen = frame[[c for c in columns if c in frame.columns]]
    rows = np.asarray(rows)
    if len(rows) == len(frame) and (not len(rows) or (rows[0] == 0 and bool((np.diff(rows) == 1).all()))):
        return chosen.reset_index(drop=True)
    empty = [c for c in chosen.columns if len(rows) and bool(chosen[c].isna().all())]
    if not empty:
        return chosen.take(rows).reset_index(drop=True)
    taken = chosen[[c for c in chosen.columns if c not in empty]].take(rows).reset_index(drop=True)
    for c in empty:
        taken[c] = chosen[c].iloc[: len(rows)].reset_index(drop=True)
    return taken[list(chosen.columns)]


#: what Xero refuses to change on a bill that has a payment
_LOCKED_WHEN_PAID = ("currency", "supplier_xero_id", "line_amount_types", *DOC_TOTALS)


def _paid_bills_kept(rule: Rule, x: pd.DataFrame, diffs: pd.DataFrame) -> pd.DataFrame:
    """A bill with a payment in Xero cannot have its lines, totals, contact or currency changed there (Xero
    refuses): those differences are shown with no action, for a person to settle in Xero."""
    if rule.kind != "bill" or not len(diffs):
        return diffs
    has_paid = money.unscaled(x["amount_paid"].iloc[diffs["x"].to_numpy()], schema.STORAGE_SCALES["money"])
    has_paid = has_paid > 0 if has_paid is not None else np.array(
        [not pd.isna(v) and v > 0 for v in x["amount_paid"].iloc[diffs["x"].to_numpy()].tolist()], dtype=bool)
    field_names = diffs["field"].astype(str)
    locked = has_paid & (field_names.str.startswith("lines[") | field_names.isin(_LOCKED_WHEN_PAID)).to_numpy() \
        & (diffs["direction"] == "to_xero").to_numpy()
    if not locked.any():
        return diffs
    diffs = diffs.copy()
    diffs.loc[locked, "direction"] = "none"
    diffs.loc[locked, "reason"] = diffs.loc[locked, "reason"] + "; the bill has a payment in Xero, which then " \
        "refuses to change it: settle it there by hand"
    return diffs


#: line columns naming a record by its Xero id: lines naming the same record agree on the names it has
_REFERENCES = (("account_id", ("account_code",)),
               ("tracking1_option_id", ("tracking1_category", "tracking1_option")),
               ("tracking2_option_id", ("tracking2_category", "tracking2_option")))


class _LinesAt:
    """Columns of ``lines`` at the positions ``rows`` (a fresh 0..n index, as :func:`_taken`), as the comparison
    reads them: ``[name]`` takes the column when it is read, passed through ``prepare[name]`` when there is one.
    Only the column read last is held: the comparison reads a field's column, then the next field's."""

    __slots__ = ("_lines", "_rows", "_prepare", "_name", "_column")

    def __init__(self, lines: pd.DataFrame, rows: np.ndarray,
                 prepare: Mapping[str, Callable[[pd.Series], pd.Series]]) -> None:
        self._lines, self._rows, self._prepare = lines, rows, prepare
        self._name: str | None = None
        self._column: pd.Series | None = None

    def __getitem__(self, name: str) -> pd.Series:
        if name != self._name:
            # the column held lets go before the next is taken
            self._name, self._column = None, None
            column = _taken(self._lines, [name], self._rows)[name]
            prepare = self._prepare.get(name)
            self._column = column if prepare is None else prepare(column)
            self._name = name
        return self._column


def _prepared(lines: pd.DataFrame, rows: np.ndarray, xl: pd.DataFrame, unitdp: int
              ) -> dict[str, Callable[[pd.Series], pd.Series]]:
    """What the Precoro columns of paired lines become before they are compared (``xl``: the Xero lines paired
    with ``lines`` at ``rows``, row for row). Xero keeps unit amounts at unitdp and quantities at 4 dp: compare
    what Xero will hold. Lines naming the same account or tracking option (by its Xero id) agree on it, whatever
    name or code each side shows: one renamed or deleted in Xero is still the one the line was sent with."""
    places = 4 if unitdp == 4 else 2
    prepare: dict[str, Callable[[pd.Series], pd.Series]] = {
        "unit_amount": functools.partial(_rounded, other=xl["unit_amount"], places=places),
        "quantity": functools.partial(_rounded, other=xl["quantity"], places=4)}
    for ref, names in _REFERENCES:
        same = _same_ids(_taken(lines, [ref], rows)[ref], xl[ref])
        if same.any():
            for name in names:
                prepare[name] = functools.partial(_named_as_in_xero, xero=xl[name], same=same)
    return prepare


def _named_as_in_xero(column: pd.Series, xero: pd.Series, same: np.ndarray) -> pd.Series:
    """``column`` with the Xero side's values where ``same`` (the line names the same record as in Xero)."""
    if fields.is_arrow_text(column) and xero.dtype == column.dtype:
        # chosen in Arrow: through numpy, ~5 * 10^5 Python strings were made per name and put back
        return pd.Series(pd.array(pc.if_else(pa.array(same), money.arrow_array(xero), money.arrow_array(column)),
                                  dtype=column.dtype), index=column.index)
    column = column.copy()
    column.loc[same] = xero.loc[same].to_numpy()
    return column


def _same_ids(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Per row: both sides name the same record (equal canonical id text, not empty). Arrow strings are compared
    in Arrow (as canonical text they were ~5 * 10^5 Python strings a side, among the peaks of the lines' work)."""
    if fields.is_arrow_text(left) and fields.is_arrow_text(right):
        ids_p = pc.fill_null(money.arrow_array(left), "")
        ids_x = pc.fill_null(money.arrow_array(right), "")
        same = pc.and_(pc.not_equal(ids_p, ""), pc.equal(ids_p, ids_x))
        return same.to_numpy(zero_copy_only=False).astype(bool)
    ref_p = fields.text(left)
    return (ref_p != "") & (ref_p == fields.text(right))


def _unit_rounding(d: pd.DataFrame) -> pd.DataFrame:
    """Unit amounts Xero holds at 2 dp where Precoro has 4 are rounding, not edits: nobody changed them, the
    document went to Xero without ``unitdp=4``. They stay in the plan (sending them again at 4 dp is the
    remedy) but are labelled ``rounding`` with that reason."""
    if not len(d):
        return d
    rows = np.flatnonzero(d["field"].str.endswith(".unit_amount").to_numpy())
    if not len(rows):
        return d
    pv = d["precoro_value"].to_numpy(dtype=object)[rows]
    xv = d["xero_value"].to_numpy(dtype=object)[rows]
    explained = np.array([bool(a) and bool(b) and money.quantize(Decimal(a), 2) == Decimal(b)
                          for a, b in zip(pv, xv)], dtype=bool)
    if not explained.any():
        return d
    d = d.copy()
    hit = d.index[rows[explained]]
    d.loc[hit, "kind"] = "rounding"
    d.loc[hit, "reason"] = "Xero kept the unit amount to 2 decimals: send it again with unitdp=4"
    return d


def _rounded(series: pd.Series, other: pd.Series, places: int) -> pd.Series:
    """``series`` with the values that differ from ``other`` rounded to ``places`` (what Xero would keep)."""
    differ = ~fields.same(series, other)
    if not differ.any():
        return series
    if isinstance(series.dtype, pd.ArrowDtype):
        # only the values that differ rounded (a tenth of the unit amounts, fewer quantities) and put in their
        # place in Arrow: the whole column rounded, cast back and chosen from was three copies of it; pandas'
        # ``where`` on a decimal column went through its values as Python objects
        rounded = money.round_column(fields.at(series, np.flatnonzero(differ)), places)
        chosen = pc.replace_with_mask(money.arrow_array(series), pa.array(differ), money.arrow_array(rounded))
        return pd.Series(chosen, index=series.index, dtype=series.dtype)
    return money.round_column(series, places).where(differ, series)
