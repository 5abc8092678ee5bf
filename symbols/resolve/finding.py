"""Finding each frame's symbol set: by chunk id, then debug id, then the script's URL
(a set's ref, else the URL it was uploaded for; ``release_id`` decides between builds
served at one URL). Frames that are not the user's code look for none."""

from __future__ import annotations

from ..db import Database
from ..db.symbol_sets import SymbolSet, get_symbol_sets_by_refs, get_symbol_sets_by_urls
from .frames import Frame, needs_no_map, script_url, step


async def find_sets(
    db: Database, project_id: int, frames: list[Frame], traces: list[list[dict]], release_id: str | None
) -> list[SymbolSet | None]:
    """Each frame's set: by chunk id, then debug id, then script URL."""
    ids = {i for f in frames for i in (f.chunk_id, f.debug_id) if i}
    urls = {script_url(f.filename) for f in frames if f.filename and not needs_no_map(f.filename)}
    async with db.connect() as conn:
        by_ref = await get_symbol_sets_by_refs(conn, project_id, ids | urls)
        # A placeholder has no file: the frame looks on (by URL) as if it were not there.
        placeholders = {ref: s for ref, s in by_ref.items() if s.placeholder}
        by_ref = {ref: s for ref, s in by_ref.items() if not s.placeholder}
        by_url = await get_symbol_sets_by_urls(conn, project_id, urls - by_ref.keys(), release_id=release_id)
    found: list[SymbolSet | None] = []
    for frame, steps in zip(frames, traces):
        if needs_no_map(frame.filename):
            steps.append(step("not_user_code", True, f"{frame.filename!r} is not the user's code"))
            found.append(None)
            continue
        symbol_set = None
        for kind, value in (("chunk_id", frame.chunk_id), ("debug_id", frame.debug_id)):
            if symbol_set is not None:
                break
            if not value:
                steps.append(step(f"{kind}_lookup", False, f"the frame has no {kind}"))
                continue
            symbol_set = by_ref.get(value)
            steps.append(step(f"{kind}_lookup", symbol_set is not None, _ref_detail(value, symbol_set, placeholders)))
        if symbol_set is None:
            if frame.filename:
                url = script_url(frame.filename)
                symbol_set = by_ref.get(url) or by_url.get(url)
                steps.append(step("url_lookup", symbol_set is not None, _url_detail(url, symbol_set)))
            else:
                steps.append(step("url_lookup", False, "the frame has no filename"))
        found.append(symbol_set)
    return found



def _ref_detail(ref: str, symbol_set: SymbolSet | None, placeholders: dict[str, SymbolSet]) -> str:
    if symbol_set is not None:
        return f"symbol set {symbol_set.id} has ref {ref!r}"
    if ref in placeholders:
        return (f"symbol set {placeholders[ref].id} is a placeholder for ref {ref!r} (frames asked for it, "
                "nothing was uploaded): upload its map with `symbols sourcemap upload`")
    return f"no symbol set of this project has ref {ref!r}"


def _url_detail(url: str, symbol_set: SymbolSet | None) -> str:
    if symbol_set is None:
        return (f"no symbol set of this project has ref or URL {url!r}: upload its map with "
                "`symbols sourcemap upload --url-prefix` set to where the scripts are served")
    if symbol_set.ref == url:
        return f"symbol set {symbol_set.id} has ref {url!r}"
    return f"symbol set {symbol_set.id} ({symbol_set.ref}) was uploaded for URL {symbol_set.url!r}"


__all__ = ["find_sets"]
