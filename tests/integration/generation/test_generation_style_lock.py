"""Image inputs and the chapter style lock over HTTP on devhost (issue 12): the photo and the best
references reach the Azure OpenAI image API (our local server) as one edit; a style source or an
earlier result as the photo ("again from this") reach it too and are recorded in the output; bad
sources and sizes the configured model cannot make are Korean 400/404 that start nothing."""

from __future__ import annotations

import re
import uuid

import pytest

from shared.db import pool as db
from shared.storage import blobs as storage
from tests.integration.generation.generation_client import GenerationClient, assert_schema, principal

pytestmark = pytest.mark.slow

REQUEST = {"category": "음식", "stage": "채색 기본", "keywords": "비빔밥, 놋그릇",
           "description": "전주 한옥 식당의 나무 상 위에 놓인 비빔밥", "aspect": "square"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")
REFERENCE_COUNT = 3  # IMAGE_REFERENCE_COUNT's default


@pytest.fixture
def fake(fake_openai):
    fake_openai.reset()
    yield fake_openai
    fake_openai.reset()


@pytest.fixture(scope="module")
def azure(azure_host) -> GenerationClient:
    return GenerationClient(azure_host.base_url)


@pytest.fixture(scope="module")
def offline(app_host) -> GenerationClient:
    return GenerationClient(app_host.base_url)


def _upload(client: GenerationClient, seed: int = 5) -> dict:
    from tests.sample_images import png_bytes, scene

    response = client.http.post(client.url("/api/uploads"), data=png_bytes(scene(700, 500, seed=seed)),
                                headers={"Content-Type": "image/png"}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def _blob(name: str) -> bytes:
    container, _, rest = name.partition("/")
    return storage.download(container, rest)


def _starts(user_id: str) -> int:
    with db.connection() as conn:
        return conn.execute("SELECT count(*) FROM generation_starts WHERE user_id = %s", (user_id,)).fetchone()[0]


def test_a_photo_and_the_references_reach_the_model_as_one_edit(azure, fake, app_env):
    photo = _upload(azure)
    status = azure.run({**REQUEST, "uploadId": photo["id"]})
    assert status["runtimeStatus"] == "Completed", status
    out = status["output"]
    assert fake.requests_for("images") == []  # with input images: an edit, not a plain generation
    (edit,) = fake.requests_for("edits")
    parts = edit.images
    assert len(out["references"]) > REFERENCE_COUNT and len(parts) == 1 + REFERENCE_COUNT
    assert parts[0].data == _blob(f"uploads/{photo['id']}.png")  # the artist's photo first
    for part, reference in zip(parts[1:], out["references"][:REFERENCE_COUNT], strict=True):
        assert part.data == _blob(reference["blob"])  # then the best references, in search order
    prompt = edit.form["prompt"]
    assert prompt.startswith("The input images:\nImage 1: the artist's own photo")
    assert prompt.count("a reference background from a curated Korean webtoon library") == REFERENCE_COUNT
    assert prompt.endswith("Draw: " + out["prompt"])  # the prompt shown is the prompt used
    assert edit.form["size"] == "1024x1024" and out["style"] is None
    assert_schema("GenerationOutput", out)


def test_again_from_this_with_the_style_locked(azure, fake, app_env):
    """The site's two buttons: an earlier result as the photo (a variation) and as the style source."""
    artist = principal(f"chapter-{uuid.uuid4().hex[:8]}")
    first = azure.run({**REQUEST, "variations": 2}, headers=artist)
    assert first["runtimeStatus"] == "Completed", first
    earlier = first["instanceId"]
    history = azure.http.get(azure.url("/api/generations"), headers=artist, timeout=30).json()["items"]
    (item,) = history  # what the history card sends back: its instanceId and an image's index
    assert item["instanceId"] == earlier and [i["index"] for i in item["images"]] == [1, 2]
    fake.reset()

    style = {"instanceId": earlier, "index": 2}
    again = azure.run({**REQUEST, "photoSource": {"instanceId": earlier, "index": 1}, "styleSource": style},
                      headers=artist)
    assert again["runtimeStatus"] == "Completed", again
    (edit,) = fake.requests_for("edits")
    assert [p.data for p in edit.images[:2]] == [_blob(f"outputs/{earlier}/1.png"), _blob(f"outputs/{earlier}/2.png")]
    assert "Image 2: the chapter's style source" in edit.form["prompt"]
    assert again["output"]["style"] == {"source": style, "blob": f"outputs/{earlier}/2.png"}
    assert_schema("GenerationOutput", again["output"])


def test_every_line_of_a_styled_chapter_carries_the_style_image(azure, fake, app_env):
    style = _upload(azure, seed=9)
    lines = [{**REQUEST, "keywords": keywords, "styleSource": {"uploadId": style["id"]}}
             for keywords in ("한옥 마당", "시장 골목", "남산 계단")]
    started = [azure.start(line) for line in lines]
    for one in started:
        assert azure.wait(one)["runtimeStatus"] == "Completed"
    edits = fake.requests_for("edits")
    assert len(edits) == len(lines)
    style_png = _blob(f"uploads/{style['id']}.png")
    assert all(edit.images[0].data == style_png and "Image 1: the chapter's style source" in edit.form["prompt"]
               for edit in edits)


def test_the_catalog_and_the_request_offer_only_the_configured_models_sizes(azure, offline, app_env):
    remote = azure.http.get(azure.url("/api/catalog"), timeout=30).json()
    local = offline.http.get(offline.url("/api/catalog"), timeout=30).json()
    assert [a["value"] for a in remote["aspects"]] == ["square", "portrait", "landscape"]  # gpt-image
    assert {"webtoon", "large"} <= {a["value"] for a in local["aspects"]}  # the offline renderer makes all
    user = f"aspect-{uuid.uuid4().hex[:8]}"
    response = azure.http.post(azure.url("/api/generations"), json={**REQUEST, "aspect": "webtoon"},
                               headers=principal(user), timeout=30)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "unsupported_aspect" and HANGUL.search(error["message"])
    assert error["details"] == {"field": "aspect"} and _starts(user) == 0


def _refused(client: GenerationClient, body: dict, user: str, status: int, code: str) -> dict:
    response = client.http.post(client.url("/api/generations"), json={**REQUEST, **body},
                                headers=principal(user), timeout=30)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and HANGUL.search(error["message"]), error
    return error


def test_bad_style_sources_answer_korean_400_404_and_start_nothing(offline, app_env):
    owner, other = f"owner-{uuid.uuid4().hex[:8]}", f"other-{uuid.uuid4().hex[:8]}"
    earlier = offline.run({**REQUEST, "prompt": "a bibimbap bowl on a wooden table"}, headers=principal(owner))
    assert earlier["runtimeStatus"] == "Completed", earlier
    mine = {"instanceId": earlier["instanceId"], "index": 1}

    missing = _refused(offline, {"styleSource": {"uploadId": uuid.uuid4().hex}}, other, 404, "style_source_not_found")
    foreign = _refused(offline, {"styleSource": mine}, other, 404, "style_source_not_found")
    unknown = _refused(offline, {"styleSource": {"instanceId": uuid.uuid4().hex, "index": 1}}, other, 404,
                       "style_source_not_found")
    assert foreign == unknown == missing  # another user's result looks exactly like none
    _refused(offline, {"photoSource": mine}, other, 404, "photo_source_not_found")
    _refused(offline, {"styleSource": {"instanceId": earlier["instanceId"], "index": 2}}, owner, 404,
             "style_source_not_found")  # it made one image only
    junk = uuid.uuid4().hex
    storage.upload(storage.UPLOADS, f"{junk}.png", b"%PDF-1.7 not a picture", "image/png")
    _refused(offline, {"styleSource": {"uploadId": junk}}, other, 400, "style_source_not_image")
    both = _refused(offline, {"uploadId": _upload(offline)["id"], "photoSource": mine}, owner, 400,
                    "validation_error")
    assert both["details"] == {"field": "photoSource"}
    _refused(offline, {"styleSource": "my-style.png"}, other, 400, "validation_error")
    assert _starts(other) == 0 and _starts(owner) == 1  # only the earlier generation started
