"""The layered PSD (shared.images.psd) from both writers, each forced by the PSD_WRITER setting (ImageMagick
through Wand, and psd-tools for hosts without ImageMagick's library), read back by psd-tools."""

import io

import numpy as np
import pytest
from PIL import Image

from shared.core import config
from shared.images import layers, psd
from tests import sample_images as samples

needs_wand = pytest.mark.skipif(not psd.wand_available(),
                                reason="ImageMagick's library is missing: run scripts/bootstrap.sh")


def _use_writer(monkeypatch, name: str) -> None:
    monkeypatch.setenv("PSD_WRITER", name)
    config.reset_settings()
    psd.reset_writer()


@pytest.fixture(autouse=True)
def _forget_the_writer():
    yield
    config.reset_settings()
    psd.reset_writer()


@pytest.fixture(scope="module")
def derived():
    return layers.derive_layers(samples.scene(1024, 1536, seed=1))


@pytest.fixture(scope="module", params=[pytest.param("wand", marks=needs_wand), "psd-tools"])
def document(request, derived, artifacts_dir):
    from psd_tools import PSDImage

    with pytest.MonkeyPatch.context() as monkeypatch:
        _use_writer(monkeypatch, request.param)
        assert psd.psd_writer()[0] == request.param
        data = psd.write_layered_psd(derived)
    config.reset_settings()
    psd.reset_writer()
    (artifacts_dir / f"layered-sample-{request.param}.psd").write_bytes(data)
    return data, PSDImage.open(io.BytesIO(data))


def test_five_named_layers_bottom_to_top_full_size(document):
    _, doc = document
    assert (doc.width, doc.height) == (1024, 1536)
    assert [layer.name for layer in doc] == ["기본 채색", "명암", "하이라이트", "선화", "완성"]
    for layer in doc:
        assert layer.size == (1024, 1536) and layer.offset == (0, 0), layer.name
        assert layer.kind == "pixel"
    blend = {layer.name: layer.blend_mode.name for layer in doc}
    assert blend == {"기본 채색": "NORMAL", "명암": "MULTIPLY", "하이라이트": "SCREEN", "선화": "NORMAL",
                     "완성": "NORMAL"}
    visible = {layer.name: layer.visible for layer in doc}
    assert visible == {"기본 채색": True, "명암": True, "하이라이트": True, "선화": True, "완성": False}


def test_declares_the_resolution(document, derived):
    from psd_tools import PSDImage
    from psd_tools.constants import Resource

    _, doc = document
    info = doc.image_resources.get_data(Resource.RESOLUTION_INFO)
    assert round(info.horizontal / 65536, 2) == round(info.vertical / 65536, 2) == psd.DEFAULT_PPI
    assert info.horizontal_unit == info.vertical_unit == 1  # pixels per inch
    other = PSDImage.open(io.BytesIO(psd.write_psd_tools(derived, ppi=72)))
    assert round(other.image_resources.get_data(Resource.RESOLUTION_INFO).horizontal / 65536) == 72


def test_layer_pixels_and_transparency_survive(document, derived):
    _, doc = document
    by_name = {layer.name: np.asarray(layer.topil()) for layer in doc}
    line_art = by_name["선화"]
    assert line_art.shape == (1536, 1024, 4)
    alpha = line_art[..., 3]
    assert (alpha == 0).mean() > 0.5  # mostly transparent ...
    assert (alpha == 255).any()  # ... with opaque lines
    assert np.array_equal(alpha, derived.line_art[..., 3])
    assert np.array_equal(by_name["완성"][..., :3], derived.final[..., :3])
    assert np.array_equal(by_name["기본 채색"][..., :3], derived.flat[..., :3])
    assert np.array_equal(by_name["명암"], derived.shading)
    assert np.array_equal(by_name["하이라이트"], derived.highlight)


def test_merged_image_first_and_matches_the_layers(document, derived):
    _, doc = document
    merged = np.asarray(doc.topil().convert("RGB"))
    assert np.array_equal(merged, derived.merged)
    recomposed = np.asarray(doc.composite(force=True).convert("RGB")).astype(int)
    assert np.abs(recomposed - merged).mean() < 2.0  # psd-tools' own blending of the visible layers
    off_line = derived.line_art[..., 3] == 0  # the ink is drawn over the picture's borders by design
    picture = derived.final[..., :3].astype(int)
    assert np.abs(recomposed - picture)[off_line].mean() < 6.0  # ... which looks like the picture


