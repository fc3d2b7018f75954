"""The review step over HTTP on devhost (offline providers): the draft shows in customStatus, the edited
prompt sent as the prompt_approved event is the one used, and no answer before REVIEW_TIMEOUT_SECONDS
gives the configured outcome (use_draft here; cancel in test_generation_azure.py)."""

from __future__ import annotations

import pytest

from shared.generation import job as generation
from tests.fixtures_app import REVIEW_TIMEOUT_SECONDS
from tests.integration.generation.generation_client import GenerationClient, awaiting_approval

pytestmark = pytest.mark.slow

REQUEST = {"category": "한국문화", "stage": "배경", "keywords": "한복, 궁궐 연못", "aspect": "square",
           "description": "비 온 뒤 경회루 연못, 물에 비친 누각", "review": True}


@pytest.fixture(scope="module")
def client(app_host) -> GenerationClient:
    return GenerationClient(app_host.base_url)


def test_the_edited_prompt_is_the_one_used(client):
    started = client.start(REQUEST)
    waiting = client.wait(started, until=awaiting_approval)
    custom = waiting["customStatus"]
    assert waiting["runtimeStatus"] == "Running"
    assert custom["stage"] == "review" and custom["stageLabel"] == "프롬프트 확인 대기"
    draft = custom["draft"]
    assert draft["prompt"] and draft["title"] and isinstance(draft["avoid"], list)

    edited = "EDITED: a moonlit palace pond with a reflected pavilion, no people, cel shading"
    assert edited != draft["prompt"]
    answer = client.approve(started, {"prompt": edited})
    assert answer.status_code == 202, answer.text

    status = client.wait(started)
    assert status["runtimeStatus"] == "Completed", status
    out = status["output"]
    assert out["prompt"] == edited
    assert out["title"] == draft["title"]
    assert status["customStatus"]["awaitingApproval"] is False and status["customStatus"]["stage"] == "done"
    assert generation.WARNING_REVIEW_TIMEOUT not in out["warnings"]
    assert "review" in out["timings"] and out["images"][0]["psd"]["blob"].endswith("/1.psd")

    # The generation has ended: a late answer is refused, and changes nothing.
    late = client.approve(started, {"prompt": "too late"})
    assert late.status_code == 410
    assert client.status(started)["output"]["prompt"] == edited


def test_an_empty_answer_keeps_the_draft(client):
    started = client.start(REQUEST)
    draft = client.wait(started, until=awaiting_approval)["customStatus"]["draft"]
    assert client.approve(started, {"prompt": "   "}).status_code == 202
    out = client.wait(started)["output"]
    assert out["prompt"] == draft["prompt"]
    assert generation.WARNING_EMPTY_APPROVAL in out["warnings"]


def test_no_answer_before_the_timeout_goes_on_with_the_draft(client, app_host):
    assert app_host.env["REVIEW_TIMEOUT_OUTCOME"] == "use_draft"
    started = client.start({**REQUEST, "keywords": "한옥 마을 눈"})
    draft = client.wait(started, until=awaiting_approval)["customStatus"]["draft"]
    status = client.wait(started)
    assert status["runtimeStatus"] == "Completed", status
    out = status["output"]
    assert out["prompt"] == draft["prompt"]
    assert generation.WARNING_REVIEW_TIMEOUT in out["warnings"]
    assert status["customStatus"]["warnings"] == out["warnings"]
    # It waited for the durable timer, not less.
    assert out["timings"]["review"] >= REVIEW_TIMEOUT_SECONDS * 1000 - 1000
    assert out["images"] and out["images"][0]["png"]["url"]


def test_a_ready_prompt_is_not_reviewed(client):
    status = client.run({**REQUEST, "prompt": "a ready prompt: stone bridge over a palace pond"})
    assert status["runtimeStatus"] == "Completed"
    assert "review" not in status["output"]["timings"]
    assert status["output"]["prompt"] == "a ready prompt: stone bridge over a palace pond"


def test_a_host_crash_while_waiting_for_review_loses_nothing(start_app_host):
    """kill -9 of the host during the review, a restart on the same data: the generation is still
    waiting, and the artist's answer completes it with the edited prompt."""
    host = start_app_host()
    client = GenerationClient(host.base_url)
    started = client.start({**REQUEST, "keywords": "창덕궁 후원 단풍"})
    draft = client.wait(started, until=awaiting_approval)["customStatus"]["draft"]

    host.devhost.kill()
    host.devhost.start()
    status = client.status(started)
    assert status["runtimeStatus"] == "Running" and status["customStatus"]["awaitingApproval"] is True
    assert status["customStatus"]["draft"] == draft

    edited = "EDITED after a crash: autumn maple leaves over a secret garden pavilion"
    assert client.approve(started, {"prompt": edited}).status_code == 202
    status = client.wait(started)
    assert status["runtimeStatus"] == "Completed", status
    assert status["output"]["prompt"] == edited


def test_the_real_durable_client_can_answer_the_review(client, app_host):
    """The same answer through azure-functions-durable's DurableOrchestrationClient.raise_event (what
    another function of the app would use), built from the host's client binding."""
    import asyncio
    import json

    import azure.durable_functions as df

    started = client.start({**REQUEST, "keywords": "북촌 한옥 지붕"})
    client.wait(started, until=awaiting_approval)
    binding = json.dumps({
        "taskHubName": "WebtoonHub",
        "creationUrls": {}, "managementUrls": {},
        "baseUrl": f"{app_host.base_url}/runtime/webhooks/durabletask",
        "requiredQueryStringParameters": "",
        "rpcBaseUrl": f"{app_host.base_url}/durabletask/",
    })
    edited = "EDITED through the Durable client: tiled hanok roofs under a clear sky"

    async def answer():
        from azure.durable_functions.models.utils import http_utils

        durable = df.DurableOrchestrationClient(binding)
        try:
            before = await durable.get_status(started["id"])
            assert before.custom_status["awaitingApproval"] is True
            await durable.raise_event(started["id"], generation.APPROVAL_EVENT, {"prompt": edited})
        finally:
            await http_utils._close_session()  # the SDK's shared aiohttp session, as tests/devhost do

    asyncio.run(answer())
    status = client.wait(started)
    assert status["runtimeStatus"] == "Completed", status
    assert status["output"]["prompt"] == edited


def test_cancel_while_waiting_for_review(client):
    """The site's cancel: POST terminatePostUri → Terminated; nothing is generated or recorded."""
    started = client.start({**REQUEST, "keywords": "종묘 제례악"})
    client.wait(started, until=awaiting_approval)
    url = started["terminatePostUri"].replace("{text}", "artist%20cancelled")
    assert client.http.post(url, timeout=30).status_code == 202
    status = client.wait(started)
    assert status["runtimeStatus"] == "Terminated"
    assert client.approve(started, {"prompt": "too late"}).status_code == 410
    listed = client.http.get(client.url("/api/generations"), params={"pageSize": 100}, timeout=30).json()
    assert started["id"] not in [item["instanceId"] for item in listed["items"]]
