"""Which rules an event can match, found without running them all.

Each rule gets at most one gate: a leaf AND-ed into its filter that reads ``properties``, so
the rule cannot match an event that fails it. ``RuleIndex`` rules out many gated rules at a
time and hands back the rest plus every ungated rule, in ``order_key`` order, so the first
match is the same as running all of them. Gates, best first:

- ``exact``/``in`` on plain strings: filed under (key, value); the event's value(s) of the
  key are looked up. Only strings that equality cannot coerce are filed (not numbers, not
  ``true``/``false``: HogVM compares those across types); a boolean property value still
  equals such strings (``false`` equals every string but "true"), so an event with one gets
  every rule filed under that key.
- ``regex`` whose every match holds a literal (``^https://app\\.`` starts with
  "https://app.", ``Timeout \\d+`` contains "Timeout "): filed under the literal; the text is
  looked up by prefix or searched for it, and the regex itself runs later, in the rule.
- any other leaf that several rules of the list share: evaluated once per event for all.

A gated rule is only skipped when its gate certainly fails; the one difference from running
it is that such an event no longer reaches another leaf that would raise and disable the
rule (the next event that passes the gate does).
"""

from __future__ import annotations

import json
import re
import string
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .filters import (
    ARRAY_PROPERTIES,
    FilterGroup,
    FilterLeaf,
    Predicate,
    RuleEvaluationError,
    compile_filters,
)
from .operators import to_number, to_string

_EXACT = ("exact", "in", "is_cleaned_path_exact")
_READS_PROPERTIES = ("event", "error_tracking_issue")
_META = frozenset("\\^$.|?*+()[]{}")
_QUANTIFIERS = frozenset("?*+{")
_LITERAL_ESCAPES = frozenset(string.punctuation)  # RE2: an escaped non-word character is itself
# A flag group such as (?i) matches nothing, so a quantifier after it applies to what precedes it.
_FLAG_GROUP = re.compile(r"\(\?[A-Za-z-]*\)")


@dataclass(frozen=True)
class Exact:
    key: str
    values: frozenset[str]


@dataclass(frozen=True)
class Literal:
    key: str
    text: str
    anchored: bool  # the text starts with it (``^`` first), else contains it


@dataclass(frozen=True)
class Shared:
    leaf: FilterLeaf


Gate = Exact | Literal | Shared


def gates(groups: Sequence[FilterGroup | None]) -> list[Gate | None]:
    """Each rule's gate (None: the rule runs on every event), for one ordered list of rules."""
    leaves = [list(_anded(g)) for g in groups]
    shared = Counter(leaf for found in leaves for leaf in set(found))
    return [_best(found, shared) for found in leaves]


def _anded(group: FilterGroup | None) -> Iterator[FilterLeaf]:
    """The leaves reading ``properties`` that every match of ``group`` passes, normalised."""
    if group is None or (group.type != "AND" and len(group.values) != 1):
        return
    for node in group.values:
        if isinstance(node, FilterGroup):
            yield from _anded(node)
        elif node.type in _READS_PROPERTIES:
            yield replace(node, type="event")  # both read the same properties


def _best(leaves: list[FilterLeaf], shared: Counter[FilterLeaf]) -> Gate | None:
    for leaf in leaves:
        if (gate := _exact(leaf)) is not None:
            return gate
    for leaf in leaves:
        if (gate := _literal(leaf)) is not None:
            return gate
    common = max(leaves, key=lambda leaf: shared[leaf], default=None)
    return Shared(common) if common is not None and shared[common] > 1 else None


def _exact(leaf: FilterLeaf) -> Exact | None:
    if leaf.operator not in _EXACT:
        return None
    values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
    if not values or not all(_plain(v) for v in values):
        return None
    return Exact(leaf.key, frozenset(values))


def _plain(value: Any) -> bool:
    return isinstance(value, str) and to_number(value) is None and value.lower() not in ("true", "false")


def _literal(leaf: FilterLeaf) -> Literal | None:
    pattern = leaf.value[0] if isinstance(leaf.value, tuple) and len(leaf.value) == 1 else leaf.value
    if leaf.operator != "regex" or not isinstance(pattern, str):
        return None
    found = required_literal(pattern)
    return Literal(leaf.key, *found) if found is not None else None


