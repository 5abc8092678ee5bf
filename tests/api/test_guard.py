"""Clients that cannot hold the service (issue 15): slow heads and bodies are cut off after
the read timeout, the connection cap answers 503, malformed requests get our JSON 400
without an error-level log line, and accept errors are logged at a bounded rate."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import orjson
import pytest

from symbols.api.guard import limit_accept_errors

# A hang guard only: the service closes these connections after 1-2 read timeouts.
HANG = 60


async def _connect(api):
    return await asyncio.open_connection("127.0.0.1", api.client.server.port)


async def _trickle(writer: asyncio.StreamWriter, data: bytes) -> None:
    """Send ``data`` at one byte per second (until the service closes the connection)."""
    with contextlib.suppress(ConnectionError):
        for i in range(len(data)):
            writer.write(data[i:i + 1])
            await writer.drain()
            await asyncio.sleep(1)


async def _reply(reader: asyncio.StreamReader) -> tuple[str, dict | None]:
    """The status line and JSON body of what the service sent before closing."""
    raw = await asyncio.wait_for(reader.read(), HANG)
    if not raw:
        return "", None
    head, _, body = raw.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), orjson.loads(body) if body else None


@pytest.fixture
async def slow_api(api_factory):
    return await api_factory(read_timeout_seconds=1.0, max_connections=3)


async def test_a_head_sent_at_one_byte_per_second_gets_408_and_is_closed(slow_api):
    reader, writer = await _connect(slow_api)
    sender = asyncio.ensure_future(_trickle(writer, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"))
    status, body = await _reply(reader)
    sender.cancel()
    writer.close()
    assert status == "HTTP/1.1 408 Request Timeout"
    assert body["code"] == "request_timeout"


async def test_a_body_sent_at_one_byte_per_second_is_cut_off(slow_api):
    reader, writer = await _connect(slow_api)
    head = (f"POST /api/projects/{slow_api.project_id}/error_tracking/stack_frames/resolve/ HTTP/1.1\r\n"
            f"Host: localhost\r\nAuthorization: Bearer {slow_api.secret}\r\nContent-Type: application/json\r\n"
            "Content-Length: 1000\r\n\r\n")
    writer.write(head.encode())
    sender = asyncio.ensure_future(_trickle(writer, b'{"frames": [' + b" " * 980 + b"]}"))
    status, _ = await _reply(reader)
    sent = sender.done()
    sender.cancel()
    writer.close()
    assert status == "" and not sent  # closed without an answer, long before the body ended


async def test_a_request_line_over_8190_bytes_gets_a_json_400_without_an_error_log(slow_api, caplog):
    reader, writer = await _connect(slow_api)
    writer.write(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
    with caplog.at_level(logging.INFO):
        status, body = await _reply(reader)
    writer.close()
    assert status.endswith(" 400 Bad Request")
    assert body["type"] == "validation_error" and body["code"] == "bad_request"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_connections_past_the_cap_get_503(slow_api):
    held = [await _connect(slow_api) for _ in range(3)]
    reader, writer = await _connect(slow_api)
    status, body = await _reply(reader)
    assert status == "HTTP/1.1 503 Service Unavailable" and body["code"] == "too_many_connections"
    for _, w in held + [(reader, writer)]:
        w.close()


async def test_requests_still_work_through_the_guard(slow_api):
    status, body = await slow_api.call("GET", "symbol_sets/")
    assert (status, body["count"]) == (200, 0)


def test_accept_errors_are_logged_at_most_once_per_interval(caplog):
    loop = asyncio.new_event_loop()
    try:
        limit_accept_errors(loop, interval=3600)
        with caplog.at_level(logging.WARNING, logger="symbols.api.guard"):
            for _ in range(1000):
                loop.call_exception_handler({"message": "socket.accept() out of system resource",
                                             "exception": OSError(24, "Too many open files")})
    finally:
        loop.close()
    records = [r for r in caplog.records if r.name == "symbols.api.guard"]
    assert len(records) == 1 and records[0].exc_info is None
