"""The pipeline's rules from the database: ``RuleCache`` (a ``RuleSource``) loads a
project's enabled rules once, compiles their filters once, and keeps them per worker
process; it reads the projects' ``rule_versions.version`` at most every
``check_seconds`` (one query for all the projects of a batch) and loads again when one
moved, so an edit reaches every worker within seconds, without a restart.

``CompiledRules`` (a ``RuleSet``) evaluates them in ``order_key`` order, first match
wins. A rule whose evaluation fails is skipped from then on in this process, and its
``disabled_data`` (``{message, props}``, plus ``issue`` for assignment rules) is written
once in a transaction of its own (the pipeline's hooks are synchronous); the version bump
that comes with it makes the other workers skip it too, until it is edited.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..db import Database
from ..db.issues import Assignee
from ..db.rules import Rule, disable_rule, list_rules, rules_versions
from .filters import (
    FilterGroup,
    InvalidFilters,
    Predicate,
    RuleEvaluationError,
    compile_filters,
    parse_filters,
)
from .rule_index import RuleIndex, gates
from .ruleset import GroupMatch

log = logging.getLogger(__name__)

# Projects whose rules one process keeps (least recently used dropped first).
MAX_PROJECTS = 1_000
# disabled_data keeps the event's properties, each at most this big once JSON-encoded.
MAX_PROP_BYTES = 4_096
MAX_PROPS = 200
# In the pipeline's order.
KINDS_LOADED = ("grouping", "suppression", "assignment")


@dataclass
class _Compiled:
    rule: Rule
    predicate: Predicate | None  # None: the stored filters do not compile
    group: FilterGroup | None = None
    broken: bool = False


Recorder = Callable[[Rule, dict], None]


def _bounded(props: Mapping[str, Any]) -> dict[str, Any]:
    """The properties worth keeping in ``disabled_data`` (big values such as the exception
    list would make every rules list heavy)."""
    kept: dict[str, Any] = {}
    for key, value in props.items():
        if len(kept) >= MAX_PROPS:
            break
        try:
            if len(orjson.dumps(value)) <= MAX_PROP_BYTES:
                kept[key] = value
        except TypeError:
            continue
    return kept


def _compile(rule: Rule) -> _Compiled:
    try:
        group = parse_filters(rule.filters)
        return _Compiled(rule, compile_filters(group), group)
    except InvalidFilters:
        return _Compiled(rule, None)


class _Kind:
    """One kind's rules in order, with the index that skips those an event cannot match."""

    def __init__(self, rules: list[_Compiled]) -> None:
        self.rules = rules
        self.index = RuleIndex(gates([c.group for c in rules]))


def sampled(event_uuid: str, rate: float) -> bool:
    """Whether a matching suppression rule drops this event (cymbal's deterministic sampling)."""
    if rate >= 1:
        return True
    if rate <= 0:
        return False
    try:
        number = uuid.UUID(event_uuid).int
    except ValueError:
        number = 0
    return number % 10000 < int(rate * 10000)


class CompiledRules:
    """One project's enabled rules, compiled; ``record`` stores a failure's disabled_data."""

    def __init__(self, rules: list[Rule], record: Recorder) -> None:
        by_kind: dict[str, list[_Compiled]] = {kind: [] for kind in KINDS_LOADED}
        for rule in rules:
            by_kind[rule.kind].append(_compile(rule))
        self.grouping, self.suppression, self.assignment = (_Kind(by_kind[k]) for k in KINDS_LOADED)
        self._record = record

    def _first(self, kind: _Kind, globals_: Mapping[str, Any]) -> Rule | None:
        rules = kind.rules
        for position in kind.index.candidates(globals_["properties"]):
            compiled = rules[position]
            if compiled.broken:
                continue
            try:
                if compiled.predicate is None:
                    raise RuleEvaluationError("The rule's filters are not valid.", globals_.get("properties"))
                if compiled.predicate(globals_):
                    return compiled.rule
            except RuleEvaluationError as exc:
                compiled.broken = True
                data = {"message": exc.message, "props": _bounded(exc.props)}
                if "issue" in globals_:
                    data["issue"] = dict(globals_["issue"])
                self._record(compiled.rule, data)
        return None

    def group(self, props: Mapping[str, Any]) -> GroupMatch | None:
        rule = self._first(self.grouping, {"properties": props})
        return GroupMatch(rule.id, rule.assignee) if rule is not None else None

    def suppress(self, event_uuid: str, props: Mapping[str, Any]) -> bool:
        rule = self._first(self.suppression, {"properties": props})
        return rule is not None and sampled(event_uuid, rule.sampling_rate if rule.sampling_rate is not None else 1.0)

    def assign(self, issue: Mapping[str, Any], props: Mapping[str, Any]) -> Assignee | None:
        rule = self._first(self.assignment, {"issue": issue, "properties": props})
        return rule.assignee if rule is not None else None


@dataclass
class _Entry:
    version: int
    rules: CompiledRules
    checked_at: float


@dataclass
class RuleCache:
    """The ``RuleSource`` the pipeline uses; built once per process in ``app.py``."""

    db: Database
    check_seconds: float = 1.0
    clock: Callable[[], float] = time.monotonic
    _entries: OrderedDict[int, _Entry] = field(default_factory=OrderedDict)
    _writes: set[asyncio.Task] = field(default_factory=set)

    async def rules_for(self, project_ids: Collection[int]) -> dict[int, CompiledRules]:
        now = self.clock()
        stale = [p for p in project_ids
                 if (entry := self._entries.get(p)) is None or now - entry.checked_at >= self.check_seconds]
        if stale:
            async with self.db.connect() as conn:
                versions = await rules_versions(conn, stale)
                for project_id, version in versions.items():
                    entry = self._entries.get(project_id)
                    if entry is None or entry.version != version:
                        found = [r for kind in KINDS_LOADED
                                 for r in await list_rules(conn, kind, project_id, enabled_only=True)]
                        entry = _Entry(version, CompiledRules(found, self._recorder(project_id)), now)
                    entry.checked_at = now
                    self._entries[project_id] = entry
        rules = {}
        for project_id in project_ids:
            self._entries.move_to_end(project_id)
            rules[project_id] = self._entries[project_id].rules
        while len(self._entries) > MAX_PROJECTS:
            self._entries.popitem(last=False)
        return rules

    def _recorder(self, project_id: int) -> Recorder:
        def record(rule: Rule, data: dict) -> None:
            log.warning("%s rule %s of project %s disabled: %s", rule.kind, rule.id, project_id, data["message"])
            task = asyncio.get_running_loop().create_task(self._disable(project_id, rule, data))
            self._writes.add(task)
            task.add_done_callback(self._writes.discard)
        return record

    async def _disable(self, project_id: int, rule: Rule, data: dict) -> None:
        try:
            async with self.db.begin() as conn:
                await disable_rule(conn, rule, project_id, data)
        except Exception:  # the rule stays skipped here; another worker will try again
            log.exception("could not record disabled_data of rule %s", rule.id)

    async def flush(self) -> None:
        """Wait for the disabled_data writes under way (tests, shutdown)."""
        while self._writes:
            await asyncio.gather(*list(self._writes))


__all__ = ["CompiledRules", "RuleCache", "sampled"]
