"""Symbol set pages: search, one set, download, delete, and the two JSON calls the
drag-and-drop upload makes (the same presigned flow as the CLI)."""

from __future__ import annotations

from aiohttp import web

from ..api.blobs import delete_blobs, download_url
from ..api.parse import json_body, json_response
from ..api.presigned_upload import finish_uploads, start_uploads
from ..api.upload_plan import check_batch_size, parse_uploads
from ..db.symbol_set_search import MAX_QUERY, STATES, Cursor, search_symbol_sets, state_of
from ..db.symbol_sets import delete_symbol_sets, get_symbol_set
from ..db.types import parse_uuid
from .pages import Page, not_found, page, render
from .words import STATE_WORDS, failure_words, size_words

PAGE_SIZE = 50


def _row(symbol_set) -> dict:
    state = state_of(symbol_set)
    return {
        "set": symbol_set,
        "state": state,
        "state_label": STATE_WORDS[state][0],
        "size": size_words(symbol_set.size_bytes),
        "failure": failure_words(symbol_set.failure_reason),
    }


async def list_page(request: web.Request) -> web.Response:
    here = await page(request)
    query = request.query.get("q", "").strip()[:MAX_QUERY]
    state = request.query.get("status") or None
    state = state if state in STATES else None
    after = Cursor.decode(request.query["after"]) if request.query.get("after") else None
    async with here.ctx.db.connect() as conn:
        found = await search_symbol_sets(
            conn, here.project.id, query=query, state=state, after=after, limit=PAGE_SIZE
        )
    return await render(request, "symbol_sets.html", {
        **_base(request, here),
        "rows": [_row(s) for s in found.sets],
        "count": found.count,
        "next": found.next.encode() if found.next else None,
        "first_page": after is not None,
        "q": query,
        "status": state or "",
        "states": [(s, STATE_WORDS[s][0]) for s in STATES],
        "max_upload_bytes": here.ctx.settings.max_upload_bytes,
    })


def _base(request: web.Request, here: Page) -> dict:
    return {
        "viewer": here.viewer,
        "project": here.project,
        "host": here.ctx.base_url(request),
        "can_write": here.viewer.can_write,
    }


async def _one(request: web.Request, here: Page):
    set_id = parse_uuid(request.match_info.get("set_id", ""))
    if set_id is None:
        raise not_found()
    async with here.ctx.db.connect() as conn:
        symbol_set = await get_symbol_set(conn, set_id, project_id=here.project.id)
    if symbol_set is None:
        raise not_found()
    return symbol_set


async def detail_page(request: web.Request) -> web.Response:
    here = await page(request)
    row = _row(await _one(request, here))
    row["state_help"] = STATE_WORDS[row["state"]][1]
    return await render(request, "symbol_set.html", _base(request, here) | row)


async def download(request: web.Request) -> web.Response:
    here = await page(request)
    symbol_set = await _one(request, here)
    if not symbol_set.storage_ptr or not symbol_set.uploaded_at:
        raise not_found()
    raise web.HTTPSeeOther(await download_url(here.ctx, request, symbol_set))


async def delete_form(request: web.Request) -> web.Response:
    here = await page(request, write=True)
    return await render(request, "confirm_delete.html", _base(request, here) | _row(await _one(request, here)))


async def delete(request: web.Request) -> web.Response:
    here = await page(request, write=True)
    symbol_set = await _one(request, here)
    await delete_blobs(here.ctx, [symbol_set.storage_ptr])
    async with here.ctx.db.begin() as conn:
        await delete_symbol_sets(conn, here.project.id, [symbol_set.id])
    url = request.app.router["web:symbol_sets"].url_for(project_id=str(here.project.id))
    raise web.HTTPSeeOther(url.with_query(deleted=symbol_set.ref[:200]))


async def upload_start(request: web.Request) -> web.Response:
    """``bulk_start_upload``'s body and answer, for the page's script."""
    here = await page(request, write=True)
    uploads = parse_uploads(await json_body(request))
    id_map = await start_uploads(here.ctx, request, here.project.id, uploads)
    return json_response({"id_map": id_map}, status=201)


async def upload_finish(request: web.Request) -> web.Response:
    """``bulk_finish_upload``'s body: ``{"content_hashes": {symbol_set_id: sha512hex}}``."""
    here = await page(request, write=True)
    content_hashes = (await json_body(request)).get("content_hashes")
    if not isinstance(content_hashes, dict) or not content_hashes:
        return json_response({"type": "validation_error", "code": "content_hash_required",
                              "detail": "content_hashes must be a non-empty object.",
                              "attr": "content_hashes"}, status=400)
    check_batch_size(len(content_hashes), "content_hashes")
    await finish_uploads(here.ctx, here.project.id, content_hashes)
    return json_response({"success": True}, status=201)
