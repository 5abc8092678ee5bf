"""External references (PostHog's ``error_tracking/external_references/``): create (the
provider issue is made first; 201 ``{id, integration, external_url}``), list, retrieve;
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
from .auth import READ, WRITE
from .context import context
from .issues import BODY_CODES, forbid_destroy
from .models import IdPath, Page, PageQuery, Uuid, described, sent
from .operation import Input, operation
from .parse import json_response, paginated


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


class IntegrationOut(IntegrationSummary):
    config: dict[str, Any]
    created_at: datetime
    created_by: None
    errors: str


class IntegrationPage(Page[IntegrationOut]):
    pass


class ReferenceCreate(BaseModel):
    """Checked by ``symbols.errortracking.external_references`` (PostHog's codes)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [{"integration_id": 1, "issue": "01968a1e-7a00-7000-8000-000000000002",
                                         "config": {"repository": "web", "title": "TypeError"}}]},
    )

    integration_id: described({"type": "integer"}) = None
    issue: described({"type": "string", "format": "uuid"}) = None
    config: described({"type": "object", "description": "The provider's fields for the new issue."}) = None


def integration_summary(integration: Integration) -> dict:
    return {"id": integration.id, "kind": integration.kind, "display_name": integration.display_name}


def reference_json(ref: ExternalReference) -> dict:
    return {"id": ref.id, "integration": integration_summary(ref.integration), "external_url": reference_url(ref)}


def integration_json(integration: Integration) -> dict:
    """PostHog's integration fields; ``sensitive_config`` never leaves the service."""
    return {**integration_summary(integration), "config": integration.config,
            "created_at": integration.created_at, "created_by": None, "errors": ""}


@operation(
    "Create an issue at a provider and link it", scope=WRITE, body=ReferenceCreate, responses={201: Reference},
    errors={400: BODY_CODES + ("does_not_exist", "invalid_choice"),
            429: ("provider_rate_limited",), 502: ("provider_unavailable", "integration_secret_unreadable")},
)
async def create(request: web.Request, inp: Input[None, None, ReferenceCreate]) -> web.Response:
    ref = await context(request).external_issues.create(inp.project_id, sent(inp.body))
    return json_response(reference_json(ref), 201)


@operation("List external references", scope=READ, query=PageQuery, responses={200: ReferencePage})
async def list_references(request: web.Request, inp: Input[None, PageQuery, None]) -> web.Response:
    ctx = context(request)
    limit, offset = inp.query.page()
    found, count = await ctx.external_issues.page(inp.project_id, limit=limit, offset=offset)
    results = [reference_json(r) for r in found]
    return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))


@operation("Retrieve an external reference", scope=READ, path=IdPath, responses={200: Reference})
async def retrieve(request: web.Request, inp: Input[IdPath, None, None]) -> web.Response:
    ref = await context(request).external_issues.find(inp.project_id, inp.path.id)
    return json_response(reference_json(ref))


destroy = forbid_destroy("GET", "external_references")


@operation("List the project's integrations (no credentials)", scope=READ, query=PageQuery,
           responses={200: IntegrationPage}, tags=("integrations",))
async def list_integrations(request: web.Request, inp: Input[None, PageQuery, None]) -> web.Response:
    ctx = context(request)
    limit, offset = inp.query.page()
    found, count = await integrations_page(ctx.db, inp.project_id, limit=limit, offset=offset)
    results = [integration_json(i) for i in found]
    return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))
