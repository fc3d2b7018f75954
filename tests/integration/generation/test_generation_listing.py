"""GET /api/generations over HTTP on devhost: the caller's own generations, newest first, paged; the
caller is the principal in x-ms-client-principal (Azure's built-in authentication)."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.integration.generation.generation_client import GenerationClient, assert_schema, principal

pytestmark = pytest.mark.slow

REQUEST = {"category": "국내명소", "stage": "콘티", "aspect": "square",
           "prompt": "storyboard of a harbour at dusk, grey pencil"}  # a ready prompt: quicker


def _list(client: GenerationClient, headers: dict, **params) -> dict:
    response = client.http.get(client.url("/api/generations"), params=params, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert_schema("HistoryPage", response.json())
    return response.json()


def test_each_artist_sees_only_their_generations_newest_first(app_host):
    client = GenerationClient(app_host.base_url)
    artist_a, artist_b = principal(f"artist-a-{uuid.uuid4().hex[:6]}"), principal(f"artist-b-{uuid.uuid4().hex[:6]}")

    mine = []
    for n in range(3):
        status = client.run({**REQUEST, "keywords": f"부산항 {n}"}, headers=artist_a)
        assert status["runtimeStatus"] == "Completed", status
        mine.append(status["instanceId"])
    theirs = client.run({**REQUEST, "keywords": "감천 문화마을"}, headers=artist_b)
    assert theirs["runtimeStatus"] == "Completed"

    listed = _list(client, artist_a)
    assert listed["total"] == 3 and listed["page"] == 1
    assert [item["instanceId"] for item in listed["items"]] == list(reversed(mine))
    assert theirs["instanceId"] not in [item["instanceId"] for item in listed["items"]]
    newest = listed["items"][0]
    assert newest["keywords"] == "부산항 2" and newest["status"] == "completed"
    assert newest["createdAt"] >= listed["items"][1]["createdAt"]

    # Links are the permanent ones, and they work.
    (image,) = newest["images"]
    assert image["png"]["assetUrl"] == f"/api/assets/outputs/{mine[-1]}/1.png"
    assert client.follow_asset(image["thumbnail"]["assetUrl"])
    assert client.follow_asset(image["psd"]["assetUrl"])[:4] == b"8BPS"

    # Paged.
    first = _list(client, artist_a, page=1, pageSize=2)
    second = _list(client, artist_a, page=2, pageSize=2)
    assert [i["instanceId"] for i in first["items"] + second["items"]] == list(reversed(mine))
    assert first["pageSize"] == 2 and second["total"] == 3 and len(second["items"]) == 1

    assert [i["instanceId"] for i in _list(client, artist_b)["items"]] == [theirs["instanceId"]]


def test_without_a_principal_the_caller_is_the_local_user(app_host):
    client = GenerationClient(app_host.base_url)
    status = client.run({**REQUEST, "keywords": "해운대"})
    listed = _list(client, {})
    assert status["instanceId"] in [item["instanceId"] for item in listed["items"]]
    other = _list(client, principal("someone-else"))
    assert status["instanceId"] not in [item["instanceId"] for item in other["items"]]


def test_an_unreadable_principal_is_401(app_host):
    response = requests.get(f"{app_host.base_url}/api/generations",
                            headers={"x-ms-client-principal": "!!not-base64!!"}, timeout=30)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
