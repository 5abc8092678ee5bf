"""A real service on a free loopback port, over a real database and blob store.

``api`` is SQLite + local directory (the full suite); ``matrix_api`` runs a test over
every combination of SQLite/PostgreSQL and local/S3 (moto over HTTP), for the core
flows; ``api_factory`` builds one with other settings. ``capture``/``matrix_capture``
are services to capture into (SQLite/PostgreSQL, database/Redis stream).
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from symbols.api import CONTEXT
from symbols.api.guard import GuardedRunner
from symbols.app import create_app
from symbols.config import Settings
from symbols.db import Database
from symbols.db.access import KNOWN_SCOPES, create_api_key, create_project
from symbols.db.tables import jobs
from symbols.errortracking.redis_stream import RedisStream
from symbols.storage import BlobStore, LocalBlobStore, open_blob_store
from tests.databases import open_test_database
from tests.support.capture import REDIS_URL, drop_redis_keys, project_tokens, queued

MIB = 1024 * 1024


@dataclass
class Api:
    client: TestClient
    secret: str
    project_id: int
    db: Database
    store: BlobStore
    settings: Settings

    @property
    def base_url(self) -> str:
        return str(self.client.make_url("")).rstrip("/")

    def path(self, tail: str, project: int | str | None = None, base: str = "projects") -> str:
        project = self.project_id if project is None else project
        return f"/api/{base}/{project}/error_tracking/{tail}"

    async def call(self, method: str, tail: str, *, key: str | None = "default", project=None, **kwargs):
        """(status, parsed JSON or None) of an API request, authenticated by default."""
        headers = kwargs.pop("headers", {})
        if key is not None:
            headers["Authorization"] = f"Bearer {self.secret if key == 'default' else key}"
        async with self.client.request(method, self.path(tail, project), headers=headers, **kwargs) as resp:
            body = await resp.read()
            return resp.status, (await resp.json() if body and resp.content_type == "application/json" else None)

    async def upload(self, chunk_id: str, data: bytes, release_id: str | None = None, **kwargs):
        form = aiohttp.FormData()
        form.add_field("file", io.BytesIO(data), filename="map.js.map", content_type="application/octet-stream")
        params = {"chunk_id": chunk_id} | ({"release_id": release_id} if release_id else {})
        return await self.call("POST", "symbol_sets/", params=params, data=form, **kwargs)

    async def new_key(self, scopes=KNOWN_SCOPES, projects=None) -> str:
        async with self.db.begin() as conn:
            _, secret = await create_api_key(
                conn, label="t", scopes=list(scopes), project_ids=list(projects or [self.project_id])
            )
        return secret

    async def new_project(self, name: str = "other") -> int:
        async with self.db.begin() as conn:
            return (await create_project(conn, name)).id

    async def jobs(self) -> list:
        async with self.db.connect() as conn:
            return (await conn.execute(select(jobs).order_by(jobs.c.id))).all()

    async def fetch(self, url: str) -> tuple[int, bytes]:
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            return resp.status, await resp.read()


class GuardedTestServer(TestServer):
    """aiohttp's test server with the service's connection guard (as ``symbols serve``)."""

    async def _make_runner(self, **kwargs):
        settings = self.app[CONTEXT].settings
        return GuardedRunner(self.app, read_timeout=settings.read_timeout_seconds,
                             max_connections=settings.max_connections, **kwargs)


@pytest.fixture
async def api_factory(request, tmp_path: Path):
    created = []

    async def make(
        db_kind: str = "sqlite", store_kind: str = "local", stream=None, worker: bool = False, **overrides
    ) -> Api:
        """A service; with ``worker``, its embedded worker runs jobs and the pipeline."""
        n = len(created)
        work = tmp_path / f"svc{n}"
        work.mkdir()
        db = await open_test_database(db_kind, request, work)
        settings = Settings(data_dir=work / "data", secret_key="test-secret", **overrides)
        if store_kind == "s3":
            bucket = request.getfixturevalue("s3_bucket")
            settings = settings.with_overrides(**bucket.settings_overrides("symbols"))
            store = open_blob_store(settings)
        else:
            store = LocalBlobStore(work / "blobs")
        async with db.begin() as conn:
            project = await create_project(conn, "web")
            _, secret = await create_api_key(conn, label="t", scopes=list(KNOWN_SCOPES), project_ids=[project.id])
        app = create_app(settings, db=db, blob_store=store, stream=stream, embedded_worker=worker)
        client = TestClient(GuardedTestServer(app, host="127.0.0.1"))
        await client.start_server()
        api = Api(client, secret, project.id, db, store, settings)
        created.append(api)
        return api

    yield make
    for api in created:
        await api.client.close()
        await api.store.close()
        await api.db.close()


@pytest.fixture
async def api(api_factory) -> Api:
    return await api_factory()


@pytest.fixture(params=["sqlite-local", "postgresql-local", "sqlite-s3", "postgresql-s3"])
async def matrix_api(request, api_factory) -> Api:
    db_kind, store_kind = request.param.split("-")
    return await api_factory(db_kind, store_kind)


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_api(request, api_factory) -> Api:
    """The service over each database (local blob store)."""
    return await api_factory(request.param)


@dataclass
class CaptureApi:
    """A service to capture into, with its first project's token and its stream."""

    api: Api
    token: str
    redis: RedisStream | None  # None: the database stream

    async def send(self, path: str, body=None, *, method: str = "POST", **kwargs):
        """(status, parsed JSON or None, headers); ``body`` bytes/str as is, else JSON."""
        if body is not None:
            data = body if isinstance(body, bytes | str) else orjson.dumps(body)
            data = data.encode() if isinstance(data, str) else data
            kwargs["data"] = io.BytesIO(data) if len(data) > MIB else data
        async with self.api.client.request(method, path, **kwargs) as resp:
            raw = await resp.read()
            parsed = orjson.loads(raw) if raw and resp.content_type == "application/json" else None
            return resp.status, parsed, resp.headers

    async def queued(self) -> list[tuple[int, str, dict]]:
        return await queued(self.api.db, self.redis)


@pytest.fixture
async def capture_factory(api_factory):
    prefixes, given = [], []

    async def make(
        db_kind: str = "sqlite", stream_kind: str = "database", redis: RedisStream | None = None,
        **overrides,
    ) -> CaptureApi:
        """A service over ``db_kind`` with the database stream, a Redis stream under a
        fresh prefix (``stream_kind="redis"``), or the given ``redis`` stream."""
        if redis is not None:
            given.append(redis)
        elif stream_kind == "redis":
            prefix = f"symbols-test-{uuid.uuid4().hex[:12]}"
            redis = RedisStream(REDIS_URL, prefix=prefix)
            prefixes.append((redis, prefix))
        api = await api_factory(db_kind, stream=redis, **overrides)
        return CaptureApi(api, (await project_tokens(api.db))[api.project_id], redis)

    yield make
    for redis, prefix in prefixes:
        await drop_redis_keys(redis, prefix)
        await redis.close()
    for redis in given:
        await redis.close()


@pytest.fixture
async def capture(capture_factory) -> CaptureApi:
    return await capture_factory()


@pytest.fixture(params=["sqlite-database", "postgresql-database", "sqlite-redis", "postgresql-redis"])
async def matrix_capture(request, capture_factory) -> CaptureApi:
    return await capture_factory(*request.param.split("-"))
