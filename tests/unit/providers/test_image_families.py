"""The image model families of the catalog (one table: sizes, inputs, qualities) and which family the
configured image generator belongs to."""

from __future__ import annotations

import pytest

from shared.core import catalog
from shared.core.config import Settings
from shared.providers import registry


def _ratio(size: str) -> float:
    w, h = (int(v) for v in size.split("x"))
    return w / h


def test_every_family_makes_square_portrait_and_landscape():
    for family in catalog.IMAGE_MODEL_FAMILIES:
        assert {"square", "portrait", "landscape"} <= set(family.sizes), family.value
        assert _ratio(family.sizes["square"]) == 1
        assert _ratio(family.sizes["portrait"]) < 1 < _ratio(family.sizes["landscape"])


def test_the_tall_strip_and_the_large_size_only_where_the_family_supports_them():
    webtoon = catalog.aspect("webtoon")
    assert (webtoon.width, webtoon.height) == (1152, 2048) and abs(webtoon.width / webtoon.height - 9 / 16) < 0.01
    offered = {f.value: {a.value for a in catalog.aspects_for(f.value)} for f in catalog.IMAGE_MODEL_FAMILIES}
    assert offered["local"] == {a.value for a in catalog.ASPECTS}  # the offline renderer makes every size
    assert offered["gpt-image-2"] == offered["local"]
    assert offered["gpt-image"] == offered["dall-e-3"] == {"square", "portrait", "landscape"}


def test_aspects_of_the_catalog_answer_follow_the_family():
    default = [a["value"] for a in catalog.as_json()["aspects"]]
    assert default == [a.value for a in catalog.ASPECTS]
    assert [a["value"] for a in catalog.as_json("dall-e-3")["aspects"]] == ["square", "portrait", "landscape"]


def test_input_image_limits():
    assert catalog.image_model_family("dall-e-3").max_input_images == 0  # text only
    assert catalog.image_model_family("gpt-image").max_input_images == 16
    assert catalog.image_model_family("dall-e-3").max_per_call == 1


@pytest.mark.parametrize("settings, family", [
    (Settings(), "local"),
    (Settings(image_provider="azure_openai", image_model_family="gpt-image-2"), "gpt-image-2"),
    (Settings(image_provider="openai", image_model_family="dall-e-3"), "dall-e-3"),
])
def test_the_configured_generator_family(settings, family):
    assert registry.image_model_family(settings) == family
