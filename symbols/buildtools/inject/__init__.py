"""Build-step injection of chunk ids into scripts and their source maps (pure file logic).

A *pair* is a script (``.js``, ``.mjs``, ``.cjs``) and its source map, found through the
script's ``//# sourceMappingURL=`` comment (resolved relative to the script) or, failing
that, ``<script>.map`` beside it. Inline ``data:`` maps are reported and skipped: emit
external maps to have them injected and uploaded.

Injecting a pair (PostHog's convention, DESIGN.md section 3):

- the chunk id is the bundler's ECMA-426 debug id when there is one (map ``debugId`` /
  ``debug_id``, or a ``//# debugId=`` comment), else a UUIDv5 of the script's bytes, so
  rebuilding the same code gives the same id;
- the script gets a one-line prologue registering the id in ``globalThis._posthogChunkIds``
  (keyed by ``new Error().stack``) and a trailing ``//# chunkId=<id>`` comment. The
  prologue goes after a ``#!`` line and after a directive prologue (``"use strict";``,
  ``"use client";``), which must stay first to keep their meaning;
- the map gets a top-level ``"chunk_id"`` and its mappings are shifted by the inserted
  line, so every position stays exact (index maps: the sections after the insertion
  point move down, the section containing it is shifted inside).

Writes are atomic (temporary file + rename), the script first, then the map. A script
carrying ``//# chunkId=`` is the source of truth: if its map lacks ``chunk_id`` (a crash
between the two writes, or a map rebuilt alone) the map is completed on the next run; a
map that has ``chunk_id`` while its script has none is reported, never shifted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson

from ...files import atomic_write
from .mapshift import shift_map, shift_mappings
from .model import InjectError, Pair, PairState, Problem, Scan, Skipped
from .pairing import ignore_spec, load_map, scan, trailing_comments
from .prologue import (
    CHUNK_ID_NAMESPACE,
    content_chunk_id,
    insertion_offset,
    position,
    prologue,
    prologue_offset,
)


@dataclass(frozen=True)
class Outcome:
    pair: Pair
    changed_script: bool
    changed_map: bool
    # The script's bytes after injection (written, or that would be with dry_run).
    script_bytes: bytes | None = None


def plan(pair: Pair) -> tuple[str | None, bytes | None]:
    """New script text and map bytes for a pair (None where nothing changes). Pure."""
    if pair.state is PairState.INJECTED:
        return None, None
    text = pair.script_text
    if pair.state is PairState.NEW:
        offset = insertion_offset(text)
        new_text = text[:offset] + prologue(pair.chunk_id) + "\n" + text[offset:]
        if not new_text.endswith(("\n", "\r")):
            new_text += "\n"
        new_text += f"//# chunkId={pair.chunk_id}\n"
    else:
        offset = prologue_offset(text, pair.chunk_id)
        new_text = None
    line, column = position(text, offset)
    new_doc = shift_map(pair.map_doc, line, column)
    new_doc["chunk_id"] = pair.chunk_id
    return new_text, orjson.dumps(new_doc)


def inject(pair: Pair, *, dry_run: bool = False) -> Outcome:
    """Inject one pair: script first, then map, each written atomically."""
    new_text, new_map = plan(pair)
    script_bytes = new_text.encode("utf-8") if new_text is not None else None
    if not dry_run:
        if script_bytes is not None:
            write_file(pair.script, script_bytes)
        if new_map is not None:
            write_file(pair.map, new_map)
    return Outcome(pair, new_text is not None, new_map is not None, script_bytes)


def write_file(path: Path, data: bytes) -> None:
    """Replace a script or map atomically, keeping its permissions."""
    atomic_write(path, lambda out: out.write(data), keep_mode=True)


__all__ = [
    "CHUNK_ID_NAMESPACE",
    "InjectError",
    "Outcome",
    "Pair",
    "PairState",
    "Problem",
    "Scan",
    "Skipped",
    "content_chunk_id",
    "ignore_spec",
    "inject",
    "insertion_offset",
    "load_map",
    "plan",
    "prologue",
    "scan",
    "shift_map",
    "shift_mappings",
    "trailing_comments",
    "write_file",
]
