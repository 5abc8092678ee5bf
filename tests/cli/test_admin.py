"""Admin commands through the real command line (``python -m symbols``), as an operator runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.support.bundles import REPO
from tests.support.net import free_port
from tests.support.processes import run_symbols

KEY_RE = re.compile(r"phx_[A-Za-z0-9_-]{40,}")


def run(env: dict, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    proc = run_symbols(env, *args)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture
def env(tmp_path) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SYMBOLS_")}
    return base | {"SYMBOLS_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(REPO)}


def test_projects_and_keys_lifecycle(env, tmp_path):
    assert "up to date" in run(env, "migrate").stdout
    assert run(env, "projects", "create", "web").stdout.strip() == "created project 1 (web)"
    [line] = run(env, "projects", "list").stdout.splitlines()
    assert line.split("\t")[::2] == ["1", "web"]
    assert re.fullmatch(r"phc_[A-Za-z0-9_-]{43}", line.split("\t")[3])

    proc = run(env, "keys", "create", "--project", "7", ok=False)
    assert proc.returncode == 2 and "no project 7" in proc.stderr
    proc = run(env, "keys", "create", "--project", "1", "--scopes", "admin", ok=False)
    assert proc.returncode == 2 and "--scopes" in proc.stderr

    created = run(env, "keys", "create", "--project", "1", "--scopes", "error_tracking:read", "--label", "ci")
    secret = created.stdout.strip()
    assert KEY_RE.fullmatch(secret)
    assert secret.encode() not in (tmp_path / "data" / "symbols.db").read_bytes()  # only the hash is stored
    [line] = run(env, "keys", "list").stdout.splitlines()
    assert line.split("\t")[:6] == ["1", "ci", "error_tracking:read", "1", "never", "active"]

    assert run(env, "keys", "revoke", "1").stdout.strip() == "revoked key 1"
    assert run(env, "keys", "list").stdout.split("\t")[-1].strip() == "revoked"
    assert run(env, "keys", "revoke", "1", ok=False).returncode != 0


def test_project_fetch_setting(env):
    run(env, "migrate")  # admin commands use an existing database only
    run(env, "projects", "create", "web")
    out = run(env, "projects", "fetch", "1", "--allow-domain", "CDN.example.com", "--allow-domain", "example.org",
              "--auth-header", "Authorization: Bearer x").stdout
    assert out.strip() == "project 1: fetching from cdn.example.com, example.org"
    assert run(env, "projects", "fetch", "1", "--off").stdout.strip() == "project 1: fetching off"
    assert "no project 9" in run(env, "projects", "fetch", "9", "--off", ok=False).stderr
    for bad in (["--allow-domain", "http://x/"], ["--allow-domain", "x", "--auth-header", "nocolon"],
                ["--allow-domain", "x", "--auth-header", "Host: internal"], []):
        assert run(env, "projects", "fetch", "1", *bad, ok=False).returncode == 2, bad


def test_users_and_roles(env):
    run(env, "migrate")
    assert run(env, "users", "create", "ada@example.com", "--name", "Ada").stdout.strip() == (
        "created user 1 (ada@example.com)"
    )
    assert run(env, "users", "create", "bob@example.com").stdout.strip() == "created user 2 (bob@example.com)"
    proc = run(env, "users", "create", "ada@example.com", ok=False)
    assert proc.returncode == 1 and "exists already" in proc.stderr
    assert run(env, "users", "create", "nobody", ok=False).returncode == 2
    rows = [line.split("\t")[:3] for line in run(env, "users", "list").stdout.splitlines()]
    assert rows == [["1", "ada@example.com", "Ada"], ["2", "bob@example.com", "bob@example.com"]]

    created = run(env, "roles", "create", "Frontend").stdout.strip()
    role_id = re.fullmatch(r"created role ([0-9a-f-]{36}) \(Frontend\)", created).group(1)
    assert run(env, "roles", "create", "Frontend", ok=False).returncode == 1
    assert run(env, "roles", "create", " ", ok=False).returncode == 2
    assert [line.split("\t")[:2] for line in run(env, "roles", "list").stdout.splitlines()] == [[role_id, "Frontend"]]


def test_serve_zero_config_bootstraps_project_and_key(env, tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "symbols", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env | {"SYMBOLS_DATA_DIR": "data", "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        secret = None
        for _ in range(20):  # the key is printed before the port is opened
            line = server.stdout.readline()
            if match := KEY_RE.search(line):
                secret = match.group(0)
                break
        assert secret, "no API key printed on first start"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/readyz", timeout=2) as resp:
                    assert json.load(resp)["status"] == "ok"
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        request = urllib.request.Request(
            f"{base}/api/projects/1/error_tracking/symbol_sets/", headers={"Authorization": f"Bearer {secret}"}
        )
        with urllib.request.urlopen(request, timeout=5) as resp:
            assert json.load(resp) == {"count": 0, "next": None, "previous": None, "results": []}
        server.terminate()
        _, err = server.communicate(timeout=20)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert (tmp_path / "data" / "symbols.db").exists() and (tmp_path / "data" / "secret_key").exists()
    lines = err.splitlines()
    assert lines and all(isinstance(json.loads(line), dict) for line in lines)  # one JSON object a line
    assert secret not in err


@pytest.mark.parametrize(
    "variables, args, message",
    [
        # Nothing listens on port 1: the server is down or the URL is wrong.
        ({"SYMBOLS_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/symbols"}, ("projects", "list"),
         "cannot use the database postgresql+asyncpg://postgres@127.0.0.1:1/symbols"),
        ({"SYMBOLS_DATABASE_URL": "postgresql://postgres:hunter2@127.0.0.1:1/symbols"}, ("jobs", "stats"),
         "postgres:***@127.0.0.1:1"),
        ({"SYMBOLS_DATABASE_URL": "mysql://db/symbols"}, ("migrate",), "'mysql' is not supported"),
        ({"SYMBOLS_DATABASE_URL": "sqlite:////proc/no-such-dir/x.db"}, ("keys", "list"),
         "no database at /proc/no-such-dir/x.db: "),
        ({"SYMBOLS_DATABASE_URL": "sqlite:////proc/no-such-dir/x.db"}, ("migrate",),
         "cannot create the directory"),
        ({"SYMBOLS_PORT": "eighty"}, ("serve",), "SYMBOLS_PORT must be an integer"),
        ({"SYMBOLS_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/symbols"}, ("serve", "--port", "0"),
         "cannot use the database"),
    ],
)
def test_bad_settings_and_unreachable_database_end_with_one_readable_line(env, variables, args, message):
    proc = run(env | variables, *args, ok=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("Error: ")
    assert message in proc.stderr
    assert "hunter2" not in proc.stderr
