"""The application factory: settings, database, blob store, routes and middlewares.

``create_app(settings)`` opens (and on shutdown closes) what it is not given; tests
inject a migrated ``db`` and a ``blob_store``. ``background`` takes aiohttp cleanup
contexts started with the server: the hook for an embedded job worker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from functools import partial
from pathlib import Path

from aiohttp import web

from workers.queue import queue_stats

from .api import CONTEXT, AppContext, setup_routes
from .api.metrics import Metrics
from .api.middleware import errors, observe
from .api.signing import Signer, load_signing_key
from .config import Settings
from .db import Database, migrate, open_database
from .storage import BlobStore, open_blob_store
from .web import setup_web

# JSON bodies (bulk requests) are capped here; file uploads are streamed and capped by
# settings.max_upload_bytes instead.
MAX_JSON_BODY = 4 * 1024 * 1024

BackgroundService = Callable[[web.Application], AsyncIterator[None]]


def create_app(
    settings: Settings,
    *,
    blob_store: BlobStore | None = None,
    db: Database | None = None,
    background: Sequence[BackgroundService] = (),
) -> web.Application:
    owns_db, owns_store = db is None, blob_store is None
    data_dir = Path(settings.data_dir)
    tmp_dir = data_dir / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    ctx = AppContext(
        settings=settings,
        db=db if db is not None else open_database(settings.database_url),
        store=blob_store if blob_store is not None else open_blob_store(settings),
        signer=Signer(load_signing_key(settings)),
        metrics=Metrics(),
        tmp_dir=tmp_dir,
    )
    # /metrics reads job counts from the database at scrape time.
    ctx.metrics.queue_source = partial(queue_stats, ctx.db)
    app = web.Application(middlewares=[observe, errors], client_max_size=MAX_JSON_BODY)
    app[CONTEXT] = ctx
    setup_routes(app)
    setup_web(app, load_signing_key(settings))

    async def resources(app: web.Application) -> AsyncIterator[None]:
        if owns_db:
            await migrate(ctx.db)
        yield
        if owns_store:
            await ctx.store.close()
        if owns_db:
            await ctx.db.close()

    app.cleanup_ctx.append(resources)
    # Started after the database is migrated, stopped before it is closed.
    app.cleanup_ctx.extend(background)
    return app
