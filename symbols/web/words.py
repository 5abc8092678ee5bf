"""What states and failure codes mean, in words for people (the pages show these)."""

from __future__ import annotations

from ..symbol_sets.failures import parse_failure

STATE_WORDS = {
    "ok": ("Ready", "The map is processed: frames of this script resolve."),
    "failed": ("Failed", "The map could not be used."),
    "pending": ("Processing", "The map arrived and is being processed; this takes seconds."),
    "missing": ("Missing", "The upload was started but its file never arrived; upload it again."),
}

STATUS_WORDS = {
    "active": "Active",
    "resolved": "Resolved",
    "suppressed": "Suppressed",
    "archived": "Archived",
    "pending_release": "Pending release",
}

_FAILURES = {
    "InvalidSourceMap": "The file is not a valid source map, so no frame can be resolved "
                        "with it. Upload the .map file your bundler wrote.",
    "InvalidSourceAndMap": "The file could not be unpacked or the minified script and its map "
                           "do not fit together. Upload the pair again with "
                           "`symbols sourcemap upload`.",
    "MissingChunkIdData": "The uploaded file is gone from storage. Upload the map again.",
    "TooLarge": "The map goes past one of the service's size caps (decompressed size, lines, "
                "segments, sources or names), so it is not processed.",
    "TooComplex": "The minified script nests too deeply or takes too long to scan for "
                  "function names, so the map is not processed.",
    "IndexTimeout": "Processing the map took longer than the service allows.",
    "IndexCrashed": "The process building the map's index died on it (out of memory?).",
}

# Codes inside the message ("code: detail") that have a plainer explanation.
_DETAILS = {
    "invalid_json": "the file is not JSON",
    "unsupported_format": "the file is not a source map (nor gzip, nor a PostHog container)",
    "invalid_gzip": "the gzip data is damaged",
    "invalid_zstd": "the compressed data is damaged",
    "invalid_container": "the PostHog container is damaged",
    "unsupported_symbol_type": "the container holds another kind of debug file",
    "too_large": "the file is too large",
    "too_complex": "the minified script is too complex",
    "invalid_version": "the map's version is not 3",
    "missing_field": "a required field of the map is missing",
    "invalid_field": "a field of the map has the wrong type",
    "invalid_vlq": "the mappings string is damaged",
    "invalid_segment": "a mapping segment is malformed",
    "index_out_of_bounds": "a mapping points at a source or name that does not exist",
    "invalid_sections": "the index map's sections overlap or are out of order",
}

RESOLVE_FAILURES = {
    "NoUrlOrChunkId": "The frame names no script, so no map can be chosen.",
    "NoLineOrColumn": "The frame has no line and column to look up.",
    "NoSourcemapUploaded": "No symbol set of this project matches this script (by chunk id, "
                           "debug id or URL): its map was not uploaded. Upload it with "
                           "`symbols sourcemap upload --url-prefix '~/<served path>'` so "
                           "traces that name scripts by URL find it.",
    "NoMapNeeded": "Not the application's code (engine internals, eval'd code or a browser "
                   "extension): no map is needed.",
    "SymbolSetFailed": "The matching symbol set failed processing; see its page for why.",
    "InvalidSourceMap": "The matching symbol set is not a valid source map.",
    "StorageUnavailable": "The map could not be read from storage just now; try again.",
    "TokenNotFound": "The map has no mapping at this line and column: the map is probably "
                     "of another build of this script.",
}


def failure_words(failure_reason: str | None) -> dict | None:
    """``{"kind", "summary", "detail"}`` of a stored failure_reason, or None."""
    parsed = parse_failure(failure_reason)
    if parsed is None:
        return None
    kind, message = parsed
    code, _, rest = message.partition(": ")
    detail = f"{_DETAILS[code]} ({rest})" if code in _DETAILS and rest else message
    summary = _FAILURES.get(kind, "The map could not be used.")
    return {"kind": kind, "summary": summary, "detail": detail}


def resolve_failure_words(kind: str | None) -> str:
    return RESOLVE_FAILURES.get(kind or "", "The frame could not be resolved.")


def size_words(size: int | None) -> str:
    if size is None:
        return "—"
    if size < 1024:
        return f"{size} bytes"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
