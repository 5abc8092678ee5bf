"""The top-level fields of a source map's JSON, checked by type and against the caps."""

from __future__ import annotations

from typing import Any

import orjson

from symbols.sourcemaps.errors import (
    IndexOutOfBoundsError,
    InvalidFieldError,
    InvalidJsonError,
    InvalidVersionError,
    MissingFieldError,
    TooLargeError,
)


def load_json(data: bytes | str) -> dict[str, Any]:
    try:
        raw = orjson.loads(data)
    except (orjson.JSONDecodeError, TypeError) as error:
        if str(error).startswith("Not enough memory"):  # orjson's words for a failed malloc
            raise MemoryError(str(error)) from None
        raise InvalidJsonError(f"not valid JSON: {error}") from None
    if not isinstance(raw, dict):
        raise InvalidJsonError(f"expected a JSON object, got {type(raw).__name__}")
    return raw


def check_version(raw: dict[str, Any], where: str) -> None:
    if "version" not in raw:
        raise MissingFieldError(f"{where}: `version` is missing")
    version = raw["version"]
    if type(version) is not int or version != 3:
        raise InvalidVersionError(f"{where}: `version` must be the number 3, got {version!r}")


def optional_string(raw: dict[str, Any], field: str, where: str) -> str | None:
    value = raw.get(field)
    if value is not None and not isinstance(value, str):
        raise InvalidFieldError(f"{where}: `{field}` must be a string, got {type(value).__name__}")
    return value


def string_list(raw: dict[str, Any], field: str, where: str, *, nullable: bool,
                 cap: int) -> list | None:
    value = raw.get(field)
    if value is None:
        return None
    if not isinstance(value, list):
        raise InvalidFieldError(f"{where}: `{field}` must be a list, got {type(value).__name__}")
    check_cap(len(value), cap, f"{where}: `{field}` has", "entries")
    allowed = {str, type(None)} if nullable else {str}
    if not set(map(type, value)) <= allowed:  # map/set run in C; find the culprit only on failure
        position, item = next((p, i) for p, i in enumerate(value) if type(i) not in allowed)
        kind = "a string or null" if nullable else "a string"
        raise InvalidFieldError(f"{where}: `{field}[{position}]` must be {kind}, got {item!r}")
    return value


def check_cap(count: int, cap: int, what: str, unit: str = "") -> None:
    """TooLargeError unless `count` <= `cap` ("{what} {count} {unit}, more than ...")."""
    if count > cap:
        raise TooLargeError(f"{what} {count}{' ' + unit if unit else ''}, more than the {cap} allowed")


def ignore_list(raw: dict[str, Any], source_count: int, where: str, cap: int) -> list[int]:
    field = "ignoreList" if "ignoreList" in raw else "x_google_ignoreList"
    value = raw.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidFieldError(f"{where}: `{field}` must be a list, got {type(value).__name__}")
    check_cap(len(value), cap, f"{where}: `{field}` has", "entries")
    for position, item in enumerate(value):
        if type(item) is not int:
            raise InvalidFieldError(f"{where}: `{field}[{position}]` must be an integer, got {item!r}")
        if not 0 <= item < source_count:
            raise IndexOutOfBoundsError(
                f"{where}: `{field}[{position}]` is {item}, but there are {source_count} sources"
            )
    return value


__all__ = ["check_cap", "check_version", "ignore_list", "load_json", "optional_string", "string_list"]
