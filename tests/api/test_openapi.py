"""The OpenAPI document: it covers exactly the routes the application registers, it is a
valid OpenAPI 3.1 document, and it is served as YAML/JSON with a reference page that
needs no network."""

from __future__ import annotations

import re

import orjson
import pytest
import yaml
from aiohttp import web
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from symbols.api.openapi import UndocumentedRoute, build_document
from symbols.api.routes import _API_ROUTES, _PROJECT_ROUTES
from symbols.app import create_app

METHODS = {"get", "post", "put", "patch", "delete"}


def registered(app: web.Application) -> set[tuple[str, str]]:
    """(method, path) of every route, a path without its trailing slash counted as the
    same route as the one with it."""
    out = set()
    for route in app.router.routes():
        if route.method in ("HEAD", "OPTIONS") or (route.resource.name or "").startswith("web:"):
            continue
        path = route.resource.canonical
        out.add((route.method.lower(), path if path.endswith("/") or path + "/" not in _paths(app) else path + "/"))
    return out


def _paths(app: web.Application) -> set[str]:
    return {r.resource.canonical for r in app.router.routes() if not (r.resource.name or "").startswith("web:")}


async def get_document(api, fmt: str = "json") -> dict:
    async with api.client.get("/api/schema/", params={"format": fmt}) as resp:
        assert resp.status == 200
        raw = await resp.read()
    return orjson.loads(raw) if fmt == "json" else yaml.safe_load(raw)


async def test_document_covers_exactly_the_registered_routes(api):
    doc = await get_document(api)
    documented = {(m, p) for p, item in doc["paths"].items() for m in item if m in METHODS}
    assert documented == registered(api.client.app)
    # both base paths, every route of one under the other too
    projects = {(m, p) for m, p in documented if p.startswith("/api/projects/")}
    environments = {(m, p.replace("/api/environments/", "/api/projects/")) for m, p in documented
                    if p.startswith("/api/environments/")}
    assert projects == environments
    assert len(projects) == len({(m, p) for m, p, _ in _API_ROUTES + _PROJECT_ROUTES})
    for path in ("/uploads/", "/downloads/", "/healthz", "/readyz", "/metrics", "/api/schema/", "/api/schema/docs/",
                 "/batch/", "/e/", "/i/v0/e/", "/capture/", "/track/", "/api/organizations/{organization_id}/members/"):
        assert "get" in doc["paths"][path] or "post" in doc["paths"][path], path


async def test_document_is_valid_openapi_31(api):
    doc = await get_document(api)
    assert doc["openapi"] == "3.1.0"
    validate(doc, cls=OpenAPIV31SpecValidator)
    ids = [op["operationId"] for item in doc["paths"].values() for m, op in item.items() if m in METHODS]
    assert len(ids) == len(set(ids))


async def test_yaml_is_the_default_and_equals_json(api):
    async with api.client.get("/api/schema/") as resp:
        assert resp.status == 200 and resp.content_type == "application/vnd.oai.openapi"
        from_yaml = yaml.safe_load(await resp.read())
    async with api.client.get("/api/schema", params={"format": "json"}) as resp:
        assert resp.content_type == "application/vnd.oai.openapi+json"
        assert orjson.loads(await resp.read()) == from_yaml
    assert from_yaml["servers"] == [{"url": api.base_url}]
    async with api.client.get("/api/schema/", params={"format": "xml"}) as resp:
        assert resp.status == 400
        assert await resp.json() == {"type": "validation_error", "code": "invalid_choice",
                                     "detail": (await resp.json())["detail"], "attr": "format"}


async def test_scopes_security_and_errors_are_documented(api):
    doc = await get_document(api)
    base = "/api/projects/{project_id}/error_tracking"
    listing = doc["paths"][f"{base}/symbol_sets/"]["get"]
    assert listing["security"] == [{"PersonalAPIKey": ["error_tracking:read"]}]
    assert listing["x-scopes"] == ["error_tracking:read"]
    assert {p["name"] for p in listing["parameters"]} == {"project_id", "limit", "offset", "status", "order_by", "ref",
                                                            "search", "release"}
    assert set(listing["responses"]) == {"200", "400", "401", "403", "404", "408", "503"}

    def codes_of(operation: dict, status: str) -> set[str]:
        return set(operation["responses"][status]["content"]["application/json"]["schema"]["properties"]["code"]["enum"])

    # Every route: the connection guard's answers; a page links to the next one (Host).
    assert codes_of(listing, "408") == {"request_timeout"}
    assert {"too_many_connections", "database_unavailable"} <= codes_of(listing, "503")
    assert "invalid_host" in codes_of(listing, "400")
    assert "invalid_host" not in codes_of(doc["paths"][f"{base}/stack_frames/resolve/"]["post"], "400")
    assert codes_of(doc["paths"]["/uploads/"]["post"], "409") == {"upload_closed"}
    start = doc["paths"][f"{base}/symbol_sets/bulk_start_upload/"]["post"]
    assert start["x-scopes"] == ["error_tracking:write"]
    codes = start["responses"]["400"]["content"]["application/json"]["schema"]["properties"]["code"]["enum"]
    assert {"invalid_chunk_ids", "invalid_release_id", "too_many_symbol_sets", "parse_error"} <= set(codes)
    assert doc["paths"]["/healthz"]["get"]["security"] == []
    assert doc["components"]["securitySchemes"]["PersonalAPIKey"]["scheme"] == "bearer"
    page = doc["components"]["schemas"]["SymbolSetPage"]
    assert set(page["required"]) == {"count", "next", "previous", "results"}


async def test_reference_page_needs_no_network(api):
    async with api.client.get("/api/schema/docs/") as resp:
        assert resp.status == 200 and resp.content_type == "text/html"
        page = await resp.text()
    scripts = re.findall(r'src="([^"]+)"', page)
    assert scripts == ["/api/schema/docs/redoc.standalone.js"]
    assert "http://" not in page and "https://" not in page
    async with api.client.get(scripts[0]) as resp:
        assert resp.status == 200 and resp.content_type == "application/javascript"
        assert len(await resp.read()) > 500_000


def test_a_route_without_operation_fails(tmp_path):
    from symbols.config import Settings

    app = create_app(Settings(data_dir=tmp_path))

    async def undocumented(request):
        return web.Response()

    app.router.add_get("/api/projects/{project_id}/error_tracking/new_thing/", undocumented)
    with pytest.raises(UndocumentedRoute, match="new_thing"):
        build_document(app)
