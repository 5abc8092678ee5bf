"""Reading multipart/form-data bodies: small text fields, then one ``file`` part."""

from __future__ import annotations

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from .errors import ValidationError

MAX_FIELDS = 16
MAX_FIELD_BYTES = 8192


async def fields_then_file(request: web.Request) -> tuple[dict[str, str], BodyPartReader]:
    """The text fields sent before the ``file`` part, and that part (not yet read)."""
    if not request.content_type.startswith("multipart/"):
        raise ValidationError("invalid_input", "Send multipart/form-data with a 'file' part.", "file")
    try:
        reader = await request.multipart()
    except (ValueError, AssertionError):
        raise ValidationError("parse_error", "Malformed multipart body.") from None
    fields: dict[str, str] = {}
    for _ in range(MAX_FIELDS + 1):
        try:
            part = await reader.next()
        except (ValueError, HttpProcessingError):  # e.g. a part header aiohttp cannot parse
            raise ValidationError("parse_error", "Malformed multipart body.") from None
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            raise ValidationError("parse_error", "Nested multipart bodies are not supported.")
        if part.name == "file":
            return fields, part
        value = b""
        while chunk := await part.read_chunk(MAX_FIELD_BYTES):
            value += chunk
            if len(value) > MAX_FIELD_BYTES:
                raise ValidationError("invalid_input", f"Form field {part.name!r} is too long.", part.name)
        if part.name:
            fields[part.name] = value.decode("utf-8", "replace")
    raise ValidationError("required", "A 'file' part is required.", "file")


async def named_files(request: web.Request, names: tuple[str, ...], *, max_bytes: int,
                      too_large: Exception) -> dict[str, bytes]:
    """The parts called ``names``, read whole (together at most ``max_bytes``, else
    ``too_large``); other parts are skipped, a missing one is ``required``."""
    try:
        reader = await request.multipart()
    except (ValueError, AssertionError):
        raise ValidationError("parse_error", "Malformed multipart body.") from None
    found: dict[str, bytes] = {}
    total = 0
    for _ in range(MAX_FIELDS + len(names)):
        try:
            part = await reader.next()
        except (ValueError, HttpProcessingError):
            raise ValidationError("parse_error", "Malformed multipart body.") from None
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            raise ValidationError("parse_error", "Nested multipart bodies are not supported.")
        value = bytearray()
        limit = max_bytes if part.name in names else MAX_FIELD_BYTES
        while chunk := await part.read_chunk(256 * 1024):
            value += chunk
            if part.name in names:
                total += len(chunk)
            if total > max_bytes or len(value) > limit:
                if part.name in names:
                    raise too_large
                raise ValidationError("invalid_input", f"Form field {part.name!r} is too long.", part.name)
        if part.name in names:
            found[part.name] = bytes(value)
    for name in names:
        if name not in found:
            raise ValidationError("required", f"A {name!r} part is required.", name)
    return found
