"""Async HTTP client of our own API (aiohttp), used by the build-pipeline commands.

Speaks only HTTP: ``{host}/api/environments/{project}/error_tracking/...`` with
``Authorization: Bearer <key>``. Every failure a user can cause becomes a typed
``ClientError`` whose ``str()`` is one readable line. Requests are retried with
exponential backoff and jitter on 429, 5xx and connection errors (``Retry-After`` is
honoured, capped); until the host has answered once, a refused connection is retried
only once, so a mistyped host fails fast.

Presigned uploads are POSTed without the API key: the URL may point at S3, which must
never see it, and the signed policy in ``fields`` is the only credential needed.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import os
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self, TypeVar
from urllib.parse import quote

import aiohttp

T = TypeVar("T")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Routes that exist in every visible project: a 404 there means the project is not visible.
_PROJECT_ROUTES = frozenset({
    "symbol_sets/", "symbol_sets/bulk_start_upload/", "symbol_sets/bulk_finish_upload/", "releases/",
    "stack_frames/resolve/",
})
MAX_FRAMES_PER_REQUEST = 1000


class ClientError(Exception):
    """Base of every client failure; ``str()`` is a one-line message for people."""


class ConnectionFailed(ClientError):
    """The host could not be reached (refused, DNS, TLS, timeout)."""


class NotOurApi(ClientError):
    """The host answered, but not like a symbols / PostHog error-tracking API."""


class ServiceError(ClientError):
    """The API answered with an error body."""

    def __init__(self, message: str, *, status: int, code: str | None = None,
                 detail: str | None = None, attr: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.detail = detail
        self.attr = attr


class AuthenticationFailed(ServiceError):
    """401: the key is missing, unknown or revoked."""


class MissingScope(ServiceError):
    """403: the key lacks a scope."""


class ProjectNotFound(ServiceError):
    """404 on a project route: no such project, or the key may not see it."""


class ItemNotFound(ServiceError):
    """404 on an item route."""


class RateLimited(ServiceError):
    """429 after every retry."""


class ServerError(ServiceError):
    """5xx after every retry."""


class UploadFailed(ClientError):
    """A presigned POST was refused (after retries where retrying made sense)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class PresignedForm:
    url: str
    fields: dict[str, str]


