"""Schemathesis against the running service, on SQLite and PostgreSQL: every documented
operation, every phase (examples, coverage, fuzzing, stateful), few examples so the suite
stays short (``make fuzz`` runs many). No 5xx, no response outside its documented status
codes, media types and schemas."""

from __future__ import annotations

import asyncio

import pytest

from tests.api.fuzz import run
from tests.databases import open_test_database

MAX_EXAMPLES = 5


@pytest.mark.timeout(900)
@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"])
async def test_schemathesis_finds_nothing(request, tmp_path, db_kind):
    database_url = None
    if db_kind == "postgresql":
        await (await open_test_database("postgresql", request, tmp_path)).close()  # emptied
        database_url = request.getfixturevalue("pg_url")
    outcome = await asyncio.to_thread(
        run, tmp_path, database_url=database_url, max_examples=MAX_EXAMPLES, seed_value=1
    )
    assert outcome.returncode == 0, outcome.output[-20000:]
    selected, total = outcome.figure(r"Selected: (\d+)/"), outcome.figure(r"Selected: \d+/(\d+)")
    assert selected == total == outcome.figure(r"Tested: (\d+)") > 40
    generated = outcome.figure(r"(\d+) generated")
    assert generated > 500 and outcome.figure(r"\d+ generated, (\d+) passed") == generated, outcome.summary()
