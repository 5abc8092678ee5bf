"""The build pipeline as users run it: node_modules and --ignore, `process`, `upload
--dry-run`/`--verbose`, invalid maps, re-runs after --delete-after, the progress total,
and the release read from git. Against a real running service."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from symbols.buildtools import inject as inj
from symbols.buildtools.client import SymbolsClient, release_hash_id
from symbols.buildtools.upload import upload_directory
from symbols.cli.sourcemap_upload import size
from tests.support.bundles import snapshot
from tests.support.cli import run_cli
from tests.support.service import Service, injected


def cli(*args: str, env: dict | None = None):
    return run_cli("sourcemap", *args, env=env)


@pytest.fixture
def svc(tmp_path: Path):
    service = Service(tmp_path / "data", {}).start()
    yield service
    service.stop()


def _vendor_copy(build_dir: Path) -> Path:
    """A dependency's script and map under node_modules, and a copy under legacy/."""
    for folder in ("node_modules/lib", "legacy"):
        target = build_dir / folder
        target.mkdir(parents=True)
        shutil.copy(build_dir / "esm.mjs", target / "dep.mjs")
        shutil.copy(build_dir / "esm.mjs.map", target / "dep.mjs.map")
    return build_dir


def test_node_modules_is_never_walked_and_ignore_takes_gitignore_globs(build_dir: Path) -> None:
    _vendor_copy(build_dir)
    names = {p.script.relative_to(build_dir).as_posix() for p in inj.scan(build_dir).pairs}
    assert "node_modules/lib/dep.mjs" not in names and "legacy/dep.mjs" in names
    before = snapshot(build_dir)
    result = cli("inject", "-d", str(build_dir), "--ignore", "legacy/", "--ignore", "*.cjs")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "4 injected, 0 already injected, 1 without a source map, 0 errors"
    after = snapshot(build_dir)
    for untouched in ("node_modules/lib/dep.mjs", "legacy/dep.mjs", "cli.cjs", "rollup.cjs"):
        assert after[untouched] == before[untouched], untouched
    assert after["esm.mjs"] != before["esm.mjs"]


def test_process_injects_then_uploads_and_a_second_run_changes_nothing(svc: Service, build_dir: Path) -> None:
    result = cli("process", "-d", str(build_dir), "--release-name", "shop", "--release-version", "7",
                 env=svc.env())
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[6] == "6 injected, 0 already injected, 1 without a source map, 0 errors"
    assert lines[-1].startswith("uploaded 6, unchanged 0, failed 0: ")
    pairs = {p.chunk_id for p in inj.scan(build_dir).pairs}
    assert {s["ref"] for s in svc.api(lambda c: c.list_symbol_sets())} == pairs
    again = cli("process", "-d", str(build_dir), "--release-name", "shop", "--release-version", "7",
                env=svc.env())
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[0] == "0 injected, 6 already injected, 1 without a source map, 0 errors"
    assert again.stdout.splitlines()[-1].startswith("uploaded 0, unchanged 6, failed 0: ")


def test_dry_run_lists_what_would_be_sent_and_contacts_nothing(build_dir: Path) -> None:
    pairs = injected(build_dir)
    result = cli("upload", "-d", str(build_dir), "--dry-run")  # no host, project or key needed
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 7
    app = pairs["assets/app.js"]
    assert any(line.startswith(f"would upload  {app.chunk_id}  assets/app.js  (map assets/app.js.map, ")
               for line in lines)
    total = sum(p.script.stat().st_size + p.map.stat().st_size for p in pairs.values())
    assert lines[-1].startswith(f"would upload 6 ({size(total)} of scripts and maps, ")


def test_verbose_lists_each_outcome(svc: Service, build_dir: Path) -> None:
    pairs = injected(build_dir)
    first = cli("upload", "-d", str(build_dir), "-v", env=svc.env())
    assert first.exit_code == 0, first.output
    assert {line for line in first.stdout.splitlines() if line.startswith("uploaded  ")} == {
        f"uploaded  {name}" for name in pairs
    }
    (build_dir / "esm.mjs.map").unlink()
    second = cli("upload", "-d", str(build_dir), "--verbose", env=svc.env())
    assert second.exit_code == 0, second.output
    lines = second.stdout.splitlines()
    assert {line for line in lines if line.startswith("unchanged  ")} == {
        f"unchanged  {name}" for name in pairs if name != "esm.mjs"
    }
    assert "already uploaded and deleted  esm.mjs" in lines


