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

import hashlib
import json
import os
import re
import tempfile
import uuid
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from urllib.parse import unquote, urlsplit

import orjson

from symbols.sourcemaps import SourceMapError, parse_source_map

SCRIPT_SUFFIXES = (".js", ".mjs", ".cjs")

# Fixed namespace for content-derived chunk ids (the one PostHog's CLI uses, so both tools
# give the same id to the same bytes).
CHUNK_ID_NAMESPACE = uuid.UUID(int=0x0E9B3C7A5D1F42A8B6C4E2D0F8A17593)

_PROLOGUE_TEMPLATE = (
    ';!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:'
    '"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},'
    "n=(new e.Error).stack;n&&(e._posthogChunkIds=e._posthogChunkIds||{},"
    'e._posthogChunkIds[n]=__ID__)}catch(e){}}();'
)
_CHUNK_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")
_TRAILING_COMMENT_RE = re.compile(
    r"^[ \t]*//[#@][ \t]*(sourceMappingURL|chunkId|debugId)=[ \t]*(\S*)[ \t]*\r?$", re.MULTILINE
)
_LINE_BREAK_RE = re.compile(r"\r\n|[\n\r\u2028\u2029]")
_BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BASE64_VALUES = {c: i for i, c in enumerate(_BASE64)}
_MAPPINGS_RE = re.compile(r"^[A-Za-z0-9+/,;]*$")
_TAIL_BYTES = 16384


class InjectError(ValueError):
    """A pair that cannot be injected; the message says why, in one line."""


class PairState(str, Enum):
    NEW = "new"  # neither file carries a chunk id: inject both
    MAP_PENDING = "map_pending"  # the script is injected, the map is not yet
    INJECTED = "injected"  # both carry the same chunk id: nothing to do


@dataclass
class Pair:
    script: Path
    map: Path
    chunk_id: str
    state: PairState
    script_text: str = field(repr=False)
    map_doc: dict = field(repr=False)


@dataclass(frozen=True)
class Skipped:
    """A script that is not a pair (no map); not an error."""

    script: Path
    reason: str


@dataclass(frozen=True)
class Problem:
    """A script or map that cannot be handled; reported, and the files are left untouched."""

    path: Path
    reason: str


@dataclass
class Scan:
    pairs: list[Pair] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def prologue(chunk_id: str) -> str:
    """The one-line snippet registering ``chunk_id`` (no line break)."""
    return _PROLOGUE_TEMPLATE.replace("__ID__", json.dumps(chunk_id))


def content_chunk_id(script: bytes) -> str:
    """The deterministic chunk id of a script: UUIDv5 of its bytes."""
    digest = hashlib.sha1(CHUNK_ID_NAMESPACE.bytes + script).digest()
    return str(uuid.UUID(bytes=digest[:16], version=5))


# --- finding pairs ----------------------------------------------------------------------


def scan(directory: Path) -> Scan:
    """Every script under ``directory`` (recursively, sorted), classified.

    Reads only; nothing is written. Maps referenced by more than one script are problems
    for all of them (shifting such a map for one script would break it for the others).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InjectError(f"{directory} is not a directory")
    result = Scan()
    candidates: list[tuple[Path, str, Path]] = []
    for script in _scripts(directory):
        try:
            raw = script.read_bytes()
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            result.problems.append(Problem(script, f"cannot read script: {_reason(exc)}"))
            continue
        comments = trailing_comments(text)
        ref = comments.get("sourceMappingURL")
        map_path, why = _map_path(script, ref)
        if map_path is None:
            result.skipped.append(Skipped(script, why))
            continue
        candidates.append((script, text, map_path))

    users: dict[Path, list[Path]] = {}
    for script, _, map_path in candidates:
        users.setdefault(map_path.resolve(), []).append(script)
    for script, text, map_path in candidates:
        sharing = users[map_path.resolve()]
        if len(sharing) > 1:
            others = ", ".join(str(s) for s in sharing if s != script)
            result.problems.append(
                Problem(script, f"its map {map_path} is shared with {others}; not injected")
            )
            continue
        try:
            result.pairs.append(_classify(script, text, map_path))
        except InjectError as exc:
            result.problems.append(Problem(script, str(exc)))
    return result


def _scripts(directory: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(SCRIPT_SUFFIXES) and not name.startswith(".symbols-tmp-"):
                found.append(Path(root) / name)
    return found


def trailing_comments(text: str) -> dict[str, str]:
    """The last ``//# name=value`` comment of each kind near the end of a script."""
    tail = text[-_TAIL_BYTES:]
    found: dict[str, str] = {}
    for match in _TRAILING_COMMENT_RE.finditer(tail):
        found[match.group(1)] = match.group(2)
    return found


