"""Issues with stored events, made the way the pipeline makes them (link_fingerprints,
insert_events, record_occurrences), for the issue and fingerprint tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from symbols.db.events import EventRow, insert_events
from symbols.db.issues import NewIssue, Occurrences, link_fingerprints, record_occurrences

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def seed_issue(
    conn, team_id: int, fingerprint: str, *, name: str = "TypeError", description: str | None = "boom",
    distinct_ids: tuple[str, ...] = ("u1",), start: datetime = T0,
) -> str:
    """The issue of ``fingerprint`` with one $exception event per distinct id, a minute apart
    from ``start``; returns the issue id."""
    linked = await link_fingerprints(conn, team_id, [NewIssue(fingerprint, name, description, start)])
    issue_id = linked[fingerprint].issue_id
    times = [start + timedelta(minutes=i) for i in range(len(distinct_ids))]
    rows = [
        EventRow(
            project_id=team_id,
            uuid=str(uuid.uuid4()),
            event="$exception",
            distinct_id=distinct_id,
            timestamp=ts,
            properties={"$exception_fingerprint": fingerprint, "$exception_issue_id": issue_id},
            issue_id=issue_id,
        )
        for distinct_id, ts in zip(distinct_ids, times, strict=True)
    ]
    await insert_events(conn, rows)
    if rows:
        await record_occurrences(conn, {issue_id: Occurrences(len(rows), times[0], times[-1])})
    return issue_id
