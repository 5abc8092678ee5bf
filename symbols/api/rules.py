"""Rule routes (PostHog's ``error_tracking/{suppression,assignment,grouping}_rules/``):
list (grouping: unpaginated ``{"results": [...]}``), create 201, retrieve, PUT/PATCH 204,
DELETE 204, ``PATCH reorder/`` 204. ``handlers(kind)`` builds the set for one kind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from ..db.rules import Rule
from ..errortracking import rules
from .auth import READ, WRITE, authorize
from .context import context
from .parse import json_body, json_response, page_params, paginated, path_uuid

Handler = Callable[[web.Request], Awaitable[web.Response]]


def rule_json(rule: Rule, issue: dict | None = None) -> dict:
    """The rule in PostHog's shape for its kind."""
    body: dict = {"id": rule.id, "filters": rule.filters}
    if rule.kind != "suppression":
        body["assignee"] = rule.assignee.to_json() if rule.assignee else None
    if rule.kind == "grouping":
        body["description"] = rule.description
        body["issue"] = issue
    body["order_key"] = rule.order_key
    body["disabled_data"] = rule.disabled_data
    if rule.kind == "suppression":
        body["sampling_rate"] = rule.sampling_rate
    body["created_at"] = rule.created_at
    body["updated_at"] = rule.updated_at
    return body


@dataclass(frozen=True)
class RuleHandlers:
    list: Handler
    create: Handler
    retrieve: Handler
    update: Handler
    destroy: Handler
    reorder: Handler


def handlers(kind: str) -> RuleHandlers:
    async def list_rules(request: web.Request) -> web.Response:
        project_id = await authorize(request, READ)
        ctx = context(request)
        if kind == "grouping":  # PostHog does not paginate grouping rules
            found, _ = await rules.page(ctx.db, kind, project_id, limit=None)
            issues = await rules.grouping_issues(ctx.db, project_id, found)
            return json_response({"results": [rule_json(r, issues.get(r.id)) for r in found]})
        limit, offset = page_params(request)
        found, count = await rules.page(ctx.db, kind, project_id, limit=limit, offset=offset)
        results = [rule_json(r) for r in found]
        return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))

    async def create(request: web.Request) -> web.Response:
        project_id = await authorize(request, WRITE)
        rule = await rules.create(context(request).db, kind, project_id, await json_body(request))
        return json_response(rule_json(rule), 201)

    async def retrieve(request: web.Request) -> web.Response:
        project_id = await authorize(request, READ)
        db = context(request).db
        rule = await rules.find(db, kind, project_id, path_uuid(request))
        issue = (await rules.grouping_issues(db, project_id, [rule])).get(rule.id) if kind == "grouping" else None
        return json_response(rule_json(rule, issue))

    async def update(request: web.Request) -> web.Response:
        project_id = await authorize(request, WRITE)
        rule_id = path_uuid(request)
        await rules.update(context(request).db, kind, project_id, rule_id, await json_body(request))
        return web.Response(status=204)

    async def destroy(request: web.Request) -> web.Response:
        project_id = await authorize(request, WRITE)
        await rules.delete(context(request).db, kind, project_id, path_uuid(request))
        return web.Response(status=204)

    async def reorder(request: web.Request) -> web.Response:
        project_id = await authorize(request, WRITE)
        await rules.reorder(context(request).db, kind, project_id, await json_body(request))
        return web.Response(status=204)

    return RuleHandlers(list_rules, create, retrieve, update, destroy, reorder)


def routes() -> list[tuple[str, str, Handler]]:
    """(method, path under the error-tracking base, handler) for the three kinds."""
    found = []
    for kind in rules.KINDS:
        h, base = handlers(kind), f"/{kind}_rules/"
        found += [
            ("GET", base, h.list), ("POST", base, h.create), ("PATCH", base + "reorder/", h.reorder),
            ("GET", base + "{id}/", h.retrieve), ("PATCH", base + "{id}/", h.update),
            ("PUT", base + "{id}/", h.update), ("DELETE", base + "{id}/", h.destroy),
        ]
    return found


__all__ = ["RuleHandlers", "handlers", "routes", "rule_json"]
