"""Images the artist uploads (validate, normalise, store) and small encoders (PNG, thumbnail).

An upload is trusted for nothing: its format is sniffed from the bytes (the declared content type and
file name are ignored), its pixel count is checked from the header before anything is decoded
(decompression bombs), EXIF orientation is applied and every bit of metadata (EXIF, GPS, XMP, ICC,
text chunks) is dropped by re-encoding only the pixels, which are fitted within 1024 px and stored as
PNG under a random id.

Pillow is imported inside the functions (cold start of the Function App).
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import uuid
from dataclasses import dataclass

from shared.core.config import get_settings
from shared.core.errors import NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationError
from shared.storage import assets
from shared.storage import blobs as storage

MAX_SIDE = 1024
MAX_PIXELS = 40_000_000  # refuse anything bigger before decoding (a 40 MP photo is about 7300 x 5500)
THUMBNAIL_WIDTH = 256
PNG_COMPRESS_LEVEL = 2  # zlib level: 1-3 are several times faster than 6 for a few % more bytes
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")

# Magic numbers of the formats we accept -> Pillow format name.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
)

MSG_TOO_LARGE = "이미지 파일이 너무 큽니다. {limit} 이하의 파일을 올려 주세요."
MSG_NOT_IMAGE = "이미지 파일이 아닙니다. PNG, JPEG, WEBP, GIF 이미지만 올릴 수 있습니다."
MSG_BOMB = "이미지 해상도가 너무 큽니다. {limit:,}만 화소 이하의 이미지를 올려 주세요."
MSG_BROKEN = "이미지를 읽을 수 없습니다. 파일이 손상되지 않았는지 확인해 주세요."
MSG_EMPTY = "올린 파일이 비어 있습니다."
MSG_UPLOAD_NOT_FOUND = "올린 이미지를 찾을 수 없습니다. 이미지를 다시 올려 주세요."


@dataclass
class NormalizedImage:
    png: bytes
    width: int
    height: int
    source_format: str
    sha256: str  # of the uploaded bytes
    has_alpha: bool


@dataclass
class StoredUpload:
    id: str
    blob_name: str
    width: int
    height: int
    url: str
    asset_url: str
    sha256: str

    def to_json(self) -> dict:
        return {"id": self.id, "width": self.width, "height": self.height, "url": self.url,
                "assetUrl": self.asset_url}


def _human_bytes(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)}MB"
    if limit >= 1024:
        return f"{limit // 1024}KB"
    return f"{limit}바이트"


def too_large(limit: int | None = None) -> PayloadTooLarge:
    limit = limit if limit is not None else get_settings().upload_max_bytes
    return PayloadTooLarge(MSG_TOO_LARGE.format(limit=_human_bytes(limit)), details={"maxBytes": limit})


def sniff_format(data: bytes) -> str | None:
    """The image format from the first bytes ("PNG", "JPEG", "WEBP", "GIF") or None."""
    for signature, name in _SIGNATURES:
        if data.startswith(signature):
            return name
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def check_size(size: int, limit: int | None = None) -> None:
    limit = limit if limit is not None else get_settings().upload_max_bytes
    if size > limit:
        raise too_large(limit)


def normalize_upload(data: bytes, *, max_bytes: int | None = None, max_side: int = MAX_SIDE,
                     max_pixels: int = MAX_PIXELS) -> NormalizedImage:
    """Validate and normalise uploaded image bytes into a metadata-free PNG within max_side px."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise ValidationError(MSG_EMPTY, code="empty_upload")
    check_size(len(data), max_bytes)
    fmt = sniff_format(data)
    if fmt is None:
        raise UnsupportedMediaType(MSG_NOT_IMAGE)
    bomb = ValidationError(MSG_BOMB.format(limit=max_pixels // 10_000), code="image_too_many_pixels",
                           details={"maxPixels": max_pixels})
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as im:
            width, height = im.size  # from the header; nothing decoded yet
            if width <= 0 or height <= 0:
                raise ValidationError(MSG_BROKEN, code="broken_image")
            if width * height > max_pixels:
                raise bomb
            if fmt == "GIF":
                im.seek(0)
            if fmt == "JPEG":
                # Decode at a reduced scale (DCT scaling) when the photo is much larger than needed.
                im.draft("RGB", (max_side, max_side))
            im.load()
            picture = ImageOps.exif_transpose(im)
            picture = _to_srgb(picture, im.info.get("icc_profile"))
    except Image.DecompressionBombError:
        raise bomb from None
    except (ValidationError, UnsupportedMediaType):
        raise
    except UnidentifiedImageError:
        raise UnsupportedMediaType(MSG_NOT_IMAGE) from None
    except (OSError, ValueError, SyntaxError, EOFError, struct.error):
        raise ValidationError(MSG_BROKEN, code="broken_image") from None

    picture, has_alpha = _rgb_or_rgba(picture)
    if max(picture.size) > max_side:
        picture = _fit(picture, max_side)
    clean = Image.frombytes(picture.mode, picture.size, picture.tobytes())  # pixels only, no info
    return NormalizedImage(png=encode_png(clean), width=clean.width, height=clean.height,
                           source_format=fmt, sha256=hashlib.sha256(data).hexdigest(), has_alpha=has_alpha)


def _to_srgb(picture, icc_profile: bytes | None):
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


def _rgb_or_rgba(picture):
    """RGB, or RGBA when the picture really has transparent pixels."""
    mode = picture.mode
    has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in picture.info)
    if has_alpha:
        picture = picture.convert("RGBA")
        low, _ = picture.getchannel("A").getextrema()
        if low == 255:
            return picture.convert("RGB"), False
        return picture, True
    if mode == "I;16" or mode == "I":
        picture = picture.point(lambda v: v / 256).convert("L")
    return picture.convert("RGB"), False


