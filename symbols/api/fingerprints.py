"""Fingerprint routes (PostHog's ``error_tracking/fingerprints/``): list (``?issue_id=``),
retrieve by row id, ``resolve/?fingerprint=``; read-only, DELETE refused as PostHog does."""

from __future__ import annotations

from aiohttp import web

from ..errortracking import fingerprints
from .auth import READ, authorize
from .context import context
from .issues import forbid_destroy
from .parse import json_response, page_params, paginated
from .serializers import fingerprint_json


async def list_fingerprints(request: web.Request) -> web.Response:
    project_id = await authorize(request, READ)
    ctx = context(request)
    limit, offset = page_params(request)
    found, count = await fingerprints.page(
        ctx.db, project_id, issue_id=request.query.get("issue_id"), limit=limit, offset=offset
    )
    results = [fingerprint_json(f) for f in found]
    return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))


async def retrieve(request: web.Request) -> web.Response:
    project_id = await authorize(request, READ)
    found = await fingerprints.find(context(request).db, project_id, request.match_info["id"])
    return json_response(fingerprint_json(found))


async def resolve(request: web.Request) -> web.Response:
    project_id = await authorize(request, READ)
    found = await fingerprints.resolve(context(request).db, project_id, request.query.get("fingerprint"))
    return json_response(fingerprint_json(found))


destroy = forbid_destroy("GET")
