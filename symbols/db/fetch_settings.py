"""A project's fetch setting: which domains the service may fetch scripts and maps from
for it, with an optional auth header. No row: fetching is off."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from .tables import project_fetch_settings
from .types import utcnow
from .upsert import insert_replacing_conflicts


@dataclass(frozen=True)
class FetchSetting:
    allowed_domains: tuple[str, ...]
    auth_header: tuple[str, str] | None


async def get_fetch_setting(conn, project_id: int) -> FetchSetting | None:
    row = (
        await conn.execute(select(project_fetch_settings).where(project_fetch_settings.c.team_id == project_id))
    ).first()
    if row is None:
        return None
    header = (row.auth_header_name, row.auth_header_value or "") if row.auth_header_name else None
    return FetchSetting(tuple(row.allowed_domains.split()), header)


async def set_fetch_setting(conn, project_id: int, setting: FetchSetting | None) -> None:
    """Store (or, with None, remove) a project's fetch setting."""
    if setting is None:
        await conn.execute(delete(project_fetch_settings).where(project_fetch_settings.c.team_id == project_id))
        return
    name, value = setting.auth_header or (None, None)
    row = {"team_id": project_id, "allowed_domains": " ".join(setting.allowed_domains),
           "auth_header_name": name, "auth_header_value": value, "updated_at": utcnow()}
    columns = [c for c in row if c != "team_id"]
    await conn.execute(insert_replacing_conflicts(conn, project_fetch_settings, ("team_id",), columns), [row])


__all__ = ["FetchSetting", "get_fetch_setting", "set_fetch_setting"]
