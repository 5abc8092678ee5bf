"""A project's fetch setting: may the service fetch the scripts and maps nobody uploaded,
from which domains, with which auth header (write-only: only its name is served)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from ..resolve.fetch_settings import (
    MAX_DOMAIN,
    MAX_DOMAINS,
    MAX_HEADER_NAME,
    MAX_HEADER_VALUE,
    check_domain,
    check_header_name,
    check_header_value,
)
from .auth import READ, WRITE
from .context import context
from .models import absent
from .operation import Code, Input, domain_rule, operation
from .parse import json_response
from .serializers import fetch_settings_json

Domain = Annotated[str, domain_rule(check_domain), Code("invalid_domain"),
                   WithJsonSchema({"type": "string", "maxLength": MAX_DOMAIN, "examples": ["cdn.example.com"]})]
HeaderName = Annotated[str, domain_rule(check_header_name), Code("invalid_auth_header"),
                       WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_HEADER_NAME})]
HeaderValue = Annotated[str, domain_rule(check_header_value), Code("invalid_auth_header"),
                        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_HEADER_VALUE,
                                        "writeOnly": True})]


class AuthHeader(BaseModel):
    name: HeaderName
    value: HeaderValue = Field(description="Stored encrypted; never served back.")


class FetchSettingsUpdate(BaseModel):
    """PATCH: the fields given change, the others stay."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"enabled": True, "allowed_domains": ["cdn.example.com"],
         "auth_header": {"name": "Authorization", "value": "Bearer s3cr3t"}},
        {"enabled": False},
    ]})

    enabled: bool = absent("Fetch for this project (needs at least one allowed domain). Off keeps the rest.")
    allowed_domains: Annotated[list[Domain], Field(max_length=MAX_DOMAINS), Code("invalid_domain")] = absent(
        "Hosts the service may fetch from (their subdomains too); replaces the list.")
    auth_header: AuthHeader | None = Field(None, description="A header sent with every fetch; null removes it.")


class FetchSettingsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"enabled": True, "allowed_domains": ["cdn.example.com"], "auth_header_name": "Authorization",
         "updated_at": "2025-05-01T12:00:00.000000Z"},
    ]})

    enabled: bool
    allowed_domains: list[str]
    auth_header_name: str | None = Field(description="The auth header's name (its value is never served).")
    updated_at: datetime | None = Field(description="Null when the setting was never changed.")


@operation("Retrieve the fetch setting", scope=READ, responses={200: FetchSettingsOut},
           description="Off until changed: the service fetches scripts and maps nobody uploaded only "
                       "for a project that allows it.")
async def retrieve(request: web.Request, inp: Input[None, None, None]) -> web.Response:
    return json_response(fetch_settings_json(await context(request).fetch_settings.view(inp.project_id)))


@operation(
    "Change the fetch setting", scope=WRITE, body=FetchSettingsUpdate, responses={200: FetchSettingsOut},
    errors={400: ("allowed_domains_required",)},
    description="Public addresses only, checked after DNS resolution and on every redirect.",
)
async def update(request: web.Request, inp: Input[None, None, FetchSettingsUpdate]) -> web.Response:
    body, given = inp.body, inp.body.model_fields_set
    changes = {}
    if "enabled" in given:
        changes["enabled"] = body.enabled
    if "allowed_domains" in given:
        changes["allowed_domains"] = body.allowed_domains
    if "auth_header" in given:
        changes["auth_header"] = (body.auth_header.name, body.auth_header.value) if body.auth_header else None
    view = await context(request).fetch_settings.change(inp.project_id, **changes)
    return json_response(fetch_settings_json(view))
