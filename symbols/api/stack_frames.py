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
from typing import Any

from aiohttp import web

from ..db.events import stack_frames_by_raw_id
from ..db.symbol_sets import get_symbol_set, get_symbol_sets_by_refs
from .auth import READ, authorize
from .context import context
from .errors import ValidationError
from .parse import json_body, json_response, parse_uuid
from .serializers import release_json

MAX_IDS = 1000
MAX_ID_CHARS = 200
# Stable row ids: the table is keyed by (project, raw id).
_ID_NAMESPACE = uuid.UUID("6f1c7a52-0f8e-4a53-9a7e-2b8f4a1e9c3d")


def _raw_ids(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("invalid_input", "raw_ids must be a list of strings.", "raw_ids")
    if len(value) > MAX_IDS:
        raise ValidationError("invalid_input", f"At most {MAX_IDS} raw_ids per request.", "raw_ids")
    if any(len(v) > MAX_ID_CHARS for v in value):
        raise ValidationError("invalid_input", f"A raw id has at most {MAX_ID_CHARS} characters.", "raw_ids")
    ids = []
    for raw in value:
        head, _, part = raw.partition("/")
        if part in ("", "0"):
            ids.append(head)
    return sorted(set(ids))


async def batch_get(request: web.Request) -> web.Response:
    project_id = await authorize(request, READ)
    body = await json_body(request)
    raw_ids = _raw_ids(body.get("raw_ids"))
    symbol_set = body.get("symbol_set")
    if symbol_set is not None and (not isinstance(symbol_set, str) or parse_uuid(symbol_set) is None):
        raise ValidationError("invalid_input", "symbol_set must be a symbol set id.", "symbol_set")
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
