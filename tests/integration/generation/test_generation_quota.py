"""Cost limits (issue 14): per-user quotas and the paid image model's concurrency cap, counted in the
real embedded PostgreSQL (shared.generation.quota), and the Korean 429 with Retry-After over HTTP."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from shared.core.config import Settings
from shared.core.errors import RateLimited
from shared.generation import quota
from tests.integration.generation.generation_client import assert_schema

HANGUL = re.compile(r"[\uac00-\ud7a3]")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _user() -> str:
    return f"quota-{uuid.uuid4().hex[:10]}"


def _take(user: str, images: int = 1, settings: Settings | None = None, at: datetime = NOW) -> str:
    instance = uuid.uuid4().hex
    assert quota.reserve(user, instance, images, settings=settings or Settings(), now=at) is True
    return instance


def test_generations_per_hour_roll_with_the_hour(app_env):
    settings = Settings(generations_per_hour=2, images_per_day=0)
    user = _user()
    _take(user, settings=settings, at=NOW - timedelta(minutes=50))
    _take(user, settings=settings, at=NOW - timedelta(minutes=10))
    with pytest.raises(RateLimited) as caught:
        _take(user, settings=settings)
    assert caught.value.status == 429 and caught.value.code == "quota_exceeded"
    assert 9 * 60 <= caught.value.retry_after <= 10 * 60  # when the 50-minute-old one leaves the hour
    assert "10분" in caught.value.message and HANGUL.search(caught.value.message)
    _take(_user(), settings=settings)  # another user is not affected
    _take(user, settings=settings, at=NOW + timedelta(minutes=11))


def test_images_per_day_count_variations(app_env):
    settings = Settings(generations_per_hour=0, images_per_day=6)
    user = _user()
    _take(user, 4, settings, NOW - timedelta(hours=20))
    _take(user, 2, settings, NOW - timedelta(hours=2))
    with pytest.raises(RateLimited) as caught:
        _take(user, 1, settings)
    assert "6장" in caught.value.message and 3.9 * 3600 <= caught.value.retry_after <= 4 * 3600
    _take(user, 4, settings, NOW + timedelta(hours=4, minutes=1))  # the 4 from 20 hours ago have left


def test_a_repeated_reservation_counts_once(app_env):
    settings = Settings(generations_per_hour=1, images_per_day=0)
    user, instance = _user(), uuid.uuid4().hex
    assert quota.reserve(user, instance, 1, settings=settings, now=NOW) is True
    assert quota.reserve(user, instance, 1, settings=settings, now=NOW) is False


def test_the_paid_model_takes_a_bounded_number_at_once(app_env):
    settings = Settings(image_provider="azure_openai", image_model_concurrency=2, image_model_lease_seconds=600,
                        generations_per_hour=0, images_per_day=0)
    # a clock of its own, in the past, far from other tests' rows: the cap counts every user's running ones
    at = datetime(2001, 1, 1, tzinfo=UTC) + timedelta(days=uuid.uuid4().int % 5_000)
    first = _take(_user(), settings=settings, at=at)
    _take(_user(), settings=settings, at=at)
    with pytest.raises(RateLimited) as caught:
        _take(_user(), settings=settings, at=at)
    assert caught.value.code == "image_model_busy" and caught.value.retry_after == quota.CONCURRENCY_RETRY_SECONDS
    quota.release(first, now=at)
    _take(_user(), settings=settings, at=at)  # the ended one's place
    _take(_user(), settings=settings, at=at + timedelta(seconds=601))  # the others' leases ran out
    _take(_user(), settings=Settings(image_provider="local", image_model_concurrency=2), at=at)  # not paid


@pytest.fixture(scope="module")
def limited_host(start_app_host):
    return start_app_host(GENERATIONS_PER_HOUR="2", IMAGES_PER_DAY="100")


def _principal(user: str) -> dict:
    import base64
    import json

    return {"x-ms-client-principal": base64.b64encode(json.dumps({"userId": user}).encode()).decode()}


@pytest.mark.slow
def test_over_the_hourly_quota_is_a_korean_429_with_retry_after(limited_host):
    headers = _principal(_user())
    body = {"category": "국내명소", "stage": "스케치", "keywords": "남산타워", "prompt": "a tower", "aspect": "square"}
    for _ in range(2):
        response = requests.post(f"{limited_host.base_url}/api/generations", json=body, headers=headers, timeout=30)
        assert response.status_code == 202, response.text
    refused = requests.post(f"{limited_host.base_url}/api/generations", json=body, headers=headers, timeout=30)
    assert refused.status_code == 429, refused.text
    assert_schema("Error", refused.json())
    assert refused.json()["error"]["code"] == "quota_exceeded"
    assert HANGUL.search(refused.json()["error"]["message"])
    assert 3000 <= int(refused.headers["Retry-After"]) <= 3600
    other = requests.post(f"{limited_host.base_url}/api/generations", json=body, headers=_principal(_user()),
                          timeout=30)
    assert other.status_code == 202, other.text
