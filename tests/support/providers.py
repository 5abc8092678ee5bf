"""One aiohttp server on 127.0.0.1 speaking the issue-creation APIs of GitHub (REST),
GitLab (REST v4), Linear (GraphQL) and Jira Cloud (REST v3) as their documentation
describes them: the request each checks (credentials, required fields), the success
answer, and the error answers (validation, credentials, rate limits with their headers,
server faults). ``fail[kind]`` picks the next answers' failure for a provider; while
``hold`` is set, every request is recorded, then waits for it before it is answered."""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestServer

TOKEN = "tok-secret-123"
JIRA_EMAIL = "bot@example.com"


@dataclass
class FakeProviders:
    server: TestServer | None = None
    fail: dict[str, str] = field(default_factory=dict)
    requests: list[tuple[str, str, dict, dict]] = field(default_factory=list)  # kind, path, headers, body
    counter: int = 0
    hold: asyncio.Event | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}"

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    async def _read(self, kind: str, request: web.Request) -> dict:
        try:
            body = await request.json()
        except ValueError:
            body = None
        self.requests.append((kind, request.path, dict(request.headers), body))
        if self.hold is not None:
            await self.hold.wait()
        return body if isinstance(body, dict) else {}

    async def github(self, request: web.Request) -> web.Response:
        body = await self._read("github", request)
        mode = self.fail.get("github")
        if mode == "rate_limit":  # primary limit: 403 with the remaining count at 0
            return web.json_response({"message": "API rate limit exceeded for installation ID 1."}, status=403,
                                     headers={"x-ratelimit-remaining": "0",
                                              "x-ratelimit-reset": str(int(time.time()) + 120)})
        if mode == "secondary":
            return web.json_response({"message": "You have exceeded a secondary rate limit."}, status=429,
                                     headers={"retry-after": "60"})
        if mode == "server_error":
            return web.Response(status=502, text="<html>Bad gateway</html>", content_type="text/html")
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"message": "Bad credentials", "status": "401"}, status=401)
        if request.match_info["repo"] != "web":
            return web.json_response({"message": "Not Found", "status": "404"}, status=404)
        if not body.get("title"):
            return web.json_response({"message": "Validation Failed", "errors": [
                {"resource": "Issue", "code": "missing_field", "field": "title"}], "status": "422"}, status=422)
        number = self._next()
        owner, repo = request.match_info["owner"], request.match_info["repo"]
        return web.json_response({"id": 1000 + number, "number": number, "title": body["title"],
                                  "html_url": f"https://github.com/{owner}/{repo}/issues/{number}"}, status=201)

    async def gitlab(self, request: web.Request) -> web.Response:
        body = await self._read("gitlab", request)
        mode = self.fail.get("gitlab")
        if mode == "rate_limit":
            return web.Response(status=429, text="Retry later", headers={
                "Retry-After": "30", "RateLimit-Reset": str(int(time.time()) + 30)})
        if request.headers.get("PRIVATE-TOKEN") != TOKEN:
            return web.json_response({"message": "401 Unauthorized"}, status=401)
        if request.match_info["project"] != "42":
            return web.json_response({"message": "404 Project Not Found"}, status=404)
        if not body.get("title"):
            return web.json_response({"message": {"title": ["can't be blank"]}}, status=400)
        iid = self._next()
        return web.json_response({"id": 9000 + iid, "iid": iid, "project_id": 42, "title": body["title"],
                                  "web_url": f"{self.url}/acme/web/-/issues/{iid}"}, status=201)

    async def linear(self, request: web.Request) -> web.Response:
        body = await self._read("linear", request)
        mode = self.fail.get("linear")
        if mode == "rate_limit":  # Linear: HTTP 400 with the RATELIMITED code
            reset_ms = (int(time.time()) + 45) * 1000
            return web.json_response({"errors": [{"message": "Rate limit exceeded", "extensions": {
                "code": "RATELIMITED"}}]}, status=400, headers={"X-RateLimit-Requests-Reset": str(reset_ms)})
        if request.headers.get("Authorization") != TOKEN:
            return web.json_response({"errors": [{"message": "Authentication required, not authenticated",
                                                  "extensions": {"code": "AUTHENTICATION_ERROR"}}]}, status=400)
        payload = (body.get("variables") or {}).get("input") or {}
        if "issueCreate" not in str(body.get("query")) or not payload.get("title"):
            return web.json_response({"errors": [{"message": "Argument Validation Error",
                                                  "extensions": {"code": "INVALID_INPUT"}}]}, status=400)
        if payload.get("teamId") != "team-1":
            return web.json_response({"data": None, "errors": [{"message": "Entity not found: Team",
                                                                "extensions": {"code": "INVALID_INPUT"}}]})
        n = self._next()
        return web.json_response({"data": {"issueCreate": {"success": True, "issue": {
            "id": f"00000000-0000-4000-8000-{n:012d}", "identifier": f"ENG-{n}",
            "url": f"https://linear.app/acme/issue/ENG-{n}"}}}})

    async def jira(self, request: web.Request) -> web.Response:
        body = await self._read("jira", request)
        mode = self.fail.get("jira")
        if mode == "rate_limit":
            return web.Response(status=429, headers={"Retry-After": "10"})
        if mode == "server_error":
            return web.json_response({"errorMessages": ["Internal server error"]}, status=500)
        expected = "Basic " + base64.b64encode(f"{JIRA_EMAIL}:{TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.Response(status=401, text="Unauthorized")
        fields = body.get("fields") or {}
        errors = {}
        if (fields.get("project") or {}).get("key") != "OPS":
            errors["project"] = "valid project is required"
        if not fields.get("summary"):
            errors["summary"] = "You must specify a summary of the issue."
        if not (fields.get("issuetype") or {}).get("name"):
            errors["issuetype"] = "The issue type selected is invalid."
        description = fields.get("description")
        if description is not None and (not isinstance(description, dict) or description.get("type") != "doc"):
            errors["description"] = "Operation value must be an Atlassian Document."
        if errors:
            return web.json_response({"errorMessages": [], "errors": errors}, status=400)
        n = self._next()
        return web.json_response({"id": str(10000 + n), "key": f"OPS-{n}", "self": f"{self.url}/rest/api/3/issue/{n}"},
                                 status=201)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/repos/{owner}/{repo}/issues", self.github)
        app.router.add_post("/api/v4/projects/{project}/issues", self.gitlab)
        app.router.add_post("/graphql", self.linear)
        app.router.add_post("/rest/api/3/issue", self.jira)
        return app


async def start_fake_providers() -> FakeProviders:
    fake = FakeProviders()
    fake.server = TestServer(fake.app(), host="127.0.0.1")
    await fake.server.start_server()
    return fake


def integration_configs(url: str) -> dict[str, tuple[dict, dict]]:
    """(config, secrets) of an integration of each kind pointed at the fake server."""
    return {
        "github": ({"org": "acme", "api_url": url}, {"token": TOKEN}),
        "gitlab": ({"hostname": url, "project_id": 42, "project_path": "acme/web"}, {"token": TOKEN}),
        "linear": ({"url_key": "acme", "api_url": f"{url}/graphql"}, {"token": TOKEN}),
        "jira": ({"site_url": url}, {"email": JIRA_EMAIL, "api_token": TOKEN}),
    }


# A create request's config for each kind (what the fake accepts).
ISSUE_CONFIGS = {
    "github": {"repository": "web", "title": "TypeError in checkout", "body": "Seen 12 times"},
    "gitlab": {"title": "TypeError in checkout", "body": "Seen 12 times"},
    "linear": {"team_id": "team-1", "title": "TypeError in checkout", "description": "Seen 12 times"},
    "jira": {"project_key": "OPS", "title": "TypeError in checkout", "description": "Seen 12 times\n\nfirst: today"},
}
