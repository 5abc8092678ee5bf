"""Decoding a PostHog SDK capture request into events (pure: bytes in, events out).

``decode_capture(body, content_type, query, path)`` accepts what PostHog's capture accepts on
``/i/v0/e/``, ``/e/``, ``/batch/``, ``/capture/`` and ``/track/``:

an array of events (posthog-js), ``{"api_key"|"token", "batch": [...],
"historical_migration"?, "sent_at"?}`` (the server SDKs' ``/batch/``) or one event, as JSON
in any of the encodings ``payload.decode_body`` reads (gzip, lz-string, base64, form bodies).

Per event: the token is the batch's, else the event's ``token``/``api_key``/``$token`` or
``properties.token`` (all equal); ``distinct_id`` is the event's or ``properties.distinct_id``
(a non-string is written as JSON, every value cut to 200 characters); ``$performance_event``
events are dropped; ``uuid`` is kept (a new UUIDv7 when absent); the timestamp is PostHog's:
``now - offset`` ms, else ``timestamp`` shifted by the client's clock skew (``now - sent_at``,
``sent_at`` from the body or the ``_`` query parameter in ms, unless ``$ignore_sent_at``), else
``now``; a timestamp over 23 hours ahead of ``now`` becomes ``now``.

Limits (``CaptureError`` 413 past them; gzip and lz-string output is bounded while it is
produced, so a small bomb never expands in memory):

=====================  ==========  ==============================================
MAX_BODY_BYTES         20 MiB      the body as received
MAX_DECODED_BYTES      64 MiB      after decompression and base64
MAX_EVENTS             10,000      events in one request
MAX_EVENT_BYTES        1 MiB       one event, as JSON
MAX_NAME_CHARS         200         event names and distinct ids are cut to this
MAX_TOKEN_CHARS        200         a longer token is refused (401)
=====================  ==========  ==============================================
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from .ids import uuid7
from .payload import MAX_BODY_BYTES, MAX_DECODED_BYTES, CaptureError, decode_body

__all__ = ["MAX_BODY_BYTES", "MAX_DECODED_BYTES", "CaptureBatch", "CaptureError", "CapturedEvent",
           "decode_capture"]

MAX_EVENTS = 10_000
MAX_EVENT_BYTES = 1024 * 1024
MAX_NAME_CHARS = 200
MAX_TOKEN_CHARS = 200
FUTURE_LIMIT = timedelta(hours=23)

DROPPED_EVENTS = frozenset({"$performance_event"})


@dataclass(slots=True)
class CapturedEvent:
    """One accepted event; ``timestamp`` and ``received_at`` are aware UTC datetimes."""

    uuid: str
    event: str
    distinct_id: str
    properties: dict[str, Any]
    timestamp: datetime
    received_at: datetime
    uuid_generated: bool = False  # the SDK sent none: retries of it are not idempotent

    def to_dict(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid, "event": self.event, "distinct_id": self.distinct_id,
            "properties": self.properties, "timestamp": self.timestamp.isoformat(),
            "received_at": self.received_at.isoformat(), "uuid_generated": self.uuid_generated,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CapturedEvent:
        return cls(
            uuid=data["uuid"], event=data["event"], distinct_id=data["distinct_id"],
            properties=data["properties"],
            timestamp=datetime.fromisoformat(data["timestamp"]),
            received_at=datetime.fromisoformat(data["received_at"]),
            uuid_generated=data.get("uuid_generated", False),
        )

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.to_dict())

    @classmethod
    def from_bytes(cls, data: bytes) -> CapturedEvent:
        return cls.from_dict(orjson.loads(data))


@dataclass(slots=True)
class CaptureBatch:
    """The events of one request and the project token they were sent with."""

    token: str
    events: list[CapturedEvent] = field(default_factory=list)
    historical_migration: bool = False

    def to_bytes(self) -> bytes:
        return orjson.dumps({
            "token": self.token, "historical_migration": self.historical_migration,
            "events": [e.to_dict() for e in self.events],
        })

    @classmethod
    def from_bytes(cls, data: bytes) -> CaptureBatch:
        raw = orjson.loads(data)
        return cls(
            token=raw["token"], historical_migration=raw["historical_migration"],
            events=[CapturedEvent.from_dict(e) for e in raw["events"]],
        )


def decode_capture(
    body: bytes, content_type: str | None, query: Mapping[str, str], path: str,
    *, now: datetime | None = None,
) -> CaptureBatch:
    """The events of one capture request, or ``CaptureError`` saying why not."""
    now = now or datetime.now(UTC)
    payload = decode_body(body, content_type, query, path)
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise CaptureError.bad("invalid_payload", f"the body is not JSON: {exc}") from None
    return _batch(data, _query_sent_at(query), now)


def _query_sent_at(query: Mapping[str, str]) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(query["_"]) / 1000, UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        return None


def _batch(data: Any, sent_at: datetime | None, now: datetime) -> CaptureBatch:
    token = None
    historical = False
    if isinstance(data, dict) and "batch" in data:
        token = _token(data.get("api_key")) or _token(data.get("token"))
        historical = data.get("historical_migration") is True
        sent_at = _parse_time(data.get("sent_at")) or sent_at
        data = data["batch"]
    elif isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise CaptureError.bad("invalid_payload", "the body is not an event, a list of events or a batch")
    if not data:
        raise CaptureError.bad("empty_batch", "the request holds no event")
    if len(data) > MAX_EVENTS:
        raise CaptureError(413, "payload_too_large", f"more than {MAX_EVENTS} events")
    if not all(isinstance(raw, dict) for raw in data):
        raise CaptureError.bad("invalid_payload", "every event must be a JSON object")
    if token is None:
        token = _events_token(data)
    events = [
        _event(raw, sent_at, now) for raw in data if not _dropped(raw.get("event"))
    ]
    return CaptureBatch(token=token, events=events, historical_migration=historical)


def _dropped(name: Any) -> bool:
    return isinstance(name, str) and name in DROPPED_EVENTS


def _token(value: Any) -> str | None:
    if isinstance(value, str) and value:
        if len(value) > MAX_TOKEN_CHARS:
            raise CaptureError(401, "invalid_token", "the api_key is not a project token")
        return value
    return None


def _events_token(events: list[dict]) -> str:
    tokens = set()
    for raw in events:
        props = raw.get("properties")
        found = (
            _token(raw.get("token")) or _token(raw.get("api_key")) or _token(raw.get("$token"))
            or (_token(props.get("token")) if isinstance(props, dict) else None)
        )
        tokens.add(found)
    if tokens == {None}:
        raise CaptureError(401, "no_token", "event submitted without an api_key")
    if len(tokens) > 1:
        raise CaptureError(401, "multiple_tokens", "batch submitted with inconsistent api_key values")
    return tokens.pop()


def _event(raw: dict, sent_at: datetime | None, now: datetime) -> CapturedEvent:
    name = raw.get("event")
    if not isinstance(name, str) or not name:
        raise CaptureError.bad("missing_event_name", "event submitted with an empty event name")
    properties = raw.get("properties")
    if properties is None:
        properties = {}
    elif not isinstance(properties, dict):
        raise CaptureError.bad("invalid_payload", "event properties must be a JSON object")
    raw_uuid = raw.get("uuid")
    if raw_uuid is None:
        event_uuid, generated = str(uuid7()), True
    else:
        event_uuid, generated = _uuid(raw_uuid), False
    if len(orjson.dumps(raw)) > MAX_EVENT_BYTES:
        raise CaptureError(413, "event_too_big", f"an event passes {MAX_EVENT_BYTES} bytes")
    if properties.get("$ignore_sent_at") is True:
        sent_at = None
    return CapturedEvent(
        uuid=event_uuid, event=name[:MAX_NAME_CHARS], distinct_id=_distinct_id(raw, properties),
        properties=properties, timestamp=_timestamp(raw, sent_at, now), received_at=now,
        uuid_generated=generated,
    )


def _uuid(value: Any) -> str:
    if isinstance(value, str):
        try:
            return str(uuidlib.UUID(value))
        except ValueError:
            pass
    raise CaptureError.bad("invalid_uuid", "the event's uuid is not a UUID")


def _distinct_id(raw: dict, properties: dict) -> str:
    value = raw.get("distinct_id")
    if value is None:
        value = properties.get("distinct_id")
    if value is None:
        raise CaptureError.bad("missing_distinct_id", "event submitted without a distinct_id")
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    if not text:
        raise CaptureError.bad("empty_distinct_id", "event submitted with an empty distinct_id")
    return text[:MAX_NAME_CHARS]


def _timestamp(raw: dict, sent_at: datetime | None, now: datetime) -> datetime:
    offset = raw.get("offset")
    if isinstance(offset, int) and not isinstance(offset, bool) and 0 <= offset < 10**12:
        return now - timedelta(milliseconds=offset)
    stamp = _parse_time(raw.get("timestamp"))
    if stamp is None:
        return now
    try:
        if sent_at is not None:
            stamp = now + (stamp - sent_at)  # the client's clock skew, taken out
    except OverflowError:
        return now
    return now if stamp - now > FUTURE_LIMIT else stamp


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
