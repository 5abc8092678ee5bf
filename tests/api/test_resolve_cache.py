"""The process's cache of usable symbol sets (resolve/finding.py): per project, never
across projects, forgotten at once on this process's writes, and trusted for at most its
ttl after a change made elsewhere."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from sqlalchemy import update

from symbols.api import CONTEXT
from symbols.db.tables import symbol_sets
from symbols.resolve import Frame
from symbols.symbol_sets.container import pack
from tests.support.api import process_jobs, resolve
from tests.support.bundles import APP_JS, APP_MAP

FRAME = {"platform": "web:javascript", "filename": "https://cdn.example.com/app.js", "function": "i",
         "lineno": 1, "colno": 77, "chunk_id": "app"}
OTHER_MAP = orjson.dumps({"version": 3, "sources": ["other.js"], "sourcesContent": ["let other = 1;\n"],
                          "names": [], "mappings": "AAAA"})


async def _one(api, frame: dict = FRAME, **kw) -> dict:
    status, body = await resolve(api, {"frames": [frame]}, **kw)
    assert status == 200, body
    return body["frames"][0]


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"])
async def test_a_projects_cached_sets_are_never_seen_by_another(api_factory, db_kind):
    api = await api_factory(db_kind)
    other = await api.new_project()
    both = await api.new_key(projects=[api.project_id, other])
    only_other = await api.new_key(projects=[other])
    await api.upload("app", pack(APP_MAP, APP_JS))
    await process_jobs(api)
    mine = await _one(api)
    assert mine["resolved"] and mine["source"] != "other.js"
    assert (await _one(api))["source"] == mine["source"]  # now from the cache
    for key in (both, only_other):
        theirs = await _one(api, key=key, project=other)
        assert (theirs["resolved"], theirs["resolve_failure"]) == (False, "NoSourcemapUploaded")
    # The other project's own set of the same chunk id: each project sees its own.
    assert (await api.upload("app", OTHER_MAP, key=only_other, project=other))[0] == 201
    await process_jobs(api)
    for _ in range(2):
        assert (await _one(api, key=only_other, project=other))["source"] == "other.js"
        assert (await _one(api, key=both, project=other))["source"] == "other.js"
        assert (await _one(api))["source"] == mine["source"]
        assert (await _one(api, key=both))["source"] == mine["source"]


async def test_sets_are_forgotten_at_once_on_delete_and_patch(api):
    _, body = await api.upload("app", pack(APP_MAP, APP_JS))
    set_id = body["symbol_set_id"]
    await process_jobs(api)
    assert (await _one(api))["resolved"]
    assert (await api.call("PATCH", f"symbol_sets/{set_id}/", json={"ref": "app-2"}))[0] == 200
    assert (await _one(api))["resolve_failure"] == "NoSourcemapUploaded"
    assert (await _one(api, dict(FRAME, chunk_id="app-2")))["resolved"]
    assert (await api.call("DELETE", f"symbol_sets/{set_id}/"))[0] == 204
    assert (await _one(api, dict(FRAME, chunk_id="app-2")))["resolve_failure"] == "NoSourcemapUploaded"


async def test_a_change_made_elsewhere_is_seen_within_the_ttl(api):
    _, body = await api.upload("app", pack(APP_MAP, APP_JS))
    await process_jobs(api)
    api.client.app[CONTEXT].resolver.sets.ttl = 1.0  # long enough for two requests on a loaded machine
    assert (await _one(api))["resolved"]
    async with api.db.begin() as conn:  # another process marks the set failed
        await conn.execute(update(symbol_sets).where(symbol_sets.c.id == body["symbol_set_id"])
                           .values(failure_reason="InvalidSourceMap: replaced"))
    assert (await _one(api))["resolved"]  # trusted from the cache for a while
    await asyncio.sleep(1.05)
    out = await _one(api)
    assert (out["resolved"], out["resolve_failure"]) == (False, "SymbolSetFailed")
    assert (await _one(api))["resolve_failure"] == "SymbolSetFailed"  # a failed set is not kept


async def test_large_batches_resolve_as_small_ones(api):
    await api.upload("app", pack(APP_MAP, APP_JS))
    await process_jobs(api)
    frames = [dict(FRAME, colno=c) for c in range(1, 451)] + [dict(FRAME, lineno=2), dict(FRAME, chunk_id="x")]
    _, whole = await resolve(api, {"frames": frames})  # one vectorized lookup
    parts = []
    for start in range(0, len(frames), 50):  # single lookups
        _, part = await resolve(api, {"frames": frames[start:start + 50]})
        parts += part["frames"]
    assert whole["frames"] == parts
    assert sum(f["resolved"] for f in parts) >= 400 and parts[-2]["resolve_failure"] == "TokenNotFound"


async def test_kept_answers_are_the_callers_own(api):
    """Answers are kept per index for the next requests; a caller that changes its answer
    (the pipeline takes the context out) changes nothing for the next one."""
    await api.upload("app", pack(APP_MAP, APP_JS))
    await process_jobs(api)
    resolver = api.client.app[CONTEXT].resolver
    frame = Frame(FRAME["filename"], "i", 1, 77, None, "app", "web:javascript")
    [first] = await resolver.resolve(api.project_id, [frame])
    assert first["resolved"] and first["context"] is not None
    context = first.pop("context")
    first["resolved_name"] = "changed"
    [second] = await resolver.resolve(api.project_id, [frame])
    assert second["context"] == context and second["resolved_name"] != "changed"
    [shorter] = await resolver.resolve(api.project_id, [frame], context_lines=0)
    assert shorter["context"]["before"] == [] and context["before"] != []
    [explained] = await resolver.resolve(api.project_id, [frame], explain=True)
    assert [s["step"] for s in explained["explain"]][:2] == ["chunk_id_lookup", "symbol_set"]
    assert "explain" not in (await resolver.resolve(api.project_id, [frame]))[0]
