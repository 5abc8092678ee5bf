"""The HogQL subset the events list takes in ``select`` and ``where``, parsed with sqlglot.

Supported: columns (``uuid``/``id``, ``event``, ``distinct_id``, ``person_id``,
``timestamp``, ``elements_chain``), property access (``properties.$browser``,
``properties."odd key"``, nested ``properties.a.b``), comparisons (``= != <> < <= > >=``),
``AND``/``OR``/``NOT``, ``IN (...)``, ``LIKE``/``ILIKE``, ``IS [NOT] NULL`` and literals
(strings, numbers, true/false). ``select`` items are fields only. Anything else (functions,
arithmetic, subqueries, comparisons of two fields, several statements) is refused with
``InvalidInput`` naming what was not understood. The text only ever becomes the condition
tree of ``db.event_filters``; no SQL is built from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlglot
from sqlglot import exp

from ..db.event_filters import COLUMNS, ColumnTest, Combine, PropertyTest, plain_key, text_form
from ..errors import InvalidInput
from .filters import ARRAY_PROPERTIES

MAX_CHARS = 500
MAX_NODES = 200
MAX_PATH = 10
ALIASES = {"id": "uuid"}

_COMPARISONS = {exp.EQ: "exact", exp.NEQ: "is_not", exp.GT: "gt", exp.GTE: "gte",
                exp.LT: "lt", exp.LTE: "lte"}
_FLIPPED = {"gt": "lt", "gte": "lte", "lt": "gt", "lte": "gte"}


@dataclass(frozen=True)
class Field:
    column: str | None = None  # a column of events, or None for a property
    path: tuple[str, ...] = ()


def _refuse(attr: str, detail: str) -> InvalidInput:
    return InvalidInput("invalid_hogql", detail, attr)


def _parse(text: str, attr: str) -> exp.Expression:
    if not isinstance(text, str) or not text.strip():
        raise _refuse(attr, f"{attr} must be a non-empty HogQL expression.")
    if len(text) > MAX_CHARS:
        raise _refuse(attr, f"{attr} is longer than {MAX_CHARS} characters.")
    try:
        tree = sqlglot.parse(text, read="tsql")
    except (sqlglot.errors.SqlglotError, RecursionError, ValueError) as exc:
        raise _refuse(attr, f"Could not parse {attr}: {str(exc).splitlines()[0][:200]}") from None
    if len(tree) != 1 or tree[0] is None:
        raise _refuse(attr, f"{attr} must be one expression.")
    node = tree[0]
    if sum(1 for _ in node.walk()) > MAX_NODES:
        raise _refuse(attr, f"{attr} has more than {MAX_NODES} parts.")
    return node


def parse_select(text: str) -> Field:
    return _field(_parse(text, "select"), "select")


def parse_where(text: str) -> PropertyTest | ColumnTest | Combine:
    return _condition(_parse(text, "where"))


def _field(node: exp.Expression, attr: str) -> Field:
    if isinstance(node, exp.Paren):
        return _field(node.this, attr)
    if isinstance(node, (exp.Column, exp.Dot)):
        parts = _names(node, attr)
        if len(parts) == 1 and ALIASES.get(parts[0], parts[0]) in COLUMNS:
            return Field(column=ALIASES.get(parts[0], parts[0]))
        if len(parts) >= 2 and parts[0] == "properties":
            if len(parts) > MAX_PATH + 1:
                raise _refuse(attr, f"Property paths are at most {MAX_PATH} keys deep.")
            if len(parts) > 2 and not all(plain_key(p) for p in parts[1:]):
                raise _refuse(attr, "Keys of a nested property path cannot contain '\"', '\\' "
                                    "or control characters.")
            return Field(path=tuple(parts[1:]))
        raise _refuse(attr, f"Unknown field {'.'.join(parts)[:100]!r}: use a column "
                            f"({', '.join(COLUMNS)}) or properties.<name>.")
    raise _refuse(attr, f"Unsupported expression {_describe(node)}: only fields and "
                        "comparisons of a field with literals are supported.")


def _names(node: exp.Expression, attr: str) -> list[str]:
    parts = node.parts if isinstance(node, exp.Column) else [*_dot(node.this, attr), node.expression]
    names = []
    for part in parts:
        if isinstance(part, list):
            names.extend(part)
        elif isinstance(part, exp.Identifier):
            names.append(part.this)
        else:
            raise _refuse(attr, f"Unsupported field part {_describe(part)}.")
    return names


def _dot(node: exp.Expression, attr: str) -> list[str]:
    if isinstance(node, (exp.Column, exp.Dot)):
        return _names(node, attr)
    raise _refuse(attr, f"Unsupported field part {_describe(node)}.")


def _describe(node: exp.Expression) -> str:
    return f"{type(node).__name__} ({node.sql(dialect='tsql')[:60]!r})"


def _literal(node: exp.Expression) -> Any:
    if isinstance(node, exp.Paren):
        return _literal(node.this)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        value = _literal(node.this)
        return -value
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        try:
            number = float(node.this)
        except ValueError:
            raise _refuse("where", f"Not a number: {node.this[:40]!r}.") from None
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    raise _refuse("where", f"Expected a literal, not {_describe(node)}.")


def _condition(node: exp.Expression) -> PropertyTest | ColumnTest | Combine:
    if isinstance(node, exp.Paren):
        return _condition(node.this)
    if isinstance(node, (exp.And, exp.Or)):
        op = "AND" if isinstance(node, exp.And) else "OR"
        return Combine(op, (_condition(node.this), _condition(node.expression)))
    if isinstance(node, exp.Not):
        return Combine("NOT", (_condition(node.this),))
    if isinstance(node, exp.Is):
        if not isinstance(node.expression, exp.Null):
            raise _refuse("where", "IS takes only NULL.")
        return _test(_field(node.this, "where"), "is_not_set", None)
    if isinstance(node, exp.In):
        if node.args.get("query") is not None or not node.expressions:
            raise _refuse("where", "IN takes a list of literals.")
        values = [_literal(v) for v in node.expressions]
        if any(v is None for v in values):
            raise _refuse("where", "IN takes literals other than NULL (use IS NULL).")
        return _test(_field(node.this, "where"), "in", values)
    if isinstance(node, (exp.Like, exp.ILike)):
        op = "like" if isinstance(node, exp.Like) else "ilike"
        test = _test(_field(node.this, "where"), op, _text(_literal(node.expression)))
        return Combine("NOT", (test,)) if node.args.get("negate") else test
    for kind, op in _COMPARISONS.items():
        if type(node) is kind:
            return _comparison(node, op)
    raise _refuse("where", f"Unsupported expression {_describe(node)}.")


def _comparison(node: exp.Expression, op: str) -> PropertyTest | ColumnTest | Combine:
    left, right = node.this, node.expression
    if not isinstance(left, (exp.Column, exp.Dot, exp.Paren)) or isinstance(right, (exp.Column, exp.Dot)):
        if isinstance(left, (exp.Column, exp.Dot)) == isinstance(right, (exp.Column, exp.Dot)):
            raise _refuse("where", "A comparison needs one field and one literal.")
        left, right, op = right, left, _FLIPPED.get(op, op)
    value = _literal(right)
    if value is None:
        if op not in ("exact", "is_not"):
            raise _refuse("where", "NULL compares only with = and !=.")
        return _test(_field(left, "where"), "is_not_set" if op == "exact" else "is_set", None)
    return _test(_field(left, "where"), op, value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _refuse("where", "LIKE and ILIKE take a string pattern.")
    return value


def _test(field: Field, op: str, value: Any) -> PropertyTest | ColumnTest:
    if field.column is None:
        per_element = len(field.path) == 1 and field.path[0] in ARRAY_PROPERTIES
        return PropertyTest(field.path, op, value, per_element)
    if op in ("is_set", "is_not_set"):
        return ColumnTest(field.column, op)
    values = value if isinstance(value, list) else [value]
    converted = [_column_value(field.column, v) for v in values]
    return ColumnTest(field.column, op, converted if isinstance(value, list) else converted[0])


def _column_value(column: str, value: Any) -> Any:
    if column != "timestamp":
        return value if isinstance(value, str) else text_form(value)
    if not isinstance(value, str):
        raise _refuse("where", "timestamp compares with an ISO 8601 string.")
    try:
        parsed = datetime.fromisoformat(value)
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _refuse("where", f"Not an ISO 8601 timestamp: {value[:40]!r}.") from None
    return parsed
