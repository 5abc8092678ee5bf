"""External references over a real server, each provider played by a local server that
speaks its issue-creation API: create (201, external_url built as PostHog does), list,
retrieve, DELETE 405; provider refusals, rate limits and faults give 400/429/502 with the
provider's reason and store nothing; integrations never show their credentials. The
reference is reserved before the provider is called: a database fault there (a trigger
refusing the row, on SQLite and PostgreSQL) makes no provider issue, one after it lists
nothing, a reservation is never shown, and the request can be retried; a database briefly
unavailable after the provider answered is waited for."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, text, update

from symbols.db.integrations import reserve_reference
from symbols.db.tables import external_references, integrations, issues
from symbols.db.types import utcnow
from symbols.errortracking.integrations import SecretBox, create_integration
from symbols.signing import load_signing_key
from tests.support.issues import seed_issue
from tests.support.providers import ISSUE_CONFIGS, TOKEN, integration_configs, start_fake_providers

EXPECTED_URLS = {
    "github": "https://github.com/acme/web/issues/1",
    "gitlab": "{url}/acme/web/issues/1",
    "linear": "https://linear.app/acme/issue/ENG-1",
    "jira": "{url}/browse/OPS-1",
}


@pytest.fixture
async def fake():
    providers = await start_fake_providers()
    yield providers
    await providers.server.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def setup(request, api_factory, fake):
    api = await api_factory(request.param, integration_hosts=("127.0.0.1",))
    box = SecretBox(load_signing_key(api.settings))
    ids = {}
    for kind, (config, secrets) in integration_configs(fake.url).items():
        made = await create_integration(api.db, box, api.project_id, kind, f"Acme {kind}", config, secrets)
        ids[kind] = made.id
    async with api.db.begin() as conn:
        issue = await seed_issue(conn, api.project_id, "fp-1", name="TypeError")
    return api, ids, issue


async def _count(api) -> int:
    async with api.db.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(external_references))).scalar_one()


@pytest.mark.parametrize("kind", ["github", "gitlab", "linear", "jira"])
async def test_create_list_retrieve(setup, fake, kind):
    api, ids, issue = setup
    status, body = await api.call("POST", "external_references/", json={
        "integration_id": ids[kind], "issue": issue, "config": ISSUE_CONFIGS[kind]})
    assert status == 201, body
    expected = EXPECTED_URLS[kind].format(url=fake.url)
    assert body == {"id": body["id"], "integration": {"id": ids[kind], "kind": kind, "display_name": f"Acme {kind}"},
                    "external_url": expected}
    [(sent_kind, _, _, sent)] = fake.requests
    assert sent_kind == kind and TOKEN not in str(sent)
    if kind == "jira":
        assert sent["fields"]["description"]["content"][1]["content"][0]["text"] == "first: today"
    status, listed = await api.call("GET", "external_references/")
    assert status == 200 and listed["count"] == 1 and listed["results"] == [body]
    assert await api.call("GET", f"external_references/{body['id']}/") == (200, body)
    status, shown = await api.call("GET", f"issues/{issue}/")
    assert status == 200 and shown["external_issues"] == [body]
    status, error = await api.call("DELETE", f"external_references/{body['id']}/")
    assert status == 405 and error["code"] == "method_not_allowed"
    assert await _count(api) == 1


@pytest.mark.parametrize("kind, mode, status, code, reason, retry", [
    ("github", "rate_limit", 429, "provider_rate_limited", "API rate limit exceeded", True),
    ("github", "secondary", 429, "provider_rate_limited", "secondary rate limit", True),
    ("github", "server_error", 502, "provider_unavailable", "GitHub answered 502", False),
    ("gitlab", "rate_limit", 429, "provider_rate_limited", "GitLab answered 429", True),
    ("linear", "rate_limit", 429, "provider_rate_limited", "Rate limit exceeded", True),
    ("jira", "rate_limit", 429, "provider_rate_limited", "Jira answered 429", True),
    ("jira", "server_error", 502, "provider_unavailable", "Internal server error", False),
])
async def test_provider_failures_store_nothing(setup, fake, kind, mode, status, code, reason, retry):
    api, ids, issue = setup
    fake.fail[kind] = mode
    async with api.client.post(api.path("external_references/"), headers={"Authorization": f"Bearer {api.secret}"},
                               json={"integration_id": ids[kind], "issue": issue, "config": ISSUE_CONFIGS[kind]}) as resp:
        body = await resp.json()
        assert resp.status == status and body["code"] == code and reason in body["detail"], body
        if retry:
            assert 0 < int(resp.headers["Retry-After"]) <= 120
    assert await _count(api) == 0


@pytest.mark.parametrize("kind, config, reason", [
    ("github", {**ISSUE_CONFIGS["github"], "repository": "missing"}, "GitHub answered 404: Not Found"),
    ("gitlab", {**ISSUE_CONFIGS["gitlab"], "title": " "}, None),  # refused before calling
    ("linear", {**ISSUE_CONFIGS["linear"], "team_id": "nope"}, "Linear answered 200: Entity not found: Team"),
    ("jira", {**ISSUE_CONFIGS["jira"], "project_key": "NOPE"}, "Jira answered 400: project: valid project is required"),
])
async def test_provider_refusals_are_400_with_the_reason(setup, fake, kind, config, reason):
    api, ids, issue = setup
    status, body = await api.call("POST", "external_references/", json={
        "integration_id": ids[kind], "issue": issue, "config": config})
    assert status == 400
    if reason is None:
        assert body["attr"] == "config" and fake.requests == []
    else:
        assert (body["code"], body["detail"]) == ("provider_error", reason)
    assert await _count(api) == 0


async def test_bad_credentials_and_unreachable_providers(setup, fake):
    api, _, issue = setup
    box = SecretBox(load_signing_key(api.settings))
    config, _ = integration_configs(fake.url)["github"]
    wrong = await create_integration(api.db, box, api.project_id, "github", "wrong", config, {"token": "bad"})
    status, body = await api.call("POST", "external_references/", json={
        "integration_id": wrong.id, "issue": issue, "config": ISSUE_CONFIGS["github"]})
    assert (status, body["detail"]) == (400, "GitHub answered 401: Bad credentials")
    gone = await create_integration(api.db, box, api.project_id, "gitlab", "gone",
                                    {"hostname": "http://127.0.0.1:9", "project_id": 1, "project_path": "a/b"},
                                    {"token": TOKEN})
    status, body = await api.call("POST", "external_references/", json={
        "integration_id": gone.id, "issue": issue, "config": ISSUE_CONFIGS["gitlab"]})
    assert status == 502 and body["code"] == "provider_unavailable"
    assert await _count(api) == 0


async def test_only_configured_hosts_are_called(api_factory, fake):
    api = await api_factory()  # no integration_hosts: 127.0.0.1 is not allowed
    box = SecretBox(load_signing_key(api.settings))
    config, secrets = integration_configs(fake.url)["github"]
    made = await create_integration(api.db, box, api.project_id, "github", "local", config, secrets)
    async with api.db.begin() as conn:
        issue = await seed_issue(conn, api.project_id, "fp-1")
    status, body = await api.call("POST", "external_references/", json={
        "integration_id": made.id, "issue": issue, "config": ISSUE_CONFIGS["github"]})
    assert status == 400 and body["code"] == "host_not_allowed" and fake.requests == []


async def test_validation_and_other_projects(setup, fake):
    api, ids, issue = setup
    base = {"integration_id": ids["github"], "issue": issue, "config": ISSUE_CONFIGS["github"]}
    for change, attr in [({"integration_id": None}, "integration_id"), ({"integration_id": 999}, "integration_id"),
                         ({"issue": "not-a-uuid"}, "issue"), ({"issue": "00000000-0000-4000-8000-000000000000"}, "issue"),
                         ({"config": "x"}, "config"), ({"config": {"title": "t"}}, "config")]:
        status, body = await api.call("POST", "external_references/", json={**base, **change})
        assert status == 400 and body["attr"] == attr, change
    status, body = await api.call("POST", "external_references/", json={"issue": issue})
    assert status == 400 and body["attr"] == "integration_id" and body["code"] == "required"

    status, made = await api.call("POST", "external_references/", json=base)
    assert status == 201
    other = await api.new_project()
    other_key = await api.new_key(projects=[other])
    assert (await api.call("GET", f"external_references/{made['id']}/", key=other_key, project=other))[0] == 404
    assert (await api.call("GET", "external_references/", key=other_key, project=other))[1]["count"] == 0
    # Another project's integration and issue are unknown to this one.
    status, body = await api.call("POST", "external_references/", key=other_key, project=other, json=base)
    assert status == 400 and body["attr"] == "integration_id"
    assert len(fake.requests) == 1


async def test_integrations_list_hides_credentials(setup):
    api, ids, _ = setup
    headers = {"Authorization": f"Bearer {api.secret}"}
    for base in ("projects", "environments"):
        async with api.client.get(f"/api/{base}/{api.project_id}/integrations/", headers=headers) as resp:
            assert resp.status == 200
            raw = await resp.text()
            body = await resp.json()
        assert body["count"] == 4 and TOKEN not in raw
        github = next(i for i in body["results"] if i["kind"] == "github")
        assert github["id"] == ids["github"] and github["display_name"] == "Acme github"
        assert set(github) == {"id", "kind", "display_name", "config", "created_at", "created_by", "errors"}
    async with api.db.connect() as conn:
        stored = (await conn.execute(select(integrations.c.sensitive_config))).scalars().all()
    assert stored and all(TOKEN not in s for s in stored)  # encrypted at rest
    other = await api.new_project()
    other_key = await api.new_key(projects=[other])
    async with api.client.get(f"/api/projects/{api.project_id}/integrations/",
                              headers={"Authorization": f"Bearer {other_key}"}) as resp:
        assert resp.status == 404


@asynccontextmanager
async def _refusing(db, event: str):
    """A trigger that makes the database refuse every ``event`` (INSERT or UPDATE) of a
    reference, as a constraint would: a real failure at that point of the request."""
    table = external_references.name
    if db.engine.dialect.name == "sqlite":
        create = [f"CREATE TRIGGER refuse BEFORE {event} ON {table} BEGIN SELECT RAISE(ABORT, 'refused'); END"]
        drop = ["DROP TRIGGER refuse"]
    else:
        create = [("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'refused' USING ERRCODE = '23514'; END $$"),
                  f"CREATE TRIGGER refuse BEFORE {event} ON {table} FOR EACH ROW EXECUTE FUNCTION refuse()"]
        drop = [f"DROP TRIGGER refuse ON {table}", "DROP FUNCTION refuse()"]
    async with db.begin() as conn:
        for sql in create:
            await conn.execute(text(sql))
    try:
        yield
    finally:
        async with db.begin() as conn:
            for sql in drop:
                await conn.execute(text(sql))


async def _listed(api, issue) -> list:
    status, listed = await api.call("GET", "external_references/")
    assert status == 200 and listed["count"] == len(listed["results"])
    status, shown = await api.call("GET", f"issues/{issue}/")
    assert status == 200 and shown["external_issues"] == listed["results"]
    return listed["results"]


async def test_a_database_fault_before_the_provider_makes_no_provider_issue(setup, fake):
    api, ids, issue = setup
    body = {"integration_id": ids["github"], "issue": issue, "config": ISSUE_CONFIGS["github"]}
    async with _refusing(api.db, "INSERT"):
        status, error = await api.call("POST", "external_references/", json=body)
    assert (status, error["code"]) == (409, "conflict")
    assert fake.requests == []  # the provider was never called: nothing to clean up there
    assert await _count(api) == 0 and await _listed(api, issue) == []
    status, made = await api.call("POST", "external_references/", json=body)  # retried
    assert status == 201 and made["external_url"] == "https://github.com/acme/web/issues/1"
    assert len(fake.requests) == 1 and await _listed(api, issue) == [made]


async def test_a_database_fault_after_the_provider_lists_nothing_and_can_be_retried(setup, fake):
    api, ids, issue = setup
    body = {"integration_id": ids["jira"], "issue": issue, "config": ISSUE_CONFIGS["jira"]}
    async with _refusing(api.db, "UPDATE"):
        status, error = await api.call("POST", "external_references/", json=body)
        assert (status, error["code"]) == (409, "conflict")
        assert len(fake.requests) == 1
        assert await _count(api) == 0  # the reservation was released
        assert await _listed(api, issue) == []
    status, made = await api.call("POST", "external_references/", json=body)
    assert status == 201 and made["external_url"] == f"{fake.url}/browse/OPS-2"
    assert await _listed(api, issue) == [made]


async def test_a_database_briefly_unavailable_after_the_provider_is_waited_for(setup, fake):
    """The provider made its issue; the completion's first two tries meet a database that
    is unavailable (a trigger raising PostgreSQL's cannot_connect_now, counted by a
    sequence, which a rollback does not undo): the third stores the reference."""
    api, ids, issue = setup
    if api.db.engine.dialect.name != "postgresql":
        pytest.skip("the fault is a PostgreSQL trigger; the retry is the same code on SQLite")
    table = external_references.name
    async with api.db.begin() as conn:
        for sql in ["CREATE SEQUENCE refusals",
                    ("CREATE FUNCTION refuse_twice() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                     "IF nextval('refusals') <= 2 THEN RAISE EXCEPTION 'unavailable' USING ERRCODE = '57P03'; "
                     "END IF; RETURN NEW; END $$"),
                    f"CREATE TRIGGER refuse BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION refuse_twice()"]:
            await conn.execute(text(sql))
    body = {"integration_id": ids["linear"], "issue": issue, "config": ISSUE_CONFIGS["linear"]}
    status, made = await api.call("POST", "external_references/", json=body)
    assert status == 201 and made["external_url"] == "https://linear.app/acme/issue/ENG-1"
    assert len(fake.requests) == 1 and await _listed(api, issue) == [made]
    async with api.db.connect() as conn:
        assert (await conn.execute(text("SELECT last_value FROM refusals"))).scalar_one() == 3


async def test_a_reservation_is_never_shown(setup, fake):
    api, ids, issue = setup
    fake.hold = asyncio.Event()
    body = {"integration_id": ids["gitlab"], "issue": issue, "config": ISSUE_CONFIGS["gitlab"]}
    creating = asyncio.create_task(api.call("POST", "external_references/", json=body))
    while not fake.requests:  # the provider has the request: the reservation is stored
        await asyncio.sleep(0.01)
    async with api.db.connect() as conn:
        [(pending_id, pending)] = (await conn.execute(
            select(external_references.c.id, external_references.c.pending))).all()
    assert pending is True
    assert await _listed(api, issue) == []
    assert (await api.call("GET", f"external_references/{pending_id}/"))[0] == 404
    fake.hold.set()
    status, made = await creating
    assert status == 201 and made["id"] == pending_id
    assert await _listed(api, issue) == [made]


async def test_an_issue_deleted_while_the_provider_works_is_a_409(setup, fake):
    api, ids, issue = setup
    fake.hold = asyncio.Event()
    body = {"integration_id": ids["linear"], "issue": issue, "config": ISSUE_CONFIGS["linear"]}
    creating = asyncio.create_task(api.call("POST", "external_references/", json=body))
    while not fake.requests:
        await asyncio.sleep(0.01)
    async with api.db.begin() as conn:
        await conn.execute(delete(issues).where(issues.c.id == issue))
    fake.hold.set()
    status, error = await creating
    assert (status, error["code"]) == (409, "conflict")
    assert await _count(api) == 0
    status, listed = await api.call("GET", "external_references/")
    assert status == 200 and listed["count"] == 0


async def test_an_abandoned_reservation_is_dropped_by_the_next_create(setup, fake):
    api, ids, issue = setup
    now = utcnow()
    async with api.db.begin() as conn:  # two requests whose process stopped mid-way
        old, recent = [await reserve_reference(conn, api.project_id, issue, ids["github"], abandoned_before=now)
                       for _ in range(2)]
        await conn.execute(update(external_references).where(external_references.c.id == old)
                           .values(created_at=now - timedelta(hours=2)))
    status, made = await api.call("POST", "external_references/", json={
        "integration_id": ids["github"], "issue": issue, "config": ISSUE_CONFIGS["github"]})
    assert status == 201 and await _listed(api, issue) == [made]
    async with api.db.connect() as conn:
        left = (await conn.execute(select(external_references.c.id, external_references.c.pending))).all()
    assert sorted(left) == sorted([(recent, True), (made["id"], False)])  # the old one is gone
