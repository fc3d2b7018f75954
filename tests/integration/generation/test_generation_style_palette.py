"""The chapter style lock offline, through the generate_image step against Azurite: a shot list of 6
lines naming one style source (an upload) in its header; each line's drafts come closer to the style
image's palette than the same 6 lines without it (bench/style_lock.py prints the figures)."""

from __future__ import annotations

import uuid

import pytest

from bench.style_lock import distance_to, requests_of, shot_list, style_image
from shared.core import config
from shared.core.models import GenerationRequest
from shared.generation import steps
from shared.generation.job import GenerateImage
from shared.images import uploads
from shared.providers import palette, registry
from shared.storage import blobs as storage


@pytest.fixture
def local_steps(app_env, monkeypatch):
    monkeypatch.setenv("IMAGE_PROVIDER", "local")
    monkeypatch.setenv("PROMPT_PROVIDER", "local")
    config.reset_settings()
    storage.reset()
    yield
    storage.reset()


def _drafts(request: GenerationRequest) -> bytes:
    prompt = registry.prompt_writer().write(request, [], []).prompt
    result = steps.generate_image(GenerateImage(f"style-{uuid.uuid4().hex}", request, prompt, []))
    (image,) = result["images"]
    container, _, name = image["png"].partition("/")
    return storage.download(container, name)


def test_a_shot_list_style_source_pulls_every_line_toward_its_palette(local_steps):
    style = style_image()
    upload = uploads.store_upload(style)  # the artist's upload, as POST /api/uploads stores it
    data = shot_list().replace(b'"uploadId": "' + b"5e" * 16 + b'"', f'"uploadId": "{upload.id}"'.encode())
    styled = requests_of(data)
    assert len(styled) == 6 and all(r.style_source == {"uploadId": upload.id} for r in styled)
    style_stats = palette.source_stats(uploads.load_upload(upload.id))
    for request in styled:
        plain = GenerationRequest.from_dict({**request.to_dict(), "style_source": None})
        with_style = distance_to(_drafts(request), style_stats)
        without = distance_to(_drafts(plain), style_stats)
        assert with_style < without, (request.keywords, with_style, without)


def test_a_style_source_removed_before_drawing_fails_the_step_in_korean(local_steps):
    request = GenerationRequest(category="음식", stage="배경", keywords="떡볶이", aspect="square",
                                style_source={"uploadId": uuid.uuid4().hex})
    result = steps.generate_image(GenerateImage(f"style-{uuid.uuid4().hex}", request, "tteokbokki stall", []))
    assert result["refused"]["code"] == "style_source_not_found"
    assert "스타일 기준 이미지" in result["refused"]["message"]


def test_another_users_earlier_result_is_refused_by_the_step_too(local_steps):
    """A shot-list line passes the request's rules only; the step checks the owner in the history."""
    from shared.db import history

    instance_id = f"style-{uuid.uuid4().hex}"
    storage.upload(storage.OUTPUTS, f"{instance_id}/1.png", style_image(), "image/png")
    history.record(instance_id=instance_id, user_id="someone-else", request={
        "category": "음식", "stage": "배경", "keywords": "x", "aspect": "square"}, title="", prompt="",
        images=[], reference_ids=[], timings={}, warnings=[])
    mine = GenerationRequest(category="음식", stage="배경", keywords="떡볶이", aspect="square", user_id="me",
                             style_source={"instanceId": instance_id, "index": 1})
    refused = steps.generate_image(GenerateImage(f"style-{uuid.uuid4().hex}", mine, "x", []))
    assert refused["refused"]["code"] == "style_source_not_found"
    theirs = GenerationRequest.from_dict({**mine.to_dict(), "user_id": "someone-else"})
    assert "images" in steps.generate_image(GenerateImage(f"style-{uuid.uuid4().hex}", theirs, "x", []))
