"""python -m bench.filters [--seconds S]: compiled rule predicates evaluated per second.

Runs 1, 10 and 100 rules (first match wins, as in the pipeline; none matches here, so every
rule runs) over a typical exception event, and reports rule evaluations per second and events
per second. Not a test: no assertion on speed.
"""

from __future__ import annotations

import argparse
import time

from symbols.errortracking.filters import compile_filters, parse_filters

EVENT = {"properties": {
    "$exception_types": ["TypeError", "Error"],
    "$exception_values": ["Cannot read properties of undefined (reading 'x')", "wrapped"],
    "$exception_sources": ["https://example.com/static/app.3f2a.js"],
    "$exception_functions": ["render", "commitRoot", "performWork"],
    "$lib": "web", "$lib_version": "1.200.3", "$browser": "Chrome", "$current_url":
    "https://example.com/checkout?step=2", "$os": "Mac OS X", "attempt": 3,
}}


def rule(i: int) -> dict:
    """A realistic rule mix: type, message, URL and version conditions; none matches EVENT."""
    kinds = [
        [{"key": "$exception_types", "operator": "exact", "value": f"Error{i}"}],
        [{"key": "$exception_values", "operator": "icontains", "value": f"ResizeObserver {i}"},
         {"key": "$browser", "operator": "exact", "value": ["Safari", "Firefox"]}],
        [{"key": "$current_url", "operator": "regex", "value": f"^https://{i}\\.example\\.org/"}],
        [{"key": "$lib_version", "operator": "semver_lt", "value": "1.100.0"},
         {"key": "attempt", "operator": "gt", "value": 10 + i}],
    ]
    values = [{"type": "event", **leaf} for leaf in kinds[i % len(kinds)]]
    return {"type": "AND", "values": values}


def run(count: int, seconds: float) -> tuple[float, float]:
    predicates = [compile_filters(parse_filters(rule(i))) for i in range(count)]
    events = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for _ in range(200):
            for predicate in predicates:
                if predicate(EVENT):
                    break
        events += 200
    elapsed = time.perf_counter() - start
    return events * count / elapsed, events / elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.filters", description=__doc__)
    ap.add_argument("--seconds", type=float, default=2.0, help="time per rule count")
    args = ap.parse_args(argv)
    print(f"{'rules':>5}  {'evaluations/s':>14}  {'events/s':>10}  {'us/event':>9}")
    for count in (1, 10, 100):
        per_rule, per_event = run(count, args.seconds)
        print(f"{count:>5}  {per_rule:>14,.0f}  {per_event:>10,.0f}  {1e6 / per_event:>9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
