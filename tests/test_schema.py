"""The canonical schema: types, exact decimals, ids as text, and errors that name record and field."""

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from recon import schema
from recon.errors import DataError
from recon.snapshot import Snapshot


@pytest.mark.parametrize("frame", schema.FRAME_NAMES)
def test_every_frame_has_ids_and_conforms_empty(frame):
    df = schema.empty(frame)
    assert list(df.columns) == schema.columns(frame)
    assert list(schema.conform(df, frame).columns) == schema.columns(frame)


@pytest.mark.parametrize(
    "value, expected",
    [("25.06", Decimal("25.06")), (25.1, Decimal("25.1")), (3, Decimal(3)), (Decimal("0.0001"), Decimal("0.0001")),
     ("", None), (None, None)],
)
def test_to_decimal_is_exact(value, expected):
    assert schema.to_decimal(value) == expected


def test_document_numbers_stay_text():
    df = schema.conform([{"id": "7", "number": "00123", "total": "10.10", "date": "2024-01-31"}], "bill")
    assert df.loc[0, "number"] == "00123"
    assert df.loc[0, "total"] == Decimal("10.10")
    assert df.loc[0, "date"] == dt.date(2024, 1, 31)


def test_bad_value_names_record_and_field():
    with pytest.raises(DataError, match=r"precoro/bill/42 field 'total'"):
        schema.conform([{"id": "42", "total": "12,5"}], "bill", system="precoro")


def test_unknown_column_is_a_mapping_error():
    with pytest.raises(DataError, match="unknown columns"):
        schema.conform([{"id": "1", "nmae": "x"}], "supplier")


def test_snapshot_round_trips_through_parquet(tmp_path):
    frame = schema.conform([{"id": "a", "name": "Acme", "active": True}], "supplier", system="xero")
    lines = schema.conform([{"doc_id": "1", "line_no": 1, "quantity": "3", "unit_amount": "33.3333"}], "bill_lines")
    snap = Snapshot(frames={("xero", "supplier"): frame, ("precoro", "bill_lines"): lines},
                    raw={("xero", "supplier"): [{"ContactID": "a"}]}, meta={"xero": {"org": "Demo"}})
    snap.save(tmp_path)
    back = Snapshot.load(tmp_path)
    pd.testing.assert_frame_equal(back.frame("xero", "supplier"), frame)
    assert back.frame("precoro", "bill_lines").loc[0, "unit_amount"] == Decimal("33.3333")
    assert back.raw[("xero", "supplier")] == [{"ContactID": "a"}]
    assert back.counts() == {"precoro_bill_lines": 1, "xero_supplier": 1}


@pytest.mark.parametrize("value, why", [("1.123456789", "more than 8 decimals"), ("NaN", "not a finite number"),
                                        ("1" + "0" * 25, "too large")])
def test_an_amount_the_columns_cannot_hold_exactly_is_refused(value, why):
    with pytest.raises(DataError, match=why) as err:
        schema.conform([{"doc_id": "D1", "line_no": 1, "unit_amount": value}], "purchase_order_lines", system="precoro")
    assert err.value.field == "unit_amount" and err.value.record == "D1"


def test_amounts_dates_and_flags_are_arrow_columns():
    import datetime as dt
    from decimal import Decimal

    df = schema.conform([{"id": "1", "total": Decimal("12.5"), "date": dt.date(2026, 1, 2), "active": True}], "bill")
    assert str(df["total"].dtype) == "decimal128(30, 6)[pyarrow]" and df["total"].iloc[0] == Decimal("12.50")
    assert str(df["date"].dtype) == "date32[day][pyarrow]" and str(df["active"].dtype) == "bool[pyarrow]"
    assert schema.is_conformed(df, "bill") and schema.conform(df, "bill")["total"].iloc[0] == Decimal("12.5")


def _saved_lines(tmp_path, amounts_as):
    """A bill line saved to Parquet with its amounts as ``amounts_as`` ("arrow": the canonical decimal128
    columns recon writes now; "decimal": ``Decimal`` objects, as snapshots written before issue 14 hold them)."""
    import pyarrow.parquet as pq

    lines = schema.conform([{"doc_id": "D1", "line_no": 1, "unit_amount": "33.3333", "line_amount": "99.99",
                             "description": "Bolts"}], "bill_lines", system="precoro")
    if amounts_as == "decimal":
        lines = lines.astype({c: object for c in ("unit_amount", "line_amount", "quantity", "tax_rate", "tax_amount")})
    path = tmp_path / "precoro_bill_lines.parquet"
    lines.to_parquet(path, index=False)
    return pq.read_table(path)


@pytest.mark.parametrize("amounts_as", ["arrow", "decimal"])
def test_a_saved_frame_reads_back_canonical_whatever_recon_version_wrote_it(tmp_path, amounts_as):
    back = schema.from_arrow(_saved_lines(tmp_path, amounts_as), "bill_lines", system="precoro")
    assert schema.is_conformed(back, "bill_lines")
    assert back.loc[0, "unit_amount"] == Decimal("33.3333") and back.loc[0, "line_amount"] == Decimal("99.99")
    assert back.loc[0, "description"] == "Bolts" and back["tracking1_option"].isna().all()


def test_columns_without_a_value_share_one_array_when_read_back(tmp_path):
    back = schema.from_arrow(_saved_lines(tmp_path, "arrow"), "bill_lines", system="precoro")
    buffers = {c: back[c].array._pa_array.chunk(0).buffers()[1].address for c in ("tracking1_option", "account_id")}
    assert len(set(buffers.values())) == 1 and back["doc_id"].array._pa_array.chunk(0).buffers()[1].address \
        not in buffers.values()
