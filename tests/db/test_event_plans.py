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
from symbols.db.event_queries import explain_list
from symbols.errortracking.events import parse_request
from tests.databases import open_test_database

CASES = {
    "newest first": ({}, None),
    "oldest first, 30 days": ({"orderBy": '["timestamp"]', "after": "2000-01-01"}, None),
    "event": ({"event": "$exception"}, None),
    "distinct id": ({"distinct_id": "user-42"}, "ix_events_project_distinct_timestamp"),
    "rare property, 30 days": ({"properties": [{"key": "plan", "value": "enterprise"}],
                                "after": "2000-01-01"}, "ix_events_properties_gin"),
    "array property": ({"properties": [{"key": "$exception_types", "value": "Error5"}],
                        "after": "2000-01-01"}, None),
    "common property": ({"properties": [{"key": "$browser", "value": "Safari"}]}, None),
    "nested group": ({"properties": {"type": "OR", "values": [
        {"key": "plan", "value": "enterprise"}, {"key": "$os", "value": "iOS"}]}}, None),
    "hogql where": ({"where": "properties.plan = 'enterprise' AND event = '$pageview'"}, None),
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
    for case, (spec, expected_index) in CASES.items():
        params = {k: json.dumps(v) if k == "properties" else v for k, v in spec.items() if k != "where"}
        where = [spec["where"]] if "where" in spec else []
        request = parse_request(project, params, where=where)
        async with db.connect() as conn:
            plan = "\n".join(await explain_list(conn, request.query))
        assert "Seq Scan on events" not in plan, (case, plan)
        assert "ix_events_" in plan, (case, plan)
        if expected_index:
            assert expected_index in plan, (case, plan)
