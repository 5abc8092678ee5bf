"""Routes the service's own signed URLs point at: ``POST /uploads/`` (an S3-style POST
with ``key`` and ``policy`` fields then ``file``) and ``GET /downloads/?token=``."""

from __future__ import annotations

from aiohttp import web

from ..signing import InvalidToken
from ..storage import BlobNotFound
from ..symbol_sets.upload import check_upload_open
from .context import context
from .errors import NotFound, PermissionDenied, ValidationError
from .multipart import fields_then_file
from .spool import spool_part


async def upload(request: web.Request) -> web.Response:
    ctx = context(request)
    fields, part = await fields_then_file(request)
    try:
        policy = ctx.signer.verify(fields.get("policy", ""))
    except InvalidToken as exc:
        raise PermissionDenied("invalid_policy", f"Upload policy rejected: {exc}.", "policy") from None
    key, max_bytes = policy.get("key"), policy.get("max")
    if not isinstance(key, str) or not isinstance(max_bytes, int):
        raise PermissionDenied("invalid_policy", "Upload policy rejected: malformed.", "policy")
    if fields.get("key") != key:
        raise ValidationError("invalid_input", "The key field does not match the policy.", "key")
    await check_upload_open(ctx.db, key)
    async with spool_part(part, max_bytes=max_bytes, tmp_dir=ctx.tmp_dir) as spooled:
        await check_upload_open(ctx.db, key)  # finished or deleted while the bytes arrived
        await ctx.store.put_file(key, spooled.path)
    ctx.metrics.upload_bytes.labels("proxy").inc(spooled.size)
    return web.Response(status=204)


async def download(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    try:
        payload = ctx.signer.verify(request.query.get("token", ""))
    except InvalidToken:
        raise NotFound() from None
    key = payload.get("get")
    if not isinstance(key, str):
        raise NotFound()
    info = await ctx.store.head(key)
    if info is None:
        raise NotFound()
    chunks = ctx.store.iter_chunks(key)
    try:
        first = await anext(chunks, b"")
    except BlobNotFound:
        raise NotFound() from None
    response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
    response.content_length = info.size
    await response.prepare(request)
    await response.write(first)
    async for chunk in chunks:
        await response.write(chunk)
    await response.write_eof()
    return response
