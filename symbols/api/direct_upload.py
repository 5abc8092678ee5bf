"""``POST symbol_sets/?chunk_id=&release_id=``: the file in one multipart request.

The body is spooled to disk while hashed, then ``symbols.symbol_sets.upload`` sniffs,
stores and records it with its processing job. Identical content under the same chunk
id is a no-op.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from ..symbol_sets.upload import check_direct, store_direct
from .auth import WRITE
from .context import context
from .models import FileField, Uuid
from .multipart import fields_then_file
from .operation import Input, operation
from .parse import json_response
from .spool import spool_part
from .upload_params import UploadQuery

# The file part (multipart.py) and its format (symbols.symbol_sets.container.sniff).
_FILE_ERRORS = ("parse_error", "unsupported_format", "invalid_container", "unsupported_container_version")


class DirectForm(BaseModel):
    file: FileField


class Stored(BaseModel):
    ok: bool
    symbol_set_id: Uuid


@operation(
    "Upload a symbol set in one request", scope=WRITE, query=UploadQuery, form=DirectForm, responses={201: Stored},
    errors={400: _FILE_ERRORS + ("release_id_mismatch", "invalid_release_id"), 413: ("file_too_large",)},
    description="The file: a source map (JSON, optionally gzip) or PostHog's container of minified "
    "source and map. Limit: SYMBOLS_MAX_UPLOAD_BYTES (413 file_too_large).",
)
async def direct_upload(request: web.Request, inp: Input[None, UploadQuery, None]) -> web.Response:
    ctx = context(request)
    project_id, chunk_id, release_id = inp.project_id, inp.query.chunk_id, inp.query.release_id
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
