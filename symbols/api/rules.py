"""Rule routes (PostHog's ``error_tracking/{suppression,assignment,grouping}_rules/``):
list (grouping: unpaginated ``{"results": [...]}``), create 201, retrieve, PUT/PATCH 204,
DELETE 204, ``PATCH reorder/`` 204. ``handlers(kind)`` declares the set for one kind; the
bodies' fields are checked by the domain, with PostHog's codes and attrs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from ..db.rules import Rule
from ..errortracking import rules
from ..errortracking.rules import MAX_DESCRIPTION, MAX_ORDERS
from .auth import READ, WRITE
from .context import context
from .issues import Assignee
from .models import IdPath, Page, PageQuery, Uuid, described, sent
from .operation import Input, operation
from .parse import json_response, paginated

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_FILTERS = {"type": "object", "description": "PostHog's property filters: {type: AND|OR, values: [...]}."}
_ASSIGNEE = {"type": ["object", "null"], "description": '{"type": "user", "id": 1} or {"type": "role", "id": UUID}.'}
# PostHog's DRF codes (symbols.errortracking.rules and assignees).
_CODES = ("invalid", "null", "required", "max_value", "min_value", "max_length", "invalid_choice", "max_rules",
          "null_characters_not_allowed")
_EXAMPLE_FILTERS = {"type": "AND", "values": [
    {"type": "event", "key": "$exception_types", "operator": "exact", "value": "TypeError"}]}


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{"filters": _EXAMPLE_FILTERS}]})

    filters: described(_FILTERS) = None


class SuppressionBody(_Body):
    sampling_rate: described({"type": "number", "minimum": 0, "maximum": 1}, "Share of matches dropped.") = None


class AssignmentBody(_Body):
    assignee: described(_ASSIGNEE) = None


class GroupingBody(AssignmentBody):
    description: described({"type": ["string", "null"], "maxLength": MAX_DESCRIPTION}) = None


class ReorderBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    orders: described({"type": "object", "additionalProperties": {"type": "integer"}, "maxProperties": MAX_ORDERS},
                      "order_key by rule id; ids of no rule of the project are ignored.") = None


class _Rule(BaseModel):
    id: Uuid
    filters: dict[str, Any]
    order_key: int
    disabled_data: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


class SuppressionRule(_Rule):
    sampling_rate: float


class AssignmentRule(_Rule):
    assignee: Assignee | None


class RuleIssue(BaseModel):
    id: Uuid
    name: str | None


class GroupingRule(AssignmentRule):
    description: str | None
    issue: RuleIssue | None


class SuppressionPage(Page[SuppressionRule]):
    pass


class AssignmentPage(Page[AssignmentRule]):
    pass


class GroupingList(BaseModel):
    results: list[GroupingRule]


_SHAPES: dict[str, tuple[type[BaseModel], type[BaseModel], type[BaseModel]]] = {
    "suppression": (SuppressionBody, SuppressionRule, SuppressionPage),
    "assignment": (AssignmentBody, AssignmentRule, AssignmentPage),
    "grouping": (GroupingBody, GroupingRule, GroupingList),
}


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
    body_model, item, listed = _SHAPES[kind]
    tags = (f"{kind}_rules",)
    errors = {400: _CODES}

    @operation(f"List {kind} rules by order_key", scope=READ, tags=tags, query=PageQuery,
               responses={200: listed},
               description="Not paginated, as PostHog's." if kind == "grouping" else None)
    async def list_rules(request: web.Request, inp: Input[None, PageQuery, None]) -> web.Response:
        ctx = context(request)
        if kind == "grouping":
            found, _ = await rules.page(ctx.db, kind, inp.project_id, limit=None)
            issues = await rules.grouping_issues(ctx.db, inp.project_id, found)
            return json_response({"results": [rule_json(r, issues.get(r.id)) for r in found]})
        limit, offset = inp.query.page()
        found, count = await rules.page(ctx.db, kind, inp.project_id, limit=limit, offset=offset)
        results = [rule_json(r) for r in found]
        return json_response(paginated(request, ctx.base_url(request), results, count, limit, offset))

    @operation(f"Create a {kind} rule (order_key 0, enabled)", scope=WRITE, tags=tags, body=body_model,
               responses={201: item}, errors=errors)
    async def create(request: web.Request, inp: Input[None, None, BaseModel]) -> web.Response:
        rule = await rules.create(context(request).db, kind, inp.project_id, sent(inp.body))
        return json_response(rule_json(rule), 201)

    @operation(f"Retrieve a {kind} rule", scope=READ, tags=tags, path=IdPath, responses={200: item})
    async def retrieve(request: web.Request, inp: Input[IdPath, None, None]) -> web.Response:
        db = context(request).db
        rule = await rules.find(db, kind, inp.project_id, inp.path.id)
        issue = (await rules.grouping_issues(db, inp.project_id, [rule])).get(rule.id) if kind == "grouping" else None
        return json_response(rule_json(rule, issue))

    @operation(f"Change a {kind} rule (the fields sent; enables it again)", scope=WRITE, tags=tags, path=IdPath,
               body=body_model, responses={204: None}, errors=errors)
    async def update(request: web.Request, inp: Input[IdPath, None, BaseModel]) -> web.Response:
        await rules.update(context(request).db, kind, inp.project_id, inp.path.id, sent(inp.body))
        return web.Response(status=204)

    @operation(f"Delete a {kind} rule", scope=WRITE, tags=tags, path=IdPath, responses={204: None})
    async def destroy(request: web.Request, inp: Input[IdPath, None, None]) -> web.Response:
        await rules.delete(context(request).db, kind, inp.project_id, inp.path.id)
        return web.Response(status=204)

    @operation(f"Reorder {kind} rules", scope=WRITE, tags=tags, body=ReorderBody, responses={204: None},
               errors={400: ("required", "invalid", "max_length")})
    async def reorder(request: web.Request, inp: Input[None, None, ReorderBody]) -> web.Response:
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
