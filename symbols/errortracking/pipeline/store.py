"""Store stage (in the one transaction that also settles the stream's batch).

Every event's distinct id gets its person first (``$identify`` links an anonymous id), and
the event is stored with that ``person_id``. Events are inserted once per (project, uuid);
only those actually inserted count on
their issues (occurrences, first and last seen) and record the symbol sets they wait for
(and a placeholder set per chunk id never uploaded, capped per project), so a batch
delivered twice never counts twice. Resolved frames go to ``stack_frames``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from ...db import Connection
from ...db.events import EventRow, await_symbols, insert_events, stored_uuids, upsert_stack_frames
from ...db.issues import Occurrences, record_occurrences
from ...db.persons import update_persons
from ...db.symbol_sets import record_placeholders
from .item import Item


async def unstored(conn: Connection, project_id: int, items: Sequence[Item]) -> list[Item]:
    """``items`` without the events stored already (a redelivered batch)."""
    done = await stored_uuids(conn, project_id, [i.event.uuid for i in items])
    return [i for i in items if i.event.uuid not in done]


async def store_items(conn: Connection, project_id: int, items: Sequence[Item]) -> int:
    """Store ``items`` of ``project_id``; how many events were new."""
    if not items:
        return 0
    rows = [
        EventRow(
            project_id=project_id, uuid=i.event.uuid, event=i.event.event, distinct_id=i.event.distinct_id,
            timestamp=i.event.timestamp, properties=i.props,
            issue_id=i.issue.issue_id if i.issue is not None else None,
        )
        for i in items
    ]
    persons = await update_persons(conn, rows)
    rows = [dataclasses.replace(r, person_id=persons.get((r.project_id, r.distinct_id))) for r in rows]
    inserted = {uuid for _, uuid in await insert_events(conn, rows)}
    new = [i for i in items if i.event.uuid in inserted]
    await record_occurrences(conn, _occurrences(new))
    await upsert_stack_frames(conn, project_id, [f for i in new for f in i.frames])
    await await_symbols(conn, project_id, {i.event.uuid: i.awaiting for i in new if i.awaiting})
    await record_placeholders(conn, project_id, (ref for i in new for ref in i.missing_chunk_ids))
    return len(new)


def _occurrences(items: Sequence[Item]) -> dict[str, Occurrences]:
    seen: dict[str, tuple[int, datetime, datetime]] = {}
    for item in items:
        if item.issue is None:
            continue
        ts = item.event.timestamp
        count, first, last = seen.get(item.issue.issue_id, (0, ts, ts))
        seen[item.issue.issue_id] = (count + 1, min(first, ts), max(last, ts))
    return {issue_id: Occurrences(*seen[issue_id]) for issue_id in sorted(seen)}


__all__ = ["store_items", "unstored"]
