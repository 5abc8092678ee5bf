"""Fetching the maps nobody uploaded, for projects that allow it (``fetch_settings``).

``ScriptFetcher.fetch(project_id, urls)`` fetches each script URL of an allowed domain
with its map (``fetch.py``, behind the SSRF guard) and records the result as the URL's
symbol set (``symbol_sets.fetched``): a usable set, or one whose failure reason says why.
At most ``max_per_call`` URLs per call, each URL fetched by one task at a time in this
process (concurrent requests for it wait for that fetch).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import urlsplit

from ..db import Database
from ..storage import BlobStore
from ..symbol_sets.fetched import record_fetched
from .fetch import FetchFailed, FetchPolicy, fetch_script_and_map
from .fetch_settings import FetchSettings
from .singleflight import SingleFlight
from .ssrf import Lookup

log = logging.getLogger(__name__)

MAX_PER_CALL = 5
MAX_URL = 400  # a symbol set's ref


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
        wanted = [u for u in dict.fromkeys(urls)
                  if len(u) <= MAX_URL and urlsplit(u).scheme in ("http", "https")
                  and policy.allows_host(urlsplit(u).hostname)][: self.max_per_call]
        done = []
        for url in wanted:
            if await self._flights.run(f"{project_id} {url}", lambda url=url: self._one(project_id, url, policy)):
                done.append(url)
        return done

    async def _one(self, project_id: int, url: str, policy: FetchPolicy) -> bool:
        try:
            fetched = await fetch_script_and_map(url, policy)
        except FetchFailed as exc:
            log.info("fetching %s failed: %s", url, exc)
            return await record_fetched(self.db, self.store, project_id, url, failure=str(exc)) is not None
        return await record_fetched(self.db, self.store, project_id, url, script=fetched.script,
                                    source_map=fetched.source_map) is not None


__all__ = ["ScriptFetcher"]
