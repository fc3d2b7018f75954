"""Response shaping shared by the HTTP triggers: JSON bodies and the one error format.

Every error leaves as {"error": {"code", "message"}} with a Korean message, never a stack trace.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging

import azure.functions as func

from shared.core.errors import AppError, RateLimited, ValidationError, internal_error_json
from shared.core.text import check_json_depth

log = logging.getLogger(__name__)

JSON_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def json_response(body, status: int = 200, headers: dict | None = None) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status_code=status,
        mimetype="application/json",
        charset="utf-8",
        headers={**JSON_HEADERS, **(headers or {})},
    )


def error_response(error: AppError) -> func.HttpResponse:
    headers = {}
    if isinstance(error, RateLimited) and error.retry_after:
        headers["Retry-After"] = str(int(error.retry_after + 0.999))
    return json_response(error.to_json(), error.status, headers)


def read_json(req: func.HttpRequest) -> dict:
    """The request body as a JSON object, or a Korean 400: malformed, or nested deeper than the API
    ever needs (checked before parsing: the parser recurses). The fields a route uses go through the
    text rule (shared.core.text) where it reads them; fields it ignores are never stored nor sent on."""
    raw = req.get_body() or b""
    check_json_depth(raw)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise ValidationError("요청 본문이 올바른 JSON이 아닙니다.", code="malformed_json") from None
    if not isinstance(body, dict):
        raise ValidationError("요청 본문은 JSON 객체여야 합니다.", code="malformed_json")
    return body


def handles_errors(fn):
    """Turn AppError into its JSON answer and anything else into a generic 500 (logged, not shown)."""

    def failure_response(exc: Exception) -> func.HttpResponse:  # called inside the except block
        if isinstance(exc, AppError):
            return error_response(exc)
        log.exception("unhandled error in %s", fn.__name__)
        return json_response(internal_error_json(), 500)

    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def async_wrapper(*args, **kwargs):
            try:
                return await fn(*args, **kwargs)
            except Exception as exc:
                return failure_response(exc)

        return async_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            return failure_response(exc)

    return wrapper
