"""The compiled predicate agrees with a plain interpreter written here from the documented
semantics (Python's `re` instead of RE2, the JSON walked on every call) on random filters
and events."""

import json
import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from symbols.errortracking.filters import compile_filters, parse_filters

ARRAY_KEYS = ["$exception_types", "$exception_values"]
SCALAR_KEYS = ["a", "b"]
WORDS = ["", "a", "A", "ab", "a_b", "b%", "1", "10", "2.5", "-3", "true", "False", "x y",
         "1.2.3", "v1.10.0", "0.2.3-beta", "2024-05-01", "2024-05-01T10:00:00Z", "TypeError"]
SCALARS = st.one_of(st.sampled_from(WORDS), st.integers(-20, 20), st.sampled_from([2.5, -0.5]),
                    st.booleans())
PATTERNS = ["a", "^a", "b$", "(?i)a", "a|b", r"\d", "^$", "T.*r"]
VERSIONS = ["1.2.3", "0.2.3", "0.0.3", "1", "1.2", "v2.0.0", "1.3.0", "0.3.0", "0.0.4", "1.2.4.0"]
DATES = ["2024-05-01", "2024-05-01T10:00:00Z", "2023-01-01 00:00:00"]


def value_for(op):
    if op in ("is_set", "is_not_set"):
        return st.none()
    if op in ("between", "not_between"):
        return st.tuples(st.integers(-5, 5), st.integers(0, 10)).map(lambda t: [t[0], t[0] + t[1]])
    if op in ("in", "not_in"):
        return st.lists(SCALARS, max_size=3)
    if op in ("regex", "not_regex"):
        return st.one_of(st.sampled_from(PATTERNS), st.lists(st.sampled_from(PATTERNS),
                                                             max_size=3))
    if op.startswith("semver_"):
        if op == "semver_wildcard":
            return st.sampled_from(["1.*", "1.2.*", "1.2.3.*", "0.*"])
        return st.sampled_from(VERSIONS)
    if op.startswith("is_date_"):
        return st.sampled_from(DATES)
    return st.one_of(SCALARS, st.lists(SCALARS, max_size=3))


OPS = ["exact", "is_not", "icontains", "not_icontains", "regex", "not_regex", "gt", "gte", "lt",
       "lte", "min", "max", "is_set", "is_not_set", "in", "not_in", "between", "not_between",
       "icontains_multi", "not_icontains_multi", "is_date_exact", "is_date_before",
       "is_date_after", "semver_eq", "semver_neq", "semver_gt", "semver_gte", "semver_lt",
       "semver_lte", "semver_tilde", "semver_caret", "semver_wildcard"]


@st.composite
def leaves(draw):
    op = draw(st.sampled_from(OPS))
    out = {"type": "event", "key": draw(st.sampled_from(SCALAR_KEYS + ARRAY_KEYS)),
           "operator": op}
    value = draw(value_for(op))
    if value is not None:
        out["value"] = value
    return out


filters = st.recursive(
    leaves(),
    lambda inner: st.builds(lambda t, v: {"type": t, "values": v},
                            st.sampled_from(["AND", "OR"]), st.lists(inner, max_size=3)),
    max_leaves=8,
).map(lambda f: f if "values" in f else {"type": "AND", "values": [f]})

PROP_VALUES = st.one_of(st.none(), SCALARS, st.sampled_from(VERSIONS + DATES))
ARRAY_VALUES = st.lists(st.sampled_from(WORDS), max_size=3)
events = st.fixed_dictionaries({}, optional={
    "a": PROP_VALUES, "b": PROP_VALUES,
    "$exception_types": st.one_of(ARRAY_VALUES, ARRAY_VALUES.map(json.dumps), st.none()),
    "$exception_values": ARRAY_VALUES,
})


# The reference: a direct reading of the semantics in filters.py / operators.py docstrings.

def text(x):
    if isinstance(x, bool):
        return "true" if x else "false"
    return x if isinstance(x, str) else repr(x) if isinstance(x, (int, float)) else json.dumps(x)


def num(x):
    if isinstance(x, bool) or x is None:
        return None
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def same(a, b):
    kinds = {type(a).__name__, type(b).__name__}
    if a is None or b is None:
        return a is b
    if kinds <= {"int", "float"} or len(kinds) == 1:
        return a == b
    if kinds == {"bool", "str"}:
        s, flag = (a, b) if isinstance(a, str) else (b, a)
        return (s.lower() == "true") is flag
    if "bool" in kinds:  # bool against a number
        return float(a) == float(b)
    if "str" in kinds:
        s, other = (a, b) if isinstance(a, str) else (b, a)
        return num(s) is not None and num(s) == other
    return False


def literal(v):
    return {True: "true", False: "false"}.get(v, v) if isinstance(v, bool) else v


def like(x, v):
    body = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in text(v))
    return x is not None and re.search(body, text(x), re.IGNORECASE | re.DOTALL) is not None


