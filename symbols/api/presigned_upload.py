"""Two-step uploads: ``start`` hands out presigned POST targets, the client sends the
bytes straight to the blob store (or the service's ``/uploads/``), ``finish`` confirms.

Routes: ``bulk_start_upload``, ``bulk_finish_upload`` and the single-set
``start_upload`` / ``{id}/finish_upload``. The rules are ``symbols.symbol_sets.upload``'s.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field

from ..symbol_sets import upload as uploads_
from ..symbol_sets.manage import get_one
from ..symbol_sets.params import parse_content_hashes
from ..symbol_sets.upload import Upload
from .auth import WRITE
from .context import context
from .errors import ValidationError
from .models import IdPath, Uuid
from .operation import Input, operation
from .parse import json_response
from .upload_params import BulkFinish, BulkStart, Finish, UploadQuery

# Codes of the upload rules (symbols.symbol_sets.upload).
_START_ERRORS = (
    "content_hash_mismatch", "content_hash_required", "release_id_mismatch", "invalid_release_id", "invalid_url",
    "invalid_host",  # the presigned URLs point at this service, built from the Host header
)
_FINISH_ERRORS = ("file_not_found", "symbol_set_not_found", "content_hash_mismatch")


class PresignedPost(BaseModel):
    url: str = Field(description="POST the file here as multipart/form-data: the fields, then `file`.")
    fields: dict[str, str]


class Started(BaseModel):
    presigned_url: PresignedPost
    symbol_set_id: Uuid


class BulkStarted(BaseModel):
    id_map: dict[str, Started] = Field(description="{chunk_id: target} of each set whose file must be sent.")


class Success(BaseModel):
    success: bool


async def _start(request: web.Request, project_id: int, uploads: list[Upload], **rules: bool) -> dict[str, dict]:
    ctx = context(request)
    return await ctx.links.start_uploads(ctx.db, ctx.base_url(request), project_id, uploads, **rules)


@operation(
    "Start uploading symbol sets", scope=WRITE, body=BulkStart, responses={201: BulkStarted},
    errors={400: _START_ERRORS + ("invalid_conflict_handling", "too_many_symbol_sets")},
    description="Sets whose stored content has the given content_hash are left out of id_map "
    "(also when they belong to another release, which they keep).",
)
async def bulk_start_upload(request: web.Request, inp: Input[None, None, BulkStart]) -> web.Response:
    body = inp.body
    if body.force and body.skip_on_conflict:
        raise ValidationError("invalid_conflict_handling", "Use either force or skip_on_conflict, not both.")
    id_map = await _start(
        request, inp.project_id, body.uploads(), force=body.force, skip_on_conflict=body.skip_on_conflict,
        skip_release_on_conflict=body.skip_release_on_conflict,
    )
    return json_response({"id_map": id_map}, status=201)


@operation(
    "Finish uploading symbol sets", scope=WRITE, body=BulkFinish, responses={201: Success},
    errors={400: _FINISH_ERRORS, 413: ("file_too_large",)},
)
async def bulk_finish_upload(request: web.Request, inp: Input[None, None, BulkFinish]) -> web.Response:
    if inp.body.content_hashes:
        ctx = context(request)
        await uploads_.finish(
            ctx.db, ctx.store, inp.project_id, parse_content_hashes(inp.body.content_hashes),
            max_bytes=ctx.settings.max_upload_bytes,
        )
    return json_response({"success": True}, status=201)


@operation(
    "Start uploading one symbol set", scope=WRITE, query=UploadQuery, responses={201: Started},
    errors={400: _START_ERRORS},
)
async def start_upload(request: web.Request, inp: Input[None, UploadQuery, None]) -> web.Response:
    upload = Upload(inp.query.chunk_id, inp.query.release_id, None)
    id_map = await _start(request, inp.project_id, [upload], always=True)
    return json_response(id_map[upload.chunk_id], status=201)


@operation(
    "Finish uploading one symbol set", scope=WRITE, path=IdPath, body=Finish, responses={200: Success},
    errors={400: _FINISH_ERRORS, 413: ("file_too_large",)},
)
async def finish_upload(request: web.Request, inp: Input[IdPath, None, Finish]) -> web.Response:
    ctx = context(request)
    set_id = inp.path.id
    await get_one(ctx.db, inp.project_id, set_id)
    await uploads_.finish(
        ctx.db, ctx.store, inp.project_id, {set_id: inp.body.content_hash}, max_bytes=ctx.settings.max_upload_bytes
    )
    return json_response({"success": True})
