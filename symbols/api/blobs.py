"""Blob operations the handlers need: storing, removing, and URLs to move bytes.

URLs come from the store itself (S3 presigned POST/GET) or, for the local store and
with ``settings.upload_proxy``, point at this service with an HMAC-signed token.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiohttp import web
from yarl import URL

from ..db.symbol_sets import SymbolSet
from .context import AppContext

log = logging.getLogger(__name__)

UPLOAD_PATH = "/uploads/"
DOWNLOAD_PATH = "/downloads/"
DOWNLOAD_EXPIRY_SECONDS = 3600


def blob_and_index_keys(ptrs: Iterable[str | None]) -> list[str]:
    return [key for ptr in ptrs if ptr for key in (ptr, f"{ptr}.index")]


async def delete_blobs(ctx: AppContext, ptrs: Iterable[str | None]) -> None:
    """Remove blobs and their indexes; raises BlobStoreUnavailable."""
    keys = blob_and_index_keys(ptrs)
    if keys:
        await ctx.store.delete_many(keys)


async def discard_blobs(ctx: AppContext, ptrs: Iterable[str | None]) -> None:
    """Best-effort cleanup after the fact: failures are logged, never raised."""
    ptrs = list(ptrs)
    try:
        await delete_blobs(ctx, ptrs)
    except Exception:
        log.exception("could not remove blobs %s", list(ptrs))


async def upload_target(ctx: AppContext, request: web.Request, key: str) -> dict:
    """``{"url", "fields"}`` for a browser-style POST of the file to ``key``."""
    settings = ctx.settings
    if not settings.upload_proxy:
        post = await ctx.store.presigned_post(key, settings.max_upload_bytes, settings.presign_expiry_seconds)
        if post is not None:
            return {"url": post.url, "fields": dict(post.fields)}
    policy = ctx.signer.sign({"key": key, "max": settings.max_upload_bytes}, settings.presign_expiry_seconds)
    return {"url": ctx.base_url(request) + UPLOAD_PATH, "fields": {"key": key, "policy": policy}}


async def download_url(ctx: AppContext, request: web.Request, symbol_set: SymbolSet) -> str:
    key = symbol_set.storage_ptr
    if not ctx.settings.upload_proxy:
        url = await ctx.store.presigned_get_url(key, DOWNLOAD_EXPIRY_SECONDS)
        if url is not None:
            return url
    token = ctx.signer.sign({"get": key}, DOWNLOAD_EXPIRY_SECONDS)
    return str(URL(ctx.base_url(request) + DOWNLOAD_PATH).with_query(token=token))
