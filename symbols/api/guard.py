"""Connections that cannot hold the service: read timeouts, a connection cap, malformed
requests answered in JSON, accept errors logged at a bounded rate.

aiohttp has no read timeouts (only ``keepalive_timeout`` for idle connections), so
``GuardedRunner`` (an ``AppRunner``) serves each connection with ``GuardedHandler``:

- head: once a request's first byte has arrived, its whole head (request line and
  headers) must arrive within ``read_timeout`` seconds, else a JSON 408 and the
  connection is closed;
- body: while a handler waits for a request body, at least ``MIN_BODY_BYTES`` must arrive
  in every ``read_timeout`` seconds (unless the service itself paused reading because
  the handler is slower than the client), else the connection is closed;
- at most ``max_connections`` open connections: the next ones get a JSON 503 and are
  closed at once;
- a request aiohttp cannot parse (a request line over 8,190 bytes, a malformed header)
  gets our JSON 400 and an info-level log line, not a text/plain 400 and a traceback.

A timeout is noticed at the first check after it runs out (checks every ``read_timeout``
seconds), so a slow client is cut off after between one and two timeouts.
``limit_accept_errors`` makes the event loop log failed accepts (out of file
descriptors) at most once a second, with the count of those not logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson
from aiohttp import web
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger(__name__)

# Body bytes a client must send in every read timeout while a handler waits for them.
MIN_BODY_BYTES = 64 * 1024
# The event loop's messages for an incoming connection that could not be accepted.
_ACCEPT_ERRORS = ("socket.accept() out of system resource", "Error on transport creation for incoming connection")


def _error_bytes(status: int, reason: str, code: str, detail: str) -> bytes:
    body = orjson.dumps({"type": "invalid_request" if status < 500 else "server_error", "code": code,
                         "detail": detail, "attr": None})
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + body


class GuardedHandler(RequestHandler):
    __slots__ = ("_guard_bytes", "_guard_count", "_guard_head_since", "_guard_seen", "_guard_timer")

    def __init__(self, manager: GuardedServer, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._guard_bytes = 0
        self._guard_seen = 0
        self._guard_head_since: float | None = None
        self._guard_count = 0
        self._guard_timer: asyncio.TimerHandle | None = None

    @property
    def _guarded(self) -> GuardedServer:
        assert isinstance(self._manager, GuardedServer)
        return self._manager

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        manager = self._guarded
        super().connection_made(transport)
        if manager.open_connections > manager.max_connections:
            log.warning("connection refused: %d connections open (SYMBOLS_MAX_CONNECTIONS)",
                        manager.open_connections - 1)
            transport.write(_error_bytes(503, "Service Unavailable", "too_many_connections",
                                         "The service has too many open connections; try again later."))
            transport.close()
            return
        self._guard_timer = self._loop.call_later(manager.read_timeout, self._guard_check)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._guard_timer is not None:
            self._guard_timer.cancel()
            self._guard_timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._guard_bytes += len(data)
        if self._guard_head_since is None and self._current_request is None and not self._messages:
            self._guard_head_since = self._loop.time()
            self._guard_count = self._request_count
        super().data_received(data)
        if self._request_count != self._guard_count:
            self._guard_head_since = None  # the head is complete

    def _guard_check(self) -> None:
        self._guard_timer = None
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        timeout = self._guarded.read_timeout
        moved, self._guard_seen = self._guard_bytes - self._guard_seen, self._guard_bytes
        request = self._current_request
        if self._guard_head_since is not None and self._loop.time() - self._guard_head_since >= timeout:
            log.info("closed a connection: request head not received within %g s", timeout)
            transport.write(_error_bytes(408, "Request Timeout", "request_timeout",
                                         f"The request head did not arrive within {timeout:g} s."))
            transport.close()
            return
        waiting = request is not None and not request.content.is_eof()
        if waiting and transport.is_reading() and moved < MIN_BODY_BYTES:
            log.info("closed a connection: request body slower than %d bytes in %g s", MIN_BODY_BYTES, timeout)
            transport.close()
            return
        self._guard_timer = self._loop.call_later(timeout, self._guard_check)

    def handle_error(
        self, request: Any, status: int = 500, exc: BaseException | None = None, message: str | None = None
    ) -> web.StreamResponse:
        if status != 400:
            return super().handle_error(request, status, exc, message)
        detail = (message or "Malformed HTTP request.")[:200]
        log.info("bad HTTP request from %s: %s", request.remote, detail)
        response = web.Response(status=400, content_type="application/json", body=orjson.dumps(
            {"type": "validation_error", "code": "bad_request", "detail": detail, "attr": None}))
        response.force_close()
        return response


class GuardedServer(web.Server):
    """aiohttp's ``Server`` making ``GuardedHandler``s and counting open connections."""

    read_timeout: float
    max_connections: int
    open_connections: int

    def __call__(self) -> RequestHandler:
        return GuardedHandler(self, loop=self._loop, **self._kwargs)

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        self.open_connections += 1
        super().connection_made(handler, transport)

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        self.open_connections -= 1
        super().connection_lost(handler, exc)


class GuardedRunner(web.AppRunner):
    def __init__(self, app: web.Application, *, read_timeout: float, max_connections: int, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.read_timeout = read_timeout
        self.max_connections = max_connections

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # aiohttp takes no factory for its protocol: the same server, with our handlers.
        server.__class__ = GuardedServer
        assert isinstance(server, GuardedServer)
        server.read_timeout = self.read_timeout
        server.max_connections = self.max_connections
        server.open_connections = 0
        return server


def limit_accept_errors(loop: asyncio.AbstractEventLoop, interval: float = 1.0) -> None:
    """Log the loop's accept errors at most once per ``interval`` seconds, without a traceback."""
    state = {"next": 0.0, "dropped": 0}

    def handler(loop: asyncio.AbstractEventLoop, context: dict) -> None:
        message = str(context.get("message", ""))
        if not message.startswith(_ACCEPT_ERRORS):
            loop.default_exception_handler(context)
            return
        now = time.monotonic()
        if now < state["next"]:
            state["dropped"] += 1
            return
        log.warning("%s: %s (%d more since the last report)", message, context.get("exception"), state["dropped"])
        state["next"], state["dropped"] = now + interval, 0

    loop.set_exception_handler(handler)


__all__ = ["MIN_BODY_BYTES", "GuardedRunner", "limit_accept_errors"]
