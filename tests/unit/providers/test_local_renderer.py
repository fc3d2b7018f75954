"""The local image generator: exact sizes, determinism, seeded variations, the look of each art stage,
the source photo actually used."""

from __future__ import annotations

import io
from functools import cache

import numpy as np
import pytest
from PIL import Image, ImageFilter

from shared.core import catalog
from shared.core.config import Settings
from shared.core.errors import ValidationError
from shared.images.codec import open_rgb, png_size
from shared.providers.local_renderer import LocalImageGenerator
from shared.providers.scene import procedural_scene

PROMPT = "Korean webtoon background of a hanok village at dusk with mountains"


@cache
def photo(kind: str = "dusk", size=(900, 640)) -> bytes:
    """A photo-like JPEG: a drawn scene, blurred, with sensor noise."""
    prompt = {"dusk": "hanok village at dusk, mountains, autumn maple",
              "red": "autumn maple ginkgo fallen leaves, a city street at dusk"}[kind]
    scene = procedural_scene(prompt, size[0], size[1], 11)
    arr = np.asarray(scene.filter(ImageFilter.GaussianBlur(2)), dtype=np.float32)
    arr += np.random.default_rng(5).normal(0, 9, arr.shape)
    if kind == "red":
        arr[..., 0] = arr[..., 0] * 0.4 + 150
        arr[..., 2] *= 0.4
    buf = io.BytesIO()
    Image.fromarray(arr.clip(0, 255).astype(np.uint8)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


@cache
def render(stage: str, aspect: str = "portrait", variations: int = 1, source: str | None = "dusk",
           prompt: str = PROMPT) -> tuple[bytes, ...]:
    return tuple(LocalImageGenerator().generate(prompt, catalog.aspect(aspect), variations, stage=stage,
                                                photo=photo(source) if source else None))


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int16)


@pytest.mark.parametrize("aspect", ["square", "portrait", "landscape"])
def test_exact_size_for_each_aspect_with_and_without_a_source(aspect):
    a = catalog.aspect(aspect)
    for source in ("dusk", None):
        (png,) = render("채색 기본", aspect, 1, source)
        assert png_size(png) == (a.width, a.height)
        assert Image.open(io.BytesIO(png)).size == (a.width, a.height)


def test_deterministic_for_the_same_inputs():
    first = LocalImageGenerator().generate(PROMPT, catalog.aspect("square"), 2, stage="채색 명암",
                                           photo=photo())
    again = LocalImageGenerator().generate(PROMPT, catalog.aspect("square"), 2, stage="채색 명암",
                                           photo=photo())
    assert first == again
    procedural = LocalImageGenerator().generate(PROMPT, catalog.aspect("square"), 1, stage="배경",
                                                photo=None)
    assert procedural == list(render("배경", "square", 1, None))


def test_variations_differ():
    images = render("채색 기본", "portrait", 3)
    assert len(images) == 3 and len(set(images)) == 3
    a, b = pixels(images[0]), pixels(images[1])
    assert np.abs(a - b).mean() > 3  # visibly different, not a few changed bytes
    no_source = render("배경", "portrait", 2, None)
    assert np.abs(pixels(no_source[0]) - pixels(no_source[1])).mean() > 3


def test_conti_is_greyscale():
    img = pixels(render("콘티")[0])
    assert (img[..., 0] == img[..., 1]).all() and (img[..., 1] == img[..., 2]).all()
    assert 120 < img.mean() < 245  # grey tones, not a black or blank page
    assert (img[..., 0] < 120).mean() > 0.002  # with pencil lines


def test_sketch_is_mostly_white_with_dark_lines():
    img = pixels(render("스케치")[0])
    grey = img.mean(axis=2)
    assert (grey > 240).mean() > 0.85
    dark = (grey < 100).mean()
    assert 0.002 < dark < 0.1
    assert (np.abs(img[..., 0] - img[..., 2]) < 3).all()  # black on white, no colour


def test_colour_stages_are_coloured_flat_and_differ():
    flat, shaded, final = (pixels(render(s)[0]) for s in ("채색 기본", "채색 명암", "배경"))
    for img in (flat, shaded, final):
        assert (img.max(axis=2) - img.min(axis=2)).mean() > 20  # real colour
    # Flat colours: the photo's noise is gone (neighbouring pixels agree far more often).
    source = np.asarray(open_rgb(photo()).resize((1024, 1536)), dtype=np.int16)

    def same_as_neighbour(img):
        return (np.abs(np.diff(img, axis=1)).sum(axis=2) == 0).mean()

    assert same_as_neighbour(flat) > 0.5 > same_as_neighbour(source)
    # Shading darkens part of the picture compared with flat colours; the looks are all different.
    assert np.percentile(shaded.mean(axis=2), 10) < np.percentile(flat.mean(axis=2), 10)
    assert np.abs(flat - shaded).mean() > 5 and np.abs(flat - final).mean() > 5


