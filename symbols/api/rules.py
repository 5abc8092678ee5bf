"""Rule routes (PostHog's ``error_tracking/{suppression,assignment,grouping}_rules/``):
list (grouping: unpaginated ``{"results": [...]}``), create 201, retrieve, PUT/PATCH 204,
DELETE 204, ``PATCH reorder/`` 204. ``handlers(kind)`` builds the set for one kind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from ..db.rules import Rule
from ..errortracking import rules
from .auth import READ, WRITE
from .context import context
from .issues import BODY_CODES
from .models import IdPath, Page, PageQuery, Uuid, described, sent
from .operation import Input, operation
from .parse import json_response, paginated

Handler = Callable[[web.Request], Awaitable[web.Response]]
_ERRORS = {400: BODY_CODES + ("max_value", "min_value", "max_rules", "invalid_choice")}


class RuleOut(BaseModel):
    """PostHog's rule; ``assignee`` (not on suppression rules), ``description`` and
    ``issue`` (grouping), ``sampling_rate`` (suppression) by kind."""

    model_config = ConfigDict(extra="forbid")

    id: Uuid
    filters: dict[str, Any]
    assignee: dict[str, Any] | None = None
    description: str | None = None
    issue: dict[str, Any] | None = None
    order_key: int
    disabled_data: Any
    sampling_rate: float | None = None
    created_at: datetime
    updated_at: datetime


class RulePage(Page[RuleOut]):
    pass


class RuleList(BaseModel):
    results: list[RuleOut]


class RuleBody(BaseModel):
    """Checked by ``symbols.errortracking.rules`` (PostHog's codes and attrs)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [{"filters": {"type": "AND", "values": []}, "order_key": 0}]},
    )

    filters: described({"type": "object", "description": "PostHog's property filter group."}) = None
    assignee: described({"type": ["object", "null"]}, "Assignment and grouping rules.") = None
    description: described({"type": ["string", "null"]}, "Grouping rules.") = None
    order_key: described({"type": "integer"}) = None
    disabled_data: described({}) = None
    sampling_rate: described({"type": "number", "minimum": 0, "maximum": 1}, "Suppression rules.") = None


class Reorder(BaseModel):
    model_config = ConfigDict(extra="allow")

    orders: described(
        {"type": "object", "additionalProperties": {"type": "integer"}}, "{rule id: order_key}."
    ) = None


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
    tags = (f"{kind}_rules",)
    listed = RuleList if kind == "grouping" else RulePage

    @operation(f"List {kind} rules", scope=READ, query=PageQuery, responses={200: listed}, tags=tags)
    async def list_rules(request: web.Request, inp: Input[None, PageQuery, None]) -> web.Response:
        project_id = inp.project_id
        ctx = context(request)
        if kind == "grouping":  # PostHog does not paginate grouping rules
            found, _ = await rules.page(ctx.db, kind, project_id, limit=None)
            issues = await rules.grouping_issues(ctx.db, project_id, found)
            return json_response({"results": [rule_json(r, issues.get(r.id)) for r in found]})
        limit, offset = inp.query.page()
        found, count = await rules.page(ctx.db, kind, project_id, limit=limit, offset=offset)
        results = [rule_json(r) for r in found]
        return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))

    @operation(f"Create a {kind} rule", scope=WRITE, body=RuleBody, responses={201: RuleOut}, errors=_ERRORS,
               tags=tags)
    async def create(request: web.Request, inp: Input[None, None, RuleBody]) -> web.Response:
        rule = await rules.create(context(request).db, kind, inp.project_id, sent(inp.body))
        return json_response(rule_json(rule), 201)

    @operation(f"Retrieve a {kind} rule", scope=READ, path=IdPath, responses={200: RuleOut}, tags=tags)
    async def retrieve(request: web.Request, inp: Input[IdPath, None, None]) -> web.Response:
        project_id = inp.project_id
        db = context(request).db
        rule = await rules.find(db, kind, project_id, inp.path.id)
        issue = (await rules.grouping_issues(db, project_id, [rule])).get(rule.id) if kind == "grouping" else None
        return json_response(rule_json(rule, issue))

    @operation(f"Change a {kind} rule", scope=WRITE, path=IdPath, body=RuleBody, responses={204: None},
               errors=_ERRORS, tags=tags)
    async def update(request: web.Request, inp: Input[IdPath, None, RuleBody]) -> web.Response:
        await rules.update(context(request).db, kind, inp.project_id, inp.path.id, sent(inp.body))
        return web.Response(status=204)

    @operation(f"Delete a {kind} rule", scope=WRITE, path=IdPath, responses={204: None}, tags=tags)
    async def destroy(request: web.Request, inp: Input[IdPath, None, None]) -> web.Response:
        await rules.delete(context(request).db, kind, inp.project_id, inp.path.id)
        return web.Response(status=204)

    @operation(f"Reorder the {kind} rules", scope=WRITE, body=Reorder, responses={204: None}, errors=_ERRORS,
               tags=tags)
    async def reorder(request: web.Request, inp: Input[None, None, Reorder]) -> web.Response:
        await rules.reorder(context(request).db, kind, inp.project_id, sent(inp.body))
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
