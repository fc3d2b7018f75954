"""Line art (선화) from colour edges: where an artist would draw an outline.

The picture is smoothed with an edge-preserving (bilateral) filter, so texture, grain and JPEG
blocks fade while outlines stay sharp, and converted to CIELAB, where equal distances look equally
different; lightness and the two colour axes are weighted alike, so a pink wall against a grey sky
of the same brightness still has an edge. Canny's hysteresis on that colour gradient gives 1-px,
continuous edges; pieces shorter than a few pixels (texture) are dropped. The strokes are then drawn
at the chosen weight as an anti-aliased alpha over dark ink.

opencv and numpy are imported inside the functions (cold start).
"""

from __future__ import annotations

from typing import Any

from shared.core import catalog

INK = (24, 22, 30)  # line colour: a warm near-black

LINE_WEIGHTS: dict[str, float] = {"thin": 1.2, "normal": 2.0, "bold": 3.0}  # stroke width, px
LINE_WEIGHT_LABELS = catalog.LINE_WEIGHT_LABELS  # the Korean names, from the one list of domain values
DEFAULT_LINE_WEIGHT = "normal"

# Canny thresholds on the Sobel gradient of CIELAB (units: 2.55 per CIELAB unit, Sobel's 3x3 gain),
# and the shortest edge piece kept (px at 1024 px width), per detail setting.
EDGE_THRESHOLDS: dict[str, tuple[float, float]] = {"low": (50.0, 110.0), "normal": (34.0, 72.0),
                                                     "high": (26.0, 54.0)}
MIN_EDGE_PIXELS: dict[str, int] = {"low": 60, "normal": 30, "high": 16}
DETAILS = tuple(EDGE_THRESHOLDS)
DEFAULT_DETAIL = "normal"

SMOOTH_DIAMETER = 5  # bilateral filter footprint (px); two passes (a 7-px footprint costs 6x one)
SMOOTH_PASSES = 2
SMOOTH_SIGMA_COLOUR = 28.0  # 8-bit units: differences below this are treated as texture
SMOOTH_SIGMA_SPACE = 3.0


def smooth(rgb) -> Any:
    """The edge-preserving smoothed picture (HxWx3 uint8) that edges and flats are read from."""
    import cv2

    out = rgb
    for _ in range(SMOOTH_PASSES):
        out = cv2.bilateralFilter(out, SMOOTH_DIAMETER, SMOOTH_SIGMA_COLOUR, SMOOTH_SIGMA_SPACE)
    return out


def lab_image(smoothed) -> Any:
    """CIELAB as int16 with all three axes in the same unit (2.5 per CIELAB unit, like 8-bit L's
    2.55), from opencv's 8-bit conversion (L scaled to 0..255, a and b offset by 128)."""
    import cv2
    import numpy as np

    axis = np.arange(256, dtype=np.int16)
    table = np.stack([axis, (axis - 128) * 5 // 2, (axis - 128) * 5 // 2], -1).reshape(1, 256, 3)
    return cv2.LUT(cv2.cvtColor(smoothed, cv2.COLOR_RGB2Lab), table)


def colour_edges(lab, detail: str = DEFAULT_DETAIL) -> Any:
    """HxW bool: 1-px edges of the colour gradient (Canny on the three CIELAB channels: each pixel
    takes the channel that changes most), pieces shorter than MIN_EDGE_PIXELS removed."""
    import cv2

    low, high = EDGE_THRESHOLDS[detail]
    dx = cv2.Sobel(lab, cv2.CV_16S, 1, 0, ksize=3)  # |values| <= 4 * 2 * 320: no overflow
    dy = cv2.Sobel(lab, cv2.CV_16S, 0, 1, ksize=3)
    edges = cv2.Canny(dx, dy, low, high, L2gradient=True)
    return drop_short_pieces(edges > 0, _scaled_min_pixels(detail, edges.shape[1]))


def _scaled_min_pixels(detail: str, width: int) -> int:
    return max(10, round(MIN_EDGE_PIXELS[detail] * width / 1024))


def drop_short_pieces(mask, min_pixels: int) -> Any:
    """`mask` without its 8-connected pieces of fewer than `min_pixels` pixels."""
    import cv2
    import numpy as np

    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_pixels
    keep[0] = False
    return keep[labels]


def stroke_alpha(edges, weight: str = DEFAULT_LINE_WEIGHT) -> Any:
    """HxW uint8 alpha of strokes of the given weight centred on the 1-px edges, anti-aliased: the
    coverage of a disc-brush stroke, from the distance of every pixel to the nearest edge pixel."""
    import cv2
    import numpy as np

    width = LINE_WEIGHTS[weight]
    if not edges.any():
        return np.zeros(edges.shape, np.uint8)
    distance = cv2.distanceTransform(np.where(edges, 0, 255).astype(np.uint8), cv2.DIST_L2, 5)
    coverage = np.clip(width / 2.0 + 0.5 - distance, 0.0, 1.0)
    coverage = cv2.GaussianBlur(coverage, (3, 3), 0.5)  # softens the staircase of diagonal strokes
    return (np.minimum(coverage * 1.15, 1.0) * 255.0 + 0.5).astype(np.uint8)


def line_layer(alpha) -> Any:
    """HxWx4 uint8: ink where the strokes are, transparent elsewhere."""
    import numpy as np

    h, w = alpha.shape
    out = np.empty((h, w, 4), np.uint8)
    out[..., :3] = INK
    out[..., 3] = alpha
    return out
