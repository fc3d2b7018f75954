"""The one image codec: format sniffing, decoding under a memory budget, PNG/JPEG/WEBP encoding,
fitting (within a side, or covering an exact size) and thumbnails. Uploads, references, the providers
and the layer pipeline all decode and encode through here.

Decoding is sized by memory, the same rule for every caller: the pixel count is read from the header
before anything is decoded (decompression bombs), JPEGs are decoded at a reduced DCT scale when the
caller needs fewer pixels (`max_side`), other formats are reduced right after decoding, and every
decode first reserves the bytes its bitmaps will take from one process-wide `DecodeBudget`: a decode
that does not fit the budget on its own is refused, decodes that do not fit beside the ones running
wait their turn. So N parallel uploads of a 40 MP PNG cost the budget, not N times the bitmap.

Pillow is imported inside the functions that use it (cold start of the Function App).
"""

from __future__ import annotations

import io
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from shared.core.errors import ServiceUnavailable, UnsupportedMediaType, ValidationError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PNG_COMPRESS_LEVEL = 2  # zlib level: 1-3 are several times faster than 6 for a few % more bytes
MAX_PIXELS = 40_000_000  # refuse anything bigger before decoding (a 40 MP photo is about 7300 x 5500)
DECODE_BUDGET_BYTES = 320 * 1024 * 1024  # bitmaps being decoded at once, per process (Flex: 2 GB)
DECODE_WAIT_SECONDS = 60.0  # a decode waiting longer for the budget answers 503
REDUCING_GAP = 3  # reduce by whole factors while the result stays >= 3x the wanted side (quality)
THUMBNAIL_WIDTH = 256
ORIENTATION_TAG = 0x0112

# Magic numbers of the formats we accept -> Pillow format name, and their media types.
_SIGNATURES = ((PNG_MAGIC, "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"))
MIME_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}

MSG_NOT_IMAGE = "이미지 파일이 아닙니다. PNG, JPEG, WEBP, GIF 이미지만 올릴 수 있습니다."
MSG_BOMB = "이미지 해상도가 너무 큽니다. {limit:,}만 화소 이하의 이미지를 올려 주세요."
MSG_BROKEN = "이미지를 읽을 수 없습니다. 파일이 손상되지 않았는지 확인해 주세요."
MSG_BUSY = "지금 처리 중인 이미지가 많습니다. 잠시 후 다시 시도해 주세요."


# --- sniffing (no decoding) ---------------------------------------------------------------------

def sniff_format(data: bytes) -> str | None:
    """The image format from the first bytes ("PNG", "JPEG", "WEBP", "GIF") or None."""
    for signature, name in _SIGNATURES:
        if data.startswith(signature):
            return name
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def sniff_mime(data: bytes) -> str:
    """The media type of image bytes; ValueError when they are none of the accepted formats."""
    fmt = sniff_format(data)
    if fmt is None:
        raise ValueError("not a PNG, JPEG, WEBP or GIF image")
    return MIME_TYPES[fmt]


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR, without decoding; None when not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


# --- the memory budget --------------------------------------------------------------------------

class DecodeBudget:
    """Bytes of bitmaps that may be decoding at once. `reserve(n)` waits until n bytes are free."""

    def __init__(self, total_bytes: int, wait_seconds: float = DECODE_WAIT_SECONDS):
        self.total = total_bytes
        self.wait_seconds = wait_seconds
        self.in_use = 0
        self.peak = 0  # the most reserved at once (benchmarks and tests read it)
        self._free = threading.Condition()

    def fits(self, cost: int) -> bool:
        return cost <= self.total

    @contextmanager
    def reserve(self, cost: int) -> Iterator[None]:
        deadline = time.monotonic() + self.wait_seconds
        with self._free:
            while self.in_use + cost > self.total:
                left = deadline - time.monotonic()
                if left <= 0 or not self._free.wait(left):
                    raise ServiceUnavailable(MSG_BUSY, code="image_decoder_busy")
            self.in_use += cost
            self.peak = max(self.peak, self.in_use)
        try:
            yield
        finally:
            with self._free:
                self.in_use -= cost
                self._free.notify_all()


DECODE_BUDGET = DecodeBudget(DECODE_BUDGET_BYTES)


def bytes_per_pixel(mode: str) -> int:
    """What Pillow keeps in memory per pixel: 1 byte for 8-bit modes, 2 for I;16, else 4 (RGB too)."""
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


