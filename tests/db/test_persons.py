"""Persons: one per distinct id, ``$identify`` links two, properties from $set/$set_once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from symbols.db import access
from symbols.db.event_queries import persons_of
from symbols.db.events import EventRow
from symbols.db.persons import update_persons
from symbols.db.tables import persons

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _event(team: int, distinct_id: str, event: str = "$pageview", **props) -> EventRow:
    return EventRow(team, str(uuid.uuid4()), event, distinct_id, T0, props)


async def _team(db, name: str = "web") -> int:
    async with db.begin() as conn:
        return (await access.create_project(conn, name)).id


async def _count(db) -> int:
    async with db.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(persons))).scalar_one()


async def test_a_person_per_distinct_id_created_once(database):
    team = await _team(database)
    async with database.begin() as conn:
        first = await update_persons(conn, [_event(team, "a"), _event(team, "b"), _event(team, "a")])
    async with database.begin() as conn:
        again = await update_persons(conn, [_event(team, "a")])
    assert first[(team, "a")] == again[(team, "a")] != first[(team, "b")]
    assert await _count(database) == 2


async def test_identify_links_the_anonymous_id(database):
    team = await _team(database)
    async with database.begin() as conn:
        anon = (await update_persons(conn, [_event(team, "anon-1", **{"$set": {"name": "A"}})]))[(team, "anon-1")]
        linked = await update_persons(conn, [
            _event(team, "user@x", "$identify", **{"$anon_distinct_id": "anon-1",
                                                   "$set": {"email": "user@x"}}),
        ])
    person = linked[(team, "user@x")]
    assert linked[(team, "anon-1")] == person
    async with database.connect() as conn:
        found = await persons_of(conn, team, {"anon-1", "user@x"})
    assert found["anon-1"] == found["user@x"]
    assert found["user@x"].is_identified
    # The anonymous person was merged into the identified one, its properties kept.
    assert found["user@x"].properties == {"name": "A", "email": "user@x"}
    assert person != anon and await _count(database) == 1


async def test_identify_never_merges_an_identified_person(database):
    team = await _team(database)
    async with database.begin() as conn:
        await update_persons(conn, [_event(team, "u1", "$identify", **{"$anon_distinct_id": "a1"})])
        await update_persons(conn, [_event(team, "u2", "$identify", **{"$anon_distinct_id": "u1"})])
    async with database.connect() as conn:
        found = await persons_of(conn, team, {"u1", "u2", "a1"})
    assert found["u1"] == found["a1"] != found["u2"]


async def test_set_once_keeps_the_first_value_and_projects_are_apart(database):
    team, other = await _team(database), await _team(database, "other")
    async with database.begin() as conn:
        await update_persons(conn, [
            _event(team, "d", **{"$set_once": {"username": "first"}}),
            _event(team, "d", **{"$set_once": {"username": "second"}, "$set": {"name": "N"}}),
            _event(other, "d"),
        ])
    async with database.connect() as conn:
        mine, theirs = await persons_of(conn, team, {"d"}), await persons_of(conn, other, {"d"})
    assert mine["d"].properties == {"username": "first", "name": "N"}
    assert theirs["d"].properties == {} and theirs["d"].id != mine["d"].id
