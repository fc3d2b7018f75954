"""The app's own progress routes over HTTP on devhost (offline providers): the starter hands out
/api/generations/{id}... URLs on the caller's origin (no Durable webhook, no system key), the status
route answers like the Durable status endpoint, events and terminate work for the owner, and another
user's instance is indistinguishable from an unknown one (404)."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.integration.generation.generation_client import (
    GenerationClient,
    assert_schema,
    awaiting_approval,
    principal,
)

pytestmark = pytest.mark.slow

REQUEST = {"category": "국내명소", "stage": "스케치", "keywords": "남산타워, 야경", "aspect": "square",
           "review": True}
DURABLE_FIELDS = {"name", "instanceId", "runtimeStatus", "input", "customStatus", "output", "createdTime",
                  "lastUpdatedTime"}


@pytest.fixture(scope="module")
def client(app_host) -> GenerationClient:
    return GenerationClient(app_host.base_url)


def _durable_status(app_host, instance_id: str) -> requests.Response:
    """The Durable extension's own status endpoint (devhost's; in Azure it needs the system key)."""
    return requests.get(f"{app_host.base_url}/runtime/webhooks/durabletask/instances/{instance_id}", timeout=30)


def test_the_starter_hands_out_app_routes_on_the_callers_origin(client, app_host):
    response = client.http.post(client.url("/api/generations"), json={**REQUEST, "review": False,
                                                                      "prompt": "a quick ready prompt"}, timeout=30)
    assert response.status_code == 202, response.text
    body = response.json()
    assert_schema("CheckStatus", body)
    instance = body["id"]
    base = f"{app_host.base_url}/api/generations/{instance}"
    assert body == {"id": instance, "statusQueryGetUri": base, "sendEventPostUri": f"{base}/events/{{eventName}}",
                    "terminatePostUri": f"{base}/terminate?reason={{text}}"}
    assert response.headers["Location"] == base and int(response.headers["Retry-After"]) >= 1
    assert not any("code=" in url or "durabletask" in url for url in body.values())

    # Behind Static Web Apps the platform passes the site's URL; the links follow the site's origin.
    behind = client.http.post(client.url("/api/generations"), json={**REQUEST, "review": False, "prompt": "p"},
                              headers={"x-ms-original-url": "https://site.example/api/generations"}, timeout=30)
    assert behind.status_code == 202
    assert behind.json()["statusQueryGetUri"] == f"https://site.example/api/generations/{behind.json()['id']}"
    assert behind.headers["Location"] == behind.json()["statusQueryGetUri"]
    assert client.wait(body)["runtimeStatus"] == "Completed"


def test_status_answers_202_then_200_with_the_durable_fields(client, app_host):
    started = client.start(REQUEST)
    client.wait(started, until=awaiting_approval)
    waiting = client.http.get(started["statusQueryGetUri"], timeout=30)
    assert waiting.status_code == 202, waiting.text
    body = waiting.json()
    assert set(body) == DURABLE_FIELDS and body["runtimeStatus"] == "Running"
    assert waiting.headers["Location"] == started["statusQueryGetUri"] and int(waiting.headers["Retry-After"]) >= 1
    assert_schema("GenerationInstance", body)
    assert body["instanceId"] == started["id"] and body["name"] == "generate_background"
    assert body["input"]["request"]["keywords"] == REQUEST["keywords"]
    durable = _durable_status(app_host, started["id"]).json()
    assert {k: durable[k] for k in ("name", "instanceId", "runtimeStatus", "input", "createdTime")} == \
        {k: body[k] for k in ("name", "instanceId", "runtimeStatus", "input", "createdTime")}

    assert client.approve(started, {"prompt": "EDITED: Namsan tower at night, clean line art"}).status_code == 202
    done = client.wait(started)
    final = client.http.get(started["statusQueryGetUri"], timeout=30)
    assert final.status_code == 200 and "Location" not in final.headers
    assert final.json() == done and done["runtimeStatus"] == "Completed"
    assert_schema("GenerationInstance", done)
    assert done["output"]["prompt"].startswith("EDITED")
    assert done == _durable_status(app_host, started["id"]).json()  # field for field, as Durable answers


def test_another_users_instance_is_404_everywhere_and_left_alone(client):
    owner, stranger = principal(f"owner-{uuid.uuid4().hex[:6]}"), principal(f"stranger-{uuid.uuid4().hex[:6]}")
    started = client.start(REQUEST, headers=owner)
    mine = client.http.get(started["statusQueryGetUri"], headers=owner, timeout=30)
    assert mine.status_code in (200, 202)

    unknown_url = started["statusQueryGetUri"].rsplit("/", 1)[0] + "/" + uuid.uuid4().hex
    answers = {
        "status": client.http.get(started["statusQueryGetUri"], headers=stranger, timeout=30),
        "local user": client.http.get(started["statusQueryGetUri"], timeout=30),
        "event": client.http.post(started["sendEventPostUri"].replace("{eventName}", "prompt_approved"),
                                  json={"prompt": "hijacked"}, headers=stranger, timeout=30),
        "terminate": client.http.post(started["terminatePostUri"].replace("{text}", "nope"), headers=stranger,
                                      timeout=30),
        "unknown id": client.http.get(unknown_url, headers=owner, timeout=30),
    }
    for what, response in answers.items():
        assert response.status_code == 404, (what, response.status_code, response.text)
        assert response.json()["error"]["code"] == "generation_not_found", what
        assert response.json()["error"]["message"] == "생성 작업을 찾을 수 없습니다.", what
    assert answers["status"].json() == answers["unknown id"].json()  # nothing tells them apart

    # The stranger changed nothing: the owner's answer is the one used.
    client.wait(started, until=awaiting_approval)  # the client asks as the owner
    assert client.approve(started, {"prompt": "EDITED by the owner"}).status_code == 202
    status = client.wait(started)
    assert status["runtimeStatus"] == "Completed" and status["output"]["prompt"] == "EDITED by the owner"


def test_events_are_checked_and_refused_once_finished(client):
    started = client.start(REQUEST)
    client.wait(started, until=awaiting_approval)
    events = started["sendEventPostUri"]
    wrong = client.http.post(events.replace("{eventName}", "cancel_batch"), json={"prompt": "x"}, timeout=30)
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "unknown_event"
    not_text = client.http.post(events.replace("{eventName}", "prompt_approved"), json={"prompt": 42}, timeout=30)
    assert not_text.status_code == 400 and not_text.json()["error"]["details"]["field"] == "prompt"
    not_json = client.http.post(events.replace("{eventName}", "prompt_approved"), data=b"{nope",
                                headers={"Content-Type": "application/json"}, timeout=30)
    assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "malformed_json"
    assert client.status(started)["customStatus"]["awaitingApproval"] is True  # none of them counted

    assert client.approve(started, {"prompt": "EDITED: the real answer"}).status_code == 202
    assert client.wait(started)["output"]["prompt"] == "EDITED: the real answer"
    late = client.approve(started, {"prompt": "too late"})
    assert late.status_code == 410
    assert late.json()["error"] == {"code": "generation_finished", "message": "이미 끝난 생성 작업입니다."}
    terminate_late = client.http.post(started["terminatePostUri"].replace("{text}", "late"), timeout=30)
    assert terminate_late.status_code == 410
    assert client.status(started)["runtimeStatus"] == "Completed"


def test_terminate_stops_a_running_generation(client):
    started = client.start(REQUEST)
    client.wait(started, until=awaiting_approval)
    answer = client.http.post(started["terminatePostUri"].replace("{text}", "작가가%20취소함"), timeout=30)
    assert answer.status_code == 202, answer.text
    status = client.wait(started)
    assert status["runtimeStatus"] == "Terminated"
    assert "작가가 취소함" in str(status["output"])  # the reason reached the Durable host
    again = client.http.post(started["terminatePostUri"].replace("{text}", "again"), timeout=30)
    assert again.status_code == 410
