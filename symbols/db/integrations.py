"""Integrations (a project's account on GitHub, GitLab, Linear or Jira) and the external
references linking issues to the provider issues made through them. Every query is
scoped by ``team_id``; ``sensitive_config`` is stored as given (already encrypted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import external_references, integrations
from .types import new_uuid, utcnow


@dataclass(frozen=True)
class Integration:
    id: int
    team_id: int
    kind: str
    display_name: str
    config: dict
    created_at: datetime
    sensitive_config: str  # ciphertext


@dataclass(frozen=True)
class ExternalReference:
    id: str
    issue_id: str
    integration: Integration
    external_context: dict
    created_at: datetime


def _integration(row) -> Integration:
    return Integration(row.id, row.team_id, row.kind, row.display_name, row.config, row.created_at,
                       row.sensitive_config)


async def insert_integration(
    conn: AsyncConnection, team_id: int, kind: str, display_name: str, config: dict, sealed: str
) -> Integration:
    now = utcnow()
    result = await conn.execute(
        insert(integrations).values(
            team_id=team_id, kind=kind, display_name=display_name, config=config, sensitive_config=sealed,
            created_at=now,
        ).returning(integrations.c.id)
    )
    return Integration(int(result.scalar_one()), team_id, kind, display_name, config, now, sealed)


async def get_integration(conn: AsyncConnection, team_id: int, integration_id: int) -> Integration | None:
    row = (await conn.execute(
        select(integrations).where(integrations.c.team_id == team_id, integrations.c.id == integration_id)
    )).first()
    return _integration(row) if row is not None else None


async def list_integrations(conn: AsyncConnection, team_id: int, *, limit: int | None = None,
                            offset: int = 0) -> tuple[list[Integration], int]:
    where = integrations.c.team_id == team_id
    rows = await conn.execute(select(integrations).where(where).order_by(integrations.c.id).limit(limit).offset(offset))
    count = (await conn.execute(select(func.count()).select_from(integrations).where(where))).scalar_one()
    return [_integration(r) for r in rows], int(count)


async def reserve_reference(
    conn: AsyncConnection, team_id: int, issue_id: str, integration_id: int, *, abandoned_before: datetime
) -> str:
    """A pending reference (never listed) holding the place of the provider issue about to be
    made: the constraints (the issue, the integration) are checked before the provider call.
    The project's reservations made before ``abandoned_before`` are dropped first."""
    await conn.execute(delete(external_references).where(
        external_references.c.team_id == team_id, external_references.c.pending.is_(True),
        external_references.c.created_at < abandoned_before))
    reference_id = new_uuid()
    await conn.execute(insert(external_references).values(
        id=reference_id, team_id=team_id, issue_id=issue_id, integration_id=integration_id,
        external_context={}, created_at=utcnow(), pending=True,
    ))
    return reference_id


async def complete_reference(
    conn: AsyncConnection, team_id: int, reference_id: str, issue_id: str, integration: Integration,
    context: dict[str, Any],
) -> ExternalReference | None:
    """The reservation with its provider issue, listed from now on; None when the reservation
    is gone (its issue was deleted meanwhile)."""
    ref = ExternalReference(reference_id, issue_id, integration, context, utcnow())
    found = (await conn.execute(
        update(external_references).where(*_reserved(team_id, reference_id))
        .values(external_context=context, created_at=ref.created_at, pending=False)
        .returning(external_references.c.id)
    )).first()
    return ref if found is not None else None


async def release_reference(conn: AsyncConnection, team_id: int, reference_id: str) -> None:
    """Drop a reservation whose provider issue was not made."""
    await conn.execute(delete(external_references).where(*_reserved(team_id, reference_id)))


def _reserved(team_id: int, reference_id: str) -> tuple:
    return (external_references.c.team_id == team_id, external_references.c.id == reference_id,
            external_references.c.pending.is_(True))


_LISTED = external_references.c.pending.is_(False)


def _references():
    return select(external_references, integrations).select_from(
        external_references.join(integrations, integrations.c.id == external_references.c.integration_id)
    )


def _reference(row) -> ExternalReference:
    m = row._mapping
    integration = Integration(
        m[integrations.c.id], m[integrations.c.team_id], m[integrations.c.kind], m[integrations.c.display_name],
        m[integrations.c.config], m[integrations.c.created_at], m[integrations.c.sensitive_config],
    )
    return ExternalReference(
        m[external_references.c.id], m[external_references.c.issue_id], integration,
        m[external_references.c.external_context], m[external_references.c.created_at],
    )


async def get_reference(conn: AsyncConnection, team_id: int, reference_id: str) -> ExternalReference | None:
    row = (await conn.execute(_references().where(
        external_references.c.team_id == team_id, external_references.c.id == reference_id, _LISTED))).first()
    return _reference(row) if row is not None else None


async def list_references(
    conn: AsyncConnection, team_id: int, *, issue_ids: list[str] | None = None, limit: int | None = None,
    offset: int = 0,
) -> tuple[list[ExternalReference], int]:
    """A project's references (of ``issue_ids`` when given), oldest first."""
    where = [external_references.c.team_id == team_id, _LISTED]
    if issue_ids is not None:
        where.append(external_references.c.issue_id.in_(issue_ids))
    rows = await conn.execute(_references().where(*where).order_by(
        external_references.c.created_at, external_references.c.id).limit(limit).offset(offset))
    count = (await conn.execute(select(func.count()).select_from(external_references).where(*where))).scalar_one()
    return [_reference(r) for r in rows], int(count)


__all__ = [
    "ExternalReference",
    "Integration",
    "complete_reference",
    "get_integration",
    "get_reference",
    "insert_integration",
    "list_integrations",
    "list_references",
    "release_reference",
    "reserve_reference",
]
