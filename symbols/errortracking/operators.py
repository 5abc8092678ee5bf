"""Value semantics of PostHog's property operators, each turned into a test built once.

`build_test(operator, value)` validates a leaf's value and returns `test(x) -> bool` for one
property value `x` (None when the property is missing or null). The meaning follows the HogQL
that PostHog compiles a leaf to and the HogVM that runs it:

- Equality (`exact`, `is_not`, `in`, `not_in`) coerces like HogVM: a number against a numeric
  string compares as numbers, a bool against a number as 0/1, a string against a bool as
  `s.lower() == "true"`; other mixed types are unequal; null equals only null. Filter values
  `true`/`false` are compared as the strings "true"/"false" (PostHog does so for a property
  with no Boolean definition, and we keep no definitions).
- A missing value never matches, except for the negative operators (`is_not`, `not_in`,
  `not_icontains`, `not_icontains_multi`, `not_regex`: `ifNull(not(...), 1)`) and
  `is_not_set`, which do.
- `icontains` is `toString(x) ILIKE '%v%'`: case-insensitive, with `%` and `_` in `v` acting
  as LIKE wildcards as they do in PostHog. Several values use multiSearchAnyCaseInsensitive:
  a plain substring test for any of them.
- `regex` is an unanchored, case-sensitive RE2 search over `toString(x)` (use `(?i)`).
- `gt`/`gte`/`lt`/`lte`/`min`/`max`/`between`: numbers when the filter value is numeric (a
  property string is parsed, a bool never matches); otherwise strings compare as strings.
- `is_date_*`: ISO 8601 dates or datetimes (naive ones are UTC) or Unix seconds, compared to
  the second (the grammar is ``symbols.property_values``', shared with the events list's
  SQL). A filter value may also be relative, as PostHog's property matching reads it:
  `-7d`, `24h`, `-3m` (units h, d, w, m for months, y; the sign optional; under 10,000 units)
  is that long before now, counted when the test runs, not when the rule was compiled.
- `semver_*`: `[v]MAJOR[.MINOR[.PATCH[.N]]][-pre|+build]`, missing parts are 0, each at most
  18 digits (``symbols.property_values``); a property that is not a version never matches.
  Bounds of tilde, caret and wildcard as PostHog's.
- `is_cleaned_path_exact` is `exact` (this service has no path-cleaning rules);
  `flag_evaluates_to` is refused (no feature flags here).
"""

from __future__ import annotations

import calendar
import json
import math
import operator
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import re2

from ..property_values import epoch_seconds, parse_semver, seconds_of

Test = Callable[[Any], bool]

MAX_PATTERN_MEMORY = 8 << 20  # bytes RE2 may use for one compiled pattern

NEGATIVE = frozenset({"is_not", "not_in", "not_icontains", "not_icontains_multi", "not_regex"})
# Operators whose several values form one test (a tuple or a needle list), as PostHog compiles
# them; any other operator given several values is one leaf per value, OR-ed (AND-ed if negative).
TUPLE_OPERATORS = frozenset({"exact", "is_not", "in", "not_in", "is_cleaned_path_exact"})
MULTI_OPERATORS = frozenset({"icontains", "not_icontains", "icontains_multi",
                             "not_icontains_multi"})
RANGE_OPERATORS = frozenset({"between", "not_between"})
UNSUPPORTED = {"flag_evaluates_to": "feature flags are not part of this service"}


def to_string(x: Any) -> str:
    """HogVM's toString for JSON values."""
    if isinstance(x, str):
        return x
    if x is True:
        return "true"
    if x is False:
        return "false"
    if x is None:
        return "null"
    if isinstance(x, (int, float)):
        return repr(x)
    return json.dumps(x, ensure_ascii=False)


def to_number(x: Any) -> float | None:
    """The number HogVM reads in ``x``: ints, floats and numeric strings (not bools, not NaN)."""
    if isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, str):
        try:
            n = float(x)
        except ValueError:
            return None
        return None if math.isnan(n) else n
    return None


