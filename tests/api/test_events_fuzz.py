"""Fuzzed query strings and HogQL against a running service (SQLite and PostgreSQL): every
answer is a 200 or a 4xx with ``{type, code, detail, attr}``, never a 5xx; well-formed
HogQL from the supported grammar is always accepted. Bounded example counts."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbols.db import migrate, open_database
from symbols.db.access import create_api_key, create_project
from symbols.db.events import EventRow, insert_events
from symbols.errors import InvalidInput
from symbols.errortracking import hogql
from symbols.errortracking.filters import OPERATORS
from tests.databases import open_test_database, run_sync
from tests.support.service import ServiceThread, settings_for

NAMES = ["after", "before", "event", "distinct_id", "person_id", "properties", "orderBy",
         "limit", "offset", "include_person", "select", "where", "format", "before_uuid",
         "after_uuid", "unknown"]
FIELDS = ["event", "distinct_id", "uuid", "id", "timestamp", "person_id", "elements_chain",
          "properties.$browser", "properties.n", 'properties."odd key"', "properties.app.v",
          "properties.$exception_types"]
LITERALS = st.one_of(
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda f: repr(float(f))),
    # NUL is refused on purpose (a 400), so well-formed text never holds one.
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12)
    .map(lambda s: "'" + s.replace("'", "''") + "'"),
    st.sampled_from(["true", "false", "NULL", "'2026-12-01T00:00:00+00:00'"]),
)


@st.composite
def comparisons(draw) -> str:
    field = draw(st.sampled_from(FIELDS))
    op = draw(st.sampled_from(["=", "!=", "<>", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN",
                               "IS NULL", "IS NOT NULL"]))
    if op.startswith("IS"):
        return f"{field} {op}"
    if field == "timestamp":
        at = "'2026-12-01T00:00:00+00:00'"
        return f"{field} IN ({at})" if op == "IN" else f"{field} {op} {at}" if "LIKE" not in op \
            else f"{field} IS NULL"
    if op == "IN":
        items = draw(st.lists(LITERALS.filter(lambda v: v != "NULL"), min_size=1, max_size=3))
        return f"{field} IN ({', '.join(items)})"
    if "LIKE" in op or field in ("event", "distinct_id", "uuid", "id", "person_id", "elements_chain"):
        return f"{field} {op} '{draw(st.text(alphabet='abc%_', max_size=5))}'"
    literal = draw(LITERALS if op in ("=", "!=", "<>") else LITERALS.filter(lambda v: v != "NULL"))
    return f"{field} {op} {literal}"


WELL_FORMED = st.recursive(
    comparisons(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda e: f"NOT ({e})"),
    ),
    max_leaves=6,
)
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8),
              st.sampled_from(["AND", "OR", "event", "person", "exact", "regex", "gt", "$browser"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(["type", "key", "value", "operator",
                                                             "values", "x"]), inner, max_size=4)),
    max_leaves=12,
)
# Well-formed leaves of every operator PostHog names, with values of any shape.
LEAVES = st.lists(st.fixed_dictionaries({
    "key": st.sampled_from(["$browser", "n", "$exception_types", "$exception_values", "x"]),
    "operator": st.sampled_from(sorted(OPERATORS)),
    "value": st.one_of(JSON, st.sampled_from(["2026-12-01", "-7d", "1.2.3", "1.*", "v2", "chunk", "a%b_c\\"]),
                       st.lists(st.sampled_from(["1.2", "2026-12-01T10:00:00Z", "a", 1]), max_size=3)),
}), min_size=1, max_size=3)
VALUES = st.one_of(
    st.text(max_size=40),
    JSON.map(json.dumps),
    LEAVES.map(json.dumps),
    WELL_FORMED,
    st.sampled_from(["sleep(1)", "1; DROP TABLE events", "properties.a + 1", "(SELECT 1)",
                     "'unterminated", "((((((((((((", "count()", "x" * 2000, "[\"-timestamp\"]",
                     "-1", "1001", "99999999999999", "csv", "json", "2026-12-01", str(uuid.uuid4())]),
)
QUERIES = st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=6)


def test_hogql_text_is_parsed_or_refused_cleanly():
    @settings(max_examples=300, deadline=None)
    @given(st.one_of(st.text(max_size=200), WELL_FORMED, VALUES))
    def check(text: str) -> None:
        try:
            hogql.parse_where(text)
        except InvalidInput as exc:
            assert exc.code == "invalid_hogql" and exc.attr == "where" and exc.detail
    check()


def test_well_formed_hogql_is_accepted():
    @settings(max_examples=200, deadline=None)
    @given(WELL_FORMED)
    def check(text: str) -> None:
        hogql.parse_where(text)
    check()


@pytest.fixture(params=["sqlite", "postgresql"])
def service(request, tmp_path):
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        async def truncate() -> None:
            db = await open_test_database("postgresql", request, tmp_path)
            await db.close()
        run_sync(truncate())
        svc = ServiceThread(settings_for(tmp_path / "data", database_url=url))
    else:
        svc = ServiceThread(settings_for(tmp_path / "data"))
    base = svc.start()

    async def seed() -> tuple[int, str]:
        db = open_database(svc.settings.database_url)
        try:
            await migrate(db)
            async with db.begin() as conn:
                project = (await create_project(conn, "web")).id
                _, key = await create_api_key(conn, label="f", scopes=["query:read"], project_ids=[project])
                now = datetime.now(UTC)
                await insert_events(conn, [
                    EventRow(project, str(uuid.uuid4()), "$pageview", f"u{i}", now - timedelta(minutes=i),
                             {"$browser": "Chrome", "n": i, "app": {"v": str(i)}, "odd key": "x",
                              "$exception_types": ["TypeError"]},
                             elements_chain='a.b:href="/x"nth-child="1"')
                    for i in range(5)])
            return project, key
        finally:
            await db.close()

    project, key = svc.call(seed())
    yield base, project, key
    svc.stop()


def _get(base: str, project: int, key: str, pairs, tail: str = "") -> tuple[int, bytes, str]:
    url = f"{base}/api/projects/{project}/events/{tail}?" + urllib.parse.urlencode(pairs)
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read(), resp.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get_content_type()


def test_fuzzed_query_strings_never_fail_the_server(service):
    base, project, key = service

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
    @given(QUERIES)
    def check(pairs) -> None:
        status, body, ctype = _get(base, project, key, pairs)
        assert status < 500, (pairs, body[:300])
        if status >= 400:
            error = json.loads(body)
            assert set(error) == {"type", "code", "detail", "attr"} and error["code"], (pairs, error)
        elif ctype == "application/json":
            assert isinstance(json.loads(body)["results"], list)
    check()


def test_filters_of_every_operator_are_answered(service):
    """Each of PostHog's operators, with values of any shape: a page, or a 400 naming the
    properties (an operator the list cannot run once gave a 500)."""
    base, project, key = service

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(LEAVES)
    def check(leaves) -> None:
        status, body, _ = _get(base, project, key, [("properties", json.dumps(leaves))])
        assert status in (200, 400), (leaves, body[:300])
        if status == 400:
            assert json.loads(body)["attr"] == "properties", (leaves, body[:300])
    check()


def test_well_formed_where_is_answered(service):
    base, project, key = service

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(WELL_FORMED, st.sampled_from(FIELDS))
    def check(where: str, select: str) -> None:
        status, body, _ = _get(base, project, key, [("where", where), ("select", select)])
        assert status == 200, (where, body[:300])
        assert json.loads(body)["columns"] == [select]
    check()


def test_fuzzed_event_ids(service):
    base, project, key = service

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.text(alphabet=st.characters(blacklist_characters="/?#%", blacklist_categories=("Cs",)), min_size=1, max_size=60))
    def check(raw: str) -> None:
        status, body, _ = _get(base, project, key, [], tail=urllib.parse.quote(raw) + "/")
        assert status in (400, 404), (raw, body[:200])
        assert json.loads(body)["code"]
    check()
