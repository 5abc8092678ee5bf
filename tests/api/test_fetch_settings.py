"""The fetch setting's API (GET/PATCH .../error_tracking/fetch_settings/) on SQLite and
PostgreSQL: off until changed, domains checked and normalized, the auth header write-only
and stored sealed (the raw column is not the header), scopes, and another project's key."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from symbols.api import CONTEXT
from symbols.db.access import SCOPE_READ
from symbols.db.tables import project_fetch_settings
from symbols.sealing import FETCH_HEADERS, SecretBox
from symbols.signing import load_signing_key

SECRET = "Bearer s3cr3t-fetch-token"
OFF = {"enabled": False, "allowed_domains": [], "auth_header_name": None, "updated_at": None}


async def raw_row(api):
    async with api.db.connect() as conn:
        return (await conn.execute(select(project_fetch_settings))).one()


async def test_off_until_changed_then_on_with_a_sealed_write_only_header(db_api):
    api = db_api
    assert await api.call("GET", "fetch_settings/") == (200, OFF)
    status, body = await api.call("PATCH", "fetch_settings/", json={
        "enabled": True, "allowed_domains": ["CDN.Example.com.", "static.example.org", "cdn.example.com"],
        "auth_header": {"name": "Authorization", "value": SECRET}})
    assert status == 200
    assert {k: v for k, v in body.items() if k != "updated_at"} == {
        "enabled": True, "allowed_domains": ["cdn.example.com", "static.example.org"],
        "auth_header_name": "Authorization"}
    assert body["updated_at"].endswith("Z")
    assert await api.call("GET", "fetch_settings/") == (200, body)

    row = await raw_row(api)
    assert row.auth_header_name == "Authorization"
    assert SECRET not in row.auth_header_sealed and "s3cr3t" not in row.auth_header_sealed
    assert SecretBox(load_signing_key(api.settings), FETCH_HEADERS).open(row.auth_header_sealed) == SECRET

    # Off keeps the domains and the header; null removes the header; on again.
    status, body = await api.call("PATCH", "fetch_settings/", json={"enabled": False})
    assert (status, body["enabled"], body["allowed_domains"], body["auth_header_name"]) == (
        200, False, ["cdn.example.com", "static.example.org"], "Authorization")
    status, body = await api.call("PATCH", "fetch_settings/", json={"enabled": True, "auth_header": None})
    assert (status, body["enabled"], body["auth_header_name"]) == (200, True, None)
    row = await raw_row(api)
    assert (row.auth_header_name, row.auth_header_sealed) == (None, None)


async def test_the_context_service_opens_the_header_for_a_fetch(db_api):
    api = db_api
    await api.call("PATCH", "fetch_settings/", json={
        "enabled": True, "allowed_domains": ["cdn.example.com"], "auth_header": {"name": "X-Token", "value": "t0k"}})
    fetch_settings = api.client.app[CONTEXT].fetch_settings
    setting = await fetch_settings.for_fetch(api.project_id)
    assert (setting.allowed_domains, setting.auth_header) == (("cdn.example.com",), ("X-Token", "t0k"))
    await api.call("PATCH", "fetch_settings/", json={"enabled": False})
    assert await fetch_settings.for_fetch(api.project_id) is None


@pytest.mark.parametrize(("body", "code", "attr"), [
    ({"enabled": True}, "allowed_domains_required", "allowed_domains"),
    ({"enabled": True, "allowed_domains": []}, "allowed_domains_required", "allowed_domains"),
    ({"allowed_domains": ["https://cdn.example.com/"]}, "invalid_domain", "allowed_domains.0"),
    ({"allowed_domains": ["ok.example", "*.example.com"]}, "invalid_domain", "allowed_domains.1"),
    ({"allowed_domains": ["a..b"]}, "invalid_domain", "allowed_domains.0"),
    ({"allowed_domains": ["user@cdn.example.com"]}, "invalid_domain", "allowed_domains.0"),
    ({"allowed_domains": ["b\u00fccher.example"]}, "invalid_domain", "allowed_domains.0"),
    ({"allowed_domains": [5]}, "invalid_domain", "allowed_domains.0"),
    ({"allowed_domains": ["x" * 300]}, "invalid_domain", "allowed_domains.0"),
    ({"allowed_domains": [f"d{i}.example" for i in range(51)]}, "invalid_domain", "allowed_domains"),
    ({"allowed_domains": "cdn.example.com"}, "invalid_domain", "allowed_domains"),
    ({"enabled": "yes"}, "invalid_input", "enabled"),
    ({"enabled": None}, "invalid_input", "enabled"),
    ({"auth_header": {"name": "Host", "value": "internal"}}, "invalid_auth_header", "auth_header.name"),
    ({"auth_header": {"name": "X Token", "value": "v"}}, "invalid_auth_header", "auth_header.name"),
    ({"auth_header": {"name": "X-Token", "value": "a\r\nInjected: 1"}}, "invalid_auth_header", "auth_header.value"),
    ({"auth_header": {"name": "X-Token", "value": ""}}, "invalid_auth_header", "auth_header.value"),
    ({"auth_header": {"name": "X-Token", "value": "v" * 5000}}, "invalid_auth_header", "auth_header.value"),
    ({"auth_header": {"name": "X-Token"}}, "invalid_auth_header", "auth_header.value"),
])
async def test_bad_values_are_400_with_a_code_and_nothing_changes(api, body, code, attr):
    status, err = await api.call("PATCH", "fetch_settings/", json=body)
    assert (status, err["code"], err["attr"]) == (400, code, attr), err
    assert await api.call("GET", "fetch_settings/") == (200, OFF)


async def test_scopes_and_another_projects_key(db_api):
    api = db_api
    reader = await api.new_key(scopes=[SCOPE_READ])
    assert (await api.call("GET", "fetch_settings/", key=reader))[0] == 200
    status, err = await api.call("PATCH", "fetch_settings/", key=reader, json={"enabled": False})
    assert status == 403
    assert (await api.call("GET", "fetch_settings/", key=None))[0] == 401

    other = await api.new_project()
    theirs = await api.new_key(projects=[other])
    for method, payload in (("GET", None), ("PATCH", {"allowed_domains": ["evil.example"], "enabled": True})):
        status, err = await api.call(method, "fetch_settings/", key=theirs, json=payload)
        assert (status, err["code"]) == (404, "not_found"), method
    status, body = await api.call("PATCH", "fetch_settings/", key=theirs, project=other,
                                  json={"enabled": True, "allowed_domains": ["theirs.example"]})
    assert (status, body["allowed_domains"]) == (200, ["theirs.example"])
    assert await api.call("GET", "fetch_settings/") == (200, OFF)
