"""The Python contestants behind one small face.

Each peer parses a map from bytes already in memory and answers a 0-based
(line, column) with ``(source, line, column, name)`` (0-based original line) or
``None`` when nothing is mapped there, so answers can be compared field by field.
Peers' own conventions are converted here:

- ``sourcemap`` (0.2.1) raises ``IndexError`` for "nothing here";
- ``symbolic.SourceMapView.from_json_bytes`` (the Python face of the C-ABI
  ``symbolic_sourcemapview_from_json_slice``) is 0-based in and out;
- ``symbolic.SourceMapCache.from_bytes(minified, map)`` builds the cache (it parses
  the minified JavaScript for scopes); it is 1-based in *and* out for both lines and
  columns. The Python binding has no way to open an already-built cache from bytes,
  so only the build is timed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Answer = tuple[Any, Any, Any, Any] | None


@dataclass(frozen=True)
class Peer:
    key: str
    label: str
    parse: Callable[[bytes, bytes], Any]  # (map bytes, minified bytes) -> parsed object
    lookup: Callable[[Any, int, int], Answer]
    loop: Callable[[Any, list[int], list[int]], None]  # raw lookups, timed
    note: str = ""


def _loop_plain(obj: Any, lines: list[int], cols: list[int]) -> None:
    lookup = obj.lookup
    for line, col in zip(lines, cols):
        lookup(line, col)


def _loop_sourcemap(obj: Any, lines: list[int], cols: list[int]) -> None:
    lookup = obj.lookup
    for line, col in zip(lines, cols):
        try:
            lookup(line, col)
        except IndexError:
            pass


def _loop_cache(obj: Any, lines: list[int], cols: list[int]) -> None:
    # 1-based in; the +1 costs the same as the adapters' argument handling elsewhere
    lookup = obj.lookup
    for line, col in zip(lines, cols):
        lookup(line + 1, col + 1, 0)


def _ours_answer(tok: Any) -> Answer:
    if tok is None or (tok.source is None and tok.line is None):
        return None
    return (tok.source, tok.line, tok.column, tok.name)


def ours_available() -> str | None:
    """None when the engine imports with the API the bench needs, else why not."""
    try:
        from symbols import sourcemaps
    except Exception as exc:  # noqa: BLE001 - report any import failure as-is
        return f"import failed: {exc!r}"
    missing = [n for n in ("parse_source_map", "load_index") if not hasattr(sourcemaps, n)]
    return f"symbols.sourcemaps lacks {', '.join(missing)}" if missing else None


def ours() -> Peer:
    from symbols.sourcemaps import parse_source_map

    return Peer(
        key="ours",
        label="ours (symbols.sourcemaps)",
        parse=lambda data, js: parse_source_map(data),
        lookup=lambda sm, line, col: _ours_answer(sm.lookup(line, col)),
        loop=_loop_plain,
    )


def ours_scopes() -> Peer:
    from symbols.sourcemaps import parse_source_map

    return Peer(
        key="ours_scopes",
        label="ours + function scopes",
        parse=lambda data, js: parse_source_map(data, minified_source=js),
        lookup=lambda sm, line, col: _ours_answer(sm.lookup(line, col)),
        loop=_loop_plain,
        note="parse_source_map(map, minified_source=js): also parses the JS (tree-sitter)",
    )


def _sourcemap_lookup(index: Any, line: int, col: int) -> Answer:
    try:
        tok = index.lookup(line, col)
    except IndexError:
        return None
    return (tok.src, tok.src_line, tok.src_col, tok.name)


def sourcemap_pkg() -> Peer:
    import sourcemap

    return Peer(
        key="sourcemap",
        label=f"sourcemap {_version('sourcemap')}",
        parse=lambda data, js: sourcemap.loads(data.decode("utf-8")),
        lookup=_sourcemap_lookup,
        loop=_loop_sourcemap,
    )


def _view_lookup(view: Any, line: int, col: int) -> Answer:
    tok = view.lookup(line, col)
    if tok is None:
        return None
    return (tok.src, tok.src_line, tok.src_col, tok.name)


def symbolic_view() -> Peer:
    from symbolic import SourceMapView

    return Peer(
        key="symbolic_view",
        label=f"symbolic {_version('symbolic')} SourceMapView",
        parse=lambda data, js: SourceMapView.from_json_bytes(data),
        lookup=_view_lookup,
        loop=_loop_plain,
    )


def _cache_lookup(cache: Any, line: int, col: int) -> Answer:
    tok = cache.lookup(line + 1, col + 1, 0)
    if tok is None:
        return None
    return (tok.src, tok.line - 1, tok.col - 1, tok.name)


def symbolic_cache() -> Peer:
    from symbolic import SourceMapCache

    return Peer(
        key="symbolic_cache",
        label=f"symbolic {_version('symbolic')} SourceMapCache",
        parse=lambda data, js: SourceMapCache.from_bytes(js, data),
        lookup=_cache_lookup,
        loop=_loop_cache,
        note="SourceMapCache.from_bytes(minified, map): build incl. JS scope parsing",
    )


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def python_peers(*, with_ours: bool) -> list[Peer]:
    peers = [ours(), ours_scopes()] if with_ours else []
    return peers + [sourcemap_pkg(), symbolic_view(), symbolic_cache()]


PEER_FACTORIES = {
    "ours": ours,
    "ours_scopes": ours_scopes,
    "sourcemap": sourcemap_pkg,
    "symbolic_view": symbolic_view,
    "symbolic_cache": symbolic_cache,
}
