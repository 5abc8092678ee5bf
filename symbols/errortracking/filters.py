"""PostHog property filters (`PropertyGroupFilterValue`): validated once, compiled once.

`parse_filters(json)` checks a rule's `filters` and returns a `FilterGroup`;
`compile_filters(group)` turns it into a tree of closures, `predicate(globals) -> bool`, so
an event never re-reads the JSON. Globals are `{"properties": {...}}` (suppression, grouping)
plus `{"issue": {...}}` (assignment).

Leaf types: `event` and `error_tracking_issue` read `properties` (PostHog's HogQL maps both
there); `person`, `group` and `session` read globals the pipeline never has, so evaluating
them raises `RuleEvaluationError` (HogVM's UnknownGlobal: the rule gets disabled); `empty`
matches everything. Other types (cohort, hogql, element, ...) are refused when saved.
`$exception_types`, `$exception_values`, `$exception_sources` and `$exception_functions` are
arrays: the leaf holds when some element passes (`arrayExists`), so `is_not` means "some
element differs". Operator semantics are in `operators.py`.

Bounds (a `filters` body comes from the network): groups nest at most `MAX_DEPTH` deep, at
most `MAX_LEAVES` leaves in all, at most `MAX_VALUES` values in a leaf, keys up to
`MAX_KEY_CHARS` characters and string values (regex patterns too) up to `MAX_VALUE_CHARS`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from symbols.errortracking import operators

MAX_DEPTH = 8
MAX_LEAVES = 100
MAX_VALUES = 100
MAX_KEY_CHARS = 400
MAX_VALUE_CHARS = 2000

INVALID = "Invalid filters payload."

# PostHog's PropertyOperator enum.
OPERATORS = frozenset({
    "exact", "is_not", "icontains", "not_icontains", "regex", "not_regex", "gt", "gte", "lt",
    "lte", "is_set", "is_not_set", "is_date_exact", "is_date_before", "is_date_after",
    "between", "not_between", "min", "max", "in", "not_in", "is_cleaned_path_exact",
    "flag_evaluates_to", "semver_eq", "semver_neq", "semver_gt", "semver_gte", "semver_lt",
    "semver_lte", "semver_tilde", "semver_caret", "semver_wildcard", "icontains_multi",
    "not_icontains_multi",
})
ARRAY_PROPERTIES = frozenset({"$exception_types", "$exception_values", "$exception_sources",
                              "$exception_functions"})
# Leaf type -> the global it reads (the first link of HogQL's field chain).
GLOBALS = {"event": "properties", "error_tracking_issue": "properties", "person": "person",
           "group": "group", "session": "session"}

Predicate = Callable[[Mapping[str, Any]], bool]


class InvalidFilters(ValueError):
    """A `filters` value PostHog would refuse; `detail` is PostHog's wording where it has one."""

    def __init__(self, detail: str = INVALID) -> None:
        super().__init__(detail)
        self.detail = detail


