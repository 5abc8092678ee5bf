import re
import warnings

import orjson
import pytest
from sqlalchemy import select

from symbols.db import (
    WriteConflict,
    access,
    enqueue_symbol_set_processing,
    is_current,
    migrate,
    releases,
    symbol_sets,
)
from symbols.db.tables import jobs
from symbols.symbol_sets.blobs import index_key


async def test_migrations_are_idempotent_and_current(database):
    await migrate(database)
    assert await is_current(database)


async def test_job_enqueued_with_row_in_one_transaction(database):
    async with database.begin() as conn:
        project = await access.create_project(conn, "web")
        set_id = await symbol_sets.insert_symbol_set(
            conn, project_id=project.id, ref="chunk-1", storage_ptr="symbolsets/1/a", content_hash="ab", size_bytes=2
        )
        job_id = await enqueue_symbol_set_processing(conn, set_id, project.id)
    async with database.connect() as conn:
        row = (await conn.execute(select(jobs).where(jobs.c.id == job_id))).one()
        stored = await symbol_sets.get_symbol_set(conn, set_id, project_id=project.id)
    assert row.kind == "process_symbol_set"
    assert orjson.loads(row.payload) == {"symbol_set_id": set_id}
    assert (row.state, row.attempts, row.max_attempts, row.project_id) == ("queued", 0, 5, project.id)
    assert row.run_after.tzinfo is not None and row.run_after.utcoffset().total_seconds() == 0
    assert stored.content_hash == "ab" and stored.uploaded_at is not None
    assert index_key(stored.storage_ptr) == "symbolsets/1/a.index"


async def test_failed_transaction_leaves_neither_row_nor_job(database):
    async with database.begin() as conn:
        project = await access.create_project(conn, "web")
    with pytest.raises(RuntimeError):
        async with database.begin() as conn:
            set_id = await symbol_sets.insert_symbol_set(conn, project_id=project.id, ref="r", storage_ptr="k")
            await enqueue_symbol_set_processing(conn, set_id, project.id)
            raise RuntimeError("boom")
    async with database.connect() as conn:
        assert (await conn.execute(select(jobs))).first() is None
        assert await symbol_sets.get_symbol_set(conn, set_id) is None


async def test_ref_unique_per_project_only(database):
    async with database.begin() as conn:
        a = await access.create_project(conn, "a")
        b = await access.create_project(conn, "b")
        await symbol_sets.insert_symbol_set(conn, project_id=a.id, ref="same", storage_ptr=None)
        await symbol_sets.insert_symbol_set(conn, project_id=b.id, ref="same", storage_ptr=None)
    with pytest.raises(WriteConflict):
        async with database.begin() as conn:
            await symbol_sets.insert_symbol_set(conn, project_id=a.id, ref="same", storage_ptr=None)


async def test_keys_store_only_a_hash_and_revoke(database):
    async with database.begin() as conn:
        project = await access.create_project(conn, "web")
        key, secret = await access.create_api_key(
            conn, label="ci", scopes=[access.SCOPE_READ], project_ids=[project.id]
        )
    assert secret.startswith("phx_") and len(secret) > 40
    async with database.connect() as conn:
        keys = await access.list_api_keys(conn)
        found = await access.find_api_key(conn, secret)
    assert [k.id for k in keys] == [key.id]
    assert found.scopes == {access.SCOPE_READ} and found.project_ids == {project.id}
    async with database.begin() as conn:
        assert await access.revoke_api_key(conn, key.id)
        assert not await access.revoke_api_key(conn, key.id)
    async with database.connect() as conn:
        assert await access.find_api_key(conn, secret) is None


async def test_release_hash_unique_and_failure_reason(database):
    async with database.begin() as conn:
        project = await access.create_project(conn, "web")
        rel = await releases.create_release(conn, project.id, version="1.0", project="app", metadata={"git": 1})
        set_id = await symbol_sets.insert_symbol_set(
            conn, project_id=project.id, ref="r", storage_ptr="k", release_id=rel.id
        )
        await symbol_sets.set_failure_reason(conn, set_id, '{"JavaScript":{"InvalidSourceMap":"x"}}')
    with pytest.raises(releases.ReleaseHashInUse):
        async with database.begin() as conn:
            await releases.create_release(conn, project.id, version="2", project="app", hash_id=rel.hash_id)
    async with database.connect() as conn:
        stored = await symbol_sets.get_symbol_set(conn, set_id)
        invalid, count = await symbol_sets.list_symbol_sets(conn, project.id, status="invalid")
        valid, _ = await symbol_sets.list_symbol_sets(conn, project.id, status="valid")
    assert stored.release.metadata == {"git": 1} and stored.release.version == "1.0"
    assert count == 1 and invalid[0].id == set_id and valid == []


async def test_migrations_create_exactly_the_declared_tables(database):
    """tables.py and the migrations describe the same schema (alembic's comparison)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from symbols.db.tables import metadata

    def diff(connection):
        def on_this_database(obj, name, type_, reflected, compare_to) -> bool:
            # An index declared for one database only (``ddl_if``) exists only there.
            only = getattr(obj, "_ddl_if", None)
            return only is None or only.dialect in (None, connection.dialect.name)

        opts = {"compare_type": False, "include_object": on_this_database}
        ctx = MigrationContext.configure(connection, opts=opts)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            differences = compare_metadata(ctx, metadata)
        # Alembic skips, with a warning, an expression index it cannot reflect on SQLite:
        # only those declared for PostgreSQL alone may be skipped.
        found = [re.search(r"expression-based index '([^']+)'", str(w.message)) for w in caught]
        skipped = {m[1] for m in found if m}
        others = [str(w.message) for w, m in zip(caught, found, strict=True) if not m]
        postgresql_only = {index.name for table in metadata.tables.values()
                           for index in table.indexes
                           if getattr(index, "_ddl_if", None) is not None
                           and index._ddl_if.dialect == "postgresql"}
        return differences, skipped - postgresql_only, others

    async with database.connect() as conn:
        differences, wrongly_skipped, other_warnings = await conn.run_sync(diff)
    assert differences == []
    assert wrongly_skipped == set() and other_warnings == []


async def test_project_tokens_are_unique_and_found(database):
    async with database.begin() as conn:
        web = await access.create_project(conn, "web")
        api = await access.create_project(conn, "api")
    assert web.api_token.startswith("phc_") and web.api_token != api.api_token
    async with database.connect() as conn:
        assert (await access.project_by_token(conn, api.api_token)).id == api.id
        assert await access.project_by_token(conn, "phc_unknown") is None
        assert await access.project_by_token(conn, "phx_" + api.api_token[4:]) is None
