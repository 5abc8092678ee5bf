"""Which rules an event can match, found without running them all.

Most rules hold an AND-ed ``exact`` condition on a property (``$exception_types`` is
``TypeError``). ``RuleIndex`` files such rules under (key, value): for an event it looks up
the event's value(s) of each filed key and hands back those rules plus every rule it could
not file, in ``order_key`` order, so the first match is the same as running all of them.
A filed rule is only skipped when its condition certainly fails, and then the rule as a
whole fails too (AND); the one difference is that such an event no longer reaches a later
leaf that would raise and disable the rule (the next event that passes the condition does).

A leaf is filed only when equality cannot coerce: string values that are not numbers nor
``true``/``false`` (HogVM compares those across types), read from ``properties``. A
boolean property value still equals such strings (``false`` equals every string but
"true"), so an event with one gets every rule filed under that key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from .filters import ARRAY_PROPERTIES, FilterGroup, FilterLeaf
from .operators import to_number

_EXACT = ("exact", "in", "is_cleaned_path_exact")


def _plain(value: Any) -> bool:
    return isinstance(value, str) and to_number(value) is None and value.lower() not in ("true", "false")


def condition(group: FilterGroup | None) -> tuple[str, frozenset[str]] | None:
    """(key, values) of an AND-ed exact leaf every match of ``group`` passes, if any."""
    if group is None or (group.type != "AND" and len(group.values) != 1):
        return None
    for node in group.values:
        found = condition(node) if isinstance(node, FilterGroup) else _leaf(node)
        if found is not None:
            return found
    return None


def _leaf(leaf: FilterLeaf) -> tuple[str, frozenset[str]] | None:
    if leaf.type not in ("event", "error_tracking_issue") or leaf.operator not in _EXACT:
        return None
    values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
    if not values or not all(_plain(v) for v in values):
        return None
    return leaf.key, frozenset(values)


class RuleIndex:
    """Positions (in order) of the rules an event may match, given each rule's condition."""

    def __init__(self, conditions: Sequence[tuple[str, frozenset[str]] | None]) -> None:
        self.size = len(conditions)
        self._always = [i for i, c in enumerate(conditions) if c is None]
        self._by_key: dict[str, dict[str, list[int]]] = {}
        self._filed: dict[str, list[int]] = {}
        for i, found in enumerate(conditions):
            if found is not None:
                key, values = found
                self._filed.setdefault(key, []).append(i)
                for value in values:
                    self._by_key.setdefault(key, {}).setdefault(value, []).append(i)

    def candidates(self, props: Mapping[str, Any]) -> Sequence[int]:
        if not self._by_key:
            return range(self.size)
        found: set[int] = set()
        for key, by_value in self._by_key.items():
            for value in _values(key, props.get(key)):
                if isinstance(value, bool):
                    found.update(self._filed[key])
                elif isinstance(value, str) and (hit := by_value.get(value)):
                    found.update(hit)
        if not found:
            return self._always
        found.update(self._always)
        return sorted(found)


def _values(key: str, value: Any) -> Sequence[Any]:
    """The values an exact leaf compares: an array property's elements, else the value."""
    if key not in ARRAY_PROPERTIES:
        return (value,)
    if isinstance(value, str):  # a JSON string of an array, as filters reads it
        try:
            value = json.loads(value)
        except ValueError:
            return ()
    return value if isinstance(value, list) else ()


__all__ = ["RuleIndex", "condition"]
