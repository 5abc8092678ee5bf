"""External references (PostHog's ``error_tracking/external_references/``): create links an
issue to an integration and creates the issue on the provider from ``config``; the row is
stored only once the provider has answered with the new issue, so a provider failure
leaves nothing behind. Listed and read back with their ``external_url``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..db import Database
from ..db.integrations import (
    ExternalReference,
    get_integration,
    get_reference,
    insert_reference,
    list_references,
)
from ..db.issue_admin import existing_issue_ids
from ..db.types import parse_uuid
from ..errors import InvalidInput, Missing
from .integrations import SecretBox
from .providers import PROVIDERS, ProviderHttp, external_url

_INT32 = 2**31 - 1


def reference_url(ref: ExternalReference) -> str | None:
    try:
        return external_url(ref.integration.kind, ref.integration.config, ref.external_context)
    except ValueError:
        return None


def _integration_id(value: Any) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 12:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _INT32:
        raise InvalidInput("invalid" if value is not None else "required", "A valid integer is required.",
                           "integration_id")
    return value


@dataclass
class ExternalIssues:
    """Built once in ``app.py`` (it holds the HTTP client to providers)."""

    db: Database
    box: SecretBox
    http: ProviderHttp

    async def create(self, team_id: int, body: dict) -> ExternalReference:
        for attr in ("integration_id", "issue", "config"):
            if attr not in body:
                raise InvalidInput("required", "This field is required.", attr)
        integration_id = _integration_id(body["integration_id"])
        issue_id = parse_uuid(body["issue"])
        if issue_id is None:
            raise InvalidInput("invalid", "Must be a valid UUID.", "issue")
        async with self.db.connect() as conn:
            integration = await get_integration(conn, team_id, integration_id)
            known = await existing_issue_ids(conn, team_id, [issue_id])
        if integration is None:
            raise InvalidInput("does_not_exist", f'Invalid pk "{integration_id}" - object does not exist.',
                               "integration_id")
        if issue_id not in known:
            raise InvalidInput("does_not_exist", f'Invalid pk "{issue_id}" - object does not exist.', "issue")
        provider = PROVIDERS.get(integration.kind)
        if provider is None:
            raise InvalidInput("invalid", "Provider not supported", "integration_id")
        config = provider.check_issue_config(body["config"])
        secrets = self.box.open(integration.sensitive_config)
        context = await provider.create_issue(self.http, integration.config, secrets, config)
        async with self.db.begin() as conn:
            return await insert_reference(conn, team_id, issue_id, integration, context)

    async def find(self, team_id: int, reference_id: str) -> ExternalReference:
        async with self.db.connect() as conn:
            ref = await get_reference(conn, team_id, reference_id)
        if ref is None:
            raise Missing()
        return ref

    async def of_issue(self, team_id: int, issue_id: str) -> list[ExternalReference]:
        async with self.db.connect() as conn:
            return (await list_references(conn, team_id, issue_ids=[issue_id]))[0]

    async def page(self, team_id: int, *, limit: int | None, offset: int = 0) -> tuple[list[ExternalReference], int]:
        async with self.db.connect() as conn:
            return await list_references(conn, team_id, limit=limit, offset=offset)


__all__ = ["ExternalIssues", "reference_url"]
