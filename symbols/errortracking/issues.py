"""Issues as people manage them (PostHog's issues API): list, read, change, assign, merge,
split, bulk. Input arrives as decoded JSON values; every check is here, so the API and the
web pages share it, and errors are typed (``InvalidInput`` with PostHog's codes and attrs,
``Missing`` for an issue the project does not have).
"""

from __future__ import annotations

from typing import Any

from ..db import Database
from ..db.issue_admin import (
    ORDERINGS,
    Issue,
    existing_issue_ids,
    get_issue,
    list_issues,
    set_assignee,
)
from ..db.issue_admin import update_issues as update_rows
from ..db.issue_fingerprints import owner_of
from ..db.issue_regroup import SplitPart, merge_issues, split_issue
from ..db.tables import ISSUE_STATUSES
from ..db.types import parse_uuid
from ..errors import InvalidInput, Missing
from .assignees import validate_assignee

# Statuses a client may set; archived and pending_release are only read (PostHog's enum).
WRITABLE_STATUSES = ("active", "resolved", "suppressed")
BULK_ACTIONS = ("set_status", "assign")
MAX_NAME = 1_000
MAX_DESCRIPTION = 10_000
MAX_FINGERPRINT = 400
# Issue ids in one merge or bulk request, fingerprints in one split.
MAX_ITEMS = 1_000


def _missing() -> Missing:
    return Missing("Issue not found.")


def _choice(value: Any, choices: tuple[str, ...], attr: str) -> str:
    if not isinstance(value, str) or value not in choices:
        shown = str(value)[:100]
        raise InvalidInput("invalid_choice", f'"{shown}" is not a valid choice.', attr)
    return value


def _text(value: Any, attr: str, limit: int, *, nullable: bool = True) -> str | None:
    if value is None and nullable:
        return None
    if value is None:
        raise InvalidInput("null", "This field may not be null.", attr)
    if not isinstance(value, str):
        raise InvalidInput("invalid", "Not a valid string.", attr)
    if len(value) > limit:
        raise InvalidInput("max_length", f"Ensure this field has no more than {limit} characters.", attr)
    if "\x00" in value:  # PostgreSQL text cannot hold it
        raise InvalidInput("null_characters_not_allowed", "Null characters are not allowed.", attr)
    return value


def findable(fingerprint: str) -> bool:
    """Whether a stored fingerprint could have this value (else: nothing to look up)."""
    return len(fingerprint) <= MAX_FINGERPRINT and "\x00" not in fingerprint


def _list(body: dict, attr: str, *, required: bool = True) -> list:
    if attr not in body:
        if required:
            raise InvalidInput("required", "This field is required.", attr)
        return []
    value = body[attr]
    if not isinstance(value, list):
        raise InvalidInput("not_a_list", f'Expected a list of items but got type "{type(value).__name__}".', attr)
    if not value and required:
        raise InvalidInput("empty", "This list may not be empty.", attr)
    if len(value) > MAX_ITEMS:
        raise InvalidInput("max_length", f"Ensure this field has no more than {MAX_ITEMS} elements.", attr)
    return value


def _uuids(body: dict, attr: str) -> list[str]:
    parsed = []
    for i, value in enumerate(_list(body, attr)):
        uuid = parse_uuid(value)
        if uuid is None:
            raise InvalidInput("invalid", "Must be a valid UUID.", f"{attr}__{i}")
        parsed.append(uuid)
    return parsed


async def find(db: Database, project_id: int, issue_id: str) -> Issue:
    async with db.connect() as conn:
        issue = await get_issue(conn, project_id, issue_id)
    if issue is None:
        raise _missing()
    return issue


async def page(
    db: Database, project_id: int, *, status: str | None, search: str | None, order_by: str | None,
    order_direction: str | None, limit: int, offset: int,
) -> tuple[list[Issue], int]:
    """A page of issues: ``status`` one of the statuses, ``search`` in name or description,
    ordered by ``last_seen`` (default), ``first_seen`` or ``occurrences``, DESC by default."""
    if status is not None:
        _choice(status, ISSUE_STATUSES, "status")
    search = _text(search, "search", MAX_NAME)
    order_by = _choice(order_by or "last_seen", ORDERINGS, "order_by")
    direction = _choice((order_direction or "DESC").upper(), ("ASC", "DESC"), "order_direction")
    async with db.connect() as conn:
        return await list_issues(
            conn, project_id, status=status, search=search or None, order_by=order_by,
            descending=direction == "DESC", limit=limit, offset=offset,
        )


