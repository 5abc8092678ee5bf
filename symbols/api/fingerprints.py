"""Fingerprint routes (PostHog's ``error_tracking/fingerprints/``): list (``?issue_id=``),
retrieve by row id, ``resolve/?fingerprint=``; read-only, DELETE refused as PostHog does.
The ids are checked by ``symbols.errortracking.fingerprints`` (400 ``invalid``)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, Field

from ..errortracking import fingerprints
from .auth import READ
from .context import context
from .issues import forbid_destroy
from .models import Page, PageQuery, Uuid, described
from .operation import Input, operation
from .parse import json_response, paginated
from .serializers import fingerprint_json

_INVALID = {400: ("invalid",)}


class Fingerprint(BaseModel):
    id: Uuid
    fingerprint: str
    issue_id: Uuid
    created_at: datetime
    first_seen: datetime | None


class FingerprintPage(Page[Fingerprint]):
    pass


class FingerprintQuery(PageQuery):
    issue_id: described({"type": "string", "format": "uuid"}, "Only this issue's fingerprints.") = None


class FingerprintPath(BaseModel):
    id: described({"type": "string", "format": "uuid"}, "The fingerprint's row id.")


class ResolveQuery(BaseModel):
    fingerprint: str | None = Field(None, description="The fingerprint (required).")


@operation("List fingerprints", scope=READ, query=FingerprintQuery, responses={200: FingerprintPage}, errors=_INVALID)
async def list_fingerprints(request: web.Request, inp: Input[None, FingerprintQuery, None]) -> web.Response:
    ctx = context(request)
    limit, offset = inp.query.page()
    found, count = await fingerprints.page(
        ctx.db, inp.project_id, issue_id=inp.query.issue_id, limit=limit, offset=offset
    )
    results = [fingerprint_json(f) for f in found]
    return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))


@operation("Retrieve a fingerprint", scope=READ, path=FingerprintPath, responses={200: Fingerprint}, errors=_INVALID)
async def retrieve(request: web.Request, inp: Input[FingerprintPath, None, None]) -> web.Response:
    found = await fingerprints.find(context(request).db, inp.project_id, inp.path.id)
    return json_response(fingerprint_json(found))


@operation(
    "The fingerprint row of a fingerprint", scope=READ, query=ResolveQuery, responses={200: Fingerprint},
    errors=_INVALID,
)
async def resolve(request: web.Request, inp: Input[None, ResolveQuery, None]) -> web.Response:
    found = await fingerprints.resolve(context(request).db, inp.project_id, inp.query.fingerprint)
    return json_response(fingerprint_json(found))


destroy = forbid_destroy("GET", "fingerprints")
