"""Fetching a script and its source map for a project that allows it (PostHog and Sentry
do it when no map was uploaded).

``fetch_script_and_map(url, policy)`` GETs the script, follows its ``SourceMap`` (or
``X-SourceMap``) header, else its last ``//# sourceMappingURL=`` comment (absolute,
relative to the script's final URL, or a ``data:`` URL), and GETs the map. Every request:
the host must be one of the project's allowed domains (or a subdomain), http(s) only,
addresses checked after DNS resolution and on every redirect by ``ssrf.GuardedResolver``
(the connection goes to the checked address), no proxy from the environment, at most
``max_redirects`` redirects, ``max_bytes`` per body and ``timeout`` seconds per request.
The project's auth header is sent to its allowed domains only. Every refusal or fault is
a ``FetchFailed`` whose message says why (stored as the set's failure reason).
"""

from __future__ import annotations

import base64
import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

import aiohttp

from .ssrf import AddressRefused, GuardedResolver, Lookup, public_address

MAX_BYTES = 32 << 20
TIMEOUT_SECONDS = 15.0
MAX_REDIRECTS = 5
_MAP_COMMENT = re.compile(rb"//[#@][ \t]*sourceMappingURL=[ \t]*(\S+)[ \t]*$", re.MULTILINE)


class FetchFailed(Exception):
    """Why a script or its map could not be fetched."""


@dataclass(frozen=True)
class FetchPolicy:
    """A project's fetch setting: where it may fetch from, with what credentials."""

    allowed_domains: tuple[str, ...]
    auth_header: tuple[str, str] | None = None
    max_bytes: int = MAX_BYTES
    timeout: float = TIMEOUT_SECONDS
    max_redirects: int = MAX_REDIRECTS
    # Test-only: networks reachable although not public (e.g. 127.0.0.1/32).
    allowed_networks: tuple[str, ...] = ()
    lookup: Lookup | None = field(default=None, compare=False)

    def allows_host(self, host: str | None) -> bool:
        host = (host or "").lower().rstrip(".")
        return any(host == d or host.endswith("." + d) for d in (d.lower().strip(".") for d in self.allowed_domains))


@dataclass(frozen=True)
class Fetched:
    script_url: str
    script: bytes
    map_url: str
    source_map: bytes


async def fetch_script_and_map(url: str, policy: FetchPolicy) -> Fetched:
    resolver = GuardedResolver(policy.lookup, policy.allowed_networks)
    connector = aiohttp.TCPConnector(resolver=resolver, force_close=True, use_dns_cache=False)
    timeout = aiohttp.ClientTimeout(total=policy.timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, trust_env=False) as session:
        script_url, script, headers = await _get(session, url, policy)
        reference = headers.get("SourceMap") or headers.get("X-SourceMap") or _map_comment(script)
        if not reference:
            raise FetchFailed(f"{script_url} names no source map (no SourceMap header or sourceMappingURL)")
        if reference.startswith("data:"):
            return Fetched(script_url, script, "data:", _data_url(reference, policy.max_bytes))
        map_url = urljoin(script_url, reference)
        map_url, source_map, _ = await _get(session, map_url, policy)
        return Fetched(script_url, script, map_url, source_map)


async def _get(session: aiohttp.ClientSession, url: str, policy: FetchPolicy) -> tuple[str, bytes, dict]:
    """The body of ``url`` after redirects (each one checked), as (final URL, bytes, headers)."""
    for _ in range(policy.max_redirects + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchFailed(f"{url!r} is not an http(s) URL")
        if not policy.allows_host(parts.hostname):
            raise FetchFailed(f"{parts.hostname} is not among the project's allowed domains")
        # aiohttp connects to an address literal without asking the resolver: check it here.
        if _is_address(parts.hostname) and not public_address(parts.hostname, policy.allowed_networks):
            raise FetchFailed(f"{parts.hostname} is not a public address")
        headers = dict([policy.auth_header]) if policy.auth_header else {}
        try:
            async with session.get(url, headers=headers, allow_redirects=False) as response:
                if response.status in (301, 302, 303, 307, 308) and "Location" in response.headers:
                    url = urljoin(url, response.headers["Location"])
                    continue
                if response.status != 200:
                    raise FetchFailed(f"{url} answered HTTP {response.status}")
                if (response.content_length or 0) > policy.max_bytes:
                    raise FetchFailed(f"{url} is larger than {policy.max_bytes} bytes")
                body = bytearray()
                async for chunk in response.content.iter_chunked(64 << 10):
                    body += chunk
                    if len(body) > policy.max_bytes:
                        raise FetchFailed(f"{url} is larger than {policy.max_bytes} bytes")
                return url, bytes(body), dict(response.headers)
        except AddressRefused as exc:
            raise FetchFailed(str(exc)) from None
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, AddressRefused):
                raise FetchFailed(str(exc.os_error)) from None
            raise FetchFailed(f"{url}: cannot connect ({exc.os_error})") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise FetchFailed(f"{url}: {type(exc).__name__} {exc}".strip()) from None
    raise FetchFailed(f"more than {policy.max_redirects} redirects from {url}")


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _map_comment(script: bytes) -> str | None:
    found = _MAP_COMMENT.findall(script)
    return found[-1].decode("utf-8", "replace") if found else None


def _data_url(reference: str, max_bytes: int) -> bytes:
    header, _, payload = reference[5:].partition(",")
    try:
        data = base64.b64decode(payload, validate=False) if header.endswith(";base64") else unquote_to_bytes(payload)
    except ValueError:
        raise FetchFailed("the sourceMappingURL data: URL is not valid base64") from None
    if len(data) > max_bytes:
        raise FetchFailed(f"the inline source map is larger than {max_bytes} bytes")
    return data


__all__ = ["FetchFailed", "FetchPolicy", "Fetched", "fetch_script_and_map"]


