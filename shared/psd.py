"""The layered PSD, written by ImageMagick through Wand, and the other outputs of one final image.

ImageMagick 6 writes a layered PSD from an image sequence: the first frame becomes the merged image,
each further frame a layer named by its "label" property, blend mode from the frame's compose
operator. It stores the name only as a legacy Pascal string (bytes, no encoding), which Photoshop and
psd-tools read as Mac Roman: Korean names arrive garbled. `add_unicode_names` therefore rewrites each
layer record after the fact: an ASCII Pascal name for old readers plus the standard 'luni' (Unicode
layer name) block that Photoshop, GIMP and psd-tools use. That touches only the small layer records;
the pixel data is copied as is.

Wand, numpy and Pillow are imported inside the functions (cold start of the Function App).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .layers import LAYERS, Layers

PSD_CONTENT_TYPE = "image/vnd.adobe.photoshop"


def _wand_image(array, *, label: str | None = None, compose: str | None = None):
    from wand.image import Image

    image = Image.from_array(array, channel_map="RGBA" if array.shape[2] == 4 else "RGB")
    image.compression = "rle"
    if label is not None:
        image.metadata["label"] = label
    if compose is not None and compose != "normal":
        image.compose = compose
    return image


def write_layered_psd(layers: Layers) -> bytes:
    """One PSD: merged image first, then the layers bottom to top, named in Korean, RLE compressed."""
    from wand.image import Image

    with Image() as document:
        merged = _wand_image(layers.merged)
        document.sequence.append(merged)
        merged.close()
        for key, _name, blend, array in layers.stack():
            frame = _wand_image(array, label=key, compose=blend)
            document.sequence.append(frame)
            frame.close()
        document.format = "psd"
        document.compression = "rle"
        raw = document.make_blob("psd")
    names = {key: name for key, name, _ in LAYERS}
    return add_unicode_names(raw, names)


def _pascal(name: bytes, pad: int) -> bytes:
    name = name[:255]
    data = bytes([len(name)]) + name
    return data + b"\0" * (-len(data) % pad)


def _luni_block(name: str) -> bytes:
    units = name.encode("utf-16-be")
    data = struct.pack(">I", len(units) // 2) + units
    data += b"\0" * (-len(data) % 4)
    return b"8BIMluni" + struct.pack(">I", len(data)) + data


def add_unicode_names(psd: bytes, names: dict[str, str]) -> bytes:
    """Rewrite each layer record's name: `names` maps the ASCII name ImageMagick wrote (our layer
    identifier) to the Unicode name; the record keeps the ASCII name and gains a 'luni' block.
    Layers with other names get a 'luni' block with their own name. PSD (version 1) only."""
    if psd[:4] != b"8BPS" or struct.unpack_from(">H", psd, 4)[0] != 1:
        raise ValueError("not a version-1 PSD")
    pos = 26
    (color_len,) = struct.unpack_from(">I", psd, pos)
    pos += 4 + color_len
    (resources_len,) = struct.unpack_from(">I", psd, pos)
    pos += 4 + resources_len
    lm_start = pos  # layer-and-mask section: length, then layer info: length, count, records
    (lm_len,) = struct.unpack_from(">I", psd, lm_start)
    if lm_len == 0:
        return psd
    li_start = lm_start + 4
    (li_len,) = struct.unpack_from(">I", psd, li_start)
    if li_len == 0:
        return psd
    (count,) = struct.unpack_from(">h", psd, li_start + 4)
    pos = li_start + 6
    records = []
    for _ in range(abs(count)):
        start = pos
        (channels,) = struct.unpack_from(">H", psd, pos + 16)
        fixed_end = pos + 16 + 2 + 6 * channels + 12  # '8BIM' key opacity clipping flags filler
        if psd[fixed_end - 12:fixed_end - 8] != b"8BIM":
            raise ValueError("unexpected layer record layout")
        (extra_len,) = struct.unpack_from(">I", psd, fixed_end)
        extra_start = fixed_end + 4
        extra_end = extra_start + extra_len
        p = extra_start
        (mask_len,) = struct.unpack_from(">I", psd, p)
        p += 4 + mask_len
        (ranges_len,) = struct.unpack_from(">I", psd, p)
        p += 4 + ranges_len
        head = psd[extra_start:p]
        name_len = psd[p]
        raw_name = psd[p + 1:p + 1 + name_len]
        p += 1 + name_len
        p += -(1 + name_len) % 4
        blocks = psd[p:extra_end]
        ascii_name = raw_name.decode("latin-1")
        unicode_name = names.get(ascii_name, raw_name.decode("utf-8", "replace"))
        extra = head + _pascal(raw_name if ascii_name.isascii() else b"layer", 4) + blocks
        extra += _luni_block(unicode_name)
        records.append(psd[start:fixed_end] + struct.pack(">I", len(extra)) + extra)
        pos = extra_end
    new_records = b"".join(records)
    delta = len(new_records) - (pos - (li_start + 6))
    if delta % 2:
        raise ValueError("layer records must keep an even length")
    return b"".join((
        psd[:lm_start],
        struct.pack(">I", lm_len + delta),
        struct.pack(">I", li_len + delta),
        psd[li_start + 4:li_start + 6],
        new_records,
        psd[pos:],
    ))


@dataclass
class Outputs:
    """Everything stored for one final image."""

    png: bytes
    psd: bytes
    thumbnail: bytes
    thumbnail_content_type: str
    width: int
    height: int


def render_outputs(image: bytes) -> Outputs:
    """From the final image (PNG/JPEG bytes): the PNG, the layered PSD and the thumbnail."""
    from PIL import Image

    from . import imaging
    from .layers import derive_layers

    layers = derive_layers(image)
    psd = write_layered_psd(layers)
    final_rgb = layers.final[..., :3]
    picture = Image.fromarray(final_rgb)
    thumbnail, thumb_type = imaging.thumbnail(picture)
    width, height = layers.size
    return Outputs(png=imaging.encode_png(picture), psd=psd, thumbnail=thumbnail,
                   thumbnail_content_type=thumb_type, width=width, height=height)
