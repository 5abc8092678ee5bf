from __future__ import annotations

import shutil
from pathlib import Path

import pytest

# The root conftest is expected to register these with pytest_plugins =
# ["tests.fixtures.s3"]; importing them keeps this directory runnable on its own.
from tests.fixtures.s3 import s3_bucket, s3_endpoint  # noqa: F401

FIXTURE_DIST = Path(__file__).resolve().parents[1] / "fixtures" / "build" / "dist"


@pytest.fixture
def build_dir(tmp_path: Path) -> Path:
    """A fresh copy of the real bundler output in tests/fixtures/build/dist."""
    target = tmp_path / "dist"
    shutil.copytree(FIXTURE_DIST, target)
    return target


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` with its bytes."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }
