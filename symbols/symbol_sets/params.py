"""Upload request parameters, parsed and bounded: chunk ids, release ids, content hashes
(the API's bulk routes and the pages' upload send the same bodies)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..db.types import parse_uuid
from ..errors import InvalidInput
from .upload import Upload

# Symbol sets per bulk request (bulk_start_upload, bulk_finish_upload, bulk_delete).
MAX_BATCH = 1000
MAX_REF_LENGTH = 400
MAX_HASH_LENGTH = 128
MAX_URL_LENGTH = 1000


def text(value: Any, attr: str, *, max_length: int, required: bool = True, code: str = "invalid_input") -> str | None:
    """A bounded, non-blank string (None when absent and not ``required``)."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(code, f"{attr} must be a non-empty string.", attr)
    if len(value) > max_length:
        raise InvalidInput(code, f"{attr} must be at most {max_length} characters.", attr)
    if "\x00" in value:
        raise InvalidInput(code, f"{attr} must not contain a NUL character.", attr)
    return value


def release_param(value: Any) -> str | None:
    """A release id as given by a client: absent, or a UUID (else ``invalid_release_id``)."""
    if value is None or value == "":
        return None
    release_id = parse_uuid(value)
    if release_id is None:
        raise InvalidInput("invalid_release_id", f"Invalid release ID provided: {value!r}", "release_id")
    return release_id


def chunk_id_param(value: Any) -> str:
    return text(value, "chunk_id", max_length=MAX_REF_LENGTH, code="invalid_chunk_ids")


def url_param(value: Any) -> str | None:
    """A script's URL: absent, ``~/path`` (any scheme and host), ``http(s)://...`` or ``/path``;
    no query string or fragment (frames are matched without them)."""
    if value is None:
        return None
    url = text(value, "url", max_length=MAX_URL_LENGTH, code="invalid_url")
    if not url.startswith(("~/", "/", "http://", "https://")) or any(c in url for c in "?# \t\r\n"):
        raise InvalidInput(
            "invalid_url", "url must be ~/path, /path or an http(s) URL without query or fragment.", "url"
        )
    return url


def check_batch_size(count: int, attr: str) -> None:
    if count > MAX_BATCH:
        raise InvalidInput("too_many_symbol_sets", f"At most {MAX_BATCH} symbol sets per request.", attr)


def parse_uploads(body: dict) -> list[Upload]:
    """``symbol_sets`` entries plus the legacy ``chunk_ids`` + ``release_id`` form."""
    sets = body.get("symbol_sets") or []
    legacy = body.get("chunk_ids") or []
    if not isinstance(sets, list) or not isinstance(legacy, list):
        raise InvalidInput("invalid_input", "symbol_sets and chunk_ids must be lists.", "symbol_sets")
    check_batch_size(len(sets) + len(legacy), "symbol_sets")
    uploads = []
    for entry in sets:
        if not isinstance(entry, dict):
            raise InvalidInput("invalid_input", "Each symbol set must be an object.", "symbol_sets")
        content_hash = entry.get("content_hash")
        if content_hash is not None:
            content_hash = text(content_hash, "content_hash", max_length=MAX_HASH_LENGTH)
        uploads.append(Upload(
            chunk_id_param(entry.get("chunk_id")), release_param(entry.get("release_id")), content_hash,
            url_param(entry.get("url")),
        ))
    legacy_release = release_param(body.get("release_id"))
    uploads.extend(Upload(chunk_id_param(c), legacy_release, None) for c in legacy)
    duplicates = sorted(c for c, n in Counter(u.chunk_id for u in uploads).items() if n > 1)
    if duplicates:
        raise InvalidInput(
            "invalid_chunk_ids", f"Duplicate chunk IDs provided: {', '.join(duplicates)}", "symbol_sets"
        )
    return uploads


def parse_content_hashes(content_hashes: dict) -> dict[str, str]:
    """``{symbol_set_id: content_hash}`` with canonical ids and bounded hashes."""
    parsed = {}
    for raw_id, content_hash in content_hashes.items():
        set_id = parse_uuid(raw_id)
        if set_id is None:
            raise InvalidInput("symbol_set_not_found", f"Unknown symbol set ID: {raw_id}", "content_hashes")
        parsed[set_id] = text(content_hash, "content_hash", max_length=MAX_HASH_LENGTH, code="content_hash_required")
    return parsed
