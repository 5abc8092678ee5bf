"""Checks on the releases symbol sets are attached to."""

from __future__ import annotations

from collections.abc import Iterable

from ..db.releases import existing_release_ids
from ..errors import InvalidInput


async def require_releases(conn, project_id: int, release_ids: Iterable[str | None]) -> None:
    """Refuse (``invalid_release_id``) release ids that name no release of the project."""
    wanted = {r for r in release_ids if r}
    unknown = wanted - await existing_release_ids(conn, project_id, wanted)
    if unknown:
        raise InvalidInput(
            "invalid_release_id", f"Unknown release ID provided: {', '.join(sorted(unknown))}", "release_id"
        )


__all__ = ["require_releases"]
