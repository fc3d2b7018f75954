"""Layer derivation (shared.images.layers): what each layer contains, on small synthetic scenes."""

import numpy as np
import pytest

from shared.core import catalog
from shared.images import layers, lineart, shading
from tests import sample_images as samples


@pytest.fixture(scope="module")
def scene():
    return samples.scene(256, 384, seed=3)


@pytest.fixture(scope="module")
def derived(scene):
    return layers.derive_layers(scene)


def _lab(rgb):
    import cv2

    return cv2.cvtColor(np.asarray(rgb, np.float32).reshape(1, -1, 3) / 255.0, cv2.COLOR_RGB2Lab).reshape(-1, 3)


def _noisy(image, sigma=4.0, seed=0):
    rng = np.random.default_rng(seed)
    return np.clip(image.astype(np.float32) + rng.normal(0, sigma, image.shape), 0, 255).astype(np.uint8)


def test_layer_names_in_one_place_bottom_to_top():
    assert [name for _, name, _ in layers.LAYERS] == ["기본 채색", "명암", "하이라이트", "선화", "완성"]
    assert layers.BLEND_MODES == {layers.FLAT: "normal", layers.SHADING: "multiply", layers.HIGHLIGHT: "screen",
                                  layers.LINE_ART: "normal", layers.FINAL: "normal"}
    assert layers.layer_names() == layers.layer_names("배경") == [name for _, name, _ in layers.LAYERS]
    assert layers.layer_names("스케치") == ["완성", "선화"]
    assert layers.layer_names("콘티") == ["기본 채색", "선화", "완성"]
    assert set(layers.STAGE_STACKS) <= set(catalog.STAGE_BY_VALUE)  # stages named by catalog values


def test_shapes_types_and_visibility(derived, scene):
    h, w = scene.shape[:2]
    assert derived.size == (w, h)
    assert derived.names() == layers.layer_names()
    for key, _name, _blend, array in derived.stack():
        assert array.shape == (h, w, 4) and array.dtype == np.uint8, key
    assert derived.merged.shape == (h, w, 3)
    assert np.array_equal(derived.final[..., :3], scene)
    assert (derived.flat[..., 3] == 255).all() and (derived.shading[..., 3] == 255).all()
    assert not derived.visible(layers.FINAL) and derived.visible(layers.LINE_ART)


def test_input_as_png_bytes_gives_the_same_layers(scene, derived):
    again = layers.derive_layers(samples.png_bytes(scene))
    assert np.array_equal(again.line_art, derived.line_art)
    assert np.array_equal(again.flat, derived.flat)


def test_same_lightness_different_hue_border_gets_a_line():
    # Pink wall against a grey sky of the same CIELAB lightness: a luminance edge detector sees
    # (almost) nothing here, the colour edges must.
    pink, grey = np.array([205, 140, 160]), np.array([158, 158, 158])
    assert abs(_lab(pink)[0, 0] - _lab(grey)[0, 0]) < 2.0
    image = np.empty((160, 200, 3), np.uint8)
    image[:, :100], image[:, 100:] = grey, pink
    art = layers.derive_layers(_noisy(image)).line_art
    alpha = art[..., 3]
    assert (art[..., :3] == layers.INK).all()
    rows_with_line = (alpha[10:-10, 97:104] >= 128).any(axis=1)
    assert rows_with_line.mean() > 0.95  # continuous along the border
    assert alpha[:, :90].max() == 0 and alpha[:, 110:].max() == 0  # nothing in the flat parts


def test_gradient_sky_is_one_flat_and_shading_restores_it():
    # A sky that changes hue and lightness top to bottom, a building of another colour beside it.
    h, w = 240, 160
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    image = np.broadcast_to((1 - t) * [120, 170, 235] + t * [205, 200, 220], (h, w, 3)).copy()
    image[60:, 100:] = [150, 90, 60]
    image = _noisy(image.astype(np.uint8), sigma=3.0)
    derived = layers.derive_layers(image)
    flat = derived.flat[..., :3]
    sky = flat[5:-5, 5:90].reshape(-1, 3)
    assert len(np.unique(sky, axis=0)) == 1  # one colour, no bands
    building = flat[70:-5, 110:-5].reshape(-1, 3)
    assert len(np.unique(building, axis=0)) == 1 and not np.array_equal(building[0], sky[0])
    off_line = derived.line_art[..., 3] == 0
    error = np.abs(derived.merged.astype(int) - image.astype(int))[off_line].mean()
    assert error < 4.0  # flats x shading + highlights give the gradient back