@dataclass(frozen=True)
class UploadTarget:
    symbol_set_id: str
    presigned: PresignedForm


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # total tries, the first included
    base_delay: float = 0.5
    max_delay: float = 20.0

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0-based): full backoff, half jitter."""
        backoff = min(self.max_delay, self.base_delay * (2 ** retry))
        wait = backoff / 2 + random.uniform(0, backoff / 2)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_delay))
        return wait


def release_hash_id(name: str, version: str) -> str:
    """Deterministic release id from name and version (SHA-512 hex of name + version, as
    PostHog's CLI computes it, so both tools find the same release)."""
    return hashlib.sha512(name.encode("utf-8") + version.encode("utf-8")).hexdigest()


class SymbolsClient:
    """One API client per run; use as ``async with SymbolsClient(...) as client``."""

    def __init__(
        self,
        host: str,
        project: str,
        token: str,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 300.0,
        connect_timeout: float = 15.0,
        session: aiohttp.ClientSession | None = None,
        api_prefix: str = "environments",
    ) -> None:
        host = host.strip().rstrip("/")
        if "://" not in host:
            host = "http://" + host if host.startswith(("localhost", "127.")) else "https://" + host
        self.host = host
        self.project = str(project).strip()
        self.token = token.strip()
        self.retry = retry or RetryPolicy()
        self.base_url = f"{host}/api/{api_prefix}/{quote(self.project, safe='')}/error_tracking/"
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
        self._session = session
        self._own_session = session is None
        self._contacted = False
        self._upload_origins: set[str] = set()  # presigned hosts that accepted an upload

    async def __aenter__(self) -> Self:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None and self._own_session:
            await self._session.close()
        self._session = None

    # --- API calls -------------------------------------------------------------------

    async def check_access(self) -> None:
        """Fail early, with a clear message, on a wrong host, key or project.

        A 403 (the key may write but not read) is accepted: uploading needs write only.
        """
        try:
            body = await self._api("GET", "symbol_sets/", params={"limit": "1"})
        except MissingScope:
            return
        if not isinstance(body, dict) or "results" not in body:
            raise NotOurApi(f"{self.host} did not answer like a symbols API (no list of symbol sets); check --host")

    async def list_symbol_sets(self, **filters: str) -> list[dict]:
        """Every symbol set of the project matching ``filters`` (``ref``, ``status``, ...)."""
        items: list[dict] = []
        params = {"limit": "1000", **filters}
        offset = 0
        while True:
            body = await self._api("GET", "symbol_sets/", params={**params, "offset": str(offset)})
            page = body.get("results") if isinstance(body, dict) else None
            if not isinstance(page, list):
                raise NotOurApi(f"{self.host}: the symbol set list has no results")
            items.extend(page)
            if not body.get("next") or not page:
                return items
            offset += len(page)

    async def bulk_start_upload(
        self, symbol_sets: list[dict[str, Any]]
    ) -> dict[str, UploadTarget]:
        """``{chunk_id: UploadTarget}`` for the sets the server wants (the others are unchanged)."""
        body = await self._api("POST", "symbol_sets/bulk_start_upload/", json_body={"symbol_sets": symbol_sets})
        id_map = body.get("id_map") if isinstance(body, dict) else None
        if not isinstance(id_map, dict):
            raise NotOurApi(f"{self.host}: bulk_start_upload answered without an id_map")
        targets = {}
        for chunk_id, item in id_map.items():
            try:
                presigned = item["presigned_url"]
                targets[chunk_id] = UploadTarget(
                    symbol_set_id=str(item["symbol_set_id"]),
                    presigned=PresignedForm(
                        url=str(presigned["url"]),
                        fields={str(k): str(v) for k, v in (presigned.get("fields") or {}).items()},
                    ),
                )
            except (KeyError, TypeError, AttributeError):
                raise NotOurApi(
                    f"{self.host}: bulk_start_upload answered with a malformed entry for {chunk_id}"
                ) from None
        return targets

    async def bulk_finish_upload(self, content_hashes: Mapping[str, str]) -> None:
        await self._api(
            "POST", "symbol_sets/bulk_finish_upload/", json_body={"content_hashes": dict(content_hashes)}
        )

    async def get_release(self, hash_id: str) -> dict | None:
        try:
            return await self._api("GET", f"releases/hash/{quote(hash_id, safe='')}/")
        except ItemNotFound:
            return None

    async def create_release(self, name: str, version: str, metadata: dict | None = None) -> dict:
        return await self._api(
            "POST",
            "releases/",
            json_body={
                "hash_id": release_hash_id(name, version),
                "version": version,
                "project": name,
                "metadata": metadata or {},
            },
        )

    async def ensure_release(self, name: str, version: str, metadata: dict | None = None) -> dict:
        """The release named ``name``/``version``, created (with ``metadata``) if it does
        not exist yet."""
        hash_id = release_hash_id(name, version)
        release = await self.get_release(hash_id)
        if release is None:
            try:
                release = await self.create_release(name, version, metadata)
            except ServiceError as exc:
                # Created concurrently by another job of the same build: read it back.
                if exc.status not in (400, 409):
                    raise
                release = await self.get_release(hash_id)
                if release is None:
                    raise
        if not isinstance(release, dict) or "id" not in release:
            raise NotOurApi(f"{self.host}: the release answer has no id")
        return release

    async def resolve_frames(
        self,
        frames: list[dict[str, Any]],
        *,
        context_lines: int | None = None,
        explain: bool = False,
        batch_size: int = MAX_FRAMES_PER_REQUEST,
    ) -> list[dict]:
        """The resolved form of each frame, in order (``POST stack_frames/resolve``).

        Sent in batches of at most ``batch_size`` frames (the API's limit is 1000).
        """
        resolved: list[dict] = []
        for start in range(0, len(frames), batch_size):
            batch = frames[start : start + batch_size]
            payload: dict[str, Any] = {"frames": batch}
            if context_lines is not None:
                payload["context_lines"] = context_lines
            if explain:
                payload["explain"] = True
            body = await self._api("POST", "stack_frames/resolve/", json_body=payload)
            answer = body.get("frames") if isinstance(body, dict) else None
            if not isinstance(answer, list) or len(answer) != len(batch) or not all(
                isinstance(frame, dict) for frame in answer
            ):
                raise NotOurApi(
                    f"{self.host}: stack_frames/resolve answered without one resolved frame per frame sent"
                )
            resolved.extend(answer)
        return resolved

    async def upload_presigned(self, target: PresignedForm, data: bytes, *, filename: str = "file") -> None:
        """POST ``data`` to a presigned URL: the signed fields first, then ``file``."""
        assert self._session is not None, "use the client in 'async with'"
        origin = _origin(target.url)

        async def once() -> None:
            form = aiohttp.FormData()
            for key, value in target.fields.items():
                form.add_field(key, value)
            form.add_field("file", data, filename=filename, content_type="application/octet-stream")
            try:
                async with self._session.post(target.url, data=form) as response:
                    self._upload_origins.add(origin)
                    if response.status < 300:
                        await response.read()
                        return
                    text = _summary((await response.text(errors="replace"))[:500])
                    if response.status not in RETRY_STATUSES:
                        raise UploadFailed(f"upload refused by {origin}: HTTP {response.status} {text}",
                                           status=response.status)
                    raise _Retryable(
                        UploadFailed(f"upload to {origin} failed: HTTP {response.status} {text}",
                                     status=response.status),
                        retry_after=_retry_after(response),
                    )
            except (TimeoutError, aiohttp.ClientConnectionError) as exc:
                # An object store clients cannot see is tried twice, not for minutes a file.
                raise _Retryable(UploadFailed(f"upload to {origin} failed: {_describe(exc)}"),
                                 unreached=origin not in self._upload_origins) from None

        await self._retrying(once)

    # --- plumbing ----------------------------------------------------------------------

    async def _retrying(self, once: Callable[[], Awaitable[T]]) -> T:
        """``once()`` until it returns or raises a final error; a ``_Retryable`` failure is
        tried again after the policy's delay until the attempts run out."""
        attempts = self.retry.attempts
        for attempt in itertools.count(1):
            try:
                return await once()
            except _Retryable as again:
                if again.unreached:
                    attempts = min(attempts, 2)
                if attempt >= attempts:
                    raise again.failure from None
                await asyncio.sleep(self.retry.delay(attempt - 1, again.retry_after))

    async def _api(self, method: str, path: str, *, json_body: Any = None,
                   params: Mapping[str, str] | None = None) -> Any:
        assert self._session is not None, "use the client in 'async with'"
        url = self.base_url + path
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

        async def once() -> Any:
            try:
                async with self._session.request(
                    method, url, json=json_body, params=params, headers=headers
                ) as response:
                    raw = await response.read()
                    self._contacted = True
                    if response.status < 300:
                        return self._decode(raw, response, url)
                    error = self._error(response.status, raw, response, path)
                    if response.status not in RETRY_STATUSES:
                        raise error
                    raise _Retryable(error, retry_after=_retry_after(response))
            except (TimeoutError, aiohttp.ClientConnectionError) as exc:
                # Until the host has answered once, a mistyped host fails fast.
                raise _Retryable(ConnectionFailed(f"cannot reach {self.host}: {_describe(exc)}"),
                                 unreached=not self._contacted) from None

        return await self._retrying(once)

    def _decode(self, raw: bytes, response: aiohttp.ClientResponse, url: str) -> Any:
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            raise NotOurApi(
                f"{self.host} did not answer like a symbols API ({response.content_type} "
                f"from {response.method} {url}); check --host"
            ) from None

    def _error(self, status: int, raw: bytes, response: aiohttp.ClientResponse, path: str) -> ClientError:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict) or not ("detail" in body or "type" in body or "code" in body):
            if status in RETRY_STATUSES:
                kind = RateLimited if status == 429 else ServerError
                return kind(f"{self.host} answered HTTP {status}; try again later", status=status)
            return NotOurApi(
                f"{self.host} did not answer like a symbols API (HTTP {status} "
                f"{response.content_type} for {response.method} {response.url.path}); check --host"
            )
        code = body.get("code")
        detail = str(body.get("detail") or code or f"HTTP {status}")
        attr = body.get("attr")
        kwargs = {"status": status, "code": code, "detail": detail, "attr": attr}
        if status == 401:
            return AuthenticationFailed(
                f"authentication failed: the key was rejected by {self.host} ({detail})", **kwargs
            )
        if status == 403:
            return MissingScope(f"permission denied: {detail}", **kwargs)
        if status == 404:
            if path in _PROJECT_ROUTES:
                return ProjectNotFound(
                    f"project {self.project!r} was not found on {self.host}, or this key cannot see it",
                    **kwargs,
                )
            return ItemNotFound(f"not found: {detail}", **kwargs)
        if status == 429:
            return RateLimited(f"rate limited by {self.host}: {detail}", **kwargs)
        if status >= 500:
            return ServerError(f"{self.host} failed with HTTP {status}: {detail}", **kwargs)
        where = f" (field {attr})" if attr else ""
        return ServiceError(f"{detail}{where} [{code or status}]", **kwargs)


