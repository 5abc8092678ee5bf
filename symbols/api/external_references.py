"""External references (PostHog's ``error_tracking/external_references/``): create (the
reference reserved, the provider issue made, the reference completed; 201 ``{id,
integration, external_url}``; 409 when the issue is deleted meanwhile), list, retrieve;
DELETE 405 as PostHog refuses it. Also the project's integrations list (``integrations/``,
outside ``error_tracking/`` as in PostHog), without any credential."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from ..db.integrations import ExternalReference, Integration
from ..errortracking.external_references import reference_url
from ..errortracking.integrations import integrations_page
from . import serializers
from .auth import READ, WRITE
from .context import context
from .issues import forbid_destroy
from .models import IdPath, Page, PageQuery, Uuid, described
from .operation import Input, operation
from .parse import json_response, paginated

TAGS = ("external_references",)


class CreateBody(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "integration_id": 1, "issue": "01968a1e-6f6e-7c2a-9a0e-3f1b2c4d5e6f",
        "config": {"repository": "web", "title": "TypeError in checkout", "body": "Seen 12 times"}}]})

    integration_id: described({"type": "integer", "minimum": 1}) = None
    issue: described({"type": "string", "format": "uuid"}) = None
    config: described({"type": "object"}, "The provider issue: GitHub {repository, title, body}, GitLab "
                      "{title, body}, Linear {team_id, title, description}, Jira {project_key, title, "
                      "description}.") = None


class IntegrationSummary(BaseModel):
    id: int
    kind: str
    display_name: str


class Reference(BaseModel):
    id: Uuid
    integration: IntegrationSummary
    external_url: str | None


class ReferencePage(Page[Reference]):
    pass


class IntegrationItem(IntegrationSummary):
    config: dict[str, Any]
    created_at: datetime
    created_by: None
    errors: str


class IntegrationPage(Page[IntegrationItem]):
    pass


def reference_json(ref: ExternalReference) -> dict:
    return serializers.reference_json(ref, reference_url(ref))


def integration_json(integration: Integration) -> dict:
    """PostHog's integration fields; ``sensitive_config`` never leaves the service."""
    return {**serializers.integration_summary(integration), "config": integration.config,
            "created_at": integration.created_at, "created_by": None, "errors": ""}


@operation(
    "Create the issue on the provider and link it", scope=WRITE, tags=TAGS, body=CreateBody, responses={201: Reference},
    errors={400: ("required", "invalid", "does_not_exist", "max_length", "host_not_allowed", "provider_error"),
            409: ("conflict",), 429: ("provider_rate_limited",), 502: ("provider_unavailable", "integration_secret_unreadable")},
)
async def create(request: web.Request, inp: Input[None, None, CreateBody]) -> web.Response:
    body = inp.body.model_dump(exclude_unset=True)
    ref = await context(request).external_issues.create(inp.project_id, body)
    return json_response(reference_json(ref), 201)


@operation("List external references", scope=READ, tags=TAGS, query=PageQuery, responses={200: ReferencePage})
async def list_references(request: web.Request, inp: Input[None, PageQuery, None]) -> web.Response:
    ctx = context(request)
    limit, offset = inp.query.page()
    found, count = await ctx.external_issues.page(inp.project_id, limit=limit, offset=offset)
    results = [reference_json(r) for r in found]
    return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))


@operation("Retrieve an external reference", scope=READ, tags=TAGS, path=IdPath, responses={200: Reference})
async def retrieve(request: web.Request, inp: Input[IdPath, None, None]) -> web.Response:
    ref = await context(request).external_issues.find(inp.project_id, inp.path.id)
    return json_response(reference_json(ref))


destroy = forbid_destroy("GET", "external_references")


@operation("List the project's integrations (never their credentials)", scope=READ, tags=("integrations",),
           query=PageQuery, responses={200: IntegrationPage})
async def list_integrations(request: web.Request, inp: Input[None, PageQuery, None]) -> web.Response:
    ctx = context(request)
    limit, offset = inp.query.page()
    found, count = await integrations_page(ctx.db, inp.project_id, limit=limit, offset=offset)
    results = [integration_json(i) for i in found]
    return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))
