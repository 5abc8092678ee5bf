"""``RuleIndex`` never changes which rule matches first: on random rule lists (exact leaves
with plain, numeric and boolean-looking values, mixed with other operators, nested) and
random events, the first match among its candidates is the first match of a full scan."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from symbols.errortracking.filters import compile_filters, parse_filters
from symbols.errortracking.rule_index import RuleIndex, condition

KEYS = ["$exception_types", "$exception_values", "a", "b"]
WORDS = ["TypeError", "Error", "x", "1", "2.5", "true", "False", "", "TypeError "]
VALUES = st.one_of(st.sampled_from(WORDS), st.integers(0, 2), st.booleans())
LEAF_VALUE = st.one_of(st.sampled_from(WORDS), st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
                       st.integers(0, 2), st.booleans())

leaves = st.builds(
    lambda key, op, value: {"type": "event", "key": key, "operator": op, "value": value},
    st.sampled_from(KEYS), st.sampled_from(["exact", "exact", "in", "is_not", "icontains"]), LEAF_VALUE,
).filter(lambda leaf: leaf["operator"] != "in" or isinstance(leaf["value"], list))
groups = st.recursive(
    leaves,
    lambda inner: st.builds(lambda t, v: {"type": t, "values": v}, st.sampled_from(["AND", "AND", "OR"]),
                            st.lists(inner, max_size=3)),
    max_leaves=5,
).map(lambda f: f if "values" in f else {"type": "AND", "values": [f]})
ARRAY = st.lists(VALUES, max_size=3)
events = st.fixed_dictionaries({}, optional={
    "$exception_types": st.one_of(ARRAY, ARRAY.map(json.dumps), st.none(), st.sampled_from(WORDS)),
    "$exception_values": ARRAY, "a": st.one_of(VALUES, st.none(), ARRAY), "b": VALUES,
})


def _first(predicates, positions, props):
    return next((i for i in positions if predicates[i]({"properties": props})), None)


@settings(max_examples=400, deadline=None)
@given(st.lists(groups, min_size=1, max_size=8), st.lists(events, min_size=1, max_size=5))
def test_candidates_give_the_same_first_match(rules, samples):
    parsed = [parse_filters(r) for r in rules]
    predicates = [compile_filters(p) for p in parsed]
    index = RuleIndex([condition(p) for p in parsed])
    for props in samples:
        candidates = list(index.candidates(props))
        assert candidates == sorted(set(candidates))
        assert _first(predicates, candidates, props) == _first(predicates, range(len(rules)), props)


def test_what_is_filed():
    def cond(filters):
        return condition(parse_filters(filters))

    leaf = {"type": "event", "key": "$exception_types", "operator": "exact", "value": ["TypeError", "Error"]}
    assert cond({"type": "AND", "values": [{"type": "AND", "values": [leaf]}]}) == (
        "$exception_types", frozenset({"TypeError", "Error"}))
    assert cond({"type": "OR", "values": [leaf, leaf]}) is None
    assert cond({"type": "AND", "values": [{**leaf, "value": ["TypeError", "1"]}]}) is None  # "1" == 1
    assert cond({"type": "AND", "values": [{**leaf, "value": "TRUE"}]}) is None  # "true" == True
    assert cond({"type": "AND", "values": [{**leaf, "operator": "is_not"}]}) is None
    index = RuleIndex([cond({"type": "AND", "values": [leaf]}), None])
    assert list(index.candidates({"$exception_types": ["RangeError"]})) == [1]
    assert list(index.candidates({"$exception_types": '["Error"]'})) == [0, 1]
