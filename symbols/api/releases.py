"""Release routes: create, list, retrieve, and look up by ``hash_id``."""

from __future__ import annotations

from aiohttp import web

from ..db.releases import (
    ReleaseHashInUse,
    create_release,
    get_release,
    get_release_by_hash,
    list_releases,
)
from ..symbol_sets.params import text
from .auth import READ, WRITE, authorize
from .context import context
from .errors import NotFound, ValidationError
from .parse import json_body, json_response, page_params, paginated, path_uuid
from .serializers import release_json


def _string(value, attr: str, max_length: int, required: bool = True) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return text(value, attr, max_length=max_length, required=required)


async def create(request: web.Request) -> web.Response:
    project_id = await authorize(request, WRITE)
    body = await json_body(request)
    version = _string(body.get("version"), "version", 400)
    project = _string(body.get("project"), "project", 400)
    hash_id = _string(body.get("hash_id"), "hash_id", 128, required=False)
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise ValidationError("invalid_input", "metadata must be an object.", "metadata")
    try:
        async with context(request).db.begin() as conn:
            release = await create_release(
                conn, project_id, version=version, project=project, hash_id=hash_id, metadata=metadata
            )
    except ReleaseHashInUse:
        raise ValidationError("hash_id_in_use", f"Hash id {hash_id} is already in use.", "hash_id") from None
    return json_response(release_json(release), status=201)


async def list_all(request: web.Request) -> web.Response:
    project_id = await authorize(request, READ)
    ctx = context(request)
    limit, offset = page_params(request)
    async with ctx.db.connect() as conn:
        found, count = await list_releases(conn, project_id, limit=limit, offset=offset)
    results = [release_json(r) for r in found]
    return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))


async def retrieve(request: web.Request) -> web.Response:
    project_id = await authorize(request, READ)
    release_id = path_uuid(request)
    async with context(request).db.connect() as conn:
        release = await get_release(conn, project_id, release_id)
    if release is None:
        raise NotFound()
    return json_response(release_json(release))


async def by_hash(request: web.Request) -> web.Response:
    project_id = await authorize(request, READ)
    hash_id = request.match_info["hash_id"]
    if len(hash_id) > 128:
        raise NotFound()
    async with context(request).db.connect() as conn:
        release = await get_release_by_hash(conn, project_id, hash_id)
    if release is None:
        raise NotFound()
    return json_response(release_json(release))
