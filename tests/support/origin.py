"""A web origin on 127.0.0.1 serving the fixture bundle, for the tests of fetching."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.support.bundles import APP_JS, APP_MAP


@contextlib.asynccontextmanager
async def script_origin(name: str, gate: asyncio.Event | None = None) -> AsyncIterator[TestServer]:
    """Serves the bundle as ``/assets/<name>.js`` (naming its map in a ``SourceMap`` header)
    and the map; ``server.hits`` and ``server.tokens`` record each request's path and
    ``X-Token`` header. With ``gate``, the script is answered only once it is set."""
    hits: list[str] = []
    tokens: set[str | None] = set()

    async def serve(request: web.Request) -> web.Response:
        hits.append(request.path)
        tokens.add(request.headers.get("X-Token"))
        if request.path == f"/assets/{name}.js":
            if gate is not None:
                await gate.wait()
            return web.Response(body=APP_JS, headers={"SourceMap": f"{name}.js.map"})
        if request.path == f"/assets/{name}.js.map":
            return web.Response(body=APP_MAP)
        raise web.HTTPNotFound()

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    server.hits, server.tokens = hits, tokens
    try:
        yield server
    finally:
        if gate is not None:
            gate.set()
        await server.close()
