"""A generation over HTTP on devhost running the real app with the offline providers (the README's
defaults): PNG and layered PSD come back through the output's links, and psd-tools reads the layers."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from shared.core import catalog
from shared.generation import job as generation
from shared.images import layers
from tests.integration.generation.generation_client import GenerationClient, assert_schema, read_psd

pytestmark = pytest.mark.slow

LAYER_NAMES = [name for _, name, _ in layers.LAYERS]  # bottom to top


@pytest.fixture(scope="module")
def client(app_host) -> GenerationClient:
    return GenerationClient(app_host.base_url)


def _check_image(client: GenerationClient, image: dict, width: int, height: int) -> None:
    assert (image["width"], image["height"]) == (width, height)
    png = client.download(image["png"]["url"])  # the fresh SAS link
    with Image.open(io.BytesIO(png)) as picture:
        assert picture.format == "PNG" and picture.size == (width, height)
    # The permanent link gives the same bytes.
    assert client.follow_asset(image["png"]["assetUrl"]) == png
    thumb = client.follow_asset(image["thumbnail"]["assetUrl"])
    with Image.open(io.BytesIO(thumb)) as picture:
        assert picture.width < width

    psd = read_psd(client.download(image["psd"]["url"]))
    assert psd.size == (width, height)
    found = [layer.name for layer in psd]
    assert found == LAYER_NAMES
    for layer in psd:
        pixels = np.asarray(layer.topil().convert("RGBA"))
        assert layer.topil().size == (layer.width, layer.height)
        assert layer.bbox[2] <= width and layer.bbox[3] <= height
        alpha = pixels[..., 3]
        if layer.name == layers.LAYER_NAMES[layers.LINE_ART]:
            # ink on a transparent background: both fully transparent and visible pixels
            assert (alpha == 0).mean() > 0.2 and alpha.max() > 0
        if layer.name == layers.LAYER_NAMES[layers.FINAL]:
            assert layer.size == (width, height) and alpha.min() == 255


def test_offline_generation_yields_png_and_layered_psd(client, app_host):
    seen: list[dict] = []
    started = client.start({"category": "국내명소", "stage": "채색 명암", "keywords": "경복궁, 봄, 벚꽃",
                            "description": "해 질 녘 경복궁 근정전 앞마당, 벚꽃이 흩날린다", "aspect": "square",
                            "variations": 2})
    status = client.wait(started, seen=seen)
    assert status["runtimeStatus"] == "Completed", status
    out = status["output"]

    stages = [s["stage"] for s in seen]
    assert stages[-1] == "done" and "review" not in stages
    order = [value for value, _, _ in catalog.STEPS]
    # Polling sees some of the steps (fast ones may pass between two polls), always in pipeline order.
    assert [order.index(s) for s in stages] == sorted(order.index(s) for s in stages)
    progress = [s["progress"] for s in seen]
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert all(s["stageLabel"] == catalog.STEP_BY_VALUE[s["stage"]][0] for s in seen)

    assert_schema("GenerationOutput", out)
    for custom in seen:
        assert_schema("GenerationStatus", custom)
    assert out["instanceId"] == started["id"]
    assert out["prompt"] and out["title"]
    assert out["layers"] == LAYER_NAMES
    assert [img["index"] for img in out["images"]] == [1, 2]
    for image in out["images"]:
        assert image["png"]["blob"] == f"outputs/{started['id']}/{image['index']}.png"
        _check_image(client, image, 1024, 1024)
    assert set(out["timings"]) >= {"embed_query", "search_references", "write_prompt", "generate_image",
                                   "make_layers"}
    assert all(isinstance(v, int) and v >= 0 for v in out["timings"].values())

    # References from the sample set, in the category and stage asked for, each with a working link.
    assert out["references"], out["warnings"]
    assert generation.WARNING_REFERENCES_FAILED not in out["warnings"]
    for ref in out["references"]:
        assert (ref["category"], ref["stage"]) == ("국내명소", "채색 명암")
        assert ref["assetUrl"].startswith("/api/assets/references/")
        assert client.follow_asset(ref["assetUrl"])
    assert seen[-1]["references"] == out["references"]
    assert seen[-1]["draft"]["prompt"] == out["prompt"]


def test_portrait_strip_with_the_artists_photo(client, app_host):
    from tests.sample_images import png_bytes, scene  # the imaging engineer's sample pictures

    upload = client.http.post(client.url("/api/uploads"), data=png_bytes(scene(900, 700, seed=3)),
                              headers={"Content-Type": "image/png"}, timeout=30)
    assert upload.status_code == 201, upload.text
    status = client.run({"category": "음식", "stage": "배경", "keywords": "떡볶이 포장마차",
                         "uploadId": upload.json()["id"]})
    assert status["runtimeStatus"] == "Completed", status
    (image,) = status["output"]["images"]
    _check_image(client, image, 1024, 1536)  # default aspect: the portrait strip


def test_a_ready_prompt_skips_prompt_writing(client):
    seen: list[dict] = []
    prompt = "A quiet hanok alley at dawn, soft mist, flat colours, no people"
    status = client.run({"category": "한국문화", "stage": "채색 기본", "keywords": "한옥 골목",
                         "prompt": prompt, "aspect": "landscape"}, seen=seen)
    assert status["runtimeStatus"] == "Completed", status
    out = status["output"]
    assert out["prompt"] == prompt
    assert "write_prompt" not in out["timings"] and "write_prompt" not in [s["stage"] for s in seen]
    assert (out["images"][0]["width"], out["images"][0]["height"]) == (1536, 1024)
