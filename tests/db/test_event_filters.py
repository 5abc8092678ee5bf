"""Property conditions in SQL agree with a plain reference written here, on both databases.

A fixed, seeded set of events is stored once per test; random leaves (every supported
operator, scalar and array properties, missing keys, numeric strings, booleans) are run
through ``condition_sql`` and compared with the reference's answer for every event.
"""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, select

from symbols.db import access
from symbols.db.event_filters import ColumnTest, Combine, PropertyTest, condition_sql
from symbols.db.events import EventRow, insert_events
from symbols.db.tables import events

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
KEYS = ["a", "b", "$browser", 'we"ird', "back\\slash", "ünï code"]
STRINGS = ["abc", "ABC", "xaby", "1", "1.5", "-3", "10", "true", "false", "", "b c"]
NUMBERS = [0, 1, -3, 1.5, 10, 250]
ARRAY_KEY = "$exception_types"
MISSING = object()


def _random_value(rng: random.Random):
    kind = rng.random()
    if kind < 0.5:
        return rng.choice(STRINGS)
    if kind < 0.8:
        return rng.choice(NUMBERS)
    if kind < 0.9:
        return rng.choice([True, False])
    return None


def _random_props(rng: random.Random) -> dict:
    props = {k: _random_value(rng) for k in KEYS if rng.random() < 0.7}
    if rng.random() < 0.7:
        props[ARRAY_KEY] = [rng.choice(STRINGS) for _ in range(rng.randint(0, 3))]
    return props


# ---- the reference: ClickHouse's text-form comparison, written independently ----------

def _text(x):
    if x is MISSING or x is None:
        return None
    if isinstance(x, bool):
        return "true" if x else "false"
    return str(x)


def _num(x):
    if isinstance(x, bool) or x is MISSING or x is None:
        return None
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, str) and re.fullmatch(r"-?\d+(\.\d+)?", x):
        return float(x)
    return None


def _exact(x, v) -> bool:
    want = _text(v)
    if isinstance(x, bool):
        return want == ("true" if x else "false")
    if isinstance(x, (int, float)):
        return _num(want) is not None and float(x) == _num(want)
    return isinstance(x, str) and x == want


def _positive(x, op, v) -> bool:
    if op == "is_set":
        return x is not MISSING and x is not None
    if op in ("exact", "in"):
        return any(_exact(x, item) for item in (v if isinstance(v, list) else [v]))
    t = _text(x)
    if op == "icontains":
        return t is not None and _text(v).lower() in t.lower()
    if op == "regex":
        return t is not None and re.search(v, t) is not None
    if op == "between":
        n = _num(x)
        return n is not None and v[0] <= n <= v[1]
    bound = _num(v)
    if bound is not None:
        n = _num(x)
        left, right = n, bound
    else:
        left, right = (x if isinstance(x, str) else None), _text(v)
    if left is None:
        return False
    return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]


NEGATIVE = {"is_not": "exact", "not_in": "in", "not_icontains": "icontains",
            "not_regex": "regex", "is_not_set": "is_set", "not_between": "between"}


def reference(props: dict, leaf: PropertyTest) -> bool:
    op = leaf.operator
    if op in NEGATIVE:
        return not reference(props, PropertyTest(leaf.path, NEGATIVE[op], leaf.value, leaf.per_element))
    x = props.get(leaf.path[0], MISSING)
    if leaf.per_element and op != "is_set":
        return isinstance(x, list) and any(_positive(e, op, leaf.value) for e in x)
    return _positive(x, op, leaf.value)


OPERATORS = ["exact", "is_not", "in", "not_in", "icontains", "not_icontains", "regex",
             "not_regex", "gt", "gte", "lt", "lte", "is_set", "is_not_set", "between",
             "not_between"]


def _random_leaf(rng: random.Random) -> PropertyTest:
    op = rng.choice(OPERATORS)
    per_element = rng.random() < 0.25
    key = ARRAY_KEY if per_element else rng.choice(KEYS + ["missing"])
    if op in ("in", "not_in"):
        value = [rng.choice(STRINGS + NUMBERS) for _ in range(rng.randint(1, 3))]
    elif op in ("between", "not_between"):
        low = rng.choice(NUMBERS)
        value = [low, low + rng.choice([0, 1, 5, 100])]
    elif op in ("regex", "not_regex"):
        value = rng.choice(["^a", "b$", "a.c", "[0-9]", "^$", "B"])
    elif op in ("icontains", "not_icontains"):
        value = rng.choice(["a", "B", "1", "ru", "b c"])
    elif op in ("exact", "is_not"):
        value = rng.choice(STRINGS + NUMBERS + [True, False])
    else:
        value = rng.choice(STRINGS + NUMBERS)
    return PropertyTest((key,), op, value, per_element)


async def _seed(db, rng: random.Random) -> tuple[int, dict[str, dict]]:
    async with db.begin() as conn:
        team = (await access.create_project(conn, "web")).id
        other = (await access.create_project(conn, "other")).id
        rows = []
        for i in range(60):
            props = _random_props(rng)
            rows.append(EventRow(team, str(uuid.uuid4()), "$pageview", f"u{i % 5}",
                                 T0 + timedelta(seconds=i), props))
        # The same properties in another project must never show up.
        rows += [EventRow(other, str(uuid.uuid4()), "$pageview", "u", T0, r.properties) for r in rows[:10]]
        await insert_events(conn, rows)
    return team, {r.uuid: r.properties for r in rows if r.project_id == team}


