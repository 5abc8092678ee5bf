"""Reading events: the list (a keyset cursor on (timestamp, uuid)), one event, the persons
of distinct ids, and deleting events past the retention period in batches.

The list is served by indexes: (project_id, timestamp, uuid) orders it, (project_id,
event, timestamp) and (project_id, distinct_id, timestamp) narrow it, and on PostgreSQL
the GIN indexes on ``properties`` (migration 0004) and on each exception list (0009) serve
property equality when the value is rare; for a common one, walking the timestamp order
finds a page sooner. Every list query on PostgreSQL runs under a statement timeout, so no
filter can hold a connection, and is planned with its values (never a generic plan), so
the planner can tell the two apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, or_, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

from .event_filters import ColumnTest, Combine, PropertyTest, condition_sql
from .tables import events, person_distinct_ids, persons

LIST_TIMEOUT_MS = 10_000


class QueryRefused(Exception):
    """The database refused a filter (an invalid regular expression, a timeout)."""


@dataclass(frozen=True)
class EventQuery:
    project_id: int
    limit: int
    descending: bool = True
    after: datetime | None = None
    before: datetime | None = None
    # Keyset position of the previous page: events strictly past (timestamp, uuid).
    cursor: tuple[datetime, str] | None = None
    event: str | None = None
    distinct_id: str | None = None
    person_id: str | None = None
    condition: PropertyTest | ColumnTest | Combine | None = None
    offset: int = 0


@dataclass(frozen=True)
class Person:
    id: str
    is_identified: bool
    properties: dict


def _where(dialect: str, q: EventQuery) -> list:
    ts, uuid = events.c.timestamp, events.c.uuid
    clauses = [events.c.project_id == q.project_id]
    if q.after is not None:
        clauses.append(ts > q.after)
    if q.before is not None:
        clauses.append(ts < q.before)
    if q.cursor is not None:
        at, last = q.cursor
        if q.descending:  # ts <= at first: a range the index can seek to
            clauses += [ts <= at, or_(ts < at, uuid < last)]
        else:
            clauses += [ts >= at, or_(ts > at, uuid > last)]
    if q.event is not None:
        clauses.append(events.c.event == q.event)
    if q.distinct_id is not None:
        clauses.append(events.c.distinct_id == q.distinct_id)
    if q.person_id is not None:
        ids = select(person_distinct_ids.c.distinct_id).where(
            person_distinct_ids.c.team_id == q.project_id,
            person_distinct_ids.c.person_id == q.person_id,
        )
        clauses.append(events.c.distinct_id.in_(ids))
    if q.condition is not None:
        clauses.append(condition_sql(dialect, q.condition))
    return clauses


def list_statement(dialect: str, q: EventQuery):
    order = (events.c.timestamp.desc(), events.c.uuid.desc()) if q.descending else (
        events.c.timestamp.asc(), events.c.uuid.asc())
    statement = select(events).where(and_(*_where(dialect, q))).order_by(*order).limit(q.limit)
    return statement.offset(q.offset) if q.offset else statement


class _Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement) -> None:
        self.statement = statement


@compiles(_Explain, "postgresql")
def _explain_sql(element: _Explain, compiler, **kw) -> str:
    return "EXPLAIN " + compiler.process(element.statement, **kw)


async def _plan_settings(conn: AsyncConnection) -> None:
    """The list's settings for this transaction, PostgreSQL only.

    Custom plans always: asyncpg prepares each statement, and after five runs PostgreSQL
    may keep a generic plan, one made without the filter's values, so without the
    statistics that tell a common property value from a rare one (a wrong guess is the
    difference between reading a hundred rows and a hundred thousand)."""
    await conn.execute(text(  # SET LOCAL, both in one round trip
        f"SELECT set_config('statement_timeout', '{LIST_TIMEOUT_MS}', true),"
        " set_config('plan_cache_mode', 'force_custom_plan', true)"))


async def explain_list(conn: AsyncConnection, q: EventQuery) -> list[str]:
    """PostgreSQL's plan of the list query (for tests and the benchmark)."""
    await _plan_settings(conn)
    return [row[0] for row in await conn.execute(_Explain(list_statement("postgresql", q)))]


async def list_events(conn: AsyncConnection, q: EventQuery) -> list:
    dialect = conn.dialect.name
    try:
        if dialect == "postgresql":
            await _plan_settings(conn)
        return list(await conn.execute(list_statement(dialect, q)))
    except DBAPIError as exc:
        state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if state in ("2201B", "57014"):  # invalid_regular_expression, query_canceled
            raise QueryRefused(str(exc.orig).splitlines()[0][:300]) from None
        raise


async def get_event(conn: AsyncConnection, project_id: int, uuid: str):
    query = select(events).where(events.c.project_id == project_id, events.c.uuid == uuid)
    return (await conn.execute(query)).first()


async def persons_of(conn: AsyncConnection, project_id: int, distinct_ids: set[str]) -> dict[str, Person]:
    """The person of each of ``distinct_ids`` that has one."""
    if not distinct_ids:
        return {}
    rows = await conn.execute(
        select(person_distinct_ids.c.distinct_id, persons.c.id, persons.c.is_identified,
               persons.c.properties)
        .join(persons, persons.c.id == person_distinct_ids.c.person_id)
        .where(person_distinct_ids.c.team_id == project_id,
               person_distinct_ids.c.distinct_id.in_(sorted(distinct_ids)))
    )
    return {r.distinct_id: Person(r.id, bool(r.is_identified), r.properties or {}) for r in rows}


async def delete_events_before(conn: AsyncConnection, project_id: int, cutoff: datetime, batch: int) -> int:
    """Delete at most ``batch`` of a project's events older than ``cutoff``; how many."""
    oldest = (
        select(events.c.uuid)
        .where(events.c.project_id == project_id, events.c.timestamp < cutoff)
        .order_by(events.c.timestamp)
        .limit(batch)
    )
    result = await conn.execute(
        delete(events).where(events.c.project_id == project_id, events.c.uuid.in_(oldest))
    )
    return result.rowcount or 0
