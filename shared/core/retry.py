"""The retry policy for calls to model providers: ours, not the SDK's, so it is visible and testable.

- 429: wait what the server asks (`retry-after-ms`, else `retry-after` in seconds or an HTTP date),
  else exponential back-off; at most `max_retries` retries, then `RateLimited`.
- 5xx, 408, timeouts and dropped connections: exponential back-off with jitter, then `UpstreamError`.
- A content-filter refusal is never retried: `ContentFiltered` at once.
- Any other client error (400, 401, 404...) is not retried: `UpstreamError` at once.

`sleep` is injected so tests record the waits instead of spending them. The openai SDK must be
built with `max_retries=0` so it does not retry underneath this policy.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from shared.core.errors import AppError, ContentFiltered, RateLimited, UpstreamError

log = logging.getLogger(__name__)

T = TypeVar("T")

# Error codes with which Azure OpenAI and OpenAI refuse on content grounds.
CONTENT_FILTER_CODES = frozenset({
    "content_filter",
    "content_policy_violation",
    "contentfilter",
    "responsibleaipolicyviolation",
    "moderation_blocked",
})

UPSTREAM_FAILED_MESSAGE = "이미지·프롬프트 생성 서비스가 응답하지 않습니다. 잠시 후 다시 시도해 주세요."
UPSTREAM_REJECTED_MESSAGE = "생성 서비스가 요청을 거절했습니다. 관리자에게 설정을 확인해 달라고 알려 주세요."


@dataclass(frozen=True)
class Failure:
    """What a failed call means for the policy."""

    kind: str  # "rate_limited" | "transient" | "content_filter" | "fatal"
    retry_after: float | None = None
    detail: str = ""


@dataclass
class RetryPolicy:
    max_retries: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_retry_after: float = 60.0  # a server asking to wait longer than this: give up at once
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = random.random
    failed_message: str = UPSTREAM_FAILED_MESSAGE  # Korean, when retries are exhausted
    rejected_message: str = UPSTREAM_REJECTED_MESSAGE  # Korean, for a non-retryable client error

    def backoff(self, attempt: int) -> float:
        """Exponential back-off with jitter: between half and all of base * 2^attempt (capped)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** attempt))
        return ceiling * (0.5 + 0.5 * self.random())

    def call(self, fn: Callable[[], T], *, what: str = "provider call",
             classify: Callable[[BaseException], Failure] | None = None) -> T:
        classify = classify or classify_error
        attempt = 0
        while True:
            try:
                return fn()
            except AppError:
                raise  # already an answer for the artist (e.g. ContentFiltered from a finish reason)
            except Exception as exc:  # noqa: BLE001  (classified below; unknown kinds re-raised)
                failure = classify(exc)
                if failure.kind == "content_filter":
                    log.info("%s refused by the content filter: %s", what, failure.detail)
                    raise ContentFiltered() from exc
                if failure.kind == "fatal":
                    log.warning("%s failed without retry: %s", what, failure.detail or exc)
                    raise UpstreamError(self.rejected_message, code="upstream_rejected",
                                        details={"reason": failure.detail[:200]}) from exc
                if failure.kind not in ("rate_limited", "transient"):
                    raise
                if failure.retry_after is not None and failure.retry_after > self.max_retry_after:
                    log.warning("%s: server asks to wait %.1fs, more than we wait", what,
                                failure.retry_after)
                    raise RateLimited(retry_after=failure.retry_after) from exc
                if attempt >= self.max_retries:
                    log.warning("%s gave up after %d retries: %s", what, attempt, failure.detail or exc)
                    if failure.kind == "rate_limited":
                        raise RateLimited(retry_after=failure.retry_after) from exc
                    raise UpstreamError(self.failed_message) from exc
                delay = failure.retry_after if failure.retry_after is not None else self.backoff(attempt)
                log.info("%s: %s (%s), retry %d/%d in %.2fs", what, failure.kind, failure.detail,
                         attempt + 1, self.max_retries, delay)
                self.sleep(delay)
                attempt += 1


def parse_retry_after(headers) -> float | None:
    """Seconds to wait from `retry-after-ms` or `retry-after` (seconds or an HTTP date)."""
    if headers is None:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_codes(body) -> set[str]:
    """Every `code` found in an error body (Azure nests them: error.innererror.code, inner_error...)."""
    codes: set[str] = set()

    def walk(node, depth=0):
        if depth > 4 or not isinstance(node, dict):
            return
        code = node.get("code")
        if isinstance(code, str):
            codes.add(code.lower())
        for key in ("error", "innererror", "inner_error"):
            walk(node.get(key), depth + 1)
        if any(k in node for k in ("content_filter_result", "content_filter_results")):
            codes.add("content_filter")

    walk(body)
    return codes


def classify_error(exc: BaseException) -> Failure:
    """Classify an exception from the openai SDK (duck-typed on status codes, so others fit too)."""
    status = getattr(exc, "status_code", None)
    if status is None:
        name = type(exc).__name__
        if isinstance(exc, TimeoutError) or "Timeout" in name:
            return Failure("transient", detail="timeout")
        if isinstance(exc, ConnectionError) or "Connection" in name:
            return Failure("transient", detail="connection error")
        return Failure("unknown", detail=name)
    codes = _error_codes(getattr(exc, "body", None))
    code = getattr(exc, "code", None)
    if isinstance(code, str):
        codes.add(code.lower())
    if codes & CONTENT_FILTER_CODES and status in (400, 403, 422):
        return Failure("content_filter", detail=",".join(sorted(codes)))
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if status == 429:
        return Failure("rate_limited", retry_after=parse_retry_after(headers), detail="429")
    if status == 408 or status >= 500:
        # 503 sometimes carries Retry-After too: honour it when present.
        return Failure("transient", retry_after=parse_retry_after(headers), detail=str(status))
    return Failure("fatal", detail=f"{status} {','.join(sorted(codes))}".strip())
