"""What every handler needs, built once by ``symbols.app`` and kept on the application."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from ..config import Settings
from ..db import Database
from ..errortracking.external_references import ExternalIssues
from ..errortracking.ingest import Ingest
from ..metrics import Metrics
from ..resolve import Resolver
from ..resolve.fetch_settings import FetchSettings
from ..signing import Signer
from ..storage import BlobStore
from ..symbol_sets.links import Links
from .errors import ValidationError

if TYPE_CHECKING:
    from .auth import KeyCache


@dataclass
class AppContext:
    settings: Settings
    db: Database
    store: BlobStore
    signer: Signer
    metrics: Metrics
    resolver: Resolver
    tmp_dir: Path
    ingest: Ingest
    external_issues: ExternalIssues
    fetch_settings: FetchSettings
    keys: KeyCache

    def base_url(self, request: web.Request) -> str:
        """The absolute base URL clients reach this service at."""
        base = self.settings.base_url(request.url.host, str(request.url.origin()))
        if base is None:
            raise ValidationError("invalid_host", f"Host {request.host!r} is not one this service answers "
                                                  "for (SYMBOLS_PUBLIC_URL, SYMBOLS_ALLOWED_HOSTS).", "Host")
        return base

    @property
    def links(self) -> Links:
        return Links(self.settings, self.store, self.signer)


CONTEXT = web.AppKey("symbols_context", AppContext)


def context(request: web.Request) -> AppContext:
    return request.app[CONTEXT]
