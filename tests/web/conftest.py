"""The service with its pages on a free loopback port, a real database and blob store and
the embedded worker (so uploads get processed), plus a cookie-keeping page visitor.

The session cookie is ``Secure``: aiohttp's client never sends those over plain HTTP,
so ``Visitor`` carries it by hand, as a browser does for 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from symbols.app import create_app
from symbols.config import Settings
from symbols.db import Database
from symbols.db.access import KNOWN_SCOPES, SCOPE_READ, create_api_key, create_project
from symbols.storage import BlobStore, LocalBlobStore
from tests.databases import open_test_database

COOKIE = "symbols_session"


@dataclass
class Site:
    client: TestClient
    db: Database
    store: BlobStore
    project_id: int
    other_project_id: int
    key: str  # read and write, project 1
    read_key: str  # read only, project 1
    other_key: str  # read and write, project 2 only

    @property
    def base_url(self) -> str:
        return str(self.client.make_url("")).rstrip("/")

    def visitor(self) -> Visitor:
        return Visitor(self.client)

    async def api(self, method: str, tail: str, **kwargs):
        headers = {"Authorization": f"Bearer {self.key}"}
        path = f"/api/projects/{self.project_id}/error_tracking/{tail}"
        async with self.client.request(method, path, headers=headers, **kwargs) as resp:
            return resp.status, await resp.json() if resp.content_type == "application/json" else None


@dataclass
class Visitor:
    """A person with a browser: keeps the session cookie, reads CSRF tokens off pages."""

    client: TestClient
    cookie: str | None = None
    csrf: str | None = None
    last: str = field(default="", repr=False)

    async def request(self, method: str, path: str, **kwargs):
        headers = kwargs.pop("headers", {})
        if self.cookie:
            headers["Cookie"] = f"{COOKIE}={self.cookie}"
        async with self.client.request(method, path, headers=headers, allow_redirects=False,
                                       **kwargs) as resp:
            if COOKIE in resp.cookies:
                self.cookie = resp.cookies[COOKIE].value or None
            body = await resp.text()
            if match := re.search(r'name="csrf-token" content="([^"]+)"', body):
                self.csrf = match.group(1)
            self.last = body
            return resp.status, resp.headers, body

    async def get(self, path: str, **kwargs):
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, data: dict | None = None, *, csrf: bool = True, **kwargs):
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.csrf
        return await self.request("POST", path, data=form, **kwargs)

    async def until(self, path: str, text: str) -> str:
        """The page once it shows ``text`` (the embedded worker works in the background)."""
        for _ in range(400):
            _, _, body = await self.get(path)
            if text in body:
                return body
            await asyncio.sleep(0.05)
        raise AssertionError(f"{text!r} never appeared on {path}:\n{body}")

    async def sign_in(self, key: str) -> None:
        await self.get("/sign-in")
        status, headers, _ = await self.post("/sign-in", {"key": key})
        assert status == 303, self.last
        while status == 303:  # on to the first project's page
            status, headers, _ = await self.get(headers["Location"])


@pytest.fixture(params=["sqlite", "postgresql"])
async def site(request, tmp_path: Path) -> Site:
    db = await open_test_database(request.param, request, tmp_path)
    store = LocalBlobStore(tmp_path / "blobs")
    settings = Settings(data_dir=tmp_path / "data", secret_key="web-test-secret", index_processes=0,
                        job_poll_seconds=0.05)
    async with db.begin() as conn:
        one = await create_project(conn, "Shop")
        two = await create_project(conn, "Blog")
        _, key = await create_api_key(conn, label="ci", scopes=list(KNOWN_SCOPES), project_ids=[one.id])
        _, read_key = await create_api_key(conn, label="viewer", scopes=[SCOPE_READ], project_ids=[one.id])
        _, other = await create_api_key(conn, label="blog", scopes=list(KNOWN_SCOPES), project_ids=[two.id])
    app = create_app(settings, db=db, blob_store=store, embedded_worker=True)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    yield Site(client, db, store, one.id, two.id, key, read_key, other)
    await client.close()
    await store.close()
    await db.close()
