"""External references (PostHog's ``error_tracking/external_references/``): create (the
provider issue is made first; 201 ``{id, integration, external_url}``), list, retrieve;
DELETE 405 as PostHog refuses it. Also the project's integrations list (``integrations/``,
outside ``error_tracking/`` as in PostHog), without any credential."""

from __future__ import annotations

from aiohttp import web

from ..db.integrations import ExternalReference, Integration
from ..errortracking.external_references import reference_url
from ..errortracking.integrations import integrations_page
from .auth import READ, WRITE, authorize
from .context import context
from .issues import forbid_destroy
from .parse import json_body, json_response, page_params, paginated, path_uuid


def integration_summary(integration: Integration) -> dict:
    return {"id": integration.id, "kind": integration.kind, "display_name": integration.display_name}


def reference_json(ref: ExternalReference) -> dict:
    return {"id": ref.id, "integration": integration_summary(ref.integration), "external_url": reference_url(ref)}


def integration_json(integration: Integration) -> dict:
    """PostHog's integration fields; ``sensitive_config`` never leaves the service."""
    return {**integration_summary(integration), "config": integration.config,
            "created_at": integration.created_at, "created_by": None, "errors": ""}


async def create(request: web.Request) -> web.Response:
    project_id = await authorize(request, WRITE)
    ref = await context(request).external_issues.create(project_id, await json_body(request))
    return json_response(reference_json(ref), 201)


async def list_references(request: web.Request) -> web.Response:
    project_id = await authorize(request, READ)
    ctx = context(request)
    limit, offset = page_params(request)
    found, count = await ctx.external_issues.page(project_id, limit=limit, offset=offset)
    results = [reference_json(r) for r in found]
    return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))


async def retrieve(request: web.Request) -> web.Response:
    project_id = await authorize(request, READ)
    ref = await context(request).external_issues.find(project_id, path_uuid(request))
    return json_response(reference_json(ref))


destroy = forbid_destroy("GET")


async def list_integrations(request: web.Request) -> web.Response:
    project_id = await authorize(request, READ)
    ctx = context(request)
    limit, offset = page_params(request)
    found, count = await integrations_page(ctx.db, project_id, limit=limit, offset=offset)
    results = [integration_json(i) for i in found]
    return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))
