"""GET .../events/ and .../events/{uuid}/ against a real service, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from yarl import URL

from symbols.db.access import SCOPE_QUERY_READ, SCOPE_READ
from symbols.db.event_queries import persons_of
from symbols.db.events import EventRow, insert_events
from symbols.db.persons import update_persons

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(params=["sqlite", "postgresql"])
async def api(request, api_factory):
    return await api_factory(request.param)


def _url(api, tail: str = "", project=None, base: str = "projects") -> str:
    return f"/api/{base}/{api.project_id if project is None else project}/events/{tail}"


async def get(api, params=None, *, tail: str = "", key: str | None = None, project=None,
              base: str = "projects", raw: bool = False):
    headers = {"Authorization": f"Bearer {key or api.secret}"}
    async with api.client.get(_url(api, tail, project, base), params=params, headers=headers) as resp:
        if raw:
            return resp.status, resp.content_type, await resp.text()
        return resp.status, await resp.json()


async def follow(api, url: str):
    parsed = URL(url)
    async with api.client.get(parsed.path_qs, headers={"Authorization": f"Bearer {api.secret}"}) as resp:
        return resp.status, await resp.json()


async def store(api, *rows: EventRow, persons: bool = False) -> None:
    async with api.db.begin() as conn:
        if persons:
            await update_persons(conn, rows)
        await insert_events(conn, list(rows))


def event(api, name="$pageview", distinct_id="u1", at=None, project=None, chain=None, **props) -> EventRow:
    return EventRow(api.project_id if project is None else project, str(uuid.uuid4()), name,
                    distinct_id, at or NOW - timedelta(minutes=1), props, elements_chain=chain)


async def test_list_shape_order_and_defaults(api):
    old = event(api, at=NOW - timedelta(days=2))
    a = event(api, at=NOW - timedelta(minutes=5), **{"$browser": '"quoted"', "n": 1},
              chain='a.btn:href="/go"nth-child="1"text="Go"')
    b = event(api, at=NOW - timedelta(minutes=1), distinct_id="u2")
    await store(api, old, a, b)
    status, body = await get(api)
    assert status == 200 and body["next"] is None
    assert [e["id"] for e in body["results"]] == [b.uuid, a.uuid]  # newest first, last 24h
    shown = body["results"][1]
    assert set(shown) == {"id", "distinct_id", "properties", "event", "timestamp", "person",
                          "elements", "elements_chain"}
    assert shown["properties"] == {"$browser": "quoted", "n": 1}
    assert datetime.fromisoformat(shown["timestamp"]) == a.timestamp
    assert shown["timestamp"].endswith("+00:00") and shown["person"] is None
    assert shown["elements"][0]["tag_name"] == "a" and shown["elements"][0]["href"] == "/go"
    assert shown["elements"][0]["nth_child"] == 1 and shown["elements"][0]["text"] == "Go"
    status, body = await get(api, {"orderBy": '["timestamp"]'}, base="environments")
    assert [e["id"] for e in body["results"]] == [a.uuid, b.uuid]
    status, body = await get(api, {"after": (NOW - timedelta(days=3)).isoformat(),
                                   "before": (NOW - timedelta(minutes=2)).isoformat()})
    assert [e["id"] for e in body["results"]] == [a.uuid, old.uuid]


async def test_event_distinct_id_person_and_include_person(api):
    anon = event(api, distinct_id="anon")
    identify = event(api, "$identify", distinct_id="user@x", **{
        "$anon_distinct_id": "anon", "$set": {"email": "user@x", "plan": "pro"}})
    other = event(api, "click", distinct_id="someone")
    await store(api, anon, identify, other, persons=True)
    status, body = await get(api, {"event": "click"})
    assert [e["id"] for e in body["results"]] == [other.uuid]
    status, body = await get(api, {"distinct_id": "anon"})
    assert [e["id"] for e in body["results"]] == [anon.uuid]
    status, body = await get(api, {"distinct_id": "anon", "include_person": "true"})
    person = body["results"][0]["person"]
    assert person == {"is_identified": True, "distinct_ids": ["anon"], "properties": {"email": "user@x"}}
    async with api.db.connect() as conn:
        person_id = (await persons_of(conn, api.project_id, {"anon"}))["anon"].id
    status, body = await get(api, {"person_id": person_id})
    assert status == 200
    assert {e["id"] for e in body["results"]} == {anon.uuid, identify.uuid}
    assert (await get(api, {"person_id": "nope"}))[0] == 400


async def test_property_filters(api):
    chrome = event(api, **{"$browser": "Chrome", "n": 5, "$exception_types": ["TypeError"]})
    firefox = event(api, **{"$browser": "Firefox", "n": "12"})
    bare = event(api)
    await store(api, chrome, firefox, bare)

    async def ids(props) -> set[str]:
        status, body = await get(api, {"properties": json.dumps(props)})
        assert status == 200, body
        return {e["id"] for e in body["results"]}

    assert await ids([{"key": "$browser", "value": "Chrome"}]) == {chrome.uuid}
    assert await ids([{"key": "$browser", "value": ["Chrome", "Firefox"], "type": "event"}]) == {
        chrome.uuid, firefox.uuid}
    assert await ids([{"key": "$browser", "value": "chrome", "operator": "is_not"}]) == {
        chrome.uuid, firefox.uuid, bare.uuid}
    assert await ids([{"key": "n", "value": 10, "operator": "gt"}]) == {firefox.uuid}
    assert await ids([{"key": "$browser", "value": "FIRE", "operator": "icontains"}]) == {firefox.uuid}
    assert await ids([{"key": "$browser", "value": "^Ch", "operator": "regex"}]) == {chrome.uuid}
    assert await ids([{"key": "n", "operator": "is_not_set"}]) == {bare.uuid}
    assert await ids([{"key": "$exception_types", "value": "TypeError"}]) == {chrome.uuid}
    assert await ids([{"key": "$browser", "value": "Firefox", "operator": "is_cleaned_path_exact"}]) == {
        firefox.uuid}
    nested = {"type": "OR", "values": [
        {"type": "AND", "values": [{"key": "$browser", "value": "Chrome"},
                                   {"key": "n", "value": 5}]},
        {"type": "AND", "values": [{"key": "n", "operator": "is_not_set"}]},
    ]}
    assert await ids(nested) == {chrome.uuid, bare.uuid}


async def test_date_and_version_filters(api):
    """PostHog's is_date_* and semver_* operators, as the rules read them (the agreement on
    every value is in tests/db/test_event_filter_dates.py)."""
    old = event(api, **{"seen": "2026-11-01T10:00:00+02:00", "$lib_version": "1.9.3", "unix": 1700000000})
    recent = event(api, **{"seen": (NOW - timedelta(days=2)).isoformat(), "$lib_version": "v1.10.0-beta.2"})
    other = event(api, **{"seen": "last tuesday", "$lib_version": "2.0", "unix": "soon"})
    await store(api, old, recent, other)

    async def ids(*leaves) -> set[str]:
        status, body = await get(api, {"properties": json.dumps(list(leaves))})
        assert status == 200, body
        return {e["id"] for e in body["results"]}

    assert await ids({"key": "seen", "value": "2026-11-01T08:00:00Z", "operator": "is_date_exact"}) == {old.uuid}
    assert await ids({"key": "seen", "value": "-7d", "operator": "is_date_after"}) == {recent.uuid}
    assert await ids({"key": "seen", "value": "2026-11-02", "operator": "is_date_before"}) == {old.uuid}
    assert await ids({"key": "unix", "value": "2023-11-14", "operator": "is_date_after"}) == {old.uuid}
    assert await ids({"key": "$lib_version", "value": "1.9.9", "operator": "semver_gt"}) == {recent.uuid, other.uuid}
    assert await ids({"key": "$lib_version", "value": "1.10.0", "operator": "semver_eq"}) == {recent.uuid}
    assert await ids({"key": "$lib_version", "value": "1.2.0", "operator": "semver_caret"}) == {old.uuid, recent.uuid}
    assert await ids({"key": "$lib_version", "value": "1.9.*", "operator": "semver_wildcard"}) == {old.uuid}
    assert await ids({"key": "$lib_version", "value": ["1.9.3", "2"], "operator": "semver_eq"}) == {
        old.uuid, other.uuid}


@pytest.mark.parametrize(("props", "detail"), [
    ("{not json", "Properties are unparsable!"),
    ('{"not": "valid"}', "Invalid filters payload."),
    ('[{"key": "x", "operator": "nope", "value": 1}]', "Invalid filters payload."),
    ('[{"key": "email", "value": "a", "type": "person"}]', "Filters on person properties"),
    ('[{"key": "v", "value": true, "operator": "flag_evaluates_to"}]', "Unsupported operator 'flag_evaluates_to'"),
    ('[{"key": "v", "value": "latest", "operator": "semver_gt"}]', "semver_gt needs a version such as '1.2.3'"),
    ('[{"key": "v", "value": "soon", "operator": "is_date_after"}]', "Date filters need an ISO 8601 date"),
    ('[{"key": "v", "value": "-9999y", "operator": "is_date_before"}]', "Date filters reach before year 1."),
    ('[{"key": "v", "value": "(", "operator": "regex"}]', "Invalid regular expression"),
    ('[{"key": "v", "value": "a\\u0000b"}]', "must not contain NUL"),
    ('[{"key": "\\u0000", "value": "a"}]', "must not contain NUL"),
])
async def test_bad_properties_are_400(api, props, detail):
    status, body = await get(api, {"properties": props})
    assert status == 400 and body["type"] == "validation_error" and body["attr"] == "properties"
    assert body["detail"].startswith(detail) or detail in body["detail"]


async def test_limit_defaults_and_cap(api):
    rows = [event(api, at=NOW - timedelta(seconds=i + 1)) for i in range(1005)]
    await store(api, *rows)
    status, body = await get(api)
    assert len(body["results"]) == 100 and body["next"] is not None
    status, body = await get(api, {"limit": "5000"})
    assert len(body["results"]) == 1000
    status, body = await get(api, {"limit": "3", "offset": "2"})
    assert [e["id"] for e in body["results"]] == [r.uuid for r in rows[2:5]]
    status, _, text = await get(api, {"format": "csv"}, raw=True)
    assert status == 200 and len(list(csv.reader(io.StringIO(text)))) == 1 + 1000
    for bad in ({"limit": "-1"}, {"limit": "x"}, {"offset": "999999999"}, {"format": "xml"},
                {"after": "yesterday"}, {"orderBy": "[oops"}, {"event": "a\x00b"},
                {"distinct_id": "\x00"}, {"before": "0001-01-01T00:00:00+05:00"},
                {"after": "9999-12-31T23:00:00-05:00"}):
        status, body = await get(api, bad)
        assert status == 400 and body["attr"] == next(iter(bad)), bad


async def test_next_pages_walk_ties_once(api):
    # 30 events on 4 timestamps: a timestamp-only cursor would skip or repeat.
    rows = [event(api, at=NOW - timedelta(minutes=1 + i % 4)) for i in range(30)]
    await store(api, *rows)
    for order, expected in (('["-timestamp"]', sorted(rows, key=lambda r: (r.timestamp, r.uuid), reverse=True)),
                            ('["timestamp"]', sorted(rows, key=lambda r: (r.timestamp, r.uuid)))):
        status, body = await get(api, {"limit": "7", "orderBy": order})
        seen = [e["id"] for e in body["results"]]
        while body["next"]:
            assert URL(body["next"]).is_absolute() and "orderBy" in URL(body["next"]).query
            status, body = await follow(api, body["next"])
            assert status == 200
            seen += [e["id"] for e in body["results"]]
        assert seen == [r.uuid for r in expected]


async def test_next_pages_under_concurrent_inserts(api):
    """Events inserted between pages (at any timestamp) never make a page skip or repeat
    an event that was there when the walk began."""
    start = [event(api, at=NOW - timedelta(seconds=10 * (i % 9) + 1)) for i in range(40)]
    await store(api, *start)
    status, body = await get(api, {"limit": "6"})
    seen = [e["id"] for e in body["results"]]
    step = 0
    while body["next"]:
        step += 1
        await store(api, *[event(api, at=NOW - timedelta(seconds=(step * 7 + j * 13) % 95))
                           for j in range(3)])
        status, body = await follow(api, body["next"])
        assert status == 200
        seen += [e["id"] for e in body["results"]]
    assert len(seen) == len(set(seen))
    assert {r.uuid for r in start} <= set(seen)


async def test_csv_shape(api):
    a = event(api, at=NOW - timedelta(minutes=2), **{"$browser": "Chrome", "nested": {"x": 1}},
              chain="div:nth-child=\"1\"")
    b = event(api, at=NOW - timedelta(minutes=1), list=["p", "q"])
    await store(api, a, b)
    status, ctype, text = await get(api, {"format": "csv"}, raw=True)
    assert status == 200 and ctype == "text/csv"
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert header == sorted(header)
    assert {"id", "event", "properties.$browser", "properties.nested.x", "properties.list.0",
            "properties.list.1", "elements.0.tag_name", "elements.0.nth_child"} <= set(header)
    first = dict(zip(header, rows[1], strict=True))
    assert first["id"] == b.uuid and first["properties.list.1"] == "q" and first["properties.$browser"] == ""
    second = dict(zip(header, rows[2], strict=True))
    assert second["properties.nested.x"] == "1" and second["elements.0.tag_name"] == "div"


async def test_hogql_select_and_where(api):
    a = event(api, "click", **{"$browser": "Chrome", "n": 3, "app": {"v": "2"}})
    b = event(api, "view", **{"$browser": "Safari", "n": 7})
    await store(api, a, b)
    params = [("select", "event"), ("select", "properties.$browser"), ("select", "properties.app.v"),
              ("where", "properties.n > 2 AND properties.$browser IN ('Chrome', 'Edge')"),
              ("where", "NOT event = 'x' AND timestamp > '2000-01-01'")]
    status, body = await get(api, params)
    assert status == 200, body
    assert body["columns"] == ["event", "properties.$browser", "properties.app.v"]
    assert body["results"] == [["click", "Chrome", "2"]]
    status, body = await get(api, [("where", "properties.$browser ILIKE 'saf%' OR properties.x IS NOT NULL")])
    assert [e["id"] for e in body["results"]] == [b.uuid]
    status, _, text = await get(api, [("select", "event"), ("format", "csv")], raw=True)
    newest_first = sorted([a, b], key=lambda r: r.uuid, reverse=True)  # same timestamp
    assert text.splitlines() == ["event"] + [r.event for r in newest_first]
    for bad in ("sleep(10)", "properties.a + 1 = 2", "event = distinct_id", "1; DROP TABLE events",
                "(SELECT 1)", "nope = 1", "properties = 'x'"):
        status, body = await get(api, [("where", bad)])
        assert status == 400 and body["code"] == "invalid_hogql" and body["attr"] == "where", (bad, body)
    status, body = await get(api, [("select", "count()")])
    assert status == 400 and body["code"] == "invalid_hogql" and body["attr"] == "select"


async def test_retrieve(api):
    a = event(api, distinct_id="d1", **{"$set": {"name": "N"}})
    await store(api, a, persons=True)
    status, body = await get(api, tail=f"{a.uuid}/", base="environments")
    assert status == 200 and body["id"] == a.uuid and body["person"] is None
    status, body = await get(api, {"include_person": "1"}, tail=f"{a.uuid}/")
    assert body["person"]["properties"] == {"name": "N"}
    status, body = await get(api, tail="not-a-uuid/")
    assert status == 400 and body["detail"] == "Invalid UUID"
    missing = str(uuid.uuid4())
    status, body = await get(api, tail=f"{missing}/")
    assert status == 404 and body["detail"] == f"No events exist for event UUID {missing}"


async def test_projects_are_isolated_and_scope_is_checked(api):
    other = await api.new_project()
    theirs = event(api, project=other, **{"$browser": "Chrome"})
    mine = event(api, **{"$browser": "Chrome"})
    await store(api, theirs, mine)
    status, body = await get(api, {"properties": '[{"key":"$browser","value":"Chrome"}]'})
    assert [e["id"] for e in body["results"]] == [mine.uuid]
    assert (await get(api, tail=f"{theirs.uuid}/"))[0] == 404
    status, body = await get(api, project=other)
    assert status == 404 and body["code"] == "not_found"
    status, _ = await get(api, tail=f"{theirs.uuid}/", project=other)
    assert status == 404
    only_read = await api.new_key(scopes=[SCOPE_READ])
    status, body = await get(api, key=only_read)
    assert status == 403 and "query:read" in body["detail"]
    query_only = await api.new_key(scopes=[SCOPE_QUERY_READ])
    assert (await get(api, key=query_only))[0] == 200
    async with api.client.get(_url(api)) as resp:
        assert resp.status == 401
