"""Stack traces as text, the way browsers and Node print them, parsed into frames (pure).

Two families of frame lines are recognised:

- V8 (Chrome, Edge, Node, Deno): ``    at fn (url:line:col)``, ``    at url:line:col``,
  ``    at async fn (...)``, ``    at new Foo (...)``, ``    at Foo.bar [as baz] (...)``,
  ``    at fn (native)`` / ``(<anonymous>)`` / ``(index 0)``, and eval frames
  ``    at eval (eval at outer (url:line:col), <anonymous>:1:5)``, whose usable position is
  the eval call site in the script (innermost ``eval at``), as Sentry's SDK reads it;
- Gecko and WebKit (Firefox, Safari): ``fn@url:line:col``, ``@url:line:col``,
  ``async*fn@...``, ``global code@...``, ``fn@[native code]``; Firefox eval frames
  (``url line 3 > eval:1:5``) carry no column of the script and are kept, not resolved.

Every other line (the ``Error: message`` header, blank lines, Node's code excerpt) is kept
as text. A frame keeps its line and the spans of its function name and location, so it
can be printed again in its own style with resolved values put in place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

V8 = "v8"
GECKO = "gecko"

_V8_RE = re.compile(r"^(\s*)at (.*?)\s*$")
_GECKO_RE = re.compile(r"^(\s*)([^@]*)@(.*?)\s*$")
_POSITION_RE = re.compile(r"^(.+?):(\d+)(?::(\d+))?$")
_GECKO_EVAL_RE = re.compile(r" line \d+ > (?:eval|Function)\b")
# Locations that name no script: nothing to resolve there.
_NOT_SCRIPTS = ("native", "<anonymous>", "unknown location", "[native code]")


@dataclass(frozen=True)
class FrameLine:
    """One frame line of a trace.

    ``filename``/``lineno``/``colno`` are what the trace says (1-based), ``None`` when the
    frame names no position (``native``, ``[native code]``, ``index 0``...). ``function``
    is the printed name without the ``async``/``new``/``async*`` decorations.
    """

    text: str  # the line as it came (without its line break)
    style: str  # V8 or GECKO
    function: str | None
    filename: str | None
    lineno: int | None
    colno: int | None
    is_async: bool = False
    is_constructor: bool = False
    is_eval: bool = False
    # Spans in ``text``: the name (absent for anonymous frames) and ``url:line:col``.
    name_span: tuple[int, int] | None = None
    location_span: tuple[int, int] | None = None

    @property
    def resolvable(self) -> bool:
        """A script position worth sending: a file (not a Node built-in), a line and a column."""
        return (
            self.filename is not None
            and self.lineno is not None
            and self.colno is not None
            and not self.filename.startswith("node:")
        )

    @property
    def platform(self) -> str:
        """``web:javascript`` for http(s) scripts, ``node:javascript`` for files."""
        scheme = urlsplit(self.filename or "").scheme.lower()
        return "web:javascript" if scheme in ("http", "https", "blob") else "node:javascript"

    def render(self, *, function: str | None, filename: str, lineno: int, colno: int) -> str:
        """The line again, in its own style, with another name and position put in place."""
        assert self.location_span is not None
        location = f"{filename}:{lineno}:{colno}"
        text = self.text
        start, end = self.location_span
        if self.name_span is None and function and not self.is_eval:
            if self.style == V8:  # `at url:1:2` -> `at name (src:3:4)`
                return f"{text[:start]}{function} ({location}){text[end:]}"
            return f"{text[:start - 1]}{function}@{location}{text[end:]}"  # `@url` -> `name@src`
        text = text[:start] + location + text[end:]
        if function and self.name_span is not None:
            name_start, name_end = self.name_span  # before the location in every style
            text = text[:name_start] + function + text[name_end:]
        return text


@dataclass(frozen=True)
class Trace:
    """The input, line by line: each item is a ``FrameLine`` or a ``str`` kept as it came."""

    lines: tuple[FrameLine | str, ...]

    @property
    def frames(self) -> list[FrameLine]:
        return [line for line in self.lines if isinstance(line, FrameLine)]


def parse(text: str) -> Trace:
    """Every line of ``text``, frame lines parsed (line breaks are dropped)."""
    return Trace(tuple(parse_line(line) or line for line in text.splitlines()))


def parse_line(line: str) -> FrameLine | None:
    """The frame on this line, or None if it is not a frame line."""
    return _v8(line) or _gecko(line)


def script_path(filename: str) -> str:
    """The path part of a frame's script: URL path of ``http(s)://`` and ``file://``
    URLs (no query or fragment), forward slashes for Windows paths."""
    parts = urlsplit(filename)
    if len(parts.scheme) > 1 and (parts.netloc or parts.scheme in ("file", "webpack", "app")):
        path = unquote(parts.path)
        if re.match(r"^/[A-Za-z]:/", path):  # file:///C:/x.js
            path = path[1:]
        return path
    return filename.replace("\\", "/")


# --- V8 ----------------------------------------------------------------------------------


def _v8(line: str) -> FrameLine | None:
    match = _V8_RE.match(line)
    if not match:
        return None
    start = match.start(2)
    body = match.group(2)
    if not body:
        return None
    is_async = body.startswith("async ")
    if is_async:
        body, start = body[6:], start + 6
    if body.endswith(")") and (open_at := _opening(body)) > 0 and body[open_at - 1] == " ":
        name = body[: open_at - 1]
        is_constructor = name.startswith("new ")
        name_start = start + (4 if is_constructor else 0)
        name = name[4:] if is_constructor else name
        inner_start = start + open_at + 1
        inner = body[open_at + 1 : -1]
        if inner.startswith("eval at "):
            return _v8_eval(line, name, inner, inner_start, is_async=is_async, is_constructor=is_constructor)
        return _v8_frame(line, name or None, (name_start, name_start + len(name)) if name else None,
                         inner, inner_start, is_async=is_async, is_constructor=is_constructor)
    if " " in body and not _POSITION_RE.match(body):
        return None  # prose that happens to start with "at "
    return _v8_frame(line, None, None, body, start, is_async=is_async, is_constructor=False)


def _v8_frame(line: str, name: str | None, name_span: tuple[int, int] | None, location: str,
              location_start: int, *, is_async: bool, is_constructor: bool) -> FrameLine | None:
    position = _position(location, need_column=True)
    if position is None:
        if location not in _NOT_SCRIPTS and not location.startswith("index ") and name is None:
            return None
        filename = lineno = colno = None
        span = None
    else:
        filename, lineno, colno = position
        span = (location_start, location_start + len(location))
    return FrameLine(line, V8, name, filename, lineno, colno, is_async=is_async,
                 is_constructor=is_constructor, name_span=name_span, location_span=span)


def _v8_eval(line: str, name: str, inner: str, inner_start: int, *,
             is_async: bool, is_constructor: bool) -> FrameLine:
    """``eval at outer (LOCATION), <anonymous>:1:5``: LOCATION may be another ``eval at``."""
    offset = inner_start
    while inner.startswith("eval at "):
        paren = inner.find(" (", 8)
        close = _closing(inner, paren + 1) if paren >= 0 else -1
        if close < 0:
            return FrameLine(line, V8, name or None, None, None, None, is_async=is_async,
                         is_constructor=is_constructor, is_eval=True)
        caller, caller_start = inner[8:paren], offset + 8
        offset += paren + 2
        inner = inner[paren + 2 : close]
    position = _position(inner, need_column=True)
    if position is None:
        return FrameLine(line, V8, name or None, None, None, None, is_async=is_async,
                     is_constructor=is_constructor, is_eval=True)
    filename, lineno, colno = position
    return FrameLine(line, V8, name or None, filename, lineno, colno, is_async=is_async,
                 is_constructor=is_constructor, is_eval=True,
                 name_span=(caller_start, caller_start + len(caller)),
                 location_span=(offset, offset + len(inner)))


def _opening(text: str) -> int:
    """Index of the parenthesis opening the one that closes ``text``, or -1."""
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i] == ")":
            depth += 1
        elif text[i] == "(":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _closing(text: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


# --- Gecko / WebKit -------------------------------------------------------------------------


def _gecko(line: str) -> FrameLine | None:
    match = _GECKO_RE.match(line)
    if not match:
        return None
    name, location = match.group(2), match.group(3)
    if ": " in name or "\t" in name:
        return None  # a message mentioning an address, not a frame
    name_start = match.start(2)
    is_async = False
    if "*" in name:  # Firefox async causes: `async*fn`, `promise callback*fn`
        cause, _, name = name.rpartition("*")
        name_start += len(cause) + 1
        is_async = True
    name_span = (name_start, name_start + len(name)) if name else None
    if location == "[native code]":
        return FrameLine(line, GECKO, name or None, None, None, None, is_async=is_async, name_span=name_span)
    if _GECKO_EVAL_RE.search(location):
        return FrameLine(line, GECKO, name or None, None, None, None, is_async=is_async, is_eval=True,
                     name_span=name_span)
    position = _position(location, need_column=False)
    if position is None:
        return None
    filename, lineno, colno = position
    start = match.start(3)
    return FrameLine(line, GECKO, name or None, filename, lineno, colno, is_async=is_async,
                 name_span=name_span, location_span=(start, start + len(location)))


def _position(location: str, *, need_column: bool) -> tuple[str, int, int | None] | None:
    match = _POSITION_RE.match(location)
    if not match or (need_column and match.group(3) is None):
        return None
    column = match.group(3)
    return match.group(1), int(match.group(2)), int(column) if column is not None else None


__all__ = ["GECKO", "V8", "FrameLine", "Trace", "parse", "parse_line", "script_path"]
