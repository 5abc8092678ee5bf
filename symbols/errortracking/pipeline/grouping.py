"""Grouping stage: each exception event's fingerprint, grouping rules first.

cymbal's order: the first matching grouping rule proposes ``custom-rule:<id>``, else the
automatic fingerprint is proposed; a client's ``$exception_fingerprint`` wins over both
(``fingerprint.fingerprint``). A rule's assignee is kept only when the rule decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..fingerprint import Fingerprint, fingerprint
from ..properties import output_properties
from ..ruleset import NO_RULES, RuleSet
from .item import Item

_UNKNOWN = Fingerprint("", "")
# Output keys that do not exist before the fingerprint (and the issue) are known.
_LATER = ("$exception_fingerprint", "$exception_proposed_fingerprint",
          "$exception_fingerprint_record", "$exception_issue_id")


def rules_view(item: Item) -> dict[str, Any]:
    """The properties rules filter on: the stored ``$exception_*`` arrays (types, values,
    sources, functions) over the resolved exceptions, and the fingerprint once known."""
    if item.view is None:
        assert item.exceptions is not None
        view = output_properties(item.props, item.exceptions, _UNKNOWN, "")
        for key in _LATER:
            view.pop(key)
        item.view = view
    if item.fingerprint is not None and "$exception_fingerprint" not in item.view:
        item.view["$exception_fingerprint"] = item.fingerprint.value
        item.view["$exception_proposed_fingerprint"] = item.fingerprint.proposed
        item.view["$exception_fingerprint_record"] = item.fingerprint.record
    return item.view


def fingerprint_items(rules: RuleSet, items: Sequence[Item]) -> None:
    for item in items:
        if item.exceptions is None:
            continue
        match = rules.group(rules_view(item)) if rules is not NO_RULES else None
        item.fingerprint = fingerprint(
            item.exceptions, item.props.get("$exception_fingerprint"),
            rule_id=match.rule_id if match is not None else None,
        )
        if match is not None and item.fingerprint.record[:1] == [{"type": "custom", "rule_id": match.rule_id}]:
            item.group = match


__all__ = ["fingerprint_items", "rules_view"]
