"""Named paint-over layers derived from a finished image, as an artist would split it.

The full stack, bottom to top, as in the PSD:
  기본 채색 (flat)       regions of one colour each (shared.images.flats): bucket fill and "select same
                        colour" select a region
  명암 (shading)         multiply, white = no change: the light and shadow over the flats
  하이라이트 (highlight)  screen, black = no change: where the picture is brighter than its flat
  선화 (line art)        dark ink on a transparent layer, outlines from colour edges (shared.images.lineart)
  완성 (final)           the image itself, hidden, for reference
The merged image is the composite of the visible layers (what Photoshop shows on opening): flats x
shading, screened with the highlights, under the line art, which comes close to the image.

Per art stage (shared.core.catalog values) the stack differs: 스케치 gets the image with the line art
over it; 콘티 grey flats under the line art (a storyboard is values and shapes, not colour); the
colour stages and 배경 the full stack.

numpy, Pillow and opencv are imported inside the functions (cold start).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.core.errors import ValidationError
from shared.images import codec, flats, lineart, shading, uploads

FINAL = "final"
FLAT = "flat"
SHADING = "shading"
HIGHLIGHT = "highlight"
LINE_ART = "line_art"

# The full stack, bottom to top: (identifier, name the artist sees, PSD blend mode).
LAYERS: tuple[tuple[str, str, str], ...] = (
    (FLAT, "기본 채색", "normal"),
    (SHADING, "명암", "multiply"),
    (HIGHLIGHT, "하이라이트", "screen"),
    (LINE_ART, "선화", "normal"),
    (FINAL, "완성", "normal"),
)
LAYER_NAMES: dict[str, str] = {key: name for key, name, _ in LAYERS}
"""Identifier -> Korean layer name, for the API and the site."""
BLEND_MODES: dict[str, str] = {key: blend for key, _, blend in LAYERS}

# Which layers each art stage gets, bottom to top, and which of them start hidden.
FULL_STACK = (FLAT, SHADING, HIGHLIGHT, LINE_ART, FINAL)
STAGE_STACKS: dict[str, tuple[str, ...]] = {
    "콘티": (FLAT, LINE_ART, FINAL),
    "스케치": (FINAL, LINE_ART),
}
HIDDEN: dict[str, frozenset[str]] = {"스케치": frozenset()}
DEFAULT_HIDDEN = frozenset({FINAL})

INK = lineart.INK
LINE_WEIGHTS = tuple(lineart.LINE_WEIGHTS)
DETAILS = lineart.DETAILS
MIN_SIDE = 3
MAX_PIXELS = 16_000_000  # derivation needs about 100 bytes a pixel: 16 MP is 1.6 GB at the peak
MAX_FILE_BYTES = 64 * 1024 * 1024


def stack_for(stage: str | None) -> tuple[str, ...]:
    """Layer identifiers for an art stage, bottom to top (the full stack for colour stages and None)."""
    return STAGE_STACKS.get(stage or "", FULL_STACK)


def hidden_for(stage: str | None) -> frozenset[str]:
    return HIDDEN.get(stage or "", DEFAULT_HIDDEN)


def layer_names(stage: str | None = None) -> list[str]:
    """Korean names of a stage's layers, bottom to top, as in its PSD."""
    return [LAYER_NAMES[key] for key in stack_for(stage)]


@dataclass
class Layers:
    """RGBA uint8 arrays of the same height x width (None for layers the stage does not carry),
    plus the merged composite (RGB) of the visible ones."""

    final: Any
    flat: Any
    shading: Any
    highlight: Any
    line_art: Any
    merged: Any
    stage: str | None = None
    region_count: int = 0
    keys: tuple[str, ...] = field(default=FULL_STACK)

    @property
    def size(self) -> tuple[int, int]:
        h, w = self.final.shape[:2]
        return w, h

    def visible(self, key: str) -> bool:
        return key not in hidden_for(self.stage)

    def stack(self) -> list[tuple[str, str, str, Any]]:
        """(identifier, Korean name, blend mode, RGBA array) bottom to top."""
        return [(key, LAYER_NAMES[key], BLEND_MODES[key], getattr(self, key)) for key in self.keys]

    def names(self) -> list[str]:
        return [LAYER_NAMES[key] for key in self.keys]