def equals(a: Any, b: Any) -> bool:
    """HogVM equality: same types compare directly, a few mixed pairs are coerced."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) and isinstance(b, bool):
        return a == b
    if isinstance(a, bool) or isinstance(b, bool):
        flag, other = (a, b) if isinstance(a, bool) else (b, a)
        if isinstance(other, str):
            return (other.lower() == "true") == flag
        if isinstance(other, (int, float)):
            return float(flag) == other
        return False
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, str) or isinstance(b, str):
        text, other = (a, b) if isinstance(a, str) else (b, a)
        n = to_number(text)
        return n is not None and isinstance(other, (int, float)) and n == other
    return a == b


def _ordering(op: str, bound: Any) -> Test:
    """x <op> bound; numeric when the bound is numeric, else string against string."""
    compare = {"gt": float.__gt__, "gte": float.__ge__, "lt": float.__lt__, "lte": float.__le__}
    n = to_number(bound)
    if n is not None:
        cmp = compare[op]

        def numeric(x: Any) -> bool:
            v = to_number(x)
            return v is not None and cmp(v, n)
        return numeric
    text = to_string(bound)
    scmp = {"gt": str.__gt__, "gte": str.__ge__, "lt": str.__lt__, "lte": str.__le__}[op]
    return lambda x: isinstance(x, str) and scmp(x, text)


def compile_pattern(pattern: str) -> Any:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = MAX_PATTERN_MEMORY
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        raise ValueError(f"Invalid regular expression {pattern!r}: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else ""
    return arg.decode(errors="replace") if isinstance(arg, bytes) else str(arg)


def _like(value: Any) -> Test:
    """toString(x) ILIKE '%value%', with PostHog's unescaped `%` and `_` as wildcards."""
    needle = to_string(value)
    if "%" not in needle and "_" not in needle:
        lowered = needle.lower()
        return lambda x: x is not None and lowered in to_string(x).lower()
    body = "".join(".*" if c == "%" else "." if c == "_" else re2.escape(c) for c in needle)
    found = searcher(compile_pattern(f"(?is){body}"))
    return lambda x: x is not None and found(to_string(x))


def _multi_search(values: list[Any]) -> Test:
    needles = tuple(to_string(v).lower() for v in values)

    def test(x: Any) -> bool:
        if x is None:
            return False
        hay = to_string(x).lower()
        return any(n in hay for n in needles)
    return test


def _regex(pattern: Any) -> Test:
    found = searcher(compile_pattern(to_string(pattern)))
    return lambda x: x is not None and found(to_string(x))


def searcher(compiled: Any) -> Callable[[str], bool]:
    """Whether ``compiled`` matches somewhere in a text. google-re2's ``search`` builds a
    match object and maps byte offsets back to characters on every call; a yes/no needs
    neither, so this asks the RE2 object underneath when the binding has it."""
    inner = getattr(compiled, "_regexp", None)
    anchor = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)
    if inner is None or anchor is None or not hasattr(inner, "Match"):
        return lambda text: compiled.search(text) is not None
    match = inner.Match

    def found(text: str) -> bool:
        data = text.encode("utf-8", "surrogatepass")
        return match(anchor, data, 0, len(data))[0] != (-1, -1)
    return found


_RELATIVE = re.compile(r"-?([0-9]+)([hdwmy])")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
MAX_RELATIVE = 10_000  # units, as PostHog (it guards against overflow)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _relative_date(value: Any) -> Callable[[], datetime] | None:
    """The moment a relative date (``-7d``) names, computed on each call; None when
    ``value`` is not one. Raises ValueError when it reaches before year 1."""
    found = _RELATIVE.fullmatch(value) if isinstance(value, str) else None
    if found is None or int(found[1]) >= MAX_RELATIVE:
        return None
    count, unit = int(found[1]), found[2]
    if unit in ("m", "y"):
        months = count * (12 if unit == "y" else 1)
        moment = lambda: _months_before(utc_now(), months).replace(microsecond=0)
    else:
        delta = timedelta(**{_UNITS[unit]: count})
        moment = lambda: (utc_now() - delta).replace(microsecond=0)
    moment()  # a bound before year 1 fails now, and stays out of range
    return moment


