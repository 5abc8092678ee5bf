"""``POST stack_frames/batch_get/``: the frames the pipeline stored, by raw id (PostHog's).

Body ``{"raw_ids": [...], "symbol_set": "<symbol set id>"?}``; ``raw_ids`` are the frames'
``raw_id`` as in the events' ``$exception_list`` (PostHog's newer ``<hash>/<part>`` form is
accepted: a frame here has one part, ``0``). Answers ``{"results": [...]}``, each
``{id, raw_id, created_at, contents, resolved, context, symbol_set_ref, release}``. At most
1000 ids of at most 200 characters. Scope ``error_tracking:read``; another project's
frames are never seen.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, BeforeValidator, ConfigDict, WithJsonSchema

from ..db.events import stack_frames_by_raw_id
from ..db.symbol_sets import get_symbol_set, get_symbol_sets_by_refs
from ..db.types import parse_uuid
from .auth import READ
from .context import context
from .models import Release, Uuid
from .operation import Input, invalid, operation
from .parse import json_response
from .serializers import release_json

MAX_IDS = 1000
MAX_ID_CHARS = 200
# Stable row ids: the table is keyed by (project, raw id).
_ID_NAMESPACE = uuid.UUID("6f1c7a52-0f8e-4a53-9a7e-2b8f4a1e9c3d")


def _raw_ids(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid("invalid_input", "raw_ids must be a list of strings.")
    if len(value) > MAX_IDS:
        raise invalid("invalid_input", f"At most {MAX_IDS} raw_ids per request.")
    if any(len(v) > MAX_ID_CHARS for v in value):
        raise invalid("invalid_input", f"A raw id has at most {MAX_ID_CHARS} characters.")
    ids = []
    for raw in value:
        head, _, part = raw.partition("/")
        if part in ("", "0"):
            ids.append(head)
    return sorted(set(ids))


def _symbol_set(value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or parse_uuid(value) is None):
        raise invalid("invalid_input", "symbol_set must be a symbol set id.")
    return value


class BatchGet(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"raw_ids": ["bb6b55deb027d5fdea4fcb66112e63ae"]}]})

    raw_ids: Annotated[
        list[str],
        BeforeValidator(_raw_ids),
        WithJsonSchema({
            "type": "array", "maxItems": MAX_IDS, "items": {"type": "string", "maxLength": MAX_ID_CHARS},
            "description": "The frames' raw_id (or PostHog's `<raw_id>/0`).",
        }),
    ] = []
    symbol_set: Annotated[str | None, BeforeValidator(_symbol_set), WithJsonSchema(
        {"anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}], "description": "Only its frames."}
    )] = None


class StoredFrame(BaseModel):
    id: Uuid
    raw_id: str
    created_at: datetime
    contents: dict[str, Any]
    resolved: bool
    context: dict[str, Any] | None
    symbol_set_ref: str | None
    release: Release | None


class StoredFrames(BaseModel):
    results: list[StoredFrame]


@operation("Stored stack frames by raw id", scope=READ, body=BatchGet, responses={200: StoredFrames})
async def batch_get(request: web.Request, inp: Input[None, None, BatchGet]) -> web.Response:
    project_id = inp.project_id
    raw_ids, symbol_set = inp.body.raw_ids, inp.body.symbol_set
    async with context(request).db.connect() as conn:
        rows = await stack_frames_by_raw_id(conn, project_id, raw_ids)
        if symbol_set is not None:
            found = await get_symbol_set(conn, symbol_set, project_id=project_id)
            rows = [r for r in rows if found is not None and r.symbol_set_ref == found.ref]
        sets = await get_symbol_sets_by_refs(conn, project_id, {r.symbol_set_ref for r in rows if r.symbol_set_ref})
    results = []
    for row in sorted(rows, key=lambda r: r.raw_id):
        linked = sets.get(row.symbol_set_ref) if row.symbol_set_ref else None
        results.append({
            "id": str(uuid.uuid5(_ID_NAMESPACE, f"{project_id}/{row.raw_id}")),
            "raw_id": row.raw_id,
            "created_at": row.created_at,
            "contents": row.contents,
            "resolved": row.resolved,
            "context": row.context,
            "symbol_set_ref": row.symbol_set_ref,
            "release": release_json(linked.release) if linked is not None and linked.release else None,
        })
    return json_response({"results": results})


__all__ = ["batch_get"]
