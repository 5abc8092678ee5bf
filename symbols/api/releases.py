"""Release routes: create, list, retrieve, change, delete, and look up by ``hash_id``."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ..db.releases import (
    ReleaseHashInUse,
    create_release,
    delete_release,
    get_release,
    get_release_by_hash,
    list_releases,
    update_release,
)
from .auth import READ, WRITE
from .context import context
from .errors import NotFound, ValidationError
from .models import IdPath, Page, PageQuery, Release, absent, text
from .operation import Input, operation
from .parse import json_response, paginated
from .serializers import release_json


def _number_as_text(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


class ReleaseCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"version": "1.2.0", "project": "web", "metadata": {"git": {"commit_id": "abc"}}}]}
    )

    version: Annotated[text(400), BeforeValidator(_number_as_text)] = Field(
        description="The release's version (a number is read as text)."
    )
    project: Annotated[text(400), BeforeValidator(_number_as_text)]
    hash_id: Annotated[text(128), BeforeValidator(_number_as_text)] | None = Field(
        None, description="A unique id of the release in the project; defaults to its id."
    )
    metadata: dict[str, Any] | None = None


class ReleaseUpdate(BaseModel):
    """PATCH/PUT: the fields given change, the others stay."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"version": "1.2.1", "metadata": {"note": "hotfix"}}]})

    version: Annotated[text(400), BeforeValidator(_number_as_text)] = absent("The release's version.")
    project: Annotated[text(400), BeforeValidator(_number_as_text)] = absent()
    hash_id: Annotated[text(128), BeforeValidator(_number_as_text)] = absent("Unique in the project.")
    metadata: dict[str, Any] | None = None


class ReleasePage(Page[Release]):
    pass


class HashPath(BaseModel):
    hash_id: str = Field(max_length=128)


@operation(
    "Create a release", scope=WRITE, body=ReleaseCreate, responses={201: Release},
    errors={400: ("hash_id_in_use",)},
)
async def create(request: web.Request, inp: Input[None, None, ReleaseCreate]) -> web.Response:
    body = inp.body
    try:
        async with context(request).db.begin() as conn:
            release = await create_release(
                conn, inp.project_id, version=body.version, project=body.project, hash_id=body.hash_id,
                metadata=body.metadata,
            )
    except ReleaseHashInUse:
        raise ValidationError("hash_id_in_use", f"Hash id {body.hash_id} is already in use.", "hash_id") from None
    return json_response(release_json(release), status=201)


@operation("List releases", scope=READ, query=PageQuery, responses={200: ReleasePage})
async def list_all(request: web.Request, inp: Input[None, PageQuery, None]) -> web.Response:
    ctx = context(request)
    limit, offset = inp.query.page()
    async with ctx.db.connect() as conn:
        found, count = await list_releases(conn, inp.project_id, limit=limit, offset=offset)
    results = [release_json(r) for r in found]
    return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))


@operation("Retrieve a release", scope=READ, path=IdPath, responses={200: Release})
async def retrieve(request: web.Request, inp: Input[IdPath, None, None]) -> web.Response:
    async with context(request).db.connect() as conn:
        release = await get_release(conn, inp.project_id, inp.path.id)
    if release is None:
        raise NotFound()
    return json_response(release_json(release))


@operation(
    "Change a release", scope=WRITE, path=IdPath, body=ReleaseUpdate, responses={200: Release},
    errors={400: ("hash_id_in_use",)},
)
async def update(request: web.Request, inp: Input[IdPath, None, ReleaseUpdate]) -> web.Response:
    changes = inp.body.model_dump(exclude_unset=True)
    try:
        async with context(request).db.begin() as conn:
            release = await get_release(conn, inp.project_id, inp.path.id)
            if release is None:
                raise NotFound()
            release = await update_release(conn, release, changes)
    except ReleaseHashInUse:
        raise ValidationError("hash_id_in_use", f"Hash id {changes['hash_id']} is already in use.", "hash_id") from None
    return json_response(release_json(release))


@operation(
    "Delete a release", scope=WRITE, path=IdPath, responses={204: None},
    description="Its symbol sets are kept, without a release.",
)
async def destroy(request: web.Request, inp: Input[IdPath, None, None]) -> web.Response:
    async with context(request).db.begin() as conn:
        if not await delete_release(conn, inp.project_id, inp.path.id):
            raise NotFound()
    return web.Response(status=204)


@operation("Retrieve a release by its hash_id", scope=READ, path=HashPath, responses={200: Release})
async def by_hash(request: web.Request, inp: Input[HashPath, None, None]) -> web.Response:
    async with context(request).db.connect() as conn:
        release = await get_release_by_hash(conn, inp.project_id, inp.path.hash_id)
    if release is None:
        raise NotFound()
    return json_response(release_json(release))
