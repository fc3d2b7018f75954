"""POST /api/layers against the real app on devhost: an uploaded picture becomes the layered PSD through
the generation's status/progress contract; bad input answers its Korean error and starts nothing; a
failed job leaves nothing under outputs/."""

from __future__ import annotations

import pytest
import requests

from shared.core import catalog
from tests.integration.generation.generation_client import (
    GenerationClient,
    assert_schema,
    principal,
    read_psd,
)
from tests.sample_images import png_bytes, scene

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(app_host) -> GenerationClient:
    return GenerationClient(app_host.base_url)


def _upload(client: GenerationClient, headers: dict | None = None) -> str:
    response = client.http.post(client.url("/api/uploads"), data=png_bytes(scene(640, 960, seed=11)),
                                headers={"Content-Type": "image/png", **(headers or {})}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _start(client: GenerationClient, body: dict, headers: dict | None = None) -> requests.Response:
    return client.http.post(client.url("/api/layers"), json=body, headers=headers, timeout=30)


def test_own_image_becomes_a_layered_psd_with_progress(client):
    upload_id = _upload(client)
    response = _start(client, {"uploadId": upload_id, "lineWeight": "bold", "detail": "low"})
    assert response.status_code == 202, response.text
    started = response.json()
    seen: list = []
    final = client.wait(started, seen=seen)
    assert final["runtimeStatus"] == "Completed", final
    assert [s["stage"] for s in seen][-1] == "done"
    assert "make_layers" in [s["stage"] for s in seen]
    output = final["output"]
    assert_schema("GenerationOutput", output)
    assert output["references"] == [] and output["layers"] == ["기본 채색", "명암", "하이라이트", "선화", "완성"]
    image = output["images"][0]
    assert (image["width"], image["height"]) == (640, 960)  # the artist's picture, not resized to an aspect
    document = read_psd(client.follow_asset(image["psd"]["assetUrl"]))
    assert [layer.name for layer in document] == output["layers"]
    assert document.size == (640, 960)


def test_the_instance_is_the_callers_only(client):
    alice = principal("alice-layers")
    response = _start(client, {"uploadId": _upload(client, alice)}, alice)
    assert response.status_code == 202, response.text
    status_url = response.json()["statusQueryGetUri"]
    other = client.http.get(status_url, headers=principal("mallory"), timeout=30)
    assert other.status_code == 404
    assert client.http.get(status_url, headers=alice, timeout=30).status_code in (200, 202)


@pytest.mark.parametrize("body, status, field", [
    ({}, 400, "uploadId"),
    ({"uploadId": "../etc/passwd"}, 400, "uploadId"),
    ({"uploadId": "0" * 32}, 404, "uploadId"),
    ({"uploadId": "0" * 32, "lineWeight": "heavy"}, 400, "lineWeight"),
    ({"uploadId": "0" * 32, "detail": 3}, 400, "detail"),
])
def test_bad_input_answers_korean_and_starts_nothing(client, body, status, field):
    response = _start(client, body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error.get("details", {}).get("field") == field
    assert any("\uac00" <= ch <= "\ud7a3" for ch in error["message"])
    assert "Location" not in response.headers


def test_line_weight_and_detail_options_are_the_catalogs(client):
    body = client.http.get(client.url("/api/catalog"), timeout=30).json()
    assert [w["value"] for w in body["lineWeights"]] == list(catalog.LINE_WEIGHT_LABELS)
    assert [d["label"] for d in body["details"]] == list(catalog.DETAIL_LABELS.values())


def test_a_failed_job_leaves_nothing_under_outputs(app_env):
    from shared.generation import own_image
    from shared.storage import blobs

    blobs.reset()
    for name in ("1.png", "1.psd", "1-thumb.webp"):
        blobs.upload(blobs.OUTPUTS, f"failed-layers-job/{name}", b"x", "application/octet-stream")
    blobs.upload(blobs.OUTPUTS, "failed-layers-job-2/1.png", b"x", "image/png")  # another job: kept
    assert own_image.discard_outputs("failed-layers-job") == {"deleted": 3}
    assert not blobs.exists(blobs.OUTPUTS, "failed-layers-job/1.png")
    assert blobs.exists(blobs.OUTPUTS, "failed-layers-job-2/1.png")
