"""Building a symbol set's lookup index from its blob: a pure function of bytes.

``build_index(blob)`` unpacks the container, parses the map with the engine (passing the
minified source when the blob carries it) and serialises the index. Input faults come
back as a ``BuildFailure``; it runs in a worker process (``pool.py``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from ..sourcemaps import SourceMap, SourceMapError, load_index, parse_source_map
from .container import ContainerError, unpack
from .failures import INVALID_SOURCE_AND_MAP, INVALID_SOURCE_MAP, BuildFailure

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildResult:
    index: bytes | None = None
    failure: BuildFailure | None = None
    has_scopes: bool = False
    # Why function scopes could not be built although the blob has the minified source.
    scope_error: str | None = None
    seconds: float = 0.0


def build_index(blob: bytes) -> BuildResult:
    """Unpack, parse and serialise one symbol set blob (runs in a worker process)."""
    start = time.perf_counter()
    try:
        content = unpack(blob)
    except ContainerError as exc:
        return BuildResult(failure=BuildFailure.of_code(INVALID_SOURCE_AND_MAP, exc.code, str(exc)))
    source_map, scope_error = _parse(content.source_map, content.minified_source)
    if isinstance(source_map, BuildFailure):
        return BuildResult(failure=source_map)
    return BuildResult(
        index=source_map.to_index_bytes(),
        has_scopes=source_map.scopes is not None,
        scope_error=scope_error,
        seconds=time.perf_counter() - start,
    )


def parse_blob(blob: bytes) -> SourceMap | BuildFailure:
    """The decoded map of a blob, without building an index (benchmarks, debugging)."""
    try:
        content = unpack(blob)
    except ContainerError as exc:
        return BuildFailure.of_code(INVALID_SOURCE_AND_MAP, exc.code, str(exc))
    return _parse(content.source_map, content.minified_source)[0]


def _parse(map_bytes: bytes, minified: bytes | None) -> tuple[SourceMap | BuildFailure, str | None]:
    try:
        if minified is None:
            return parse_source_map(map_bytes), None
        try:
            return parse_source_map(map_bytes, minified_source=minified), None
        except SourceMapError:
            raise
        except Exception as exc:  # noqa: BLE001 - scopes are a bonus; positions still resolve
            log.warning("function scopes not built: %r", exc)
            return parse_source_map(map_bytes), f"{type(exc).__name__}: {exc}"
    except SourceMapError as exc:
        return BuildFailure.of_code(INVALID_SOURCE_MAP, exc.code, exc.message), None


__all__ = ["BuildResult", "build_index", "load_index", "parse_blob"]
