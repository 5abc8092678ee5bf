"""An upload planned before the pipeline recorded a placeholder for its chunk id fills
that placeholder (the same set), instead of failing on the (project, ref) key."""

from __future__ import annotations

import hashlib

from symbols.db.symbol_sets import get_symbol_set_by_ref, record_placeholders
from symbols.symbol_sets.upload import Upload, apply_start, finish, plan_start
from tests.support.api import BLOBS


async def test_a_placeholder_recorded_after_the_plan_is_filled(env):
    data = BLOBS["raw_json"]
    plan = await plan_start(env.db, env.project_id, [Upload("chunk-raced", None, None, "~/assets/app.js")])
    assert [u.chunk_id for u in plan.new] == ["chunk-raced"]
    async with env.db.begin() as conn:  # an event naming the chunk id is stored meanwhile
        assert await record_placeholders(conn, env.project_id, ["chunk-raced"]) == 1
        placeholder = await get_symbol_set_by_ref(conn, env.project_id, "chunk-raced")

    ids = await apply_start(env.db, env.store, plan)
    assert ids == {"chunk-raced": placeholder.id}
    await env.store.put_bytes(plan.keys["chunk-raced"], data)
    await finish(env.db, env.store, env.project_id, {placeholder.id: hashlib.sha512(data).hexdigest()},
                 max_bytes=1 << 20)
    async with env.db.connect() as conn:
        filled = await get_symbol_set_by_ref(conn, env.project_id, "chunk-raced")
    assert (filled.id, filled.storage_ptr, filled.url, filled.placeholder) == (
        placeholder.id, plan.keys["chunk-raced"], "~/assets/app.js", False)
    assert filled.uploaded_at is not None and filled.content_hash == hashlib.sha512(data).hexdigest()