def required_literal(pattern: str) -> tuple[str, bool] | None:
    """``(literal, anchored)``: every match of the RE2 ``pattern`` (default options) holds
    ``literal``, at the start of the text when ``anchored``; None when unsure.

    Only the run of plain characters that opens the pattern (after ``^``) is read: the rest
    follows it in every match, unless an alternation anywhere could bypass it. A character
    under a quantifier ends the run before it; a flag group or a quoted run anywhere
    (``a(?i)?`` and ``a\\Q\\E?`` make the ``a`` optional: they match nothing) gives None."""
    if "|" in pattern or "\\Q" in pattern or _FLAG_GROUP.search(pattern):
        return None
    anchored = pattern.startswith("^")
    chars: list[str] = []
    i = 1 if anchored else 0
    while i < len(pattern):
        c, step = pattern[i], 1
        if c == "\\":
            c, step = pattern[i + 1:i + 2], 2
            if c not in _LITERAL_ESCAPES:  # \d, \b, \Q, \x41, \pN ...: not one literal character
                break
        elif c in _META:
            break
        if pattern[i + step:i + step + 1] in _QUANTIFIERS:
            break
        chars.append(c)
        i += step
    return ("".join(chars), anchored) if chars else None


class _KeyGates:
    """The exact and literal gates of one property key."""

    def __init__(self) -> None:
        self.exact: dict[str, list[int]] = {}
        self.exact_filed: list[int] = []
        self.prefixes: dict[int, dict[str, list[int]]] = {}  # length -> literal -> positions
        self.contains: dict[str, list[int]] = {}

    def collect(self, value: Any, found: set[int]) -> None:
        if value is None:
            return
        if isinstance(value, bool):
            found.update(self.exact_filed)
        elif isinstance(value, str) and (hit := self.exact.get(value)):
            found.update(hit)
        if not self.prefixes and not self.contains:
            return
        text = to_string(value)
        for length, by_prefix in self.prefixes.items():
            if hit := by_prefix.get(text[:length]):
                found.update(hit)
        for literal, positions in self.contains.items():
            if literal in text:
                found.update(positions)


class RuleIndex:
    """Positions (in order) of the rules an event may match, given each rule's gate."""

    def __init__(self, gated: Sequence[Gate | None]) -> None:
        self.size = len(gated)
        self._always = [i for i, gate in enumerate(gated) if gate is None]
        self._keys: dict[str, _KeyGates] = {}
        shared: dict[FilterLeaf, list[int]] = {}
        for i, gate in enumerate(gated):
            if isinstance(gate, Shared):
                shared.setdefault(gate.leaf, []).append(i)
                continue
            if gate is None:
                continue
            keyed = self._keys.setdefault(gate.key, _KeyGates())
            if isinstance(gate, Exact):
                keyed.exact_filed.append(i)
                for value in gate.values:
                    keyed.exact.setdefault(value, []).append(i)
            elif gate.anchored:
                keyed.prefixes.setdefault(len(gate.text), {}).setdefault(gate.text, []).append(i)
            else:
                keyed.contains.setdefault(gate.text, []).append(i)
        self._shared: list[tuple[Predicate, list[int]]] = [
            (compile_filters(FilterGroup("AND", (leaf,))), positions) for leaf, positions in shared.items()]

    def candidates(self, props: Mapping[str, Any]) -> Sequence[int]:
        if len(self._always) == self.size:
            return self._always
        found: set[int] = set()
        for key, keyed in self._keys.items():
            for value in _values(key, props.get(key)):
                keyed.collect(value, found)
        if self._shared:
            globals_ = {"properties": props}
            for passes, positions in self._shared:
                try:
                    ok = passes(globals_)
                except RuleEvaluationError:  # the rules meet it too, and are disabled
                    ok = True
                if ok:
                    found.update(positions)
        if not found:
            return self._always
        found.update(self._always)
        return sorted(found)


def _values(key: str, value: Any) -> Sequence[Any]:
    """The values a leaf tests: an array property's elements, else the value."""
    if key not in ARRAY_PROPERTIES:
        return (value,)
    if isinstance(value, str):  # a JSON string of an array, as filters reads it
        try:
            value = json.loads(value)
        except ValueError:
            return ()
    return value if isinstance(value, list) else ()


__all__ = ["Exact", "Gate", "Literal", "RuleIndex", "Shared", "gates", "required_literal"]
