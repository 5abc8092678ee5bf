"""`symbols sets list|show`, admin commands that never create a database, and a start-up
that imports none of the service's libraries."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from symbols.cli import _COMMANDS, main
from symbols.db import migrate, open_database
from symbols.db.access import create_project
from symbols.db.releases import create_release
from symbols.db.symbol_sets import insert_symbol_set, mark_processed, record_failure
from tests.support.bundles import REPO
from tests.support.cli import run_cli

HEAVY = ("numpy", "aiohttp", "sqlalchemy", "boto3", "botocore", "zstandard", "tree_sitter", "jinja2", "pydantic",
         "asyncpg", "aiosqlite", "alembic", "redis", "sqlglot", "yaml", "orjson", "prometheus_client",
         "cryptography", "re2", "pathspec", "symbols.config")


def test_version_loads_nothing_but_the_package() -> None:
    """`symbols --version` (the console script runs ``symbols.__main__:run``, as `python -m
    symbols` does) prints click's line without loading click or the command line."""
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["symbols"] == "symbols.__main__:run"
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "symbols", "--version"],
                          capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout == "symbols, version 0.1.0\n"
    assert run_cli("--version").stdout == done.stdout  # the same line as click's version option
    loaded = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "symbols" in loaded
    assert sorted(m for m in loaded if m.split(".")[0] in (*HEAVY, "click") or m.startswith("symbols.")) == []


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_the_command_line_starts_without_the_service_libraries(args) -> None:
    code = (
        "import sys; from symbols.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    lines = done.stdout.splitlines()
    assert lines[-1] == "[]"
    if args == ["--version"]:
        assert lines[0] == "symbols, version 0.1.0"
    else:
        listed = [line.split()[0] for line in lines[lines.index("Commands:") + 1:-1]]
        assert listed == list(_COMMANDS)


def test_every_listed_command_loads_under_its_name() -> None:
    for name in _COMMANDS:
        command = main.get_command(None, name)
        assert command is not None and command.name == name


@pytest.mark.parametrize("args", [
    ("projects", "list"), ("projects", "create", "web"), ("keys", "list"),
    ("keys", "create", "--project", "1"), ("jobs", "stats"), ("users", "list"),
    ("integrations", "list", "--project", "1"), ("sets", "list", "--project", "1"),
])
def test_admin_commands_never_create_a_database(tmp_path: Path, args) -> None:
    data = tmp_path / "wrong-folder" / "data"
    result = run_cli(*args, env={"SYMBOLS_DATA_DIR": str(data), "SYMBOLS_DATABASE_URL": ""})
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: no database at {data / 'symbols.db'}: run this where `symbols serve` runs (same "
        "SYMBOLS_DATA_DIR or SYMBOLS_DATABASE_URL), or create it with `symbols migrate`"
    )
    assert not (tmp_path / "wrong-folder").exists()


@pytest.fixture
def seeded(tmp_path: Path) -> dict:
    data = tmp_path / "data"
    env = {"SYMBOLS_DATA_DIR": str(data), "SYMBOLS_DATABASE_URL": ""}
    assert run_cli("migrate", env=env).exit_code == 0

    async def seed() -> dict:
        db = open_database(f"sqlite+aiosqlite:///{data / 'symbols.db'}")
        await migrate(db)
        async with db.begin() as conn:
            project = await create_project(conn, "web")
            other = await create_project(conn, "other")
            release = await create_release(conn, project.id, version="1.4.2", project="shop", hash_id="h142")
            ok = await insert_symbol_set(conn, project_id=project.id, ref="assets/Main-AB12.js",
                                         storage_ptr="k1", release_id=release.id, content_hash="c1",
                                         size_bytes=120)
            await mark_processed(conn, ok, "k1")
            failed = await insert_symbol_set(conn, project_id=project.id, ref="chunk-failed",
                                             storage_ptr="k2", content_hash="c2", size_bytes=5)
            await record_failure(conn, failed, "k2", '{"kind": "InvalidSourceMap"}')
            missing = await insert_symbol_set(conn, project_id=project.id, ref="chunk-missing", storage_ptr=None)
            theirs = await insert_symbol_set(conn, project_id=other.id, ref="assets/Main-zz.js", storage_ptr="k9")
        await db.close()
        return {"env": env, "project": project.id, "release": release, "ok": ok, "failed": failed,
                "missing": missing, "theirs": theirs}

    return asyncio.run(seed())


def _rows(result) -> list[list[str]]:
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "id\tref\tstatus\trelease\tsize_bytes\tcreated_at"
    return [line.split("\t") for line in lines[1:]]


def test_sets_list_with_filters(seeded: dict) -> None:
    env, project = seeded["env"], str(seeded["project"])
    rows = _rows(run_cli("sets", "list", "--project", project, env=env))
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (seeded["missing"], "chunk-missing", "missing"),
        (seeded["failed"], "chunk-failed", "failed"),
        (seeded["ok"], "assets/Main-AB12.js", "ok"),
    ]
    assert rows[2][3:5] == ["1.4.2", "120"]
    assert run_cli("sets", "list", "--project", project, env=env).stderr == "3 of 3 symbol set(s)\n"
    assert [r[0] for r in _rows(run_cli("sets", "list", "--project", project, "--search", "main-ab", env=env))] == [
        seeded["ok"]]
    for status in ("failed", "missing", "ok"):
        rows = _rows(run_cli("sets", "list", "--project", project, "--status", status, env=env))
        assert [r[0] for r in rows] == [seeded[status]]
    assert _rows(run_cli("sets", "list", "--project", project, "--status", "pending", env=env)) == []
    for release in (seeded["release"].id, "h142"):
        rows = _rows(run_cli("sets", "list", "--project", project, "--release", release, env=env))
        assert [r[0] for r in rows] == [seeded["ok"]]
    result = run_cli("sets", "list", "--project", project, "--release", "nope", env=env)
    assert result.exit_code == 1 and result.stderr.strip() == f"Error: no release nope in project {project}"
    result = run_cli("sets", "list", "--project", project, "--status", "valid", env=env)
    assert result.exit_code == 2


def test_sets_show(seeded: dict) -> None:
    env = seeded["env"]
    result = run_cli("sets", "show", seeded["failed"], env=env)
    assert result.exit_code == 0, result.output
    fields = dict(line.split("\t", 1) for line in result.stdout.splitlines())
    assert fields["ref"] == "chunk-failed" and fields["status"] == "failed"
    assert fields["failure_reason"] == '{"kind": "InvalidSourceMap"}'
    assert fields["project"] == str(seeded["project"]) and fields["release"] == ""
    result = run_cli("sets", "show", seeded["ok"], env=env)
    release = seeded["release"]
    assert f"release\tshop 1.4.2 ({release.id})" in result.stdout.splitlines()
    result = run_cli("sets", "show", "8b3c2a1e-1111-4a4a-9a9a-0123456789ab", env=env)
    assert result.exit_code == 1 and "no symbol set 8b3c2a1e" in result.stderr
    assert run_cli("sets", "show", "nope", env=env).exit_code == 2
