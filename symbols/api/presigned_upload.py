"""Two-step uploads: ``start`` hands out presigned POST targets, the client sends the
bytes straight to the blob store (or the service's ``/uploads/``), ``finish`` confirms.

Routes: ``bulk_start_upload``, ``bulk_finish_upload`` and the single-set
``start_upload`` / ``{id}/finish_upload``. The rules are ``symbols.symbol_sets.upload``'s.
"""

from __future__ import annotations

from aiohttp import web

from ..symbol_sets import upload as uploads_
from ..symbol_sets.manage import get_one
from ..symbol_sets.params import (
    check_batch_size,
    chunk_id_param,
    parse_content_hashes,
    parse_uploads,
    release_param,
)
from ..symbol_sets.upload import Upload
from .auth import WRITE, authorize
from .context import context
from .errors import ValidationError
from .parse import boolean, json_body, json_response, path_uuid


async def _start(request: web.Request, project_id: int, uploads: list[Upload], **rules: bool) -> dict[str, dict]:
    ctx = context(request)
    return await ctx.links.start_uploads(ctx.db, ctx.base_url(request), project_id, uploads, **rules)


async def bulk_start_upload(request: web.Request) -> web.Response:
    project_id = await authorize(request, WRITE)
    body = await json_body(request)
    force = boolean(body.get("force"), "force")
    skip_on_conflict = boolean(body.get("skip_on_conflict"), "skip_on_conflict")
    if force and skip_on_conflict:
        raise ValidationError("invalid_conflict_handling", "Use either force or skip_on_conflict, not both.")
    id_map = await _start(request, project_id, parse_uploads(body), force=force, skip_on_conflict=skip_on_conflict)
    return json_response({"id_map": id_map}, status=201)


async def bulk_finish_upload(request: web.Request) -> web.Response:
    project_id = await authorize(request, WRITE)
    content_hashes = (await json_body(request)).get("content_hashes")
    if not isinstance(content_hashes, dict):
        raise ValidationError("content_hash_required", "content_hashes must be an object.", "content_hashes")
    check_batch_size(len(content_hashes), "content_hashes")
    if content_hashes:
        ctx = context(request)
        await uploads_.finish(
            ctx.db, ctx.store, project_id, parse_content_hashes(content_hashes),
            max_bytes=ctx.settings.max_upload_bytes,
        )
    return json_response({"success": True}, status=201)


async def start_upload(request: web.Request) -> web.Response:
    project_id = await authorize(request, WRITE)
    upload = Upload(
        chunk_id_param(request.query.get("chunk_id")), release_param(request.query.get("release_id")), None
    )
    id_map = await _start(request, project_id, [upload], always=True)
    return json_response(id_map[upload.chunk_id], status=201)


async def finish_upload(request: web.Request) -> web.Response:
    project_id = await authorize(request, WRITE)
    set_id = path_uuid(request)
    content_hash = (await json_body(request)).get("content_hash")
    if not content_hash:
        raise ValidationError(
            "content_hash_required", "A content hash must be provided to finish the upload.", "content_hash"
        )
    ctx = context(request)
    await get_one(ctx.db, project_id, set_id)
    await uploads_.finish(
        ctx.db, ctx.store, project_id, parse_content_hashes({set_id: content_hash}),
        max_bytes=ctx.settings.max_upload_bytes,
    )
    return json_response({"success": True})
