"""Synthetic ground truth for bench/layers.py: scenes of shapes with known outlines and flat colours.

Each scene is painted as a label map first (one integer per region, every region one known flat
colour), then rendered the way a picture looks: smooth lighting and gradients across each region,
anti-aliased edges, texture noise and JPEG compression. The seed picks the layout, so a new seed is a
scene nobody tuned on. Some shapes are given a colour of the same lightness as what lies behind them
but another hue (a pink wall against a grey sky), the case a luminance-only edge detector misses.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT = 1024, 1536


@dataclass
class Scene:
    image: Any  # HxWx3 uint8, the rendered picture (after JPEG)
    labels: Any  # HxW int32, region id per pixel
    colours: Any  # Nx3 uint8, the flat colour of each region id
    seed: int


def _lab_to_rgb(lab):
    import cv2
    import numpy as np

    px = np.asarray(lab, np.float32).reshape(1, -1, 3)
    rgb = cv2.cvtColor(px, cv2.COLOR_Lab2RGB)
    return np.clip(rgb.reshape(-1, 3) * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _rgb_to_lab(rgb):
    import cv2
    import numpy as np

    px = np.asarray(rgb, np.float32).reshape(1, -1, 3) / 255.0
    return cv2.cvtColor(px, cv2.COLOR_RGB2Lab).reshape(-1, 3)


def _random_colour(rng, behind_lab=None):
    """A flat colour; with `behind_lab`, one of the same lightness but a clearly different hue."""
    import numpy as np

    if behind_lab is None:
        lab = np.array([rng.uniform(25, 90), rng.uniform(-45, 55), rng.uniform(-45, 60)])
    else:
        angle = rng.uniform(0, 2 * np.pi)
        chroma = rng.uniform(22, 45)
        lab = np.array([behind_lab[0], behind_lab[1] + chroma * np.cos(angle),
                        behind_lab[2] + chroma * np.sin(angle)])
    return _lab_to_rgb(lab)[0]


def _shape_polygon(rng, kind: str, w: int, h: int):
    import numpy as np

    cx, cy = rng.uniform(0.05, 0.95) * w, rng.uniform(0.15, 0.95) * h
    size = rng.uniform(0.06, 0.3) * w
    if kind == "building":
        bw, top = rng.uniform(0.08, 0.3) * w, rng.uniform(0.3, 0.8) * h
        x0 = rng.uniform(-0.05, 0.95) * w
        return np.array([[x0, h], [x0, top], [x0 + bw, top], [x0 + bw, h]])
    if kind == "roof":
        return np.array([[cx - size, cy], [cx + size, cy], [cx + rng.uniform(-0.3, 0.3) * size, cy - size * 0.7]])
    if kind == "ellipse":
        t = np.linspace(0, 2 * np.pi, 90, endpoint=False)
        ax, ay, rot = size, size * rng.uniform(0.4, 1.0), rng.uniform(0, np.pi)
        xs, ys = ax * np.cos(t), ay * np.sin(t)
        return np.stack([cx + xs * np.cos(rot) - ys * np.sin(rot), cy + xs * np.sin(rot) + ys * np.cos(rot)], 1)
    n = int(rng.integers(4, 8))  # a convex-ish blob (rock, bush, sign)
    t = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = size * rng.uniform(0.5, 1.0, n)
    return np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], 1)


def _layout(rng, w: int, h: int):
    """(labels, colours): sky, ground, then shapes painted back to front."""
    import cv2
    import numpy as np

    labels = np.zeros((h, w), np.int32)
    colours = [_random_colour(rng)]
    horizon = int(rng.uniform(0.45, 0.75) * h)
    labels[horizon:] = 1
    colours.append(_random_colour(rng))
    kinds = ("building", "building", "roof", "ellipse", "blob")
    for _ in range(int(rng.integers(9, 18))):
        poly = _shape_polygon(rng, kinds[int(rng.integers(0, len(kinds)))], w, h)
        mask = np.zeros((h, w), np.uint8)
        cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1)
        if mask.sum() < 0.004 * w * h:
            continue
        behind = np.bincount(labels[mask > 0]).argmax()
        same_lightness = rng.uniform() < 0.35
        colour = _random_colour(rng, _rgb_to_lab(colours[behind])[0] if same_lightness else None)
        labels[mask > 0] = len(colours)
        colours.append(colour)
        if rng.uniform() < 0.4 and mask.sum() > 0.02 * w * h:
            _windows(rng, labels, colours, mask, len(colours) - 1)
    for _ in range(int(rng.integers(0, 4))):  # poles and posts: thin, tall shapes
        x0, width = int(rng.uniform(0, w - 10)), int(rng.integers(4, 10))
        top = int(rng.uniform(0.2, 0.7) * h)
        labels[top:, x0:x0 + width] = len(colours)
        colours.append(_random_colour(rng))
    return _connected(labels, np.array(colours, np.uint8))


def _windows(rng, labels, colours, mask, wall: int) -> None:
    """A grid of small windows of one colour (each its own region) inside a wall."""
    import numpy as np

    ys, xs = np.nonzero(mask)
    ww, wh = int(rng.integers(10, 22)), int(rng.integers(14, 30))
    gap_x, gap_y = ww + int(rng.integers(8, 20)), wh + int(rng.integers(10, 24))
    colour = _random_colour(rng)
    for y in range(ys.min() + 12, ys.max() - wh - 12, gap_y):
        for x in range(xs.min() + 10, xs.max() - ww - 10, gap_x):
            if (labels[y:y + wh, x:x + ww] == wall).all():
                labels[y:y + wh, x:x + ww] = len(colours)
                colours.append(colour)


def _connected(labels, colours):
    """Every connected piece of a region its own region (same colour): a wall cut in two by a tower
    is two regions, which may rightly get two flats."""
    import cv2
    import numpy as np

    out = np.zeros_like(labels)
    out_colours = []
    for value in np.unique(labels):
        count, pieces = cv2.connectedComponents((labels == value).astype(np.uint8), connectivity=4)
        for piece in range(1, count):
            out[pieces == piece] = len(out_colours)
            out_colours.append(colours[value])
    return out, np.array(out_colours, np.uint8)


def _lighting(rng, w: int, h: int, labels, n: int):
    """A multiplicative light field: a global direction, plus a gradient of its own in every region."""
    import numpy as np

    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = x / w - 0.5, y / h - 0.5
    light = 1.0 + 0.18 * (rng.uniform(-1, 1) * u + rng.uniform(-1, 1) * v)
    gx, gy = rng.uniform(-0.5, 0.5, n).astype(np.float32), rng.uniform(-0.5, 0.5, n).astype(np.float32)
    light *= 1.0 + gx[labels] * u + gy[labels] * v
    return light


def _texture(rng, w: int, h: int, strength: float):
    """Blotchy low-frequency texture plus grain (in 8-bit units)."""
    import cv2
    import numpy as np

    coarse = rng.normal(0, 1, (h // 32 + 1, w // 32 + 1)).astype(np.float32)
    blotch = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    grain = rng.normal(0, 1, (h, w, 3)).astype(np.float32)
    return strength * (0.6 * blotch[..., None] + grain)


def make_scene(seed: int, width: int = WIDTH, height: int = HEIGHT) -> Scene:
    import cv2
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    labels, colours = _layout(rng, width, height)
    base = colours[labels].astype(np.float32)
    # a sky gradient of its own: the top region shifts hue and lightness from top to bottom
    sky_shift = _random_colour(rng).astype(np.float32) - colours[0].astype(np.float32)
    t = (np.arange(height, dtype=np.float32) / height)[:, None, None]
    base += (labels == 0)[..., None] * sky_shift * 0.35 * t
    img = base * _lighting(rng, width, height, labels, len(colours))[..., None]
    img = cv2.GaussianBlur(img, (0, 0), 0.8)  # the soft edge of a rendered shape
    img += _texture(rng, width, height, rng.uniform(3.0, 8.0))
    img = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=int(rng.integers(70, 92)))
    jpeg = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    return Scene(image=jpeg, labels=labels, colours=colours, seed=seed)


def outlines(labels, colours, min_delta_e: float):
    """(outline, unsure): 1-px masks of the borders between regions whose flat colours differ by at
    least `min_delta_e` (CIELAB), and of the borders between nearly equal colours (neither line nor
    no-line is wrong there)."""
    import numpy as np

    lab = _rgb_to_lab(colours)
    h, w = labels.shape
    outline = np.zeros((h, w), bool)
    unsure = np.zeros((h, w), bool)
    for a, b, sl in ((labels[:, :-1], labels[:, 1:], np.s_[:, :-1]), (labels[:-1], labels[1:], np.s_[:-1])):
        differs = a != b
        delta = np.linalg.norm(lab[a] - lab[b], axis=-1)
        outline[sl] |= differs & (delta >= min_delta_e)
        unsure[sl] |= differs & (delta < min_delta_e)
    return outline, unsure & ~outline


def neighbour_pairs(labels):
    """Set of (a, b) region ids, a < b, that touch (4-neighbourhood)."""
    import numpy as np

    pairs = set()
    for a, b in ((labels[:, :-1], labels[:, 1:]), (labels[:-1], labels[1:])):
        differs = a != b
        lo, hi = np.minimum(a[differs], b[differs]), np.maximum(a[differs], b[differs])
        pairs.update(map(tuple, np.unique(np.stack([lo, hi], 1), axis=0).tolist()))
    return pairs


def lab_of(rgb):
    """CIELAB (L 0..100) of an ...x3 uint8 array."""
    import numpy as np

    return _rgb_to_lab(np.asarray(rgb).reshape(-1, 3)).reshape(np.asarray(rgb).shape[:-1] + (3,))
