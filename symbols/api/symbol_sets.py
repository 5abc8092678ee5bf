"""Symbol set routes other than uploads: list, retrieve, update, delete, download."""

from __future__ import annotations

from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from ..db.symbol_sets import ORDERINGS, STATUSES, list_symbol_sets
from ..files import owned_prefix
from ..symbol_sets.manage import change, delete_many, get_one
from ..symbol_sets.pair_upload import store_pair
from ..symbol_sets.params import MAX_REF_LENGTH
from .auth import READ, WRITE
from .context import context
from .errors import NotFound
from .models import FileField, IdPath, Page, PageQuery, ReleaseId, SymbolSet, Uuid, absent, text
from .multipart import named_files
from .operation import Code, Input, operation
from .parse import json_response, paginated
from .serializers import symbol_set_json
from .spool import UPLOAD_PREFIX, too_large
from .upload_params import bounded

Status = Literal[STATUSES]  # type: ignore[valid-type]
Ordering = Literal[ORDERINGS]  # type: ignore[valid-type]


class SymbolSetQuery(PageQuery):
    status: Status = Field("all", description="valid: processed without failure; invalid: failed.")
    order_by: Ordering = "-created_at"
    ref: text(MAX_REF_LENGTH) | None = Field(None, description="Only the set with this chunk id (or URL).")
    search: text(MAX_REF_LENGTH) | None = Field(None, description="Sets whose ref contains this text (any case).")
    release: Uuid | None = Field(None, description="Only the sets of this release (its id).")


class SymbolSetPage(Page[SymbolSet]):
    pass


class SymbolSetUpdate(BaseModel):
    """Fields left out are unchanged; ``release_id`` null detaches the release."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"ref": "renamed", "release_id": None}]})

    ref: text(MAX_REF_LENGTH) = absent("A new chunk id, unique in the project.")
    release_id: ReleaseId = None


class BulkDelete(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"ids": ["01968a1e-7a00-7000-8000-000000000001"]}]})

    ids: Annotated[bounded(list[Uuid]), Code("required")] = Field(min_length=1)


class Deleted(BaseModel):
    deleted: int = Field(description="Symbol sets deleted (ids of other projects or unknown count 0).")


class DownloadLink(BaseModel):
    url: str = Field(description="A presigned URL of the uploaded file; it expires.", json_schema_extra={"format": "uri"})


@operation("List symbol sets", scope=READ, query=SymbolSetQuery, responses={200: SymbolSetPage})
async def list_sets(request: web.Request, inp: Input[None, SymbolSetQuery, None]) -> web.Response:
    ctx = context(request)
    query = inp.query
    limit, offset = query.page()
    async with ctx.db.connect() as conn:
        sets, count = await list_symbol_sets(
            conn, inp.project_id, ref=query.ref, search=query.search, release_id=query.release,
            status=query.status, order_by=query.order_by, limit=limit, offset=offset,
        )
    results = [symbol_set_json(s) for s in sets]
    return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))


async def _get(request: web.Request, inp: Input):
    return await get_one(context(request).db, inp.project_id, inp.path.id)


@operation("Retrieve a symbol set", scope=READ, path=IdPath, responses={200: SymbolSet})
async def retrieve(request: web.Request, inp: Input[IdPath, None, None]) -> web.Response:
    return json_response(symbol_set_json(await _get(request, inp)))


class PairForm(BaseModel):
    """PostHog's older form: the set's map and minified script, packed and stored."""

    source_map: FileField
    minified: FileField


@operation(
    "Change a symbol set's ref or release, or upload its files", scope=WRITE, path=IdPath,
    body=SymbolSetUpdate, form=PairForm, responses={200: SymbolSet, 204: None},
    errors={400: ("ref_in_use", "parse_error"), 413: ("file_too_large",)},
    description="JSON: `ref` and `release_id` change (200). multipart/form-data with `source_map` and "
    "`minified`: the files are stored for the set and processed (204).",
)
async def update(request: web.Request, inp: Input[IdPath, None, SymbolSetUpdate]) -> web.Response:
    """PATCH/PUT: ``ref`` (unique in the project) and ``release_id`` (null detaches)."""
    symbol_set = await _get(request, inp)
    if inp.body is None:  # the multipart form
        ctx = context(request)
        limit = ctx.settings.max_upload_bytes
        files = await named_files(request, ("source_map", "minified"), max_bytes=limit, too_large=too_large(limit))
        if await store_pair(ctx.db, ctx.store, symbol_set, source_map=files["source_map"],
                            minified=files["minified"], tmp_dir=ctx.tmp_dir, prefix=owned_prefix(UPLOAD_PREFIX)):
            ctx.metrics.upload_bytes.labels("direct").inc(sum(map(len, files.values())))
        return web.Response(status=204)
    changes = inp.body.model_dump(exclude_unset=True)
    symbol_set = await change(context(request).db, inp.project_id, symbol_set, changes)
    return json_response(symbol_set_json(symbol_set))


@operation(
    "Delete a symbol set with its file", scope=WRITE, path=IdPath, responses={204: None},
    description="The file and its index go first: if the blob store is down nothing changes (503).",
)
async def destroy(request: web.Request, inp: Input[IdPath, None, None]) -> web.Response:
    symbol_set = await _get(request, inp)
    ctx = context(request)
    await delete_many(ctx.db, ctx.store, inp.project_id, [symbol_set.id])
    return web.Response(status=204)


@operation(
    "Delete symbol sets by id", scope=WRITE, body=BulkDelete, responses={200: Deleted},
    errors={400: ("too_many_symbol_sets",)},
)
async def bulk_delete(request: web.Request, inp: Input[None, None, BulkDelete]) -> web.Response:
    ctx = context(request)
    return json_response({"deleted": await delete_many(ctx.db, ctx.store, inp.project_id, inp.body.ids)})


@operation("A download link for a symbol set's file", scope=READ, path=IdPath, responses={200: DownloadLink},
           errors={400: ("invalid_host",)})
async def download(request: web.Request, inp: Input[IdPath, None, None]) -> web.Response:
    symbol_set = await _get(request, inp)
    if not symbol_set.storage_ptr or not symbol_set.uploaded_at:
        raise NotFound("Symbol set has no uploaded file.")
    ctx = context(request)
    return json_response({"url": await ctx.links.download_url(ctx.base_url(request), symbol_set)})
