"""Generations over HTTP on devhost with the Azure OpenAI providers, pointed at our local server that
speaks the Azure OpenAI API (tests/fakes/openai_server.py): success, a 429 then success, a 500 then
success, content-filter refusals that reach the artist as a Korean message with Failed status, the
edited review prompt reaching the image model, and the review timeout's cancel outcome; failed and
cancelled generations show in the history with their Korean message."""

from __future__ import annotations

import re
import uuid

import pytest

from shared.core import catalog
from shared.core.errors import ContentFiltered
from shared.images import layers
from tests.fixtures_app import azure_openai_env
from tests.integration.generation.generation_client import (
    GenerationClient,
    assert_schema,
    awaiting_approval,
    principal,
    read_psd,
)

pytestmark = pytest.mark.slow

REQUEST = {"category": "음식", "stage": "채색 기본", "keywords": "비빔밥, 놋그릇",
           "description": "전주 한옥 식당의 나무 상 위에 놓인 비빔밥", "aspect": "portrait"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture
def fake(fake_openai):
    fake_openai.reset()
    yield fake_openai
    fake_openai.reset()


@pytest.fixture(scope="module")
def client(azure_host) -> GenerationClient:
    return GenerationClient(azure_host.base_url)


def _answers(fake, api: str) -> list[int]:
    return [r.answered for r in fake.requests_for(api)]


def test_generation_with_azure_openai(client, fake):
    status = client.run(REQUEST)
    assert status["runtimeStatus"] == "Completed", status
    out = status["output"]

    (chat,) = fake.requests_for("chat")
    assert chat.flavour == "azure" and chat.deployment == "gpt-4.1"
    assert "비빔밥" in chat.body.decode("utf-8")  # the artist's words reach the prompt writer
    # references were found: one images edit with them as inputs (test_generation_style_lock: which)
    assert fake.requests_for("images") == []
    (images,) = fake.requests_for("edits")
    assert images.deployment == "gpt-image-1"
    assert images.form["prompt"].endswith("Draw: " + out["prompt"])  # the prompt shown is the prompt used
    assert images.form["size"] == "1024x1536" and images.form.get("n", "1") == "1"

    (image,) = out["images"]
    assert (image["width"], image["height"]) == (1024, 1536)
    psd = read_psd(client.download(image["psd"]["url"]))
    assert psd.size == (1024, 1536)
    assert [layer.name for layer in psd] == [name for _, name, _ in layers.LAYERS]


def test_a_rate_limit_then_success(client, fake):
    fake.rate_limit_next(1, retry_after=1, api="edits")
    status = client.run({**REQUEST, "aspect": "square", "variations": 2})
    assert status["runtimeStatus"] == "Completed", status
    assert _answers(fake, "edits")[:2] == [429, 200]
    assert len(status["output"]["images"]) == 2


def test_a_server_error_then_success(client, fake):
    fake.server_error_next(1, status=500, api="edits")
    status = client.run({**REQUEST, "aspect": "landscape"})
    assert status["runtimeStatus"] == "Completed", status
    assert _answers(fake, "edits") == [500, 200]
    assert (status["output"]["images"][0]["width"], status["output"]["images"][0]["height"]) == (1536, 1024)


def test_a_rate_limit_that_outlasts_the_retries_fails_honestly(client, fake, azure_host):
    retries = int(azure_host.env["PROVIDER_MAX_RETRIES"])
    fake.rate_limit_next(retries + 5, retry_after=0.2, api="edits")
    status = client.run(REQUEST)
    assert status["runtimeStatus"] == "Failed", status
    error = status["customStatus"]["error"]
    assert error["code"] == "rate_limited" and HANGUL.search(error["message"])
    answers = _answers(fake, "edits")
    assert answers == [429] * (retries + 1)  # the first try and every retry the setting allows, then gave up


def _assert_refused(status: dict) -> None:
    assert status["runtimeStatus"] == "Failed", status
    custom = status["customStatus"]
    assert_schema("GenerationStatus", custom)
    assert custom["stage"] == "failed" and custom["stageLabel"] == catalog.STEP_BY_VALUE["failed"][0]
    assert custom["error"] == {"code": "content_filtered", "message": ContentFiltered().message}
    assert HANGUL.search(custom["error"]["message"])
    assert ContentFiltered().message in str(status["output"])  # the failure reason is the Korean message
    assert "Traceback" not in custom["error"]["message"]


def _history(client: GenerationClient, headers: dict) -> list[dict]:
    response = client.http.get(client.url("/api/generations"), params={"pageSize": 100}, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert_schema("HistoryPage", response.json())
    return response.json()["items"]


def test_an_image_content_filter_fails_with_a_korean_message(client, fake):
    artist = principal(f"refused-{uuid.uuid4().hex[:8]}")
    fake.content_filter_next(1, api="edits")
    status = client.run(REQUEST, headers=artist)
    _assert_refused(status)
    assert _answers(fake, "edits") == [400]  # a refusal is never retried

    # Nothing lost: the history shows the job, that it failed, and why, in Korean.
    (item,) = _history(client, artist)
    assert item["instanceId"] == status["instanceId"] and item["status"] == "failed"
    assert item["error"] == {"code": "content_filtered", "message": ContentFiltered().message}
    assert item["keywords"] == REQUEST["keywords"] and item["images"] == []
    assert item["prompt"] == status["customStatus"]["draft"]["prompt"]  # the prompt that was refused


def test_a_filtered_completion_fails_before_any_image(client, fake):
    fake.completion_filter_next(1)
    status = client.run(REQUEST)
    _assert_refused(status)
    assert fake.requests_for("images") == [] and fake.requests_for("edits") == []


def test_the_edited_review_prompt_reaches_the_image_model(client, fake):
    started = client.start({**REQUEST, "review": True})
    waiting = client.wait(started, until=awaiting_approval)
    draft = waiting["customStatus"]["draft"]["prompt"]
    assert fake.requests_for("edits") == []  # nothing is drawn before the artist answers
    edited = draft + " EDITED BY THE ARTIST: add steam rising from the bowl"
    assert client.approve(started, {"prompt": edited}).status_code == 202
    status = client.wait(started)
    assert status["runtimeStatus"] == "Completed", status
    assert status["output"]["prompt"] == edited
    assert [r.form["prompt"].partition("Draw: ")[2] for r in fake.requests_for("edits")] == [edited]


def test_review_timeout_with_the_cancel_outcome(start_app_host, fake):
    host = start_app_host(**azure_openai_env(fake), REVIEW_TIMEOUT_SECONDS="3", REVIEW_TIMEOUT_OUTCOME="cancel")
    client = GenerationClient(host.base_url)
    status = client.run({**REQUEST, "review": True})
    assert status["runtimeStatus"] == "Completed", status
    out = status["output"]
    assert_schema("CancelledOutput", out)
    assert out["cancelled"] is True and out["instanceId"] == status["instanceId"]
    assert out["draft"]["prompt"] and "images" not in out
    assert status["customStatus"]["stage"] == "cancelled"
    assert fake.requests_for("images") == [] and fake.requests_for("edits") == []  # nothing was generated
    (item,) = [i for i in _history(client, {}) if i["instanceId"] == status["instanceId"]]
    assert item["status"] == "cancelled" and item["images"] == []
    assert item["error"] == {"code": "cancelled", "message": "프롬프트 확인 시간이 지나 생성을 취소했습니다."}
