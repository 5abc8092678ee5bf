"""Revision 0008 seals the fetch auth headers 0006 stored in plain text, with the
service's secret key (and refuses to run without it while such rows exist), on SQLite
and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import select, text

from symbols.db import DatabaseUnavailable, migrate, open_database
from symbols.db.access import create_project
from symbols.db.migrate import _config
from symbols.db.tables import project_fetch_settings
from symbols.db.types import utcnow
from symbols.resolve.fetch_settings import FetchSetting, FetchSettings
from symbols.sealing import FETCH_HEADERS, SecretBox
from tests.databases import create_pg_database, drop_pg_database

KEY = b"the-service-secret"
HEADER = "Bearer plain-text-token"


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_db(request, tmp_path):
    """A database with no schema at all."""
    if request.param == "sqlite":
        db = open_database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
        yield db
        await db.close()
        return
    try:
        url = create_pg_database()
    except (TimeoutError, OSError, ImportError) as exc:
        pytest.skip(f"PostgreSQL not reachable ({exc})")
    db = open_database(url)
    yield db
    await db.close()
    drop_pg_database(url)


async def test_0008_seals_plain_headers_with_the_service_key(empty_db):
    db = empty_db
    async with db.begin() as conn:
        await conn.run_sync(lambda sync: command.upgrade(_config(sync), "0006_project_fetch_settings"))
        project = await create_project(conn, "web")
        # 0006's columns (the table object describes the newest revision).
        await conn.execute(text(
            "INSERT INTO project_fetch_settings (team_id, allowed_domains, auth_header_name, auth_header_value, "
            "updated_at) VALUES (:team_id, 'cdn.example.com', 'Authorization', :value, :now)"),
            {"team_id": project.id, "value": HEADER, "now": utcnow()})

    with pytest.raises(DatabaseUnavailable, match="secret key"):
        await migrate(db)
    async with db.connect() as conn:  # nothing half done
        assert (await conn.execute(text("SELECT auth_header_value FROM project_fetch_settings"))).scalar() == HEADER

    await migrate(db, KEY)
    async with db.connect() as conn:
        row = (await conn.execute(select(project_fetch_settings))).one()
    assert "auth_header_value" not in row._mapping
    assert row.enabled is True and row.auth_header_name == "Authorization"
    assert HEADER not in row.auth_header_sealed and "plain-text-token" not in row.auth_header_sealed
    box = SecretBox(KEY, FETCH_HEADERS)
    assert box.open(row.auth_header_sealed) == HEADER
    assert await FetchSettings(db, KEY).for_fetch(project.id) == FetchSetting(("cdn.example.com",),
                                                                              ("Authorization", HEADER))
    # Another key cannot open it: fetching stops instead of going without the header.
    assert await FetchSettings(db, b"another key").for_fetch(project.id) is None
