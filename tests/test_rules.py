"""The sync rules of DESIGN.md section 1, as data."""

import pytest

from recon import schema
from recon.errors import PlanError
from recon.rules import ONE_WAY, RULES, SENDABLE_STATUSES, TWO_WAY, rule


@pytest.mark.parametrize("kind, direction, source, create_on, target", [
    ("supplier", TWO_WAY, "xero", {"precoro", "xero"}, None),
    ("item", ONE_WAY, "xero", {"precoro"}, "precoro"),
    ("account", ONE_WAY, "xero", {"precoro"}, "precoro"),
    ("tracking_option", ONE_WAY, "xero", {"precoro"}, "precoro"),
    ("tax_rate", ONE_WAY, "xero", {"precoro"}, "precoro"),
    ("purchase_order", ONE_WAY, "precoro", {"xero"}, "xero"),
    ("bill", ONE_WAY, "precoro", {"xero"}, "xero"),
    ("payment", ONE_WAY, "xero", {"precoro"}, "precoro"),
])
def test_every_kind_has_its_design_rule(kind, direction, source, create_on, target):
    r = rule(kind)
    assert (r.direction, r.source, set(r.create_on), r.target) == (direction, source, create_on, target)


def test_xero_wins_supplier_conflicts():
    assert rule("supplier").conflict_winner == "xero"


@pytest.mark.parametrize("kind", list(RULES))
def test_compared_fields_are_canonical_columns(kind):
    names = set(schema.columns(kind))
    assert set(RULES[kind].fields) <= names
    for keyset in RULES[kind].match_keys:
        assert set(keyset) <= names
    if RULES[kind].lines:
        assert set(RULES[kind].line_fields) <= set(schema.columns(RULES[kind].lines))


@pytest.mark.parametrize("kind, keys", [
    ("supplier", (("name",), ("tax_number",), ("email",))),
    ("item", (("code", "name"),)),
    ("account", (("code",),)),
    ("tax_rate", (("tax_type",), ("name",))),
    ("purchase_order", (("number", "supplier_xero_id"),)),
    ("bill", (("number", "supplier_xero_id"),)),
])
def test_match_keys_follow_the_issue(kind, keys):
    assert rule(kind).match_keys == keys


def test_only_approved_or_later_documents_are_sent():
    assert SENDABLE_STATUSES == {"approved", "partly_paid", "paid"}


def test_unknown_kind_is_a_clear_error():
    with pytest.raises(PlanError, match="unknown object kind 'vendor'"):
        rule("vendor")
