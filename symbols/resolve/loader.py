"""One symbol set's loaded index: memory, else the stored index, else built from the blob
(and stored, and the set marked processed), with one load per set at a time."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from ..db import Database, DatabaseUnavailable
from ..db.symbol_sets import SymbolSet
from ..sourcemaps import SourceMapError
from ..storage import BlobNotFound, BlobStore, BlobStoreUnavailable
from ..symbol_sets.blobs import index_key
from ..symbol_sets.failures import INVALID_SOURCE_MAP
from ..symbol_sets.pool import IndexBuilder
from ..symbol_sets.processing import StorageUnavailable, build_and_store
from .cache import BUILT, STORED, IndexCache, LoadedIndex
from .frames import STORAGE_UNAVAILABLE, SYMBOL_SET_FAILED, ResolveFailure, step
from .singleflight import SingleFlight

if TYPE_CHECKING:
    from ..metrics import Metrics

log = logging.getLogger(__name__)


class IndexLoader:
    def __init__(
        self,
        db: Database,
        store: BlobStore,
        builder: IndexBuilder,
        cache: IndexCache,
        *,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.store = store
        self.builder = builder
        self.cache = cache
        self.metrics = metrics
        self._loads: SingleFlight[LoadedIndex] = SingleFlight()

    async def get(self, symbol_set: SymbolSet, steps: list[dict]) -> LoadedIndex:
        ptr = symbol_set.storage_ptr
        assert ptr is not None
        key = f"{symbol_set.id}:{ptr}"
        start = time.perf_counter()
        cached = self.cache.get(key)
        if cached is not None:
            self._observe("memory", start)
            steps.append(step("index_load", True, f"in memory ({cached.size} bytes, {cached.origin})"))
            return cached
        try:
            loaded = await self._loads.run(key, lambda: self._load(symbol_set, ptr))
        except ResolveFailure as exc:
            steps.append(step("index_load", False, exc.detail))
            raise
        self.cache.put(key, loaded)
        steps.append(step("index_load", True, f"{loaded.origin} ({loaded.size} bytes)"))
        return loaded

    def _observe(self, source: str, start: float) -> None:
        if self.metrics is not None:
            self.metrics.index_loaded(source, time.perf_counter() - start)

    async def _load(self, symbol_set: SymbolSet, ptr: str) -> LoadedIndex:
        """One actual load (shared by concurrent callers), counted by its source."""
        start = time.perf_counter()
        loaded = await self._load_or_build(symbol_set, ptr)
        self._observe("built" if loaded.origin == BUILT else "stored", start)
        return loaded

    async def _load_or_build(self, symbol_set: SymbolSet, ptr: str) -> LoadedIndex:
        try:
            data = await self.store.get_bytes(index_key(ptr))
        except BlobNotFound:
            data = None
        except BlobStoreUnavailable as exc:
            raise ResolveFailure(STORAGE_UNAVAILABLE, f"blob store unavailable: {exc}") from exc
        if data is not None:
            try:
                return LoadedIndex(await self.builder.load(data), len(data), STORED)
            except SourceMapError as exc:
                log.warning("stored index of %s unreadable (%s); rebuilding", symbol_set.id, exc)
        return await self._build(symbol_set, ptr)

    async def _build(self, symbol_set: SymbolSet, ptr: str) -> LoadedIndex:
        try:
            failure = await build_and_store(self.db, self.store, self.builder, symbol_set.id, ptr)
        except StorageUnavailable as exc:
            raise ResolveFailure(STORAGE_UNAVAILABLE, str(exc)) from exc
        except (DatabaseUnavailable, OSError) as exc:
            raise ResolveFailure(STORAGE_UNAVAILABLE, f"index build failed: {exc}") from exc
        if failure is not None:
            kind = INVALID_SOURCE_MAP if failure.kind == INVALID_SOURCE_MAP else SYMBOL_SET_FAILED
            raise ResolveFailure(kind, f"built from the upload: {failure.kind}: {failure.message}")
        try:
            data = await self.store.get_bytes(index_key(ptr))
            return LoadedIndex(await self.builder.load(data), len(data), BUILT)
        except (BlobNotFound, BlobStoreUnavailable, SourceMapError) as exc:
            raise ResolveFailure(STORAGE_UNAVAILABLE, f"index built but not readable: {exc}") from exc


__all__ = ["IndexLoader"]
