"""A project's fetch setting as people change it (the API, the CLI) and as a fetch uses it:
domains checked and normalized, the auth header's value sealed at rest
(``symbols.sealing``, its own key) and never shown again, only its name."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ..db import Database
from ..db.access import project_exists
from ..db.fetch_settings import StoredFetchSetting, get_fetch_setting, put_fetch_setting
from ..errors import InvalidInput, Missing
from ..sealing import FETCH_HEADERS, SecretBox, Unreadable

log = logging.getLogger(__name__)

MAX_DOMAINS = 50
MAX_DOMAIN = 253
MAX_HEADER_NAME = 200
MAX_HEADER_VALUE = 4096
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 field name
_VALUE = re.compile(r"[\x20-\x7e\t]*")  # visible ASCII, spaces and tabs: no CR, LF or NUL
# Headers that would change where or how the request goes, not who sends it.
_REFUSED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "keep-alive",
                              "upgrade", "te", "trailer", "expect", "proxy-connection"})
_UNCHANGED = object()


@dataclass(frozen=True)
class FetchSetting:
    """What a fetch uses: where from, with what header."""

    allowed_domains: tuple[str, ...]
    auth_header: tuple[str, str] | None = None


@dataclass(frozen=True)
class FetchSettingView:
    """What people see: never the header's value."""

    enabled: bool
    allowed_domains: tuple[str, ...]
    auth_header_name: str | None
    updated_at: datetime | None


def check_domain(value: str) -> str:
    """A host name (its subdomains are allowed too), lower-cased, without a trailing dot."""
    host = value.strip().lower().rstrip(".") if isinstance(value, str) else ""
    labels = host.split(".")
    if not (host.isascii() and len(host) <= MAX_DOMAIN and all(_LABEL.fullmatch(label) for label in labels)):
        raise InvalidInput("invalid_domain", f"{value!r} is not a host name (such as cdn.example.com; an "
                                             "international name in its xn-- form).", "allowed_domains")
    return host


def check_domains(values: Sequence[str]) -> tuple[str, ...]:
    if len(values) > MAX_DOMAINS:
        raise InvalidInput("too_many_domains", f"At most {MAX_DOMAINS} allowed domains.", "allowed_domains")
    return tuple(dict.fromkeys(check_domain(v) for v in values))


def check_header_name(name: str) -> str:
    name = name.strip() if isinstance(name, str) else ""
    if not _TOKEN.fullmatch(name) or len(name) > MAX_HEADER_NAME or name.lower() in _REFUSED_HEADERS:
        raise InvalidInput("invalid_auth_header", f"{name[:50]!r} is not a header name a fetch may send "
                                                  "(such as Authorization).", "auth_header.name")
    return name


def check_header_value(value: str) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if not value or len(value) > MAX_HEADER_VALUE or not _VALUE.fullmatch(value):
        raise InvalidInput("invalid_auth_header", f"The header's value must be 1 to {MAX_HEADER_VALUE} printable "
                                                  "ASCII characters.", "auth_header.value")
    return value


def _view(stored: StoredFetchSetting | None) -> FetchSettingView:
    if stored is None:
        return FetchSettingView(False, (), None, None)
    return FetchSettingView(stored.enabled, stored.allowed_domains, stored.auth_header_name, stored.updated_at)


class FetchSettings:
    """Projects' fetch settings over the database, sealing the header with the service's
    ``secret_key`` (its key for fetch headers, ``sealing.FETCH_HEADERS``)."""

    def __init__(self, db: Database, secret_key: bytes) -> None:
        self.db = db
        self.box = SecretBox(secret_key, FETCH_HEADERS)

    async def for_fetch(self, project_id: int) -> FetchSetting | None:
        """The setting a fetch uses; None when fetching is off."""
        async with self.db.connect() as conn:
            stored = await get_fetch_setting(conn, project_id)
        if stored is None or not stored.enabled:
            return None
        header = None
        if stored.auth_header_name and stored.auth_header_sealed:
            try:
                header = (stored.auth_header_name, self.box.open(stored.auth_header_sealed))
            except Unreadable:
                # Sealed under another secret key: fetching without it would record failures.
                log.warning("project %s: the fetch auth header cannot be opened with this service's secret key; "
                            "not fetching until it is set again", project_id)
                return None
        return FetchSetting(stored.allowed_domains, header)

    async def view(self, project_id: int) -> FetchSettingView:
        async with self.db.connect() as conn:
            return _view(await get_fetch_setting(conn, project_id))

    async def change(self, project_id: int, *, enabled: bool | None = None,
                     allowed_domains: Sequence[str] | None = None, auth_header=_UNCHANGED) -> FetchSettingView:
        """Change what is given (``auth_header``: ``(name, value)``, or None to remove it);
        raises ``Missing`` for an unknown project, ``InvalidInput`` for bad values."""
        domains = None if allowed_domains is None else check_domains(allowed_domains)
        header = auth_header
        if header is not _UNCHANGED and header is not None:
            header = (check_header_name(header[0]), check_header_value(header[1]))
        async with self.db.begin() as conn:
            if not await project_exists(conn, project_id):
                raise Missing()
            current = await get_fetch_setting(conn, project_id) or StoredFetchSetting(False, ())
            name, sealed = current.auth_header_name, current.auth_header_sealed
            if header is None:
                name = sealed = None
            elif header is not _UNCHANGED:
                name, sealed = header[0], self.box.seal(header[1])
            new = StoredFetchSetting(current.enabled if enabled is None else enabled,
                                     current.allowed_domains if domains is None else domains, name, sealed)
            if new.enabled and not new.allowed_domains:
                raise InvalidInput("allowed_domains_required", "Fetching needs at least one allowed domain.",
                                   "allowed_domains")
            return _view(await put_fetch_setting(conn, project_id, new))


__all__ = ["FetchSetting", "FetchSettingView", "FetchSettings", "check_domain", "check_header_name",
           "check_header_value"]
