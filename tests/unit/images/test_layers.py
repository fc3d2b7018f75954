"""Layer derivation (shared.layers): what each layer contains, on a synthetic scene."""

import numpy as np
import pytest

from shared.images import layers
from tests import sample_images as samples


@pytest.fixture(scope="module")
def scene():
    return samples.scene(256, 384, seed=3)


@pytest.fixture(scope="module")
def derived(scene):
    return layers.derive_layers(scene)


def test_layer_names_in_one_place_bottom_to_top():
    assert [name for _, name, _ in layers.LAYERS] == ["완성", "기본 채색", "명암", "선화"]
    assert layers.LAYER_NAMES[layers.LINE_ART] == "선화"
    assert [key for key, *_ in layers.LAYERS] == [layers.FINAL, layers.FLAT, layers.SHADING, layers.LINE_ART]


def test_shapes_and_types(derived, scene):
    h, w = scene.shape[:2]
    assert derived.size == (w, h)
    for key, _name, _blend, array in derived.stack():
        assert array.shape == (h, w, 4) and array.dtype == np.uint8, key
    assert derived.merged.shape == (h, w, 3)
    assert np.array_equal(derived.final[..., :3], scene)
    assert (derived.final[..., 3] == 255).all() and (derived.flat[..., 3] == 255).all()


def test_input_as_png_bytes_gives_the_same_layers(scene, derived):
    again = layers.derive_layers(samples.png_bytes(scene))
    assert np.array_equal(again.line_art, derived.line_art)
    assert np.array_equal(again.flat, derived.flat)


def test_flat_colours_use_a_small_palette(derived, scene):
    colours = np.unique(derived.flat[..., :3].reshape(-1, 3), axis=0)
    assert len(colours) <= layers.FLAT_COLOURS
    assert len(np.unique(scene.reshape(-1, 3), axis=0)) > 1000  # the grain is gone
    # ... and stays close to the picture on average
    assert np.abs(derived.flat[..., :3].astype(int) - scene.astype(int)).mean() < 25


def test_line_art_is_dark_ink_on_transparent_background_following_edges():
    # A plain grey field with one black square: lines only along the square's border.
    image = np.full((120, 160, 3), 200, np.uint8)
    image[40:80, 60:100] = 0
    art = layers.derive_layers(image).line_art
    alpha = art[..., 3]
    assert (art[..., :3] == layers.INK).all()
    assert alpha[5:30, 5:50].max() == 0  # flat area far from the edge: fully transparent
    assert alpha[60, 55:105].max() == 255  # crossing the left/right border: an opaque line
    assert alpha[60, 70:90].max() == 0  # inside the square: transparent again
    assert 0.02 < (alpha > 0).mean() < 0.2


def test_shading_darkens_where_the_final_is_darker_than_flat():
    # A horizontal gradient inside one flat region: quantisation flattens it, shading restores it.
    ramp = np.linspace(120, 200, 200, dtype=np.float32)
    image = np.repeat(np.repeat(ramp[None, :, None], 100, axis=0), 3, axis=2).astype(np.uint8)
    derived = layers.derive_layers(image)
    shade = derived.shading
    assert (shade[..., 0] == shade[..., 1]).all() and (shade[..., 1] == shade[..., 2]).all()  # grey
    # Where shading is opaque, flat x shading reproduces the final's luminance closely.
    opaque = shade[..., 3] == 255
    assert opaque.any()
    rebuilt = derived.flat[..., 0].astype(np.float32) * shade[..., 0] / 255.0
    assert np.abs(rebuilt[opaque] - image[..., 0][opaque]).mean() < 4
    # Where the final is not darker than flat, the shading is transparent.
    inner = (slice(3, -3), slice(3, -3))  # away from the blur's borders
    brighter = image[..., 0].astype(int) >= derived.flat[..., 0].astype(int) + 2
    assert brighter[inner].any()
    assert (shade[..., 3][inner][brighter[inner]] == 0).mean() > 0.9


def test_merged_is_the_composite_of_the_stack(derived):
    flat = derived.flat[..., :3].astype(np.float32)
    s = derived.shading[..., 0].astype(np.float32) / 255
    sa = derived.shading[..., 3].astype(np.float32) / 255
    la = derived.line_art[..., 3:4].astype(np.float32) / 255
    expected = flat * (1 - sa * (1 - s))[..., None] * (1 - la) + np.array(layers.INK) * la
    assert np.abs(expected - derived.merged).max() <= 3
    # ... and, away from the lines, flat x shading looks like the final image
    no_line = derived.line_art[..., 3] == 0
    assert no_line.mean() > 0.5
    assert np.abs(derived.merged.astype(int) - derived.final[..., :3])[no_line].mean() < 12


def test_rgba_input_is_flattened_on_white():
    image = np.zeros((50, 50, 4), np.uint8)
    image[..., 3] = 0
    derived = layers.derive_layers(image)
    assert (derived.final[..., :3] == 255).all()
