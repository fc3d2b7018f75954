"""The image codec (shared.images.codec: sniffing, decoding, fitting, encoders) and upload normalisation
(shared.images.uploads: bombs, EXIF, metadata, fitting)."""

import io

import pytest
from PIL import Image

from shared.core.errors import NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationError
from shared.images import codec
from shared.images import uploads as imaging
from tests import sample_images as samples


def _open(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_accepted_formats_are_sniffed_and_stored_as_png(fmt):
    buf = io.BytesIO()
    samples.halves(64, 40).save(buf, fmt)
    data = buf.getvalue()
    assert codec.sniff_format(data) == fmt

    result = imaging.normalize_upload(data)

    assert result.source_format == fmt
    assert (result.width, result.height) == (64, 40)
    stored = _open(result.png)
    assert stored.format == "PNG" and stored.mode == "RGB"
    left, right = stored.getpixel((5, 20)), stored.getpixel((60, 20))
    assert left[0] > 200 and left[2] < 60  # red half stays red
    assert right[2] > 200 and right[0] < 60


def test_gif_first_frame_is_used():
    frames = [Image.new("RGB", (32, 32), colour) for colour in ((0, 200, 0), (200, 0, 0))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100)
    stored = _open(imaging.normalize_upload(buf.getvalue()).png)
    r, g, b = stored.getpixel((16, 16))
    assert g > 150 and r < 50


@pytest.mark.parametrize("data", [
    "그냥 텍스트 파일입니다.\n".encode(),
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n",
    b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    b"BM" + b"\0" * 100,  # BMP: a real image format, but not one we take
])
def test_non_images_are_415_whatever_they_claim(data):
    with pytest.raises(UnsupportedMediaType) as exc:
        imaging.normalize_upload(data)
    assert exc.value.status == 415
    assert "이미지" in exc.value.message


def test_header_claiming_60000_square_is_refused_before_decoding():
    data = samples.png_claiming(60000, 60000)
    assert len(data) < 200
    with pytest.raises(ValidationError) as exc:
        imaging.normalize_upload(data)
    assert exc.value.status == 400
    assert exc.value.code == "image_too_many_pixels"
    assert "해상도" in exc.value.message and "4,000만 화소" in exc.value.message  # 40 MP in Korean units


def test_real_decodable_image_over_the_pixel_limit_is_refused():
    data = samples.png_bytes(Image.new("L", (8000, 6000), 255), optimize=False, compress_level=9)
    assert len(data) < 1024 * 1024  # small file, 48 megapixels
    with pytest.raises(ValidationError) as exc:
        imaging.normalize_upload(data)
    assert exc.value.code == "image_too_many_pixels"
    # Under the limit the same kind of file is fine (and fitted):
    ok = imaging.normalize_upload(samples.png_bytes(Image.new("L", (3000, 2000), 255)))
    assert (ok.width, ok.height) == (1024, 683)


def test_truncated_image_is_400_not_500():
    buf = io.BytesIO()
    samples.halves(200, 200).save(buf, "PNG")
    with pytest.raises(ValidationError) as exc:
        imaging.normalize_upload(buf.getvalue()[:120])
    assert exc.value.status == 400 and exc.value.code == "broken_image"


def test_too_many_bytes_is_413():
    with pytest.raises(PayloadTooLarge) as exc:
        imaging.normalize_upload(b"\x89PNG\r\n\x1a\n" + b"\0" * 2000, max_bytes=1000)
    assert exc.value.status == 413 and "너무 큽니다" in exc.value.message


def test_exif_orientation_is_applied_and_metadata_dropped():
    # Stored 200x100 with red on the left; orientation 6 means "rotate 90 degrees clockwise to view",
    # so the viewer sees 100x200 with red at the top.
    data = samples.jpeg_with_exif(samples.halves(200, 100), orientation=6, gps=True)
    assert Image.open(io.BytesIO(data)).getexif().get(0x0112) == 6
    assert b"TestCam 9000" in data

    result = imaging.normalize_upload(data)

    assert (result.width, result.height) == (100, 200)
    stored = _open(result.png)
    top, bottom = stored.getpixel((50, 20)), stored.getpixel((50, 180))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60
    assert set(samples.png_chunks(result.png)) == {b"IHDR", b"IDAT", b"IEND"}  # no eXIf/tEXt/iCCP
    assert not stored.getexif()
    assert b"TestCam" not in result.png and b"Exif" not in result.png
    assert not stored.info.get("exif") and not stored.info.get("icc_profile")


def test_large_image_is_fitted_within_1024_keeping_aspect():
    buf = io.BytesIO()
    samples.halves(3000, 1200).save(buf, "JPEG", quality=90)
    result = imaging.normalize_upload(buf.getvalue())
    assert (result.width, result.height) == (1024, 410)
    assert _open(result.png).size == (1024, 410)


def test_transparency_is_kept_only_when_used():
    rgba = Image.new("RGBA", (40, 40), (10, 20, 30, 255))
    rgba.putpixel((3, 3), (0, 0, 0, 0))
    kept = imaging.normalize_upload(samples.png_bytes(rgba))
    assert kept.has_alpha and _open(kept.png).mode == "RGBA"
    opaque = imaging.normalize_upload(samples.png_bytes(Image.new("RGBA", (40, 40), (10, 20, 30, 255))))
    assert not opaque.has_alpha and _open(opaque.png).mode == "RGB"


def test_content_hash_is_of_the_uploaded_bytes():
    import hashlib

    data = samples.png_bytes(samples.halves(20, 20))
    assert imaging.normalize_upload(data).sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("bad", ["", "../etc/passwd", "ABCDEF" * 6, "0" * 31, "0" * 33, "g" * 32,
                                 "0" * 32 + "/x", "0" * 32 + ".png", None])
def test_malformed_upload_ids_are_not_found(bad):
    with pytest.raises(NotFound) as exc:
        imaging.upload_blob_name(bad)
    assert exc.value.status == 404 and "이미지" in exc.value.message


def test_thumbnail_is_a_small_webp():
    data, content_type = codec.thumbnail(samples.png_bytes(samples.scene(512, 768)))
    assert content_type == "image/webp"
    thumb = _open(data)
    assert thumb.format == "WEBP" and thumb.size == (256, 384)


def test_png_encoder_round_trips_pixels():
    array = samples.scene(64, 96)
    import numpy as np

    assert np.array_equal(np.asarray(_open(codec.encode_png(array))), array)


def test_exif_orientation_is_applied_and_alpha_flattened():
    img = Image.new("RGB", (200, 100), (255, 0, 0))
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    assert codec.open_rgb(buf.getvalue()).size == (100, 200)
    rgba = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    buf = io.BytesIO()
    rgba.save(buf, "PNG")
    assert codec.open_rgb(buf.getvalue()).getpixel((0, 0)) == (255, 255, 255)


def test_cover_box_and_fit_png():
    assert codec.cover_box(2000, 1000, 1024, 1024) == (500.0, 0.0, 1500.0, 1000.0)
    x0, y0, x1, y1 = codec.cover_box(1024, 1792, 1024, 1536)
    assert (x0, x1) == (0.0, 1024.0) and round(y1 - y0) == 1536 and round(y0) == 128
    exact = codec.encode_png(Image.new("RGB", (1024, 1024), (9, 9, 9)))
    assert codec.fit_png(exact, 1024, 1024) is exact  # already right: untouched
    buf = io.BytesIO()
    Image.new("RGB", (1024, 1792), (1, 2, 3)).save(buf, "JPEG")
    fitted = codec.fit_png(buf.getvalue(), 1024, 1536)
    assert codec.png_size(fitted) == (1024, 1536)
    assert codec.png_size(b"GIF89a" + b"\0" * 30) is None


# --- the memory budget of decoding --------------------------------------------------------------

def _flat_png(width: int, height: int, mode: str = "RGB") -> bytes:
    return samples.png_bytes(Image.new(mode, (width, height), (30, 60, 90, 255)[: len(mode)]), compress_level=9)


def test_a_decode_bigger_than_the_budget_is_refused_before_decoding():
    budget = codec.DecodeBudget(2 * 1024 * 1024)
    data = _flat_png(1000, 1000)  # about 4 MB as a bitmap, a few KB as a file
    with pytest.raises(ValidationError) as exc:
        codec.open_image(data, budget=budget)
    assert exc.value.code == "image_too_many_pixels" and "해상도" in exc.value.message
    assert exc.value.details["maxPixels"] < 1_000_000  # the limit the budget allows, in the message
    assert budget.peak == 0  # nothing was reserved, nothing decoded
    small = codec.open_image(_flat_png(300, 300), budget=budget)
    assert small.size == (300, 300) and 0 < budget.peak <= budget.total and budget.in_use == 0


def test_png_is_reduced_right_after_decoding_and_costs_less():
    data = _flat_png(6000, 1200)
    full, reduced = codec.DecodeBudget(1024 ** 3), codec.DecodeBudget(1024 ** 3)
    assert codec.open_image(data, budget=full).size == (6000, 1200)
    picture = codec.open_image(data, max_side=1000, budget=reduced)
    assert picture.size == (3000, 600)  # a whole factor, still >= 3x the wanted side
    assert reduced.peak < full.peak * 0.75
    assert codec.fit_within(picture, 1000).size == (1000, 200)


def test_jpeg_is_decoded_at_a_reduced_dct_scale():
    buf = io.BytesIO()
    samples.halves(4000, 3000).save(buf, "JPEG", quality=80)
    budget = codec.DecodeBudget(1024 ** 3)
    picture = codec.open_image(buf.getvalue(), max_side=1024, budget=budget)
    assert picture.size == (2000, 1500)  # 1/2 scale: the smallest that keeps >= 1024 px
    assert budget.peak < 4000 * 3000 * 4  # less than one full-size bitmap


def test_parallel_decodes_wait_for_the_budget_instead_of_adding_up():
    import threading

    data = _flat_png(1500, 1500)
    one = codec.decode_cost(1500, 1500, "RGB", 500)
    budget = codec.DecodeBudget(int(one * 1.5))  # room for one decode at a time
    sizes, start = [], threading.Barrier(4)

    def decode():
        start.wait()
        sizes.append(codec.open_image(data, max_side=500, budget=budget).size)

    threads = [threading.Thread(target=decode) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sizes == [(1500, 1500)] * 4  # all decoded
    assert budget.peak == one and budget.in_use == 0  # never two at once


def test_a_decode_that_waits_too_long_for_the_budget_is_a_korean_503():
    from shared.core.errors import ServiceUnavailable

    budget = codec.DecodeBudget(10 * 1024 * 1024, wait_seconds=0.05)
    with budget.reserve(9 * 1024 * 1024), pytest.raises(ServiceUnavailable) as exc:
        codec.open_image(_flat_png(1000, 1000), budget=budget)
    assert exc.value.status == 503 and "잠시 후" in exc.value.message
    assert budget.in_use == 0


def test_uploads_references_and_generated_images_share_the_budget(monkeypatch):
    from shared.core import catalog
    from shared.providers.local_renderer import LocalImageGenerator
    from shared.references import embedding

    monkeypatch.setattr(codec, "DECODE_BUDGET", codec.DecodeBudget(1024 * 1024))
    big = _flat_png(1200, 1200)
    with pytest.raises(ValidationError) as upload:
        imaging.normalize_upload(big)
    assert upload.value.code == "image_too_many_pixels"
    with pytest.raises(ValidationError) as reference:
        embedding.open_image(big)
    assert reference.value.code == "unreadable_image"
    with pytest.raises(ValidationError) as generated:
        codec.fit_png(big, 1024, 1536)  # what an image model answered
    assert generated.value.code == "image_too_many_pixels"
    with pytest.raises(ValidationError) as source:
        LocalImageGenerator().generate("x", catalog.aspect("square"), 1, stage="배경", photo=big)
    assert source.value.code == "bad_source_image"
    assert imaging.normalize_upload(_flat_png(200, 200)).width == 200  # small images still pass
