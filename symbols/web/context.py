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
        if self.settings.public_url:
            return self.settings.public_url
        # Never a link to whatever host a client names (SYMBOLS_ALLOWED_HOSTS).
        if not self.settings.host_allowed(request.url.host):
            raise web.HTTPBadRequest(text=f"Host {request.host!r} is not one this service answers for.")
        return str(request.url.origin())


WEB = web.AppKey("symbols_web", WebContext)


def web_context(request: web.Request) -> WebContext:
    return request.app[WEB]
