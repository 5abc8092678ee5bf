"""What every provider shares: the ``Provider`` interface, the one HTTP client the service
calls providers with (only allowed hosts, bounded answers, a timeout) and the mapping of
a provider's answer to typed errors (its 4xx -> ``UpstreamRefused``, rate limits ->
``UpstreamBusy`` with the wait it asked for, the rest -> ``UpstreamFailed``)."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
import orjson
from yarl import URL

from ...errors import InvalidInput, UpstreamBusy, UpstreamFailed, UpstreamRefused

MAX_RESPONSE_BYTES = 1 << 20
TIMEOUT_SECONDS = 15.0
MAX_TITLE = 255
MAX_BODY = 65_536
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class Provider(Protocol):
    kind: str
    name: str

    def check_integration(self, config: dict, secrets: dict) -> dict:
        """The integration's config as stored (defaults filled in); InvalidInput if unusable."""

    def check_issue_config(self, config: Any) -> dict:
        """The ``config`` of an external reference's create request, checked."""

    async def create_issue(self, http: ProviderHttp, integration: dict, secrets: dict, issue: dict) -> dict:
        """Create the provider issue; its ``external_context``."""

    def external_url(self, integration: dict, context: dict) -> str:
        """PostHog's ``external_url`` for it; ValueError when the context lacks a field."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: Any  # parsed JSON, or None


@dataclass
class ProviderHttp:
    """Calls to providers: https to their public hosts, or to ``extra_hosts`` (settings)."""

    extra_hosts: tuple[str, ...] = ()
    _session: aiohttp.ClientSession | None = field(default=None, repr=False)

    def check_url(self, url: str, public: tuple[str, ...]) -> URL:
        parsed = URL(url)
        host = (parsed.host or "").lower()
        named = f"{host}:{parsed.port}" if parsed.port is not None else host
        if host and (named in self.extra_hosts or host in self.extra_hosts) and parsed.scheme in ("http", "https"):
            return parsed
        if parsed.scheme == "https" and parsed.explicit_port is None and any(_matches(host, p) for p in public):
            return parsed
        raise InvalidInput("host_not_allowed", f"The service may not call {host or url[:100]!r}.", "config")

    async def request(self, name: str, method: str, url: URL, *, headers: dict, json: Any) -> Answer:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS))
        try:
            async with self._session.request(method, url, headers=headers, json=json, allow_redirects=False) as resp:
                raw = await resp.content.read(MAX_RESPONSE_BYTES + 1)
                if len(raw) > MAX_RESPONSE_BYTES:
                    raise UpstreamFailed("provider_unavailable", f"{name} answered with more than 1 MiB.")
                try:
                    body = orjson.loads(raw) if raw.strip() else None
                except orjson.JSONDecodeError:
                    body = None
                return Answer(resp.status, resp.headers, body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise UpstreamFailed("provider_unavailable", f"{name} could not be reached: {type(exc).__name__}.") from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _matches(host: str, pattern: str) -> bool:
    return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1 if pattern.startswith("*.") else host == pattern


def raise_for(name: str, answer: Answer, message: str | None) -> None:
    """Raise the typed error a non-2xx ``answer`` means (``message``: the provider's reason)."""
    status, headers = answer.status, answer.headers
    reason = f"{name} answered {status}" + (f": {message[:500]}" if message else ".")
    limited = status == 429 or (status == 403 and (headers.get("x-ratelimit-remaining") == "0"
                                                   or "retry-after" in headers))
    if limited:
        raise UpstreamBusy("provider_rate_limited", reason, retry_after(headers))
    if 400 <= status < 500:
        raise UpstreamRefused("provider_error", reason)
    if not 200 <= status < 300:
        raise UpstreamFailed("provider_unavailable", reason)


def retry_after(headers: Mapping[str, str]) -> int | None:
    """Seconds to wait: ``Retry-After``, else a ``x-ratelimit-reset`` epoch (GitHub, GitLab)."""
    for name in ("retry-after", "x-ratelimit-reset", "ratelimit-reset"):
        raw = headers.get(name, "")
        if raw.isdigit():
            value = int(raw)
            return max(0, value - int(time.time())) if value > 1_000_000_000 else value
    return None


def text(config: Any, key: str, *, required: bool = True, limit: int = MAX_TITLE) -> str | None:
    value = config.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("required" if value is None else "invalid", f"config.{key} must be a non-empty string.",
                           "config")
    if len(value) > limit:
        raise InvalidInput("max_length", f"config.{key} is longer than {limit} characters.", "config")
    return value


def name(config: Any, key: str) -> str:
    value = text(config, key)
    if not _NAME.fullmatch(value or ""):
        raise InvalidInput("invalid", f"config.{key} is not a valid name.", "config")
    return value  # type: ignore[return-value]


def issue_fields(config: Any, body_key: str) -> dict:
    """``title`` (required) and the body (optional) every provider's config has."""
    if not isinstance(config, dict):
        raise InvalidInput("invalid", "config must be an object.", "config")
    return {"title": text(config, "title"), body_key: text(config, body_key, required=False, limit=MAX_BODY) or ""}


def need(answer: Answer, *path: str) -> Any:
    """A field of a 2xx answer; an answer without it is the provider's fault."""
    value = answer.body
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if value is None or isinstance(value, dict | list):
        raise UpstreamFailed("provider_unavailable", f"The provider's answer has no {'.'.join(path)}.")
    return value


__all__ = ["Answer", "Provider", "ProviderHttp", "issue_fields", "name", "need", "raise_for", "retry_after", "text"]
