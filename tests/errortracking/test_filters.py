"""Property filters: validation (PostHog's details), each operator, arrays, missing values,
globals, bounded regexes, relative dates counted from the moment of evaluation."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from symbols.errortracking import operators
from symbols.errortracking.filters import (
    MAX_DEPTH,
    MAX_LEAVES,
    MAX_VALUE_CHARS,
    InvalidFilters,
    RuleEvaluationError,
    compile_filters,
    parse_filters,
)


def leaf(key, operator="exact", value=None, type="event", **extra):
    out = {"key": key, "type": type, **extra}
    if operator is not None:
        out["operator"] = operator
    if value is not None:
        out["value"] = value
    return out


def check(filters, props, **globals_):
    return compile_filters(parse_filters(filters))({"properties": props, **globals_})


def one(props, *args, **kwargs):
    return check({"type": "AND", "values": [leaf(*args, **kwargs)]}, props)


@pytest.mark.parametrize("bad", [
    None, 1, "x", [], {"not": "valid"}, {"type": "AND"}, {"type": "XOR", "values": []},
    {"type": "NOT_A_VALID_OPERATOR", "values": [{"key": "x"}]},
    {"type": "AND", "values": [leaf("x", "not_an_operator", "a")]},
    {"type": "AND", "values": ["x"]},
    {"type": "AND", "values": [{"type": "AND"}]},
    {"type": "AND", "values": [{"key": 3, "value": "a"}]},
    {"type": "AND", "values": [leaf("x", "exact", {"nested": 1})]},
    {"type": "AND", "values": [leaf("x", "exact", [["a"]])]},
    {"type": "AND", "values": [leaf("x", "exact", float("nan"))]},
])
def test_invalid_payloads_get_posthogs_detail(bad):
    with pytest.raises(InvalidFilters) as info:
        parse_filters(bad)
    assert info.value.detail == "Invalid filters payload."


@pytest.mark.parametrize("bad, detail", [
    (leaf("x", "regex", "(a)\\1"), ("Invalid regular expression '(a)\\\\1': invalid escape "
                                   "sequence: \\1")),
    (leaf("x", "flag_evaluates_to", "a"), ("Unsupported operator 'flag_evaluates_to': feature "
                                          "flags are not part of this service.")),
    (leaf("x", "in", "a"), "in needs a list of values."),
    (leaf("x", "between", [5, 1]), "between needs min to be less than or equal to max."),
    (leaf("x", "between", ["a", 1]), "between needs numeric values."),
    (leaf("x", "not_between", [1]), "not_between needs a two-element array [min, max]."),
    (leaf("x", "semver_gt", "latest"), "semver_gt needs a version such as '1.2.3', not 'latest'."),
    (leaf("x", "is_date_after", "-7x"), "Date filters need an ISO 8601 date, not '-7x'."),
    (leaf("x", "is_date_after", "-10000d"), "Date filters need an ISO 8601 date, not '-10000d'."),
    (leaf("x", "is_date_after", "- 7d"), "Date filters need an ISO 8601 date, not '- 7d'."),
    (leaf("x", "is_date_before", "-9999y"), "Date filters reach before year 1."),
    (leaf("x", "exact"), "Operator 'exact' needs a value."),
    (leaf("x", "exact", "a", type="cohort"), "Unsupported filter type 'cohort'."),
])
def test_refused_leaves_say_why(bad, detail):
    with pytest.raises(InvalidFilters) as info:
        parse_filters({"type": "OR", "values": [bad]})
    assert info.value.detail == detail


def test_bounds_are_enforced():
    nested = {"type": "AND", "values": []}
    for _ in range(MAX_DEPTH):
        nested = {"type": "AND", "values": [nested]}
    with pytest.raises(InvalidFilters, match="nest deeper"):
        parse_filters(nested)
    with pytest.raises(InvalidFilters, match="more than"):
        parse_filters({"type": "OR", "values": [leaf("x", "exact", "a")] * (MAX_LEAVES + 1)})
    with pytest.raises(InvalidFilters, match="longer than"):
        parse_filters({"type": "OR", "values": [leaf("x", "exact", "a" * (MAX_VALUE_CHARS + 1))]})
    parse_filters({"type": "OR", "values": [leaf("x", "exact", "a")] * MAX_LEAVES})


def test_empty_groups_and_empty_leaves_match_everything():
    assert check({"type": "AND", "values": []}, {})
    assert check({"type": "OR", "values": []}, {})
    assert check({"type": "AND", "values": [{"type": "AND", "values": []}]}, {})
    assert check({"type": "AND", "values": [{"type": "empty"}]}, {})
    assert one({}, "x", "exact", [])


def test_posthog_test_example_nested_exact_list():
    filters = {"type": "AND", "values": [{"type": "AND", "values": [
        {"key": "$exception_type", "type": "event", "value": ["TypeError"], "operator": "exact"}]}]}
    assert check(filters, {"$exception_type": "TypeError"})
    assert not check(filters, {"$exception_type": "RangeError"})
    assert not check(filters, {})


def test_operator_defaults_to_exact_and_type_to_event():
    assert check({"type": "AND", "values": [{"key": "a", "value": "x"}]}, {"a": "x"})
    assert not check({"type": "AND", "values": [{"key": "a", "value": "x"}]}, {"a": "y"})


def test_or_and_nesting():
    filters = {"type": "OR", "values": [
        {"type": "AND", "values": [leaf("a", "exact", "1"), leaf("b", "exact", "2")]},
        leaf("c", "is_set"),
    ]}
    assert check(filters, {"a": "1", "b": "2"})
    assert not check(filters, {"a": "1", "b": "3"})
    assert check(filters, {"c": 0})


@pytest.mark.parametrize("op, value, x, expected", [
    ("exact", "a", "a", True), ("exact", "a", "A", False), ("exact", "1", 1, True),
    ("exact", 1, "1.0", True), ("exact", 1, True, True), ("exact", True, True, True),
    ("exact", "true", "TRUE", False), ("exact", False, "false", True), ("exact", "a", None, False),
    ("exact", ["a", "b"], "b", True), ("exact", ["a", "b"], "c", False),
    ("is_not", "a", "b", True), ("is_not", "a", "a", False), ("is_not", "a", None, True),
    ("is_not", ["a", "b"], "a", False), ("is_not", ["a", "b"], "c", True),
    ("in", ["a"], "a", True), ("in", [1, 2], "2", True), ("not_in", [1, 2], 3, True),
    ("not_in", [1, 2], None, True), ("in", [1, 2], None, False),
    ("icontains", "LOOP", "ResizeObserver loop", True), ("icontains", "x", None, False),
    ("icontains", "a_c", "abc", True), ("icontains", "a%d", "abcd", True),
    ("icontains", "a_c", "ac", False), ("icontains", 12, 3120, True),
    ("icontains", ["zz", "OBS"], "observer", True), ("icontains", ["zz", "yy"], "obs", False),
    ("not_icontains", "loop", "a LOOP", False), ("not_icontains", "loop", None, True),
    ("not_icontains", ["a", "b"], "cb", False), ("not_icontains", ["a", "b"], "cd", True),
    ("icontains_multi", ["a", "b"], "xb", True), ("not_icontains_multi", "a", "b", True),
    ("regex", "^Res.*loop$", "ResizeObserver loop", True), ("regex", "loop", "LOOP", False),
    ("regex", "(?i)loop", "LOOP", True), ("regex", "a", None, False),
    ("regex", ["^a", "^b"], "bc", True), ("regex", "^1", 12, True),
    ("not_regex", "a", None, True), ("not_regex", "a", "ba", False),
    ("not_regex", ["a", "b"], "b", False), ("not_regex", ["a", "b"], "c", True),
    ("gt", 10, 11, True), ("gt", 10, "11", True), ("gt", 10, "9", False), ("gt", "10", 9.5, False),
    ("gt", 10, None, False), ("gt", 10, "abc", False), ("gt", 0, True, False),
    ("gte", 10, 10, True), ("lt", 10, 9, True), ("lte", 10, 10.0, True), ("lt", 10, None, False),
    ("gt", "b", "c", True), ("gt", "b", "a", False), ("lt", "b", 1, False),
    ("min", 3, 3, True), ("max", 3, 4, False),
    ("gt", [10, 20], 15, True), ("gt", [10, 20], 5, False),
    ("between", [1, 3], 2, True), ("between", [1, 3], "3", True), ("between", [1, 3], 4, False),
    ("between", [1, 3], None, False), ("not_between", [1, 3], 4, True),
    ("not_between", [1, 3], 2, False), ("not_between", [1, 3], None, False),
    ("is_set", None, "", True), ("is_set", None, None, False), ("is_set", "ignored", 0, True),
    ("is_not_set", None, None, True), ("is_not_set", None, False, False),
    ("is_date_exact", "2024-05-01T10:00:00Z", "2024-05-01 10:00:00", True),
    ("is_date_exact", "2024-05-01", "2024-05-01T00:00:00+00:00", True),
    ("is_date_before", "2024-05-01", "2024-04-30T23:59:59Z", True),
    ("is_date_before", "2024-05-01", "2024-05-01T02:00:00+03:00", True),
    ("is_date_after", "2024-05-01", 1714521600 + 1, True),
    ("is_date_after", "2024-05-01", "not a date", False), ("is_date_after", "2024-05-01", None,
                                                           False),
    ("semver_eq", "1.2", "v1.2.0", True), ("semver_eq", "1.2.3", "1.2.3-beta.1", True),
    ("semver_neq", "1.2.3", "1.2.4", True), ("semver_neq", "1.2.3", None, False),
    ("semver_gt", "1.9.0", "1.10.0", True), ("semver_gte", "1.2.3", "1.2.3", True),
    ("semver_lt", "2.0.0", "1.99.99", True), ("semver_lte", "2.0.0", "2.0.1", False),
    ("semver_gt", "1.0.0", "banana", False),
    ("semver_tilde", "1.2.3", "1.2.9", True), ("semver_tilde", "1.2.3", "1.3.0", False),
    ("semver_tilde", "1", "1.9.9", True), ("semver_tilde", "1.2.3", "1.2.2", False),
    ("semver_caret", "1.2.3", "1.9.0", True), ("semver_caret", "1.2.3", "2.0.0", False),
    ("semver_caret", "0.2.3", "0.2.9", True), ("semver_caret", "0.2.3", "0.3.0", False),
    ("semver_caret", "0.0.3", "0.0.3", True), ("semver_caret", "0.0.3", "0.0.4", False),
    ("semver_wildcard", "1.*", "1.99.0", True), ("semver_wildcard", "1.2.*", "1.3.0", False),
    ("semver_wildcard", "1.2.3.*", "1.2.3.7", True), ("semver_wildcard", "1.2.3.*", "1.2.4",
                                                      False),
    ("is_cleaned_path_exact", "/a", "/a", True),
])
def test_scalar_operators(op, value, x, expected):
    props = {} if x is None else {"p": x}
    assert one(props, "p", op, value) is expected
    if x is None:  # a JSON null behaves as a missing key
        assert one({"p": None}, "p", op, value) is expected


@pytest.mark.parametrize("op, value, elements, expected", [
    ("exact", "Error", ["TypeError", "Error"], True), ("exact", "Error", ["TypeError"], False),
    ("exact", ["A", "B"], ["C", "B"], True), ("exact", ["A", "B"], ["C"], False),
    ("is_not", "Error", ["Error", "TypeError"], True),  # some element differs
    ("is_not", "Error", ["Error", "Error"], False), ("is_not", "Error", [], False),
    ("is_not", ["A", "B"], ["A", "B"], False), ("is_not", ["A", "B"], ["A", "C"], True),
    ("icontains", "loop", ["x", "ResizeObserver LOOP"], True),
    ("not_icontains", "loop", ["loop", "other"], True),
    ("not_icontains", "loop", ["a loop"], False),
    ("not_regex", "^Type", ["TypeError", "RangeError"], True),
    ("not_regex", "^Type", ["TypeError"], False),
    ("regex", "^Range", ["TypeError", "RangeError"], True),
    ("is_set", None, ["a"], True), ("is_set", None, [], False),
    ("is_not_set", None, ["a"], False),
])
def test_exception_arrays_apply_per_element(op, value, elements, expected):
    assert one({"$exception_types": elements}, "$exception_types", op, value) is expected
    # Materialised columns hold the array as a JSON string; PostHog JSONExtracts it.
    assert one({"$exception_types": json.dumps(elements)}, "$exception_types", op,
               value) is expected


def test_missing_exception_array_matches_nothing_even_when_negated():
    for op in ("exact", "is_not", "not_icontains", "not_regex"):
        assert not one({}, "$exception_values", op, "x")
        assert not one({"$exception_values": "not json"}, "$exception_values", op, "x")


def test_suppression_skill_example():
    filters = {"type": "AND", "values": [
        {"type": "event", "key": "$exception_types", "operator": "exact", "value": "Error"},
        {"type": "event", "key": "$exception_values", "operator": "icontains",
         "value": "ResizeObserver loop"}]}
    props = {"$exception_types": ["Error"],
             "$exception_values": ["ResizeObserver loop completed with undelivered notifications"]}
    assert check(filters, props)
    assert not check(filters, {**props, "$exception_types": ["TypeError"]})


def test_person_and_group_filters_raise_unknown_global_with_props():
    for filters in ({"type": "AND", "values": [leaf("email", "exact", "a", type="person")]},
                    {"type": "AND", "values": [leaf("name", "is_set", type="group",
                                                    group_type_index=0)]}):
        predicate = compile_filters(parse_filters(filters))
        with pytest.raises(RuleEvaluationError) as info:
            predicate({"properties": {"$exception_types": ["Error"]}})
        assert info.value.message.startswith("Unknown global: ")
        assert info.value.props == {"$exception_types": ["Error"]}


def test_issue_filters_read_properties_like_posthogs_hogql():
    filters = {"type": "AND", "values": [leaf("status", "exact", "active",
                                              type="error_tracking_issue")]}
    predicate = compile_filters(parse_filters(filters))
    issue = {"status": "resolved", "name": "TypeError", "description": None}
    assert predicate({"properties": {"status": "active"}, "issue": issue})
    assert not predicate({"properties": {}, "issue": issue})


def test_bad_globals_raise_rule_evaluation_error():
    predicate = compile_filters(parse_filters({"type": "AND", "values": [leaf("a", "is_set")]}))
    with pytest.raises(RuleEvaluationError, match="Unknown global: properties"):
        predicate({})
    with pytest.raises(RuleEvaluationError):
        predicate(None)
    assert predicate({"properties": ["not", "a", "dict"]}) is False


def test_pathological_regex_is_linear():
    # A backtracking engine needs ~2^40 steps here; RE2 answers at once.
    assert not one({"p": "a" * 40 + "!"}, "p", "regex", "^(a+)+$")
    assert one({"p": "a" * 100_000}, "p", "regex", "^(a|aa)*$")


def test_compiled_once_and_reused():
    predicate = compile_filters(parse_filters(
        {"type": "OR", "values": [leaf("p", "regex", "^x\\d+$"), leaf("q", "gt", 3)]}))
    results = [predicate({"properties": {"p": f"x{i}" if i % 2 else "y", "q": i % 5}})
               for i in range(10)]
    assert results == [False, True, False, True, True, True, False, True, False, True]


NOW = datetime(2024, 3, 31, 12, 0, 0, 500_000, tzinfo=UTC)


def ago(**delta) -> str:
    return (NOW - timedelta(**delta)).isoformat()


@pytest.mark.parametrize("op, value, x, expected", [
    ("is_date_after", "-7d", ago(days=6), True), ("is_date_after", "-7d", ago(days=8), False),
    ("is_date_after", "7d", ago(days=6), True),  # the sign is optional: always before now
    ("is_date_before", "-24h", ago(hours=25), True), ("is_date_before", "-24h", ago(hours=23), False),
    ("is_date_after", "-2w", ago(days=13), True), ("is_date_after", "-2w", ago(days=15), False),
    ("is_date_exact", "-1h", ago(hours=1), True),  # to the second
    ("is_date_exact", "-1h", ago(hours=1, seconds=1), False),
    # Calendar months and years; 31 March - 1 month is 29 February (a leap year).
    ("is_date_exact", "-1m", "2024-02-29T12:00:00Z", True),
    ("is_date_after", "-1m", "2024-02-29T12:00:01Z", True),
    ("is_date_before", "-13m", "2023-02-28T11:59:59Z", True),
    ("is_date_exact", "-1y", "2023-03-31T12:00:00Z", True),
    ("is_date_after", "-1y", int((NOW - timedelta(days=300)).timestamp()), True),
    ("is_date_after", "-1y", "not a date", False), ("is_date_after", "-1y", None, False),
])
def test_relative_dates(monkeypatch, op, value, x, expected):
    monkeypatch.setattr(operators, "utc_now", lambda: NOW)
    assert one({"p": x}, "p", op, value) is expected


def test_relative_dates_move_with_the_clock(monkeypatch):
    clock = [NOW]
    monkeypatch.setattr(operators, "utc_now", lambda: clock[0])
    predicate = compile_filters(parse_filters({"type": "AND", "values": [leaf("p", "is_date_after", "-1h")]}))
    seen = {"properties": {"p": ago(minutes=30)}}
    assert predicate(seen) is True
    clock[0] = NOW + timedelta(hours=1)  # compiled once; an hour later the same event is too old
    assert predicate(seen) is False