class RuleEvaluationError(Exception):
    """A rule failed on an event; the caller stores `disabled_data {message, props}`."""

    def __init__(self, message: str, props: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.props = dict(props or {})


@dataclass(frozen=True)
class FilterLeaf:
    type: str
    key: str = ""
    operator: str = "exact"
    value: Any = None


@dataclass(frozen=True)
class FilterGroup:
    type: str  # "AND" | "OR"
    values: tuple[FilterGroup | FilterLeaf, ...] = ()


def parse_filters(value: Any) -> FilterGroup:
    """Validate a `PropertyGroupFilterValue`; raise `InvalidFilters` when PostHog would."""
    leaves = [0]
    group = _group(value, 1, leaves)
    if group is None:
        raise InvalidFilters()
    return group


def _group(value: Any, depth: int, leaves: list[int]) -> FilterGroup | None:
    if not isinstance(value, dict) or value.get("type") not in ("AND", "OR"):
        return None
    items = value.get("values")
    if not isinstance(items, list):
        return None
    if depth > MAX_DEPTH:
        raise InvalidFilters(f"Filters nest deeper than {MAX_DEPTH} groups.")
    parsed: list[FilterGroup | FilterLeaf] = []
    for item in items:
        if not isinstance(item, dict):
            raise InvalidFilters()
        sub = _group(item, depth + 1, leaves) if "values" in item else None
        parsed.append(sub if sub is not None else _leaf(item, leaves))
    return FilterGroup(value["type"], tuple(parsed))


def _leaf(item: dict, leaves: list[int]) -> FilterLeaf:
    leaves[0] += 1
    if leaves[0] > MAX_LEAVES:
        raise InvalidFilters(f"Filters have more than {MAX_LEAVES} conditions.")
    kind = item.get("type", "event")
    if kind == "empty":
        return FilterLeaf("empty")
    if not isinstance(kind, str) or "values" in item or kind in ("AND", "OR"):
        raise InvalidFilters()
    if kind not in GLOBALS:
        raise InvalidFilters(f"Unsupported filter type {kind[:40]!r}.")
    key, op, value = item.get("key"), item.get("operator") or "exact", item.get("value")
    if not isinstance(key, str) or not isinstance(op, str) or op not in OPERATORS:
        raise InvalidFilters()
    if len(key) > MAX_KEY_CHARS:
        raise InvalidFilters(f"A filter key is longer than {MAX_KEY_CHARS} characters.")
    _check_value(value)
    if value is None and op not in ("is_set", "is_not_set"):
        raise InvalidFilters(f"Operator {op!r} needs a value.")
    if kind == "group":
        index = item.get("group_type_index")
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= 4:
            raise InvalidFilters()
        kind = f"group_{index}"
    leaf = FilterLeaf(kind, key, op, tuple(value) if isinstance(value, list) else value)
    try:
        _compile_leaf(leaf)  # refuse at save time what could not compile at load time
    except ValueError as exc:
        raise InvalidFilters(str(exc)) from None
    return leaf


def _check_value(value: Any) -> None:
    items = value if isinstance(value, list) else [value]
    if len(items) > MAX_VALUES:
        raise InvalidFilters(f"A filter has more than {MAX_VALUES} values.")
    for v in items:
        if isinstance(v, str):
            if len(v) > MAX_VALUE_CHARS:
                raise InvalidFilters(f"A filter value is longer than {MAX_VALUE_CHARS} characters.")
        elif not _scalar_ok(v, in_list=isinstance(value, list)):
            raise InvalidFilters()


def _scalar_ok(v: Any, *, in_list: bool) -> bool:
    if v is None:
        return not in_list
    if isinstance(v, float):
        return math.isfinite(v)
    return isinstance(v, (bool, int))


def compile_filters(group: FilterGroup) -> Predicate:
    """Build the closure tree once; the predicate raises `RuleEvaluationError` on a runtime
    fault (a global the event does not have, a value of the wrong shape)."""
    tree = _compile(group)

    def predicate(globals_: Mapping[str, Any]) -> bool:
        try:
            return tree(globals_)
        except RuleEvaluationError as exc:
            raise RuleEvaluationError(exc.message, _props(globals_)) from None
        except (TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise RuleEvaluationError(f"{type(exc).__name__}: {exc}", _props(globals_)) from None
    return predicate


def _props(globals_: Any) -> Mapping[str, Any]:
    props = globals_.get("properties") if isinstance(globals_, Mapping) else None
    return props if isinstance(props, Mapping) else {}


def _compile(node: FilterGroup | FilterLeaf) -> Predicate:
    if isinstance(node, FilterLeaf):
        return _compile_leaf(node)
    children = [_compile(child) for child in node.values]
    return _combine(children, node.type == "AND")


def _combine(children: list[Predicate], conjunction: bool) -> Predicate:
    if not children:
        return lambda g: True
    if len(children) == 1:
        return children[0]
    if conjunction:
        def all_of(g: Mapping[str, Any]) -> bool:
            for child in children:
                if not child(g):
                    return False
            return True
        return all_of

    def any_of(g: Mapping[str, Any]) -> bool:
        for child in children:
            if child(g):
                return True
        return False
    return any_of


def _compile_leaf(leaf: FilterLeaf) -> Predicate:
    if leaf.type == "empty" or (isinstance(leaf.value, tuple) and not leaf.value):
        return lambda g: True
    value = leaf.value
    if isinstance(value, tuple) and len(value) == 1 and leaf.operator not in \
            operators.RANGE_OPERATORS | {"in", "not_in", "icontains_multi", "not_icontains_multi"}:
        value = value[0]
    if isinstance(value, tuple) and leaf.operator not in operators.RANGE_OPERATORS | \
            operators.TUPLE_OPERATORS | operators.MULTI_OPERATORS:
        # Several values of another operator: one leaf each, OR-ed (AND-ed when negative).
        parts = [_compile_leaf(FilterLeaf(leaf.type, leaf.key, leaf.operator, v)) for v in value]
        return _combine(parts, leaf.operator in operators.NEGATIVE)
    return _read(leaf, operators.build_test(leaf.operator, _as_list(value)))


def _as_list(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _read(leaf: FilterLeaf, test: operators.Test) -> Predicate:
    """Fetch the leaf's property from its global and apply the test (per element for arrays)."""
    scope, key = GLOBALS.get(leaf.type, leaf.type), leaf.key  # group_N is its own global

    def lookup(g: Mapping[str, Any]) -> Any:
        try:
            found = g[scope]
        except KeyError:
            raise RuleEvaluationError(f"Unknown global: {scope}") from None
        return found.get(key) if isinstance(found, Mapping) else None

    if leaf.type in ("event", "error_tracking_issue") and key in ARRAY_PROPERTIES:
        def some_element(g: Mapping[str, Any]) -> bool:
            for element in _elements(lookup(g)):
                if test(element):
                    return True
            return False
        return some_element
    return lambda g: test(lookup(g))


def _elements(value: Any) -> list[Any]:
    """JSONExtract(ifNull(value, ''), 'Array(String)'): a list, or a JSON string of one."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return value if isinstance(value, list) else []
