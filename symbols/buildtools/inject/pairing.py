"""Finding script/map pairs under a directory and classifying them (reads only).

A script's map is found through its ``//# sourceMappingURL=`` comment (resolved relative
to the script) or, failing that, ``<script>.map`` beside it. Inline ``data:`` maps are
reported and skipped. A script carrying ``//# chunkId=`` is the source of truth: if its
map lacks ``chunk_id`` the map is completed on the next run; a map that has ``chunk_id``
while its script has none is reported, never shifted twice.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

import orjson
from pathspec import GitIgnoreSpec

from ...files import TMP_PREFIX
from ...sourcemaps import SourceMapError, parse_source_map
from .model import InjectError, Pair, PairState, Problem, Scan, Skipped
from .prologue import content_chunk_id, prologue_offset

SCRIPT_SUFFIXES = (".js", ".mjs", ".cjs")
# Dependencies are never the build's own output (a small Vite app has hundreds of them).
DEFAULT_IGNORE = ("node_modules/",)
CHUNK_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")
_TRAILING_COMMENT_RE = re.compile(
    r"^[ \t]*//[#@][ \t]*(sourceMappingURL|chunkId|debugId)=[ \t]*(\S*)[ \t]*\r?$", re.MULTILINE
)
_TAIL_BYTES = 16384


def scan(directory: Path, ignore: Sequence[str] = ()) -> Scan:
    """Every script under ``directory`` (recursively, sorted), classified.

    Reads only; nothing is written. ``node_modules`` and the gitignore-style patterns of
    ``ignore`` (relative to ``directory``) are not walked. Maps referenced by more than
    one script are problems for all of them (shifting such a map for one script would
    break it for the others).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InjectError(f"{directory} is not a directory")
    result = Scan()
    candidates: list[tuple[Path, str, Path]] = []
    for script in scripts(directory, ignore):
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
            result.skipped.append(Skipped(script, why, comments.get("chunkId")))
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


def ignore_spec(ignore: Sequence[str] = ()) -> GitIgnoreSpec:
    return GitIgnoreSpec.from_lines([*DEFAULT_IGNORE, *ignore])


def files_under(directory: Path, spec: GitIgnoreSpec, suffixes: tuple[str, ...]) -> list[Path]:
    """Files under ``directory`` ending in one of ``suffixes`` (any case), sorted, without
    what ``spec`` ignores (pruned: an ignored node_modules is never read at all)."""
    found = []
    for root, dirs, files in os.walk(directory):
        relative = Path(root).relative_to(directory)
        dirs[:] = sorted(d for d in dirs if not spec.match_file(f"{(relative / d).as_posix()}/"))
        found += [Path(root) / name for name in sorted(files)
                  if name.lower().endswith(suffixes) and not name.startswith(TMP_PREFIX)
                  and not spec.match_file((relative / name).as_posix())]
    return found


def scripts(directory: Path, ignore: Sequence[str] = ()) -> list[Path]:
    return files_under(directory, ignore_spec(ignore), SCRIPT_SUFFIXES)


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
        if not CHUNK_ID_RE.match(script_id):
            raise InjectError(f"script has an unusable chunkId comment {script_id!r}")
        if map_id is None:
            prologue_offset(text, script_id)  # raises if the prologue is not where expected
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
    chunk_id = _debug_id(doc, comments) or content_chunk_id(text.encode("utf-8"))
    return Pair(script, map_path, chunk_id, PairState.NEW, text, doc)


def _debug_id(doc: dict, comments: dict[str, str]) -> str | None:
    for candidate in (doc.get("debugId"), doc.get("debug_id"), comments.get("debugId")):
        if isinstance(candidate, str) and CHUNK_ID_RE.match(candidate):
            return candidate.lower() if _is_uuid(candidate) else candidate
    return None


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def load_map(path: Path) -> dict:
    """A source map file as a dict, validated by the engine: a map the service would refuse
    is not injected."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InjectError(f"cannot read map {path}: {_reason(exc)}") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if raw.startswith(b")]}"):
        raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
    try:
        parse_source_map(raw)
    except SourceMapError as exc:
        raise InjectError(f"{path} is not a valid source map: {exc}") from None
    return orjson.loads(raw)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)
