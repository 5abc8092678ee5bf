"""JSON shapes of the API's items (PostHog-compatible field names)."""

from __future__ import annotations

from ..db.issue_admin import Issue
from ..db.issue_fingerprints import Fingerprint
from ..db.releases import Release
from ..db.symbol_sets import SymbolSet


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
    }


def issue_json(issue: Issue) -> dict:
    """PostHog's issue, with this service's counters as extra fields."""
    return {
        "id": issue.id,
        "status": issue.status,
        "name": issue.name,
        "description": issue.description,
        "first_seen": issue.first_seen,
        "assignee": issue.assignee.to_json() if issue.assignee else None,
        "external_issues": [],
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
