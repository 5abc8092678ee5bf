"""The upload routes' request models. Their rules are ``symbols.symbol_sets.params``'
(shared with the pages' upload), run by the models' validators."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..symbol_sets import params
from ..symbol_sets.params import MAX_BATCH, MAX_HASH_LENGTH, MAX_REF_LENGTH, MAX_URL_LENGTH
from ..symbol_sets.upload import Upload
from .models import Flag, ReleaseId, text
from .operation import Code, invalid

ChunkId = text(MAX_REF_LENGTH, code="invalid_chunk_ids")
ContentHash = text(MAX_HASH_LENGTH)
Url = text(MAX_URL_LENGTH, code="invalid_url")
# Finishing an upload: a missing or bad hash is content_hash_required.
FinishHash = text(MAX_HASH_LENGTH, code="content_hash_required")


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
    url: Url | None = Field(
        None, description="Where the script is served: `~/path` (any scheme and host), `/path` or an http(s) URL."
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
    skip_release_on_conflict: Flag = Field(
        False, description="A set bound to another release keeps it instead of release_id_mismatch."
    )

    def uploads(self) -> list[Upload]:
        """The uploads asked for (duplicate chunk ids: invalid_chunk_ids)."""
        return params.parse_uploads(self.model_dump(include={"symbol_sets", "chunk_ids", "release_id"}))


class BulkFinish(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"content_hashes": {"01968a1e-7a00-7000-8000-000000000001": "9f86d0…"}}]}
    )

    content_hashes: Annotated[bounded(dict[str, FinishHash]), Code("content_hash_required")] = Field(
        description="{symbol_set_id: content_hash} of the files sent."
    )


class Finish(BaseModel):
    content_hash: FinishHash


class UploadQuery(BaseModel):
    chunk_id: ChunkId
    release_id: ReleaseId = None
