"""Images the artist uploads: validated, normalised and stored under a random id.

An upload is trusted for nothing: it is decoded by shared.images.codec (format sniffed from the bytes,
the declared content type and file name ignored; pixel count checked from the header and the decode
sized by the codec's memory budget; EXIF orientation and colour profile applied), then every bit of
metadata (EXIF, GPS, XMP, ICC, text chunks) is dropped by re-encoding only the pixels, fitted within
1024 px, as PNG.

Pillow is imported inside the functions (cold start of the Function App).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

from shared.core.config import get_settings
from shared.core.errors import NotFound, PayloadTooLarge, ValidationError
from shared.images import codec
from shared.images.codec import (
    MAX_PIXELS,
    PNG_COMPRESS_LEVEL,
    THUMBNAIL_WIDTH,
    encode_png,
    sniff_format,
    thumbnail,
)
from shared.storage import assets
from shared.storage import blobs as storage

MAX_SIDE = 1024
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")

MSG_TOO_LARGE = "이미지 파일이 너무 큽니다. {limit} 이하의 파일을 올려 주세요."
MSG_EMPTY = "올린 파일이 비어 있습니다."
MSG_UPLOAD_NOT_FOUND = "올린 이미지를 찾을 수 없습니다. 이미지를 다시 올려 주세요."

# The encoders, sniffing and their constants live in the codec; named here for callers not yet moved.
__all__ = ["MAX_PIXELS", "MAX_SIDE", "PNG_COMPRESS_LEVEL", "THUMBNAIL_WIDTH", "UPLOAD_ID", "NormalizedImage", "StoredUpload", "check_size",
           "encode_png", "load_upload", "normalize_upload", "sniff_format", "store_upload", "thumbnail",
           "too_large", "upload_blob_name"]


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


def check_size(size: int, limit: int | None = None) -> None:
    limit = limit if limit is not None else get_settings().upload_max_bytes
    if size > limit:
        raise too_large(limit)


def normalize_upload(data: bytes, *, max_bytes: int | None = None, max_side: int = MAX_SIDE,
                     max_pixels: int = MAX_PIXELS) -> NormalizedImage:
    """Validate and normalise uploaded image bytes into a metadata-free PNG within max_side px."""
    from PIL import Image

    if not data:
        raise ValidationError(MSG_EMPTY, code="empty_upload")
    check_size(len(data), max_bytes)
    decoded = codec.open_image(data, max_side=max_side, max_pixels=max_pixels)
    picture, has_alpha = codec.rgb_or_rgba(decoded)
    picture = codec.fit_within(picture, max_side)
    clean = Image.frombytes(picture.mode, picture.size, picture.tobytes())  # pixels only, no info
    return NormalizedImage(png=encode_png(clean), width=clean.width, height=clean.height,
                           source_format=decoded.format, sha256=hashlib.sha256(data).hexdigest(),
                           has_alpha=has_alpha)


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
