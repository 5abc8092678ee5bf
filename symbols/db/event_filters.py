"""Conditions on events as SQLAlchemy expressions, the same meaning on SQLite and PostgreSQL.

The domain builds a tree of ``PropertyTest`` (a property filter leaf, or a HogQL comparison
on ``properties.x``), ``ColumnTest`` (a column of ``events``) and ``Combine`` (AND/OR/NOT);
``condition_sql(dialect, tree)`` turns it into one expression with every value bound as a
parameter (no SQL text is built from input).

Property values follow ClickHouse, where PostHog runs event queries: a property is compared
through its text form (``"Chrome"``, ``1.5``, ``true``), so ``exact "1"`` matches the string
"1" and the number 1, ``exact "true"`` the string and the boolean. On PostgreSQL ``exact``,
``is_not``, ``in`` and ``not_in`` are JSONB containment (``properties @> {"k": v}``), which
the GIN (jsonb_path_ops) index of migration 0004 serves; on an exception list it is the
list's own containment (``properties -> '$exception_types' @> [v]``), served by that
list's index of migration 0009, whose statistics tell the planner how common the value
is. ``gt``/``lt``/... compare numbers
when the filter value is numeric (a numeric string property counts), else strings.
``$exception_types`` and the other array properties are tested per element (some element
passes). Regexes are PostgreSQL's on PostgreSQL and RE2 on SQLite (``sqlite_functions``).
``is_date_*`` and ``semver_*`` read dates and versions by ``symbols.property_values``'
grammar, as the rules do: its patterns on PostgreSQL, its functions on SQLite; the domain
gives their values as Unix seconds and ``semver_key`` texts.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    Integer,
    Numeric,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.sql.elements import ColumnElement

from ..property_values import DATE_PATTERN, MAX_EPOCH, MIN_EPOCH, SEMVER_KEY_WIDTH, SEMVER_PATTERN
from .tables import events, exception_lists, exception_values_text

# A property string that reads as a number (bounded exponent: never a cast overflow).
NUMBER_RE = r"^-?[0-9]{1,30}(\.[0-9]{1,30})?([eE][-+]?[0-9]{1,3})?$"
_NUMBER = re.compile(NUMBER_RE)

COLUMNS = ("uuid", "event", "distinct_id", "person_id", "timestamp", "elements_chain")
DATE_OPERATORS = {"is_date_exact": "=", "is_date_before": "<", "is_date_after": ">"}
SEMVER_OPERATORS = {"semver_eq": "=", "semver_neq": "<>", "semver_gt": ">", "semver_gte": ">=",
                    "semver_lt": "<", "semver_lte": "<="}
SEMVER_RANGES = frozenset({"semver_tilde", "semver_caret", "semver_wildcard"})
_NEGATIVE = {"is_not": "exact", "not_in": "in", "not_icontains": "icontains",
             "not_regex": "regex", "not_like": "like", "not_ilike": "ilike",
             "not_icontains_multi": "icontains_multi", "not_between": "between"}


@dataclass(frozen=True)
class PropertyTest:
    path: tuple[str, ...]
    operator: str
    value: Any = None
    per_element: bool = False


@dataclass(frozen=True)
class ColumnTest:
    column: str
    operator: str  # exact is_not in not_in lt lte gt gte like ilike not_like not_ilike is_set
    value: Any = None


@dataclass(frozen=True)
class Combine:
    op: str  # AND | OR | NOT
    args: tuple = ()


def text_form(value: Any) -> str:
    """ClickHouse's text of a JSON scalar (what a property is compared through)."""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def number_of(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and _NUMBER.match(value):
        return float(value)
    return None


def condition_sql(dialect: str, node: PropertyTest | ColumnTest | Combine) -> ColumnElement:
    if isinstance(node, Combine):
        parts = [condition_sql(dialect, arg) for arg in node.args]
        if node.op == "NOT":
            return not_(func.coalesce(parts[0], false()))
        if not parts:
            return true()
        return and_(*parts) if node.op == "AND" else or_(*parts)
    if isinstance(node, ColumnTest):
        return _column(node)
    return _property(dialect, node)


def _column(node: ColumnTest) -> ColumnElement:
    col = events.c[node.column]
    op, value = node.operator, node.value
    if op in ("is_set", "is_not_set"):
        return col.is_not(None) if op == "is_set" else col.is_(None)
    if op in _NEGATIVE:
        return not_(func.coalesce(_column(ColumnTest(node.column, _NEGATIVE[op], value)), false()))
    if op == "exact":
        return col == value
    if op == "in":
        return col.in_(list(value))
    if op == "like":
        return col.like(value)
    if op == "ilike":
        return col.ilike(value)
    return {"lt": col < value, "lte": col <= value, "gt": col > value, "gte": col >= value}[op]


class _Value:
    """A JSON value inside ``properties``: its type, text and number as SQL expressions.

    ``kind`` is 'string', 'number', 'true', 'false', 'null', 'object', 'array' or NULL
    (missing) on both databases."""

    def __init__(self, dialect: str, kind: ColumnElement, text: ColumnElement, raw: ColumnElement | None = None) -> None:
        self.dialect = dialect
        self.kind = kind
        self.text = text
        self.raw = raw  # SQLite: the value as json_extract gives it (a number unrounded)

    def number(self) -> ColumnElement:
        if self.dialect == "postgresql":
            parsed = cast(self.text, Numeric)
            numeric_text = and_(self.kind == "string", self.text.regexp_match(NUMBER_RE))
            return case((self.kind == "number", parsed), (numeric_text, parsed), else_=null())
        return case(
            (self.kind == "number", cast(self.text, Numeric)),
            (self.kind == "string", func.symbols_number(self.text)),
            else_=null(),
        )

    def epoch(self) -> ColumnElement:
        """Unix seconds, or NULL when the value is not a date (``property_values.epoch_seconds``)."""
        if self.dialect == "sqlite":
            return func.symbols_epoch(self.kind, self.raw)
        # A JSON number is read as a double, as Python reads it; |x| < 1 needs no cast (and
        # a tiny one would underflow it), |x| >= 1e300 is no date (and would overflow it).
        number = cast(self.text, Numeric)
        double = cast(number, Float)
        seconds = case(
            (func.abs(number) < 1, case((number < 0, -1), else_=0)),
            (func.abs(number) < 1e300,
             case((and_(double >= MIN_EPOCH, double < MAX_EPOCH + 1), cast(func.floor(double), BigInteger)))),
        )
        return case((self.kind == "number", seconds), (self.kind == "string", _pg_date_text(self.text)))

    def semver_key(self) -> ColumnElement:
        """``property_values.semver_key_of`` the value; NULL when it is not a version."""
        if self.dialect == "sqlite":
            return case((self.kind == "string", func.symbols_semver(self.text)))
        match = func.regexp_match(self.text, literal(SEMVER_PATTERN), type_=ARRAY(String)).column_valued("m")
        parts = [func.lpad(func.coalesce(match[n], "0"), SEMVER_KEY_WIDTH, "0") for n in range(1, 5)]
        key = select(func.concat(*parts).collate("C")).where(match.is_not(None)).scalar_subquery()
        return case((self.kind == "string", key))


