"""Assignees as clients send them, ``{"type": "user"|"role", "id": ...}``, checked against
the users and roles that exist (issue assignment, bulk assignment and assignment rules).

The checks and their errors follow PostHog's assignee serializer: a user id is an integer
(or a string of digits), a role id a UUID; errors name ``<attr>__id`` / ``<attr>__type``.
"""

from __future__ import annotations

import uuid
from typing import Any

from ..db import Connection
from ..db.issues import Assignee
from ..db.users import role_exists, user_exists
from ..errors import InvalidInput

ASSIGNEE_TYPES = ("user", "role")
# User ids are 32-bit integers in the database; anything larger cannot be a user.
_MAX_USER_ID = 2**31 - 1


def parse_assignee(value: Any, attr: str = "assignee") -> Assignee:
    """The assignee ``value`` names, by shape only (``validate_assignee`` checks it exists)."""
    if not isinstance(value, dict):
        kind = type(value).__name__
        raise InvalidInput("invalid", f"Invalid data. Expected a dictionary, but got {kind}.", attr)
    for key in ("id", "type"):
        if key not in value or value[key] is None:
            raise InvalidInput("required" if key not in value else "null", _missing(key in value), f"{attr}__{key}")
    kind, raw = value["type"], value["id"]
    if not isinstance(kind, str) or kind not in ASSIGNEE_TYPES:
        raise InvalidInput("invalid_choice", f'"{_short(kind)}" is not a valid choice.', f"{attr}__type")
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise InvalidInput("invalid", "Expected a user ID or role UUID.", f"{attr}__id")
    if kind == "user":
        text = str(raw).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 12:
            raise InvalidInput("invalid", "Provide a numeric user ID.", f"{attr}__id")
        return Assignee("user", int(text))
    try:
        return Assignee("role", str(uuid.UUID(str(raw)[:64])))
    except ValueError:
        raise InvalidInput("invalid", "Provide a valid role UUID.", f"{attr}__id") from None


async def validate_assignee(conn: Connection, value: Any, attr: str = "assignee") -> Assignee:
    """``parse_assignee``, then the user or role must exist."""
    assignee = parse_assignee(value, attr)
    if assignee.type == "user":
        if assignee.id > _MAX_USER_ID or not await user_exists(conn, assignee.id):
            raise InvalidInput("invalid", "Assignee user does not belong to this organization.")
    elif not await role_exists(conn, assignee.id):
        raise InvalidInput("invalid", "Assignee role does not belong to this organization.")
    return assignee


def _missing(present: bool) -> str:
    return "This field may not be null." if present else "This field is required."


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 100 else text[:100] + "..."


__all__ = ["ASSIGNEE_TYPES", "Assignee", "parse_assignee", "validate_assignee"]
