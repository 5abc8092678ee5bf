"""The URL map. Every API route is served under both ``/api/projects/{project_id}/`` and
``/api/environments/{project_id}/``, with and without its trailing slash."""

from __future__ import annotations

from aiohttp import web

from ..symbol_sets.links import DOWNLOAD_PATH, UPLOAD_PATH
from . import (
    capture,
    events,
    external_references,
    fetch_settings,
    fingerprints,
    health,
    issues,
    organization,
    presigned_upload,
    reference,
    releases,
    resolve,
    rules,
    stack_frames,
    symbol_sets,
    transfer,
)
from .direct_upload import direct_upload

_PROJECT_BASES = ("/api/projects/{project_id}", "/api/environments/{project_id}")
_BASES = tuple(base + "/error_tracking" for base in _PROJECT_BASES)

# (method, path under the base, handler); fixed paths before their {id} siblings.
_API_ROUTES = [
    ("GET", "/symbol_sets/", symbol_sets.list_sets),
    ("POST", "/symbol_sets/", direct_upload),
    ("POST", "/symbol_sets/bulk_delete/", symbol_sets.bulk_delete),
    ("POST", "/symbol_sets/bulk_start_upload/", presigned_upload.bulk_start_upload),
    ("POST", "/symbol_sets/bulk_finish_upload/", presigned_upload.bulk_finish_upload),
    ("POST", "/symbol_sets/start_upload/", presigned_upload.start_upload),
    ("GET", "/symbol_sets/{id}/", symbol_sets.retrieve),
    ("PATCH", "/symbol_sets/{id}/", symbol_sets.update),
    ("PUT", "/symbol_sets/{id}/", symbol_sets.update),
    ("DELETE", "/symbol_sets/{id}/", symbol_sets.destroy),
    ("GET", "/symbol_sets/{id}/download/", symbol_sets.download),
    ("PUT", "/symbol_sets/{id}/finish_upload/", presigned_upload.finish_upload),
    ("GET", "/releases/", releases.list_all),
    ("POST", "/releases/", releases.create),
    ("GET", "/releases/hash/{hash_id}/", releases.by_hash),
    ("GET", "/releases/{id}/", releases.retrieve),
    ("PATCH", "/releases/{id}/", releases.update),
    ("PUT", "/releases/{id}/", releases.update),
    ("DELETE", "/releases/{id}/", releases.destroy),
    ("POST", "/stack_frames/resolve/", resolve.resolve_frames),
    ("POST", "/stack_frames/batch_get/", stack_frames.batch_get),
    ("GET", "/fingerprints/", fingerprints.list_fingerprints),
    ("GET", "/fingerprints/resolve/", fingerprints.resolve),
    ("GET", "/fingerprints/{id}/", fingerprints.retrieve),
    ("DELETE", "/fingerprints/{id}/", fingerprints.destroy),
    ("GET", "/issues/", issues.list_issues),
    ("POST", "/issues/bulk/", issues.bulk),
    ("GET", "/issues/{id}/", issues.retrieve),
    ("PATCH", "/issues/{id}/", issues.update),
    ("PUT", "/issues/{id}/", issues.update),
    ("DELETE", "/issues/{id}/", issues.destroy),
    ("PATCH", "/issues/{id}/assign/", issues.assign),
    ("POST", "/issues/{id}/merge/", issues.merge),
    ("POST", "/issues/{id}/split/", issues.split),
    *rules.routes(),
    ("GET", "/external_references/", external_references.list_references),
    ("POST", "/external_references/", external_references.create),
    ("GET", "/external_references/{id}/", external_references.retrieve),
    ("DELETE", "/external_references/{id}/", external_references.destroy),
    ("GET", "/fetch_settings/", fetch_settings.retrieve),
    ("PATCH", "/fetch_settings/", fetch_settings.update),
]
# Routes directly under a project (not under error_tracking/).
_PROJECT_ROUTES = [
    ("GET", "/events/", events.list_events),
    ("GET", "/events/{id}/", events.retrieve),
    ("GET", "/integrations/", external_references.list_integrations),
]


def setup_routes(app: web.Application) -> None:
    router = app.router
    for bases, routes in ((_BASES, _API_ROUTES), (_PROJECT_BASES, _PROJECT_ROUTES)):
        for base in bases:
            for method, path, handler in routes:
                router.add_route(method, base + path, handler)
                router.add_route(method, base + path.rstrip("/"), handler)
    router.add_post(UPLOAD_PATH, transfer.upload)
    router.add_post(UPLOAD_PATH.rstrip("/"), transfer.upload)
    router.add_get(DOWNLOAD_PATH, transfer.download)
    for tail, handler in (("members", organization.members), ("roles", organization.roles)):
        path = f"/api/organizations/{{organization_id}}/{tail}/"
        router.add_get(path, handler)
        router.add_get(path.rstrip("/"), handler)
    capture.add_routes(router)
    router.add_get("/healthz", health.healthz)
    router.add_get("/readyz", health.readyz)
    router.add_get("/metrics", health.metrics)
    for path, handler in [(reference.SCHEMA_PATH, reference.schema), (reference.DOCS_PATH, reference.docs)]:
        router.add_get(path, handler)
        router.add_get(path.rstrip("/"), handler)
    router.add_get(reference.REDOC_PATH, reference.redoc)
    app[reference.DOCUMENT] = {}
