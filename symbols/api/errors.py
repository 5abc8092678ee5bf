"""Errors a client can cause, each with its status, type and stable code.

Handlers raise these; ``middleware.errors`` turns them (and the domain's typed errors,
aiohttp's own HTTP errors, blob store and database outages) into the body
``{type, code, detail, attr}``.
"""

from __future__ import annotations

from ..errors import DomainError, Missing, StateConflict, TooLarge, UpstreamBusy, UpstreamFailed


class ApiError(Exception):
    status = 400
    type = "validation_error"

    def __init__(self, code: str, detail: str, attr: str | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.attr = attr

    def body(self) -> dict:
        return {"type": self.type, "code": self.code, "detail": self.detail, "attr": self.attr}

    def headers(self) -> dict[str, str]:
        return {}


class ValidationError(ApiError):
    status = 400
    type = "validation_error"


class NotAuthenticated(ApiError):
    status = 401
    type = "authentication_error"


class PermissionDenied(ApiError):
    status = 403
    type = "authentication_error"


class NotFound(ApiError):
    status = 404
    type = "invalid_request"

    def __init__(self, detail: str = "Not found.") -> None:
        super().__init__("not_found", detail)


class Conflict(ApiError):
    status = 409
    type = "invalid_request"


class PayloadTooLarge(ApiError):
    status = 413
    type = "invalid_request"


class TooManyRequests(ApiError):
    status = 429
    type = "throttled_error"

    def __init__(self, code: str, detail: str, retry_after: int | None = None) -> None:
        super().__init__(code, detail)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


class BadGateway(ApiError):
    status = 502
    type = "server_error"


class ServiceUnavailable(ApiError):
    status = 503
    type = "server_error"


_CAPTURE_ERRORS: dict[int, type[ApiError]] = {401: NotAuthenticated, 413: PayloadTooLarge}


def from_capture(status: int, code: str, detail: str) -> ApiError:
    """The API error for a capture refusal (``errortracking.capture.CaptureError``)."""
    return _CAPTURE_ERRORS.get(status, ValidationError)(code, detail)


def from_domain(exc: DomainError) -> ApiError:
    """The API error for a domain package's typed error (the only place they meet)."""
    if isinstance(exc, Missing):
        return NotFound(exc.detail)
    if isinstance(exc, TooLarge):
        return PayloadTooLarge(exc.code, exc.detail, exc.attr)
    if isinstance(exc, UpstreamBusy):
        return TooManyRequests(exc.code, exc.detail, exc.retry_after)
    if isinstance(exc, UpstreamFailed):
        return BadGateway(exc.code, exc.detail, exc.attr)
    if isinstance(exc, StateConflict):
        return Conflict(exc.code, exc.detail, exc.attr)
    return ValidationError(exc.code, exc.detail, exc.attr)
