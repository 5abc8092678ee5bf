"""URLs to move a symbol set's bytes: presigned POST targets and download links.

URLs come from the store itself (S3 presigned POST/GET) or, for the local store and
with ``settings.upload_proxy``, point at this service with an HMAC-signed token. Both
expire after ``settings.presign_expiry_seconds`` (``SYMBOLS_PRESIGN_EXPIRY_SECONDS``).
"""

from __future__ import annotations

from aiohttp import web
from yarl import URL

from ..db.symbol_sets import SymbolSet
from .context import AppContext

UPLOAD_PATH = "/uploads/"
DOWNLOAD_PATH = "/downloads/"


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
    expiry = ctx.settings.presign_expiry_seconds
    if not ctx.settings.upload_proxy:
        url = await ctx.store.presigned_get_url(key, expiry)
        if url is not None:
            return url
    token = ctx.signer.sign({"get": key}, expiry)
    return str(URL(ctx.base_url(request) + DOWNLOAD_PATH).with_query(token=token))