def test_reconstruction_error_is_small_on_a_city_scene(derived, scene):
    # Off the line art (the ink is drawn over the picture's borders by design) the stack gives the
    # picture back within a few levels; the flats alone are twice as far off.
    off_line = derived.line_art[..., 3] == 0
    assert off_line.mean() > 0.5
    error = np.abs(derived.merged.astype(int) - scene.astype(int))[off_line].mean()
    assert error < 6.0
    flats_only = np.abs(derived.flat[..., :3].astype(int) - scene.astype(int))[off_line].mean()
    assert error < flats_only / 1.8  # the shading layers carry the light, not the flats


def test_no_speckle_every_region_is_one_colour_and_borders_follow_the_lines():
    import cv2

    # at 512 px a window is 8x16 px: a region of its own, not speckle (at 256 px it would be 2x4)
    derived = layers.derive_layers(samples.scene(512, 768, seed=3))
    flat = derived.flat[..., :3]
    packed = (flat[..., 0].astype(np.int32) << 16) | (flat[..., 1].astype(np.int32) << 8) | flat[..., 2]
    specks = []
    for colour in np.unique(packed):
        count, _, stats, _ = cv2.connectedComponentsWithStats((packed == colour).astype(np.uint8), connectivity=8)
        specks += [area for area in stats[1:, cv2.CC_STAT_AREA] if area < 20]
    # speckle is rare (a few pixels where floods meet under a line), not a texture of the flats
    assert len(specks) < 10 and sum(specks) < 2e-4 * packed.size
    border = np.zeros(packed.shape, bool)
    border[:, 1:] |= packed[:, 1:] != packed[:, :-1]
    border[1:] |= packed[1:] != packed[:-1]
    near_line = cv2.dilate((derived.line_art[..., 3] > 0).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert near_line[border].mean() > 0.8  # region borders agree with the line art


def test_short_fragments_of_grain_give_no_lines():
    image = _noisy(np.full((200, 200, 3), 128, np.uint8), sigma=8.0)
    image[50, 50] = 0  # a speck
    assert layers.derive_layers(image).line_art[..., 3].max() == 0


def test_line_weight_setting_widens_strokes_and_strokes_are_anti_aliased():
    image = np.full((160, 160, 3), 220, np.uint8)
    image[40:120, 40:120] = [60, 90, 140]
    covered = {}
    for weight in layers.LINE_WEIGHTS:
        alpha = layers.derive_layers(image, line_weight=weight).line_art[..., 3]
        covered[weight] = (alpha.astype(np.float32) / 255).sum()
        assert ((alpha > 0) & (alpha < 255)).any(), weight  # soft edges, not a hard mask
    assert covered["thin"] < covered["normal"] < covered["bold"]
    assert 1.7 < covered["bold"] / covered["thin"] < 3.5


def test_detail_setting_bounds_the_number_of_regions(scene):
    counts = {d: layers.derive_layers(scene, detail=d).region_count for d in layers.DETAILS}
    assert counts["low"] <= counts["normal"] <= counts["high"]
    assert counts["low"] < counts["high"]


def test_unknown_settings_are_refused(scene):
    with pytest.raises(ValueError, match="line_weight"):
        layers.derive_layers(scene, line_weight="heavy")
    with pytest.raises(ValueError, match="detail"):
        layers.derive_layers(scene, detail="max")


def test_sketch_stage_gets_the_image_and_the_line_art_only(scene):
    sketch = layers.derive_layers(scene, stage="스케치")
    assert [key for key, *_ in sketch.stack()] == [layers.FINAL, layers.LINE_ART]
    assert sketch.flat is None and sketch.shading is None
    assert sketch.visible(layers.FINAL)
    expected = shading.composite(scene, line_layer=sketch.line_art)
    assert np.array_equal(sketch.merged, expected)


def test_storyboard_stage_gets_grey_flats(scene):
    board = layers.derive_layers(scene, stage="콘티")
    flat = board.flat[..., :3]
    assert (flat[..., 0] == flat[..., 1]).all() and (flat[..., 1] == flat[..., 2]).all()
    assert board.shading is None and board.names() == ["기본 채색", "선화", "완성"]


def test_merged_is_the_composite_of_the_stack(derived):
    f = derived.flat[..., :3].astype(np.float64) / 255
    m = derived.shading[..., :3].astype(np.float64) / 255
    s = derived.highlight[..., :3].astype(np.float64) / 255
    a = derived.line_art[..., 3:4].astype(np.float64) / 255
    expected = (1 - (1 - f * m) * (1 - s)) * (1 - a) + np.array(lineart.INK) / 255 * a
    assert np.abs(expected * 255 - derived.merged).max() <= 2.5


def test_rgba_input_is_flattened_on_white():
    image = np.zeros((50, 50, 4), np.uint8)
    derived = layers.derive_layers(image)
    assert (derived.final[..., :3] == 255).all()
    assert layers.derive_layers(image).region_count == 1
