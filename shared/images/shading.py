"""Shading (명암, multiply) and highlights (하이라이트, screen) as the ratio of the picture to its flats.

Per colour channel, r = picture / flat. Where r < 1 the multiply layer holds r (white = no change);
where r > 1 the screen layer holds what brings the flat up to the picture, (p - f) / (1 - f) (black
= no change). Flat x shading, screened with the highlights, is then the picture again. The ratio is
smoothed before that with a normalised Gaussian that leaves out the pixels on the line art (the
anti-aliased borders, where the picture is a mix of two regions and the ratio means nothing), so
both layers are smooth within a region: light and shadow, not grain.

opencv and numpy are imported inside the functions (cold start).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SMOOTH_SIGMA = 3.0  # px at 1024 px width
MAX_RATIO = 4.0
RATIO_FLOOR = 0.04  # added to both sides: in near-black flats a channel's ratio is grain, not light


@dataclass
class Shading:
    multiply: Any  # HxWx3 uint8 (255 = no change)
    screen: Any  # HxWx3 uint8 (0 = no change)


def _normalised_blur(values, weight, sigma: float):
    """Gaussian blur of `values` (HxWxC) counting only pixels where `weight` (HxW float) is 1."""
    import cv2
    import numpy as np

    num = cv2.GaussianBlur(values * weight[..., None], (0, 0), sigma)
    den = cv2.GaussianBlur(weight, (0, 0), sigma)[..., None]
    return np.where(den > 1e-3, num / np.maximum(den, 1e-3), values)


def derive(rgb, flats, line_mask) -> Shading:
    """Shading and highlights of `rgb` (HxWx3 uint8) over `flats` (same shape), smoothed away from
    `line_mask` (HxW bool: pixels on the line art). Worked out at half resolution (the layers are
    smooth by design) and scaled back up."""
    import cv2
    import numpy as np

    h, w = rgb.shape[:2]
    half = (max(1, w // 2), max(1, h // 2))
    picture = cv2.resize(rgb, half, interpolation=cv2.INTER_AREA).astype(np.float32) * (1.0 / 255.0)
    flat = cv2.resize(flats, half, interpolation=cv2.INTER_NEAREST).astype(np.float32) * (1.0 / 255.0)
    off_line = cv2.resize((~line_mask).astype(np.uint8), half, interpolation=cv2.INTER_NEAREST)
    ratio = np.minimum((picture + RATIO_FLOOR) / (flat + RATIO_FLOOR), MAX_RATIO)
    ratio = _normalised_blur(ratio, off_line.astype(np.float32), SMOOTH_SIGMA * w / 2048)
    multiply = np.minimum(ratio, 1.0)
    screen = np.clip((flat * ratio - flat) / np.maximum(1.0 - flat, 1.0 / 255.0), 0.0, 1.0)

    def full(values):
        small = (values * 255.0 + 0.5).astype(np.uint8)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)

    return Shading(multiply=full(multiply), screen=full(screen))


def to_layer(values) -> Any:
    """HxWx4 uint8 opaque layer from HxWx3 uint8."""
    import cv2

    return cv2.cvtColor(values, cv2.COLOR_RGB2RGBA)


def composite(flats, multiply_layer=None, screen_layer=None, line_layer=None) -> Any:
    """HxWx3 uint8: the stack as Photoshop flattens it: flats, multiply, screen, then the line art
    (normal blend by its alpha), from the layers as stored, so this is what a reader shows."""
    import cv2
    import numpy as np

    out = flats
    if multiply_layer is not None:
        out = cv2.multiply(out, np.ascontiguousarray(multiply_layer[..., :3]), scale=1.0 / 255.0)
    if screen_layer is not None:
        inverse = cv2.multiply(255 - out, 255 - np.ascontiguousarray(screen_layer[..., :3]), scale=1.0 / 255.0)
        out = 255 - inverse
    if line_layer is not None:
        alpha = line_layer[..., 3].astype(np.float32) * (1.0 / 255.0)
        ink = np.ascontiguousarray(line_layer[..., :3])
        out = cv2.blendLinear(ink, np.ascontiguousarray(out), alpha, 1.0 - alpha)
    return np.ascontiguousarray(out)