class _Retryable(Exception):
    """One attempt's failure that another attempt may cure (429, 5xx, no connection)."""

    def __init__(self, failure: ClientError, *, retry_after: float | None = None,
                 unreached: bool = False) -> None:
        super().__init__(str(failure))
        self.failure = failure
        self.retry_after = retry_after
        self.unreached = unreached  # the host never answered: two attempts at most


def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


def _summary(text: str) -> str:
    """The gist of an error body: our JSON error's detail, S3's XML Code/Message, or text."""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("detail"):
        code = f" [{body['code']}]" if body.get("code") else ""
        return f"{body['detail']}{code}"
    code = re.search(r"<Code>([^<]*)</Code>", text)
    if code:
        message = re.search(r"<Message>([^<]*)</Message>", text)
        return f"{code.group(1)}: {message.group(1)}" if message else code.group(1)
    return " ".join(text.split())[:200]


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    if isinstance(exc, aiohttp.ClientConnectorError):
        error = exc.os_error
        if error is not None and error.errno and error.errno > 0:
            return os.strerror(error.errno)  # "Connection refused", "No route to host"...
        if error is not None and error.strerror:
            return error.strerror  # DNS: "Name or service not known"
        return str(error or exc)
    return str(exc) or type(exc).__name__


__all__ = [
    "MAX_FRAMES_PER_REQUEST",
    "AuthenticationFailed",
    "ClientError",
    "ConnectionFailed",
    "ItemNotFound",
    "MissingScope",
    "NotOurApi",
    "PresignedForm",
    "ProjectNotFound",
    "RateLimited",
    "RetryPolicy",
    "ServerError",
    "ServiceError",
    "SymbolsClient",
    "UploadFailed",
    "UploadTarget",
    "release_hash_id",
]
