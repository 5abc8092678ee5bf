"""Functions' original names: the map's name tokens, else the identifiers read from
`sourcesContent`, never a minified identifier.

Minifiers rename functions, and many maps have no name token where a function is
declared (`function i(){}` whose original is `#check() {}`). The original text at the
mapped position still says the name: skip the keywords that may start a declaration
(`async`, `function`, `*`, `static`, `get`, `set`) and read one identifier (or a
`#private` name). Columns are UTF-16 code units; a line with characters outside the
BMP is read as code points (rare in identifiers' lines, and only the name is read).
"""

from __future__ import annotations

import re

import numpy as np

from symbols.sourcemaps.lines import LINE_BREAK
from symbols.sourcemaps.naming import ANONYMOUS

_LEAD = re.compile(r"(?:(?:async|function|static|get|set|accessor)(?![\w$])\s*|\*\s*)*")
_IDENTIFIER = re.compile(r"#?[A-Za-z_$\u00a0-\uffff][\w$\u00a0-\uffff]*")
# Words that cannot name a function: reading one means the position is not a name.
_RESERVED = frozenset(
    ["break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "export", "extends", "false", "finally", "for", "if", "import", "in", "instanceof", "let", "new", "null", "return", "super", "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with", "yield", "await", "async", "function", "static", "get", "set"]
)


_JAVASCRIPT = (".js", ".mjs", ".cjs", ".jsx")


class _Unmapped:
    """A map of nothing: names are kept as the source writes them."""

    segment_count = 0
    names = ()


def original_scope_table(source_url: str | None, content: str, *, limits=None):
    """The function scopes of an original JavaScript source (from sourcesContent), named
    as written, or None for another language. Naming the frame by the original function
    that holds its original position survives what minifiers do to functions (terser
    inlining `runNaming` into its caller or turning `{ onReserve() {} }` into a bare arrow,
    SWC lowering `#check` to a helper)."""
    from symbols.sourcemaps.limits import DEFAULT_LIMITS
    from symbols.sourcemaps.scopes import build_scope_table  # scopes imports this module

    path = (source_url or "").split("?", 1)[0].split("#", 1)[0].lower()
    if not path.endswith(_JAVASCRIPT):
        return None
    return build_scope_table(content, _Unmapped(), limits=limits or DEFAULT_LIMITS)


class OriginalText:
    """Reads identifiers from a map's sources, each source split into lines once."""

    def __init__(self, source_map) -> None:
        self.source_map = source_map
        self._lines: dict[int, list[str] | None] = {}

    def identifier(self, source_index: int, line: int, column: int) -> str | None:
        """The identifier a declaration at (line, column) of the source names, or None."""
        if source_index < 0:
            return None
        if source_index not in self._lines:
            content = self.source_map.source_content(source_index)
            self._lines[source_index] = None if content is None else LINE_BREAK.split(content)
        lines = self._lines[source_index]
        if lines is None or not 0 <= line < len(lines):
            return None
        text = lines[line]
        at = _LEAD.match(text, column).end() if column <= len(text) else len(text)
        found = _IDENTIFIER.match(text, at)
        if found is None or found.group(0) in _RESERVED:
            return None
        return found.group(0)


def original_names(paths: list[list], nodes: list, source_map, positions) -> list[str]:
    """Each function's name: its path joined, identifiers replaced by their original
    names (`_original`); a renamable identifier with none is left out (`<anonymous>` when
    nothing is left) unless the map has no names at all; `X.constructor` is `new X`.
    `positions` converts nodes to generated (line, UTF-16 column)."""
    pieces = [piece for path in paths for piece in path if not isinstance(piece, str)]
    original = _original(pieces, source_map, positions)
    missing = [(node, path[0]) for node, path in zip(nodes, paths)
               if len(path) == 1 and _renamable(path[0]) and path[0].id not in original]
    if missing:
        # A function's own name the map does not name: the original text at its start.
        starts = _original([node for node, _ in missing], source_map, positions, exact_names=False)
        for node, piece in missing:
            if node.id in starts:
                original[piece.id] = starts[node.id]
    keep_unnamed = not source_map.names  # no renaming minifier made this map
    joined = []
    for path in paths:
        parts = []
        for piece in path:
            if isinstance(piece, str):
                parts.append(piece)
            elif piece.id in original:
                parts.append(original[piece.id])
            elif keep_unnamed or not _renamable(piece):
                parts.append(piece.text.decode("utf-8", "replace"))
        name = ".".join(parts) or ANONYMOUS
        joined.append("new " + name[:-len(_CONSTRUCTOR)] if name.endswith(_CONSTRUCTOR) and name != _CONSTRUCTOR[1:]
                      else name)
    return joined


_CONSTRUCTOR = ".constructor"
_RENAMABLE = ("identifier", "private_property_identifier")


def _renamable(piece) -> bool:
    return not isinstance(piece, str) and piece.type in _RENAMABLE


def _original(nodes: list, source_map, positions, *, exact_names: bool = True) -> dict[int, str]:
    """`{node id: original name}` of the nodes a segment starts exactly at: the segment's
    name, else (for renamable identifiers and function starts) the identifier the original
    source has there, else (a segment without a name at an identifier: not renamed) its text."""
    if not nodes or not source_map.segment_count:
        return {}
    lines, columns = np.array(positions.convert(nodes, "start"), dtype=np.int64).reshape(-1, 2).T
    found = source_map.lookup_many(lines, columns)
    generated = source_map.columns.column[np.maximum(found.segment, 0)].astype(np.int64)
    exact = ((found.segment >= 0) & (generated == columns)).tolist()
    text = OriginalText(source_map)
    out: dict[int, str] = {}
    for node, is_exact, name_index, source, line, column in zip(
        nodes, exact, found.name_index.tolist(), found.source_index.tolist(), found.line.tolist(),
        found.column.tolist(),
    ):
        if not is_exact:
            continue
        if name_index >= 0 and exact_names:
            out[node.id] = source_map.names[name_index]
        elif not exact_names or _renamable(node):
            read = text.identifier(source, line, column)
            if read is None and exact_names and source >= 0 and source_map.source_content(source) is None:
                read = node.text.decode("utf-8", "replace")  # mapped without a new name: not renamed
            if read is not None:
                out[node.id] = read
    return out


__all__ = ["OriginalText", "original_names", "original_scope_table"]
