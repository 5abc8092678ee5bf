"""The line injected into a script: a snippet registering its chunk id, and where it goes.

The chunk id is the bundler's debug id when there is one, else a UUIDv5 of the script's
bytes (``content_chunk_id``), so rebuilding the same code gives the same id. The
prologue goes after a ``#!`` line and after a directive prologue (``"use strict";``,
``"use client";``), which must stay first to keep their meaning.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid

from ...sourcemaps.lines import LINE_BREAK
from .model import InjectError

# Fixed namespace for content-derived chunk ids (the one PostHog's CLI uses, so both tools
# give the same id to the same bytes).
CHUNK_ID_NAMESPACE = uuid.UUID(int=0x0E9B3C7A5D1F42A8B6C4E2D0F8A17593)

_PROLOGUE_TEMPLATE = (
    ';!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:'
    '"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},'
    "n=(new e.Error).stack;n&&(e._posthogChunkIds=e._posthogChunkIds||{},"
    'e._posthogChunkIds[n]=__ID__)}catch(e){}}();'
)


def prologue(chunk_id: str) -> str:
    """The one-line snippet registering ``chunk_id`` (no line break)."""
    return _PROLOGUE_TEMPLATE.replace("__ID__", json.dumps(chunk_id))


def content_chunk_id(script: bytes) -> str:
    """The deterministic chunk id of a script: UUIDv5 of its bytes."""
    digest = hashlib.sha1(CHUNK_ID_NAMESPACE.bytes + script).digest()
    return str(uuid.UUID(bytes=digest[:16], version=5))


def insertion_offset(text: str) -> int:
    """Offset (in ``text``) where the prologue line is inserted.

    After a ``#!`` line, then after the directive prologue: string literal statements
    ending with ``;``, possibly with comments and whitespace around. When the last
    directive ends its line, the prologue starts the next line; when code follows on the
    same line (minified output), it goes right after the directive's ``;``.
    """
    start = 1 if text.startswith("\ufeff") else 0
    if text.startswith("#!", start):
        match = LINE_BREAK.search(text, start)
        if match is None:
            return len(text)
        start = match.end()
    position = start
    after_directive = None
    while True:
        i = _skip_trivia(text, position)
        if i < len(text) and text[i] in "\"'":
            end = _string_end(text, i)
            if end is None:
                break
            j = _skip_trivia(text, end, newlines=False)
            if j < len(text) and text[j] == ";":
                position = after_directive = j + 1
                continue
        break
    if after_directive is None:
        return start
    rest = re.compile(r"[ \t]*(?:\r\n|[\n\r\u2028\u2029]|$)").match(text, after_directive)
    return rest.end() if rest else after_directive


def _skip_trivia(text: str, i: int, *, newlines: bool = True) -> int:
    n = len(text)
    while i < n:
        c = text[i]
        if c in " \t\v\f\ufeff\u00a0" or (newlines and c in "\n\r\u2028\u2029"):
            i += 1
        elif text.startswith("//", i):
            if not newlines:
                return i
            match = LINE_BREAK.search(text, i)
            i = match.start() if match else n
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return n
            if not newlines and LINE_BREAK.search(text, i, end):
                return i
            i = end + 2
        else:
            return i
    return i


def _string_end(text: str, i: int) -> int | None:
    quote = text[i]
    j = i + 1
    while j < len(text):
        c = text[j]
        if c == "\\":
            j += 2
        elif c == quote:
            return j + 1
        elif c in "\n\r":
            return None
        else:
            j += 1
    return None


def prologue_offset(text: str, chunk_id: str) -> int:
    offset = insertion_offset(text)
    if not text.startswith(prologue(chunk_id) + "\n", offset):
        raise InjectError(
            f"script has a chunkId comment ({chunk_id}) but not the matching prologue; "
            "rebuild it"
        )
    return offset


def position(text: str, offset: int) -> tuple[int, int]:
    """0-based (line, UTF-16 column) of ``offset``, as source maps count them."""
    line = 0
    line_start = 0
    for match in LINE_BREAK.finditer(text, 0, offset):
        line += 1
        line_start = match.end()
    column = len(text[line_start:offset].encode("utf-16-le")) // 2
    return line, column
