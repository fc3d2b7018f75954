"""Baselines for bench/layers.py, each giving (line mask, flats, composite) for one picture.

- today: the layer derivation the app shipped before issue 11 (shared/layers.py at commit 4c91a20),
  copied here: Pillow blur + 32-colour octree quantisation for flats, luminance central-difference
  gradient ramped into alpha for lines, a grey multiply layer for shading.
Canny's and XDoG's parameters are the best of a small sweep on scenes 100 and 101 (not scored).

- canny: opencv Canny on the blurred grey picture; flats = mean colour of the pieces between lines
  (what a bucket fill between Canny lines would give).
- xdog: extended difference of Gaussians (Winnemoeller 2012), thresholded; flats as for canny.
- posterise: k-means colour quantisation (16 colours, CIELAB); lines = borders between its colours.
"""

from __future__ import annotations

INK = (24, 22, 30)


def today(rgb):
    import numpy as np
    from PIL import Image, ImageFilter

    blurred_im = Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(2.0))
    flat = np.asarray(blurred_im.quantize(32, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
                      .convert("RGB"))
    blurred = np.asarray(blurred_im)
    weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
    luma_e = np.asarray(Image.fromarray(rgb).convert("L").filter(ImageFilter.GaussianBlur(1.0)), np.float32)
    gx = np.zeros_like(luma_e)
    gy = np.zeros_like(luma_e)
    gx[:, 1:-1] = luma_e[:, 2:] - luma_e[:, :-2]
    gy[1:-1, :] = luma_e[2:, :] - luma_e[:-2, :]
    line_alpha = np.clip((np.sqrt(gx * gx + gy * gy) - 14.0) / 50.0, 0.0, 1.0)
    factor = np.minimum((blurred.astype(np.float32) @ weights + 1.0) / (flat.astype(np.float32) @ weights + 1.0), 1.0)
    shade_alpha = np.minimum((1.0 - factor) / 0.04, 1.0)
    grey = (factor * 255.0 + 0.5).astype(np.uint8).astype(np.float32) / 255.0
    sa = (shade_alpha * 255.0 + 0.5).astype(np.uint8).astype(np.float32) / 255.0
    la = ((line_alpha * 255.0 + 0.5).astype(np.uint8).astype(np.float32) / 255.0)[..., None]
    out = flat.astype(np.float32) * (1.0 - sa * (1.0 - grey))[..., None]
    out = out * (1.0 - la) + np.asarray(INK, np.float32) * la
    return line_alpha >= 0.5, flat, (out + 0.5).astype(np.uint8)


def _fill_between(rgb, lines):
    """Flats as the mean colour of each 4-connected piece off the (thickened) lines; line pixels take
    their nearest piece."""
    import cv2
    import numpy as np

    barrier = cv2.dilate(lines.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    count, labels = cv2.connectedComponents((~barrier).astype(np.uint8), connectivity=4)
    seeds = np.where(labels > 0, 0, 255).astype(np.uint8)  # distance is to the nearest 0 pixel
    _, nearest = cv2.distanceTransformWithLabels(seeds, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    ys, xs = np.nonzero(labels > 0)
    seed_label = np.zeros(nearest.max() + 1, np.int32)
    seed_label[nearest[ys, xs]] = labels[ys, xs]
    filled = seed_label[nearest]
    means = np.zeros((max(count, 1), 3), np.float64)
    area = np.maximum(np.bincount(filled.ravel(), minlength=count), 1)
    for c in range(3):
        means[:, c] = np.bincount(filled.ravel(), weights=rgb[..., c].ravel(), minlength=count) / area
    return np.clip(means + 0.5, 0, 255).astype(np.uint8)[filled]


def _with_lines(flats, lines):

    out = flats.copy()
    out[lines] = INK
    return out


def canny(rgb):
    import cv2

    grey = cv2.GaussianBlur(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), (0, 0), 1.4)
    lines = cv2.Canny(grey, 10, 30) > 0
    flats = _fill_between(rgb, lines)
    return lines, flats, _with_lines(flats, lines)


def xdog(rgb, sigma=1.0, k=1.6, tau=1.0, epsilon=-0.005, phi=200.0):
    import cv2
    import numpy as np

    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    g1 = cv2.GaussianBlur(grey, (0, 0), sigma)
    g2 = cv2.GaussianBlur(grey, (0, 0), sigma * k)
    d = g1 - tau * g2
    soft = np.where(d >= epsilon, 1.0, 1.0 + np.tanh(phi * (d - epsilon)))
    lines = soft < 0.5
    flats = _fill_between(rgb, lines)
    return lines, flats, _with_lines(flats, lines)


def posterise(rgb, colours=16):
    import cv2
    import numpy as np

    small = cv2.resize(rgb, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    lab_small = cv2.cvtColor(small, cv2.COLOR_RGB2Lab).reshape(-1, 3).astype(np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    _, _, centres = cv2.kmeans(lab_small, colours, None, criteria, 2, cv2.KMEANS_PP_CENTERS)
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab).reshape(-1, 3).astype(np.float32)
    nearest = np.argmin(((lab[:, None, :] - centres[None]) ** 2).sum(-1), axis=1).reshape(rgb.shape[:2])
    palette = cv2.cvtColor(np.clip(centres, 0, 255).astype(np.uint8)[None], cv2.COLOR_Lab2RGB)[0]
    flats = palette[nearest]
    lines = np.zeros(nearest.shape, bool)
    lines[:, 1:] |= nearest[:, 1:] != nearest[:, :-1]
    lines[1:] |= nearest[1:] != nearest[:-1]
    return lines, flats, _with_lines(flats, lines)


BASELINES = {"today": today, "canny": canny, "xdog": xdog, "posterise": posterise}
