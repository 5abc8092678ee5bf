"""Two-step uploads: ``start`` hands out presigned POST targets, the client sends the
bytes straight to the blob store (or the service's ``/uploads/``), ``finish`` confirms.

Routes: ``bulk_start_upload``, ``bulk_finish_upload`` and the single-set
``start_upload`` / ``{id}/finish_upload``. Finishing HEAD-checks every object, enforces
the size limit (an oversized object and its row are deleted) and records each content
hash with its processing job in one transaction.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..db.jobs import enqueue_symbol_set_processing
from ..db.releases import existing_release_ids
from ..db.symbol_sets import (
    blob_key,
    delete_symbol_sets,
    get_symbol_sets,
    get_symbol_sets_by_refs,
    insert_symbol_set,
    record_upload,
    update_symbol_set,
)
from ..db.types import parse_uuid
from .auth import WRITE, authorize
from .blobs import discard_blobs, upload_target
from .context import AppContext, context
from .errors import NotFound, ValidationError
from .parse import boolean, json_body, json_response, path_uuid, text
from .upload_plan import (
    MAX_HASH_LENGTH,
    Upload,
    binds_release,
    check_batch_size,
    chunk_id_param,
    needs_upload,
    parse_uploads,
    release_param,
)

_HEAD_CONCURRENCY = 16


async def start_uploads(
    ctx: AppContext,
    request: web.Request,
    project_id: int,
    uploads: list[Upload],
    *,
    force: bool = False,
    skip_on_conflict: bool = False,
    always: bool = False,
) -> dict[str, dict]:
    """Create or re-arm the rows; ``{chunk_id: {presigned_url, symbol_set_id}}`` for each
    set whose bytes must be sent (``always``: every set, the single-set route's rule)."""
    release_ids = {u.release_id for u in uploads if u.release_id}
    async with ctx.db.connect() as conn:
        unknown = release_ids - await existing_release_ids(conn, project_id, release_ids)
        if unknown:
            raise ValidationError(
                "invalid_release_id", f"Unknown release ID provided: {', '.join(sorted(unknown))}", "release_id"
            )
        existing = await get_symbol_sets_by_refs(conn, project_id, [u.chunk_id for u in uploads])

    new, rearm, bind = [], [], []
    for upload in uploads:
        current = existing.get(upload.chunk_id)
        if current is None:
            new.append(upload)
            continue
        if binds_release(current, upload.release_id):
            bind.append((current, upload.release_id))
        if always or needs_upload(current, upload, force=force, skip_on_conflict=skip_on_conflict):
            rearm.append(current)

    keys = {u.chunk_id: blob_key(project_id) for u in new} | {s.ref: blob_key(project_id) for s in rearm}
    targets = {ref: await upload_target(ctx, request, key) for ref, key in keys.items()}
    ids: dict[str, str] = {}
    async with ctx.db.begin() as conn:
        for upload in new:
            ids[upload.chunk_id] = await insert_symbol_set(
                conn,
                project_id=project_id,
                ref=upload.chunk_id,
                storage_ptr=keys[upload.chunk_id],
                release_id=upload.release_id,
            )
        for current, release_id in bind:
            await update_symbol_set(conn, current.id, release_id=release_id)
        for current in rearm:
            ids[current.ref] = current.id
            await update_symbol_set(
                conn,
                current.id,
                storage_ptr=keys[current.ref],
                content_hash=None,
                uploaded_at=None,
                size_bytes=None,
                failure_reason=None,
            )
    await discard_blobs(ctx, [s.storage_ptr for s in rearm])
    return {ref: {"presigned_url": targets[ref], "symbol_set_id": ids[ref]} for ref in keys}


async def finish_uploads(ctx: AppContext, project_id: int, content_hashes: dict[str, str]) -> None:
    ids = {}
    for raw_id, content_hash in content_hashes.items():
        set_id = parse_uuid(raw_id)
        if set_id is None:
            raise ValidationError("symbol_set_not_found", f"Unknown symbol set ID: {raw_id}", "content_hashes")
        ids[set_id] = text(content_hash, "content_hash", max_length=MAX_HASH_LENGTH, code="content_hash_required")
    async with ctx.db.connect() as conn:
        sets = await get_symbol_sets(conn, project_id, ids)
    missing = sorted(set(ids) - {s.id for s in sets})
    if missing:
        raise ValidationError("symbol_set_not_found", f"Unknown symbol set IDs: {', '.join(missing)}", "content_hashes")

    limiter = asyncio.Semaphore(_HEAD_CONCURRENCY)

    async def head(ptr: str | None):
        if ptr is None:
            return None
        async with limiter:
            return await ctx.store.head(ptr)

    infos = await asyncio.gather(*(head(s.storage_ptr) for s in sets))
    absent = [s.id for s, info in zip(sets, infos) if info is None]
    if absent:
        raise ValidationError(
            "file_not_found", f"No file has been uploaded for symbol sets: {', '.join(absent)}", "content_hashes"
        )
    limit = ctx.settings.max_upload_bytes
    oversized = [s for s, info in zip(sets, infos) if info.size > limit]
    if oversized:
        await discard_blobs(ctx, [s.storage_ptr for s in oversized])
        async with ctx.db.begin() as conn:
            await delete_symbol_sets(conn, project_id, [s.id for s in oversized])
        raise ValidationError(
            "file_too_large", f"The uploaded file is larger than the limit of {limit} bytes.", "content_hashes"
        )

    async with ctx.db.begin() as conn:
        for symbol_set, info in zip(sets, infos):
            content_hash = ids[symbol_set.id]
            if symbol_set.uploaded_at and symbol_set.content_hash == content_hash:
                continue  # finished before: nothing new to process
            await record_upload(
                conn,
                symbol_set.id,
                storage_ptr=symbol_set.storage_ptr,
                content_hash=content_hash,
                size_bytes=info.size,
                release_id=symbol_set.release_id,
            )
            await enqueue_symbol_set_processing(conn, symbol_set.id, project_id)


async def bulk_start_upload(request: web.Request) -> web.Response:
    project_id = await authorize(request, WRITE)
    body = await json_body(request)
    force = boolean(body.get("force"), "force")
    skip_on_conflict = boolean(body.get("skip_on_conflict"), "skip_on_conflict")
    if force and skip_on_conflict:
        raise ValidationError("invalid_conflict_handling", "Use either force or skip_on_conflict, not both.")
    uploads = parse_uploads(body)
    id_map = await start_uploads(
        context(request), request, project_id, uploads, force=force, skip_on_conflict=skip_on_conflict
    )
    return json_response({"id_map": id_map}, status=201)


async def bulk_finish_upload(request: web.Request) -> web.Response:
    project_id = await authorize(request, WRITE)
    content_hashes = (await json_body(request)).get("content_hashes")
    if not isinstance(content_hashes, dict):
        raise ValidationError("content_hash_required", "content_hashes must be an object.", "content_hashes")
    check_batch_size(len(content_hashes), "content_hashes")
    if content_hashes:
        await finish_uploads(context(request), project_id, content_hashes)
    return json_response({"success": True}, status=201)


async def start_upload(request: web.Request) -> web.Response:
    project_id = await authorize(request, WRITE)
    upload = Upload(
        chunk_id_param(request.query.get("chunk_id")), release_param(request.query.get("release_id")), None
    )
    id_map = await start_uploads(context(request), request, project_id, [upload], always=True)
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
    async with ctx.db.connect() as conn:
        if not await get_symbol_sets(conn, project_id, [set_id]):
            raise NotFound()
    await finish_uploads(ctx, project_id, {set_id: content_hash})
    return json_response({"success": True})
