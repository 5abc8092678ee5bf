"""Fetching the maps nobody uploaded, for projects that allow it (``fetch_settings``).

``ScriptFetcher.fetch(project_id, urls)`` fetches each script URL of an allowed domain
with its map (``fetch.py``, behind the SSRF guard) and records the result as the URL's
symbol set (``symbol_sets.fetched``): a usable set, or one whose failure reason says why.
At most ``max_per_call`` URLs per call, each URL fetched by one task at a time in this
process (concurrent requests for it wait for that fetch). The resolve API fetches so,
inline, within its time cap.

``FetchQueue`` is the pipeline's fetcher: a slow origin must not hold a batch of other
events, so it fetches nothing itself; it enqueues a ``fetch_script`` job per URL (run by
``ScriptFetcher`` in a worker) and the frames wait for their set like a late upload
(the set, once processed, or its failure, wakes the waiting events).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol
from urllib.parse import urlsplit

from ..db import Database
from ..db.jobs import enqueue_fetches
from ..db.symbol_sets import get_symbol_set_by_ref
from ..storage import BlobStore
from ..symbol_sets.fetched import record_fetched
from .fetch import FetchFailed, FetchPolicy, fetch_script_and_map
from .fetch_settings import FetchSettings
from .singleflight import SingleFlight
from .ssrf import Lookup

log = logging.getLogger(__name__)

MAX_PER_CALL = 5
MAX_URL = 400  # a symbol set's ref


class Fetcher(Protocol):
    async def fetch(self, project_id: int, urls: Sequence[str]) -> list[str]:
        """The URLs (of ``urls``) whose set was recorded now: the resolver looks for them again."""
        ...


class ScriptFetcher:
    def __init__(self, db: Database, store: BlobStore, settings: FetchSettings, *, test_networks: Sequence[str] = (),
                 lookup: Lookup | None = None, max_per_call: int = MAX_PER_CALL) -> None:
        self.db = db
        self.store = store
        self.settings = settings
        self.test_networks = tuple(test_networks)
        self.lookup = lookup
        self.max_per_call = max_per_call
        self._flights = SingleFlight()

    async def fetch(self, project_id: int, urls: Sequence[str]) -> list[str]:
        """The URLs (of ``urls``) whose fetch was recorded now, failed or not."""
        setting = await self.settings.for_fetch(project_id)
        if setting is None:
            return []
        policy = FetchPolicy(setting.allowed_domains, setting.auth_header,
                             allowed_networks=self.test_networks, lookup=self.lookup)
        done = []
        for url in fetchable(policy, urls)[: self.max_per_call]:
            if await self._flights.run(f"{project_id} {url}", lambda url=url: self._one(project_id, url, policy)):
                done.append(url)
        return done

    async def _one(self, project_id: int, url: str, policy: FetchPolicy) -> bool:
        async with self.db.connect() as conn:
            if await get_symbol_set_by_ref(conn, project_id, url) is not None:
                return False  # recorded meanwhile (another process, a repeated job)
        try:
            fetched = await fetch_script_and_map(url, policy)
        except FetchFailed as exc:
            log.info("fetching %s failed: %s", url, exc)
            return await record_fetched(self.db, self.store, project_id, url, failure=str(exc)) is not None
        return await record_fetched(self.db, self.store, project_id, url, script=fetched.script,
                                    source_map=fetched.source_map) is not None


class FetchQueue:
    """The pipeline's fetcher: enqueues the fetches, returns at once (nothing fetched now)."""

    def __init__(self, db: Database, settings: FetchSettings, *, max_per_call: int = MAX_PER_CALL) -> None:
        self.db = db
        self.settings = settings
        self.max_per_call = max_per_call

    async def fetch(self, project_id: int, urls: Sequence[str]) -> list[str]:
        setting = await self.settings.for_fetch(project_id)
        if setting is None:
            return []
        wanted = fetchable(FetchPolicy(setting.allowed_domains), urls)[: self.max_per_call]
        if wanted:
            async with self.db.begin() as conn:
                await enqueue_fetches(conn, project_id, wanted)
        return []


def fetchable(policy: FetchPolicy, urls: Sequence[str]) -> list[str]:
    """The distinct http(s) URLs of ``urls`` on the policy's domains."""
    return [u for u in dict.fromkeys(urls)
            if len(u) <= MAX_URL and urlsplit(u).scheme in ("http", "https") and policy.allows_host(urlsplit(u).hostname)]


__all__ = ["FetchQueue", "Fetcher", "ScriptFetcher", "fetchable"]
