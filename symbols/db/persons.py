"""Persons: one per distinct id, created on its first event; ``$identify`` links two.

The pipeline's store stage calls ``update_persons(conn, rows)`` once per batch, in the
transaction that stores the events, and may set each event's ``person_id`` from the
mapping it returns. An ``$identify`` event whose ``$anon_distinct_id`` names another
distinct id puts both ids on one person (the anonymous id's person is merged into the
identified one unless it was identified itself, as PostHog does) and marks it identified.
``$set`` and ``$set_once`` update the person's properties.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .events import EventRow
from .tables import person_distinct_ids, persons
from .types import new_uuid, utcnow
from .upsert import insert_ignoring_conflicts

MAX_DISTINCT_ID = 200


async def update_persons(conn: AsyncConnection, rows: Sequence[EventRow]) -> dict[tuple[int, str], str]:
    """Give every distinct id of ``rows`` a person; ``{(project_id, distinct_id): person_id}``."""
    found: dict[tuple[int, str], str] = {}
    for row in rows:
        team = row.project_id
        person = await _person_of(conn, team, row.distinct_id, found)
        props = row.properties if isinstance(row.properties, dict) else {}
        anon = props.get("$anon_distinct_id")
        if row.event == "$identify" and isinstance(anon, str) and anon and anon != row.distinct_id \
                and len(anon) <= MAX_DISTINCT_ID:
            await _link(conn, team, person, anon, found)
        await _set_properties(conn, person, props.get("$set"), props.get("$set_once"))
    return found


async def _person_of(conn: AsyncConnection, team: int, distinct_id: str, found: dict) -> str:
    if (team, distinct_id) in found:
        return found[(team, distinct_id)]
    person = await _lookup(conn, team, distinct_id)
    if person is None:
        person = new_uuid()
        await conn.execute(persons.insert().values(
            id=person, team_id=team, properties={}, is_identified=False, created_at=utcnow()))
        added = await conn.execute(
            insert_ignoring_conflicts(conn, person_distinct_ids)
            .values(team_id=team, distinct_id=distinct_id, person_id=person)
            .returning(person_distinct_ids.c.person_id)
        )
        if added.first() is None:  # a concurrent batch created it first
            await conn.execute(delete(persons).where(persons.c.id == person))
            person = await _lookup(conn, team, distinct_id)
    found[(team, distinct_id)] = person
    return person


async def _lookup(conn: AsyncConnection, team: int, distinct_id: str) -> str | None:
    return (await conn.execute(
        select(person_distinct_ids.c.person_id).where(
            person_distinct_ids.c.team_id == team, person_distinct_ids.c.distinct_id == distinct_id)
    )).scalar_one_or_none()


async def _link(conn: AsyncConnection, team: int, person: str, anon: str, found: dict) -> None:
    other = await _lookup(conn, team, anon)
    if other is None:
        await conn.execute(insert_ignoring_conflicts(conn, person_distinct_ids).values(
            team_id=team, distinct_id=anon, person_id=person))
        other = person
    elif other != person:
        identified = (await conn.execute(
            select(persons.c.is_identified).where(persons.c.id == other))).scalar_one()
        if not identified:
            await _merge(conn, other, into=person)
            for key, value in list(found.items()):
                if value == other:
                    found[key] = person
            other = person
    found[(team, anon)] = other
    await conn.execute(update(persons).where(persons.c.id == person).values(is_identified=True))


async def _merge(conn: AsyncConnection, source: str, *, into: str) -> None:
    props = (await conn.execute(select(persons.c.properties).where(persons.c.id == source))).scalar_one()
    target = (await conn.execute(select(persons.c.properties).where(persons.c.id == into))).scalar_one()
    await conn.execute(update(person_distinct_ids).where(person_distinct_ids.c.person_id == source)
                       .values(person_id=into))
    merged = {**(props or {}), **(target or {})}
    await conn.execute(update(persons).where(persons.c.id == into).values(properties=merged))
    await conn.execute(delete(persons).where(persons.c.id == source))


async def _set_properties(conn: AsyncConnection, person: str, set_: object, set_once: object) -> None:
    if not (isinstance(set_, dict) and set_) and not (isinstance(set_once, dict) and set_once):
        return
    current = (await conn.execute(select(persons.c.properties).where(persons.c.id == person))).scalar_one()
    merged = dict(current or {})
    if isinstance(set_once, dict):
        merged.update({k: v for k, v in set_once.items() if k not in merged})
    if isinstance(set_, dict):
        merged.update(set_)
    if merged != current:
        await conn.execute(update(persons).where(persons.c.id == person).values(properties=merged))
