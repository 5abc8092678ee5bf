"""Resolve a trace: paste a Chrome/Firefox/Safari/Node stack trace, get it back resolved
with source context, and the reason for each frame that does not resolve.

Maps are picked as the API picks them (chunk id, then script URL). A pasted trace has
no chunk ids, so choosing a release adds one more way: a frame's script file name is
matched with the ``file`` recorded in each of the release's maps, and a release with a
single map serves every script (one bundle); that set's chunk id is sent with the frame.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from aiohttp import web

from ..db.releases import get_release, list_releases
from ..db.symbol_set_search import search_symbol_sets
from ..db.types import parse_uuid
from ..resolve import Frame, ResolveFailure
from ..stacktrace import Trace, parse, script_path
from .pages import Page, page, render
from .words import resolve_failure_words

MAX_TRACE_CHARS = 64 * 1024
MAX_FRAMES = 1000  # as the API's resolve route
MAX_RELEASE_SETS = 200
CONTEXT_LINES = 5


def _file_name(path: str | None) -> str | None:
    if not path:
        return None
    return PurePosixPath(script_path(path)).name or None


async def _release_chunk_ids(here: Page, release_id: str) -> dict[str, str]:
    """``{script file name: chunk id}`` of the release's processed maps; ``{"": chunk id}``
    as well when the release has one map only."""
    async with here.ctx.db.connect() as conn:
        found = await search_symbol_sets(conn, here.project.id, release_id=release_id, state="ok",
                                         limit=MAX_RELEASE_SETS)
    loader = here.ctx.resolver.loader
    names: dict[str, str] = {}
    for symbol_set in found.sets:
        try:
            loaded = await loader.get(symbol_set, [])
        except ResolveFailure:
            continue
        name = _file_name(loaded.source_map.file)
        if name:
            names.setdefault(name, symbol_set.ref)
    if len(found.sets) == 1:
        names[""] = found.sets[0].ref
    return names


def _view(trace: Trace, sent: list[int], results: list[dict]) -> list[dict]:
    """The trace line by line: text as it came, frames with their result."""
    by_frame = dict(zip(sent, results, strict=True))
    lines, index = [], -1
    for line in trace.lines:
        if isinstance(line, str):
            lines.append({"kind": "text", "text": line})
            continue
        index += 1
        result = by_frame.get(index)
        item = {"kind": "frame", "text": line.text, "result": result, "resolved_text": None,
                "why": None}
        if result is None:
            item["why"] = "Not a script position (native code or a Node built-in)."
        elif result["resolved"]:
            item["resolved_text"] = line.render(
                function=result["resolved_name"], filename=result["source"],
                lineno=result["line"], colno=result["column"],
            ).strip()
        else:
            item["why"] = resolve_failure_words(result["resolve_failure"])
        lines.append(item)
    return lines


async def resolve_page(request: web.Request) -> web.Response:
    here = await page(request)
    async with here.ctx.db.connect() as conn:
        releases, _ = await list_releases(conn, here.project.id, limit=200, offset=0)
    values = {"viewer": here.viewer, "project": here.project, "releases": releases,
              "trace": "", "release_id": "", "lines": None, "error": None, "summary": None}
    if request.method != "POST":
        return await render(request, "resolve.html", values)

    form = await request.post()
    text = str(form.get("trace", ""))
    release_id = parse_uuid(str(form.get("release_id", "") or "")) if form.get("release_id") else None
    values |= {"trace": text[:MAX_TRACE_CHARS], "release_id": release_id or ""}
    trace = parse(text[:MAX_TRACE_CHARS])
    sent = [i for i, f in enumerate(trace.frames) if f.resolvable][:MAX_FRAMES]
    if len(text) > MAX_TRACE_CHARS:
        values["error"] = f"The trace is longer than {MAX_TRACE_CHARS // 1024} KB; paste a shorter one."
    elif not sent:
        values["error"] = ("No stack frame with a script position was found. Paste the lines "
                           "that look like `at fn (https://…/app.js:1:234)` or `fn@https://…:1:234`.")
    if values["error"]:
        return await render(request, "resolve.html", values, status=400)

    chunk_ids: dict[str, str] = {}
    if release_id is not None:
        async with here.ctx.db.connect() as conn:
            if await get_release(conn, here.project.id, release_id) is None:
                release_id = None
        if release_id is not None:
            chunk_ids = await _release_chunk_ids(here, release_id)
    frames = []
    for i in sent:
        parsed = trace.frames[i]
        frames.append(Frame(
            filename=parsed.filename, function=parsed.function, lineno=parsed.lineno,
            colno=parsed.colno,
            chunk_id=chunk_ids.get(_file_name(parsed.filename) or "") or chunk_ids.get(""),
            platform=parsed.platform,
        ))
    results = await here.ctx.resolver.resolve(here.project.id, frames, context_lines=CONTEXT_LINES, explain=True)
    values["lines"] = _view(trace, sent, results)
    done = sum(1 for r in results if r["resolved"])
    values["summary"] = f"Resolved {done} of {len(results)} frame{'s' if len(results) != 1 else ''}."
    return await render(request, "resolve.html", values)
