"""Upload request fields, parsed and bounded: chunk ids, batches, content hashes."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..db.types import parse_uuid
from ..symbol_sets.upload import Upload
from .errors import ValidationError
from .models import Flag, ReleaseId, text
from .operation import Code, invalid

# Symbol sets per bulk request (bulk_start_upload, bulk_finish_upload, bulk_delete).
MAX_BATCH = 1000
MAX_REF_LENGTH = 400
MAX_HASH_LENGTH = 128

ChunkId = text(MAX_REF_LENGTH, code="invalid_chunk_ids")
ContentHash = text(MAX_HASH_LENGTH)
# Finishing an upload: a missing or bad hash is content_hash_required.
FinishHash = text(MAX_HASH_LENGTH, code="content_hash_required")


def _too_many() -> ValidationError:
    return ValidationError("too_many_symbol_sets", f"At most {MAX_BATCH} symbol sets per request.", "symbol_sets")


def _bounded(value: Any) -> Any:
    if value is not None and len(value) > MAX_BATCH:
        raise invalid("too_many_symbol_sets", f"At most {MAX_BATCH} symbol sets per request.")
    return value


def bounded(tp: Any) -> Any:
    """``tp`` (a list or an object) of at most MAX_BATCH items, else too_many_symbol_sets."""
    return Annotated[tp, AfterValidator(_bounded), Field(json_schema_extra={"maxItems": MAX_BATCH})]


class UploadEntry(BaseModel):
    chunk_id: ChunkId
    release_id: ReleaseId = None
    content_hash: ContentHash | None = Field(
        None, description="SHA-512 hex of the file: identical content is skipped, different content refused."
    )


class BulkStart(BaseModel):
    """``symbol_sets`` entries, or the legacy ``chunk_ids`` + ``release_id`` form."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"symbol_sets": [{"chunk_id": "chunk-01", "release_id": None, "content_hash": None}]}]
        }
    )

    symbol_sets: bounded(list[UploadEntry] | None) = None
    chunk_ids: bounded(list[ChunkId] | None) = None
    release_id: ReleaseId = Field(None, description="The release of every set in chunk_ids.")
    force: Flag = Field(False, description="Replace stored content that differs.")
    skip_on_conflict: Flag = Field(False, description="Leave sets whose stored content differs out.")

    def uploads(self) -> list[Upload]:
        entries = [Upload(e.chunk_id, e.release_id, e.content_hash) for e in self.symbol_sets or []]
        entries += [Upload(c, self.release_id, None) for c in self.chunk_ids or []]
        if len(entries) > MAX_BATCH:
            raise _too_many()
        duplicates = sorted(c for c, n in Counter(u.chunk_id for u in entries).items() if n > 1)
        if duplicates:
            raise ValidationError(
                "invalid_chunk_ids", f"Duplicate chunk IDs provided: {', '.join(duplicates)}", "symbol_sets"
            )
        return entries


def _content_hashes(value: dict) -> dict[str, str]:
    """Canonical ids (an unknown form: symbol_set_not_found)."""
    parsed = {}
    for raw_id, content_hash in value.items():
        set_id = parse_uuid(raw_id)
        if set_id is None:
            raise invalid("symbol_set_not_found", f"Unknown symbol set ID: {raw_id[:100]}")
        parsed[set_id] = content_hash
    return parsed


class BulkFinish(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"content_hashes": {"01968a1e-7a00-7000-8000-000000000001": "9f86d0…"}}]}
    )

    content_hashes: Annotated[
        bounded(dict[str, FinishHash]), AfterValidator(_content_hashes), Code("content_hash_required")
    ] = Field(description="{symbol_set_id: content_hash} of the files sent.")


class Finish(BaseModel):
    content_hash: FinishHash


class UploadQuery(BaseModel):
    chunk_id: ChunkId
    release_id: ReleaseId = None