def reduce_factor(width: int, height: int, max_side: int | None) -> int:
    """The whole factor a decoded image can be reduced by and stay >= REDUCING_GAP x max_side."""
    if not max_side:
        return 1
    return max(1, max(width, height) // (max_side * REDUCING_GAP))


def decode_cost(width: int, height: int, mode: str, max_side: int | None) -> int:
    """Bytes a decode of this (draft) size takes at its peak: the bitmap, a mode conversion when the
    mode cannot be reduced as is, and the reduced copy (or, unreduced, one working copy)."""
    pixels = width * height
    cost = pixels * bytes_per_pixel(mode)
    if mode not in _REDUCIBLE_MODES:
        cost += pixels * 4
    factor = reduce_factor(width, height, max_side)
    return cost + (pixels * 4 if factor == 1 else pixels * 4 // (factor * factor))


def too_many_pixels(limit: int) -> ValidationError:
    return ValidationError(MSG_BOMB.format(limit=limit // 10_000), code="image_too_many_pixels",
                           details={"maxPixels": limit})


# --- decoding -----------------------------------------------------------------------------------

_REDUCIBLE_MODES = ("L", "LA", "RGB", "RGBA")
_TRANSPOSE = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE",
              6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"}


def open_image(data: bytes, *, max_side: int | None = None, max_pixels: int = MAX_PIXELS,
               budget: DecodeBudget | None = None):
    """Decode image bytes to a PIL image in L, LA, RGB or RGBA: the first frame, EXIF orientation
    applied, colours converted to sRGB from an embedded profile, no metadata kept but `format`.
    With `max_side`, the result may be reduced to no less than REDUCING_GAP x max_side (the caller
    fits it exactly). Errors are Korean: UnsupportedMediaType (not an image), ValidationError
    image_too_many_pixels (over `max_pixels` or the memory budget) or broken_image."""
    from PIL import Image, UnidentifiedImageError

    fmt = sniff_format(data)
    if fmt is None:
        raise UnsupportedMediaType(MSG_NOT_IMAGE)
    budget = budget or DECODE_BUDGET
    try:
        # Not closed by a `with`: closing would free the bitmap this returns (BytesIO holds no handle).
        im = Image.open(io.BytesIO(data), formats=[fmt])
        picture, orientation, icc = _decode_within_budget(im, fmt, max_side, max_pixels, budget)
    except Image.DecompressionBombError:
        raise too_many_pixels(max_pixels) from None
    except (ValidationError, UnsupportedMediaType, ServiceUnavailable):
        raise
    except UnidentifiedImageError:
        raise UnsupportedMediaType(MSG_NOT_IMAGE) from None
    except (OSError, ValueError, SyntaxError, EOFError, struct.error):
        raise ValidationError(MSG_BROKEN, code="broken_image") from None
    if orientation in _TRANSPOSE:
        picture = picture.transpose(getattr(Image.Transpose, _TRANSPOSE[orientation]))
    picture = to_srgb(picture, icc)
    picture.info = {}
    picture.format = fmt  # kept: callers name files by it
    return picture


def _decode_within_budget(im, fmt: str, max_side: int | None, max_pixels: int, budget: DecodeBudget):
    """(picture, EXIF orientation, ICC profile) of an opened file, decoded inside a reservation."""
    width, height = im.size  # from the header; nothing decoded yet
    if width <= 0 or height <= 0:
        raise ValidationError(MSG_BROKEN, code="broken_image")
    if width * height > max_pixels:
        raise too_many_pixels(max_pixels)
    if fmt == "GIF":
        im.seek(0)
    if fmt == "JPEG" and max_side:
        im.draft("RGB", (max_side, max_side))  # DCT scaling (1/2..1/8) while staying >= max_side
    cost = decode_cost(*im.size, im.mode, max_side)
    if not budget.fits(cost):
        raise too_many_pixels(min(max_pixels, width * height * budget.total // cost))
    with budget.reserve(cost):
        im.load()
        orientation = im.getexif().get(ORIENTATION_TAG)
        icc = im.info.get("icc_profile")
        picture = _reducible(im)
        factor = reduce_factor(*picture.size, max_side)
        if factor > 1:
            picture = picture.reduce(factor)
    return picture, orientation, icc


def _reducible(picture):
    """The picture in L, LA, RGB or RGBA (palette transparency kept as alpha, 16-bit scaled down)."""
    mode = picture.mode
    if mode in _REDUCIBLE_MODES:
        return picture
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in picture.info
        return picture.convert("RGBA" if has_alpha else "RGB")
    if mode == "1":
        return picture.convert("L")
    if mode.startswith("I"):
        return picture.point(lambda v: v / 256).convert("L")
    if mode in ("La", "RGBa"):
        return picture.convert(mode.upper())
    return picture.convert("RGB")  # CMYK, YCbCr, LAB, HSV, F


def to_srgb(picture, icc_profile: bytes | None):
    """Convert from an embedded colour profile to sRGB (so dropping the profile keeps the colours)."""
    if not icc_profile or picture.mode not in ("RGB", "RGBA"):
        return picture
    try:
        from PIL import ImageCms

        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        target = ImageCms.createProfile("sRGB")
        return ImageCms.profileToProfile(picture, source, target, outputMode=picture.mode)
    except Exception:  # a broken or unsupported profile: keep the pixels as they are
        return picture


def rgb_or_rgba(picture):
    """(picture, has_alpha): RGBA when the picture really has transparent pixels, else RGB."""
    if "A" in picture.getbands() or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        low, _ = rgba.getchannel("A").getextrema()
        if low < 255:
            return rgba, True
        return rgba.convert("RGB"), False
    return picture.convert("RGB"), False


def flatten_rgb(picture):
    """RGB with any transparency composited over white."""
    from PIL import Image

    if "A" in picture.getbands() or picture.info.get("transparency") is not None:
        rgba = picture.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return picture.convert("RGB")


def open_rgb(data: bytes, *, max_side: int | None = None):
    """`open_image` flattened to RGB over white (what the renderers and models draw from)."""
    return flatten_rgb(open_image(data, max_side=max_side))


# --- geometry -----------------------------------------------------------------------------------

def fit_within(picture, max_side: int):
    """The picture scaled down (aspect kept) so its longer side is at most max_side."""
    from PIL import Image

    w, h = picture.size
    if max(w, h) <= max_side:
        return picture
    scale = max_side / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=float(REDUCING_GAP))


def cover_box(src_w: int, src_h: int, width: int, height: int, *, zoom: float = 1.0,
              fx: float = 0.5, fy: float = 0.5) -> tuple[float, float, float, float]:
    """The source box that, scaled, covers width x height exactly (centre crop at fx=fy=0.5)."""
    target = width / height
    if src_w / src_h > target:
        ch = src_h
        cw = src_h * target
    else:
        cw = src_w
        ch = src_w / target
    cw, ch = cw / zoom, ch / zoom
    x0 = (src_w - cw) * fx
    y0 = (src_h - ch) * fy
    return (x0, y0, x0 + cw, y0 + ch)


def cover(picture, width: int, height: int):
    """The picture cover-cropped (centred) and resized to exactly width x height."""
    from PIL import Image

    box = cover_box(picture.width, picture.height, width, height)
    return picture.resize((width, height), Image.Resampling.LANCZOS, box=box)


def fit_png(data: bytes, width: int, height: int) -> bytes:
    """PNG bytes of exactly width x height: as is when already so, else cover-cropped and resized."""
    if png_size(data) == (width, height):
        return data
    return encode_png(cover(open_rgb(data, max_side=max(width, height)), width, height))


# --- encoding -----------------------------------------------------------------------------------

def _as_image(picture):
    from PIL import Image

    if isinstance(picture, (bytes, bytearray)):
        return open_image(bytes(picture))
    return picture if hasattr(picture, "save") else Image.fromarray(picture)


def encode_png(picture, *, compress_level: int = PNG_COMPRESS_LEVEL) -> bytes:
    """PNG bytes of a PIL image or an HxWx{3,4} uint8 array, with no metadata chunks."""
    buf = io.BytesIO()
    _as_image(picture).save(buf, "PNG", compress_level=compress_level)
    return buf.getvalue()


def encode_jpeg(picture, *, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    flatten_rgb(_as_image(picture)).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def thumbnail(picture, *, width: int = THUMBNAIL_WIDTH) -> tuple[bytes, str]:
    """A small WEBP preview `width` px wide (aspect kept) and its content type; `picture` is image
    bytes, a PIL image or an array."""
    from PIL import Image

    if isinstance(picture, (bytes, bytearray)):
        picture = open_image(bytes(picture), max_side=width)
    picture = _as_image(picture)
    w, h = picture.size
    size = (min(width, w), max(1, round(h * min(width, w) / w)))
    small = picture.convert("RGBA" if "A" in picture.getbands() else "RGB").resize(
        size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    buf = io.BytesIO()
    small.save(buf, "WEBP", quality=80, method=2)
    return buf.getvalue(), "image/webp"
