"""Issue routes (PostHog's ``error_tracking/issues/``): list, retrieve (308 when the
``?fingerprint=`` now belongs to another issue), update, assign, merge, split, bulk;
DELETE is refused as PostHog refuses it."""

from __future__ import annotations

from aiohttp import web

from ..errortracking import issues
from ..errortracking.external_references import reference_url
from .auth import READ, WRITE, authorize
from .context import context
from .parse import json_body, json_response, page_params, paginated, path_uuid
from .serializers import issue_json, reference_json

# PostHog's words for a model that cannot be hard-deleted (ForbidDestroyModel).
FORBID_DESTROY = 'Hard delete of this model is not allowed. Use a patch API call to set "deleted" to true'


def forbid_destroy(allow: str):
    """A DELETE handler answering 405 (``allow``: the methods the item route has)."""

    async def destroy(request: web.Request) -> web.Response:
        await authorize(request, WRITE)
        body = {"type": "invalid_request", "code": "method_not_allowed", "detail": FORBID_DESTROY, "attr": None}
        response = json_response(body, 405)
        response.headers["Allow"] = allow
        return response

    return destroy


async def list_issues(request: web.Request) -> web.Response:
    project_id = await authorize(request, READ)
    ctx = context(request)
    query = request.query
    limit, offset = page_params(request)
    found, count = await issues.page(
        ctx.db, project_id, status=query.get("status") or None, search=query.get("search"),
        order_by=query.get("order_by"), order_direction=query.get("order_direction"),
        limit=limit, offset=offset,
    )
    results = [issue_json(i) for i in found]
    return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))


async def retrieve(request: web.Request) -> web.Response:
    project_id = await authorize(request, READ)
    db, issue_id = context(request).db, path_uuid(request)
    fingerprint = request.query.get("fingerprint")
    if fingerprint:
        other = await issues.moved_to(db, project_id, issue_id, fingerprint)
        if other is not None:
            return json_response({"issue_id": other}, 308)
    issue = await issues.find(db, project_id, issue_id)
    linked = await context(request).external_issues.of_issue(project_id, issue_id)
    return json_response(issue_json(issue, [reference_json(r, reference_url(r)) for r in linked]))


async def update(request: web.Request) -> web.Response:
    project_id = await authorize(request, WRITE)
    body = await json_body(request)
    issue = await issues.update(context(request).db, project_id, path_uuid(request), body)
    return json_response(issue_json(issue))


async def assign(request: web.Request) -> web.Response:
    project_id = await authorize(request, WRITE)
    body = await json_body(request)
    await issues.assign(context(request).db, project_id, path_uuid(request), body)
    return json_response({"success": True})


async def merge(request: web.Request) -> web.Response:
    project_id = await authorize(request, WRITE)
    body = await json_body(request)
    merged = await issues.merge(context(request).db, project_id, path_uuid(request), body)
    return json_response({"success": merged})


async def split(request: web.Request) -> web.Response:
    project_id = await authorize(request, WRITE)
    body = await json_body(request)
    new_ids = await issues.split(context(request).db, project_id, path_uuid(request), body)
    return json_response({"success": True, "new_issue_ids": new_ids})


async def bulk(request: web.Request) -> web.Response:
    project_id = await authorize(request, WRITE)
    await issues.bulk(context(request).db, project_id, await json_body(request))
    return json_response({"success": True})


destroy = forbid_destroy("GET, PATCH, PUT")
