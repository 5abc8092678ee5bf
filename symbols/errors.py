"""Typed errors the domain packages raise for input they refuse.

Each carries a stable ``code``, a ``detail`` for people and the ``attr`` it concerns;
``symbols.api`` turns them into error bodies in one place. Nothing here knows HTTP.
"""

from __future__ import annotations


class DomainError(Exception):
    def __init__(self, code: str, detail: str, attr: str | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.attr = attr


class InvalidInput(DomainError):
    """The request cannot be carried out as given."""


class TooLarge(DomainError):
    """The input is over a size limit."""


class StateConflict(DomainError):
    """The request does not fit the thing's current state (e.g. an upload already finished)."""


class Missing(DomainError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    def __init__(self, detail: str = "Not found.") -> None:
        super().__init__("not_found", detail)


class UpstreamRefused(DomainError):
    """A provider (GitHub, GitLab, Linear, Jira) refused the request: its 4xx, with its reason."""


class UpstreamBusy(DomainError):
    """A provider rate-limited the request; ``retry_after`` seconds, when it said."""

    def __init__(self, code: str, detail: str, retry_after: int | None = None) -> None:
        super().__init__(code, detail)
        self.retry_after = retry_after


class UpstreamFailed(DomainError):
    """A provider could not be reached or answered with an error of its own (5xx, garbage)."""


__all__ = [
    "DomainError", "InvalidInput", "Missing", "StateConflict", "TooLarge", "UpstreamBusy", "UpstreamFailed",
    "UpstreamRefused",
]
