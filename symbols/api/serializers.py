"""JSON shapes of the API's items (PostHog-compatible field names)."""

from __future__ import annotations

from typing import Any

from ..db.integrations import ExternalReference, Integration
from ..db.issue_admin import Issue
from ..db.issue_fingerprints import Fingerprint
from ..db.releases import Release
from ..db.symbol_sets import SymbolSet
from ..errortracking.elements import chain_to_elements
from ..resolve.fetch_settings import FetchSettingView


def release_json(release: Release) -> dict:
    return {
        "id": release.id,
        "hash_id": release.hash_id,
        "team_id": release.team_id,
        "created_at": release.created_at,
        "metadata": release.metadata,
        "version": release.version,
        "project": release.project,
    }


def fetch_settings_json(view: FetchSettingView) -> dict:
    return {
        "enabled": view.enabled,
        "allowed_domains": list(view.allowed_domains),
        "auth_header_name": view.auth_header_name,
        "updated_at": view.updated_at,
    }


def symbol_set_json(symbol_set: SymbolSet) -> dict:
    return {
        "id": symbol_set.id,
        "ref": symbol_set.ref,
        "team_id": symbol_set.team_id,
        "created_at": symbol_set.created_at,
        "storage_ptr": symbol_set.storage_ptr,
        "failure_reason": symbol_set.failure_reason,
        "content_hash": symbol_set.content_hash,
        "last_used": symbol_set.last_used,
        "release": release_json(symbol_set.release) if symbol_set.release else None,
        "has_uploaded_file": symbol_set.storage_ptr is not None and symbol_set.uploaded_at is not None,
        "url": symbol_set.url,
    }


def issue_json(issue: Issue, external_issues: list[dict] | None = None) -> dict:
    """PostHog's issue, with this service's counters as extra fields (``external_issues``:
    given where the issue is read alone, as PostHog's list leaves them out)."""
    return {
        "id": issue.id,
        "status": issue.status,
        "name": issue.name,
        "description": issue.description,
        "first_seen": issue.first_seen,
        "assignee": issue.assignee.to_json() if issue.assignee else None,
        "external_issues": external_issues or [],
        "cohort": None,
        "occurrences": issue.occurrences,
        "users": issue.users,
        "last_seen": issue.last_seen,
    }


def fingerprint_json(fingerprint: Fingerprint) -> dict:
    return {
        "id": fingerprint.id,
        "fingerprint": fingerprint.fingerprint,
        "issue_id": fingerprint.issue_id,
        "created_at": fingerprint.created_at,
        "first_seen": fingerprint.first_seen,
    }
PERSON_PROPERTIES = ("email", "name", "username")


def _strip_quotes(value: Any) -> Any:
    """A string property loses its surrounding quotes, as PostHog's serializer does."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def event_json(row: Any, person: Any, include_person: bool) -> dict:
    properties = row.properties if isinstance(row.properties, dict) else {}
    person_json = None
    if include_person and person is not None:
        person_json = {
            "is_identified": person.is_identified,
            "distinct_ids": [row.distinct_id],
            "properties": {k: person.properties[k] for k in PERSON_PROPERTIES if k in person.properties},
        }
    return {
        "id": row.uuid,
        "distinct_id": row.distinct_id,
        "properties": {k: _strip_quotes(v) for k, v in properties.items()},
        "event": row.event,
        "timestamp": row.timestamp.isoformat(),
        "person": person_json,
        "elements": chain_to_elements(row.elements_chain),
        "elements_chain": row.elements_chain or "",
    }


def select_row(row: Any, select: tuple) -> list:
    """The values of ``select``'s fields (columns or property paths) for one event."""
    values = []
    for _, field in select:
        if field.column is not None:
            value = getattr(row, field.column)
            values.append(value.isoformat() if field.column == "timestamp" else value)
            continue
        value = row.properties
        for key in field.path:
            value = value.get(key) if isinstance(value, dict) else None
        values.append(value)
    return values


def integration_summary(integration: Integration) -> dict:
    return {"id": integration.id, "kind": integration.kind, "display_name": integration.display_name}


def reference_json(ref: ExternalReference, url: str | None) -> dict:
    return {"id": ref.id, "integration": integration_summary(ref.integration), "external_url": url}
