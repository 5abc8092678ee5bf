"""SIGKILL of `symbols serve` mid-upload and mid-index (issue 15): its index process,
and resource tracker die with it (none of them
noticing by itself: the index process is stopped), and the next start removes the temporary
files it left."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path

import aiohttp

from symbols.files import TMP_PREFIX
from tests.support.bundles import slow_container
from tests.support.net import free_port
from tests.support.processes import reap, start_serve

# A hang guard only (seconds).
HANG = 60


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rpartition(")")[2].split()[1])
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


async def _wait(predicate) -> None:
    for _ in range(HANG * 10):
        if predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out waiting")


async def test_sigkill_kills_the_index_processes_and_the_next_start_cleans_up(tmp_path):
    port = free_port()
    proc, secret = await start_serve(tmp_path, port, SYMBOLS_INDEX_PROCESSES="1")
    base = "/api/projects/1/error_tracking/symbol_sets/"
    tmp_dir, blobs = tmp_path / "data" / "tmp", tmp_path / "data" / "blobs"
    writer = None
    try:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {secret}"}) as http:
            form = aiohttp.FormData()
            form.add_field("file", slow_container(), filename="slow.js.map")
            async with http.post(f"http://127.0.0.1:{port}{base}", params={"chunk_id": "slow"}, data=form) as resp:
                assert resp.status == 201
        # The embedded worker builds the slow set's index in a child process.
        await _wait(lambda: _index_processes(proc.pid))
        # An upload stays half-spooled: its head and part of its body, then nothing.
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        boundary = "b0undary"
        head = (f"POST {base}?chunk_id=half HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {secret}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 10000000\r\n\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.map\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n")
        writer.write(head.encode() + b" " * 2_000_000)
        await writer.drain()
        await _wait(lambda: tmp_dir.exists() and any(tmp_dir.iterdir()))
        # And a blob store temporary of the same process, as an index write cut short leaves.
        orphan_index = blobs / "symbolsets" / f"{TMP_PREFIX}{socket.gethostname()}-{proc.pid}-x"
        orphan_index.parent.mkdir(parents=True, exist_ok=True)
        orphan_index.write_bytes(b"half an index")
        family = _descendants(proc.pid)  # index process, resource tracker
        # Stopped, the index process could not notice its parent's end by itself.
        for pid in _index_processes(proc.pid):
            os.kill(pid, signal.SIGSTOP)
        os.kill(proc.pid, signal.SIGKILL)
        await asyncio.to_thread(proc.wait, HANG)
        await _wait(lambda: not any(_alive(p) for p in family))
        assert any(tmp_dir.iterdir()) and orphan_index.exists()  # left behind by the kill
    finally:
        if writer is not None:
            writer.close()
        reap(proc)
    again, _ = await start_serve(tmp_path, port, first=False, SYMBOLS_INDEX_PROCESSES="1")
    try:
        assert list(tmp_dir.iterdir()) == [] and not orphan_index.exists()
    finally:
        again.send_signal(signal.SIGTERM)
        await asyncio.to_thread(again.communicate, timeout=HANG)
        reap(again)


def _index_processes(pid: int) -> list[int]:
    """``pid``'s index processes, once tied to its life (they name themselves then)."""
    return [c for c in _children().get(pid, []) if _comm(c) == "symbols-index"]


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
