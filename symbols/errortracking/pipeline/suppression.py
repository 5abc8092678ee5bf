"""Suppression stage: events a suppression rule matches are dropped before linking, so
they create no issue and are never stored (cymbal's ``drop_suppressed``)."""

from __future__ import annotations

from collections.abc import Sequence

from ..ruleset import NO_RULES, RuleSet
from .grouping import rules_view
from .item import Item


def unsuppressed(rules: RuleSet, items: Sequence[Item]) -> tuple[list[Item], list[Item]]:
    """``(kept, suppressed)``; events other than exceptions are always kept."""
    if rules is NO_RULES:
        return list(items), []
    kept, dropped = [], []
    for item in items:
        suppressed = item.exceptions is not None and rules.suppress(item.event.uuid, rules_view(item))
        (dropped if suppressed else kept).append(item)
    return kept, dropped


__all__ = ["unsuppressed"]
