"""Issue routes (PostHog's ``error_tracking/issues/``): list, retrieve (308 when the
``?fingerprint=`` now belongs to another issue), update, assign, merge, split, bulk;
DELETE is refused as PostHog refuses it.

The bodies are checked by ``symbols.errortracking.issues`` (PostHog's codes and attrs,
shared with the pages): the models here describe them (``described``)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from ..db.issue_admin import ORDERINGS
from ..db.tables import ISSUE_STATUSES
from ..errortracking import issues
from ..errortracking.external_references import reference_url
from ..errortracking.issues import (
    BULK_ACTIONS,
    MAX_DESCRIPTION,
    MAX_FINGERPRINT,
    MAX_ITEMS,
    MAX_NAME,
    WRITABLE_STATUSES,
)
from .auth import READ, WRITE
from .context import context
from .models import IdPath, Page, PageQuery, Success, Uuid, described, sent
from .operation import Input, Media, operation
from .parse import json_response, paginated
from .serializers import issue_json, reference_json

# PostHog's words for a model that cannot be hard-deleted (ForbidDestroyModel).
FORBID_DESTROY = 'Hard delete of this model is not allowed. Use a patch API call to set "deleted" to true'
# PostHog's DRF codes for the bodies (symbols.errortracking.issues).
BODY_CODES = ("invalid", "null", "max_length", "null_characters_not_allowed", "not_a_list", "empty", "required")
_UUIDS = {"type": "array", "items": {"type": "string", "format": "uuid"}, "minItems": 1, "maxItems": MAX_ITEMS}
_ASSIGNEE = {
    "anyOf": [
        {
            "type": "object",
            "properties": {"type": {"enum": ["user", "role"]}, "id": {"type": ["integer", "string"]}},
            "required": ["type", "id"],
        },
        {"type": "null"},
    ],
    "description": "A user (integer id) or a role (UUID); null unassigns.",
}


def _text(limit: int) -> dict:
    return {"type": ["string", "null"], "maxLength": limit}


_SPLIT_ENTRY = {
    "type": "object",
    "properties": {
        "fingerprint": {"type": "string", "minLength": 1, "maxLength": MAX_FINGERPRINT},
        "name": _text(MAX_NAME),
        "description": _text(MAX_DESCRIPTION),
    },
    "required": ["fingerprint"],
}


class Assignee(BaseModel):
    type: str
    id: int | str


class Issue(BaseModel):
    id: Uuid
    status: str = Field(description=", ".join(ISSUE_STATUSES))
    name: str | None
    description: str | None
    first_seen: datetime | None
    assignee: Assignee | None
    external_issues: list
    cohort: None
    occurrences: int
    users: int
    last_seen: datetime | None


class IssuePage(Page[Issue]):
    pass


class IssueQuery(PageQuery):
    status: described({"enum": list(ISSUE_STATUSES)}) = None
    search: described({"type": "string", "maxLength": MAX_NAME}, "In the name and description.") = None
    order_by: described({"enum": list(ORDERINGS)}) = None
    order_direction: described({"enum": ["ASC", "DESC"]}) = None


class IssueLookup(BaseModel):
    fingerprint: str | None = Field(None, description="308 with the issue it now belongs to, if another.")


class Moved(BaseModel):
    issue_id: Uuid


class IssueUpdate(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{"status": "resolved"}]})

    status: described({"enum": list(WRITABLE_STATUSES)}) = None
    name: described(_text(MAX_NAME)) = None
    description: described(_text(MAX_DESCRIPTION)) = None


class AssignBody(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{"assignee": {"type": "user", "id": 1}}]})

    assignee: described(_ASSIGNEE) = None


class MergeBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    ids: described(_UUIDS, "Issues merged into this one.") = None


class SplitBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    fingerprints: described(
        {"type": "array", "items": _SPLIT_ENTRY, "maxItems": MAX_ITEMS},
        "Each becomes a new issue.",
    ) = None


class Split(BaseModel):
    success: bool
    new_issue_ids: list[Uuid]


class BulkBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    action: described({"enum": list(BULK_ACTIONS)}) = None
    ids: described(_UUIDS) = None
    status: described({"enum": list(WRITABLE_STATUSES)}, "With set_status.") = None
    assignee: described(_ASSIGNEE, "With assign.") = None


def forbid_destroy(allow: str, resource: str):
    """A DELETE handler answering 405 (``allow``: the methods the item route has)."""

    @operation(
        f"Not allowed: {resource} are not deleted", scope=WRITE, tags=(resource,),
        responses={405: Media("application/json", {"$ref": "#/components/schemas/Error"})},
    )
    async def destroy(request: web.Request, inp: Input) -> web.Response:
        body = {"type": "invalid_request", "code": "method_not_allowed", "detail": FORBID_DESTROY, "attr": None}
        response = json_response(body, 405)
        response.headers["Allow"] = allow
        return response

    return destroy


@operation("List issues", scope=READ, query=IssueQuery, responses={200: IssuePage}, errors={400: BODY_CODES})
async def list_issues(request: web.Request, inp: Input[None, IssueQuery, None]) -> web.Response:
    ctx = context(request)
    query = inp.query
    limit, offset = query.page()
    found, count = await issues.page(
        ctx.db, inp.project_id, status=query.status or None, search=query.search,
        order_by=query.order_by, order_direction=query.order_direction, limit=limit, offset=offset,
    )
    results = [issue_json(i) for i in found]
    return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))


@operation(
    "Retrieve an issue", scope=READ, path=IdPath, query=IssueLookup, responses={200: Issue, 308: Moved},
)
async def retrieve(request: web.Request, inp: Input[IdPath, IssueLookup, None]) -> web.Response:
    db, issue_id = context(request).db, inp.path.id
    fingerprint = inp.query.fingerprint
    if fingerprint:
        other = await issues.moved_to(db, inp.project_id, issue_id, fingerprint)
        if other is not None:
            return json_response({"issue_id": other}, 308)
    issue = await issues.find(db, inp.project_id, issue_id)
    linked = await context(request).external_issues.of_issue(inp.project_id, issue_id)
    return json_response(issue_json(issue, [reference_json(r, reference_url(r)) for r in linked]))


@operation(
    "Change an issue's status, name or description", scope=WRITE, path=IdPath, body=IssueUpdate,
    responses={200: Issue}, errors={400: BODY_CODES},
)
async def update(request: web.Request, inp: Input[IdPath, None, IssueUpdate]) -> web.Response:
    issue = await issues.update(context(request).db, inp.project_id, inp.path.id, sent(inp.body))
    return json_response(issue_json(issue))


@operation(
    "Assign an issue", scope=WRITE, path=IdPath, body=AssignBody, responses={200: Success},
    errors={400: BODY_CODES},
)
async def assign(request: web.Request, inp: Input[IdPath, None, AssignBody]) -> web.Response:
    await issues.assign(context(request).db, inp.project_id, inp.path.id, sent(inp.body))
    return json_response({"success": True})


@operation(
    "Merge issues into this one", scope=WRITE, path=IdPath, body=MergeBody, responses={200: Success},
    errors={400: BODY_CODES},
)
async def merge(request: web.Request, inp: Input[IdPath, None, MergeBody]) -> web.Response:
    merged = await issues.merge(context(request).db, inp.project_id, inp.path.id, sent(inp.body))
    return json_response({"success": merged})


@operation(
    "Split fingerprints off into new issues", scope=WRITE, path=IdPath, body=SplitBody,
    responses={200: Split}, errors={400: BODY_CODES},
)
async def split(request: web.Request, inp: Input[IdPath, None, SplitBody]) -> web.Response:
    new_ids = await issues.split(context(request).db, inp.project_id, inp.path.id, sent(inp.body))
    return json_response({"success": True, "new_issue_ids": new_ids})


@operation(
    "Set the status of, or assign, several issues", scope=WRITE, body=BulkBody, responses={200: Success},
    errors={400: BODY_CODES + ("invalid_choice",)},
)
async def bulk(request: web.Request, inp: Input[None, None, BulkBody]) -> web.Response:
    await issues.bulk(context(request).db, inp.project_id, sent(inp.body))
    return json_response({"success": True})


destroy = forbid_destroy("GET, PATCH, PUT", "issues")
