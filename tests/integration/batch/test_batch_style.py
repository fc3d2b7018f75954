"""A chapter's style named once in a shot list, remote: with the Azure OpenAI providers pointed at our
local server, every line's image request carries the style image (issue 12)."""

from __future__ import annotations

import json

import pytest

from tests.fixtures_app import azure_openai_env
from tests.integration.batch.batch_helpers import BATCH_TRIGGER_ON, Blobs, jsonl, shot, wait_batch

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def host(start_app_host, fake_openai):
    app = start_app_host(**azure_openai_env(fake_openai), **BATCH_TRIGGER_ON)
    yield app.devhost
    app.devhost.stop()


def test_every_line_of_a_styled_shot_list_sends_the_style_image(host, fake_openai, stack_env):
    from tests.sample_images import png_bytes, scene

    code, _, body = host.request("POST", "/api/uploads", body=png_bytes(scene(640, 480, seed=11)),
                                 headers={"Content-Type": "image/png"})
    assert code == 201, body
    upload_id = json.loads(body)["id"]
    blobs = Blobs(stack_env["AzureWebJobsStorage"])
    style_png = blobs.read("uploads", f"{upload_id}.png")
    keywords = ("경복궁", "남산타워", "광장시장", "북촌 한옥", "한강 다리", "해운대")
    fake_openai.reset()
    blobs.drop("styled-chapter.jsonl", jsonl([{"styleSource": {"uploadId": upload_id}}]
                                             + [shot(k, id=f"s{n}") for n, k in enumerate(keywords, start=1)]))
    summary = wait_batch(host, "styled-chapter", timeout=400)["summary"]
    assert summary["completed"] == len(keywords), summary
    edits = fake_openai.requests_for("edits")
    assert len(edits) == len(keywords) and fake_openai.requests_for("images") == []
    for edit in edits:  # no photo: the style image is the first input, and the prompt says what it is for
        assert edit.images[0].data == style_png
        assert "Image 1: the chapter's style source" in edit.form["prompt"]
