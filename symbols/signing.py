"""HMAC-signed tokens for URLs the service serves itself (local presigned POST and GET).

A token is ``base64url(json payload) "." base64url(HMAC-SHA256)``; the payload carries
its own expiry (``exp``, Unix seconds).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

import orjson

from .config import Settings

_MAX_TOKEN = 4096


class InvalidToken(Exception):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def sign(self, payload: dict, expires_in: int) -> str:
        body = _b64(orjson.dumps({**payload, "exp": int(time.time()) + expires_in}))
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str) -> dict:
        """The payload of a valid, unexpired token; InvalidToken otherwise."""
        # compare_digest refuses non-ASCII text, so such a token is malformed, not a crash.
        if not isinstance(token, str) or len(token) > _MAX_TOKEN or not token.isascii() or token.count(".") != 1:
            raise InvalidToken("malformed token")
        body, mac = token.split(".")
        if not hmac.compare_digest(mac, self._mac(body)):
            raise InvalidToken("bad signature")
        try:
            payload = orjson.loads(_unb64(body))
        except (ValueError, orjson.JSONDecodeError):
            raise InvalidToken("malformed token") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int):
            raise InvalidToken("malformed token")
        if payload["exp"] < time.time():
            raise InvalidToken("expired")
        return payload

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())


def load_signing_key(settings: Settings) -> bytes:
    """``settings.secret_key``, or a random key kept in ``data_dir/secret_key`` (made once)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = Path(settings.data_dir) / "secret_key"
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key