def _fit(picture, max_side: int):
    from PIL import Image

    w, h = picture.size
    scale = max_side / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def encode_png(picture, *, compress_level: int = PNG_COMPRESS_LEVEL) -> bytes:
    """PNG bytes of a PIL image or an HxWx{3,4} uint8 array, with no metadata chunks."""
    from PIL import Image

    if not hasattr(picture, "save"):
        picture = Image.fromarray(picture)
    buf = io.BytesIO()
    picture.save(buf, "PNG", compress_level=compress_level)
    return buf.getvalue()


def thumbnail(picture, *, width: int = THUMBNAIL_WIDTH) -> tuple[bytes, str]:
    """A small WEBP preview `width` px wide (aspect kept) and its content type."""
    from PIL import Image

    if isinstance(picture, (bytes, bytearray)):
        picture = Image.open(io.BytesIO(picture))
    elif not hasattr(picture, "save"):
        picture = Image.fromarray(picture)
    w, h = picture.size
    size = (min(width, w), max(1, round(h * min(width, w) / w)))
    small = picture.convert("RGBA" if "A" in picture.getbands() else "RGB").resize(
        size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    buf = io.BytesIO()
    small.save(buf, "WEBP", quality=80, method=2)
    return buf.getvalue(), "image/webp"


# --- uploads in Blob storage -------------------------------------------------------------------

def upload_blob_name(upload_id: str) -> str:
    if not isinstance(upload_id, str) or not UPLOAD_ID.match(upload_id):
        raise NotFound(MSG_UPLOAD_NOT_FOUND, code="upload_not_found")
    return f"{upload_id}.png"


def store_upload(data: bytes) -> StoredUpload:
    """Validate, normalise and store an uploaded image; returns its id and links."""
    image = normalize_upload(data)
    upload_id = uuid.uuid4().hex
    name = upload_blob_name(upload_id)
    storage.upload(storage.UPLOADS, name, image.png, "image/png", overwrite=False, metadata={
        "sha256": image.sha256,
        "source_format": image.source_format,
        "width": str(image.width),
        "height": str(image.height),
    })
    return StoredUpload(id=upload_id, blob_name=name, width=image.width, height=image.height,
                        url=storage.read_url(storage.UPLOADS, name),
                        asset_url=assets.link(f"{storage.UPLOADS}/{name}"), sha256=image.sha256)


def load_upload(upload_id: str) -> bytes:
    """The stored PNG of an upload; NotFound (Korean) for an unknown or malformed id."""
    from azure.core.exceptions import ResourceNotFoundError

    name = upload_blob_name(upload_id)
    try:
        return storage.download(storage.UPLOADS, name)
    except ResourceNotFoundError:
        raise NotFound(MSG_UPLOAD_NOT_FOUND, code="upload_not_found") from None