async def _matching(db, team: int, node) -> set[str]:
    async with db.connect() as conn:
        where = and_(events.c.project_id == team, condition_sql(conn.dialect.name, node))
        return {r.uuid for r in await conn.execute(select(events.c.uuid).where(where))}


async def test_random_leaves_agree_with_the_reference(database):
    rng = random.Random(1234)
    team, stored = await _seed(database, rng)
    for _ in range(150):
        leaf = _random_leaf(rng)
        expected = {u for u, props in stored.items() if reference(props, leaf)}
        assert await _matching(database, team, leaf) == expected, leaf


async def test_random_groups_agree_with_the_reference(database):
    rng = random.Random(99)
    team, stored = await _seed(database, rng)
    for _ in range(40):
        leaves = [_random_leaf(rng) for _ in range(rng.randint(1, 4))]
        op = rng.choice(["AND", "OR"])
        node = Combine("NOT", (Combine(op, tuple(leaves)),)) if rng.random() < 0.3 else Combine(op, tuple(leaves))

        def holds(props, leaves=leaves, op=op, node=node):
            result = (all if op == "AND" else any)(reference(props, leaf) for leaf in leaves)
            return not result if node.op == "NOT" else result
        expected = {u for u, props in stored.items() if holds(props)}
        assert await _matching(database, team, node) == expected, node


async def test_exact_matches_through_the_text_form(database):
    async with database.begin() as conn:
        team = (await access.create_project(conn, "web")).id
        values = {"s1": "1", "n1": 1, "f": 1.0, "t": True, "st": "true", "x": "1.0"}
        rows = {name: EventRow(team, str(uuid.uuid4()), "e", "d", T0, {"k": v}) for name, v in values.items()}
        await insert_events(conn, list(rows.values()))
    names = {r.uuid: n for n, r in rows.items()}

    async def match(value):
        return {names[u] for u in await _matching(database, team, PropertyTest(("k",), "exact", value))}

    assert await match("1") == {"s1", "n1", "f"}
    assert await match(1) == {"s1", "n1", "f"}
    assert await match(True) == {"t", "st"}
    assert await match("1.0") == {"x", "n1", "f"}


async def test_nested_paths_and_columns(database):
    async with database.begin() as conn:
        team = (await access.create_project(conn, "web")).id
        a = EventRow(team, str(uuid.uuid4()), "click", "d1", T0, {"app": {"version": "2.1"}})
        b = EventRow(team, str(uuid.uuid4()), "view", "d2", T0 + timedelta(1), {"app": {"version": 3}})
        await insert_events(conn, [a, b])
    nested = PropertyTest(("app", "version"), "exact", "2.1")
    assert await _matching(database, team, nested) == {a.uuid}
    assert await _matching(database, team, PropertyTest(("app", "version"), "gt", 2.5)) == {b.uuid}
    assert await _matching(database, team, ColumnTest("event", "in", ["view", "x"])) == {b.uuid}
    assert await _matching(database, team, ColumnTest("timestamp", "gt", T0)) == {b.uuid}
    assert await _matching(database, team, ColumnTest("distinct_id", "like", "d%")) == {a.uuid, b.uuid}
    assert await _matching(database, team, ColumnTest("person_id", "is_not_set")) == {a.uuid, b.uuid}


MESSAGES = ['Say "hi"', "back\\slash", "tab\there", "new\nline", "ctl\x01x", "Ünïcode Ça va", "a\\nb",
            "TypeError: x is not a function", "100% done_ok", 'a"b', 42, 1.5, True]
# With PostHog's LIKE wildcards: `%` any run, `_` any one character (a quote, a tab).
NEEDLES = ["hi", '"hi"', 'say "', "slash", "\\", "back\\s", "nb", "\\n", "n", "\t", "there", "ça", "ÜNÏ",
           "42", "1.5", "true", "not a func", "x01", "\x01", "100", "zzz", "", "ye", "y \"", "a_b", "tab_h",
           "done_ok", "100%", "%", "_", "say_%hi", "t%f", "ctl_x"]


def _like_reference(text: str, needle: str) -> bool:
    pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in needle.lower())
    return re.search(pattern, text.lower(), re.DOTALL) is not None


async def test_message_substrings_agree_with_the_reference(database):
    """icontains on ``$exception_values`` (on PostgreSQL pre-filtered on the list's JSON
    text, which the trigram index serves) finds exactly the events with such a message,
    whatever JSON escapes in them."""
    rng = random.Random(7)
    async with database.begin() as conn:
        team = (await access.create_project(conn, "web")).id
        rows = [EventRow(team, str(uuid.uuid4()), "$exception", "u", T0, {
            "$exception_values": rng.sample(MESSAGES, rng.randint(1, 3))}) for _ in range(80)]
        rows.append(EventRow(team, str(uuid.uuid4()), "$exception", "u", T0, {"$exception_values": "hi there"}))
        await insert_events(conn, rows)
    stored = {r.uuid: r.properties for r in rows}
    for needles in [[n] for n in NEEDLES] + [[n, m] for n, m in zip(NEEDLES, reversed(NEEDLES))]:
        expected = {u for u, props in stored.items() for n in needles
                    if isinstance(props["$exception_values"], list)
                    and any(_like_reference(_text(m), n) for m in props["$exception_values"])}
        leaf = PropertyTest(("$exception_values",), "icontains", needles, per_element=True)
        assert await _matching(database, team, leaf) == expected, needles
