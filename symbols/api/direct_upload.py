"""``POST symbol_sets/?chunk_id=&release_id=``: the file in one multipart request.

The body is spooled to disk while hashed, sniffed, stored under a fresh key, and only
then recorded with its processing job in one transaction; a failed write removes the
blob again. Identical content under the same chunk id is a no-op.
"""

from __future__ import annotations

from aiohttp import web

from ..container import ContainerError, sniff
from ..db.jobs import enqueue_symbol_set_processing
from ..db.releases import existing_release_ids
from ..db.symbol_sets import (
    SymbolSet,
    blob_key,
    get_symbol_set_by_ref,
    insert_symbol_set,
    record_upload,
)
from .auth import WRITE, authorize
from .blobs import discard_blobs
from .context import context
from .errors import ValidationError
from .multipart import fields_then_file
from .parse import json_response
from .spool import spool_part
from .upload_plan import binds_release, chunk_id_param, release_param


async def check_release_exists(conn, project_id: int, release_id: str | None) -> None:
    if release_id and not await existing_release_ids(conn, project_id, {release_id}):
        raise ValidationError("invalid_release_id", f"Unknown release ID provided: {release_id}", "release_id")


async def direct_upload(request: web.Request) -> web.Response:
    project_id = await authorize(request, WRITE)
    ctx = context(request)
    chunk_id = chunk_id_param(request.query.get("chunk_id"))
    release_id = release_param(request.query.get("release_id"))
    async with ctx.db.connect() as conn:
        await check_release_exists(conn, project_id, release_id)
        existing = await get_symbol_set_by_ref(conn, project_id, chunk_id)
    if existing is not None:
        binds_release(existing, release_id)  # refuse a release mismatch before reading the body

    _, part = await fields_then_file(request)
    async with spool_part(part, max_bytes=ctx.settings.max_upload_bytes, tmp_dir=ctx.tmp_dir) as spooled:
        try:
            sniff(spooled.head)
        except ContainerError as exc:
            raise ValidationError(exc.code, str(exc), "file") from None
        if existing is not None and existing.uploaded_at and existing.content_hash == spooled.sha512:
            return json_response({"ok": True, "symbol_set_id": existing.id}, status=201)
        key = blob_key(project_id)
        await ctx.store.put_file(key, spooled.path)
    ctx.metrics.upload_bytes.labels("direct").inc(spooled.size)

    try:
        async with ctx.db.begin() as conn:
            current = await get_symbol_set_by_ref(conn, project_id, chunk_id)
            symbol_set_id = await _record(conn, project_id, chunk_id, release_id, current, key, spooled)
            await enqueue_symbol_set_processing(conn, symbol_set_id, project_id)
    except BaseException:
        await discard_blobs(ctx, [key])
        raise
    if current is not None and current.storage_ptr not in (None, key):
        await discard_blobs(ctx, [current.storage_ptr])
    return json_response({"ok": True, "symbol_set_id": symbol_set_id}, status=201)


async def _record(conn, project_id, chunk_id, release_id, current: SymbolSet | None, key, spooled) -> str:
    if current is None:
        return await insert_symbol_set(
            conn,
            project_id=project_id,
            ref=chunk_id,
            storage_ptr=key,
            release_id=release_id,
            content_hash=spooled.sha512,
            size_bytes=spooled.size,
        )
    bind = binds_release(current, release_id)
    await record_upload(
        conn,
        current.id,
        storage_ptr=key,
        content_hash=spooled.sha512,
        size_bytes=spooled.size,
        release_id=release_id if bind else current.release_id,
    )
    return current.id
