"""Function scopes of the minified source, named through the map.

`build_scope_table` parses the minified JavaScript with tree-sitter, finds every
function (declarations, expressions, generators, arrows, methods) in one walk of the
tree and records each one's generated range and original name. `ScopeTable.name_at`
then answers "which function encloses this position" without the JavaScript: the table
is a few arrays, stored in the index.

Cost is linear in the tree: one cursor walk that keeps the ancestors on a stack (a
tree-sitter query took quadratic time on `(` x 10^5, and `node.parent` walks down from
the root on every call, quadratic in nesting), names that keep their last
32 parts (`naming.py`), and no recursion. Nesting deeper than `Limits.nesting_depth`, or
parsing and walking for longer than `Limits.scope_seconds`, raises `TooComplexError`.

Naming rules, first match wins (`minified` names are replaced by original ones, below):
- a function with its own name (`function f(){}`, `function* g(){}`, a named function
  expression) is called by it;
- a method is `Owner.key` (`class A { m(){} }` -> `A.m`, getters and static methods
  alike), where the owner of a class body is the class's name (or the binding an
  anonymous class is assigned to) and the owner of an object literal is its path;
- a function that is a value is named by the binding it is assigned to:
  `var f = function(){}` / `const f = () => {}` -> `f`;
  `a.b.c = function(){}` -> `a.b.c` (the whole dotted path; `this.x` stays `this.x`,
  `a["b"]` reads `a.b`); `{ key: function(){} }` -> `path of the object.key`;
  a class field `x = () => {}` -> `Class.x`; a default `p = () => {}` -> `p`;
- anything else (a callback, an IIFE) is `<anonymous>`.
The path of an object literal is, in turn, the binding it is assigned to or the key it
sits under (`var A = { b: { c() {} } }` -> `A.b.c`), or what its members are copied onto
(`Object.assign(X, { m() {} })` and `X.extend({ m() {} })` -> `X.m`); an object nothing
names contributes nothing (`f({ m() {} })` -> `m`). A class's `constructor` is `new Class`.

Every identifier in a name is replaced by the original name of the map's token that
starts exactly at it, when that token has one; otherwise the minified text is kept
(property keys are not mangled, so they usually need no map). A parenthesised function
is named as if the parentheses were not there.

Positions: tree-sitter reports byte columns of UTF-8 text, the map counts UTF-16 code
units; lines with non-ASCII text are converted with a per-line table. Generated lines end
at every ECMAScript line terminator (LF, CR, CRLF, U+2028, U+2029), tree-sitter's rows at
LF only, so sources with the others are converted from byte offsets instead. `name_at` takes
0-based generated lines and UTF-16 columns and returns the innermost function whose
range holds the position (start inclusive, end exclusive), or None at top level.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from symbols.sourcemaps.errors import TooComplexError
from symbols.sourcemaps.limits import DEFAULT_LIMITS, Limits
from symbols.sourcemaps.naming import ANONYMOUS, Namer
from symbols.sourcemaps.original_names import original_names
from symbols.sourcemaps.search import greatest_lower_bound
from symbols.sourcemaps.views import UNREAD, int_view, lazy_strings

_FUNCTIONS = ("function_declaration", "generator_function_declaration", "function_expression",
              "generator_function", "arrow_function", "method_definition")
# Nodes whose parent the namer asks for: recorded during the walk.
_CONTEXTS = _FUNCTIONS + ("parenthesized_expression", "object", "class", "class_declaration",
                          "class_body", "pair", "field_definition", "arguments", "call_expression")
_CHUNK = 16 << 10  # bytes handed to the parser at a time (the deadline is checked per chunk)


class ScopeTable:
    """Function scopes as arrays, sorted by start (outer before inner at equal starts).

    Positions are 0-based generated lines and UTF-16 columns; `end` is exclusive.
    `parent` is the index of the enclosing scope (-1 at top level); `name` indexes
    `names`.
    """

    def __init__(self, *, start_line: np.ndarray, start_column: np.ndarray, end_line: np.ndarray,
                 end_column: np.ndarray, parent: np.ndarray, name: np.ndarray,
                 names: Sequence[str]) -> None:
        self.start_line, self.start_column = start_line, start_column
        self.end_line, self.end_column = end_line, end_column
        self.parent, self.name, self.names = parent, name, names
        self._start = (start_line.astype(np.uint64) << np.uint64(32)) | start_column.astype(np.uint64)
        self._end = (end_line.astype(np.uint64) << np.uint64(32)) | end_column.astype(np.uint64)
        # For `scope_at`: the same arrays read as Python ints, names decoded once.
        self._start_keys, self._end_keys = int_view(self._start), int_view(self._end)
        self._parents, self._name_ids = int_view(parent), int_view(name)
        self._name_strings = lazy_strings(names)

    def __len__(self) -> int:
        return self.name.size

    def scope_at(self, line: int, column: int) -> int:
        """Index of the innermost scope holding (line, column), or -1."""
        if not (0 <= line < 2**32 and 0 <= column < 2**32):
            return -1
        key = (int(line) << 32) | int(column)
        scope = greatest_lower_bound(self._start_keys, key)
        end, parent = self._end_keys, self._parents
        while scope >= 0 and end[scope] <= key:
            scope = parent[scope]
        return scope

    def name_at(self, line: int, column: int) -> str | None:
        """Original name of the innermost function holding (line, column); None outside all."""
        scope = self.scope_at(line, column)
        if scope < 0:
            return None
        index = self._name_ids[scope]
        name = self._name_strings[index]
        if name is UNREAD:
            name = self._name_strings[index] = self.names[index]
        return name


class _Columns:
    """UTF-8 byte column -> UTF-16 column, per `\\n` line (identity on ASCII lines)."""

    def __init__(self, source: bytes) -> None:
        self._lines = source.split(b"\n")
        self._tables: dict[int, np.ndarray | None] = {}

    def __call__(self, row: int, byte_column: int) -> int:
        if row in self._tables:
            table = self._tables[row]
        else:
            line = self._lines[row] if row < len(self._lines) else b""
            table = None
            if not line.isascii():
                table = _utf16_prefix(np.frombuffer(line, dtype=np.uint8))
            self._tables[row] = table
        if table is None:
            return byte_column
        return int(table[min(byte_column, table.size - 1)])


def _utf16_prefix(data: np.ndarray) -> np.ndarray:
    """UTF-16 units before each byte offset of UTF-8 `data` (one entry per offset, plus the end)."""
    units = np.where((data & 0xC0) == 0x80, 0, np.where(data >= 0xF0, 2, 1))
    return np.concatenate(([0], np.cumsum(units)))


# Generated lines end at any ECMAScript line terminator; tree-sitter's rows count `\n` only.
_OTHER_TERMINATORS = (b"\r", "\u2028".encode(), "\u2029".encode())


class _Positions:
    r"""Tree-sitter node positions -> (generated line, UTF-16 column).

    With `\n` as the only terminator (the usual case) tree-sitter's rows are the lines
    and only byte columns need converting, row by row. Otherwise (lone `\r`, `\r\n`,
    U+2028, U+2029) lines are found from byte offsets, for all positions at once.
    """

    def __init__(self, source: bytes) -> None:
        self.rows_are_lines = not any(t in source for t in _OTHER_TERMINATORS)
        if self.rows_are_lines:
            self._columns = _Columns(source)
            return
        data = np.frombuffer(source, dtype=np.uint8)
        newline = np.flatnonzero(data == 0x0A)
        carriage = np.flatnonzero(data == 0x0D)
        lone_carriage = carriage[~np.isin(carriage + 1, newline)]  # `\r\n` breaks once, after `\n`
        lead = np.flatnonzero(data[:-2] == 0xE2)  # U+2028 and U+2029 are E2 80 A8 and E2 80 A9
        separators = lead[(data[lead + 1] == 0x80) & ((data[lead + 2] == 0xA8) | (data[lead + 2] == 0xA9))]
        self._line_starts = np.sort(np.concatenate(([0], newline + 1, lone_carriage + 1, separators + 3)))
        self._prefix = _utf16_prefix(data)

    def convert(self, nodes: list, which: str) -> list[tuple[int, int]]:
        """`which` ("start" or "end") position of every node."""
        if self.rows_are_lines:
            to_utf16 = self._columns
            return [(row, to_utf16(row, column))
                    for row, column in (getattr(node, which + "_point") for node in nodes)]
        offsets = np.array([getattr(node, which + "_byte") for node in nodes], dtype=np.int64)
        lines = np.searchsorted(self._line_starts, offsets, side="right") - 1
        columns = self._prefix[offsets] - self._prefix[self._line_starts[lines]]
        return list(zip(lines.tolist(), columns.tolist()))


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def check(self, what: str) -> None:
        if time.monotonic() > self.at:
            raise TooComplexError(f"minified source: {what} took more than {self.seconds:g} s")


def _parse(source: bytes, deadline: _Deadline):
    import tree_sitter
    import tree_sitter_javascript

    language = tree_sitter.Language(tree_sitter_javascript.language())

    def read(offset: int, _point) -> bytes:
        deadline.check("parsing")
        return source[offset : offset + _CHUNK]

    # Kind ids by name (a name may have several ids), compared as ints during the walk.
    named = [(kind, language.node_kind_for_id(kind)) for kind in range(language.node_kind_count)
             if language.node_kind_is_named(kind)]
    functions = {kind for kind, name in named if name in _FUNCTIONS}
    contexts = {kind for kind, name in named if name in _CONTEXTS}
    return tree_sitter.Parser(language).parse(read), functions, contexts


def _walk(tree, function_kinds: set, context_kinds: set, limits: Limits,
          deadline: _Deadline) -> tuple[list, dict]:
    """Every function node in tree order, and the parent of every node of `_CONTEXTS`:
    one pass, the ancestors on a stack."""
    cursor = tree.walk()
    node = cursor.node
    ancestors: list = []
    parents: dict = {}
    functions = []
    steps = 0
    while True:
        kind = node.kind_id
        if kind in context_kinds:
            parents[node.id] = ancestors[-1] if ancestors else None
            if kind in function_kinds:
                functions.append(node)
        if cursor.goto_first_child():
            ancestors.append(node)
            if len(ancestors) >= limits.nesting_depth:
                raise TooComplexError(f"minified source: nests deeper than {limits.nesting_depth} levels "
                                      f"(at byte {node.start_byte})")
            steps += 1
            if not steps & 0xFFF:
                deadline.check("finding functions")
            node = cursor.node
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return functions, parents
            ancestors.pop()
        node = cursor.node


def build_scope_table(minified_source: bytes | str, source_map, *,
                      limits: Limits = DEFAULT_LIMITS) -> ScopeTable:
    """The function scopes of `minified_source`, named through `source_map`."""
    source = minified_source.encode("utf-8") if isinstance(minified_source, str) else bytes(minified_source)
    deadline = _Deadline(limits.scope_seconds)
    tree, function_kinds, context_kinds = _parse(source, deadline)
    nodes, parents = _walk(tree, function_kinds, context_kinds, limits, deadline)
    nodes.sort(key=lambda node: (node.start_byte, -node.end_byte))
    positions = _Positions(source)
    namer = Namer(parents)
    paths = [namer.function(node) for node in nodes]
    deadline.check("naming functions")
    names = original_names(paths, nodes, source_map, positions)
    return _table(positions.convert(nodes, "start"), positions.convert(nodes, "end"), names)


def _table(starts: list, ends: list, names: list[str]) -> ScopeTable:
    """Arrays of the scopes (already sorted by start), with each one's parent."""
    interned: dict[str, int] = {}
    name = np.array([interned.setdefault(n, len(interned)) for n in names], dtype=np.uint32)
    start = np.array(starts, dtype=np.uint32).reshape(-1, 2)
    end = np.array(ends, dtype=np.uint32).reshape(-1, 2)
    parent = np.full(len(names), -1, dtype=np.int32)
    open_scopes: list[int] = []  # a stack of the scopes holding the current start
    end_keys = [(line, column) for line, column in ends]
    for scope, begin in enumerate(starts):
        while open_scopes and end_keys[open_scopes[-1]] <= begin:
            open_scopes.pop()
        if open_scopes:
            parent[scope] = open_scopes[-1]
        open_scopes.append(scope)
    return ScopeTable(start_line=start[:, 0].copy(), start_column=start[:, 1].copy(),
                      end_line=end[:, 0].copy(), end_column=end[:, 1].copy(), parent=parent,
                      name=name, names=list(interned))


__all__ = ["ANONYMOUS", "ScopeTable", "build_scope_table"]
