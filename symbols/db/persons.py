"""Persons: one per distinct id, created on its first event; ``$identify`` links two.

The pipeline's store stage calls ``update_persons(conn, rows)`` once per batch, in the
transaction that stores the events, and may set each event's ``person_id`` from the
mapping it returns. The common path costs a few statements per batch, not per event: one
lookup of the batch's distinct ids, one insert of the new persons and their ids. An
``$identify`` event whose ``$anon_distinct_id`` names another distinct id puts both ids
on one person (the anonymous id's person is merged into the identified one unless it was
identified itself, as PostHog does) and marks it identified. ``$set`` and ``$set_once``
update the person's properties (one write per person and batch).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .events import EventRow
from .tables import person_distinct_ids, persons
from .types import new_uuid, utcnow
from .upsert import insert_ignoring_conflicts

MAX_DISTINCT_ID = 200
Found = dict[tuple[int, str], str]


def _anon(row: EventRow) -> str | None:
    props = row.properties if isinstance(row.properties, dict) else {}
    anon = props.get("$anon_distinct_id")
    if row.event == "$identify" and isinstance(anon, str) and anon and anon != row.distinct_id \
            and len(anon) <= MAX_DISTINCT_ID:
        return anon
    return None


async def update_persons(conn: AsyncConnection, rows: Sequence[EventRow]) -> Found:
    """Give every distinct id of ``rows`` a person; ``{(project_id, distinct_id): person_id}``."""
    wanted = {(r.project_id, r.distinct_id) for r in rows}
    found = await _lookup(conn, wanted)
    await _create(conn, wanted - set(found), found)
    changes: dict[str, dict] = {}
    for row in rows:
        person = found[(row.project_id, row.distinct_id)]
        if (anon := _anon(row)) is not None:
            await _link(conn, row.project_id, person, anon, found, changes)
        props = row.properties if isinstance(row.properties, dict) else {}
        set_, set_once = props.get("$set"), props.get("$set_once")
        if isinstance(set_once, dict) or isinstance(set_, dict):
            merged = changes.get(person) or await _properties(conn, person)
            if isinstance(set_once, dict):
                merged = {**set_once, **merged}
            if isinstance(set_, dict):
                merged = {**merged, **set_}
            changes[person] = merged
    for person, properties in changes.items():
        await conn.execute(update(persons).where(persons.c.id == person).values(properties=properties))
    return found


async def _lookup(conn: AsyncConnection, keys: set[tuple[int, str]]) -> Found:
    if not keys:
        return {}
    pdi = person_distinct_ids.c
    rows = await conn.execute(
        select(pdi.team_id, pdi.distinct_id, pdi.person_id)
        .where(tuple_(pdi.team_id, pdi.distinct_id).in_(sorted(keys)))
    )
    return {(r.team_id, r.distinct_id): r.person_id for r in rows}


async def _create(conn: AsyncConnection, missing: set[tuple[int, str]], found: Found) -> None:
    if not missing:
        return
    now = utcnow()
    planned = {key: new_uuid() for key in sorted(missing)}
    await conn.execute(persons.insert(), [
        {"id": pid, "team_id": team, "properties": {}, "is_identified": False, "created_at": now}
        for (team, _), pid in planned.items()])
    added = await conn.execute(
        insert_ignoring_conflicts(conn, person_distinct_ids).returning(
            person_distinct_ids.c.team_id, person_distinct_ids.c.distinct_id),
        [{"team_id": team, "distinct_id": did, "person_id": pid} for (team, did), pid in planned.items()],
    )
    stored = {(r.team_id, r.distinct_id) for r in added}
    lost = {key: pid for key, pid in planned.items() if key not in stored}
    if lost:  # a concurrent batch created these first: use its persons
        await conn.execute(delete(persons).where(persons.c.id.in_(list(lost.values()))))
        found.update(await _lookup(conn, set(lost)))
    found.update({key: pid for key, pid in planned.items() if key in stored})


async def _properties(conn: AsyncConnection, person: str) -> dict:
    current = (await conn.execute(select(persons.c.properties).where(persons.c.id == person))).scalar_one()
    return dict(current or {})


async def _link(conn: AsyncConnection, team: int, person: str, anon: str, found: Found,
                changes: dict[str, dict]) -> None:
    other = found.get((team, anon)) or (await _lookup(conn, {(team, anon)})).get((team, anon))
    if other is None:
        await conn.execute(insert_ignoring_conflicts(conn, person_distinct_ids).values(
            team_id=team, distinct_id=anon, person_id=person))
        other = person
    elif other != person:
        identified = (await conn.execute(
            select(persons.c.is_identified).where(persons.c.id == other))).scalar_one()
        if not identified:
            theirs = changes.pop(other, None) or await _properties(conn, other)
            mine = changes.get(person) or await _properties(conn, person)
            changes[person] = {**theirs, **mine}
            await conn.execute(update(person_distinct_ids)
                               .where(person_distinct_ids.c.person_id == other).values(person_id=person))
            await conn.execute(delete(persons).where(persons.c.id == other))
            for key, value in list(found.items()):
                if value == other:
                    found[key] = person
            other = person
    found[(team, anon)] = other
    await conn.execute(update(persons).where(persons.c.id == person).values(is_identified=True))
