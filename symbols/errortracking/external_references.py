"""External references (PostHog's ``error_tracking/external_references/``): create links an
issue to an integration and creates the issue on the provider from ``config``. Listed and
read back with their ``external_url``.

The order keeps the two sides together: the reference is first reserved (a pending row,
never listed: the database checks the issue and the integration now, not after the
provider made its issue), then the provider issue is created, then the row is completed.
A provider failure deletes the reservation, so nothing is left behind and the request can
be retried. The completion is tried again over a few seconds while the database is
unavailable (a restart, a fail-over); only a fault that outlasts them, or a refusal, can
leave a provider issue with no reference (it is logged with its provider context). A
reservation left by a process that stopped mid-request is dropped an hour later, by the
project's next create."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ..db import Database, DatabaseUnavailable
from ..db.integrations import (
    ExternalReference,
    Integration,
    complete_reference,
    get_integration,
    get_reference,
    list_references,
    release_reference,
    reserve_reference,
)
from ..db.issue_admin import existing_issue_ids
from ..db.types import parse_uuid, utcnow
from ..errors import InvalidInput, Missing, StateConflict
from .integrations import SecretBox
from .providers import PROVIDERS, ProviderHttp, external_url

log = logging.getLogger(__name__)

_INT32 = 2**31 - 1
# A reservation pending this long was left by a process that stopped mid-request (a
# provider call is over within providers.base.TIMEOUT_SECONDS, 15 s): the project's next
# create drops it.
ABANDONED_AFTER = timedelta(hours=1)
# Waits between tries of storing a provider's new issue while the database is unavailable.
COMPLETE_RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0)


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
        async with self.db.begin() as conn:
            reference_id = await reserve_reference(conn, team_id, issue_id, integration.id,
                                                   abandoned_before=utcnow() - ABANDONED_AFTER)
        context = None
        try:
            context = await provider.create_issue(self.http, integration.config, secrets, config)
            ref = await self._complete(team_id, reference_id, issue_id, integration, context)
        except BaseException:
            if context is not None:
                log.error("%s issue %s made for issue %s, but its reference could not be stored",
                          integration.kind, context, issue_id)
            await self._release(team_id, reference_id)
            raise
        if ref is None:
            log.error("%s issue %s made for issue %s, deleted meanwhile", integration.kind, context, issue_id)
            raise StateConflict("conflict", "The issue was deleted while its provider issue was created.")
        return ref

    async def _complete(self, team_id: int, reference_id: str, issue_id: str, integration: Integration,
                        context: dict) -> ExternalReference | None:
        """Store the provider's issue on the reservation; the provider has made it, so a
        database that is briefly unavailable is waited for rather than given up on."""
        for delay in COMPLETE_RETRY_SECONDS:
            try:
                async with self.db.begin() as conn:
                    return await complete_reference(conn, team_id, reference_id, issue_id, integration, context)
            except DatabaseUnavailable:
                log.warning("storing the %s issue %s of issue %s: database unavailable, trying again in %s s",
                            integration.kind, context, issue_id, delay)
                await asyncio.sleep(delay)
        async with self.db.begin() as conn:  # the last try: its fault is the request's
            return await complete_reference(conn, team_id, reference_id, issue_id, integration, context)

    async def _release(self, team_id: int, reference_id: str) -> None:
        try:
            async with self.db.begin() as conn:
                await release_reference(conn, team_id, reference_id)
        except Exception:  # a pending row is never listed: left behind, it only takes space
            log.exception("could not release the reservation of external reference %s", reference_id)

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
