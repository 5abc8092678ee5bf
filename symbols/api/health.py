"""Operational routes: ``/healthz`` (the process answers), ``/readyz`` (database and blob
store answer), ``/metrics`` (Prometheus text format)."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from ..db import DatabaseUnavailable
from ..metrics import metrics_response
from ..storage import BlobStoreError
from .context import context
from .parse import json_response

log = logging.getLogger(__name__)
_CHECK_TIMEOUT = 5.0


async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def _probe(name: str, check) -> tuple[str, str]:
    try:
        await asyncio.wait_for(check(), _CHECK_TIMEOUT)
    except (TimeoutError, DatabaseUnavailable, BlobStoreError, OSError) as exc:
        log.warning("readiness check %s failed: %s", name, exc)
        return name, "unavailable"
    return name, "ok"


async def readyz(request: web.Request) -> web.Response:
    ctx = context(request)
    checks = dict(await asyncio.gather(_probe("database", ctx.db.check), _probe("blob_store", ctx.store.check)))
    ready = all(v == "ok" for v in checks.values())
    return json_response({"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503)


async def metrics(request: web.Request) -> web.Response:
    return await metrics_response(context(request).metrics)
