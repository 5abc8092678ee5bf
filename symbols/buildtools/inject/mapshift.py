"""Shifting a source map by one inserted line break, so every position stays exact.

Regular maps: the segments at or after the insertion point on its line move to the next
line; later lines move down. Index maps: the sections after the insertion point move
down, the section containing it is shifted inside.
"""

from __future__ import annotations

from ...sourcemaps import SourceMapError
from ...sourcemaps.vlq import decode_value, encode_value
from .model import InjectError


def shift_mappings(mappings: str, line: int, column: int) -> str:
    """``mappings`` after one line break is inserted at generated (``line``, ``column``).

    Segments on ``line`` at or after ``column`` move to the start of the next line (their
    columns reduced by ``column``); later lines move down by one. Only the generated-column
    field of the moved segments is re-encoded: the other fields are relative to the
    previous segment in the whole stream, whose order does not change.
    """
    lines = mappings.split(";")
    if line >= len(lines):
        return mappings
    if column == 0:
        lines.insert(line, "")
        return ";".join(lines)
    before: list[str] = []
    after: list[tuple[int, str]] = []
    absolute = 0
    for segment in lines[line].split(",") if lines[line] else []:
        if not segment:
            raise InjectError("empty segment in mappings")
        try:
            delta, used = decode_value(segment)
        except SourceMapError as exc:
            raise InjectError(f"mappings: {exc.message}") from None
        absolute += delta
        if absolute < column:
            before.append(segment)
        else:
            after.append((absolute - column, segment[used:]))
    moved = []
    previous = 0
    for new_column, rest in after:
        moved.append(encode_value(new_column - previous) + rest)
        previous = new_column
    lines[line:line + 1] = [",".join(before), ",".join(moved)]
    return ";".join(lines)


def shift_map(doc: dict, line: int, column: int) -> dict:
    """A copy of a map (regular or index) with one line break inserted at (line, column)."""
    out = dict(doc)
    if "sections" not in doc:
        out["mappings"] = shift_mappings(doc["mappings"], line, column)
        return out
    sections = []
    containing = None
    for i, section in enumerate(doc["sections"]):
        offset = section["offset"]
        if (offset["line"], offset["column"]) < (line, column):
            containing = i
    for i, section in enumerate(doc["sections"]):
        section = dict(section)
        ol, oc = section["offset"]["line"], section["offset"]["column"]
        if (ol, oc) >= (line, column):
            new = (ol + 1, oc - column) if ol == line else (ol + 1, oc)
            section["offset"] = {**section["offset"], "line": new[0], "column": new[1]}
        elif i == containing:
            local_column = column - oc if line == ol else column
            section["map"] = shift_map(section["map"], line - ol, local_column)
        sections.append(section)
    out["sections"] = sections
    return out
