"""Root fixtures shared by the whole suite."""

from __future__ import annotations

import pytest

from tests.databases import open_test_database, pg_url, sqlite_template  # noqa: F401 (fixtures)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request, tmp_path):
    """A migrated, empty metadata database, on each backend."""
    db = await open_test_database(request.param, request, tmp_path)
    yield db
    await db.close()