def _map_path(script: Path, ref: str | None) -> tuple[Path | None, str]:
    beside = script.with_name(script.name + ".map")
    if ref:
        if ref.startswith("data:"):
            return None, "inline data: source map (emit external maps to inject and upload)"
        parts = urlsplit(ref)
        if parts.scheme in ("http", "https", "file") or ref.startswith("//"):
            name = unquote(parts.path.rsplit("/", 1)[-1])
            candidate = script.parent / name if name else None
        else:
            candidate = script.parent / unquote(parts.path)
        if candidate is not None and candidate.is_file():
            return candidate, ""
        if beside.is_file():
            return beside, ""
        return None, f"its sourceMappingURL {ref!r} names no file here"
    if beside.is_file():
        return beside, ""
    return None, "no source map"


def _classify(script: Path, text: str, map_path: Path) -> Pair:
    doc = load_map(map_path)
    comments = trailing_comments(text)
    script_id = comments.get("chunkId")
    map_id = doc.get("chunk_id")
    if script_id:
        if not _CHUNK_ID_RE.match(script_id):
            raise InjectError(f"script has an unusable chunkId comment {script_id!r}")
        if map_id is None:
            _prologue_offset(text, script_id)  # raises if the prologue is not where expected
            _validate(map_path, doc)
            return Pair(script, map_path, script_id, PairState.MAP_PENDING, text, doc)
        if map_id != script_id:
            raise InjectError(
                f"script chunk id {script_id} differs from its map's chunk_id {map_id}; "
                "rebuild both files"
            )
        return Pair(script, map_path, script_id, PairState.INJECTED, text, doc)
    if map_id is not None:
        raise InjectError(
            f"map {map_path} already has chunk_id {map_id} but the script has none "
            "(script rebuilt without its map?); rebuild both files"
        )
    _validate(map_path, doc)
    chunk_id = _debug_id(doc, comments) or content_chunk_id(text.encode("utf-8"))
    return Pair(script, map_path, chunk_id, PairState.NEW, text, doc)


def _validate(map_path: Path, doc: dict) -> None:
    """Decode the whole map with the engine: a map the service would refuse is not injected."""
    try:
        parse_source_map(orjson.dumps(doc))
    except SourceMapError as exc:
        raise InjectError(f"{map_path} is not a valid source map: {exc}") from None


