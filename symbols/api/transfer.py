"""Routes the service's own signed URLs point at: ``POST /uploads/`` (an S3-style POST
with ``key`` and ``policy`` fields then ``file``) and ``GET /downloads/?token=``."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field

from ..signing import InvalidToken
from ..storage import BlobNotFound
from ..symbol_sets.upload import check_upload_open
from .context import context
from .errors import NotFound, PermissionDenied, ValidationError
from .models import FileField
from .multipart import fields_then_file
from .operation import Input, Media, operation
from .spool import spool_part

_SIGNED = "Signed by this service (a presigned upload or download link); it expires."


class UploadForm(BaseModel):
    key: str = Field(description="The `fields.key` of the presigned target.")
    policy: str = Field(description="The `fields.policy` of the presigned target. " + _SIGNED)
    file: FileField


class DownloadQuery(BaseModel):
    token: str = Field("", description=_SIGNED + " Any other value is a 404.")


@operation(
    "Receive a presigned upload (local blob store or upload proxy)", scope=None, form=UploadForm,
    responses={204: None}, errors={400: ("parse_error",), 403: ("invalid_policy",), 409: ("upload_closed",),
                                   413: ("file_too_large",)},
    description="The `url` and `fields` of a `presigned_url` from start_upload: send the fields, then `file`.",
)
async def upload(request: web.Request, inp: Input) -> web.Response:
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


@operation(
    "Download a symbol set's file by a signed link", scope=None, query=DownloadQuery,
    responses={200: Media("application/octet-stream", {"type": "string", "format": "binary"})},
    errors={404: ("not_found",)},
    description="The `url` of a symbol set's download route; an invalid or expired token is a 404.",
)
async def download(request: web.Request, inp: Input[None, DownloadQuery, None]) -> web.StreamResponse:
    ctx = context(request)
    try:
        payload = ctx.signer.verify(inp.query.token)
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
