"""``RuleIndex`` never changes which rule matches first: on random rule lists (exact leaves
with plain, numeric and boolean-looking values, regexes with and without literals, leaves
several rules share, mixed with other operators, nested) and random events, the first match
among its candidates is the first match of a full scan. ``required_literal`` is checked
against RE2 itself: a text a pattern matches always holds the literal it names."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from symbols.errortracking.filters import compile_filters, parse_filters
from symbols.errortracking.operators import compile_pattern, searcher
from symbols.errortracking.rule_index import (
    Exact,
    Literal,
    RuleIndex,
    Shared,
    gates,
    required_literal,
)

KEYS = ["$exception_types", "$exception_values", "a", "b"]
WORDS = ["TypeError", "Error", "x", "1", "2.5", "true", "False", "", "TypeError ", "1.2.3", "0.9",
         "https://a.example/x", "Timeout 30", "a.b"]
VALUES = st.one_of(st.sampled_from(WORDS), st.integers(0, 2), st.booleans())
LEAF_VALUE = st.one_of(st.sampled_from(WORDS), st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
                       st.integers(0, 2), st.booleans())
PATTERNS = ["^https://a\\.", "^https://b", "Timeout \\d+", "^Type", "Error$", "^$", "a\\.b", "^T?ype",
            "(?i)type", "x|Error", "^1", "\\.", "Err*or", "^http[s]?://", "2.5"]
VERSIONS = ["1.2.3", "1.0.0", "0.9"]


def _leaf(key: str, op: str, value, kind: str = "event") -> dict:
    return {"type": kind, "key": key, "operator": op, "value": value}


leaves = st.one_of(
    st.builds(_leaf, st.sampled_from(KEYS), st.sampled_from(["exact", "exact", "in", "is_not", "icontains"]),
              LEAF_VALUE, st.sampled_from(["event", "error_tracking_issue"]))
    .filter(lambda leaf: leaf["operator"] != "in" or isinstance(leaf["value"], list)),
    st.builds(_leaf, st.sampled_from(KEYS), st.sampled_from(["regex", "regex", "not_regex"]),
              st.one_of(st.sampled_from(PATTERNS), st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=2))),
    st.builds(_leaf, st.sampled_from(KEYS), st.sampled_from(["semver_lt", "semver_gte", "gt"]),
              st.sampled_from(VERSIONS)),
)
groups = st.recursive(
    leaves,
    lambda inner: st.builds(lambda t, v: {"type": t, "values": v}, st.sampled_from(["AND", "AND", "OR"]),
                            st.lists(inner, max_size=3)),
    max_leaves=5,
).map(lambda f: f if "values" in f else {"type": "AND", "values": [f]})
ARRAY = st.lists(st.one_of(VALUES, st.none()), max_size=3)
events = st.fixed_dictionaries({}, optional={
    "$exception_types": st.one_of(ARRAY, ARRAY.map(json.dumps), st.none(), st.sampled_from(WORDS)),
    "$exception_values": ARRAY, "a": st.one_of(VALUES, st.none(), ARRAY), "b": VALUES,
})


def _first(predicates, positions, props):
    return next((i for i in positions if predicates[i]({"properties": props})), None)


@settings(max_examples=500, deadline=None)
@given(st.lists(groups, min_size=1, max_size=10), st.lists(events, min_size=1, max_size=5))
def test_candidates_give_the_same_first_match(rules, samples):
    parsed = [parse_filters(r) for r in rules]
    predicates = [compile_filters(p) for p in parsed]
    index = RuleIndex(gates(parsed))
    for props in samples:
        candidates = list(index.candidates(props))
        assert candidates == sorted(set(candidates))
        assert _first(predicates, candidates, props) == _first(predicates, range(len(rules)), props)


# Pieces of RE2 syntax (literals, escapes, classes, groups, flags, quantifiers, anchors,
# alternation) and texts over the same characters.
TOKENS = ["a", "b", "ab", "A", ".", "\\.", "\\d", "\\w", "\\b", "\\Q.a\\E", "\\Q\\E", "[ab]", "[^a]", "(a)", "(?:ab)",
          "(?i)", "(?i:a)", "?", "*", "+", "{2}", "{1,2}", "??", "|", "$", "^", "\\^", "\\$", "1", " ", "é",
          "\\x61", "\\pL"]
TEXTS = st.text(alphabet="abAB.1 é^$\n", max_size=8)


@st.composite
def patterns(draw):
    body = "".join(draw(st.lists(st.sampled_from(TOKENS), max_size=6)))
    return ("^" if draw(st.booleans()) else "") + body


@settings(max_examples=1500, deadline=None)
@given(patterns(), st.lists(TEXTS, min_size=1, max_size=6))
def test_a_matched_text_holds_the_required_literal(pattern, texts):
    try:
        found = searcher(compile_pattern(pattern))
    except ValueError:
        return  # RE2 refuses it: no rule can hold it
    required = required_literal(pattern)
    for text in texts + [text + "ab" for text in texts]:
        if required is not None and found(text):
            literal, anchored = required
            assert text.startswith(literal) if anchored else literal in text, (pattern, text)


def test_required_literals():
    assert required_literal("^https://app\\.example\\.com/") == ("https://app.example.com/", True)
    assert required_literal("Timeout \\d+ms") == ("Timeout ", False)
    assert required_literal("^abc?d") == ("ab", True)  # c is optional
    assert required_literal("ab{2}") == ("a", False)
    assert required_literal("a(?i)?") is None  # the ? quantifies the a (hypothesis found it)
    assert required_literal("a\\Q\\E?") is None  # so does this one
    assert required_literal("abc$") == ("abc", False)
    assert required_literal("\\.min\\.js") == (".min.js", False)
    for pattern in ["abc|x", "(?i)abc", "^(a)bc", "\\Qabc\\E", "\\x61bc", "^", "", ".*", "[a]bc", "a*bc"]:
        assert required_literal(pattern) is None, pattern


def test_which_gate_each_rule_gets():
    def gate_of(*values, others=()):
        parsed = [parse_filters(f) for f in ({"type": "AND", "values": list(values)}, *others)]
        return gates(parsed)[0]

    types = _leaf("$exception_types", "exact", ["TypeError", "Error"])
    url = _leaf("$current_url", "regex", "^https://app\\.")
    version = _leaf("$lib_version", "semver_lt", "1.100.0")
    assert gate_of(url, types) == Exact("$exception_types", frozenset({"TypeError", "Error"}))
    assert gate_of({"type": "AND", "values": [{"type": "AND", "values": [types]}]}) == gate_of(types)
    assert gate_of(version, url) == Literal("$current_url", "https://app.", True)
    assert gate_of(version) is None  # shared by no other rule
    shared = gate_of(version, others=[{"type": "AND", "values": [version, url]}])
    assert isinstance(shared, Shared) and shared.leaf.operator == "semver_lt"
    assert gate_of({**types, "value": ["TypeError", "1"]}) is None  # "1" == 1
    assert gate_of({**types, "value": "TRUE"}) is None  # "true" == True
    assert gate_of({**types, "operator": "is_not"}) is None
    assert gate_of({**url, "operator": "not_regex"}) is None
    assert gate_of(_leaf("x", "exact", "a", kind="person")) is None  # not the event's properties
    parsed = parse_filters({"type": "OR", "values": [types, types]})
    assert gates([parsed]) == [None]


def test_candidates():
    types = Exact("$exception_types", frozenset({"TypeError", "Error"}))
    url = Literal("$current_url", "https://app.", True)
    message = Literal("$exception_values", "Timeout", False)
    index = RuleIndex([types, None, url, message])
    assert list(index.candidates({"$exception_types": ["RangeError"]})) == [1]
    assert list(index.candidates({"$exception_types": '["Error"]'})) == [0, 1]
    assert list(index.candidates({"$exception_types": [False]})) == [0, 1]  # false == "Error"
    assert list(index.candidates({"$current_url": "https://app.example.com/x"})) == [1, 2]
    assert list(index.candidates({"$current_url": "http://https://app."})) == [1]
    assert list(index.candidates({"$exception_values": ["x", "a Timeout!"]})) == [1, 3]
