"""The source-map engine: parse, look up, name functions, store a compact index.

Pure functions over bytes: no I/O, and nothing imported from the rest of `symbols`.

    source_map = parse_source_map(map_bytes, minified_source=js_bytes)
    token = source_map.lookup(line, column)           # 0-based, or None
    name = source_map.function_name(line, column)     # enclosing function's original name
    blob = source_map.to_index_bytes()                # store it; later:
    same = load_index(blob)                           # no JSON, no VLQ, no JavaScript parsing

Every size and the time spent on the JavaScript are capped (`Limits`, `limits.py`).
"""

from symbols.sourcemaps.decoder import parse_source_map
from symbols.sourcemaps.errors import (
    IndexOutOfBoundsError,
    InvalidFieldError,
    InvalidIndexError,
    InvalidJsonError,
    InvalidSectionsError,
    InvalidSegmentError,
    InvalidVersionError,
    InvalidVlqError,
    MissingFieldError,
    SourceMapError,
    TooComplexError,
    TooLargeError,
)
from symbols.sourcemaps.index import dump_index, load_index
from symbols.sourcemaps.limits import DEFAULT_LIMITS, Limits
from symbols.sourcemaps.model import Lookups, SourceMap, Token
from symbols.sourcemaps.scopes import ScopeTable, build_scope_table

__all__ = [
    "DEFAULT_LIMITS",
    "IndexOutOfBoundsError",
    "InvalidFieldError",
    "InvalidIndexError",
    "InvalidJsonError",
    "InvalidSectionsError",
    "InvalidSegmentError",
    "InvalidVersionError",
    "InvalidVlqError",
    "Limits",
    "Lookups",
    "MissingFieldError",
    "ScopeTable",
    "SourceMap",
    "SourceMapError",
    "Token",
    "TooComplexError",
    "TooLargeError",
    "build_scope_table",
    "dump_index",
    "load_index",
    "parse_source_map",
]
