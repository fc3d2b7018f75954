"""The step functions of shared/generation.py in process against Azurite and PostgreSQL: each is safe
to run twice (the Durable host runs activities at least once)."""

from __future__ import annotations

import uuid

import pytest

from shared.core import config
from shared.db import history
from shared.generation import steps as generation
from shared.storage import blobs as storage
from tests.fixtures_app import azure_openai_env

REQUEST = {"category": "한국문화", "stage": "스케치", "keywords": "탈춤 마당", "description": "", "upload_id": None,
           "aspect": "square", "variations": 2, "review": False, "prompt": None, "user_id": "steps-user"}


@pytest.fixture
def azure_steps(app_env, fake_openai, monkeypatch):
    """This process's providers: Azure OpenAI at the fake server."""
    for key, value in azure_openai_env(fake_openai).items():
        monkeypatch.setenv(key, value)
    config.reset_settings()
    storage.reset()
    fake_openai.reset()
    yield fake_openai
    fake_openai.reset()
    storage.reset()


def _etag(blob: str) -> str:
    container, _, name = blob.partition("/")
    return storage.service().get_blob_client(container, name).get_blob_properties().etag


def test_every_step_may_run_twice(azure_steps):
    fake = azure_steps
    instance_id = f"steps-{uuid.uuid4().hex}"
    prompt = "a mask dance in a village yard, clean ink lines"

    first = generation.generate_image(instance_id, REQUEST, prompt, [])
    tags = [_etag(image["png"]) for image in first["images"]]
    again = generation.generate_image(instance_id, REQUEST, prompt, [])
    assert again == first
    assert [_etag(image["png"]) for image in again["images"]] == tags  # not rewritten
    assert len(fake.requests_for("images")) == 1  # the paid model was called once

    layered = [generation.make_layers(instance_id, image) for image in first["images"]]
    assert generation.make_layers(instance_id, first["images"][0]) == layered[0]

    args = dict(instance_id=instance_id, request=REQUEST, draft={"prompt": prompt, "title": "탈춤", "avoid": []},
                prompt=prompt, references=[], images=[part["image"] for part in layered],
                layers=layered[0]["layers"], timings={"generate_image": 5}, warnings=[])
    out1 = generation.store_outputs(**args)["output"]
    out2 = generation.store_outputs(**args)["output"]
    assert out1["images"][1]["psd"]["blob"] == out2["images"][1]["psd"]["blob"] == f"outputs/{instance_id}/2.psd"
    rows = [item for item in history.list_for_user("steps-user", page_size=100).items
            if item["instanceId"] == instance_id]
    assert len(rows) == 1


def test_a_refusal_crosses_the_activity_boundary_as_a_known_error(azure_steps):
    azure_steps.content_filter_next(1, api="images")
    with pytest.raises(generation.StepFailed) as caught:
        generation.run_step(generation.generate_image, {
            "instance_id": f"steps-{uuid.uuid4().hex}", "request": {**REQUEST, "variations": 1},
            "prompt": "anything", "references": []})
    assert caught.value.error["code"] == "content_filtered"
    assert generation.error_from_failure(Exception(f"Activity failed: {caught.value}"))["code"] == "content_filtered"
