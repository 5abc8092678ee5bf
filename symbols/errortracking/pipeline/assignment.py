"""Assignment stage (in the store transaction): only when an event created or reopened
its issue; a matching grouping rule's assignee first, else the first matching assignment
rule's, which sees the issue and the event's output properties. An issue with an
assignee keeps it (``assign_if_unassigned``)."""

from __future__ import annotations

from collections.abc import Sequence

from ...db import Connection
from ...db.issues import assign_if_unassigned, issue_summaries
from ..ruleset import NO_RULES, RuleSet
from .item import Item


async def assign_items(conn: Connection, rules: RuleSet, items: Sequence[Item]) -> None:
    fresh: dict[str, Item] = {}
    for item in items:
        if item.issue is not None and (item.issue.created or item.issue.reopened):
            fresh.setdefault(item.issue.issue_id, item)
    if not fresh or (rules is NO_RULES and not any(i.group and i.group.assignee for i in fresh.values())):
        return
    summaries = await issue_summaries(conn, fresh)
    for issue_id in sorted(fresh):
        item = fresh[issue_id]
        if item.group is not None and item.group.assignee is not None:
            assignee = item.group.assignee
        else:
            assignee = rules.assign(summaries[issue_id], item.props)
        if assignee is not None:
            await assign_if_unassigned(conn, issue_id, assignee)


__all__ = ["assign_items"]