def test_rle_compressed_and_names_stored_as_unicode(document):
    data, doc = document
    raw_size = 1024 * 1536 * (3 + 5 * 4)
    assert len(data) < raw_size * 0.8  # RLE: transparent line art and flat colours pack well
    assert data.count(b"8BIMluni") == 5
    assert "하이라이트".encode("utf-16-be") in data
    from psd_tools.constants import Compression

    assert doc._record.image_data.compression == Compression.RLE


@pytest.mark.parametrize("writer", [pytest.param("wand", marks=needs_wand), "psd-tools"])
@pytest.mark.parametrize(("stage", "names"), [("스케치", ["완성", "선화"]), ("콘티", ["기본 채색", "선화", "완성"])])
def test_stage_stacks_are_written_as_derived(writer, stage, names):
    from psd_tools import PSDImage

    derived = layers.derive_layers(samples.scene(256, 384, seed=4), stage=stage)
    write = psd.write_psd_wand if writer == "wand" else psd.write_psd_tools
    doc = PSDImage.open(io.BytesIO(write(derived)))
    assert [layer.name for layer in doc] == names
    assert [layer.visible for layer in doc] == [derived.visible(key) for key, *_ in derived.stack()]
    assert np.array_equal(np.asarray(doc.topil().convert("RGB")), derived.merged)


@needs_wand
def test_unicode_names_patch_keeps_other_names_and_is_readable():
    from psd_tools import PSDImage
    from wand.image import Image as WandImage

    with WandImage() as document:
        for label in (None, "plain", "kept"):
            frame = WandImage.from_array(np.full((8, 12, 4), 90, np.uint8), channel_map="RGBA")
            if label:
                frame.metadata["label"] = label
            document.sequence.append(frame)
            frame.close()
        document.format = "psd"
        raw = document.make_blob()
    patched = psd.add_unicode_names(raw, {"plain": "평범한 레이어"}, hidden={"kept"})
    doc = PSDImage.open(io.BytesIO(patched))
    assert [layer.name for layer in doc] == ["평범한 레이어", "kept"]
    assert [layer.visible for layer in doc] == [True, False]
    assert all(np.asarray(layer.topil())[..., 0].max() == 90 for layer in doc)
    with pytest.raises(ValueError):
        psd.add_unicode_names(b"not a psd at all" * 4, {})


def test_render_outputs_png_psd_thumbnail():
    image = samples.png_bytes(samples.scene(512, 768, seed=2))
    out = psd.render_outputs(image)
    assert (out.width, out.height) == (512, 768)
    png = Image.open(io.BytesIO(out.png))
    assert png.format == "PNG" and png.size == (512, 768)
    thumb = Image.open(io.BytesIO(out.thumbnail))
    assert thumb.size == (256, 384) and out.thumbnail_content_type == "image/webp"
    assert out.psd[:4] == b"8BPS"
    from psd_tools import PSDImage

    sketch = psd.render_outputs(image, stage="스케치", line_weight="bold", detail="low")
    assert [layer.name for layer in PSDImage.open(io.BytesIO(sketch.psd))] == ["완성", "선화"]


def test_auto_picks_wand_when_its_library_loads_else_psd_tools(monkeypatch):
    _use_writer(monkeypatch, "auto")
    expected = "wand" if psd.wand_available() else "psd-tools"
    name, write = psd.psd_writer()
    assert name == expected and psd.psd_writer()[1] is write  # chosen once, then kept
    monkeypatch.setenv("PSD_WRITER", "psd-tools")
    config.reset_settings()
    assert psd.psd_writer()[0] == expected  # a later change of setting needs a new process (or reset)
    psd.reset_writer()
    assert psd.psd_writer()[0] == "psd-tools"


def test_auto_without_imagemagick_uses_psd_tools(monkeypatch):
    """As on Flex Consumption: the library does not load, so auto means psd-tools; forcing wand fails
    clearly instead of at the first PSD."""
    monkeypatch.setattr(psd, "wand_available", lambda: False)
    _use_writer(monkeypatch, "auto")
    assert psd.psd_writer()[0] == "psd-tools"
    _use_writer(monkeypatch, "wand")
    with pytest.raises(RuntimeError, match="MagickWand"):
        psd.psd_writer()


def test_an_unknown_writer_setting_is_refused(monkeypatch):
    monkeypatch.setenv("PSD_WRITER", "gimp")
    config.reset_settings()
    with pytest.raises(ValueError, match="PSD_WRITER"):
        config.get_settings()
