"""Symbol set routes other than uploads: list, retrieve, update, delete, download."""

from __future__ import annotations

from aiohttp import web

from ..db.symbol_sets import ORDERINGS, STATUSES, list_symbol_sets
from ..db.types import parse_uuid
from ..symbol_sets.manage import change, delete_many, get_one
from ..symbol_sets.params import MAX_REF_LENGTH, check_batch_size, release_param, text
from .auth import READ, WRITE, authorize
from .context import context
from .errors import NotFound, ValidationError
from .parse import json_body, json_response, page_params, paginated, path_uuid
from .serializers import symbol_set_json


async def list_sets(request: web.Request) -> web.Response:
    project_id = await authorize(request, READ)
    ctx = context(request)
    query = request.query
    status = query.get("status") or "all"
    if status not in STATUSES:
        raise ValidationError("invalid_choice", f"status must be one of {', '.join(STATUSES)}.", "status")
    order_by = query.get("order_by") or "-created_at"
    if order_by not in ORDERINGS:
        raise ValidationError("invalid_choice", f"order_by must be one of {', '.join(ORDERINGS)}.", "order_by")
    ref = query.get("ref")
    if ref is not None:
        ref = text(ref, "ref", max_length=MAX_REF_LENGTH)
    limit, offset = page_params(request)
    async with ctx.db.connect() as conn:
        sets, count = await list_symbol_sets(
            conn, project_id, ref=ref, status=status, order_by=order_by, limit=limit, offset=offset
        )
    results = [symbol_set_json(s) for s in sets]
    return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))


async def _get(request: web.Request, scope: str):
    project_id = await authorize(request, scope)
    return project_id, await get_one(context(request).db, project_id, path_uuid(request))


async def retrieve(request: web.Request) -> web.Response:
    _, symbol_set = await _get(request, READ)
    return json_response(symbol_set_json(symbol_set))


async def update(request: web.Request) -> web.Response:
    """PATCH/PUT: ``ref`` (unique in the project) and ``release_id`` (null detaches)."""
    project_id, symbol_set = await _get(request, WRITE)
    body = await json_body(request)
    changes: dict = {}
    if "ref" in body:
        changes["ref"] = text(body["ref"], "ref", max_length=MAX_REF_LENGTH)
    if "release_id" in body:
        changes["release_id"] = release_param(body["release_id"])
    symbol_set = await change(context(request).db, project_id, symbol_set, changes)
    return json_response(symbol_set_json(symbol_set))


async def destroy(request: web.Request) -> web.Response:
    """Blob and index go first: if the store is down nothing changes (503)."""
    project_id, symbol_set = await _get(request, WRITE)
    ctx = context(request)
    await delete_many(ctx.db, ctx.store, project_id, [symbol_set.id])
    return web.Response(status=204)


async def bulk_delete(request: web.Request) -> web.Response:
    project_id = await authorize(request, WRITE)
    ids = (await json_body(request)).get("ids")
    if not isinstance(ids, list) or not ids:
        raise ValidationError("required", "ids must be a non-empty list of symbol set IDs.", "ids")
    check_batch_size(len(ids), "ids")
    parsed = [parse_uuid(i) for i in ids]
    if None in parsed:
        raise ValidationError("invalid_input", "ids must be UUIDs.", "ids")
    ctx = context(request)
    return json_response({"deleted": await delete_many(ctx.db, ctx.store, project_id, parsed)})


async def download(request: web.Request) -> web.Response:
    _, symbol_set = await _get(request, READ)
    if not symbol_set.storage_ptr or not symbol_set.uploaded_at:
        raise NotFound("Symbol set has no uploaded file.")
    ctx = context(request)
    return json_response({"url": await ctx.links.download_url(ctx.base_url(request), symbol_set)})
