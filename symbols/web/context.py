"""What the pages need, handed over by ``symbols.app`` in ``setup_web`` (the pages never
reach into the API's objects)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ..config import Settings
from ..db import Database
from ..resolve import Resolver
from ..storage import BlobStore
from ..symbol_sets.links import Links


@dataclass(frozen=True)
class WebContext:
    settings: Settings
    db: Database
    store: BlobStore
    resolver: Resolver
    links: Links

    def base_url(self, request: web.Request) -> str:
        """The absolute base URL people and their tools reach this service at."""
        base = self.settings.base_url(request.url.host, str(request.url.origin()))
        if base is None:
            raise web.HTTPBadRequest(text=f"Host {request.host!r} is not one this service answers for.")
        return base


WEB = web.AppKey("symbols_web", WebContext)


def web_context(request: web.Request) -> WebContext:
    return request.app[WEB]