def _with_alpha(rgb):
    import cv2

    return cv2.cvtColor(rgb, cv2.COLOR_RGB2RGBA)


def to_rgb_array(image: bytes | Any):
    """PNG/JPEG/... bytes, a PIL image or an array -> HxWx3 uint8 (alpha composited on white)."""
    import numpy as np

    if isinstance(image, (bytes, bytearray, memoryview)):
        import io

        from PIL import Image

        with Image.open(io.BytesIO(image)) as im:
            im.load()
            return to_rgb_array(im)
    if hasattr(image, "mode") and hasattr(image, "convert"):  # PIL image
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            from PIL import Image

            rgba = image.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            background.alpha_composite(rgba)
            image = background
        return np.asarray(image.convert("RGB"))
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    if arr.shape[2] == 4:
        alpha = arr[..., 3:4].astype(np.float32) / 255.0
        arr = (arr[..., :3] * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)
    return np.ascontiguousarray(arr[..., :3], dtype=np.uint8)


def open_picture(data: bytes, *, max_bytes: int | None = None, max_pixels: int | None = None):
    """Image file bytes -> HxWx3 uint8 to derive layers from, checked first: the errors are the
    uploads' Korean ones (PayloadTooLarge over `max_bytes`, UnsupportedMediaType for what is not an
    image, ValidationError for too many pixels or a broken file). Limits default to MAX_FILE_BYTES
    and MAX_PIXELS."""
    import numpy as np

    uploads.check_size(len(data), MAX_FILE_BYTES if max_bytes is None else max_bytes)
    if not data:
        raise ValidationError(uploads.MSG_EMPTY, code="empty_upload")
    picture = codec.open_image(data, max_pixels=MAX_PIXELS if max_pixels is None else max_pixels)
    return np.asarray(codec.flatten_rgb(picture))


def _check_settings(line_weight: str, detail: str) -> None:
    if line_weight not in lineart.LINE_WEIGHTS:
        raise ValueError(f"line_weight must be one of {', '.join(lineart.LINE_WEIGHTS)}")
    if detail not in lineart.DETAILS:
        raise ValueError(f"detail must be one of {', '.join(lineart.DETAILS)}")


def derive_layers(image: bytes | Any, *, line_weight: str = lineart.DEFAULT_LINE_WEIGHT,
                  detail: str = lineart.DEFAULT_DETAIL, stage: str | None = None) -> Layers:
    """The stage's layers (and the merged composite) from a final image; `line_weight` is
    thin/normal/bold (가는 선/보통/굵은 선), `detail` low/normal/high (fewer or more regions and lines)."""
    import cv2

    _check_settings(line_weight, detail)
    rgb = to_rgb_array(image)
    if rgb.shape[0] < MIN_SIDE or rgb.shape[1] < MIN_SIDE:
        raise ValueError("image too small to derive layers")
    keys = stack_for(stage)
    smoothed = lineart.smooth(rgb)
    lab = lineart.lab_image(smoothed)
    edges = lineart.colour_edges(lab, detail)
    line_layer = lineart.line_layer(lineart.stroke_alpha(edges, line_weight))
    final = _with_alpha(rgb)
    if FLAT not in keys:  # 스케치: the picture with the line art over it
        merged = shading.composite(rgb, line_layer=line_layer)
        return Layers(final=final, flat=None, shading=None, highlight=None, line_art=line_layer,
                      merged=merged, stage=stage, keys=keys)
    regions = flats.segment(smoothed, lab, edges, detail)
    flat_rgb = regions.image()
    if SHADING not in keys:  # 콘티: values only
        flat_rgb = cv2.cvtColor(cv2.cvtColor(flat_rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
        merged = shading.composite(flat_rgb, line_layer=line_layer)
        return Layers(final=final, flat=_with_alpha(flat_rgb), shading=None, highlight=None,
                      line_art=line_layer, merged=merged, stage=stage, region_count=regions.count, keys=keys)
    light = shading.derive(rgb, flat_rgb, line_layer[..., 3] > 0)
    multiply, screen = shading.to_layer(light.multiply), shading.to_layer(light.screen)
    merged = shading.composite(flat_rgb, multiply, screen, line_layer)
    return Layers(final=final, flat=_with_alpha(flat_rgb), shading=multiply, highlight=screen,
                  line_art=line_layer, merged=merged, stage=stage, region_count=regions.count, keys=keys)
