"""Symbol set rows: one per uploaded source map, unique by (project, ref)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .releases import Release, release_from_row
from .tables import projects, releases, symbol_sets
from .types import new_uuid, utcnow
from .upsert import insert_ignoring_conflicts


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's wildcards in ``text`` escaped (escape character ``\\``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# order_by values accepted by list_symbol_sets ("-" for descending); nulls (never used)
# sort last either way, on every database; created_at then id break ties so pages
# are stable.
ORDERINGS = ("created_at", "-created_at", "ref", "-ref", "last_used", "-last_used")
STATUSES = ("all", "valid", "invalid")


@dataclass(frozen=True)
class SymbolSet:
    id: str
    team_id: int
    ref: str
    storage_ptr: str | None
    content_hash: str | None
    failure_reason: str | None
    created_at: datetime
    last_used: datetime | None
    release_id: str | None
    uploaded_at: datetime | None
    size_bytes: int | None
    release: Release | None = None
    processed_at: datetime | None = None
    url: str | None = None

    @property
    def placeholder(self) -> bool:
        """A row for a chunk id that frames asked for and nobody uploaded yet
        (``record_placeholders``): no file, no failure; never a set to resolve with."""
        return self.storage_ptr is None and self.failure_reason is None


_release_cols = [c.label(f"rel_{c.name}") for c in releases.c]


def _select():
    return select(symbol_sets, *_release_cols).select_from(
        symbol_sets.outerjoin(releases, releases.c.id == symbol_sets.c.release_id)
    )


def _from_row(row: Any) -> SymbolSet:
    release = None
    if row.rel_id is not None:
        release = release_from_row(SimpleNamespace(**{c.name: getattr(row, f"rel_{c.name}") for c in releases.c}))
    return SymbolSet(
        id=row.id,
        team_id=row.team_id,
        ref=row.ref,
        storage_ptr=row.storage_ptr,
        content_hash=row.content_hash,
        failure_reason=row.failure_reason,
        created_at=row.created_at,
        last_used=row.last_used,
        release_id=row.release_id,
        uploaded_at=row.uploaded_at,
        size_bytes=row.size_bytes,
        release=release,
        processed_at=row.processed_at,
        url=row.url,
    )


def url_keys(url: str) -> list[str]:
    """The stored ``url`` values a script URL matches: itself, and for an ``http(s)`` URL
    ``~`` + its path (any scheme and host)."""
    keys = [url]
    parts = urlsplit(url)
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        keys.append("~" + (parts.path or "/"))
    elif url.startswith("/"):
        keys.append("~" + url)
    return keys


async def get_symbol_sets_by_urls(
    conn: AsyncConnection, project_id: int, urls: Iterable[str], *, release_id: str | None = None
) -> dict[str, SymbolSet]:
    """``{script URL: set}`` for the sets recorded at those URLs (``url_keys``). Where several
    sets share a URL (builds of several releases): the one of ``release_id``, else the newest."""
    wanted = {url: url_keys(url) for url in urls if "\x00" not in url}
    stored = sorted({k for keys in wanted.values() for k in keys})
    if not stored:
        return {}
    rows = await conn.execute(
        _select()
        .where(symbol_sets.c.team_id == project_id, symbol_sets.c.url.in_(stored))
        .order_by(symbol_sets.c.created_at.desc(), symbol_sets.c.id.desc())
    )
    best: dict[str, SymbolSet] = {}
    for found in map(_from_row, rows):
        current = best.get(found.url)
        if current is None or (release_id is not None and found.release_id == release_id != current.release_id):
            best[found.url] = found
    out = {}
    for url, keys in wanted.items():
        match = next((best[k] for k in keys if k in best), None)
        if match is not None:
            out[url] = match
    return out


async def get_symbol_set(
    conn: AsyncConnection, symbol_set_id: str, *, project_id: int | None = None
) -> SymbolSet | None:
    """One symbol set by id; with ``project_id``, only if it belongs to that project."""
    query = _select().where(symbol_sets.c.id == symbol_set_id)
    if project_id is not None:
        query = query.where(symbol_sets.c.team_id == project_id)
    row = (await conn.execute(query)).first()
    return _from_row(row) if row else None


async def get_symbol_set_by_ref(conn: AsyncConnection, project_id: int, ref: str) -> SymbolSet | None:
    row = (
        await conn.execute(_select().where(symbol_sets.c.team_id == project_id, symbol_sets.c.ref == ref))
    ).first()
    return _from_row(row) if row else None


async def get_symbol_sets_by_refs(
    conn: AsyncConnection, project_id: int, refs: Iterable[str]
) -> dict[str, SymbolSet]:
    # No stored ref holds a NUL (refused on input), and PostgreSQL refuses one in a query.
    refs = sorted({r for r in refs if "\x00" not in r})
    if not refs:
        return {}
    rows = await conn.execute(_select().where(symbol_sets.c.team_id == project_id, symbol_sets.c.ref.in_(refs)))
    return {s.ref: s for s in map(_from_row, rows)}


async def awaits_upload(conn: AsyncConnection, storage_ptr: str) -> bool:
    """Whether a symbol set waits for its blob at ``storage_ptr`` (started, not finished)."""
    row = await conn.execute(
        select(symbol_sets.c.id).where(symbol_sets.c.storage_ptr == storage_ptr, symbol_sets.c.uploaded_at.is_(None))
    )
    return row.first() is not None


async def get_symbol_sets(conn: AsyncConnection, project_id: int, ids: Iterable[str]) -> list[SymbolSet]:
    ids = sorted(set(ids))
    if not ids:
        return []
    rows = await conn.execute(
        _select().where(symbol_sets.c.team_id == project_id, symbol_sets.c.id.in_(ids)).order_by(symbol_sets.c.id)
    )
    return [_from_row(r) for r in rows]


async def list_symbol_sets(
    conn: AsyncConnection,
    project_id: int,
    *,
    ref: str | None = None,
    search: str | None = None,
    release_id: str | None = None,
    status: str = "all",
    order_by: str = "-created_at",
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[SymbolSet], int]:
    """A page of a project's symbol sets and the total matching count.

    ``status``: ``valid`` = a blob is recorded and no failure_reason; ``invalid`` = the rest.
    ``search``: part of the ref, any case (PostHog's ``ref__icontains``).
    """
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}")
    if order_by not in ORDERINGS:
        raise ValueError(f"order_by must be one of {ORDERINGS}")
    conditions = [symbol_sets.c.team_id == project_id]
    if ref is not None:
        conditions.append(symbol_sets.c.ref == ref)
    if search:
        conditions.append(symbol_sets.c.ref.ilike(like_pattern(search), escape="\\"))
    if release_id is not None:
        conditions.append(symbol_sets.c.release_id == release_id)
    valid = and_(symbol_sets.c.storage_ptr.is_not(None), symbol_sets.c.failure_reason.is_(None))
    if status == "valid":
        conditions.append(valid)
    elif status == "invalid":
        conditions.append(or_(symbol_sets.c.storage_ptr.is_(None), symbol_sets.c.failure_reason.is_not(None)))
    where = and_(*conditions)
    count = (await conn.execute(select(func.count()).select_from(symbol_sets).where(where))).scalar_one()
    column = symbol_sets.c[order_by.lstrip("-")]
    descending = order_by.startswith("-")
    order = [(column.desc() if descending else column.asc()).nulls_last()]
    for tie in (symbol_sets.c.created_at, symbol_sets.c.id):
        if column is not symbol_sets.c.ref and tie is not column:
            order.append(tie.desc() if descending else tie.asc())
    rows = await conn.execute(_select().where(where).order_by(*order).limit(limit).offset(offset))
    return [_from_row(r) for r in rows], int(count)


async def insert_symbol_set(
    conn: AsyncConnection,
    *,
    project_id: int,
    ref: str,
    storage_ptr: str | None,
    release_id: str | None = None,
    content_hash: str | None = None,
    size_bytes: int | None = None,
    url: str | None = None,
) -> str:
    """A new row; with a content_hash the blob counts as uploaded now. Returns its id."""
    now = utcnow()
    symbol_set_id = new_uuid()
    await conn.execute(
        insert(symbol_sets).values(
            id=symbol_set_id,
            team_id=project_id,
            ref=ref,
            storage_ptr=storage_ptr,
            content_hash=content_hash,
            size_bytes=size_bytes,
            uploaded_at=now if content_hash else None,
            release_id=release_id,
            created_at=now,
            url=url,
        )
    )
    return symbol_set_id


# Placeholders a project may hold at once: frames naming chunk ids nobody uploads (a
# flood of made-up ids included) never grow the table past this.
MAX_PLACEHOLDERS_PER_PROJECT = 1000

_placeholder = and_(symbol_sets.c.storage_ptr.is_(None), symbol_sets.c.failure_reason.is_(None))


async def record_placeholders(
    conn: AsyncConnection, project_id: int, refs: Iterable[str], *, cap: int = MAX_PLACEHOLDERS_PER_PROJECT
) -> int:
    """A placeholder (``SymbolSet.placeholder``) for each chunk id in ``refs`` the project
    has no set for, as PostHog records the maps a team still has to upload; at most ``cap``
    per project. An upload of that chunk id later fills the row. How many were added."""
    longest = symbol_sets.c.ref.type.length
    # Only refs an upload could fill (the upload's chunk id rules).
    refs = sorted({r for r in refs if r.strip() and len(r) <= longest and "\x00" not in r})
    if not refs:
        return 0
    known = await get_symbol_sets_by_refs(conn, project_id, refs)
    refs = [r for r in refs if r not in known]
    if not refs:
        return 0
    # Writers of one project's placeholders take turns (PostgreSQL; SQLite has one writer),
    # so the count below stays true until the commit and the cap holds exactly.
    await conn.execute(
        select(projects.c.id).where(projects.c.id == project_id).with_for_update(key_share=True)
    )
    held = await _count_placeholders(conn, project_id)
    refs = refs[:max(0, cap - held)]
    if not refs:
        return 0
    now = utcnow()
    rows = [{"id": new_uuid(), "team_id": project_id, "ref": ref, "created_at": now} for ref in refs]
    await conn.execute(insert_ignoring_conflicts(conn, symbol_sets), rows)
    return await _count_placeholders(conn, project_id) - held


async def _count_placeholders(conn: AsyncConnection, project_id: int) -> int:
    return int((await conn.execute(
        select(func.count()).select_from(symbol_sets).where(symbol_sets.c.team_id == project_id, _placeholder)
    )).scalar_one())


async def update_symbol_set(conn: AsyncConnection, symbol_set_id: str, **values: Any) -> None:
    """Set columns of one row (e.g. ref, release_id, storage_ptr)."""
    await conn.execute(update(symbol_sets).where(symbol_sets.c.id == symbol_set_id).values(**values))


async def record_upload(
    conn: AsyncConnection,
    symbol_set_id: str,
    *,
    storage_ptr: str,
    content_hash: str,
    size_bytes: int,
    release_id: str | None,
) -> None:
    """The blob at ``storage_ptr`` is confirmed: store its hash and size, clear old failures."""
    await update_symbol_set(
        conn,
        symbol_set_id,
        storage_ptr=storage_ptr,
        content_hash=content_hash,
        size_bytes=size_bytes,
        uploaded_at=utcnow(),
        release_id=release_id,
        failure_reason=None,
        processed_at=None,
    )


async def set_failure_reason(conn: AsyncConnection, symbol_set_id: str, failure_reason: str | None) -> None:
    """Record (or clear, with None) why a symbol set cannot be used. JSON text."""
    await update_symbol_set(conn, symbol_set_id, failure_reason=failure_reason)


async def touch_last_used(conn: AsyncConnection, symbol_set_id: str) -> None:
    await update_symbol_set(conn, symbol_set_id, last_used=utcnow())


async def touch_last_used_many(conn: AsyncConnection, ids: Iterable[str]) -> None:
    ids = sorted(set(ids))
    if ids:
        await conn.execute(update(symbol_sets).where(symbol_sets.c.id.in_(ids)).values(last_used=utcnow()))


async def mark_processed(conn: AsyncConnection, symbol_set_id: str, storage_ptr: str) -> bool:
    """The index of the blob at ``storage_ptr`` is stored: clear any failure, stamp
    ``processed_at``. A no-op (False) when the set has been re-uploaded meanwhile."""
    result = await conn.execute(
        update(symbol_sets)
        .where(symbol_sets.c.id == symbol_set_id, symbol_sets.c.storage_ptr == storage_ptr)
        .values(processed_at=utcnow(), failure_reason=None)
    )
    return result.rowcount > 0


async def record_failure(conn: AsyncConnection, symbol_set_id: str, storage_ptr: str, failure_reason: str) -> bool:
    """The blob at ``storage_ptr`` cannot be used (JSON text of a typed error). A no-op
    (False) when the set has been re-uploaded meanwhile, so a stale job never marks a
    fixed set as failed."""
    result = await conn.execute(
        update(symbol_sets)
        .where(symbol_sets.c.id == symbol_set_id, symbol_sets.c.storage_ptr == storage_ptr)
        .values(failure_reason=failure_reason, processed_at=None)
    )
    return result.rowcount > 0


async def delete_symbol_sets(conn: AsyncConnection, project_id: int, ids: Iterable[str]) -> int:
    ids = sorted(set(ids))
    if not ids:
        return 0
    result = await conn.execute(
        delete(symbol_sets).where(symbol_sets.c.team_id == project_id, symbol_sets.c.id.in_(ids))
    )
    return int(result.rowcount)
