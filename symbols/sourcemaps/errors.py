"""Typed errors of the source-map engine.

Every fault a user's input can cause is a `SourceMapError` subclass with a stable `code`
(stored as a symbol set's failure reason, shown in API error bodies) and a message that
says where the problem is. Anything else escaping the engine is a bug.
"""

from __future__ import annotations


class SourceMapError(ValueError):
    """A source map (or a stored index of one) that cannot be used."""

    code = "invalid_source_map"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidJsonError(SourceMapError):
    code = "invalid_json"


class InvalidVersionError(SourceMapError):
    code = "invalid_version"


class MissingFieldError(SourceMapError):
    code = "missing_field"


class InvalidFieldError(SourceMapError):
    """A field has the wrong JSON type (e.g. `sources` is not a list)."""

    code = "invalid_field"


class InvalidVlqError(SourceMapError):
    code = "invalid_vlq"


class InvalidSegmentError(SourceMapError):
    """A mapping segment has a field count other than 1, 4 or 5, or a negative value."""

    code = "invalid_segment"


class IndexOutOfBoundsError(SourceMapError):
    """A segment or `ignoreList` refers to a source or name that does not exist."""

    code = "index_out_of_bounds"


class InvalidSectionsError(SourceMapError):
    code = "invalid_sections"


class InvalidIndexError(SourceMapError):
    """Stored index bytes that are truncated, corrupt or of an unknown version."""

    code = "invalid_index"


class TooLargeError(SourceMapError):
    """The input goes past one of the size caps in `limits.py` (lines, segments, ...)."""

    code = "too_large"


class TooComplexError(SourceMapError):
    """The minified source nests deeper, or takes longer to scan, than `limits.py` allows."""

    code = "too_complex"


__all__ = [
    "IndexOutOfBoundsError",
    "InvalidFieldError",
    "InvalidIndexError",
    "InvalidJsonError",
    "InvalidSectionsError",
    "InvalidSegmentError",
    "InvalidVersionError",
    "InvalidVlqError",
    "MissingFieldError",
    "SourceMapError",
    "TooComplexError",
    "TooLargeError",
]
