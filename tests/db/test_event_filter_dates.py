"""``is_date_*`` and ``semver_*`` in SQL mean what they mean for the rules: over a seeded
mix of dates, versions, near misses and other JSON values stored as events, every operator
and bound selects in SQL (PostgreSQL's patterns, SQLite's registered functions) exactly
the events whose value ``errortracking.operators.build_test`` accepts."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import and_, select

from symbols.db import access
from symbols.db.event_filters import condition_sql
from symbols.db.events import EventRow, insert_events
from symbols.db.tables import events
from symbols.errortracking.events import property_condition
from symbols.errortracking.operators import build_test
from symbols.property_values import MAX_EPOCH, MIN_EPOCH, epoch_seconds

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SPACES = [" ", "\t", "\n", "\r", "\f", "\v", "\xa0", "\u2003", "\x1f", ""]
NOISE = ["", "x", "-", "+", ".", ":", "T", "Z", "z", "0", "9", " ", "\n", "٣", "v"]


def _date_text(rng: random.Random) -> str:
    year = rng.choice(["0000", "0001", "1969", "1970", "2000", "2024", "2100", "9999", "123"])
    month = rng.choice(["00", "01", "02", "09", "12", "13", "1"])
    day = rng.choice(["00", "01", "28", "29", "30", "31", "32"])
    text = f"{year}-{month}-{day}"
    if rng.random() < 0.7:
        text += rng.choice(["T", "t", " ", "_"]) + rng.choice(["00", "09", "23", "24"]) + ":" + rng.choice(
            ["00", "30", "59", "60"])
        if rng.random() < 0.6:
            text += ":" + rng.choice(["00", "07", "59", "60"])
            if rng.random() < 0.4:
                text += rng.choice([".", ","]) + rng.choice(["5", "999999", "1234567890"])
        text += rng.choice(["", "", "Z", "z", "+00:00", "-01:30", "+0530", "+05", "+23:59", "+24:00", "-00:60",
                            "+1"])
    return rng.choice(SPACES) + text + rng.choice(SPACES)


def _version_text(rng: random.Random) -> str:
    parts = [rng.choice(["0", "1", "2", "10", "007", "999999999999999999", "1000000000000000000", ""])
             for _ in range(rng.randint(1, 5))]
    text = rng.choice(["", "", "v", "V", "x"]) + ".".join(parts)
    text += rng.choice(["", "", "-beta.1", "+build", "-rc\n1", " -x", "-", "+", ".*", "a"])
    return rng.choice(SPACES) + text + rng.choice(SPACES)


def _mangle(rng: random.Random, text: str) -> str:
    at = rng.randint(0, len(text))
    return text[:at] + rng.choice(NOISE) + text[at + rng.randint(0, 1):]


def _value(rng: random.Random):
    kind = rng.random()
    if kind < 0.35:
        text = _date_text(rng)
    elif kind < 0.65:
        text = _version_text(rng)
    elif kind < 0.85:
        return rng.choice([
            0, 1, -1, 1714521600, 1714521600.5, -0.5, 0.25, 1e-310, -1e-310, 1e300, -1e300, 1.5e12,
            MIN_EPOCH, MIN_EPOCH - 1, MIN_EPOCH - 0.5, MAX_EPOCH, MAX_EPOCH + 0.999, MAX_EPOCH + 1,
            rng.uniform(-1e11, 3e11), rng.randint(-10**12, 10**12), True, False, None,
        ])
    else:
        return rng.choice([[], {}, {"a": 1}, ["2024-01-01"], "", "latest", "2024-05-01"])
    return _mangle(rng, text) if rng.random() < 0.25 else text


DATE_BOUNDS = ["2024-05-01", "2024-05-01T10:00:00+02:00", "1970-01-01", "0001-01-01T00:00:00Z", 1714521600,
               "-7d", "-1y"]
SEMVER_BOUNDS = {op: ["1.2.3", "0.0.1", "v1", "999999999999999999"] for op in (
    "semver_eq", "semver_neq", "semver_gt", "semver_gte", "semver_lt", "semver_lte")}
SEMVER_BOUNDS |= {"semver_tilde": ["1.2.3", "1", "0.2"], "semver_caret": ["1.2.3", "0.2.3", "0.0.3"],
                  "semver_wildcard": ["1.*", "1.2.*", "999999999999999999.*"]}


def _condition(key: str, op: str, bound):
    """The filter as the events list reads it (``errortracking.events``)."""
    return property_condition(json.dumps([{"key": key, "operator": op, "value": bound, "type": "event"}]))


@pytest.fixture
async def stored(database):
    async with database.begin() as conn:
        team = (await access.create_project(conn, "web")).id
    rng = random.Random(20261206)
    values = {str(uuid.uuid4()): _value(rng) for _ in range(1500)}
    rows = [EventRow(team, u, "$pageview", "u", T0, {"x": v, "$exception_types": [v, "n/a"]})
            for u, v in values.items()]
    async with database.begin() as conn:
        await insert_events(conn, rows)
    return database, team, values


async def _selected(db, team: int, test) -> set[str]:
    async with db.connect() as conn:
        cond = condition_sql(conn.dialect.name, test)
        rows = await conn.execute(select(events.c.uuid).where(and_(events.c.project_id == team, cond)))
    return {r.uuid for r in rows}


async def _agree(stored, op: str, bounds: list) -> None:
    """For each bound the rules accept, SQL selects the events whose value the rules'
    test accepts, on a scalar and per element of an exception list."""
    db, team, values = stored
    sizes = []
    for bound in bounds:
        try:
            accepts = build_test(op, bound)
        except ValueError:
            continue
        want = {u for u, v in values.items() if accepts(v)}
        sizes.append(len(want))
        assert await _selected(db, team, _condition("x", op, bound)) == want, (op, bound)
        per_element = _condition("$exception_types", op, bound)
        assert await _selected(db, team, per_element) == want, (op, bound, "per element")
    # The values split: some bounds select some events, not all (else this proves little).
    assert any(0 < n < len(values) for n in sizes), sizes


@pytest.mark.parametrize("op", ["is_date_exact", "is_date_before", "is_date_after"])
async def test_dates_agree_with_the_rules(stored, op):
    # Fixed bounds, and stored dates as bounds (each matches itself exactly, offsets included).
    dates = [v for v in stored[2].values() if isinstance(v, str) and epoch_seconds(v) is not None]
    await _agree(stored, op, DATE_BOUNDS + dates[:40])


@pytest.mark.parametrize("op", sorted(SEMVER_BOUNDS))
async def test_versions_agree_with_the_rules(stored, op):
    await _agree(stored, op, SEMVER_BOUNDS[op])
