"""The layered PSD and the other outputs of one final image.

Two writers make the same document (layer names, order, sizes, blend modes, RLE, the merged composite
first); `write_layered_psd` uses the one `psd_writer()` picks once per process (setting PSD_WRITER:
auto = Wand when ImageMagick's library loads, else psd-tools):

- Wand (ImageMagick 6), the local default. ImageMagick writes a layered PSD from an image sequence:
  the first frame becomes the merged image, each further frame a layer named by its "label" property,
  blend mode from the frame's compose operator. It stores the name only as a legacy Pascal string
  (bytes, no encoding), which Photoshop and psd-tools read as Mac Roman: Korean names arrive garbled.
  `add_unicode_names` therefore rewrites each layer record after the fact: an ASCII Pascal name for old
  readers plus the standard 'luni' (Unicode layer name) block that Photoshop, GIMP and psd-tools use.
  That touches only the small layer records; the pixel data is copied as is.
- psd-tools (pure Python + numpy), for hosts where the C library cannot be installed (Azure Functions
  Flex Consumption installs pip packages only). RGBA document, one pixel layer per derived layer with
  its transparency, the same 'luni' names, and our own composite as the merged image.

Both declare a real resolution (ResolutionInfo, DEFAULT_PPI unless told) and hide the layers the
stack marks hidden (완성, kept for reference).

Wand, numpy, Pillow and psd-tools are imported inside the functions (cold start of the Function App).
"""

from __future__ import annotations

import io
import logging
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass

from shared.core.config import get_settings
from shared.images import uploads as imaging
from shared.images.layers import LAYERS, Layers, derive_layers

PSD_MAGIC = b"8BPS"  # how every PSD file begins

log = logging.getLogger(__name__)

PSD_CONTENT_TYPE = "image/vnd.adobe.photoshop"
WRITERS = ("wand", "psd-tools")
DEFAULT_PPI = 350.0  # print resolution of webtoon and comic work; GIMP warns about a missing one
HIDDEN_FLAG = 0x02  # layer record flags: bit 1 set = not visible


# --- Choosing the writer (once per process) -----------------------------------------------------

_writer: tuple[str, Callable[..., bytes]] | None = None
_writer_lock = threading.Lock()


def wand_available() -> bool:
    """Whether ImageMagick's MagickWand library loads (Wand raises ImportError when it is missing)."""
    try:
        import wand.image  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def psd_writer() -> tuple[str, Callable[..., bytes]]:
    """(name, function) of the PSD writer, chosen on first use by PSD_WRITER: "wand", "psd-tools", or
    "auto" (default): Wand when libMagickWand loads, otherwise psd-tools."""
    global _writer
    if _writer is None:
        with _writer_lock:
            if _writer is None:
                wanted = get_settings().psd_writer
                if wanted == "auto":
                    wanted = "wand" if wand_available() else "psd-tools"
                elif wanted == "wand" and not wand_available():
                    raise RuntimeError("PSD_WRITER=wand but ImageMagick's MagickWand library cannot be loaded")
                _writer = (wanted, write_psd_wand if wanted == "wand" else write_psd_tools)
                log.info("layered PSDs are written with %s", wanted)
    return _writer


def reset_writer() -> None:
    """Forget the chosen writer (tests that change PSD_WRITER)."""
    global _writer
    with _writer_lock:
        _writer = None


def write_layered_psd(layers: Layers, *, ppi: float = DEFAULT_PPI) -> bytes:
    """One PSD: merged image first, then the layers bottom to top, named in Korean (hidden ones
    hidden), RLE compressed, declaring `ppi` pixels per inch."""
    return psd_writer()[1](layers, ppi=ppi)


# --- Wand (ImageMagick) -------------------------------------------------------------------------

def _wand_image(array, *, label: str | None = None, compose: str | None = None, ppi: float = DEFAULT_PPI):
    from wand.image import Image

    image = Image.from_array(array, channel_map="RGBA" if array.shape[2] == 4 else "RGB")
    image.compression = "rle"
    image.resolution = (ppi, ppi)
    image.units = "pixelsperinch"
    if label is not None:
        image.metadata["label"] = label
    if compose is not None and compose != "normal":
        image.compose = compose
    return image


def write_psd_wand(layers: Layers, *, ppi: float = DEFAULT_PPI) -> bytes:
    """The layered PSD through ImageMagick, with Unicode names and visibility patched in
    (add_unicode_names)."""
    from wand.image import Image

    with Image() as document:
        merged = _wand_image(layers.merged, ppi=ppi)
        document.sequence.append(merged)
        merged.close()
        for key, _name, blend, array in layers.stack():
            frame = _wand_image(array, label=key, compose=blend, ppi=ppi)
            document.sequence.append(frame)
            frame.close()
        document.format = "psd"
        document.compression = "rle"
        document.resolution = (ppi, ppi)
        document.units = "pixelsperinch"
        raw = document.make_blob("psd")
    names = {key: name for key, name, _ in LAYERS}
    hidden = {key for key, *_ in layers.stack() if not layers.visible(key)}
    return add_unicode_names(raw, names, hidden=hidden)


