"""The pipeline's rule hooks: grouping, suppression and assignment rules of one project.

The pipeline asks ``RuleSource.rules_for(project_id)`` once per project in each batch and
calls the ``RuleSet`` it gets, in cymbal's order:

- ``group(props)`` on the pre-processed, resolved properties, before the automatic
  fingerprint: the first matching grouping rule's ``GroupMatch`` (its id becomes the
  fingerprint ``custom-rule:<id>``; its assignee, if any, wins over assignment rules);
- ``suppress(event_uuid, props)`` after fingerprinting: True drops the event (sampling is
  the rule's business: it is given the event's uuid);
- ``assign(issue, props)`` only when the event created or reopened its issue, with the
  issue as ``{"status", "name", "description"}`` and the output properties.

Evaluation is synchronous and must not raise: a rule that fails is the rule set's to
record and skip. ``NO_RULES`` matches nothing; it is the default until rules are plugged in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..db.issues import Assignee


@dataclass(frozen=True)
class GroupMatch:
    rule_id: str
    assignee: Assignee | None = None


class RuleSet(Protocol):
    def group(self, props: Mapping[str, Any]) -> GroupMatch | None: ...

    def suppress(self, event_uuid: str, props: Mapping[str, Any]) -> bool: ...

    def assign(self, issue: Mapping[str, Any], props: Mapping[str, Any]) -> Assignee | None: ...


class RuleSource(Protocol):
    async def rules_for(self, project_id: int) -> RuleSet: ...


class _NoRules:
    def group(self, props: Mapping[str, Any]) -> GroupMatch | None:
        return None

    def suppress(self, event_uuid: str, props: Mapping[str, Any]) -> bool:
        return False

    def assign(self, issue: Mapping[str, Any], props: Mapping[str, Any]) -> Assignee | None:
        return None


NO_RULES: RuleSet = _NoRules()


class NoRuleSource:
    """Every project has no rules."""

    async def rules_for(self, project_id: int) -> RuleSet:
        return NO_RULES


__all__ = ["NO_RULES", "GroupMatch", "NoRuleSource", "RuleSet", "RuleSource"]
