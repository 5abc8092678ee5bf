"""``POST symbol_sets/?chunk_id=&release_id=``: the file in one multipart request.

The body is spooled to disk while hashed, then ``symbols.symbol_sets.upload`` sniffs,
stores and records it with its processing job. Identical content under the same chunk
id is a no-op.
"""

from __future__ import annotations

from aiohttp import web

from ..symbol_sets.params import chunk_id_param, release_param
from ..symbol_sets.upload import check_direct, store_direct
from .auth import WRITE, authorize
from .context import context
from .multipart import fields_then_file
from .parse import json_response
from .spool import spool_part


async def direct_upload(request: web.Request) -> web.Response:
    project_id = await authorize(request, WRITE)
    ctx = context(request)
    chunk_id = chunk_id_param(request.query.get("chunk_id"))
    release_id = release_param(request.query.get("release_id"))
    # A bad release is refused before the body is read.
    existing = await check_direct(ctx.db, project_id, chunk_id, release_id)
    _, part = await fields_then_file(request)
    async with spool_part(part, max_bytes=ctx.settings.max_upload_bytes, tmp_dir=ctx.tmp_dir) as spooled:
        symbol_set_id, stored = await store_direct(
            ctx.db, ctx.store, project_id, chunk_id, release_id, existing, spooled
        )
    if stored:
        ctx.metrics.upload_bytes.labels("direct").inc(spooled.size)
    return json_response({"ok": True, "symbol_set_id": symbol_set_id}, status=201)