def test_the_source_photo_drives_the_colours():
    red = pixels(render("채색 기본", "square", 1, "red")[0])
    dusk = pixels(render("채색 기본", "square", 1, "dusk")[0])
    assert red[..., 0].mean() - red[..., 2].mean() > 60
    assert abs(red[..., 0].mean() - dusk[..., 0].mean()) > 20


def test_procedural_scene_follows_the_prompt():
    night = pixels(render("배경", "square", 1, None, "N Seoul Tower at night, city street")[0])
    day = pixels(render("배경", "square", 1, None, "a sunny spring park with cherry blossoms")[0])
    assert night.mean() + 40 < day.mean()


def test_unreadable_source_is_a_korean_validation_error():
    with pytest.raises(ValidationError) as info:
        LocalImageGenerator().generate(PROMPT, catalog.aspect("square"), 1, stage="배경",
                                       photo=b"not an image at all")
    assert info.value.code == "bad_source_image" and "이미지" in info.value.message


def test_registry_default_is_the_local_renderer():
    from shared.providers.registry import image_generator

    assert isinstance(image_generator(Settings()), LocalImageGenerator)


def test_one_provider_object_per_settings_so_sdk_clients_are_reused():
    from shared.providers.registry import image_generator

    assert image_generator(Settings()) is image_generator(Settings())
    assert image_generator(Settings()) is not image_generator(Settings(image_quality="high"))


# --- the same inputs as a remote model (issue 12) -----------------------------------------------

def _solid(colour, size=(320, 240)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return buf.getvalue()


def _palette_distance(png: bytes, source: bytes) -> float:
    """Distance between the CIELAB mean colours of two images."""
    from shared.providers.palette import lab_stats

    a, b = lab_stats(Image.open(io.BytesIO(png))), lab_stats(Image.open(io.BytesIO(source)))
    return float(np.linalg.norm(np.subtract(a.mean, b.mean)))


@pytest.mark.parametrize("aspect", [a.value for a in catalog.ASPECTS])
def test_every_catalog_aspect_is_made_at_its_exact_size(aspect):
    a = catalog.aspect(aspect)
    (png,) = LocalImageGenerator().generate(PROMPT, a, 1, stage="채색 기본", photo=photo())
    assert png_size(png) == (a.width, a.height)


STYLE_SOURCE = _solid((40, 170, 120))  # a teal chapter look, far from the dusk photo's palette


@pytest.mark.parametrize("stage", ["채색 기본", "채색 명암", "배경"])
def test_style_source_pulls_every_result_toward_its_palette(stage):
    generator = LocalImageGenerator()
    for prompt in (PROMPT, "a city street at night with neon signs"):
        plain = generator.generate(prompt, catalog.aspect("square"), 1, stage=stage, photo=photo())
        styled = generator.generate(prompt, catalog.aspect("square"), 1, stage=stage, photo=photo(),
                                    style_image=STYLE_SOURCE)
        assert _palette_distance(styled[0], STYLE_SOURCE) < _palette_distance(plain[0], STYLE_SOURCE) * 0.6


def test_references_palettes_are_blended_in_lightly_and_the_photo_keeps_the_composition():
    generator = LocalImageGenerator()
    reference = _solid((60, 80, 220))
    plain = generator.generate(PROMPT, catalog.aspect("square"), 1, stage="채색 기본", photo=photo())[0]
    blended = generator.generate(PROMPT, catalog.aspect("square"), 1, stage="채색 기본", photo=photo(),
                                 references=[reference])[0]
    styled = generator.generate(PROMPT, catalog.aspect("square"), 1, stage="채색 기본", photo=photo(),
                                style_image=reference)[0]
    plain_d, blended_d, styled_d = (_palette_distance(p, reference) for p in (plain, blended, styled))
    assert styled_d < blended_d < plain_d  # references pull, the style source pulls harder
    # The composition is still the photo's: the grey structure stays close to the plain draft's.
    grey = [pixels(p).mean(axis=2) for p in (plain, blended)]
    assert np.corrcoef(grey[0].ravel(), grey[1].ravel())[0, 1] > 0.6


def test_without_a_photo_the_best_reference_is_the_composition_and_grey_stages_stay_grey():
    generator = LocalImageGenerator()
    from_reference = generator.generate(PROMPT, catalog.aspect("square"), 1, stage="채색 기본",
                                        references=[photo("red")])[0]
    red = pixels(from_reference)
    assert red[..., 0].mean() - red[..., 2].mean() > 60  # drawn from the red reference
    conti = pixels(generator.generate(PROMPT, catalog.aspect("square"), 1, stage="콘티", photo=photo(),
                                      style_image=STYLE_SOURCE)[0])
    assert (conti[..., 0] == conti[..., 1]).all() and (conti[..., 1] == conti[..., 2]).all()