def _debug_id(doc: dict, comments: dict[str, str]) -> str | None:
    for candidate in (doc.get("debugId"), doc.get("debug_id"), comments.get("debugId")):
        if isinstance(candidate, str) and _CHUNK_ID_RE.match(candidate):
            return candidate.lower() if _is_uuid(candidate) else candidate
    return None


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def load_map(path: Path) -> dict:
    """A source map file as a dict, checked enough to be shifted safely."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InjectError(f"cannot read map {path}: {_reason(exc)}") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if raw.startswith(b")]}"):
        raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InjectError(f"{path} is not a valid source map: not JSON ({exc})") from None
    check_map(doc, path)
    return doc


def check_map(doc: object, path: Path | str) -> None:
    if not isinstance(doc, dict):
        raise InjectError(f"{path} is not a valid source map: not a JSON object")
    if doc.get("version") != 3:
        raise InjectError(f"{path} is not a valid source map: version is not 3")
    if "sections" in doc:
        sections = doc["sections"]
        if not isinstance(sections, list):
            raise InjectError(f"{path} is not a valid source map: sections is not a list")
        for i, section in enumerate(sections):
            offset = section.get("offset") if isinstance(section, dict) else None
            if not (
                isinstance(offset, dict)
                and _is_index(offset.get("line"))
                and _is_index(offset.get("column"))
            ):
                raise InjectError(f"{path} is not a valid source map: section {i} has no valid offset")
            if not isinstance(section.get("map"), dict):
                raise InjectError(
                    f"{path} is not a valid source map: section {i} has no embedded map "
                    "(url sections are not supported)"
                )
            check_map(section["map"], f"{path} section {i}")
        return
    mappings = doc.get("mappings")
    if not isinstance(mappings, str):
        raise InjectError(f"{path} is not a valid source map: no mappings string")
    if not _MAPPINGS_RE.match(mappings):
        raise InjectError(f"{path} is not a valid source map: mappings hold non-base64 characters")
    if not isinstance(doc.get("sources", []), list):
        raise InjectError(f"{path} is not a valid source map: sources is not a list")


def _is_index(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# --- where the prologue goes ------------------------------------------------------------


def insertion_offset(text: str) -> int:
    """Offset (in ``text``) where the prologue line is inserted.

    After a ``#!`` line, then after the directive prologue: string literal statements
    ending with ``;``, possibly with comments and whitespace around. When the last
    directive ends its line, the prologue starts the next line; when code follows on the
    same line (minified output), it goes right after the directive's ``;``.
    """
    start = 1 if text.startswith("\ufeff") else 0
    if text.startswith("#!", start):
        match = _LINE_BREAK_RE.search(text, start)
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
            match = _LINE_BREAK_RE.search(text, i)
            i = match.start() if match else n
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return n
            if not newlines and _LINE_BREAK_RE.search(text, i, end):
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


def _prologue_offset(text: str, chunk_id: str) -> int:
    offset = insertion_offset(text)
    if not text.startswith(prologue(chunk_id) + "\n", offset):
        raise InjectError(
            f"script has a chunkId comment ({chunk_id}) but not the matching prologue; "
            "rebuild it"
        )
    return offset


def _position(text: str, offset: int) -> tuple[int, int]:
    """0-based (line, UTF-16 column) of ``offset``, as source maps count them."""
    line = 0
    line_start = 0
    for match in _LINE_BREAK_RE.finditer(text, 0, offset):
        line += 1
        line_start = match.end()
    column = len(text[line_start:offset].encode("utf-16-le")) // 2
    return line, column


# --- shifting mappings ------------------------------------------------------------------


def _vlq_decode_first(segment: str) -> tuple[int, int]:
    """The first VLQ value of a segment, and how many characters it used."""
    value = 0
    shift = 0
    for i, c in enumerate(segment):
        digit = _BASE64_VALUES.get(c)
        if digit is None:
            raise InjectError(f"invalid base64 character {c!r} in mappings")
        value |= (digit & 31) << shift
        if not digit & 32:
            negative = value & 1
            value >>= 1
            return (-value if negative else value), i + 1
        shift += 5
        if shift > 60:
            break
    raise InjectError("truncated or oversized VLQ value in mappings")


def _vlq_encode(value: int) -> str:
    vlq = (-value << 1) | 1 if value < 0 else value << 1
    out = []
    while True:
        digit = vlq & 31
        vlq >>= 5
        if vlq:
            digit |= 32
        out.append(_BASE64[digit])
        if not vlq:
            return "".join(out)


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
        delta, used = _vlq_decode_first(segment)
        absolute += delta
        if absolute < column:
            before.append(segment)
        else:
            after.append((absolute - column, segment[used:]))
    moved = []
    previous = 0
    for new_column, rest in after:
        moved.append(_vlq_encode(new_column - previous) + rest)
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


# --- injecting --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    pair: Pair
    changed_script: bool
    changed_map: bool


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
        offset = _prologue_offset(text, pair.chunk_id)
        new_text = None
    line, column = _position(text, offset)
    new_doc = shift_map(pair.map_doc, line, column)
    new_doc["chunk_id"] = pair.chunk_id
    return new_text, orjson.dumps(new_doc)


def inject(pair: Pair, *, dry_run: bool = False) -> Outcome:
    """Inject one pair: script first, then map, each written atomically."""
    new_text, new_map = plan(pair)
    if not dry_run:
        if new_text is not None:
            atomic_write(pair.script, new_text.encode("utf-8"))
        if new_map is not None:
            atomic_write(pair.map, new_map)
    return Outcome(pair, new_text is not None, new_map is not None)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: a temporary file beside it, fsync'd, then renamed."""
    path = Path(path)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=".symbols-tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


__all__ = [
    "CHUNK_ID_NAMESPACE",
    "InjectError",
    "Outcome",
    "Pair",
    "PairState",
    "Problem",
    "Scan",
    "Skipped",
    "atomic_write",
    "check_map",
    "content_chunk_id",
    "inject",
    "insertion_offset",
    "load_map",
    "plan",
    "prologue",
    "scan",
    "shift_map",
    "shift_mappings",
    "trailing_comments",
]