async def moved_to(db: Database, project_id: int, issue_id: str, fingerprint: str) -> str | None:
    """The other issue ``fingerprint`` belongs to now, if it is not ``issue_id``'s."""
    if not findable(fingerprint):
        return None
    async with db.connect() as conn:
        owner = await owner_of(conn, project_id, fingerprint)
    return owner if owner is not None and owner != issue_id else None


async def update(db: Database, project_id: int, issue_id: str, body: dict) -> Issue:
    """PATCH/PUT ``{status?, name?, description?}``; ``state_updated_at`` moves on a change."""
    changes: dict[str, Any] = {}
    if "status" in body:
        changes["status"] = _choice(body["status"], WRITABLE_STATUSES, "status")
    if "name" in body:
        changes["name"] = _text(body["name"], "name", MAX_NAME)
    if "description" in body:
        changes["description"] = _text(body["description"], "description", MAX_DESCRIPTION)
    async with db.begin() as conn:
        if not await existing_issue_ids(conn, project_id, [issue_id]):
            raise _missing()
        await update_rows(conn, project_id, [issue_id], changes)
        return await get_issue(conn, project_id, issue_id)


async def assign(db: Database, project_id: int, issue_id: str, body: dict) -> None:
    """``{"assignee": {type, id} | null}``; null (or no assignee) unassigns."""
    async with db.begin() as conn:
        if not await existing_issue_ids(conn, project_id, [issue_id]):
            raise _missing()
        raw = body.get("assignee")
        assignee = None if raw is None else await validate_assignee(conn, raw)
        await set_assignee(conn, [issue_id], assignee)


async def merge(db: Database, project_id: int, issue_id: str, body: dict) -> bool:
    """Merge ``ids`` into the issue; False when none of them is another issue of the project."""
    ids = _uuids(body, "ids")
    async with db.begin() as conn:
        merged = await merge_issues(conn, project_id, issue_id, ids)
    if merged is None:
        raise _missing()
    return bool(merged)


async def split(db: Database, project_id: int, issue_id: str, body: dict) -> list[str]:
    """Each listed fingerprint the issue owns moves to a new issue; their ids."""
    parts = []
    for i, entry in enumerate(_list(body, "fingerprints", required=False)):
        attr = f"fingerprints__{i}"
        if not isinstance(entry, dict):
            kind = type(entry).__name__
            raise InvalidInput("invalid", f"Invalid data. Expected a dictionary, but got {kind}.", attr)
        if "fingerprint" not in entry:
            raise InvalidInput("required", "This field is required.", f"{attr}__fingerprint")
        parts.append(
            SplitPart(
                fingerprint=_text(entry["fingerprint"], f"{attr}__fingerprint", MAX_FINGERPRINT, nullable=False),
                name=_text(entry.get("name"), f"{attr}__name", MAX_NAME),
                description=_text(entry.get("description"), f"{attr}__description", MAX_DESCRIPTION),
            )
        )
    async with db.begin() as conn:
        new_ids = await split_issue(conn, project_id, issue_id, parts)
    if new_ids is None:
        raise _missing()
    return new_ids


async def bulk(db: Database, project_id: int, body: dict) -> None:
    """``set_status`` or ``assign`` on ``ids``; ids the project does not have are skipped."""
    action = _choice(body.get("action"), BULK_ACTIONS, "action")
    ids = _uuids(body, "ids")
    status = body.get("status")
    if action == "set_status" and status not in WRITABLE_STATUSES:
        raise InvalidInput("invalid", "Invalid status")
    async with db.begin() as conn:
        raw = body.get("assignee")
        assignee = None if action != "assign" or raw is None else await validate_assignee(conn, raw)
        own = await existing_issue_ids(conn, project_id, ids)
        if action == "set_status":
            await update_rows(conn, project_id, own, {"status": status})
        else:
            await set_assignee(conn, own, assignee)


__all__ = [
    "BULK_ACTIONS",
    "MAX_ITEMS",
    "WRITABLE_STATUSES",
    "Issue",
    "assign",
    "bulk",
    "find",
    "merge",
    "moved_to",
    "page",
    "split",
    "update",
]
