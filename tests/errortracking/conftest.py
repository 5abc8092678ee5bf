"""A pipeline harness per test (real stream, database and resolution layers)."""

from __future__ import annotations

import pytest

from tests.support.pipeline import close_harness, make_harness


@pytest.fixture
async def harness(database, tmp_path):
    h = await make_harness(database, tmp_path)
    yield h
    await close_harness(h)
