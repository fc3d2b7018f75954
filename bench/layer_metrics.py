"""Scores of derived layers against a synthetic scene's ground truth (bench/layer_scenes.py).

- line F1: predicted line pixels (alpha >= 50 %) against the true outlines with a 2 px tolerance
  (a predicted pixel is right when a true outline is within 2 px, and the other way round); borders
  between nearly equal colours count neither way.
- flat purity: share of true regions (their interior, 3 px off every border) whose flat pixels are
  95 % within PURITY_DELTA_E of the region's most common flat colour.
- separation: share of touching true regions whose colours differ clearly (>= SEPARATION_DELTA_E)
  whose most common flat colours differ (>= DISTINCT_DELTA_E).
- fill-correct: share of scored regions that are pure and whose flat differs from that of every touching
  region of clearly different colour: a bucket fill takes the region, and only the region. Purity alone
  rewards flats that merge neighbours (one colour over two regions is "pure"); this does not.
- reconstruction: mean absolute error (8-bit units) and PSNR of the composite against the picture.
"""

from __future__ import annotations

from dataclasses import dataclass

from .layer_scenes import Scene, lab_of, neighbour_pairs, outlines

TOLERANCE_PX = 2.0
OUTLINE_DELTA_E = 10.0  # borders between flat colours at least this far apart are true outlines
PURITY_DELTA_E = 3.0
PURITY_SHARE = 0.95
SEPARATION_DELTA_E = 15.0
DISTINCT_DELTA_E = 2.0
INTERIOR_PX = 3
MIN_INTERIOR = 500  # px: smaller regions are not scored for purity and separation


@dataclass
class Scores:
    precision: float
    recall: float
    f1: float
    purity: float
    separation: float
    fill_correct: float
    mae: float
    psnr: float


def line_scores(pred, scene: Scene) -> tuple[float, float, float]:
    import cv2
    import numpy as np

    outline, unsure = outlines(scene.labels, scene.colours, OUTLINE_DELTA_E)
    to_true = cv2.distanceTransform(np.where(outline, 0, 255).astype(np.uint8), cv2.DIST_L2, 3)
    to_unsure = cv2.distanceTransform(np.where(unsure, 0, 255).astype(np.uint8), cv2.DIST_L2, 3)
    to_pred = cv2.distanceTransform(np.where(pred, 0, 255).astype(np.uint8), cv2.DIST_L2, 3)
    scored = pred & ~((to_unsure <= TOLERANCE_PX) & (to_true > TOLERANCE_PX))
    precision = float((to_true[scored] <= TOLERANCE_PX).mean()) if scored.any() else 0.0
    recall = float((to_pred[outline] <= TOLERANCE_PX).mean()) if outline.any() else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _dominant_colours(flats, scene: Scene):
    """{region: (dominant rgb, share of interior within PURITY_DELTA_E of it)} for scored regions."""
    import cv2
    import numpy as np

    labels = scene.labels
    border = np.zeros(labels.shape, bool)
    border[:, 1:] |= labels[:, 1:] != labels[:, :-1]
    border[1:] |= labels[1:] != labels[:-1]
    off_border = cv2.distanceTransform(np.where(border, 0, 255).astype(np.uint8), cv2.DIST_L2, 3) > INTERIOR_PX
    packed = (flats[..., 0].astype(np.int64) << 16) | (flats[..., 1].astype(np.int64) << 8) | flats[..., 2]
    key = labels[off_border].astype(np.int64) << 24 | packed[off_border]
    uniq, counts = np.unique(key, return_counts=True)
    region, colour = uniq >> 24, uniq & 0xFFFFFF
    rgb = np.stack([(colour >> 16) & 255, (colour >> 8) & 255, colour & 255], 1).astype(np.uint8)
    lab = lab_of(rgb)
    out = {}
    for r in np.unique(region):
        sel = np.flatnonzero(region == r)
        total = counts[sel].sum()
        if total < MIN_INTERIOR:
            continue
        top = sel[np.argmax(counts[sel])]
        near = np.linalg.norm(lab[sel] - lab[top], axis=1) <= PURITY_DELTA_E
        out[int(r)] = (lab[top], float(counts[sel][near].sum() / total))
    return out


def flat_scores(flats, scene: Scene) -> tuple[float, float, float]:
    """(purity, separation, fill-correct) of the flats, see the module's docstring."""
    import numpy as np

    dominant = _dominant_colours(flats, scene)
    pure = {r for r, (_, share) in dominant.items() if share >= PURITY_SHARE}
    purity = len(pure) / len(dominant) if dominant else 0.0
    true_lab = lab_of(scene.colours)
    separated, clear = 0, 0
    merged: set[int] = set()
    for a, b in neighbour_pairs(scene.labels):
        if a not in dominant or b not in dominant:
            continue
        if np.linalg.norm(true_lab[a] - true_lab[b]) < SEPARATION_DELTA_E:
            continue
        clear += 1
        apart = np.linalg.norm(dominant[a][0] - dominant[b][0]) >= DISTINCT_DELTA_E
        separated += apart
        if not apart:
            merged.update((a, b))
    fill_correct = len(pure - merged) / len(dominant) if dominant else 0.0
    return purity, (separated / clear if clear else 1.0), fill_correct


def reconstruction(composite, image) -> tuple[float, float]:
    import numpy as np

    diff = composite.astype(np.float32) - image.astype(np.float32)
    mse = float((diff ** 2).mean())
    return float(np.abs(diff).mean()), (10 * np.log10(255.0 ** 2 / mse) if mse > 0 else 99.0)


def score(scene: Scene, line_mask, flats, composite) -> Scores:
    precision, recall, f1 = line_scores(line_mask, scene)
    purity, separation, fill_correct = flat_scores(flats, scene)
    mae, psnr = reconstruction(composite, scene.image)
    return Scores(precision, recall, f1, purity, separation, fill_correct, mae, psnr)
