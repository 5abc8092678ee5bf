"""Symbol set pages: search, one set, download, delete, and the two JSON calls the
drag-and-drop upload makes (the same presigned flow as the CLI)."""

from __future__ import annotations

from aiohttp import web

from ..db.symbol_set_search import MAX_QUERY, STATES, Cursor, search_symbol_sets, state_of
from ..db.types import parse_uuid
from ..errors import InvalidInput, Missing
from ..symbol_sets import upload as uploads_
from ..symbol_sets.manage import delete_many, get_one
from ..symbol_sets.params import check_batch_size, parse_content_hashes, parse_uploads
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
    try:
        return await get_one(here.ctx.db, here.project.id, set_id)
    except Missing:
        raise not_found() from None


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
    raise web.HTTPSeeOther(await here.ctx.links.download_url(here.ctx.base_url(request), symbol_set))


async def delete_form(request: web.Request) -> web.Response:
    here = await page(request, write=True)
    return await render(request, "confirm_delete.html", _base(request, here) | _row(await _one(request, here)))


async def delete(request: web.Request) -> web.Response:
    here = await page(request, write=True)
    symbol_set = await _one(request, here)
    await delete_many(here.ctx.db, here.ctx.store, here.project.id, [symbol_set.id])
    here.ctx.resolver.forget_sets(here.project.id)
    url = request.app.router["web:symbol_sets"].url_for(project_id=str(here.project.id))
    raise web.HTTPSeeOther(url.with_query(deleted=symbol_set.ref[:200]))


async def _json_body(request: web.Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        raise InvalidInput("parse_error", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise InvalidInput("parse_error", "The body must be a JSON object.")
    return body


async def upload_start(request: web.Request) -> web.Response:
    """``bulk_start_upload``'s body and answer, for the page's script (same rules)."""
    here = await page(request, write=True)
    uploads = parse_uploads(await _json_body(request))
    id_map = await here.ctx.links.start_uploads(here.ctx.db, here.ctx.base_url(request), here.project.id, uploads)
    return web.json_response({"id_map": id_map}, status=201)


async def upload_finish(request: web.Request) -> web.Response:
    """``bulk_finish_upload``'s body: ``{"content_hashes": {symbol_set_id: sha512hex}}``."""
    here = await page(request, write=True)
    content_hashes = (await _json_body(request)).get("content_hashes")
    if not isinstance(content_hashes, dict) or not content_hashes:
        raise InvalidInput("content_hash_required", "content_hashes must be a non-empty object.",
                           "content_hashes")
    check_batch_size(len(content_hashes), "content_hashes")
    await uploads_.finish(here.ctx.db, here.ctx.store, here.project.id,
                          parse_content_hashes(content_hashes),
                          max_bytes=here.ctx.settings.max_upload_bytes)
    here.ctx.resolver.forget_sets(here.project.id)
    return web.json_response({"success": True}, status=201)
