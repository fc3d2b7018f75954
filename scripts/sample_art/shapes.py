"""Shapes and scenes of the procedural sample drawings: a scene is a list of simple shapes that every
art-stage renderer (render.py) draws in its own way."""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH, HEIGHT = 320, 240



# --- shapes -------------------------------------------------------------------------------------

@dataclass
class Shape:
    kind: str  # poly | ellipse | rect | line
    xy: list
    fill: tuple | None = None
    width: int = 2  # outline / line width


@dataclass
class Scene:
    key: str
    category: str
    caption: str  # what it shows, without time or stage
    tags: list[str]
    ground: tuple | None  # ground colour for the lower band, None: the shapes cover it
    horizon: int = 170
    shapes: list[Shape] = field(default_factory=list)
    indoor: bool = False  # no sky: a table top fills the frame


def shade(color, factor):
    return tuple(max(0, min(255, int(c * factor))) for c in color)


def mix(a, b, t):
    return tuple(int(a[i] + (b[i] - a[i]) * t) for i in range(3))


def curved_roof(cx, eave_y, half_width, ridge_y, ridge_half, lift, color) -> Shape:
    """A Korean tiled roof: the eave line curls up at both ends (cheoma)."""
    points = []
    for i in range(21):
        t = i / 20
        x = cx - half_width + 2 * half_width * t
        points.append((x, eave_y - lift * (2 * t - 1) ** 4))
    points += [(cx + ridge_half, ridge_y), (cx - ridge_half, ridge_y)]
    return Shape("poly", points, color)


def ridge(rng, left, right, base, peak, steps=9):
    """A jagged mountain ridge polygon from `left` to `right`, peaks up to `peak`."""
    points = [(left, base)]
    for i in range(steps + 1):
        x = left + (right - left) * i / steps
        height = peak + (base - peak) * (abs(i - steps / 2) / (steps / 2)) ** 1.3
        points.append((x, height + rng.uniform(-12, 12)))
    points.append((right, base))
    return points


# --- scenes -------------------------------------------------------------------------------------
