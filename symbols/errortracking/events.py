"""The events list as PostHog serves it (``GET .../events/``): its query parameters read
and bounded, the page fetched by a keyset cursor, one event by uuid, and retention.

Parameters (strings of the query): ``after``/``before`` (ISO 8601; defaults now-24h and
now+5s), ``event``, ``distinct_id``, ``person_id``, ``properties`` (a flat list of leaves
or an AND/OR group; a leaf without ``type`` is an event property), ``orderBy`` (only
``["-timestamp"]``, the default, is newest first), ``limit`` (100, or 1000 for CSV; at
most 1000), ``offset``, ``include_person``, ``select`` and ``where`` (HogQL, ``hogql.py``).

Paging never skips or repeats an event while events are being inserted: the page is
ordered by (timestamp, uuid) and ``next`` carries the last one as ``before`` +
``before_uuid`` (``after`` + ``after_uuid`` oldest first) plus the other bound as it was,
so a later page sees the events that existed when the first was read, each exactly once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from ..db import Database
from ..db.access import list_projects
from ..db.event_filters import (
    DATE_OPERATORS,
    SEMVER_OPERATORS,
    SEMVER_RANGES,
    Combine,
    PropertyTest,
)
from ..db.event_queries import (
    EventQuery,
    Person,
    QueryRefused,
    delete_events_before,
    get_event,
    list_events,
    persons_of,
)
from ..db.types import parse_uuid, utcnow
from ..errors import InvalidInput, Missing
from ..property_values import semver_key
from . import hogql, operators
from .filters import ARRAY_PROPERTIES, FilterGroup, FilterLeaf, InvalidFilters, parse_filters

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 100
CSV_DEFAULT_LIMIT = 1000
MAX_LIMIT = 1000
MAX_OFFSET = 100_000
MAX_PARAM_CHARS = 4000
MAX_EXPRESSIONS = 10
UNPARSABLE = "Properties are unparsable!"
RETENTION_BATCH = 5000


@dataclass(frozen=True)
class EventsRequest:
    query: EventQuery
    include_person: bool = False
    select: tuple[tuple[str, hogql.Field], ...] = ()
    # What a ``next`` link keeps beside the cursor: the bound that does not move.
    fixed: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EventsPage:
    rows: list
    persons: dict[str, Person]
    # Query parameters to set (None: remove) for the next page; None when there is none.
    next_params: dict[str, str | None] | None


def _invalid(attr: str, detail: str, code: str = "invalid_input") -> InvalidInput:
    return InvalidInput(code, detail, attr)


def _datetime(params: Mapping[str, str], name: str) -> datetime | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > 64:
        raise _invalid(name, f"{name} must be an ISO 8601 datetime.")
    try:
        value = datetime.fromisoformat(raw.strip())
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        value.astimezone(UTC)  # a year-1 date with an offset has no UTC time
    except (ValueError, OverflowError):
        raise _invalid(name, f"{name} must be an ISO 8601 datetime.") from None
    return value


def _int(params: Mapping[str, str], name: str, default: int, maximum: int | None = None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        raise _invalid(name, f"{name} must be a non-negative integer.")
    value = int(raw)
    if maximum is not None and value > maximum:
        raise _invalid(name, f"{name} must be at most {maximum}.")
    return value


def _text(params: Mapping[str, str], name: str, max_chars: int) -> str | None:
    raw = params.get(name)
    if raw is None:
        return None
    if len(raw) > max_chars:
        raise _invalid(name, f"{name} must be at most {max_chars} characters.")
    return raw


def _uuid(params: Mapping[str, str], name: str) -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    value = parse_uuid(raw)
    if value is None:
        raise _invalid(name, f"{name} must be a UUID.")
    return value


def property_condition(raw: str | None) -> PropertyTest | Combine | None:
    """``properties`` (JSON) as a condition; 400 "Properties are unparsable!" as PostHog."""
    if raw is None or raw == "":
        return None
    if len(raw) > MAX_PARAM_CHARS:
        raise _invalid("properties", f"properties must be at most {MAX_PARAM_CHARS} characters.")
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise _invalid("properties", UNPARSABLE) from None
    if _has_nul(value):
        raise _invalid("properties", "properties must not contain NUL characters.")
    if isinstance(value, list):
        value = {"type": "AND", "values": value}
    try:
        group = parse_filters(value)
    except InvalidFilters as exc:
        raise _invalid("properties", exc.detail) from None
    except RecursionError:
        raise _invalid("properties", UNPARSABLE) from None
    return _convert(group)


def _has_nul(value: object, depth: int = 0) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if depth > 50:  # deeper than any valid filter; parse_filters refuses it
        return False
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v, depth + 1) for v in value)
    return False


def _convert(node: FilterGroup | FilterLeaf) -> PropertyTest | Combine:
    if isinstance(node, FilterGroup):
        return Combine(node.type, tuple(_convert(child) for child in node.values))
    if node.type == "empty":
        return Combine("AND")
    if node.type != "event":
        raise _invalid("properties", f"Filters on {node.type} properties are not supported "
                                     "for events; use event properties.")
    value = list(node.value) if isinstance(node.value, tuple) else node.value
    if node.operator in ("in", "not_in") and not isinstance(value, list):
        value = [value]
    if isinstance(value, list) and not value:
        return Combine("AND")  # an empty value list matches everything, as for rules
    per_element = node.key in ARRAY_PROPERTIES
    if node.operator == "is_cleaned_path_exact":  # as for rules: no path-cleaning rules here
        return PropertyTest((node.key,), "exact", value, per_element)
    if node.operator in DATE_OPERATORS or node.operator in SEMVER_OPERATORS or node.operator in SEMVER_RANGES:
        # Several values: one test each, OR-ed, as for rules.
        tests = [PropertyTest((node.key,), node.operator, _bound(node.operator, v), per_element)
                 for v in (value if isinstance(value, list) else [value])]
        return tests[0] if len(tests) == 1 else Combine("OR", tuple(tests))
    return PropertyTest((node.key,), node.operator, value, per_element)


def _bound(op: str, value: object) -> int | str | tuple[str, str]:
    """A date or version filter's value as ``event_filters`` takes it: Unix seconds (a
    relative date counted from now), a ``semver_key``, or a range's two keys."""
    try:
        if op in DATE_OPERATORS:
            return operators.date_bound(value)()
        if op in SEMVER_RANGES:
            low, high = operators.semver_bounds(op, value)
            return semver_key(low), semver_key(high)
        return semver_key(operators.semver_bound(op, value))
    except ValueError as exc:
        raise _invalid("properties", str(exc)) from None


