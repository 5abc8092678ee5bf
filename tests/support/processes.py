"""Real `symbols` processes for tests: the environment a worker or server runs with,
starting them, and stopping or reaping them."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.support.bundles import REPO


def process_env(database, store_dir: Path, **extra: str) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SYMBOLS_")}
    return base | {
        "PYTHONPATH": str(REPO),
        "PYTHONUNBUFFERED": "1",
        "SYMBOLS_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "SYMBOLS_STORAGE_URL": str(store_dir),
        "SYMBOLS_DATA_DIR": str(store_dir.parent / "data"),
        "SYMBOLS_JOB_POLL_SECONDS": "0.1",
    } | extra


def popen(args: list[str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def run_symbols(env: dict, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "symbols", *args], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=timeout, check=False,
    )


async def sigterm(proc: subprocess.Popen) -> tuple[str, str]:
    """Send SIGTERM and wait for the exit; the process's remaining stdout and stderr."""
    proc.send_signal(signal.SIGTERM)
    return await asyncio.to_thread(proc.communicate, timeout=30)


async def start_serve(cwd: Path, port: int, *, first: bool = True, **extra: str) -> tuple[subprocess.Popen, str]:
    """``symbols serve`` on ``port`` with its data in ``cwd/data``, once ready: the process
    and, on its ``first`` start, the personal API key it printed."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SYMBOLS_")}
    proc = popen([sys.executable, "-m", "symbols", "serve", "--port", str(port)], cwd=cwd,
                 env=base | {"PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", "SYMBOLS_DATA_DIR": "data",
                             "SYMBOLS_JOB_POLL_SECONDS": "0.1"} | extra)
    secret = ""
    while first and not secret:
        line = await asyncio.to_thread(proc.stdout.readline)
        if not line:
            raise AssertionError(f"symbols serve stopped: {proc.stderr.read()}")
        if match := re.search(r"phx_[A-Za-z0-9_-]{40,}", line):
            secret = match.group(0)
    while not await _ready(port):
        if proc.poll() is not None:
            raise AssertionError(f"symbols serve stopped: {proc.stderr.read()}")
        await asyncio.sleep(0.1)
    return proc, secret


async def _ready(port: int) -> bool:
    try:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/readyz") as resp:
            return resp.status == 200
    except aiohttp.ClientError:
        return False


def reap(proc: subprocess.Popen) -> None:
    """Kill a process a failed test left running; close its pipes either way (a process
    killed by the test itself still holds them)."""
    if proc.poll() is None:
        proc.kill()
    proc.communicate()
