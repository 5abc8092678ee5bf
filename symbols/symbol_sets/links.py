"""URLs to move a symbol set's bytes: presigned POST targets and download links, for the
API and the pages alike.

URLs come from the store itself (S3 presigned POST/GET) or, for the local store and
with ``settings.upload_proxy``, point at this service with an HMAC-signed token. Both
expire after ``settings.presign_expiry_seconds`` (``SYMBOLS_PRESIGN_EXPIRY_SECONDS``).
"""

from __future__ import annotations

from dataclasses import dataclass

from yarl import URL

from ..config import Settings
from ..db import Database
from ..db.symbol_sets import SymbolSet
from ..signing import Signer
from ..storage import BlobStore
from . import upload as uploads_
from .upload import Upload

UPLOAD_PATH = "/uploads/"
DOWNLOAD_PATH = "/downloads/"


@dataclass(frozen=True)
class Links:
    settings: Settings
    store: BlobStore
    signer: Signer

    async def upload_target(self, base_url: str, key: str) -> dict:
        """``{"url", "fields"}`` for a browser-style POST of the file to ``key``."""
        settings = self.settings
        if not settings.upload_proxy:
            post = await self.store.presigned_post(key, settings.max_upload_bytes, settings.presign_expiry_seconds)
            if post is not None:
                return {"url": post.url, "fields": dict(post.fields)}
        policy = self.signer.sign({"key": key, "max": settings.max_upload_bytes}, settings.presign_expiry_seconds)
        return {"url": base_url + UPLOAD_PATH, "fields": {"key": key, "policy": policy}}

    async def download_url(self, base_url: str, symbol_set: SymbolSet) -> str:
        key = symbol_set.storage_ptr
        expiry = self.settings.presign_expiry_seconds
        if not self.settings.upload_proxy:
            url = await self.store.presigned_get_url(key, expiry)
            if url is not None:
                return url
        token = self.signer.sign({"get": key}, expiry)
        return str(URL(base_url + DOWNLOAD_PATH).with_query(token=token))

    async def start_uploads(self, db: Database, base_url: str, project_id: int, uploads: list[Upload],
                            **rules: bool) -> dict[str, dict]:
        """``{chunk_id: {presigned_url, symbol_set_id}}`` for each set whose bytes must be
        sent (``bulk_start_upload``'s answer; ``rules`` as ``upload.plan_start``'s)."""
        plan = await uploads_.plan_start(db, project_id, uploads, **rules)
        # Targets before any write: a store that cannot sign changes nothing.
        targets = {ref: await self.upload_target(base_url, key) for ref, key in plan.keys.items()}
        ids = await uploads_.apply_start(db, self.store, plan)
        return {ref: {"presigned_url": targets[ref], "symbol_set_id": ids[ref]} for ref in plan.keys}
