"""Named paint-over layers derived from a finished image: line art, flat colours, shading, final.

Everything is vectorised numpy on uint8/float32 arrays (no per-pixel Python); Pillow does the blur and
the colour quantisation in C. numpy and Pillow are imported inside the functions (cold start).

The layers, bottom to top, as an artist paints them:
  완성 (final)      the generated image itself, kept at the bottom for reference
  기본 채색 (flat)   flat colours: the image smoothed and quantised to a small palette
  명암 (shading)    multiply layer: grey where the final is darker than the flat colours, transparent
                    elsewhere, so flat x shading reproduces the final's light and shadow
  선화 (line art)   dark ink on a transparent background; alpha follows the edge strength
The merged image is the composite of that stack (what Photoshop shows on opening).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FINAL = "final"
FLAT = "flat"
SHADING = "shading"
LINE_ART = "line_art"

# Bottom-to-top order; (identifier, name the artist sees, PSD blend mode).
LAYERS: tuple[tuple[str, str, str], ...] = (
    (FINAL, "완성", "normal"),
    (FLAT, "기본 채색", "normal"),
    (SHADING, "명암", "multiply"),
    (LINE_ART, "선화", "normal"),
)
LAYER_NAMES: dict[str, str] = {key: name for key, name, _ in LAYERS}
"""Identifier -> Korean layer name, for the API and the site."""

# Tuning (8-bit luminance units unless noted).
FLAT_BLUR_RADIUS = 2.0  # smoothing before quantisation (px)
EDGE_BLUR_RADIUS = 1.0  # lighter smoothing before edge detection (keeps lines sharp, drops grain)
FLAT_COLOURS = 32
EDGE_LOW = 14.0  # central-difference gradient magnitude where a line starts to show
EDGE_HIGH = 64.0  # ... and where it is fully opaque
INK = (24, 22, 30)  # line colour: a warm near-black
SHADE_FULL = 0.04  # darkening (fraction of the flat luminance) at which the shading layer is opaque


@dataclass
class Layers:
    """RGBA uint8 arrays of the same height x width, plus the merged composite (RGB)."""

    final: Any
    flat: Any
    shading: Any
    line_art: Any
    merged: Any

    @property
    def size(self) -> tuple[int, int]:
        h, w = self.final.shape[:2]
        return w, h

    def stack(self) -> list[tuple[str, str, str, Any]]:
        """(identifier, Korean name, blend mode, RGBA array) bottom to top."""
        return [(key, name, blend, getattr(self, key)) for key, name, blend in LAYERS]


def _luma(rgb):
    import numpy as np

    return rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def _with_alpha(rgb, alpha=None):
    import numpy as np

    h, w = rgb.shape[:2]
    out = np.empty((h, w, 4), dtype=np.uint8)
    out[..., :3] = rgb
    out[..., 3] = 255 if alpha is None else alpha
    return out


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


def derive_layers(image: bytes | Any) -> Layers:
    """Derive the four named layers (and the merged composite) from a final image."""
    import numpy as np
    from PIL import Image, ImageFilter

    rgb = to_rgb_array(image)
    if rgb.shape[0] < 3 or rgb.shape[1] < 3:
        raise ValueError("image too small to derive layers")

    # Flat colours: blur away texture and noise, then quantise to a small palette (fast octree, no
    # dithering, so regions come out flat).
    blurred_im = Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(FLAT_BLUR_RADIUS))
    flat_rgb = np.asarray(
        blurred_im.quantize(FLAT_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        .convert("RGB")
    )
    blurred = np.asarray(blurred_im)

    # Line art: edge strength of the lightly blurred luminance (central differences), ramped into
    # alpha; dark ink colour everywhere, transparent where there is no edge.
    luma_b = _luma(blurred)
    luma_e = np.asarray(Image.fromarray(rgb).convert("L").filter(ImageFilter.GaussianBlur(EDGE_BLUR_RADIUS)),
                        dtype=np.float32)
    gx = np.zeros_like(luma_e)
    gy = np.zeros_like(luma_e)
    gx[:, 1:-1] = luma_e[:, 2:] - luma_e[:, :-2]
    gy[1:-1, :] = luma_e[2:, :] - luma_e[:-2, :]
    magnitude = np.sqrt(gx * gx + gy * gy)
    line_alpha = np.clip((magnitude - EDGE_LOW) * (1.0 / (EDGE_HIGH - EDGE_LOW)), 0.0, 1.0)
    line_art = np.empty(rgb.shape[:2] + (4,), dtype=np.uint8)
    line_art[..., :3] = INK
    line_art[..., 3] = (line_alpha * 255.0 + 0.5).astype(np.uint8)

    # Shading: how much darker the (smoothed) final is than the flat colours, as a multiply factor s
    # in 0..1. The layer is grey s, opaque where the darkening is clear, fading out to transparent.
    luma_flat = _luma(flat_rgb)
    factor = np.minimum((luma_b + 1.0) / (luma_flat + 1.0), 1.0)
    darkening = 1.0 - factor
    shade_alpha = np.minimum(darkening * (1.0 / SHADE_FULL), 1.0)
    grey = (factor * 255.0 + 0.5).astype(np.uint8)
    shading = np.empty(rgb.shape[:2] + (4,), dtype=np.uint8)
    shading[..., 0] = grey
    shading[..., 1] = grey
    shading[..., 2] = grey
    shading[..., 3] = (shade_alpha * 255.0 + 0.5).astype(np.uint8)

    merged = composite(flat_rgb, factor, shade_alpha, line_alpha)
    return Layers(final=_with_alpha(rgb), flat=_with_alpha(flat_rgb), shading=shading, line_art=line_art,
                  merged=merged)


def composite(flat_rgb, factor, shade_alpha, line_alpha):
    """The stack as Photoshop flattens it: flat (opaque, hides the final), shading multiplied with
    its alpha, line art over it."""
    import numpy as np

    # multiply with alpha a: base * (1 - a + a*s) = base * (1 - a*(1 - s))
    keep = 1.0 - shade_alpha * (1.0 - factor)
    out = flat_rgb.astype(np.float32) * keep[..., None]
    la = line_alpha[..., None]
    out = out * (1.0 - la) + np.asarray(INK, dtype=np.float32) * la
    return (out + 0.5).astype(np.uint8)
