"""The generate_image step in process with the Azure OpenAI provider at our local server: a model
that cannot take images (dall-e-3) draws from the text alone and the step answers its Korean warnings
(the orchestration adds them to the run's warnings); gpt-image gets the photo, style and references."""

from __future__ import annotations

import uuid

import pytest

from shared.core import config
from shared.core.models import GenerationRequest
from shared.generation import steps
from shared.generation.job import GenerateImage
from shared.images import uploads
from shared.providers.openai_images import WARNING_PHOTO_NOT_USED, WARNING_STYLE_NOT_USED
from shared.storage import blobs as storage
from tests.fixtures_app import azure_openai_env
from tests.sample_images import png_bytes, scene


@pytest.fixture
def azure_env(app_env, fake_openai, monkeypatch):
    def configure(**extra):
        for key, value in {**azure_openai_env(fake_openai), **extra}.items():
            monkeypatch.setenv(key, value)
        config.reset_settings()
        storage.reset()
        fake_openai.reset()
        return fake_openai

    yield configure
    fake_openai.reset()
    storage.reset()


def _request() -> GenerationRequest:
    photo = uploads.store_upload(png_bytes(scene(600, 400, seed=1))).id
    style = uploads.store_upload(png_bytes(scene(400, 600, seed=2))).id
    return GenerationRequest(category="음식", stage="배경", keywords="떡볶이", aspect="square", upload_id=photo,
                             style_source={"uploadId": style}, user_id="inputs-user")


def test_dall_e_3_draws_from_text_and_says_the_photo_and_style_were_not_used(azure_env):
    fake = azure_env(IMAGE_MODEL_FAMILY="dall-e-3", AZURE_OPENAI_IMAGE_DEPLOYMENT="dall-e-3")
    result = steps.generate_image(GenerateImage(f"inputs-{uuid.uuid4().hex}", _request(), "a tteokbokki stall", []))
    assert result["warnings"] == [WARNING_PHOTO_NOT_USED, WARNING_STYLE_NOT_USED]
    assert fake.requests_for("edits") == [] and len(fake.requests_for("images")) == 1


def test_gpt_image_gets_the_photo_then_the_style(azure_env):
    fake = azure_env()
    request = _request()
    result = steps.generate_image(GenerateImage(f"inputs-{uuid.uuid4().hex}", request, "a tteokbokki stall", []))
    assert result["warnings"] == []
    (edit,) = fake.requests_for("edits")
    assert [p.data for p in edit.images] == [uploads.load_upload(request.upload_id),
                                             uploads.load_upload(request.style_source["uploadId"])]
