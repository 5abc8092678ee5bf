"""The vendored bundles and maps the tests read, and a per-test copy of the bundler output."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from symbols.symbol_sets.container import pack

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
# Real bundler output (tests/fixtures/build, see generate.sh there).
DIST = TESTS / "fixtures" / "build" / "dist"
APP_JS = (DIST / "assets" / "app.js").read_bytes()
APP_MAP = (DIST / "assets" / "app.js.map").read_bytes()
# Vendored from tc39/source-map-tests (BSD licence in its LICENSE.md, commit in UPSTREAM_COMMIT.txt).
TC39 = TESTS / "fixtures" / "tc39-source-map-tests"


class _Bundle:
    """A terser-minified fixture bundle: its directory, JavaScript, map and original source."""

    def __init__(self, directory: Path, stem: str) -> None:
        self.dir = directory
        self.js = directory / f"{stem}.min.js"
        self.map = directory / f"{stem}.min.js.map"
        self.original = directory / "src" / f"{stem}.js"


TERSER = _Bundle(TESTS / "sourcemaps" / "fixtures" / "terser", "shop")


@pytest.fixture
def build_dir(tmp_path: Path) -> Path:
    """A fresh copy of the real bundler output in tests/fixtures/build/dist."""
    target = tmp_path / "dist"
    shutil.copytree(DIST, target)
    return target


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` with its bytes."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def slow_container() -> bytes:
    """A valid container whose function scopes take seconds to build (under every cap)."""
    return pack(b'{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA"}',
                (b"function a(){" * 4_000 + b"}" * 4_000) * 12, zstd_level=None)