def _pg_date_text(text: ColumnElement) -> ColumnElement:
    """Unix seconds of an ISO date in ``text`` (``DATE_PATTERN``), NULL for no such date;
    checked before ``make_date`` runs, so nothing a property holds makes the query fail."""
    match = func.regexp_match(text, literal(DATE_PATTERN), type_=ARRAY(String)).column_valued("m")

    def part(n: int) -> ColumnElement:
        return cast(func.coalesce(match[n], "0"), Integer)

    year, month, day, hour, minute, second, off_hours, off_minutes = (part(n) for n in (1, 2, 3, 4, 5, 6, 9, 10))
    leap = case((or_(and_(year % 4 == 0, year % 100 != 0), year % 400 == 0), 1), else_=0)
    month_days = case((month == 2, 28 + leap), else_=30 + (month + month // 8) % 2)
    valid = and_(year >= 1, month.between(1, 12), day.between(1, month_days), hour <= 23, minute <= 59,
                 second <= 59, off_hours <= 23, off_minutes <= 59)
    days = cast(func.make_date(year, month, day) - cast(literal("1970-01-01"), Date), BigInteger)
    offset = (off_hours * 3600 + off_minutes * 60) * case((match[8] == "-", -1), else_=1)
    seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset
    return select(case((valid, seconds))).where(match.is_not(None)).scalar_subquery()


def _pg_value(node: ColumnElement) -> _Value:
    typeof = func.jsonb_typeof(node)
    text = node.op("#>>", return_type=String)(literal_column("'{}'"))
    return _Value("postgresql", case((typeof == "boolean", text), else_=typeof), text)


def _sqlite_value(kind: ColumnElement, raw: ColumnElement) -> _Value:
    normalized = case(
        (kind == "text", "string"), (kind.in_(("integer", "real")), "number"), else_=kind
    )
    text = case(
        (kind == "true", "true"), (kind == "false", "false"), (kind == "null", null()),
        else_=cast(raw, String),
    )
    return _Value("sqlite", normalized, text, raw)


def plain_key(key: str) -> bool:
    """A key SQLite's JSON path can name (nested paths take only these)."""
    return '"' not in key and "\\" not in key and all(ord(c) >= 32 for c in key)


def _sqlite_path(path: tuple[str, ...]) -> str:
    return "$" + "".join(f'."{key}"' for key in path)


def _top_value(dialect: str, path: tuple[str, ...]) -> _Value:
    props = events.c.properties
    if dialect == "postgresql":
        return _pg_value(props[path[0]] if len(path) == 1 else props[path])
    if any(not plain_key(key) for key in path):
        # SQLite's JSON paths cannot quote '"' or '\\': find a top-level key through json_each.
        each = func.json_each(props).table_valued("key", "value", "type")
        row = select(each.c.type, each.c.value).where(each.c.key == path[0])
        kind = row.with_only_columns(each.c.type).scalar_subquery()
        raw = row.with_only_columns(each.c.value).scalar_subquery()
        return _sqlite_value(kind, raw)
    where = literal(_sqlite_path(path))
    return _sqlite_value(func.json_type(props, where), func.json_extract(props, where))


def _property(dialect: str, node: PropertyTest) -> ColumnElement:
    op = node.operator
    if op in _NEGATIVE:
        positive = PropertyTest(node.path, _NEGATIVE[op], node.value, node.per_element)
        return not_(func.coalesce(_property(dialect, positive), false()))
    if op in ("exact", "in") and dialect == "postgresql":
        return _containment(node)
    if not node.per_element or op in ("is_set", "is_not_set"):  # set: the whole array
        return _test(_top_value(dialect, node.path), op, node.value)
    props = events.c.properties
    if dialect == "postgresql":
        array = props[node.path[0]]
        source = case((func.jsonb_typeof(array) == "array", array),
                      else_=cast(literal("[]"), JSONB))
        each = func.jsonb_array_elements(source).table_valued("value")
        found = exists().select_from(each).where(_test(_pg_value(each.c.value), op, node.value))
        if op == "icontains" and node.path == ("$exception_values",):
            return _with_trigram_prefilter(found, [text_form(item) for item in _values(node.value)])
        return found
    where = literal(_sqlite_path(node.path))
    each = func.json_each(props, where).table_valued("value", "type")
    element = _sqlite_value(each.c.type, each.c.value)
    is_array = func.json_type(props, where) == "array"
    return and_(is_array, exists().select_from(each).where(_test(element, op, node.value)))


def _with_trigram_prefilter(found: ColumnElement, needles: list[str]) -> ColumnElement:
    """``found`` (some message contains a needle), AND-ed with the same test on the list's
    whole JSON text, which the trigram index of migration 0010 serves. Only for needles
    without the characters JSON escapes, which then appear as they are in that text
    whenever a message holds them; a ``_`` wildcard becomes ``%`` there (the character it
    stands for may be escaped to several)."""
    if any(c in '"\\' or c < " " for needle in needles for c in needle):
        return found
    patterns = [f"%{needle.lower().replace('_', '%')}%" for needle in needles]
    return and_(or_(*[exception_values_text.like(pattern) for pattern in patterns]), found)


def json_forms(value: Any) -> list[Any]:
    """The JSON values whose text form equals ``value``'s (for exact and containment)."""
    text = text_form(value)
    forms: list[Any] = [text]
    number = number_of(text)
    if number is not None:
        forms.append(int(number) if number.is_integer() and abs(number) < 2**53 else number)
    if text in ("true", "false"):
        forms.append(text == "true")
    return forms


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _containment(node: PropertyTest) -> ColumnElement:
    # An exception list is tested on its own expression: its index, and its statistics.
    target, key = events.c.properties, node.path
    if node.per_element and len(key) == 1 and key[0] in exception_lists:
        target, key = exception_lists[key[0]], ()
    options = []
    for value in _values(node.value):
        for form in json_forms(value):
            doc: Any = [form] if node.per_element else form
            for part in reversed(key):
                doc = {part: doc}
            options.append(target.op("@>", is_comparison=True)(cast(literal(doc, JSONB), JSONB)))
    return or_(*options) if options else false()


def _test(v: _Value, op: str, value: Any) -> ColumnElement:
    if op == "is_set":
        return and_(v.kind.is_not(None), v.kind != "null")
    if op == "is_not_set":
        return or_(v.kind.is_(None), v.kind == "null")
    if op in ("exact", "in"):
        return or_(*[_equals(v, form) for item in _values(value) for form in json_forms(item)])
    if op == "icontains":
        return or_(*[_ilike(v.text, f"%{_literal_backslashes(v, text_form(item))}%") for item in _values(value)])
    if op == "icontains_multi":
        needles = [text_form(item).lower() for item in _values(value)]
        return or_(*[func.lower(v.text).contains(n, autoescape=True) for n in needles])
    if op == "like":
        return v.text.like(text_form(value))
    if op == "ilike":
        return _ilike(v.text, text_form(value))
    if op == "regex":
        pattern = text_form(value)
        if v.dialect == "postgresql":
            return v.text.op("~", is_comparison=True)(pattern)
        return func.symbols_regexp(pattern, v.text) == 1
    if op == "between":
        low, high = (number_of(item) for item in value)
        return v.number().between(low, high)
    if op in DATE_OPERATORS:
        return v.epoch().op(DATE_OPERATORS[op], is_comparison=True)(value)
    if op in SEMVER_OPERATORS:
        return v.semver_key().op(SEMVER_OPERATORS[op], is_comparison=True)(value)
    if op in SEMVER_RANGES:
        low, high = value
        key = v.semver_key()
        return and_(key >= low, key < high)
    ordering = {"min": "gte", "max": "lte"}.get(op, op)
    bound = number_of(value)
    if bound is not None:
        target = v.number()
    else:
        target, bound = case((v.kind == "string", v.text), else_=null()), text_form(value)
    return {"gt": target > bound, "gte": target >= bound, "lt": target < bound,
            "lte": target <= bound}[ordering]


def _equals(v: _Value, form: Any) -> ColumnElement:
    if isinstance(form, bool):
        return v.kind == ("true" if form else "false")
    if isinstance(form, (int, float)):
        return and_(v.kind == "number", v.number() == form)
    return and_(v.kind == "string", v.text == form)


def _literal_backslashes(v: _Value, needle: str) -> str:
    """A needle whose backslashes are plain characters, as in the rules and on SQLite
    (PostgreSQL's LIKE takes a backslash as its escape); ``%`` and ``_`` stay wildcards."""
    return needle.replace("\\", "\\\\") if v.dialect == "postgresql" else needle


def _ilike(text: ColumnElement, pattern: str) -> ColumnElement:
    return func.lower(text).like(pattern.lower())
