"""Frame resolution: stack frames -> symbol sets -> original file, line, function, context.

The layers, built once per process by ``symbols.app``:

    Resolver        frames of one request (resolver.py)
      IndexLoader   one set's SourceMap: memory -> stored index -> build (loader.py)
        IndexCache  loaded indexes, LRU bounded in bytes (cache.py)
        SingleFlight  concurrent requests for one set share one load (singleflight.py)
        IndexBuilder  the index process pool (symbols.symbol_sets.pool)

Each layer takes an optional ``Metrics``.
"""

from .cache import IndexCache, LoadedIndex
from .finding import SetCache
from .frames import DEFAULT_CONTEXT_LINES, MAX_CONTEXT_LINES, Frame, ResolveFailure
from .loader import IndexLoader
from .resolver import Resolver, function_name, unresolved

__all__ = [
    "DEFAULT_CONTEXT_LINES",
    "MAX_CONTEXT_LINES",
    "Frame",
    "IndexCache",
    "IndexLoader",
    "LoadedIndex",
    "ResolveFailure",
    "Resolver",
    "SetCache",
    "function_name",
    "unresolved",
]
