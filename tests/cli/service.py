"""A real symbols service for the upload tests, in a thread with its own event loop.

The commands under test are synchronous (they call ``asyncio.run``), so the service
cannot share their loop: it runs on a background thread, on a free loopback port, with
a SQLite database and a local blob directory (or an S3 bucket) under a temp folder.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from symbols.app import create_app
from symbols.config import Settings
from symbols.db import migrate, open_database
from symbols.db.access import create_api_key, create_project

SCOPES = ["error_tracking:read", "error_tracking:write"]


@dataclass
class Running:
    host: str
    project: str
    token: str
    other_project: str  # exists, but the key is not bound to it
    read_only_token: str


class ServiceThread:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def call(self, coro, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self, port: int = 0) -> str:
        self._thread.start()
        self.call(self._start(port))
        return f"http://127.0.0.1:{self.port}"

    async def _start(self, port: int) -> None:
        app = create_app(self.settings)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        if self._runner is not None:
            self.call(self._runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


async def seed(settings: Settings) -> tuple[str, str, str, str]:
    """Two projects and two keys bound to the first: (project, other, rw key, read-only key)."""
    db = open_database(settings.database_url)
    try:
        await migrate(db)
        async with db.begin() as conn:
            project = await create_project(conn, "shop")
            other = await create_project(conn, "other")
            _, token = await create_api_key(conn, label="ci", scopes=SCOPES, project_ids=[project.id])
            _, read_only = await create_api_key(
                conn, label="ro", scopes=["error_tracking:read"], project_ids=[project.id]
            )
    finally:
        await db.close()
    return str(project.id), str(other.id), token, read_only


def settings_for(data_dir: Path, **overrides: object) -> Settings:
    return Settings(
        data_dir=data_dir, embedded_worker=False, bootstrap=False, secret_key="test-secret", **overrides
    )
