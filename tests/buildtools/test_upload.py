"""`symbols sourcemap upload` against a real running service (local blob store or moto S3)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest

from symbols.buildtools import inject as inj
from symbols.buildtools.client import SymbolsClient, release_hash_id
from symbols.buildtools.upload import script_url
from symbols.symbol_sets import container
from tests.support.cli import run_cli
from tests.support.service import Service, injected

SCRIPTS = ["assets/app.js", "cli.cjs", "concat.js", "esm.mjs", "rollup.cjs", "strict.min.js"]


def cli(*args: str, env: dict | None = None):
    return run_cli("sourcemap", *args, env=env)


@pytest.fixture(params=["local", "s3"])
def storage(request) -> dict:
    if request.param == "local":
        return {}
    bucket = request.getfixturevalue("s3_bucket")
    return bucket.settings_overrides("symbols")


@pytest.fixture
def service(tmp_path: Path, storage: dict):
    svc = Service(tmp_path / "data", storage).start()
    yield svc
    svc.stop()


@pytest.fixture
def local_service(tmp_path: Path):
    svc = Service(tmp_path / "data", {}).start()
    yield svc
    svc.stop()


def expected_container(pair: inj.Pair) -> bytes:
    return container.pack(pair.map.read_bytes(), pair.script.read_bytes())


def test_upload_then_again_everything_unchanged(service: Service, build_dir: Path) -> None:
    pairs = injected(build_dir)
    result = cli("upload", "-d", str(build_dir), "--release-name", "shop", "--release-version", "1.0.0",
                 env=service.env())
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("release shop 1.0.0 (")
    assert lines[-1].startswith("uploaded 6, unchanged 0, failed 0: ")

    stored = {s["ref"]: s for s in service.api(lambda c: c.list_symbol_sets())}
    assert set(stored) == {p.chunk_id for p in pairs.values()}
    release_id = lines[0].split("(")[1].rstrip(")")
    for name, pair in pairs.items():
        item = stored[pair.chunk_id]
        assert item["content_hash"] == hashlib.sha512(expected_container(pair)).hexdigest(), name
        release = item["release"]
        assert (release["id"] if isinstance(release, dict) else release) == release_id

    # The stored bytes are exactly the container of the injected pair.
    async def download(client: SymbolsClient) -> bytes:
        item = stored[pairs["cli.cjs"].chunk_id]
        body = await client._api("GET", f"symbol_sets/{item['id']}/download/")
        async with client._session.get(body["url"]) as response:
            assert response.status == 200
            return await response.read()

    blob = service.api(download)
    content = container.unpack(blob)
    assert content.source_map == pairs["cli.cjs"].map.read_bytes()
    assert content.minified_source == pairs["cli.cjs"].script.read_bytes()

    again = cli("upload", "-d", str(build_dir), "--release-name", "shop", "--release-version", "1.0.0",
                env=service.env())
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-1].startswith("uploaded 0, unchanged 6, failed 0: ")
    assert again.stdout.splitlines()[-1].endswith(" of scripts and maps (0 B compressed sent)")
    assert again.stdout.splitlines()[0] == f"release shop 1.0.0 ({release_id})"  # reused


def test_release_is_reused_by_hash(service: Service, build_dir: Path) -> None:
    injected(build_dir)
    assert cli("upload", "-d", str(build_dir), "--release-name", "shop", "--release-version", "2",
               env=service.env()).exit_code == 0
    release = service.api(lambda c: c.get_release(release_hash_id("shop", "2")))
    assert (release["project"], release["version"]) == ("shop", "2")


def test_failed_post_in_a_batch_records_nothing_for_it_and_the_retry_succeeds(
    local_service: Service, build_dir: Path
) -> None:
    pairs = injected(build_dir)
    sizes = {name: len(expected_container(p)) for name, p in pairs.items()}
    biggest = max(sizes, key=sizes.get)
    assert sorted(sizes.values())[-2] < sizes[biggest]
    local_service.start(max_upload_bytes=sizes[biggest] - 1)  # a real refusal, for one file

    result = cli("upload", "-d", str(build_dir), "--batch-size", "10", env=local_service.env())
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1].startswith("uploaded 5, unchanged 0, failed 1: ")
    failures = [line for line in result.stderr.splitlines() if line.startswith("failed  ")]
    assert len(failures) == 1 and failures[0].startswith(f"failed  {biggest}: upload refused by ")

    stored = {s["ref"]: s for s in local_service.api(lambda c: c.list_symbol_sets())}
    failed_id = pairs[biggest].chunk_id
    for name, pair in pairs.items():
        if name != biggest:
            assert stored[pair.chunk_id]["content_hash"] is not None
    # Nothing half-recorded: the failed set has no content (or no row at all).
    assert failed_id not in stored or stored[failed_id]["content_hash"] is None

    local_service.start(max_upload_bytes=100 * 1024 * 1024)
    retry = cli("upload", "-d", str(build_dir), "--batch-size", "10", env=local_service.env())
    assert retry.exit_code == 0, retry.output
    assert retry.stdout.splitlines()[-1].startswith("uploaded 1, unchanged 5, failed 0: ")
    stored = {s["ref"]: s for s in local_service.api(lambda c: c.list_symbol_sets())}
    assert stored[failed_id]["content_hash"] == hashlib.sha512(expected_container(pairs[biggest])).hexdigest()


def test_small_batches_and_delete_after(local_service: Service, build_dir: Path) -> None:
    pairs = injected(build_dir)
    result = cli("upload", "-d", str(build_dir), "--batch-size", "2", "--concurrency", "1",
                 "--delete-after", env=local_service.env())
    assert result.exit_code == 0, result.output
    assert "deleted 6 maps" in result.stdout.splitlines()
    assert all(not p.map.exists() for p in pairs.values())
    assert all(p.script.exists() for p in pairs.values())
    assert len(local_service.api(lambda c: c.list_symbol_sets())) == 6


def test_bad_key(local_service: Service, build_dir: Path) -> None:
    injected(build_dir)
    result = cli("upload", "-d", str(build_dir), env=local_service.env(SYMBOLS_TOKEN="phx_not_a_key"))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: authentication failed: the key was rejected by {local_service.host} (")


def test_project_the_key_cannot_see(local_service: Service, build_dir: Path) -> None:
    injected(build_dir)
    for project in (local_service.other_project, "999"):
        result = cli("upload", "-d", str(build_dir), env=local_service.env(SYMBOLS_PROJECT=project))
        assert result.exit_code == 1
        assert result.stderr.strip() == (
            f"Error: project '{project}' was not found on {local_service.host}, or this key cannot see it"
        )


def test_read_only_key(local_service: Service, build_dir: Path) -> None:
    injected(build_dir)
    result = cli("upload", "-d", str(build_dir), env=local_service.env(SYMBOLS_TOKEN=local_service.read_only_token))
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("Error: permission denied: ")


def test_write_only_key_is_enough(local_service: Service, build_dir: Path) -> None:
    injected(build_dir)
    result = cli("upload", "-d", str(build_dir), "--release-name", "shop", "--release-version", "3",
                 env=local_service.env(SYMBOLS_TOKEN=local_service.write_only_token))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("uploaded 6, unchanged 0, failed 0: ")


def test_posthog_variables(local_service: Service, build_dir: Path) -> None:
    injected(build_dir)
    env = {"POSTHOG_CLI_HOST": local_service.host, "POSTHOG_CLI_ENV_ID": local_service.project,
           "POSTHOG_CLI_TOKEN": local_service.token}
    result = cli("upload", "-d", str(build_dir), env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("uploaded 6, unchanged 0, failed 0: ")


def test_projects_base_path_is_served_too(local_service: Service, build_dir: Path) -> None:
    injected(build_dir)
    assert cli("upload", "-d", str(build_dir), env=local_service.env()).exit_code == 0

    async def listing() -> list[dict]:
        async with SymbolsClient(local_service.host, local_service.project, local_service.token,
                                 api_prefix="projects") as client:
            return await client.list_symbol_sets()

    assert len(asyncio.run(listing())) == 6


def test_identical_scripts_share_a_chunk_id_and_upload_once(local_service: Service, build_dir: Path) -> None:
    copy = build_dir / "copy"
    copy.mkdir()
    for name in ("esm.mjs", "esm.mjs.map"):
        (copy / name).write_bytes((build_dir / name).read_bytes())
    twin = build_dir / "twin"
    twin.mkdir()
    (twin / "esm.mjs").write_bytes((build_dir / "esm.mjs").read_bytes())
    other_map = json.loads((build_dir / "esm.mjs.map").read_text())
    other_map["sourceRoot"] = "/elsewhere/"
    (twin / "esm.mjs.map").write_text(json.dumps(other_map))
    pairs = injected(build_dir)
    assert pairs["esm.mjs"].chunk_id == pairs["copy/esm.mjs"].chunk_id == pairs["twin/esm.mjs"].chunk_id

    result = cli("upload", "-d", str(build_dir), env=local_service.env())
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1].startswith("uploaded 6, unchanged 1, failed 1: ")
    assert result.stderr.strip() == (
        f"failed  twin/esm.mjs: chunk id {pairs['esm.mjs'].chunk_id} is also used by "
        "esm.mjs with different content"
    )


def test_url_prefix_records_each_scripts_url(local_service: Service, build_dir: Path) -> None:
    pairs = injected(build_dir)
    result = cli("upload", "-d", str(build_dir), "--url-prefix", "~/static/", env=local_service.env())
    assert result.exit_code == 0, result.output
    urls = {s["ref"]: s["url"] for s in local_service.api(lambda c: c.list_symbol_sets())}
    assert urls == {pair.chunk_id: f"~/static/{name}" for name, pair in pairs.items()}
    # The default is sentry-cli's: "~" plus the path under the directory.
    again = cli("upload", "-d", str(build_dir), env=local_service.env())
    assert again.exit_code == 0, again.output
    urls = {s["ref"]: s["url"] for s in local_service.api(lambda c: c.list_symbol_sets())}
    assert urls[pairs["assets/app.js"].chunk_id] == "~/assets/app.js"


@pytest.mark.parametrize(("prefix", "url"), [
    ("~", "~/a/b.js"), ("~/", "~/a/b.js"), ("~/static", "~/static/a/b.js"), ("static/", "~/static/a/b.js"),
    ("/static", "~/static/a/b.js"), ("https://cdn.example.com/v1/", "https://cdn.example.com/v1/a/b.js"),
    ("", "~/a/b.js"),
])
def test_script_url(prefix: str, url: str) -> None:
    assert script_url(prefix, "a/b.js") == url
