"""Capture bodies as SDKs send them, turned into JSON bytes (bounded, bomb-safe).

The forms PostHog's capture reads:

- gzip by ``?compression=gzip|gzip-js`` or by its magic bytes ``1f 8b 08``;
- lz-string base64 by ``?compression=lz64|lz-string``; base64 by ``?compression=base64|b64``;
- form bodies (``application/x-www-form-urlencoded``) whose ``data`` field holds the payload
  and whose ``compression`` field, if any, wins over the query's;
- on the legacy paths (``/e``, ``/capture``, ``/track``, ``/engage``) and in form bodies, a
  payload still base64 after decoding is decoded once more;
- anything else is taken as JSON text.

Limits (``CaptureError`` 413): ``MAX_BODY_BYTES`` (20 MiB) as received and
``MAX_DECODED_BYTES`` (64 MiB) once decoded; gzip and lz-string output is bounded while it
is produced, so a small bomb never expands in memory.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Mapping
from urllib.parse import parse_qs

from .lzstring import LZStringError, LZStringTooLarge, decompress_from_base64

MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_DECODED_BYTES = 64 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b\x08"
LEGACY_PATHS = frozenset({"/e", "/capture", "/track", "/engage"})
FORM = "application/x-www-form-urlencoded"
_BASE64 = re.compile(rb"[A-Za-z0-9+/]+={0,2}")


class CaptureError(Exception):
    """A request capture refuses: the HTTP status, a PostHog-like code and a sentence."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail

    @classmethod
    def bad(cls, code: str, detail: str) -> CaptureError:
        """A 400: the body cannot be read as events."""
        return cls(400, code, detail)


def decode_body(body: bytes, content_type: str | None, query: Mapping[str, str], path: str) -> bytes:
    """The JSON bytes a capture body carries, or ``CaptureError`` saying why not."""
    if len(body) > MAX_BODY_BYTES:
        raise CaptureError(413, "payload_too_large", f"the body passes {MAX_BODY_BYTES} bytes")
    compression = query.get("compression", "")
    legacy = path.rstrip("/") in LEGACY_PATHS
    if (content_type or "").split(";")[0].strip().lower() == FORM:
        body, compression = _form_payload(body, compression)
        legacy = True
    return _decode_payload(body, compression.lower(), legacy)


def _form_payload(body: bytes, compression: str) -> tuple[bytes, str]:
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=20, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        raise CaptureError.bad("invalid_payload", "the form body cannot be read") from None
    if not fields.get("data"):
        raise CaptureError.bad("invalid_payload", "the form body has no data field")
    return fields["data"][0].encode("utf-8"), fields.get("compression", [compression])[0]


def _decode_payload(body: bytes, compression: str, legacy: bool) -> bytes:
    if compression in ("base64", "b64"):
        body = _unbase64(body)
    if compression in ("gzip", "gzip-js") or body[:3] == GZIP_MAGIC:
        return _gunzip(body)
    if compression in ("lz64", "lz-string"):
        try:
            text = decompress_from_base64(body.decode("ascii").strip(), MAX_DECODED_BYTES)
        except LZStringTooLarge:
            raise _too_large() from None
        except (LZStringError, UnicodeDecodeError):
            raise CaptureError.bad("invalid_payload", "the body is not lz-string base64") from None
        out = text.encode("utf-8")
        if len(out) > MAX_DECODED_BYTES:
            raise _too_large()
        return out
    stripped = body.strip()
    if legacy and len(stripped) % 4 == 0 and _BASE64.fullmatch(stripped):
        return _unbase64(stripped)
    return body


def _too_large() -> CaptureError:
    return CaptureError(413, "payload_too_large", f"the decoded body passes {MAX_DECODED_BYTES} bytes")


def _gunzip(body: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(body, MAX_DECODED_BYTES + 1)
    except zlib.error:
        raise CaptureError.bad("invalid_payload", "the body is not valid gzip") from None
    if len(out) > MAX_DECODED_BYTES:
        raise _too_large()
    if not inflater.eof:
        raise CaptureError.bad("invalid_payload", "the gzip body is truncated")
    return out


def _unbase64(data: bytes) -> bytes:
    # A form decoder turns base64's '+' into a space.
    text = data.strip().replace(b" ", b"+").replace(b"\n", b"").replace(b"\r", b"")
    try:
        return base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise CaptureError.bad("invalid_payload", "the body is not valid base64") from None

