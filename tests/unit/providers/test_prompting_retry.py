"""The retry policy shared by the prompt writer, the image generator and the speech token, without a
server: classification, Retry-After parsing, back-off bounds, give-up behaviour."""

from __future__ import annotations

import email.utils
import time

import pytest

from shared.core.errors import ContentFiltered, RateLimited, UpstreamError, ValidationError
from shared.core.retry import Failure, RetryPolicy, classify_error, parse_retry_after


class Response:
    def __init__(self, headers):
        self.headers = headers


class StatusError(Exception):
    def __init__(self, status, body=None, headers=None):
        super().__init__(f"status {status}")
        self.status_code = status
        self.body = body
        self.response = Response(headers or {})
        self.code = (body or {}).get("code") if isinstance(body, dict) else None


class APITimeoutError(Exception):
    pass


def test_parse_retry_after_forms():
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after": "0.25"}) == 0.25
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5  # ms wins
    assert parse_retry_after({}) is None and parse_retry_after(None) is None
    assert parse_retry_after({"retry-after": "soon"}) is None
    target = int(time.time()) + 30  # an HTTP date has whole seconds
    future = email.utils.formatdate(target, usegmt=True)
    before = time.time()
    waited = parse_retry_after({"retry-after": future})
    after = time.time()
    assert target - after <= waited <= target - before  # the seconds from the moment it was parsed
    past = email.utils.formatdate(target - 3600, usegmt=True)
    assert parse_retry_after({"retry-after": past}) == 0.0  # a date gone by: no wait, never negative


def test_classify_openai_style_errors():
    assert classify_error(StatusError(429, headers={"retry-after": "2"})) == Failure("rate_limited", 2.0, "429")
    assert classify_error(StatusError(500)).kind == "transient"
    assert classify_error(StatusError(503, headers={"retry-after": "5"})).retry_after == 5.0
    assert classify_error(StatusError(408)).kind == "transient"
    assert classify_error(APITimeoutError()).kind == "transient"
    assert classify_error(StatusError(401)).kind == "fatal"
    assert classify_error(StatusError(400, {"code": "invalid_value"})).kind == "fatal"
    # Azure's content filter shapes: chat (code content_filter + innererror) and images.
    chat = {"code": "content_filter", "innererror": {"code": "ResponsibleAIPolicyViolation",
                                                     "content_filter_result": {}}}
    images = {"code": "content_policy_violation", "inner_error": {"code": "ResponsibleAIPolicyViolation"}}
    nested = {"error": {"code": None, "innererror": {"code": "ResponsibleAIPolicyViolation"}}}
    for body in (chat, images, nested, {"code": "moderation_blocked"}):
        assert classify_error(StatusError(400, body)).kind == "content_filter"
    assert classify_error(ValueError("x")).kind == "unknown"


def test_backoff_is_exponential_with_bounded_jitter():
    low = RetryPolicy(base_delay=1.0, max_delay=30.0, random=lambda: 0.0)
    high = RetryPolicy(base_delay=1.0, max_delay=30.0, random=lambda: 0.999999)
    assert [low.backoff(a) for a in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 15.0]
    assert [round(high.backoff(a), 3) for a in range(6)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0]


def failing(*errors, result="ok"):
    calls = []

    def fn():
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return result

    return fn, calls


def test_policy_retries_then_returns():
    sleeps = []
    fn, calls = failing(StatusError(429, headers={"retry-after": "2"}), StatusError(502))
    policy = RetryPolicy(max_retries=3, sleep=sleeps.append, random=lambda: 0.0)
    assert policy.call(fn) == "ok"
    assert len(calls) == 3 and sleeps == [2.0, 1.0]  # Retry-After, then back-off for attempt 1


def test_policy_gives_up_with_the_right_error():
    fn, calls = failing(*[StatusError(500)] * 5)
    with pytest.raises(UpstreamError):
        RetryPolicy(max_retries=2, sleep=lambda s: None).call(fn)
    assert len(calls) == 3
    fn, calls = failing(*[StatusError(429, headers={"retry-after-ms": "100"})] * 5)
    with pytest.raises(RateLimited) as info:
        RetryPolicy(max_retries=0, sleep=lambda s: None).call(fn)
    assert len(calls) == 1 and info.value.retry_after == 0.1


def test_policy_never_retries_content_filter_or_app_errors():
    sleeps = []
    fn, calls = failing(StatusError(400, {"code": "content_filter"}))
    with pytest.raises(ContentFiltered):
        RetryPolicy(sleep=sleeps.append).call(fn)
    assert len(calls) == 1 and sleeps == []
    fn, calls = failing(ValidationError("잘못된 요청"))
    with pytest.raises(ValidationError):
        RetryPolicy(sleep=sleeps.append).call(fn)
    assert len(calls) == 1
    fn, calls = failing(KeyError("bug"))
    with pytest.raises(KeyError):  # programming errors are not hidden behind retries
        RetryPolicy(sleep=sleeps.append).call(fn)
    assert len(calls) == 1 and sleeps == []