def _months_before(moment: datetime, months: int) -> datetime:
    """Calendar months back, the day clamped to the month's last (31 March - 1m = 28/29 Feb)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    if year < 1:
        raise ValueError("Date filters reach before year 1.")
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def date_bound(value: Any) -> Callable[[], int]:
    """A date filter's value in Unix seconds: a date, or a relative one (``-7d``) counted
    from now on each call. Raises ValueError for anything else."""
    moment = _relative_date(value)
    if moment is not None:
        return lambda: seconds_of(moment())
    bound = epoch_seconds(value)
    if bound is None:
        raise ValueError(f"Date filters need an ISO 8601 date, not {value!r}.")
    return lambda: bound


def _date_test(op: str, value: Any) -> Test:
    cmp = {"is_date_exact": operator.eq, "is_date_before": operator.lt, "is_date_after": operator.gt}[op]
    bound = date_bound(value)

    def test(x: Any) -> bool:
        seconds = epoch_seconds(x)
        return seconds is not None and cmp(seconds, bound())
    return test


def semver_bounds(op: str, value: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """[lower, upper) of `~v`, `^v` and `v.*`, as PostHog computes them."""
    text = value.strip() if isinstance(value, str) else ""
    if op == "semver_wildcard":
        text = text.rstrip(".*")
    v = parse_semver(text)
    if v is None:
        raise ValueError(f"{op} needs a version such as '1.2.3', not {value!r}.")
    major, minor, patch, _ = v
    given = len(text.split("-", 1)[0].split("+", 1)[0].split("."))
    if op == "semver_tilde":
        if given < 2:
            return (major, 0, 0, 0), (major + 1, 0, 0, 0)
        return (major, minor, patch, 0), (major, minor + 1, 0, 0)
    if op == "semver_caret":
        if major:
            return (major, minor, patch, 0), (major + 1, 0, 0, 0)
        if minor:
            return (0, minor, patch, 0), (0, minor + 1, 0, 0)
        return (0, 0, patch, 0), (0, 0, patch + 1, 0)
    if given == 1:
        return (major, 0, 0, 0), (major + 1, 0, 0, 0)
    if given == 2:
        return (major, minor, 0, 0), (major, minor + 1, 0, 0)
    return (major, minor, patch, 0), (major, minor, patch + 1, 0)


def semver_bound(op: str, value: Any) -> tuple[int, int, int, int]:
    """The version a ``semver_eq``/``_gt``/... filter compares with; ValueError if none."""
    bound = parse_semver(value)
    if bound is None:
        raise ValueError(f"{op} needs a version such as '1.2.3', not {value!r}.")
    return bound


def _semver_test(op: str, value: Any) -> Test:
    if op in ("semver_tilde", "semver_caret", "semver_wildcard"):
        low, high = semver_bounds(op, value)

        def in_range(x: Any) -> bool:
            v = parse_semver(x)
            return v is not None and low <= v < high
        return in_range
    bound = semver_bound(op, value)
    cmp = {"semver_eq": tuple.__eq__, "semver_neq": tuple.__ne__, "semver_gt": tuple.__gt__,
           "semver_gte": tuple.__ge__, "semver_lt": tuple.__lt__, "semver_lte": tuple.__le__}[op]

    def test(x: Any) -> bool:
        v = parse_semver(x)
        return v is not None and cmp(v, bound)
    return test


def _range(op: str, value: Any) -> Test:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"{op} needs a two-element array [min, max].")
    low, high = (to_number(v) for v in value)
    if low is None or high is None:
        raise ValueError(f"{op} needs numeric values.")
    if low > high:
        raise ValueError(f"{op} needs min to be less than or equal to max.")
    if op == "between":
        return lambda x: (v := to_number(x)) is not None and low <= v <= high
    return lambda x: (v := to_number(x)) is not None and (v < low or v > high)


def _scalar(value: Any) -> Any:
    return "true" if value is True else "false" if value is False else value


def build_test(op: str, value: Any) -> Test:
    """The test of one leaf for one property value; raises ValueError on a bad leaf."""
    if op in UNSUPPORTED:
        raise ValueError(f"Unsupported operator {op!r}: {UNSUPPORTED[op]}.")
    if op == "is_set":
        return lambda x: x is not None
    if op == "is_not_set":
        return lambda x: x is None
    if op in RANGE_OPERATORS:
        return _range(op, value)
    if isinstance(value, list) and op in MULTI_OPERATORS:
        found = _multi_search(value)
        return found if op in ("icontains", "icontains_multi") else _negate(found)
    if op in ("icontains_multi", "not_icontains_multi"):
        found = _multi_search([value])
        return found if op == "icontains_multi" else _negate(found)
    if isinstance(value, list) and op in TUPLE_OPERATORS:
        options = tuple(_scalar(v) for v in value)

        def member(x: Any) -> bool:
            return any(equals(x, o) for o in options)
        return member if op in ("exact", "in", "is_cleaned_path_exact") else _negate(member)
    if isinstance(value, list):
        raise TypeError("several values are split into leaves before build_test")
    if op in ("in", "not_in"):
        raise ValueError(f"{op} needs a list of values.")
    if op in ("exact", "is_cleaned_path_exact", "is_not"):
        target = _scalar(value)
        same: Test = lambda x: equals(x, target)
        return same if op != "is_not" else _negate(same)
    if op in ("icontains", "not_icontains"):
        like = _like(value)
        return like if op == "icontains" else _negate(like)
    if op in ("regex", "not_regex"):
        matched = _regex(value)
        return matched if op == "regex" else _negate(matched)
    ordering = {"min": "gte", "max": "lte"}.get(op, op)
    if ordering in ("gt", "gte", "lt", "lte"):
        return _ordering(ordering, value)
    if op.startswith("is_date_"):
        return _date_test(op, value)
    if op.startswith("semver_"):
        return _semver_test(op, value)
    raise ValueError(f"Unsupported operator {op!r}.")


def _negate(test: Test) -> Test:
    return lambda x: not test(x)
