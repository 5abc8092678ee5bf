"""On PostgreSQL the events list is served by indexes, never a scan of the events table.

50,000 events (the benchmark's generator, two projects, 30 days) are analysed, then the
plan of each kind of list query is read with EXPLAIN.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from bench.events import INSERT
from symbols.db import access
from symbols.db.event_queries import LIST_TIMEOUT_MS, explain_list, list_events
from symbols.errortracking.events import parse_request
from tests.databases import open_test_database

WALK = "Index Scan Backward using ix_events_project_timestamp"
GIN = "ix_events_properties_gin"

# case: (query, text the plan must have, text it must not have)
CASES = {
    "newest first": ({}, WALK, None),
    "oldest first, 30 days": ({"orderBy": '["timestamp"]', "after": "2000-01-01"}, None, None),
    "event": ({"event": "$exception"}, None, None),
    "distinct id": ({"distinct_id": "user-42"}, "ix_events_project_distinct_timestamp", None),
    "rare property, 30 days": ({"properties": [{"key": "plan", "value": "enterprise"}],
                                "after": "2000-01-01"}, GIN, None),
    "array value, 30 days": ({"properties": [{"key": "$exception_types", "value": "Error5"}],
                              "after": "2000-01-01"}, None, None),
    # 1 event in 10 (the list's own statistics say so): found within a thousand rows of
    # the newest, never by fetching all its matches of 30 days.
    "common array values, 30 days": ({"properties": [{"key": "$exception_types", "operator": "in",
                                                      "value": [f"Error{i}" for i in range(10)]}],
                                      "after": "2000-01-01"}, WALK, "Bitmap"),
    "array value nobody has, 30 days": ({"properties": [{"key": "$exception_types", "value": "NoSuch"}],
                                         "after": "2000-01-01"}, "ix_events_exception_types", WALK),
    "rare exception value, 30 days": ({"properties": [{"key": "$exception_values",
                                                       "value": "Request aborted #7"}],
                                       "after": "2000-01-01"}, "ix_events_exception_values", WALK),
    "array is_not": ({"properties": [{"key": "$exception_types", "value": "Error5",
                                      "operator": "is_not"}]}, WALK, "Bitmap"),
    # Common text (1 event in 25): either way at this size (at 10 million events the
    # planner walks, bench/RESULTS.md).
    "common text": ({"properties": [{"key": "$exception_values", "value": "chunk",
                                     "operator": "icontains"}]}, None, None),
    # Text nobody wrote: the trigram index says so at once, over any range.
    "absent text, 30 days": ({"properties": [{"key": "$exception_values", "value": "no such text",
                                              "operator": "icontains"}], "after": "2000-01-01"},
                             "ix_events_exception_values_trgm", WALK),
    "matches nothing, 30 days": ({"properties": [{"key": "plan", "value": "NoSuchPlan"}],
                                  "after": "2000-01-01"}, GIN, WALK),
    "matches everything, 30 days": ({"properties": [{"key": "plan", "operator": "in",
                                                     "value": ["free", "enterprise"]}],
                                     "after": "2000-01-01"}, WALK, "Bitmap"),
    "common property": ({"properties": [{"key": "$browser", "value": "Safari"}]}, WALK, "Bitmap"),
    "nested group": ({"properties": {"type": "OR", "values": [
        {"key": "plan", "value": "enterprise"}, {"key": "$os", "value": "iOS"}]}}, None, None),
    "hogql where": ({"where": "properties.plan = 'enterprise' AND event = '$pageview'"}, None, None),
}


@pytest.fixture
async def pg(request, tmp_path):
    db = await open_test_database("postgresql", request, tmp_path)
    async with db.begin() as conn:
        a = (await access.create_project(conn, "a")).id
        b = (await access.create_project(conn, "b")).id
        await conn.execute(INSERT, {"a": a, "b": b, "n": 50_000, "lo": 1, "hi": 50_000})
    async with db.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE events"))
    yield db, a
    await db.close()


async def test_list_queries_use_an_index(pg):
    db, project = pg
    for case, (spec, expected, unexpected) in CASES.items():
        params = {k: json.dumps(v) if k == "properties" else v for k, v in spec.items() if k != "where"}
        where = [spec["where"]] if "where" in spec else []
        request = parse_request(project, params, where=where)
        async with db.connect() as conn:
            plan = "\n".join(await explain_list(conn, request.query))
        assert "Seq Scan on events" not in plan, (case, plan)
        assert "ix_events_" in plan, (case, plan)
        if expected:
            assert expected in plan, (case, plan)
        if unexpected:
            assert unexpected not in plan, (case, plan)


async def test_the_list_is_planned_with_its_values_every_time(pg):
    """asyncpg prepares each statement, and after five runs PostgreSQL may keep a generic
    plan made without the filter's values; the list never runs one, and runs under its
    statement timeout."""
    db, project = pg
    request = parse_request(project, {"properties": json.dumps(
        [{"key": "$exception_types", "value": "Error5"}]), "after": "2000-01-01"})
    async with db.connect() as conn:
        for _ in range(8):
            assert len(await list_events(conn, request.query)) == 100
        timeout = (await conn.execute(text("SELECT current_setting('statement_timeout')"))).scalar()
        plans = (await conn.execute(text(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE '%FROM events%ORDER BY events.timestamp DESC%'"
            " AND statement NOT LIKE '%pg_prepared_statements%'"))).all()
    assert [(generic, custom) for generic, custom in plans] == [(0, 8)]
    assert timeout == f"{LIST_TIMEOUT_MS // 1000}s"
