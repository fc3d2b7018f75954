"""The image model sees the inputs (issue 12): through the real openai SDK against our local API server,
a gpt-image request with a photo, references or a style source is one images *edit* whose `image[]`
parts are the photo, the style source and the best references, in that order, with a prompt saying
what each is for; without inputs a plain generation; dall-e-3 text only with a Korean warning; the
family's sizes; the edit's errors mapped as the generation's."""

from __future__ import annotations

import io

import pytest

from shared.core import catalog
from shared.core.errors import ContentFiltered, UpstreamError, ValidationError
from shared.images.codec import png_size
from shared.providers import openai_images
from shared.providers.openai_images import OpenAIImageGenerator
from tests.integration.providers.test_openai_providers import Sleeps, azure_settings, openai_settings


@pytest.fixture
def server(fake_openai):
    fake_openai.reset()
    fake_openai.state.max_edit_image_bytes = 50 * 1024 * 1024
    yield fake_openai
    fake_openai.reset()
    fake_openai.state.max_edit_image_bytes = 50 * 1024 * 1024


def png(width: int, height: int, colour) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, "PNG")
    return buf.getvalue()


def noisy_png(width: int, height: int) -> bytes:
    import numpy as np
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (height, width, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


PHOTO = png(1024, 768, (200, 40, 40))
REFERENCES = [png(640 + 16 * i, 480, (40, 40 + 40 * i, 200)) for i in range(5)]
STYLE = png(512, 512, (250, 220, 90))


def generator(settings, sleeps=None) -> OpenAIImageGenerator:
    return OpenAIImageGenerator(settings, settings.image_provider, sleep=sleeps if sleeps is not None else Sleeps())


def test_photo_and_references_go_as_one_edit_photo_first_then_the_top_k(server):
    aspect = catalog.aspect("portrait")
    images = generator(azure_settings(server, image_quality="high")).generate(
        "a rainy hanok alley at night", aspect, 2, stage="배경", photo=PHOTO, references=REFERENCES)

    assert server.requests_for("images") == []
    (sent,) = server.requests_for("edits")
    assert sent.path == "/openai/deployments/gpt-image-1/images/edits"
    assert sent.query["api-version"] == "2025-04-01-preview"
    parts = sent.images
    assert [p.name for p in parts] == ["image[]"] * 4  # the photo and the default 3 references
    assert [p.data for p in parts] == [PHOTO, *REFERENCES[:3]]  # in this order, unchanged
    assert [p.size for p in parts] == [(1024, 768), (640, 480), (656, 480), (672, 480)]
    assert [p.content_type for p in parts] == ["image/png"] * 4
    form = sent.form
    assert (form["size"], form["n"], form["quality"]) == ("1024x1536", "2", "high")
    prompt = form["prompt"]
    assert prompt.index("Image 1: the artist's own photo") < prompt.index("Image 2: a reference background")
    assert "keep its composition" in prompt and prompt.count("a reference background") == 3
    assert "Image 5" not in prompt and prompt.endswith("Draw: a rainy hanok alley at night")
    assert len(images) == 2 and all(png_size(i) == (1024, 1536) for i in images)
    assert images.warnings == []


def test_how_many_references_is_a_setting(server):
    settings = azure_settings(server, image_reference_count=1)
    generator(settings).generate("x", catalog.aspect("square"), 1, stage="배경", photo=PHOTO,
                                 references=REFERENCES)
    (sent,) = server.requests_for("edits")
    assert [p.data for p in sent.images] == [PHOTO, REFERENCES[0]]


def test_references_alone_and_the_style_source_take_their_places(server):
    gen = generator(azure_settings(server))
    gen.generate("x", catalog.aspect("square"), 1, stage="배경", references=REFERENCES[:2])
    gen.generate("x", catalog.aspect("square"), 1, stage="배경", photo=PHOTO, references=REFERENCES,
                 style_image=STYLE)
    only_refs, with_style = server.requests_for("edits")
    assert [p.data for p in only_refs.images] == REFERENCES[:2]
    assert "Image 1: a reference background" in only_refs.form["prompt"]
    assert [p.data for p in with_style.images] == [PHOTO, STYLE, *REFERENCES[:3]]
    assert "Image 2: the chapter's style source" in with_style.form["prompt"]


def test_without_photo_or_references_it_is_a_plain_generation(server):
    images = generator(azure_settings(server)).generate("x", catalog.aspect("landscape"), 1, stage="배경")
    assert server.requests_for("edits") == []
    (sent,) = server.requests_for("images")
    assert sent.json["size"] == "1536x1024" and "Image 1" not in sent.json["prompt"]
    assert png_size(images[0]) == (1536, 1024)


def test_a_big_reference_is_sent_smaller(server):
    big = noisy_png(3000, 2000)
    assert len(big) > openai_images.MAX_INPUT_BYTES
    generator(azure_settings(server)).generate("x", catalog.aspect("square"), 1, stage="배경", photo=PHOTO,
                                               references=[big])
    photo_part, reference_part = server.requests_for("edits")[0].images
    assert photo_part.data == PHOTO
    assert reference_part.size == (1536, 1024) and reference_part.content_type == "image/png"


def test_openai_flavour_edit_names_the_model_in_the_form(server):
    generator(openai_settings(server)).generate("x", catalog.aspect("square"), 1, stage="배경", photo=PHOTO)
    (sent,) = server.requests_for("edits")
    assert sent.path == "/v1/images/edits" and sent.form["model"] == "gpt-image-1"
    assert sent.headers["authorization"] == f"Bearer {server.api_key}"


def test_dalle3_stays_text_only_and_warns_in_korean_that_the_photo_was_not_used(server):
    settings = azure_settings(server, image_model_family="dall-e-3", azure_openai_image_deployment="dall-e-3")
    images = generator(settings).generate("x", catalog.aspect("portrait"), 2, stage="배경", photo=PHOTO,
                                          references=REFERENCES, style_image=STYLE)
    assert server.requests_for("edits") == []
    sent = server.requests_for("images")
    assert len(sent) == 2 and all(r.json["size"] == "1024x1792" for r in sent)
    assert images.warnings == [openai_images.WARNING_PHOTO_NOT_USED, openai_images.WARNING_STYLE_NOT_USED]
    assert all(any("\uac00" <= ch <= "\ud7a3" for ch in w) and "사진" in images.warnings[0] for w in images.warnings)
    server.reset()
    quiet = generator(settings).generate("x", catalog.aspect("square"), 1, stage="배경", references=REFERENCES)
    assert quiet.warnings == []


def test_the_tall_webtoon_strip_only_where_the_family_makes_it(server):
    webtoon = catalog.aspect("webtoon")
    wide = azure_settings(server, image_model_family="gpt-image-2", azure_openai_image_deployment="gpt-image-2")
    images = generator(wide).generate("x", webtoon, 1, stage="배경", photo=PHOTO)
    assert server.requests_for("edits")[0].form["size"] == "1152x2048"
    assert png_size(images[0]) == (1152, 2048)
    server.reset()
    with pytest.raises(ValidationError) as info:
        generator(azure_settings(server)).generate("x", webtoon, 1, stage="배경")
    assert info.value.code == "unsupported_aspect" and "세로 웹툰" in info.value.message
    assert server.requests == []  # refused before any paid call


def test_edit_429_with_retry_after_then_success(server):
    sleeps = Sleeps()
    server.rate_limit_next(1, retry_after=3, api="edits")
    images = generator(azure_settings(server), sleeps).generate("x", catalog.aspect("square"), 1, stage="배경",
                                                                photo=PHOTO)
    assert [r.answered for r in server.requests_for("edits")] == [429, 200]
    assert sleeps == [3.0] and len(images) == 1
    assert [p.data for p in server.requests_for("edits")[1].images] == [PHOTO]  # the retry sends them again


def test_edit_repeated_5xx_is_an_upstream_error_after_the_retries(server):
    sleeps = Sleeps()
    server.server_error_next(10, status=503, api="edits")
    with pytest.raises(UpstreamError) as info:
        generator(azure_settings(server, provider_max_retries=2), sleeps).generate(
            "x", catalog.aspect("square"), 1, stage="배경", photo=PHOTO)
    assert info.value.code == "upstream_error"
    assert len(server.requests_for("edits")) == 3 and len(sleeps) == 2


def test_edit_content_filter_is_not_retried(server):
    sleeps = Sleeps()
    server.content_filter_next(1, api="edits")
    with pytest.raises(ContentFiltered):
        generator(azure_settings(server), sleeps).generate("x", catalog.aspect("square"), 1, stage="배경",
                                                           photo=PHOTO)
    assert len(server.requests) == 1 and server.requests[0].answered == 400 and sleeps == []


def test_edit_with_an_image_over_the_service_limit_is_rejected_once(server):
    server.state.max_edit_image_bytes = 1024
    sleeps = Sleeps()
    with pytest.raises(UpstreamError) as info:
        generator(azure_settings(server), sleeps).generate("x", catalog.aspect("square"), 1, stage="배경",
                                                           photo=PHOTO)
    assert info.value.code == "upstream_rejected" and info.value.details["reason"] == "400 image_too_large"
    (sent,) = server.requests
    assert sent.answered == 400 and sleeps == []
