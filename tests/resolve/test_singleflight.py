"""The loader's single-flight: concurrent requests for one cold set build its index once."""

import asyncio

from symbols.db.access import create_project
from symbols.db.symbol_sets import get_symbol_set, insert_symbol_set
from symbols.resolve import IndexCache, IndexLoader
from symbols.resolve.singleflight import SingleFlight
from symbols.storage import LocalBlobStore
from symbols.symbol_sets.blobs import blob_key, index_key
from symbols.symbol_sets.container import pack
from symbols.symbol_sets.pool import IndexBuilder

MAP = b'{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA;AACA"}'


class CountingBuilder(IndexBuilder):
    """A real builder (in a thread) that counts the builds it runs."""

    def __init__(self) -> None:
        super().__init__(0)
        self.builds = 0

    async def build(self, blob: bytes):
        self.builds += 1
        await asyncio.sleep(0.05)  # keep the build in flight while the others arrive
        return await super().build(blob)


async def test_many_concurrent_requests_for_one_cold_set_build_it_once(database, tmp_path):
    store = LocalBlobStore(tmp_path / "blobs")
    async with database.begin() as conn:
        project = await create_project(conn, "web")
        ptr = blob_key(project.id)
        set_id = await insert_symbol_set(
            conn, project_id=project.id, ref="app.js", storage_ptr=ptr, content_hash="h", size_bytes=1
        )
    await store.put_bytes(ptr, pack(MAP, b"a;\nb;\n"))
    async with database.connect() as conn:
        symbol_set = await get_symbol_set(conn, set_id)
    builder = CountingBuilder()
    loader = IndexLoader(database, store, builder, IndexCache(1 << 20))
    try:
        steps = [[] for _ in range(25)]
        loaded = await asyncio.gather(*(loader.get(symbol_set, s) for s in steps))
        assert await store.head(index_key(ptr)) is not None  # built once, and stored
    finally:
        builder.close()
        await store.close()
    assert builder.builds == 1
    assert len({id(x) for x in loaded}) == 1  # every caller got the one load
    assert loaded[0].source_map.lookup(1, 0).line == 1
    assert all(s[-1]["step"] == "index_load" and s[-1]["found"] for s in steps)


async def test_single_flight_shares_one_call_and_forgets_it_when_done():
    flight: SingleFlight[int] = SingleFlight()
    calls = 0

    async def work() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return calls

    assert await asyncio.gather(*(flight.run("k", work) for _ in range(10))) == [1] * 10
    assert len(flight) == 0
    assert await flight.run("k", work) == 2  # a later call runs the work again
