"""Integrations: a project's account on an issue tracker (kind, display name, config),
with its credentials encrypted at rest (``SecretBox``: Fernet with a key derived from the
service's secret key) and never shown by any API. Created from the command line."""

from __future__ import annotations

import base64
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..db import Database
from ..db.access import project_exists
from ..db.integrations import Integration, insert_integration, list_integrations
from ..errors import InvalidInput, Missing, UpstreamFailed
from .providers import PROVIDERS

MAX_DISPLAY_NAME = 400
MAX_CONFIG_BYTES = 16_384


class SecretBox:
    """Seals and opens the credentials of integrations (one per process, from ``app.py``)."""

    def __init__(self, secret_key: bytes) -> None:
        # A key of its own (HKDF), so the URL-signing key is never used for encryption.
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"symbols integrations").derive(secret_key)
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, secrets: dict) -> str:
        return self._fernet.encrypt(orjson.dumps(secrets)).decode()

    def open(self, sealed: str) -> dict:
        try:
            return orjson.loads(self._fernet.decrypt(sealed.encode()))
        except (InvalidToken, orjson.JSONDecodeError):
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
