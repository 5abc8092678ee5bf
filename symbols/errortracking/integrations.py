"""Integrations: a project's account on an issue tracker (kind, display name, config),
with its credentials encrypted at rest (``SecretBox``: ``symbols.sealing``'s key for
integrations) and never shown by any API. Created from the command line."""

from __future__ import annotations

from typing import Any

import orjson

from .. import sealing
from ..db import Database
from ..db.access import project_exists
from ..db.integrations import Integration, insert_integration, list_integrations
from ..errors import InvalidInput, Missing, UpstreamFailed
from .providers import PROVIDERS

MAX_DISPLAY_NAME = 400
MAX_CONFIG_BYTES = 16_384


class SecretBox(sealing.SecretBox):
    """Seals and opens the credentials of integrations (one per process, from ``app.py``)."""

    def __init__(self, secret_key: bytes) -> None:
        super().__init__(secret_key, sealing.INTEGRATIONS)

    def open(self, sealed: str) -> dict:
        try:
            return super().open(sealed)
        except sealing.Unreadable:
            # The secret key changed since the integration was made: it must be made again.
            raise UpstreamFailed("integration_secret_unreadable",
                                 "The integration's credentials cannot be decrypted with this service's key.") from None


def _object(value: Any, what: str) -> dict:
    if not isinstance(value, dict) or len(orjson.dumps(value)) > MAX_CONFIG_BYTES:
        raise InvalidInput("invalid", f"{what} must be a JSON object of at most {MAX_CONFIG_BYTES} bytes.", what)
    return value


async def create_integration(
    db: Database, box: SecretBox, team_id: int, kind: str, display_name: str, config: Any, secrets: Any
) -> Integration:
    provider = PROVIDERS.get(kind)
    if provider is None:
        raise InvalidInput("invalid_choice", f'"{kind[:40]}" is not a valid choice.', "kind")
    display_name = display_name.strip()
    if not display_name or len(display_name) > MAX_DISPLAY_NAME:
        raise InvalidInput("invalid", f"The display name must be 1 to {MAX_DISPLAY_NAME} characters.", "display_name")
    secrets = _object(secrets, "secret")
    stored = provider.check_integration(_object(config, "config"), secrets)
    async with db.begin() as conn:
        if not await project_exists(conn, team_id):
            raise Missing(f"no project {team_id}")
        return await insert_integration(conn, team_id, kind, display_name, stored, box.seal(secrets))


async def integrations_page(db: Database, team_id: int, *, limit: int | None, offset: int = 0):
    async with db.connect() as conn:
        return await list_integrations(conn, team_id, limit=limit, offset=offset)


__all__ = ["SecretBox", "create_integration", "integrations_page"]
