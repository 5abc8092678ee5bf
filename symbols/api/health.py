"""Operational routes: ``/healthz`` (the process answers), ``/readyz`` (database and blob
store answer), ``/metrics`` (Prometheus text format)."""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field

from ..db import DatabaseUnavailable
from ..metrics import metrics_response
from ..storage import BlobStoreError
from .context import context
from .operation import Input, Media, operation
from .parse import json_response

log = logging.getLogger(__name__)
_CHECK_TIMEOUT = 5.0
_OPS = ("operations",)


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, Literal["ok", "unavailable"]] = Field(description="database and blob_store.")


@operation("The process answers", scope=None, responses={200: Health}, tags=_OPS)
async def healthz(request: web.Request, inp: Input) -> web.Response:
    return json_response({"status": "ok"})


async def _probe(name: str, check) -> tuple[str, str]:
    try:
        await asyncio.wait_for(check(), _CHECK_TIMEOUT)
    except (TimeoutError, DatabaseUnavailable, BlobStoreError, OSError) as exc:
        log.warning("readiness check %s failed: %s", name, exc)
        return name, "unavailable"
    return name, "ok"


@operation(
    "The database and the blob store answer", scope=None, responses={200: Ready, 503: Ready}, tags=_OPS
)
async def readyz(request: web.Request, inp: Input) -> web.Response:
    ctx = context(request)
    checks = dict(await asyncio.gather(_probe("database", ctx.db.check), _probe("blob_store", ctx.store.check)))
    ready = all(v == "ok" for v in checks.values())
    return json_response({"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503)


@operation(
    "Prometheus metrics", scope=None, responses={200: Media("text/plain", {"type": "string"})}, tags=_OPS,
    description="The Prometheus text exposition format (requests, uploads, jobs, cache, resolution).",
)
async def metrics(request: web.Request, inp: Input) -> web.Response:
    return await metrics_response(context(request).metrics)
