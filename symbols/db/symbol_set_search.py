"""Searching a project's symbol sets for people: text search, status in four states, and
keyset pages (newest first) that cost the same on page 1 and page 500.

States: ``failed`` (a failure_reason), ``missing`` (no finished upload), ``pending``
(uploaded, index not built yet), ``ok`` (index built).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .symbol_sets import SymbolSet, _from_row, _select, like_pattern
from .tables import releases, symbol_sets

STATES = ("ok", "failed", "pending", "missing")
MAX_QUERY = 400

_c = symbol_sets.c


def state_of(symbol_set: SymbolSet) -> str:
    if symbol_set.failure_reason:
        return "failed"
    if symbol_set.storage_ptr is None or symbol_set.uploaded_at is None:
        return "missing"
    return "ok" if symbol_set.processed_at is not None else "pending"


def _state_condition(state: str):
    no_failure = _c.failure_reason.is_(None)
    uploaded = and_(_c.storage_ptr.is_not(None), _c.uploaded_at.is_not(None))
    return {
        "failed": _c.failure_reason.is_not(None),
        "missing": and_(no_failure, or_(_c.storage_ptr.is_(None), _c.uploaded_at.is_(None))),
        "pending": and_(no_failure, uploaded, _c.processed_at.is_(None)),
        "ok": and_(no_failure, uploaded, _c.processed_at.is_not(None)),
    }[state]


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last row's (created_at, id)."""

    created_at: datetime
    id: str

    def encode(self) -> str:
        return f"{self.created_at.isoformat()}~{self.id}"

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        stamp, _, set_id = text.partition("~")
        try:
            created_at = datetime.fromisoformat(stamp)
        except ValueError:
            return None
        if created_at.tzinfo is None or not set_id or len(set_id) > 36:
            return None
        return cls(created_at, set_id)


@dataclass(frozen=True)
class SearchPage:
    sets: list[SymbolSet]
    count: int
    next: Cursor | None


async def search_symbol_sets(
    conn: AsyncConnection,
    project_id: int,
    *,
    query: str = "",
    state: str | None = None,
    release_id: str | None = None,
    after: Cursor | None = None,
    limit: int = 50,
) -> SearchPage:
    """One page of a project's sets, newest first. ``query`` matches the ref (chunk id or
    file name, any part, any case) or the release's version or hash id."""
    conditions = [_c.team_id == project_id]
    if query:
        pattern = like_pattern(query[:MAX_QUERY])
        conditions.append(or_(
            _c.ref.ilike(pattern, escape="\\"),
            releases.c.version.ilike(pattern, escape="\\"),
            releases.c.hash_id == query,
        ))
    if state is not None:
        conditions.append(_state_condition(state))
    if release_id is not None:
        conditions.append(_c.release_id == release_id)
    # The release is only joined for counting when the text may match it.
    counted = symbol_sets.outerjoin(releases, releases.c.id == _c.release_id) if query else symbol_sets
    count = (await conn.execute(select(func.count()).select_from(counted).where(*conditions))).scalar_one()
    if after is not None:
        conditions.append(or_(
            _c.created_at < after.created_at, and_(_c.created_at == after.created_at, _c.id < after.id)
        ))
    rows = await conn.execute(
        _select().where(*conditions).order_by(_c.created_at.desc(), _c.id.desc()).limit(limit + 1)
    )
    sets = [_from_row(r) for r in rows]
    more = len(sets) > limit
    sets = sets[:limit]
    return SearchPage(sets, int(count), Cursor(sets[-1].created_at, sets[-1].id) if more else None)
