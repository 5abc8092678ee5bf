"""`symbols sets list --project N [--release R] [--status S] [--search T] | show ID`:
browse uploaded symbol sets from a terminal (the database the server uses)."""

from __future__ import annotations

import asyncio
import uuid

import click

from ..config import Settings
from ..db.migrate import run_existing
from ..db.releases import get_release, get_release_by_hash
from ..db.symbol_set_search import STATES, Cursor, search_symbol_sets, state_of
from ..db.symbol_sets import get_symbol_set

LIST_COLUMNS = ("id", "ref", "status", "release", "size_bytes", "created_at")


def _run(work):
    return asyncio.run(run_existing(Settings.from_env().database_url, work))


@click.group()
def sets() -> None:
    """Browse symbol sets (uploaded source maps)."""


async def _release_id(conn, project_id: int, release: str) -> str | None:
    """A release named by its id or its hash_id."""
    found = None
    try:
        found = await get_release(conn, project_id, str(uuid.UUID(release)))
    except ValueError:
        pass
    found = found or await get_release_by_hash(conn, project_id, release)
    return found.id if found else None


@sets.command("list")
@click.option("--project", "project_id", type=int, required=True, help="Project id.")
@click.option("--release", help="Only the sets of this release (its id or hash_id).")
@click.option("--status", type=click.Choice(STATES), default=None,
              help="ok: index built; pending: uploaded, not built yet; failed; missing: no file uploaded.")
@click.option("--search", default="", help="Text in the ref (chunk id or file name), or a release version.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
def list_(project_id: int, release: str | None, status: str | None, search: str, limit: int) -> None:
    """Newest first, tab-separated under a header line: id, ref, status, release version,
    size, created at; then the count."""
    async def work(db):
        async with db.connect() as conn:
            release_id = await _release_id(conn, project_id, release) if release else None
            if release and release_id is None:
                return None
            sets_, count = [], 0
            after: Cursor | None = None
            while len(sets_) < limit:
                page = await search_symbol_sets(conn, project_id, query=search, state=status,
                                                release_id=release_id, after=after,
                                                limit=min(500, limit - len(sets_)))
                sets_ += page.sets
                count, after = page.count, page.next
                if after is None:
                    break
            return sets_, count

    found = _run(work)
    if found is None:
        raise click.ClickException(f"no release {release} in project {project_id}")
    listed, count = found
    click.echo("\t".join(LIST_COLUMNS))
    for s in listed:
        version = s.release.version if s.release else ""
        click.echo(f"{s.id}\t{s.ref}\t{state_of(s)}\t{version}\t{s.size_bytes or ''}\t{s.created_at.isoformat()}")
    click.echo(f"{len(listed)} of {count} symbol set(s)", err=True)


@sets.command("show")
@click.argument("set_id")
def show(set_id: str) -> None:
    """One symbol set, a `field<TAB>value` line per field (failure_reason as stored)."""
    async def work(db):
        async with db.connect() as conn:
            return await get_symbol_set(conn, set_id)

    try:
        uuid.UUID(set_id)
    except ValueError:
        raise click.BadParameter("not a symbol set id (a UUID)", param_hint="ID") from None
    found = _run(work)
    if found is None:
        raise click.ClickException(f"no symbol set {set_id}")
    release = found.release
    fields = {
        "id": found.id, "project": found.team_id, "ref": found.ref, "status": state_of(found),
        "release": f"{release.project} {release.version} ({release.id})" if release else None,
        "content_hash": found.content_hash, "size_bytes": found.size_bytes, "storage_ptr": found.storage_ptr,
        "failure_reason": found.failure_reason, "created_at": found.created_at,
        "uploaded_at": found.uploaded_at, "processed_at": found.processed_at, "last_used": found.last_used,
    }
    for name, value in fields.items():
        shown = value.isoformat() if hasattr(value, "isoformat") else value
        click.echo(f"{name}\t{'' if shown is None else shown}")
