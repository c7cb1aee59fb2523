"""Actions made many at a time (``actions_of``, with texts built a column at a time by ``string_dict_texts``)
must be the very actions ``Action(...)`` makes: the same id and the same share of the plan fingerprint, for any
text, JSON's escapes (quotes, backslashes, control characters, non-ASCII, ``%``) included."""

from hypothesis import given, settings, strategies as st

from recon.reconcile.model import Action, Plan, actions_of, canonical_json, string_dict_text, string_dict_texts

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
names = st.lists(text, min_size=0, max_size=5, unique=True)


@settings(max_examples=200, deadline=None)
@given(names=names, rows=st.integers(0, 4), data=st.data())
def test_column_texts_are_canonical_json(names, rows, data):
    columns = {n: data.draw(st.lists(text, min_size=rows, max_size=rows)) for n in names}
    dicts = [{n: columns[n][i] for n in names} for i in range(rows)]
    assert string_dict_texts(columns, rows) == [canonical_json(d) for d in dicts]
    assert [string_dict_text(d) for d in dicts] == [canonical_json(d) for d in dicts]


@settings(max_examples=200, deadline=None)
@given(values=st.dictionaries(text, text | st.none() | st.integers(), max_size=5))
def test_one_dict_text_is_canonical_json(values):
    assert string_dict_text(values) == canonical_json(values)


@settings(max_examples=200, deadline=None)
@given(kind=text, op=text, target=text, reason=text, difference=text, label=text,
       key=text, new=st.dictionaries(text, text, max_size=4), old=st.dictionaries(text, text, max_size=4),
       columnar=st.booleans())
def test_actions_made_together_equal_actions_made_one_by_one(kind, op, target, reason, difference, label, key, new,
                                                            old, columnar):
    one = Action(kind, target, op, {"xero_id": key}, new, old, reason, difference, label)
    texts = None
    if columnar:
        texts = (string_dict_texts({"xero_id": [key]}, 1), [canonical_json(new)], [canonical_json(old)])
    (made,) = actions_of(kind, target, op, [{"xero_id": key}], [new], [old], reason, difference, label, texts=texts)
    assert made == one and made.id == one.id
    assert Plan("r", ("supplier",), (made,)).fingerprint == Plan("r", ("supplier",), (one,)).fingerprint
    assert Plan("r", ("supplier",), (made,)).fingerprint == Plan("r", ("supplier",), (made,)).compute_fingerprint()


def test_a_plan_of_actions_made_together_and_one_by_one_has_the_fingerprint_of_its_content():
    together = actions_of("supplier", "xero", "update", [{"xero_id": "X1"}, {"xero_id": "X2"}],
                          [{"name": "A"}, {"name": "B"}], [{"name": "a"}, {"name": "b"}], "r", "mismatch", ["A", "B"])
    alone = Action("supplier", "precoro", "link", {"precoro_id": "1", "xero_id": "X3"}, {}, {}, "r", "match_candidate")
    for actions in (together, [alone], [*together, alone], [alone, *together]):
        plan = Plan("r", ("supplier",), tuple(actions))
        assert plan.fingerprint == plan.compute_fingerprint()
        assert plan.fingerprint == Plan.from_json(plan.to_json()).compute_fingerprint()