def _order(raw: str | None) -> bool:
    """True for newest first: only ``["-timestamp"]`` (the default) is, as in PostHog."""
    if raw is None or raw == "":
        return True
    if len(raw) > 1000:
        raise _invalid("orderBy", "orderBy must be at most 1000 characters.")
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise _invalid("orderBy", "orderBy must be a JSON list such as [\"-timestamp\"].") from None
    return value == ["-timestamp"]


def _expressions(values: list[str], name: str) -> list[str]:
    if len(values) > MAX_EXPRESSIONS:
        raise _invalid(name, f"At most {MAX_EXPRESSIONS} {name} expressions.", "invalid_hogql")
    return values


def parse_request(project_id: int, params: Mapping[str, str], *, csv: bool = False,
                  select: list[str] = (), where: list[str] = (), now: datetime | None = None,
                  ) -> EventsRequest:
    """Read the query parameters; ``InvalidInput`` (a 400) for any that is not valid."""
    for name, value in [*params.items(), *(("select", s) for s in select), *(("where", w) for w in where)]:
        if "\x00" in value:  # PostgreSQL text and JSONB cannot hold it
            raise _invalid(name, f"{name} must not contain NUL characters.")
    now = now or utcnow()
    descending = _order(params.get("orderBy"))
    after = _datetime(params, "after")
    before = _datetime(params, "before")
    fixed = {}
    if after is None:
        after = now - timedelta(days=1)
        fixed["after"] = after.isoformat()
    if before is None:
        before = now + timedelta(seconds=5)
        fixed["before"] = before.isoformat()
    cursor_name = "before_uuid" if descending else "after_uuid"
    cursor_uuid = _uuid(params, cursor_name)
    cursor = None
    if cursor_uuid is not None:
        at_name = "before" if descending else "after"
        if params.get(at_name) in (None, ""):
            raise _invalid(cursor_name, f"{cursor_name} needs {at_name}.")
        cursor = (before if descending else after, cursor_uuid)
        before, after = (None, after) if descending else (before, None)
    conditions = [hogql.parse_where(w) for w in _expressions(list(where), "where")]
    props = property_condition(params.get("properties"))
    if props is not None:
        conditions.append(props)
    query = EventQuery(
        project_id=project_id,
        limit=min(_int(params, "limit", 0) or (CSV_DEFAULT_LIMIT if csv else DEFAULT_LIMIT), MAX_LIMIT),
        descending=descending,
        after=after,
        before=before,
        cursor=cursor,
        event=_text(params, "event", 400),
        distinct_id=_text(params, "distinct_id", 200),
        person_id=_uuid(params, "person_id"),
        condition=Combine("AND", tuple(conditions)) if conditions else None,
        offset=_int(params, "offset", 0, MAX_OFFSET),
    )
    include = (params.get("include_person") or "").lower() in ("1", "true", "yes")
    items = tuple((s.strip(), hogql.parse_select(s)) for s in _expressions(list(select), "select"))
    return EventsRequest(query, include, items, fixed if descending else {})


