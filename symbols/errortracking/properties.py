"""The properties a processed exception event is stored with (cymbal's output properties).

``output_properties(properties, exceptions, fp, issue_id, releases=...)`` returns the input
properties with cymbal's reserved keys replaced:

- ``$exception_list``: the resolved exceptions (with their ``id``); frames lose their
  ``context``, which is served by ``stack_frames/batch_get`` and not stored per event;
- ``$exception_fingerprint``, ``$exception_proposed_fingerprint``,
  ``$exception_fingerprint_record`` (from ``fingerprint.Fingerprint``), ``$exception_issue_id``;
- ``$exception_types`` / ``$exception_values``: each exception's ``type`` / ``value``, and
  ``$exception_sources`` / ``$exception_functions``: the ``source`` / ``resolved_name`` of
  in-app frames; each unique, in first-seen order;
- ``$exception_handled``: the client's boolean ``$exception_handled``, else the first
  exception's ``mechanism.handled``, else false;
- ``$exception_releases`` only when ``releases`` is non-empty, ``$cymbal_errors`` only when
  it holds an error.

A client's value for any other reserved key is dropped (cymbal does the same, so the
stored event never carries two meanings for one key). Every other property is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .fingerprint import Fingerprint, resolved_frames

RESERVED = frozenset({
    "$exception_list", "$exception_fingerprint", "$exception_issue_id",
    "$exception_fingerprint_record", "$exception_proposed_fingerprint", "$exception_handled",
    "$exception_releases", "$exception_types", "$exception_values", "$exception_sources",
    "$exception_functions",
})
ERRORS = "$cymbal_errors"


def output_properties(
    properties: Mapping[str, Any], exceptions: list[dict[str, Any]], fp: Fingerprint,
    issue_id: str, *, releases: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    out = {k: v for k, v in properties.items() if k not in RESERVED}
    if not (isinstance(out.get(ERRORS), list) and out[ERRORS]):
        out.pop(ERRORS, None)
    stored = [_without_context(e) for e in exceptions]
    in_app = [f for e in stored for f in resolved_frames(e) or () if f.get("in_app")]
    out.update({
        "$exception_list": stored,
        "$exception_fingerprint": fp.value,
        "$exception_proposed_fingerprint": fp.proposed,
        "$exception_fingerprint_record": fp.record,
        "$exception_issue_id": str(issue_id),
        "$exception_types": _unique(e.get("type") for e in stored),
        "$exception_values": _unique(e.get("value") for e in stored),
        "$exception_sources": _unique(f.get("source") for f in in_app),
        "$exception_functions": _unique(f.get("resolved_name") for f in in_app),
        "$exception_handled": _handled(properties.get("$exception_handled"), stored),
    })
    if releases:
        out["$exception_releases"] = dict(releases)
    return out


def _unique(values: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(v for v in values if v is not None))


def _handled(client: Any, exceptions: list[dict[str, Any]]) -> bool:
    if isinstance(client, bool):
        return client
    mechanism = exceptions[0].get("mechanism") if exceptions else None
    return isinstance(mechanism, dict) and mechanism.get("handled") is True


def _without_context(exception: dict[str, Any]) -> dict[str, Any]:
    frames = resolved_frames(exception)
    if not frames or not any("context" in f for f in frames):
        return exception
    stripped = [{k: v for k, v in f.items() if k != "context"} for f in frames]
    return {**exception, "stacktrace": {**exception["stacktrace"], "frames": stripped}}
