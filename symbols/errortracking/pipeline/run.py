"""One batch of the capture stream through every stage, in cymbal's order.

Outside any transaction, per project: pre-process -> resolve -> fingerprint (grouping
rules first) -> suppression rules. Then ONE transaction for the whole batch: skip events
stored already (a redelivery) -> link issues (suppressed issues' events dropped) -> output
properties -> assignment -> store, and the stream's ``settle``; ``acknowledge`` after the
commit. A fault anywhere raises before the commit: nothing of the batch is stored and the
stream hands it out again (at-least-once, made exactly-once by the events' unique key).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from ...db import Database
from ...db.access import project_exists
from ..capture import CapturedEvent
from ..preprocess import preprocess
from ..ruleset import NoRuleSource, RuleSource, guarded
from ..stream import Batch, EventStream, StreamMessage
from .assignment import assign_items
from .grouping import fingerprint_items
from .item import Item
from .linking import link_items
from .output import write_properties
from .resolution import FrameResolver, resolve_items
from .store import store_items, unstored
from .suppression import unsuppressed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What became of a batch's events (each counted once)."""

    stored: int = 0
    duplicates: int = 0  # stored before: a redelivery or an SDK retry
    suppressed: int = 0  # by a suppression rule or a suppressed issue
    undecodable: int = 0  # a stream payload that is not an event (dropped, logged)
    unknown_project: int = 0  # the project was deleted meanwhile


class Pipeline:
    def __init__(
        self, db: Database, stream: EventStream, resolver: FrameResolver, rules: RuleSource | None = None
    ) -> None:
        self.db = db
        self.stream = stream
        self.resolver = resolver
        self.rules = rules if rules is not None else NoRuleSource()

    async def process(self, batch: Batch) -> Outcome:
        counts = dict.fromkeys(("stored", "duplicates", "suppressed", "undecodable", "unknown_project"), 0)
        by_project = _decode(batch.messages, counts)
        found = await self.rules.rules_for(list(by_project)) if by_project else {}
        rulesets = {project_id: guarded(rules) for project_id, rules in found.items()}
        for project_id, items in by_project.items():
            rules = rulesets[project_id]
            await resolve_items(self.resolver, project_id, [i for i in items if i.is_exception])
            fingerprint_items(rules, items)
            by_project[project_id], dropped = unsuppressed(rules, items)
            counts["suppressed"] += len(dropped)
        async with self.db.begin() as conn:
            for project_id in sorted(by_project):
                items = by_project[project_id]
                if not await project_exists(conn, project_id):
                    counts["unknown_project"] += len(items)
                    continue
                fresh = await unstored(conn, project_id, items)
                linked = await link_items(conn, project_id, fresh)
                write_properties(linked)
                await assign_items(conn, rulesets[project_id], linked)
                stored = await store_items(conn, project_id, linked)
                counts["stored"] += stored
                counts["suppressed"] += len(fresh) - len(linked)
                counts["duplicates"] += len(items) - len(fresh) + len(linked) - stored
            await self.stream.settle(conn, batch)
        await self.stream.acknowledge(batch)
        return Outcome(**counts)


def _decode(messages: Sequence[StreamMessage], counts: dict[str, int]) -> dict[int, list[Item]]:
    """The batch's events by project, pre-processed; one item per (project, uuid)."""
    by_project: dict[int, dict[str, Item]] = {}
    for message in messages:
        try:
            event = CapturedEvent.from_bytes(message.payload)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            log.error("stream message %s is not an event (%s); dropped", message.id, exc)
            counts["undecodable"] += 1
            continue
        items = by_project.setdefault(message.project_id, {})
        if event.uuid in items:
            counts["duplicates"] += 1
            continue
        prepared = preprocess(event.event, event.properties)
        items[event.uuid] = Item(message.project_id, event, prepared.properties, prepared.exceptions)
    return {p: list(items.values()) for p, items in by_project.items()}


__all__ = ["Outcome", "Pipeline"]
