"""python -m bench.events [--events N] [--reuse] [--runs R]

The events list at scale (issue 11): builds N events (default 10 million) in a PostgreSQL
database of its own on 127.0.0.1:5432 (``symbols_bench_events``, kept for ``--reuse``),
then times list queries through the service's own code (``errortracking.events``
``parse_request`` + ``list_page``, the path of ``GET .../events/``) and prints the median
and p95 of R runs with the plan's index for each.

The data: 90% of the events in project A, 10% in project B, timestamps spread over the last
30 days in insertion order, as events arrive (``--scattered``: in no relation to it, the
worst case for the heap), six browsers and five systems at random, 1 in 1,000 events with
``plan: "enterprise"``, one event in five an ``$exception`` with one of 20
``$exception_types`` and one of 5,000 ``$exception_values`` (five messages, ``#0``-``#999``).
Rows are made by ``INSERT ... SELECT generate_series`` in chunks of a million with the
indexes dropped, then the indexes of ``tables.py`` (the GIN indexes of migrations 0004,
0009 and 0010 included) are built and the table analysed. ``--reuse`` migrates the database
first (a newer migration's indexes). A query the statement timeout stops is printed as
refused. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time

from sqlalchemy import func, select, text

from symbols.db import migrate, open_database
from symbols.db.access import create_project
from symbols.db.event_queries import explain_list
from symbols.db.tables import events
from symbols.errors import InvalidInput
from symbols.errortracking.events import list_page, parse_request

PG_ADMIN = os.environ.get("SYMBOLS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NAME = "symbols_bench_events"
CHUNK = 1_000_000

# Built from generate_series's g: no input reaches this text.
INSERT_TEMPLATE = """
INSERT INTO events (project_id, uuid, event, distinct_id, person_id, timestamp, properties,
                    elements_chain, issue_id, created_at)
SELECT CASE WHEN g % 10 = 0 THEN CAST(:b AS integer) ELSE CAST(:a AS integer) END,
       gen_random_uuid()::text,
       CASE WHEN g % 5 = 0 THEN '$exception' ELSE '$pageview' END,
       'user-' || (g % 50000),
       NULL,
       now() - make_interval(secs => {age}),
       jsonb_build_object(
         '$browser', (ARRAY['Chrome','Firefox','Safari','Edge','Opera','Brave'])[1 + floor(random() * 6)::int],
         '$os', (ARRAY['Mac OS X','Windows','Linux','iOS','Android'])[1 + floor(random() * 5)::int],
         '$current_url', 'https://example.com/p/' || floor(random() * 1000)::int,
         'plan', CASE WHEN random() < 0.001 THEN 'enterprise' ELSE 'free' END,
         'n', floor(random() * 100)::int
       ) || CASE WHEN g % 5 = 0 THEN jsonb_build_object(
         '$exception_types', jsonb_build_array('Error' || floor(random() * 20)::int),
         '$exception_values', jsonb_build_array(
           (ARRAY['Cannot read properties of undefined (reading ''map'')', 'Network request failed',
                  'x is not a function', 'Loading chunk failed', 'Request aborted'])[1 + floor(random() * 5)::int]
           || ' #' || floor(random() * 1000)::int))
         ELSE '{}'::jsonb END,
       NULL, NULL, now()
FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS g
"""
# Seconds before now: in insertion order (events arrive in time), or scattered.
ARRIVAL = "(CAST(:n AS bigint) - g) * 2592000.0 / CAST(:n AS bigint) + g % 7"
SCATTERED = "g * 2654435761::bigint % 2592000"
INSERT = text(INSERT_TEMPLATE.replace("{age}", ARRIVAL))

QUERIES = {
    "no filter (last 24 h)": {},
    "$browser = Safari (1 in 6)": {"properties": [{"key": "$browser", "value": "Safari"}]},
    "plan = enterprise (1 in 1,000)": {"properties": [{"key": "plan", "value": "enterprise"}]},
    "plan = enterprise, 30 days": {"properties": [{"key": "plan", "value": "enterprise"}],
                                   "after": "30d"},
    "$exception_types has Error5": {"properties": [{"key": "$exception_types", "value": "Error5"}]},
    "$exception_types has Error5, 30 days": {
        "properties": [{"key": "$exception_types", "value": "Error5"}], "after": "30d"},
    "$exception_types in (Error5, Error6)": {
        "properties": [{"key": "$exception_types", "value": ["Error5", "Error6"], "operator": "in"}]},
    "$exception_types is_not Error5": {
        "properties": [{"key": "$exception_types", "value": "Error5", "operator": "is_not"}]},
    "$exception_values exact (1 in 25,000)": {
        "properties": [{"key": "$exception_values", "value": "Request aborted #7"}], "after": "30d"},
    "nothing: $exception_types NoSuchError": {
        "properties": [{"key": "$exception_types", "value": "NoSuchError"}], "after": "30d"},
    "nothing: plan = NoSuchPlan, 30 days": {"properties": [{"key": "plan", "value": "NoSuchPlan"}],
                                           "after": "30d"},
    **{f"icontains {needle}{', 30 d' if month else ''}": {
        "properties": [{"key": "$exception_values", "value": needle, "operator": "icontains"}],
        **({"after": "30d"} if month else {})}
       # Common, rare, rarer, and common trigrams of a rare text (the trigram index's cases).
       for needle in ("chunk", "#777", "aborted #99", "request aborted #7") for month in (False, True)},
    "nothing: $exception_values icontains": {
        "properties": [{"key": "$exception_values", "value": "no such text", "operator": "icontains"}]},
    "nothing: $exception_values icontains, 30 d": {
        "properties": [{"key": "$exception_values", "value": "no such text", "operator": "icontains"}],
        "after": "30d"},
    "everything: plan in (free, enterprise)": {
        "properties": [{"key": "plan", "value": ["free", "enterprise"], "operator": "in"}], "after": "30d"},
    "everything: $os is_set": {"properties": [{"key": "$os", "operator": "is_set"}]},
    "event = $exception AND $os = iOS": {"event": "$exception",
                                          "properties": [{"key": "$os", "value": "iOS"}]},
    "nested OR (Edge, n > 98)": {"properties": {"type": "OR", "values": [
        {"key": "$browser", "value": "Edge"}, {"key": "n", "value": 98, "operator": "gt"}]}},
    "distinct_id = user-42": {"distinct_id": "user-42"},
}


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def build(url: str, n: int, *, scattered: bool = False) -> tuple[int, int]:
    await _admin(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
    await _admin(f'CREATE DATABASE "{NAME}"')
    db = open_database(url)
    await migrate(db)
    async with db.begin() as conn:
        a, b = (await create_project(conn, "a")).id, (await create_project(conn, "b")).id
    insert = text(INSERT_TEMPLATE.replace("{age}", SCATTERED)) if scattered else INSERT
    started = time.perf_counter()
    async with db.begin() as conn:
        await conn.run_sync(lambda sync: [index.drop(sync) for index in events.indexes])
    for lo in range(1, n + 1, CHUNK):
        async with db.begin() as conn:
            await conn.execute(insert, {"a": a, "b": b, "n": n, "lo": lo, "hi": min(lo + CHUNK - 1, n)})
        print(f"  {min(lo + CHUNK - 1, n):>11,} rows  {time.perf_counter() - started:6.0f} s", flush=True)
    async with db.begin() as conn:
        await conn.run_sync(lambda sync: [index.create(sync) for index in events.indexes])
    async with db.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE events"))
    print(f"built {n:,} events with their indexes in {time.perf_counter() - started:.0f} s")
    await db.close()
    return a, b


def _params(spec: dict) -> dict[str, str]:
    params = {k: json.dumps(v) if k == "properties" else v for k, v in spec.items() if k != "after"}
    if spec.get("after") == "30d":
        params["after"] = "2000-01-01T00:00:00+00:00"
    return params


async def measure(url: str, runs: int) -> None:
    db = open_database(url)
    await migrate(db)  # a database built before a newer migration gets its indexes
    async with db.connect() as conn:
        a = (await conn.execute(text("SELECT min(id) FROM projects"))).scalar_one()
        total = (await conn.execute(select(func.count()).select_from(events))).scalar_one()
    print(f"\n{total:,} events; project {a}, limit 100, newest first; {runs} runs each\n")
    print(f"{'query':<40} {'median ms':>10} {'p95 ms':>8} {'rows':>5}  plan")
    for name, spec in QUERIES.items():
        request = parse_request(a, _params(spec))
        times, rows = [], 0
        try:
            for i in range(runs + 2):
                start = time.perf_counter()
                page = await list_page(db, request)
                if i >= 2:  # two warm-up runs
                    times.append((time.perf_counter() - start) * 1000)
                rows = len(page.rows)
        except InvalidInput as exc:  # the list's statement timeout
            print(f"{name:<40} {'refused':>10} {'':>8} {'':>5}  {exc.detail[:60]}")
            continue
        async with db.connect() as conn:
            lines = await explain_list(conn, request.query)
        indexes = sorted({word for line in lines for word in line.split() if word.startswith("ix_")})
        seq = any("Seq Scan on events" in line for line in lines)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"{name:<40} {statistics.median(times):>10.1f} {p95:>8.1f} {rows:>5}  "
              f"{', '.join(indexes) or '-'}{' + SEQ SCAN' if seq else ''}")
    await db.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.events", description=__doc__)
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--reuse", action="store_true", help="time the database built before")
    ap.add_argument("--scattered", action="store_true",
                    help="timestamps in no relation to insertion order (the worst case)")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + NAME
    if not args.reuse:
        asyncio.run(build(url, args.events, scattered=args.scattered))
    asyncio.run(measure(url, args.runs))


if __name__ == "__main__":
    main()
