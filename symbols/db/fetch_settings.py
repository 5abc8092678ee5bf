"""A project's fetch setting: whether the service may fetch scripts and maps nobody
uploaded for it, from which domains, with an optional auth header (its value sealed by
the caller: this module stores it as given). No row: never set, fetching is off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from .tables import project_fetch_settings
from .types import utcnow
from .upsert import insert_replacing_conflicts


@dataclass(frozen=True)
class StoredFetchSetting:
    enabled: bool
    allowed_domains: tuple[str, ...]
    auth_header_name: str | None = None
    auth_header_sealed: str | None = None
    updated_at: datetime | None = None


async def get_fetch_setting(conn, project_id: int) -> StoredFetchSetting | None:
    row = (
        await conn.execute(select(project_fetch_settings).where(project_fetch_settings.c.team_id == project_id))
    ).first()
    if row is None:
        return None
    return StoredFetchSetting(row.enabled, tuple(row.allowed_domains.split()), row.auth_header_name,
                              row.auth_header_sealed, row.updated_at)


async def put_fetch_setting(conn, project_id: int, setting: StoredFetchSetting) -> StoredFetchSetting:
    """Store a project's fetch setting (its ``updated_at`` is now); returns it as stored."""
    row = {"team_id": project_id, "enabled": setting.enabled, "allowed_domains": " ".join(setting.allowed_domains),
           "auth_header_name": setting.auth_header_name, "auth_header_sealed": setting.auth_header_sealed,
           "updated_at": utcnow()}
    columns = [c for c in row if c != "team_id"]
    await conn.execute(insert_replacing_conflicts(conn, project_fetch_settings, ("team_id",), columns), [row])
    return StoredFetchSetting(setting.enabled, setting.allowed_domains, setting.auth_header_name,
                              setting.auth_header_sealed, row["updated_at"])


__all__ = ["StoredFetchSetting", "get_fetch_setting", "put_fetch_setting"]
