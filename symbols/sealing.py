"""Secrets kept encrypted at rest (integrations' credentials, projects' fetch auth headers):
Fernet with a key derived (HKDF) from the service's secret key, one key per purpose, so the
URL-signing key itself never encrypts anything and one purpose's tokens never open another's."""

from __future__ import annotations

import base64
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INTEGRATIONS = b"symbols integrations"
FETCH_HEADERS = b"symbols fetch headers"


class Unreadable(Exception):
    """A sealed value this key cannot open (the secret key changed since it was sealed)."""


class SecretBox:
    """Seals and opens JSON values for one purpose (built once per process)."""

    def __init__(self, secret_key: bytes, purpose: bytes) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret_key)
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, value: Any) -> str:
        return self._fernet.encrypt(orjson.dumps(value)).decode()

    def open(self, sealed: str) -> Any:
        try:
            return orjson.loads(self._fernet.decrypt(sealed.encode()))
        except (InvalidToken, orjson.JSONDecodeError):
            raise Unreadable from None


__all__ = ["FETCH_HEADERS", "INTEGRATIONS", "SecretBox", "Unreadable"]
