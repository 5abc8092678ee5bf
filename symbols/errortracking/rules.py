"""Suppression, assignment and grouping rules as people manage them (PostHog's rules APIs).

Input arrives as decoded JSON; every check is here, with PostHog's codes, details and
attrs (``filters``, ``sampling_rate``, ``assignee__id``, ``assignee__type``). Create sets
``order_key`` 0 and ``disabled_data`` null whatever the body says; an update changes only
the fields given, re-validates ``filters`` and enables the rule again. A rule of another
project is ``Missing``, exactly like one that does not exist.
"""

from __future__ import annotations

import math
from typing import Any

from ..db import Connection, Database
from ..db import rules as queries
from ..db.issues import Assignee
from ..db.rules import Rule
from ..db.types import parse_uuid
from ..errors import InvalidInput, Missing
from .assignees import validate_assignee
from .filters import InvalidFilters, parse_filters

KINDS = tuple(queries.TABLES)
MATCH_ALL = {"type": "AND", "values": []}
# Rules of one kind per project: each one is evaluated on every event.
MAX_RULES = 1_000
MAX_DESCRIPTION = 10_000
MAX_ORDERS = 1_000
_INT32 = 2**31 - 1
_ID_DETAILS = {"user": "User assignee IDs must be integers.", "role": "Role assignee IDs must be UUIDs."}


def _missing() -> Missing:
    return Missing("Not found.")


def _required(attr: str) -> InvalidInput:
    return InvalidInput("required", "This field is required.", attr)


def _filters(value: Any) -> Any:
    if value is None:
        raise InvalidInput("null", "This field may not be null.", "filters")
    if not isinstance(value, dict):
        raise InvalidInput("invalid", "Invalid filters", "filters")
    try:
        parse_filters(value)
    except InvalidFilters as exc:
        raise InvalidInput("invalid", exc.detail, "filters") from None
    return value


def _sampling_rate(value: Any) -> float:
    if value is None:
        raise InvalidInput("null", "This field may not be null.", "sampling_rate")
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str) or len(str(value)) > 64:
            raise ValueError
        rate = float(value)
    except ValueError:
        raise InvalidInput("invalid", "A valid number is required.", "sampling_rate") from None
    if not math.isfinite(rate):
        raise InvalidInput("invalid", "A valid number is required.", "sampling_rate")
    if rate > 1:
        raise InvalidInput("max_value", "Ensure this value is less than or equal to 1.0.", "sampling_rate")
    if rate < 0:
        raise InvalidInput("min_value", "Ensure this value is greater than or equal to 0.0.", "sampling_rate")
    return rate


async def _assignee(conn: Connection, value: Any) -> Assignee:
    try:
        return await validate_assignee(conn, value)
    except InvalidInput as exc:
        if exc.attr == "assignee__id" and exc.code == "invalid":  # a malformed id of a valid type
            raise InvalidInput("invalid", _ID_DETAILS[value["type"]], exc.attr) from None
        raise


def _description(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput("invalid", "Not a valid string.", "description")
    if len(value) > MAX_DESCRIPTION:
        raise InvalidInput(
            "max_length", f"Ensure this field has no more than {MAX_DESCRIPTION} characters.", "description"
        )
    if "\x00" in value:  # PostgreSQL text cannot hold it
        raise InvalidInput("null_characters_not_allowed", "Null characters are not allowed.", "description")
    return value


async def _values(conn: Connection, kind: str, body: dict, *, creating: bool) -> dict[str, Any]:
    """The columns ``body`` sets for a rule of ``kind`` (on create: with defaults)."""
    values: dict[str, Any] = {}
    if "filters" in body:
        values["filters"] = _filters(body["filters"])
    elif creating and kind == "suppression":
        values["filters"] = MATCH_ALL
    elif creating:
        raise _required("filters")
    if kind == "suppression":
        if "sampling_rate" in body:
            values["sampling_rate"] = _sampling_rate(body["sampling_rate"])
        elif creating:
            values["sampling_rate"] = 1.0
        return values
    if kind == "grouping" and "description" in body:
        values["description"] = _description(body["description"])
    if "assignee" in body:
        raw = body["assignee"]
        if raw is None and kind == "assignment":
            raise InvalidInput("null", "This field may not be null.", "assignee")
        values.update(queries.assignee_columns(await _assignee(conn, raw) if raw is not None else None))
    elif creating and kind == "assignment":
        raise _required("assignee")
    return values


async def create(db: Database, kind: str, team_id: int, body: dict) -> Rule:
    async with db.begin() as conn:
        values = await _values(conn, kind, body, creating=True)
        if await queries.count_rules(conn, kind, team_id) >= MAX_RULES:
            raise InvalidInput("max_rules", f"A project has at most {MAX_RULES} {kind} rules.")
        return await queries.insert_rule(conn, kind, team_id, values)


async def update(db: Database, kind: str, team_id: int, rule_id: str, body: dict) -> None:
    async with db.begin() as conn:
        if await queries.get_rule(conn, kind, team_id, rule_id) is None:
            raise _missing()
        values = await _values(conn, kind, body, creating=False)
        await queries.update_rule(conn, kind, team_id, rule_id, values)


async def delete(db: Database, kind: str, team_id: int, rule_id: str) -> None:
    async with db.begin() as conn:
        if not await queries.delete_rule(conn, kind, team_id, rule_id):
            raise _missing()


async def find(db: Database, kind: str, team_id: int, rule_id: str) -> Rule:
    async with db.connect() as conn:
        rule = await queries.get_rule(conn, kind, team_id, rule_id)
    if rule is None:
        raise _missing()
    return rule


async def page(db: Database, kind: str, team_id: int, *, limit: int | None, offset: int = 0) -> tuple[list[Rule], int]:
    async with db.connect() as conn:
        found = await queries.list_rules(conn, kind, team_id, limit=limit, offset=offset)
        return found, await queries.count_rules(conn, kind, team_id)


async def grouping_issues(db: Database, team_id: int, rules: list[Rule]) -> dict[str, dict]:
    """``{"id", "name"}`` of the issue each grouping rule's events went to, by rule id."""
    async with db.connect() as conn:
        return await queries.custom_rule_issues(conn, team_id, [r.id for r in rules])


async def reorder(db: Database, kind: str, team_id: int, body: dict) -> None:
    """``{"orders": {rule_id: order_key}}``; ids that name no rule of the project are ignored."""
    orders = body.get("orders")
    if "orders" not in body:
        raise _required("orders")
    if not isinstance(orders, dict):
        raise InvalidInput("invalid", "orders must be an object of rule ids to integers.", "orders")
    if len(orders) > MAX_ORDERS:
        raise InvalidInput("max_length", f"Ensure orders has no more than {MAX_ORDERS} entries.", "orders")
    wanted: dict[str, int] = {}
    for raw_id, order_key in orders.items():
        if isinstance(order_key, bool) or not isinstance(order_key, int) or abs(order_key) > _INT32:
            raise InvalidInput("invalid", "Each order must be an integer.", "orders")
        rule_id = parse_uuid(raw_id)
        if rule_id is not None:
            wanted[rule_id] = order_key
    async with db.begin() as conn:
        await queries.reorder_rules(conn, kind, team_id, wanted)


__all__ = ["KINDS", "MATCH_ALL", "MAX_RULES", "create", "delete", "find", "grouping_issues", "page", "reorder", "update"]