def when(x):
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return datetime.fromtimestamp(int(x), UTC)
    if not isinstance(x, str):
        return None
    try:
        d = datetime.fromisoformat(x)
    except ValueError:
        return None
    return (d if d.tzinfo else d.replace(tzinfo=UTC)).replace(microsecond=0)


VERSION = re.compile(r"\s*[vV]?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?\s*", re.ASCII)


def version(x):
    m = isinstance(x, str) and VERSION.fullmatch(x)
    return tuple(int(g or 0) for g in m.groups()) if m else None


def version_range(op, v):
    given = v.rstrip(".*") if op == "semver_wildcard" else v
    parts = version(given)
    count = len(given.split("-")[0].split("."))
    if op == "semver_caret":
        i = next((i for i in range(3) if parts[i]), 2)
    elif op == "semver_tilde":
        i = 0 if count == 1 else 1
    else:
        i = min(count, 3) - 1
    high = list(parts[:i]) + [parts[i] + 1] + [0] * (3 - i)
    return parts, tuple(high)


def holds(op, v, x):
    """One leaf against one value x (None = missing); v may be a list for tuple/multi ops."""
    negated = op in ("is_not", "not_in", "not_icontains", "not_icontains_multi", "not_regex")
    base = {"is_not": "exact", "not_in": "exact", "in": "exact", "not_icontains": "icontains",
            "not_icontains_multi": "icontains", "icontains_multi": "icontains",
            "not_regex": "regex", "min": "gte", "max": "lte"}.get(op, op)
    if base == "exact":
        result = any(same(x, literal(o)) for o in (v if isinstance(v, list) else [v]))
    elif base == "icontains":
        if isinstance(v, list) or op.endswith("_multi"):
            result = x is not None and any(
                text(o).lower() in text(x).lower() for o in (v if isinstance(v, list) else [v]))
        else:
            result = like(x, v)
    elif base == "regex":
        result = x is not None and re.search(text(v), text(x)) is not None
    elif base in ("gt", "gte", "lt", "lte"):
        cmp = {"gt": lambda p, q: p > q, "gte": lambda p, q: p >= q,
               "lt": lambda p, q: p < q, "lte": lambda p, q: p <= q}[base]
        if num(v) is not None:
            result = num(x) is not None and cmp(num(x), num(v))
        else:
            result = isinstance(x, str) and cmp(x, text(v))
    elif op == "is_set":
        result = x is not None
    elif op == "is_not_set":
        result = x is None
    elif op in ("between", "not_between"):
        n = num(x)
        inside = n is not None and v[0] <= n <= v[1]
        result = inside if op == "between" else n is not None and not inside
    elif op.startswith("is_date_"):
        d, bound = when(x), when(v)
        result = d is not None and {"is_date_exact": d == bound, "is_date_before": d < bound,
                                    "is_date_after": d > bound}[op]
    else:
        mine = version(x)
        if mine is None:
            result = False
        elif op in ("semver_tilde", "semver_caret", "semver_wildcard"):
            low, high = version_range(op, v)
            result = low <= mine < high
        else:
            other = version(v)
            result = {"semver_eq": mine == other, "semver_neq": mine != other,
                      "semver_gt": mine > other, "semver_gte": mine >= other,
                      "semver_lt": mine < other, "semver_lte": mine <= other}[op]
    return not result if negated else result


def leaf_matches(node, props):
    op, v, key = node.get("operator", "exact"), node.get("value"), node["key"]
    if isinstance(v, list) and op not in ("between", "not_between"):
        if not v:
            return True
        if len(v) == 1 and op not in ("in", "not_in"):
            v = v[0]
        elif op not in ("exact", "is_not", "in", "not_in", "icontains", "not_icontains",
                        "icontains_multi", "not_icontains_multi"):
            each = [leaf_matches({**node, "value": one}, props) for one in v]
            return all(each) if op in ("not_regex",) else any(each)
    x = props.get(key)
    if key in ARRAY_KEYS:
        if isinstance(x, str):
            x = json.loads(x)
        return any(holds(op, v, e) for e in (x or []))
    return holds(op, v, x)


def matches(node, props):
    if "values" in node:
        results = [matches(child, props) for child in node["values"]]
        if not results:  # an empty group matches everything
            return True
        return all(results) if node["type"] == "AND" else any(results)
    return leaf_matches(node, props)


@settings(max_examples=600, deadline=None)
@given(filters, st.lists(events, min_size=1, max_size=4))
def test_compiled_predicate_agrees_with_reference(tree, samples):
    predicate = compile_filters(parse_filters(tree))
    for props in samples:
        assert predicate({"properties": props}) is matches(tree, props), (tree, props)


@settings(max_examples=1500, deadline=None)
@given(leaves(), PROP_VALUES, ARRAY_VALUES)
def test_single_leaves_agree_with_reference(node, value, elements):
    tree = {"type": "AND", "values": [node]}
    predicate = compile_filters(parse_filters(tree))
    props = {"a": value, "$exception_types": elements, "$exception_values": elements}
    assert predicate({"properties": props}) is matches(tree, props), (tree, props)
