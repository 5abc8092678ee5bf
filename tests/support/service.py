"""A real symbols service for the upload tests, in a thread with its own event loop.

The commands under test are synchronous (they call ``asyncio.run``), so the service
cannot share their loop: it runs on a background thread, on a free loopback port, with
a SQLite database and a local blob directory (or an S3 bucket) under a temp folder.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from aiohttp import web

from symbols.app import create_app
from symbols.buildtools import inject as inj
from symbols.buildtools.client import SymbolsClient
from symbols.config import Settings
from symbols.db import migrate, open_database
from symbols.db.access import create_api_key, create_project
from tests.support.cli import run_cli

SCOPES = ["error_tracking:read", "error_tracking:write", "query:read"]


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


async def seed(settings: Settings) -> tuple[str, str, str, str, str]:
    """Two projects and three keys bound to the first:
    (project, other, read-write key, read-only key, write-only key)."""
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
            _, write_only = await create_api_key(
                conn, label="wo", scopes=["error_tracking:write"], project_ids=[project.id]
            )
    finally:
        await db.close()
    return str(project.id), str(other.id), token, read_only, write_only


def settings_for(data_dir: Path, **overrides: object) -> Settings:
    return Settings(
        data_dir=data_dir, embedded_worker=False, bootstrap=False, secret_key="test-secret", **overrides
    )


class Service:
    """Starts (and restarts, with other settings) the service on one data folder."""

    def __init__(self, data_dir: Path, overrides: dict) -> None:
        self.data_dir = data_dir
        self.overrides = overrides
        self.thread: ServiceThread | None = None
        settings = settings_for(data_dir, **overrides)
        (self.project, self.other_project, self.token, self.read_only_token,
         self.write_only_token) = asyncio.run(seed(settings))
        self.host = ""

    def start(self, **changes: object) -> Service:
        self.stop()
        self.thread = ServiceThread(settings_for(self.data_dir, **{**self.overrides, **changes}))
        self.host = self.thread.start()
        return self

    def stop(self) -> None:
        if self.thread is not None:
            self.thread.stop()
            self.thread = None

    def env(self, **changes: str) -> dict[str, str]:
        return {"SYMBOLS_HOST": self.host, "SYMBOLS_PROJECT": self.project, "SYMBOLS_TOKEN": self.token, **changes}

    def api(self, coro_fn):
        async def run():
            async with SymbolsClient(self.host, self.project, self.token) as client:
                return await coro_fn(client)

        return asyncio.run(run())


def injected(build_dir: Path) -> dict[str, inj.Pair]:
    """Inject ``build_dir`` with the command; its pairs by script path."""
    assert run_cli("sourcemap", "inject", "-d", str(build_dir)).exit_code == 0
    return {p.script.relative_to(build_dir).as_posix(): p for p in inj.scan(build_dir).pairs}
