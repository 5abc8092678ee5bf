"""Uploads of symbol sets, without HTTP: plain values in, typed errors out.

Presigned (two steps): ``plan_start`` decides which sets of a batch need their bytes
sent and gives each a fresh blob key; the caller makes a presigned target per key, then
``apply_start`` creates or re-arms the rows. The client sends the bytes to the blob
store; ``finish`` HEAD-checks every object, enforces the size limit (an oversized
object and its row are deleted: ``TooLarge``) and records each content hash with its
processing job in one transaction.

The service's own upload route (``POST /uploads/``, for stores that cannot presign)
takes bytes for a key only while ``check_upload_open`` finds its set waiting for them.

Direct (one request): ``check_direct`` refuses a bad release before the body is read;
``store_direct`` stores the spooled file under a fresh key and records it with its job.

Rules (PostHog's): an orphan symbol set may join a release, a bound one never moves
(``release_id_mismatch``); equal content hashes skip the upload; a different hash is
refused (``content_hash_mismatch``) unless ``force`` (re-upload) or ``skip_on_conflict``
(keep the stored one); re-uploading stored content without a hash is refused
(``content_hash_required``). A placeholder (``db.symbol_sets.record_placeholders``) is
filled by the first upload of its chunk id, even one planned before it was recorded.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from ..db import Database
from ..db.jobs import enqueue_symbol_set_processing
from ..db.symbol_sets import (
    SymbolSet,
    awaits_upload,
    delete_symbol_sets,
    get_symbol_set_by_ref,
    get_symbol_sets,
    get_symbol_sets_by_refs,
    insert_symbol_set,
    record_upload,
    update_symbol_set,
)
from ..errors import InvalidInput, StateConflict, TooLarge
from ..storage import BlobStore
from .blobs import blob_key, discard_blobs
from .container import ContainerError, sniff
from .releases import require_releases

_HEAD_CONCURRENCY = 16


@dataclass(frozen=True)
class Upload:
    chunk_id: str
    release_id: str | None
    content_hash: str | None
    # The URL the script is served at (``~/path``: any scheme and host).
    url: str | None = None


def binds_release(existing: SymbolSet, release_id: str | None, *, keep_on_conflict: bool = False) -> bool:
    """Whether the upload attaches a release to an orphan set; a bound set never moves
    (``keep_on_conflict``: it keeps its release, else ``release_id_mismatch``)."""
    if release_id is None:
        return False
    if existing.release_id is None:
        return True
    if existing.release_id != release_id and not keep_on_conflict:
        raise InvalidInput(
            "release_id_mismatch", f"Symbol set {existing.ref} already belongs to another release.", "release_id"
        )
    return False


def same_content(existing: SymbolSet, upload: Upload) -> bool:
    return upload.content_hash is not None and existing.uploaded_at is not None and (
        existing.content_hash == upload.content_hash
    )


def needs_upload(existing: SymbolSet, upload: Upload, *, force: bool, skip_on_conflict: bool) -> bool:
    if upload.content_hash is None:
        if existing.content_hash is not None:
            raise InvalidInput(
                "content_hash_required",
                f"Symbol set {existing.ref} already has content; provide a content_hash to update it.",
                "content_hash",
            )
        return True
    if existing.content_hash is None:
        return True
    if existing.content_hash == upload.content_hash:
        return False
    if force:
        return True
    if skip_on_conflict:
        return False
    raise InvalidInput(
        "content_hash_mismatch", f"Symbol set {existing.ref} already exists with different content.", "content_hash"
    )


@dataclass
class StartPlan:
    project_id: int
    new: list[Upload] = field(default_factory=list)
    rearm: list[SymbolSet] = field(default_factory=list)
    bind: list[tuple[SymbolSet, str]] = field(default_factory=list)
    # existing sets whose script is now served at another URL
    moved: list[tuple[SymbolSet, str]] = field(default_factory=list)
    # chunk id -> the fresh blob key its bytes go to
    keys: dict[str, str] = field(default_factory=dict)


async def plan_start(
    db: Database,
    project_id: int,
    uploads: list[Upload],
    *,
    force: bool = False,
    skip_on_conflict: bool = False,
    skip_release_on_conflict: bool = False,
    always: bool = False,
) -> StartPlan:
    """Which sets need their bytes sent (``always``: every set, the single-set rule).

    A set bound to another release keeps it: with the same content it is skipped (as
    PostHog does), otherwise refused unless ``skip_release_on_conflict``."""
    async with db.connect() as conn:
        await require_releases(conn, project_id, (u.release_id for u in uploads))
        existing = await get_symbol_sets_by_refs(conn, project_id, [u.chunk_id for u in uploads])
    plan = StartPlan(project_id)
    for upload in uploads:
        current = existing.get(upload.chunk_id)
        if current is None:
            plan.new.append(upload)
            continue
        keep = skip_release_on_conflict or same_content(current, upload)
        if binds_release(current, upload.release_id, keep_on_conflict=keep):
            plan.bind.append((current, upload.release_id))
        if upload.url is not None and upload.url != current.url:
            plan.moved.append((current, upload.url))
        if always or needs_upload(current, upload, force=force, skip_on_conflict=skip_on_conflict):
            plan.rearm.append(current)
    refs = [u.chunk_id for u in plan.new] + [s.ref for s in plan.rearm]
    plan.keys = {ref: blob_key(project_id) for ref in refs}
    return plan


async def apply_start(db: Database, store: BlobStore, plan: StartPlan) -> dict[str, str]:
    """Create or re-arm the planned rows; ``{chunk_id: symbol_set_id}`` per key."""
    ids: dict[str, str] = {}
    async with db.begin() as conn:
        # The pipeline may have recorded a placeholder for a new chunk id since the plan.
        appeared = await get_symbol_sets_by_refs(conn, plan.project_id, [u.chunk_id for u in plan.new])
        for upload in plan.new:
            placeholder = appeared.get(upload.chunk_id)
            if placeholder is not None and placeholder.placeholder:
                ids[upload.chunk_id] = placeholder.id
                await update_symbol_set(conn, placeholder.id, storage_ptr=plan.keys[upload.chunk_id],
                                        release_id=upload.release_id, url=upload.url)
                continue
            ids[upload.chunk_id] = await insert_symbol_set(
                conn,
                project_id=plan.project_id,
                ref=upload.chunk_id,
                storage_ptr=plan.keys[upload.chunk_id],
                release_id=upload.release_id,
                url=upload.url,
            )
        for current, release_id in plan.bind:
            await update_symbol_set(conn, current.id, release_id=release_id)
        for current, url in plan.moved:
            await update_symbol_set(conn, current.id, url=url)
        for current in plan.rearm:
            ids[current.ref] = current.id
            await update_symbol_set(
                conn,
                current.id,
                storage_ptr=plan.keys[current.ref],
                content_hash=None,
                uploaded_at=None,
                size_bytes=None,
                failure_reason=None,
            )
    await discard_blobs(store, [s.storage_ptr for s in plan.rearm])
    return ids


async def finish(
    db: Database, store: BlobStore, project_id: int, content_hashes: dict[str, str], *, max_bytes: int
) -> None:
    """Record the uploaded objects of ``{symbol_set_id: content_hash}``."""
    async with db.connect() as conn:
        sets = await get_symbol_sets(conn, project_id, content_hashes)
    missing = sorted(set(content_hashes) - {s.id for s in sets})
    if missing:
        raise InvalidInput(
            "symbol_set_not_found", f"Unknown symbol set IDs: {', '.join(missing)}", "content_hashes"
        )

    limiter = asyncio.Semaphore(_HEAD_CONCURRENCY)

    async def head(ptr: str | None):
        if ptr is None:
            return None
        async with limiter:
            return await store.head(ptr)

    infos = await asyncio.gather(*(head(s.storage_ptr) for s in sets))
    absent = [s.id for s, info in zip(sets, infos) if info is None]
    if absent:
        raise InvalidInput(
            "file_not_found", f"No file has been uploaded for symbol sets: {', '.join(absent)}", "content_hashes"
        )
    oversized = [s for s, info in zip(sets, infos) if info.size > max_bytes]
    if oversized:
        await discard_blobs(store, [s.storage_ptr for s in oversized])
        async with db.begin() as conn:
            await delete_symbol_sets(conn, project_id, [s.id for s in oversized])
        raise TooLarge(
            "file_too_large", f"The uploaded file is larger than the limit of {max_bytes} bytes.", "content_hashes"
        )

    async with db.begin() as conn:
        for symbol_set, info in zip(sets, infos):
            content_hash = content_hashes[symbol_set.id]
            if symbol_set.uploaded_at and symbol_set.content_hash:
                continue  # finished before: its hash stays (PostHog sets it only when empty)
            await record_upload(
                conn,
                symbol_set.id,
                storage_ptr=symbol_set.storage_ptr,
                content_hash=content_hash,
                size_bytes=info.size,
                release_id=symbol_set.release_id,
            )
            await enqueue_symbol_set_processing(conn, symbol_set.id, project_id)


async def check_upload_open(db: Database, key: str) -> None:
    """Refuse bytes for ``key`` unless its symbol set waits for them: a presigned policy
    cannot be replayed after ``finish_upload`` (the blob would change under its
    content_hash and index) nor after a DELETE (it would recreate an orphan blob)."""
    async with db.connect() as conn:
        if not await awaits_upload(conn, key):
            raise StateConflict("upload_closed", "This upload is finished or its symbol set was deleted; "
                                                "start a new upload.", "policy")


async def check_direct(db: Database, project_id: int, chunk_id: str, release_id: str | None) -> SymbolSet | None:
    """The set a direct upload replaces (None: a new one), once its release is acceptable."""
    async with db.connect() as conn:
        await require_releases(conn, project_id, [release_id])
        existing = await get_symbol_set_by_ref(conn, project_id, chunk_id)
    if existing is not None:
        binds_release(existing, release_id)
    return existing


@dataclass(frozen=True)
class SpooledFile:
    """A received file on local disk, hashed while it was written."""

    path: Path
    size: int
    sha512: str
    head: bytes


async def store_direct(
    db: Database,
    store: BlobStore,
    project_id: int,
    chunk_id: str,
    release_id: str | None,
    existing: SymbolSet | None,
    spooled: SpooledFile,
) -> tuple[str, bool]:
    """(symbol set id, whether the bytes were stored); identical content is a no-op.
    The row and its job are written after the blob; a failed write removes the blob."""
    try:
        sniff(spooled.head)
    except ContainerError as exc:
        raise InvalidInput(exc.code, str(exc), "file") from None
    if existing is not None and existing.uploaded_at and existing.content_hash == spooled.sha512:
        return existing.id, False
    key = blob_key(project_id)
    await store.put_file(key, spooled.path)
    try:
        async with db.begin() as conn:
            current = await get_symbol_set_by_ref(conn, project_id, chunk_id)
            symbol_set_id = await _record_direct(conn, project_id, chunk_id, release_id, current, key, spooled)
            await enqueue_symbol_set_processing(conn, symbol_set_id, project_id)
    except BaseException:
        await discard_blobs(store, [key])
        raise
    if current is not None and current.storage_ptr not in (None, key):
        await discard_blobs(store, [current.storage_ptr])
    return symbol_set_id, True


async def _record_direct(conn, project_id, chunk_id, release_id, current: SymbolSet | None, key, spooled) -> str:
    if current is None:
        return await insert_symbol_set(
            conn,
            project_id=project_id,
            ref=chunk_id,
            storage_ptr=key,
            release_id=release_id,
            content_hash=spooled.sha512,
            size_bytes=spooled.size,
        )
    bind = binds_release(current, release_id)
    await record_upload(
        conn,
        current.id,
        storage_ptr=key,
        content_hash=spooled.sha512,
        size_bytes=spooled.size,
        release_id=release_id if bind else current.release_id,
    )
    return current.id
