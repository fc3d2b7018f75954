"""The step functions of shared.generation.steps in process against Azurite and PostgreSQL: each is safe
to run twice (the Durable host runs activities at least once)."""

from __future__ import annotations

import uuid

import pytest

from shared.core import config
from shared.core.models import GenerationRequest
from shared.db import history
from shared.generation import steps as generation
from shared.generation.activity import StepFailed, error_from_failure, raise_refusal, run_step
from shared.generation.job import GenerateImage, MakeLayers, StoredImage, StoreOutputs
from shared.storage import blobs as storage
from tests.fixtures_app import azure_openai_env

REQUEST = GenerationRequest(category="한국문화", stage="스케치", keywords="탈춤 마당", aspect="square", variations=2,
                            user_id="steps-user")


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

    first = generation.generate_image(GenerateImage(instance_id, REQUEST, prompt, []))
    tags = [_etag(image["png"]) for image in first["images"]]
    again = generation.generate_image(GenerateImage(instance_id, REQUEST, prompt, []))
    assert again == first
    assert [_etag(image["png"]) for image in again["images"]] == tags  # not rewritten
    assert len(fake.requests_for("images")) == 1  # the paid model was called once

    images = [StoredImage.from_dict(image) for image in first["images"]]
    layered = [generation.make_layers(MakeLayers(instance_id, image)) for image in images]
    assert generation.make_layers(MakeLayers(instance_id, images[0])) == layered[0]

    job = StoreOutputs(instance_id=instance_id, request=REQUEST, draft={"prompt": prompt, "title": "탈춤", "avoid": []},
                       prompt=prompt, references=[], images=[StoredImage.from_dict(part["image"]) for part in layered],
                       layers=layered[0]["layers"], timings={"generate_image": 5}, warnings=[])
    assert StoreOutputs.from_dict(job.to_dict()) == job  # what crosses the activity boundary reads back the same
    out1 = generation.store_outputs(job)["output"]
    out2 = generation.run_activity("store_outputs", job.to_dict())["output"]
    assert out1["images"][1]["psd"]["blob"] == out2["images"][1]["psd"]["blob"] == f"outputs/{instance_id}/2.psd"
    rows = [item for item in history.list_for_user("steps-user", page_size=100).items
            if item["instanceId"] == instance_id]
    assert len(rows) == 1


def test_a_refusal_crosses_the_activity_boundary_as_a_known_error(azure_steps):
    azure_steps.content_filter_next(1, api="images")
    single = GenerationRequest.from_dict({**REQUEST.to_dict(), "variations": 1})
    # answered, not raised (the orchestration retries generate_image on what raises), then raised there
    answered = run_step(generation.generate_image, GenerateImage(f"steps-{uuid.uuid4().hex}", single, "anything", []))
    with pytest.raises(StepFailed) as caught:
        raise_refusal(answered)
    assert caught.value.error["code"] == "content_filtered"
    assert error_from_failure(Exception(f"Activity failed: {caught.value}"))["code"] == "content_filtered"


def _layered(instance_id: str) -> tuple[list[StoredImage], list[str]]:
    first = generation.generate_image(GenerateImage(instance_id, REQUEST, "a village yard", []))
    parts = [generation.make_layers(MakeLayers(instance_id, StoredImage.from_dict(image))) for image in first["images"]]
    return [StoredImage.from_dict(part["image"]) for part in parts], parts[0]["layers"]


def test_a_lost_output_fails_the_generation_instead_of_completing_it(azure_steps):
    # issue 14: after storage lost acknowledged blobs, generations stayed Completed with links answering 404
    instance_id = f"steps-{uuid.uuid4().hex}"
    images, layer_names = _layered(instance_id)
    lost = images[1].psd
    storage.service().get_blob_client(lost.container, lost.name).delete_blob()
    job = StoreOutputs(instance_id=instance_id, request=REQUEST, draft={"prompt": "p", "title": "t", "avoid": []},
                       prompt="p", references=[], images=images, layers=layer_names, timings={}, warnings=[])
    with pytest.raises(StepFailed) as caught:
        run_step(generation.store_outputs, job)
    assert caught.value.error["code"] == "outputs_missing" and "찾을 수 없어" in caught.value.error["message"]
    rows = history.list_for_user("steps-user", page_size=100).items
    assert instance_id not in [item["instanceId"] for item in rows]  # no Completed row either


def test_a_storage_hiccup_while_writing_the_images_does_not_call_the_model_again(azure_steps, monkeypatch):
    # issue 14: a generation whose image was made failed because its blob write had no retry
    from shared.core.errors import ServiceUnavailable

    real_upload, failures = storage.upload, []

    def upload_failing_once(container, name, *args, **kwargs):
        if not failures:  # the first write meets an outage, as blobs.upload reports one
            failures.append(name)
            raise ServiceUnavailable(storage.MSG_UNAVAILABLE)
        return real_upload(container, name, *args, **kwargs)

    monkeypatch.setattr(storage, "upload", upload_failing_once)
    monkeypatch.setattr(generation, "WRITE_BACKOFF_SECONDS", 0.01)
    instance_id = f"steps-{uuid.uuid4().hex}"
    result = run_step(generation.generate_image, GenerateImage(instance_id, REQUEST, "a village yard", []))
    assert failures == [f"{instance_id}/1.png"]
    assert [image["png"] for image in result["images"]] == [f"outputs/{instance_id}/1.png", f"outputs/{instance_id}/2.png"]
    assert all(storage.exists(storage.OUTPUTS, f"{instance_id}/{n}.png") for n in (1, 2))
    assert len(azure_steps.requests_for("images")) == 1
