"""Errors that reach the artist: a stable code, an HTTP status and a Korean message.

Every HTTP error body is {"error": {"code", "message"}}; nothing else (no stack trace) leaves the app.
"""

from __future__ import annotations


class AppError(Exception):
    """An error with a message meant for the artist (Korean)."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 details: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details or {}

    def to_json(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class ValidationError(AppError):
    status = 400
    code = "validation_error"


class NotFound(AppError):
    status = 404
    code = "not_found"


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"


class ServiceNotConfigured(AppError):
    status = 503
    code = "not_configured"


class ServiceUnavailable(AppError):
    """Storage or the database did not answer in time (an outage): the artist may try again shortly."""

    status = 503
    code = "service_unavailable"


class RateLimited(AppError):
    """The model provider kept answering 429 after our retries."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str = "요청이 많아 잠시 후 다시 시도해 주세요.", *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class ContentFiltered(AppError):
    """The provider refused the prompt or image on content grounds: never retried."""

    status = 422
    code = "content_filtered"

    def __init__(self, message: str = "요청한 내용이 안전 정책에 걸려 이미지를 만들 수 없습니다. 표현을 바꿔 다시 시도해 주세요."):
        super().__init__(message)


class UpstreamError(AppError):
    """A provider failed (5xx, timeout) after our retries."""

    status = 502
    code = "upstream_error"


INTERNAL_ERROR_MESSAGE = "서버에서 문제가 생겼습니다. 잠시 후 다시 시도해 주세요."


def internal_error_json() -> dict:
    return {"error": {"code": "internal_error", "message": INTERNAL_ERROR_MESSAGE}}
