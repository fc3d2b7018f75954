"""Synthetic test pictures (no binary fixtures in the repo): a webtoon-like city scene, EXIF JPEGs,
PNGs that lie about their size."""

from __future__ import annotations

import io
import struct
import zlib


def scene(width: int = 1024, height: int = 1536, seed: int = 0):
    """An HxWx3 uint8 city scene: sky gradient, shaded buildings with lit windows, a moon, grain."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.zeros((height, width, 3), np.float32)
    t = y / height
    img[..., 0] = 120 + 100 * t
    img[..., 1] = 170 + 50 * t
    img[..., 2] = 235 - 30 * t
    unit = max(1, width // 128)
    for _ in range(14):
        x0 = int(rng.integers(0, max(1, width - 12 * unit)))
        bw = int(rng.integers(8 * unit, 32 * unit))
        top = int(rng.integers(height // 4, max(height // 4 + 1, height - 25 * unit)))
        colour = rng.integers(40, 220, 3).astype(np.float32)
        x1 = min(width, x0 + bw)
        shade = 0.65 + 0.35 * ((x[top:, x0:x1] - x0) / bw)
        img[top:, x0:x1] = colour * shade[..., None]
        for wy in range(top + 2 * unit, height - 5 * unit, 7 * unit):
            for wx in range(x0 + unit, x1 - 3 * unit, 5 * unit):
                img[wy:wy + 4 * unit, wx:wx + 2 * unit] = (250, 230, 150)
    r2 = (x - width * 0.75) ** 2 + (y - height * 0.15) ** 2
    img[r2 < (width * 0.08) ** 2] = (255, 240, 200)
    img += rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def png_bytes(array_or_image, **save_args) -> bytes:
    from PIL import Image

    image = array_or_image if hasattr(array_or_image, "save") else Image.fromarray(array_or_image)
    buf = io.BytesIO()
    image.save(buf, "PNG", **save_args)
    return buf.getvalue()


def halves(width: int, height: int, first=(255, 0, 0), second=(0, 0, 255)):
    """A PIL RGB image whose left half is `first` and right half `second`."""
    from PIL import Image

    image = Image.new("RGB", (width, height), second)
    image.paste(first, (0, 0, width // 2, height))
    return image


def jpeg_with_exif(image, orientation: int = 6, gps: bool = True) -> bytes:
    """JPEG bytes with an EXIF orientation tag, a camera model and (optionally) a GPS position."""
    from PIL import ExifTags, Image

    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Model] = "TestCam 9000"
    if gps:
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps_ifd[ExifTags.GPS.GPSLatitude] = (37.0, 33.0, 59.0)
        gps_ifd[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps_ifd[ExifTags.GPS.GPSLongitude] = (126.0, 58.0, 41.0)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=95, exif=exif)
    return buf.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG header that claims width x height (8-bit greyscale), with one small
    IDAT: the classic decompression-bomb shape."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 4096, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def png_chunks(data: bytes) -> list[bytes]:
    """The chunk types of a PNG file, in order."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds = 8, []
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        kinds.append(data[pos + 4:pos + 8])
        pos += 12 + length
    return kinds
