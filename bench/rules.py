"""python -m bench.rules [--events N] [--batch B] [--db sqlite,postgresql]

Pipeline throughput with 0, 10 and 100 enabled rules of EACH kind (grouping, suppression,
assignment), loaded by the service's ``RuleCache``, over the events of ``bench.pipeline``
(10 resolvable JavaScript frames each, 20 issues). The rules are ``bench.filters``'
realistic mix, numbered past the events' exception types so that none matches: no event is
regrouped or suppressed, and every rule the index cannot rule out runs on every event (the
worst case for first-match). Besides events/s (wall clock) it measures the CPU time of this
process spent inside the rule hooks (loading and version checks included) and prints it as
a share of the CPU time the pipeline used (CPU time holds on a busy machine, wall time does
not); the target is under 20% at 100 rules of each kind. Garbage collections are counted
apart, in neither: a full one (~0.1 s) lands in whatever code allocates at that moment,
rules or not. The first load (reading and compiling every rule, once per process and
edit) is also shown on its own, with the share the rest takes: what rules cost per event
once loaded. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Self

from bench.databases import scratch_database
from bench.filters import rule
from bench.pipeline import TYPES, bench_project, drain, publish
from symbols.db import Database
from symbols.db.users import create_user
from symbols.errortracking import rules
from symbols.errortracking.pipeline import Pipeline
from symbols.errortracking.rule_cache import RuleCache
from symbols.errortracking.stream import DatabaseStream


class CpuClock:
    """This process's CPU time, less the garbage collector's pauses (added up apart)."""

    def __init__(self) -> None:
        self.gc_seconds = 0.0
        self._started: float | None = None

    def __enter__(self) -> Self:
        gc.callbacks.append(self._collecting)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._collecting)

    def _collecting(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.process_time()
        elif self._started is not None:
            self.gc_seconds += time.process_time() - self._started
            self._started = None

    def __call__(self) -> float:
        return time.process_time() - self.gc_seconds


class Timed:
    """A RuleSource (and the RuleSets it hands out) that adds up the CPU time spent in rules."""

    def __init__(self, inner: RuleCache, clock: CpuClock) -> None:
        self.inner = inner
        self.clock = clock
        self.seconds = 0.0
        self.first_load: float | None = None
        self._rules: Any = None

    async def rules_for(self, project_ids: Collection[int]) -> dict[int, Timed]:
        start = self.clock()
        [self._rules] = (await self.inner.rules_for(project_ids)).values()  # one project
        spent = self.clock() - start
        self.seconds += spent
        if self.first_load is None:
            self.first_load = spent
        return dict.fromkeys(project_ids, self)

    def _timed(self, name: str, *args: Any) -> Any:
        start = self.clock()
        try:
            return getattr(self._rules, name)(*args)
        finally:
            self.seconds += self.clock() - start

    def group(self, props: Mapping[str, Any]):
        return self._timed("group", props)

    def suppress(self, event_uuid: str, props: Mapping[str, Any]) -> bool:
        return self._timed("suppress", event_uuid, props)

    def assign(self, issue: Mapping[str, Any], props: Mapping[str, Any]):
        return self._timed("assign", issue, props)


async def _add_rules(db: Database, project: int, count: int) -> None:
    async with db.begin() as conn:
        user = await create_user(conn, f"bench-{count}@example.com", "bench")
    for n in range(TYPES, TYPES + count):  # rule(n) names Error{n}: the events have Error0..19
        await rules.create(db, "grouping", project, {"filters": rule(n)})
        await rules.create(db, "suppression", project, {"filters": rule(n + 1)})
        await rules.create(db, "assignment", project, {"filters": rule(n + 2),
                                                       "assignee": {"type": "user", "id": user.id}})


async def run(kind: str, events: int, batch: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-rules-"))
    print(f"{kind}: {events} events per run, batches of {batch}")
    print(f"  {'rules/kind':>10}  {'events/s':>9}  {'pipeline CPU s':>14}  {'GC s':>5}  {'rules CPU s':>11}  "
          f"{'rules share':>11}  {'1st load s':>10}  {'share after it':>14}")
    for count in (0, 10, 100):
        (work / str(count)).mkdir()
        async with (scratch_database(kind, work / str(count)) as url,
                    bench_project(url, work / str(count)) as (db, resolver, project)):
            await _add_rules(db, project, count)
            stream = DatabaseStream(db)
            clock = CpuClock()
            timed = Timed(RuleCache(db), clock)
            pipeline = Pipeline(db, stream, resolver, timed)
            await publish(stream, project, events)
            gc.collect()
            gc.freeze()  # the setup's objects: no full collection walks them again
            with clock:
                started, cpu = time.perf_counter(), clock()
                stored = await drain(pipeline, stream, batch)
                elapsed, cpu = time.perf_counter() - started, clock() - cpu
            gc.unfreeze()
        load = timed.first_load or 0.0
        share, after = 100 * timed.seconds / cpu, 100 * (timed.seconds - load) / (cpu - load)
        print(f"  {count:>10}  {stored / elapsed:>9.0f}  {cpu:>14.2f}  {clock.gc_seconds:>5.2f}  "
              f"{timed.seconds:>11.3f}  {share:>10.1f}%  {load:>10.3f}  {after:>13.1f}%")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.rules", description=__doc__)
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--db", default="sqlite,postgresql")
    args = ap.parse_args(argv)
    for kind in args.db.split(","):
        asyncio.run(run(kind, args.events, args.batch))


if __name__ == "__main__":
    main()
