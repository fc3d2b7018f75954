"""Palette transfer for the local renderer: the colour statistics (CIELAB mean and spread) of source
images moved onto a picture, by a given strength (Reinhard et al., "Color Transfer between Images").
The references' palettes are blended in lightly; a chapter's style source is followed closely.

opencv and numpy are imported inside the functions that use them (cold start).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.core.errors import AppError
from shared.images import codec

STATS_SIDE = 256  # the statistics of a source are read from a copy this small
REFERENCE_STRENGTH = 0.35  # how far the references' palette pulls the picture (all of them together)
STYLE_STRENGTH = 0.85  # ... and the style source's


@dataclass(frozen=True)
class LabStats:
    mean: tuple[float, float, float]
    std: tuple[float, float, float]


def _lab(rgb):
    """float32 CIELAB (L 0..100) of an HxWx3 uint8 RGB array."""
    import cv2
    import numpy as np

    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)


def lab_stats(picture) -> LabStats:
    import numpy as np

    lab = _lab(np.asarray(picture.convert("RGB"))).reshape(-1, 3)
    return LabStats(tuple(float(v) for v in lab.mean(0)), tuple(float(v) for v in lab.std(0)))


def source_stats(data: bytes) -> LabStats:
    picture = codec.open_rgb(data, max_side=STATS_SIDE)
    return lab_stats(codec.fit_within(picture, STATS_SIDE))


def blend_stats(weighted: Sequence[tuple[LabStats, float]]) -> LabStats:
    """The weighted mean of several sources' statistics."""
    total = sum(w for _, w in weighted)
    mean = tuple(sum(s.mean[c] * w for s, w in weighted) / total for c in range(3))
    std = tuple(sum(s.std[c] * w for s, w in weighted) / total for c in range(3))
    return LabStats(mean, std)


def transfer(picture, target: LabStats, strength: float):
    """The picture (RGB PIL image) with its Lab mean and spread moved `strength` (0..1) of the way to
    `target`'s."""
    import cv2
    import numpy as np
    from PIL import Image

    lab = _lab(np.asarray(picture.convert("RGB")))
    mean, std = lab.reshape(-1, 3).mean(0), lab.reshape(-1, 3).std(0)
    goal_mean = mean + (np.asarray(target.mean, np.float32) - mean) * strength
    goal_std = std + (np.asarray(target.std, np.float32) - std) * strength
    moved = (lab - mean) * (goal_std / np.maximum(std, 1e-3)) + goal_mean
    moved[..., 0] = np.clip(moved[..., 0], 0, 100)
    rgb = cv2.cvtColor(moved.astype(np.float32), cv2.COLOR_LAB2RGB)
    return Image.fromarray((np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8), "RGB")


def apply_palettes(picture, references: Sequence[bytes], style_image: bytes | None):
    """The references' palette blended in (REFERENCE_STRENGTH), then the style source's followed
    (STYLE_STRENGTH); unreadable sources are skipped."""
    reference_stats = [stats for stats in map(_readable_stats, references) if stats]
    if reference_stats:
        picture = transfer(picture, blend_stats([(s, 1.0) for s in reference_stats]), REFERENCE_STRENGTH)
    style = _readable_stats(style_image) if style_image else None
    if style:
        picture = transfer(picture, style, STYLE_STRENGTH)
    return picture


def _readable_stats(data: bytes) -> LabStats | None:
    try:
        return source_stats(data)
    except AppError as exc:
        if exc.status == 503:  # the decoder is busy: not the source's fault
            raise
        return None


def stats_distance(a: LabStats, b: LabStats) -> float:
    """How far two palettes are apart: the Euclidean distances of their CIELAB means and spreads, summed
    (how the style lock is measured: bench/style_lock.py and its test)."""
    import math

    return math.dist(a.mean, b.mean) + math.dist(a.std, b.std)
