"""Which symbol sets of an upload batch need their bytes sent, and which conflicts refuse it.

Rules (PostHog's): an orphan symbol set may join a release, a bound one never moves
(``release_id_mismatch``); equal content hashes skip the upload; a different hash is
refused (``content_hash_mismatch``) unless ``force`` (re-upload) or ``skip_on_conflict``
(keep the stored one); re-uploading stored content without a hash is refused
(``content_hash_required``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..db.symbol_sets import SymbolSet
from ..db.types import parse_uuid
from .errors import ValidationError
from .parse import text

# Symbol sets per bulk request (bulk_start_upload, bulk_finish_upload, bulk_delete).
MAX_BATCH = 1000
MAX_REF_LENGTH = 400
MAX_HASH_LENGTH = 128


@dataclass(frozen=True)
class Upload:
    chunk_id: str
    release_id: str | None
    content_hash: str | None


def release_param(value: Any) -> str | None:
    """A release id as given by a client: absent, or a UUID (else ``invalid_release_id``)."""
    if value is None or value == "":
        return None
    release_id = parse_uuid(value)
    if release_id is None:
        raise ValidationError("invalid_release_id", f"Invalid release ID provided: {value!r}", "release_id")
    return release_id


def chunk_id_param(value: Any) -> str:
    return text(value, "chunk_id", max_length=MAX_REF_LENGTH, code="invalid_chunk_ids")


def check_batch_size(count: int, attr: str) -> None:
    if count > MAX_BATCH:
        raise ValidationError("too_many_symbol_sets", f"At most {MAX_BATCH} symbol sets per request.", attr)


def parse_uploads(body: dict) -> list[Upload]:
    """``symbol_sets`` entries plus the legacy ``chunk_ids`` + ``release_id`` form."""
    sets = body.get("symbol_sets") or []
    legacy = body.get("chunk_ids") or []
    if not isinstance(sets, list) or not isinstance(legacy, list):
        raise ValidationError("invalid_input", "symbol_sets and chunk_ids must be lists.", "symbol_sets")
    check_batch_size(len(sets) + len(legacy), "symbol_sets")
    uploads = []
    for entry in sets:
        if not isinstance(entry, dict):
            raise ValidationError("invalid_input", "Each symbol set must be an object.", "symbol_sets")
        content_hash = entry.get("content_hash")
        if content_hash is not None:
            content_hash = text(content_hash, "content_hash", max_length=MAX_HASH_LENGTH)
        uploads.append(
            Upload(chunk_id_param(entry.get("chunk_id")), release_param(entry.get("release_id")), content_hash)
        )
    legacy_release = release_param(body.get("release_id"))
    uploads.extend(Upload(chunk_id_param(c), legacy_release, None) for c in legacy)
    duplicates = sorted(c for c, n in Counter(u.chunk_id for u in uploads).items() if n > 1)
    if duplicates:
        raise ValidationError(
            "invalid_chunk_ids", f"Duplicate chunk IDs provided: {', '.join(duplicates)}", "symbol_sets"
        )
    return uploads


def binds_release(existing: SymbolSet, release_id: str | None) -> bool:
    """Whether the upload attaches a release to an orphan set; a bound set never moves."""
    if release_id is None:
        return False
    if existing.release_id is None:
        return True
    if existing.release_id != release_id:
        raise ValidationError(
            "release_id_mismatch", f"Symbol set {existing.ref} already belongs to another release.", "release_id"
        )
    return False


def needs_upload(existing: SymbolSet, upload: Upload, *, force: bool, skip_on_conflict: bool) -> bool:
    if upload.content_hash is None:
        if existing.content_hash is not None:
            raise ValidationError(
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
    raise ValidationError(
        "content_hash_mismatch", f"Symbol set {existing.ref} already exists with different content.", "content_hash"
    )