def _pascal(name: bytes, pad: int) -> bytes:
    name = name[:255]
    data = bytes([len(name)]) + name
    return data + b"\0" * (-len(data) % pad)


def _luni_block(name: str) -> bytes:
    units = name.encode("utf-16-be")
    data = struct.pack(">I", len(units) // 2) + units
    data += b"\0" * (-len(data) % 4)
    return b"8BIMluni" + struct.pack(">I", len(data)) + data


def add_unicode_names(psd: bytes, names: dict[str, str], *, hidden: frozenset[str] | set[str] = frozenset()) -> bytes:
    """Rewrite each layer record's name: `names` maps the ASCII name ImageMagick wrote (our layer
    identifier) to the Unicode name; the record keeps the ASCII name and gains a 'luni' block.
    Layers with other names get a 'luni' block with their own name. Layers whose ASCII name is in
    `hidden` are marked not visible (ImageMagick has no way to say so). PSD (version 1) only."""
    if psd[:4] != PSD_MAGIC or struct.unpack_from(">H", psd, 4)[0] != 1:
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
        fixed = bytearray(psd[start:fixed_end])
        if ascii_name in hidden:
            fixed[-2] |= HIDDEN_FLAG  # flags byte, before the filler
        records.append(bytes(fixed) + struct.pack(">I", len(extra)) + extra)
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


# --- psd-tools (pure Python) --------------------------------------------------------------------

_BLEND_MODES = {"normal": "NORMAL", "multiply": "MULTIPLY", "screen": "SCREEN"}


def write_psd_tools(layers: Layers, *, ppi: float = DEFAULT_PPI) -> bytes:
    """The layered PSD through psd-tools: an RGBA document whose layers keep their transparency (an
    RGB document would turn alpha into masks), names as 'luni' blocks with the ASCII identifier as
    the legacy Pascal name, and `layers.merged` as the merged image (psd-tools' own save would
    composite again, slower, and store it uncompressed)."""
    import numpy as np
    from PIL import Image
    from psd_tools import PSDImage
    from psd_tools.api.layers import PixelLayer
    from psd_tools.constants import BlendMode, Compression
    from psd_tools.psd.image_data import ImageData

    width, height = layers.size
    document = PSDImage.new("RGBA", (width, height), color=(255, 255, 255, 255))
    for key, name, blend, array in layers.stack():
        layer = PixelLayer.frompil(Image.fromarray(array, "RGBA"), document, name=key,
                                   compression=Compression.RLE)
        layer.name = name  # the 'luni' block (the Pascal name becomes "?": set the identifier again)
        layer._record.name = key
        layer.blend_mode = getattr(BlendMode, _BLEND_MODES[blend])
        layer.visible = layers.visible(key)

    record = document._record
    _set_resolution(record, ppi)
    merged = np.empty((height, width, 4), dtype=np.uint8)
    merged[..., :3] = layers.merged
    merged[..., 3] = 255
    record.image_data = ImageData(compression=Compression.RLE)
    record.image_data.set_data([merged[..., c].tobytes() for c in range(4)], record.header)
    out = io.BytesIO()
    record.write(out)
    return out.getvalue()


def _set_resolution(record, ppi: float) -> None:
    """The ResolutionInfo image resource (1005): 16.16 fixed pixels per inch, shown in inches."""
    from psd_tools.constants import Resource
    from psd_tools.psd.image_resources import ImageResource, ResoulutionInfo

    fixed = round(ppi * 65536)
    info = ResoulutionInfo(horizontal=fixed, horizontal_unit=1, width_unit=1, vertical=fixed,
                           vertical_unit=1, height_unit=1)
    record.image_resources[Resource.RESOLUTION_INFO] = ImageResource(key=Resource.RESOLUTION_INFO.value, data=info)


@dataclass
class Outputs:
    """Everything stored for one final image."""
    png: bytes
    psd: bytes
    thumbnail: bytes
    thumbnail_content_type: str
    width: int
    height: int


def render_outputs(image: bytes, *, stage: str | None = None, line_weight: str = "normal",
                   detail: str = "normal", ppi: float = DEFAULT_PPI) -> Outputs:
    """From the final image (PNG/JPEG bytes): the PNG, the layered PSD (the stage's stack) and the
    thumbnail."""
    from PIL import Image

    layers = derive_layers(image, stage=stage, line_weight=line_weight, detail=detail)
    psd = write_layered_psd(layers, ppi=ppi)
    final_rgb = layers.final[..., :3]
    picture = Image.fromarray(final_rgb)
    thumbnail, thumb_type = imaging.thumbnail(picture)
    width, height = layers.size
    return Outputs(png=imaging.encode_png(picture), psd=psd, thumbnail=thumbnail,
                   thumbnail_content_type=thumb_type, width=width, height=height)
