"""Request and response models of the events routes (``api/events.py``).

The query strings stay strings here, bounded; their meaning (dates, JSON filters, HogQL)
is read by ``errortracking.events`` with PostHog's details."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from ..errortracking.events import MAX_EXPRESSIONS, MAX_PARAM_CHARS
from ..errortracking.hogql import MAX_CHARS
from .models import UUID_SCHEMA, Uuid
from .operation import Code

EXAMPLE = {
    "id": "01968a1e-6f6e-7c2a-9a0e-3f1b2c4d5e6f",
    "distinct_id": "user-1",
    "properties": {"$browser": "Chrome", "$exception_types": ["TypeError"]},
    "event": "$exception",
    "timestamp": "2026-12-01T12:00:00+00:00",
    "person": None,
    "elements": [],
    "elements_chain": "",
}


def _bounded(max_length: int, description: str) -> Any:
    return Field(None, max_length=max_length, description=description)


# Bounded so that a request at every bound still fits aiohttp's 8 KiB request line.
Expression = Annotated[str, Field(max_length=MAX_CHARS)]


class EventsQuery(BaseModel):
    after: str | None = _bounded(64, "ISO 8601; events after it (default: 24 hours ago).")
    before: str | None = _bounded(64, "ISO 8601; events before it (default: 5 s from now).")
    before_uuid: str | None = _bounded(64, "With `before`: the last event of the previous page "
                                           "(newest first), for ties on its timestamp.")
    after_uuid: str | None = _bounded(64, "With `after`: the same, oldest first.")
    event: str | None = _bounded(400, "Only events with this name.")
    distinct_id: str | None = _bounded(200, "Only events of this distinct id.")
    person_id: str | None = _bounded(64, "Only events of this person's distinct ids.")
    properties: str | None = _bounded(
        MAX_PARAM_CHARS, "JSON: a list of property filters, or an AND/OR group of them (nested); "
                         "PostHog's operators with the rules' meaning (`is_date_*`: ISO 8601 dates, Unix "
                         "seconds, or relative bounds such as `-7d`; `semver_*`: `[v]1.2.3[-pre]`).")
    orderBy: str | None = _bounded(1000, 'JSON list; `["-timestamp"]` (the default) is newest '
                                         "first, anything else oldest first.")
    limit: str | None = _bounded(12, "Events per page (default 100, CSV 1000, at most 1000).")
    offset: str | None = _bounded(12, "Events to skip (deprecated: follow `next`).")
    include_person: str | None = _bounded(8, "`true`: each event's person.")
    select: Annotated[list[Expression], Code("invalid_hogql")] = Field(
        [], max_length=MAX_EXPRESSIONS, description="HogQL fields to return (repeatable): columns or "
                                       "`properties.x`; results become rows.")
    where: Annotated[list[Expression], Code("invalid_hogql")] = Field(
        [], max_length=MAX_EXPRESSIONS, description="HogQL conditions (repeatable, AND-ed).")
    format: Literal["json", "csv"] = "json"


class EventQuery(BaseModel):
    include_person: str | None = _bounded(8, "`true`: the event's person.")


class EventPath(BaseModel):
    id: Annotated[str, WithJsonSchema(UUID_SCHEMA)] = Field(
        max_length=100, description="The event's UUID (400 Invalid UUID otherwise).")


class Person(BaseModel):
    is_identified: bool
    distinct_ids: list[str]
    properties: dict[str, Any] = Field(description="email, name and username when set.")


class Element(BaseModel):
    event: None
    text: str | None
    tag_name: str | None
    attr_class: list[str] | None
    href: str | None
    attr_id: str | None
    nth_child: int | None
    nth_of_type: int | None
    attributes: dict[str, str]
    order: int


class Event(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    id: Uuid
    distinct_id: str
    properties: dict[str, Any]
    event: str
    timestamp: str = Field(description="ISO 8601 with its offset.")
    person: Person | None
    elements: list[Element]
    elements_chain: str


class EventsPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"next": None, "results": [EXAMPLE]}]})

    next: str | None = Field(json_schema_extra={"format": "uri"},
                             description="The next page (absolute URL), or null.")
    columns: list[str] | None = Field(None, description="With `select`: the fields of each row.")
    results: list[Event] | list[list[Any]]
