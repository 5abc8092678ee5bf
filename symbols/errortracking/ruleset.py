"""The pipeline's rule hooks: grouping, suppression and assignment rules of one project.

The pipeline asks ``RuleSource.rules_for(project_ids)`` once per batch, for the batch's
projects, and calls each project's ``RuleSet``, in cymbal's order:

- ``group(props)`` on the pre-processed, resolved properties, before the automatic
  fingerprint: the first matching grouping rule's ``GroupMatch`` (its id becomes the
  fingerprint ``custom-rule:<id>``; its assignee, if any, wins over assignment rules);
- ``suppress(event_uuid, props)`` after fingerprinting: True drops the event (sampling is
  the rule's business: it is given the event's uuid);
- ``assign(issue, props)`` only when the event created or reopened its issue, with the
  issue as ``{"status", "name", "description"}`` and the output properties.

Evaluation is synchronous; a rule that fails is the rule set's to record and skip. Should
a hook raise anyway, ``guarded`` logs it and takes it as no match, so one broken rule never
holds a batch back. ``NO_RULES`` matches nothing; it is the default until rules are plugged in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..db.issues import Assignee

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GroupMatch:
    rule_id: str
    assignee: Assignee | None = None


class RuleSet(Protocol):
    def group(self, props: Mapping[str, Any]) -> GroupMatch | None: ...

    def suppress(self, event_uuid: str, props: Mapping[str, Any]) -> bool: ...

    def assign(self, issue: Mapping[str, Any], props: Mapping[str, Any]) -> Assignee | None: ...


class RuleSource(Protocol):
    async def rules_for(self, project_ids: Collection[int]) -> Mapping[int, RuleSet]: ...


class _NoRules:
    def group(self, props: Mapping[str, Any]) -> GroupMatch | None:
        return None

    def suppress(self, event_uuid: str, props: Mapping[str, Any]) -> bool:
        return False

    def assign(self, issue: Mapping[str, Any], props: Mapping[str, Any]) -> Assignee | None:
        return None


NO_RULES: RuleSet = _NoRules()


class _Guarded:
    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules

    def group(self, props: Mapping[str, Any]) -> GroupMatch | None:
        return _call(self.rules.group, None, props)

    def suppress(self, event_uuid: str, props: Mapping[str, Any]) -> bool:
        return _call(self.rules.suppress, False, event_uuid, props) is True

    def assign(self, issue: Mapping[str, Any], props: Mapping[str, Any]) -> Assignee | None:
        return _call(self.rules.assign, None, issue, props)


def _call(hook: Callable, default: Any, *args: Any) -> Any:
    try:
        return hook(*args)
    except Exception:
        log.exception("rule hook %s failed; taken as no match", getattr(hook, "__name__", hook))
        return default


def guarded(rules: RuleSet) -> RuleSet:
    """``rules`` with every hook's fault logged and taken as no match."""
    return rules if rules is NO_RULES else _Guarded(rules)


class NoRuleSource:
    """Every project has no rules."""

    async def rules_for(self, project_ids: Collection[int]) -> Mapping[int, RuleSet]:
        return dict.fromkeys(project_ids, NO_RULES)


__all__ = ["NO_RULES", "GroupMatch", "NoRuleSource", "RuleSet", "RuleSource", "guarded"]
