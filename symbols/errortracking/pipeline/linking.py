"""Issue linking stage (in the store transaction): each exception event's issue.

A new fingerprint gets an issue named ``$issue_name`` or the first exception's type, with
``$issue_description`` or its value as description (cut to 255 characters by the query);
a resolved, archived or pending_release issue is reopened; events of a suppressed issue
are dropped (never stored). Fingerprints are linked in sorted order so two workers lock
the same rows in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...db import Connection
from ...db.issues import NewIssue, link_fingerprints
from .item import Item

SUPPRESSED = "suppressed"


def _proposal(item: Item) -> NewIssue:
    assert item.fingerprint is not None and item.exceptions
    first = item.exceptions[0]
    return NewIssue(
        fingerprint=item.fingerprint.value,
        name=_text(item.props.get("$issue_name")) or first.get("type"),
        description=_text(item.props.get("$issue_description")) or first.get("value"),
        first_seen=item.event.timestamp,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


async def link_items(conn: Connection, project_id: int, items: Sequence[Item]) -> list[Item]:
    """Set ``item.issue`` on exception events; the items to store (suppressed issues' dropped)."""
    proposals: dict[str, NewIssue] = {}
    for item in items:
        if item.fingerprint is None:
            continue
        proposal = _proposal(item)
        known = proposals.get(proposal.fingerprint)
        if known is None or proposal.first_seen < known.first_seen:
            proposals[proposal.fingerprint] = proposal
    linked = await link_fingerprints(conn, project_id, [proposals[f] for f in sorted(proposals)])
    kept = []
    for item in items:
        if item.fingerprint is not None:
            item.issue = linked[item.fingerprint.value]
            if item.issue.status == SUPPRESSED:
                continue
        kept.append(item)
    return kept


__all__ = ["link_items"]