def test_an_invalid_map_is_a_failure_of_the_run(svc: Service, build_dir: Path) -> None:
    injected(build_dir)
    doc = json.loads((build_dir / "esm.mjs.map").read_text())
    doc["mappings"] = "AAAAA"  # a name index into an empty names list
    doc["names"] = []
    (build_dir / "esm.mjs.map").write_text(json.dumps(doc))
    result = cli("upload", "-d", str(build_dir), env=svc.env())
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1].startswith("uploaded 5, unchanged 0, failed 1: ")
    assert result.stderr.splitlines() == [(
        f"failed  esm.mjs: {build_dir / 'esm.mjs.map'} is not a valid source map: index_out_of_bounds: "
        "map: mappings: segment at offset 0 (generated line 0): name index 0 but the map has 0"
    )]


def test_rerun_after_delete_after_says_already_uploaded_and_deleted(svc: Service, build_dir: Path) -> None:
    injected(build_dir)
    assert cli("upload", "-d", str(build_dir), "--delete-after", env=svc.env()).exit_code == 0
    again = cli("upload", "-d", str(build_dir), "--delete-after", env=svc.env())
    assert again.exit_code == 0, again.output
    assert "run `symbols sourcemap inject" not in again.output
    assert again.stdout.splitlines()[0] == (
        "6 injected scripts without a map: already uploaded and deleted (--delete-after)"
    )
    assert again.stdout.splitlines()[-1].startswith("uploaded 0, unchanged 0, failed 0: ")


class _Recorder:
    def __init__(self) -> None:
        self.total = self.done = 0

    def begin(self, files: int, total: int) -> None:
        self.total = total

    def advance(self, files: int, done: int) -> None:
        self.done += done

    def end(self) -> None:
        pass


def test_progress_total_is_the_summary_bytes(svc: Service, build_dir: Path) -> None:
    pairs = injected(build_dir)
    recorder = _Recorder()

    async def run():
        async with SymbolsClient(svc.host, svc.project, svc.token) as client:
            return await upload_directory(client, build_dir, progress=recorder, batch_size=2)

    summary = asyncio.run(run())
    on_disk = sum(p.script.stat().st_size + p.map.stat().st_size for p in pairs.values())
    assert recorder.total == recorder.done == summary.total_bytes == on_disk
    assert 0 < summary.uploaded_bytes < on_disk  # the containers are compressed
    result = cli("upload", "-d", str(build_dir), env=svc.env())
    assert result.stdout.splitlines()[-1] == (
        f"uploaded 0, unchanged 6, failed 0: {size(on_disk)} of scripts and maps (0 B compressed sent)"
    )


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def test_release_from_git_when_no_release_flags(svc: Service, build_dir: Path) -> None:
    _git(build_dir, "init", "-q", "-b", "main")
    _git(build_dir, "remote", "add", "origin", "https://ci:secret@github.com/acme/shop-web.git")
    _git(build_dir, "-c", "user.name=t", "-c", "user.email=t@e", "add", "-A")
    _git(build_dir, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "build")
    commit = _git(build_dir, "rev-parse", "HEAD")
    result = cli("process", "-d", str(build_dir), env=svc.env())  # inject dirties the tree
    assert result.exit_code == 0, result.output
    release = svc.api(lambda c: c.get_release(release_hash_id("shop-web", commit)))
    assert (release["project"], release["version"]) == ("shop-web", commit)
    assert release["metadata"] == {"git": {
        "repo_name": "shop-web", "branch": "main", "commit_id": commit,
        "remote_url": "https://github.com/acme/shop-web.git", "is_dirty": True,
    }}
    assert f"release shop-web {commit} ({release['id']})" in result.stdout.splitlines()
    assert all(s["release"]["id"] == release["id"] for s in svc.api(lambda c: c.list_symbol_sets()))


def test_outside_git_no_release(svc: Service, build_dir: Path) -> None:
    result = cli("process", "-d", str(build_dir), env=svc.env())
    assert result.exit_code == 0, result.output
    assert all(s["release"] is None for s in svc.api(lambda c: c.list_symbol_sets()))