async def list_page(db: Database, request: EventsRequest) -> EventsPage:
    q = request.query
    fetch = replace(q, limit=q.limit + 1)
    async with db.connect() as conn:
        try:
            rows = await list_events(conn, fetch)
        except QueryRefused as exc:
            raise _invalid("properties", f"The database refused the filter: {exc}") from None
        more = len(rows) > q.limit
        rows = rows[: q.limit]
        persons = {}
        if request.include_person:
            persons = await persons_of(conn, q.project_id, {r.distinct_id for r in rows})
    return EventsPage(rows, persons, _next_params(request, rows[-1]) if more else None)


def _next_params(request: EventsRequest, last) -> dict[str, str | None]:
    at = last.timestamp.isoformat()
    if request.query.descending:
        params = {"before": at, "before_uuid": last.uuid, "offset": None}
    else:
        params = {"after": at, "after_uuid": last.uuid, "offset": None}
    return {**request.fixed, **params}


async def get_one(db: Database, project_id: int, raw_uuid: str) -> tuple[object, Person | None]:
    """One event and its person; 400 "Invalid UUID", 404 when the project has no such event."""
    event_uuid = parse_uuid(raw_uuid)
    if event_uuid is None:
        raise _invalid("id", "Invalid UUID")
    async with db.connect() as conn:
        row = await get_event(conn, project_id, event_uuid)
        if row is None:
            raise Missing(f"No events exist for event UUID {event_uuid}")
        persons = await persons_of(conn, project_id, {row.distinct_id})
    return row, persons.get(row.distinct_id)


async def purge_expired_events(db: Database, retention_days: int, *, batch: int = RETENTION_BATCH,
                               now: datetime | None = None) -> int:
    """Delete events older than ``retention_days``, ``batch`` rows per transaction."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    async with db.connect() as conn:
        project_ids = [p.id for p in await list_projects(conn)]
    deleted = 0
    for project_id in project_ids:
        while True:
            async with db.begin() as conn:
                n = await delete_events_before(conn, project_id, cutoff, batch)
            deleted += n
            if n < batch:
                break
    if deleted:
        log.info("retention: deleted %s events older than %s", deleted, cutoff.isoformat())
    return deleted
