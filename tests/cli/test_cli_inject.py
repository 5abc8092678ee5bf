"""`symbols sourcemap inject` on the real bundler fixtures."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from symbols.buildtools import inject as inj
from symbols.cli import main
from tests.support.bundles import snapshot


def run(*args: str):
    return CliRunner().invoke(main, ["sourcemap", "inject", *args], catch_exceptions=False)


def test_inject_reports_each_pair_and_a_summary(build_dir: Path) -> None:
    ids = {p.script.relative_to(build_dir).as_posix(): p.chunk_id for p in inj.scan(build_dir).pairs}
    result = run("--directory", str(build_dir))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[-1] == "6 injected, 0 already injected, 1 without a source map, 0 errors"
    assert f"injected  {ids['assets/app.js']}  assets/app.js  (map assets/app.js.map)" in lines
    assert f"injected  {ids['cli.cjs']}  cli.cjs  (map cli.cjs.map)" in lines
    assert len(lines) == 7


def test_second_run_is_a_no_op(build_dir: Path) -> None:
    assert run("--directory", str(build_dir)).exit_code == 0
    before = snapshot(build_dir)
    result = run("--directory", str(build_dir), "--verbose")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "0 injected, 6 already injected, 1 without a source map, 0 errors"
    assert "skipped  nomap.js: no source map" in result.stdout
    assert snapshot(build_dir) == before


def test_dry_run_lists_and_writes_nothing(build_dir: Path) -> None:
    before = snapshot(build_dir)
    result = run("-d", str(build_dir), "--dry-run")
    assert result.exit_code == 0
    assert result.stdout.count("would inject  ") == 6
    assert result.stdout.splitlines()[-1].startswith("6 would inject, 0 already injected")
    assert snapshot(build_dir) == before


def test_invalid_map_is_an_error_the_rest_is_injected(build_dir: Path) -> None:
    (build_dir / "strict.min.js.map").write_text('{"version": 3, "mappings": ')
    before = snapshot(build_dir)
    result = run("-d", str(build_dir))
    assert result.exit_code == 1
    assert result.stderr.startswith("error  strict.min.js: ")
    assert "strict.min.js.map is not a valid source map: invalid_json: not valid JSON" in result.stderr
    assert result.stdout.splitlines()[-1] == "5 injected, 0 already injected, 1 without a source map, 1 error"
    after = snapshot(build_dir)
    assert after["strict.min.js"] == before["strict.min.js"]
    assert after["strict.min.js.map"] == before["strict.min.js.map"]


def test_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["sourcemap", "inject", "-d", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
