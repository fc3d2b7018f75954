"""A simple Korean scene drawn procedurally from the prompt's cues (sky, sun or moon, mountains,
ground and water, hanok or buildings, trees, a meal table, rain), seeded: the local renderer's stand-in
source when there is no photo and no reference.

numpy and Pillow are imported inside the functions that use them (cold start).
"""

from __future__ import annotations

SCENE_CUES = {
    "night": ("night", "midnight", "moon", "star", "neon", "night view"),
    "dusk": ("dusk", "sunset", "evening", "twilight", "glow"),
    "dawn": ("dawn", "sunrise", "early morning"),
    "snow": ("snow", "winter", "icicle", "frost"),
    "rain": ("rain", "drizzle", "monsoon", "shower", "puddle"),
    "autumn": ("autumn", "maple", "ginkgo", "foliage", "fallen leaves"),
    "spring": ("spring", "cherry", "blossom", "azalea", "forsythia", "petal"),
    "water": ("sea", "beach", "harbour", "ocean", "river", "lake", "pond", "coast", "island", "stream"),
    "mountain": ("mountain", "peak", "hill", "volcano", "ridge", "valley", "oreum"),
    "hanok": ("palace", "hanok", "temple", "pavilion", "village", "shrine", "gate", "joseon", "tiled roof",
              "fortress"),
    "city": ("city", "street", "alley", "tower", "apartment", "market", "store", "shop", "station",
             "downtown", "building", "cafe", "neon", "school"),
    "food": ("korean food", "bowl", "stew", "noodle", "table", "bibimbap", "kimchi", "tteokbokki",
             "dishes", "banchan"),
}

# (cue, sky top, sky bottom), first match wins; the last row is the default daylight sky.
_SKIES = (
    ("night", (12, 18, 48), (46, 52, 96)),
    ("dusk", (70, 60, 130), (250, 150, 90)),
    ("dawn", (120, 150, 210), (250, 200, 170)),
    ("rain", (110, 115, 125), (165, 170, 175)),
    (None, (90, 150, 225), (200, 228, 245)),
)
_GROUNDS = (("snow", (236, 240, 246)), ("autumn", (168, 132, 84)), ("night", (40, 44, 60)),
            (None, (110, 150, 90)))
_LEAVES = (("spring", (246, 190, 210)), ("autumn", (222, 120, 50)), ("snow", (215, 225, 235)),
           (None, (60, 120, 60)))


def scene_cues(prompt: str) -> set[str]:
    text = prompt.lower()
    return {name for name, words in SCENE_CUES.items() if any(w in text for w in words)}


def _first(table, cues: set[str]):
    return next(row[1:] if len(row) > 2 else row[1] for row in table if row[0] is None or row[0] in cues)


def procedural_scene(prompt: str, width: int, height: int, seed: int):
    """The scene as an RGB PIL image of width x height; the same inputs draw the same picture."""
    import numpy as np
    from PIL import ImageDraw

    rng = np.random.default_rng(seed)
    cues = scene_cues(prompt)
    image = _sky(cues, width, height)
    draw = ImageDraw.Draw(image)
    horizon = int(height * rng.uniform(0.52, 0.66))
    _sun_moon_stars(draw, rng, cues, width, height, horizon)
    if "mountain" in cues or ("city" not in cues and "food" not in cues):
        _mountains(draw, rng, cues, width, height, horizon)
    _ground_and_water(draw, rng, cues, width, height, horizon)
    if "hanok" in cues:
        _hanok(draw, rng, cues, width, height, horizon)
    if "city" in cues:
        _city(draw, rng, cues, width, height, horizon)
    _trees(draw, rng, cues, width, height, horizon)
    if "food" in cues:
        _meal_table(draw, rng, width, height)
    if "rain" in cues:
        for _ in range(int(width * height / 3000)):
            x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
            draw.line((x, y, x - 3, y + 14), fill=(200, 205, 215), width=1)
    return image


def _sky(cues: set[str], width: int, height: int):
    import numpy as np
    from PIL import Image

    top, bottom = _first(_SKIES, cues)
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    sky = (np.array(top, np.float32) * (1 - t) + np.array(bottom, np.float32) * t)
    canvas = np.repeat(sky[:, None, :], width, axis=1).reshape(height, width, 3)
    return Image.fromarray(canvas.clip(0, 255).astype(np.uint8), "RGB")


def _sun_moon_stars(draw, rng, cues: set[str], width: int, height: int, horizon: int) -> None:
    if "night" in cues:
        for _ in range(int(width * height / 4000)):
            x, y = int(rng.integers(0, width)), int(rng.integers(0, horizon))
            draw.point((x, y), fill=(235, 235, 210))
        mx, my, r = int(width * rng.uniform(0.6, 0.85)), int(horizon * rng.uniform(0.15, 0.35)), width // 14
        draw.ellipse((mx - r, my - r, mx + r, my + r), fill=(245, 240, 200))
    elif "dusk" in cues or "dawn" in cues:
        sx, r = int(width * rng.uniform(0.2, 0.8)), width // 9
        draw.ellipse((sx - r, horizon - r, sx + r, horizon + r), fill=(255, 200, 120))


def _mountains(draw, rng, cues: set[str], width: int, height: int, horizon: int) -> None:
    base = (110, 130, 150) if "snow" not in cues else (200, 210, 225)
    for layer in range(2):
        shade = 0.55 + 0.2 * layer
        points = [(0, horizon)]
        x = 0
        while x < width:
            x += int(rng.integers(width // 8, width // 3))
            points.append((min(x, width), int(horizon - rng.uniform(0.08, 0.3) * height / (layer + 1))))
        points += [(width, horizon), (0, horizon)]
        draw.polygon(points, fill=tuple(int(c * shade) for c in base))


def _ground_and_water(draw, rng, cues: set[str], width: int, height: int, horizon: int) -> None:
    draw.rectangle((0, horizon, width, height), fill=_first(_GROUNDS, cues))
    if "water" not in cues:
        return
    depth = int((height - horizon) * 0.35)
    water_top = horizon + int((height - horizon) * rng.uniform(0.05, 0.25))
    draw.rectangle((0, water_top, width, water_top + depth),
                   fill=(40, 70, 120) if "night" in cues else (70, 140, 190))
    for _ in range(12):  # glints on the water
        y = int(rng.integers(water_top, water_top + depth))
        x = int(rng.integers(0, width))
        draw.line((x, y, x + width // 10, y), fill=(190, 220, 240), width=2)


def _hanok(draw, rng, cues: set[str], width: int, height: int, horizon: int) -> None:
    roof = (60, 64, 72) if "snow" not in cues else (235, 238, 244)
    count = int(rng.integers(2, 4))
    for i in range(count):
        cx = int(width * (i + 0.5) / count + rng.uniform(-0.05, 0.05) * width)
        w = int(width * rng.uniform(0.22, 0.32))
        base = horizon + int(height * rng.uniform(0.04, 0.12))
        wall_h = int(height * 0.08)
        draw.rectangle((cx - w // 2, base - wall_h, cx + w // 2, base), fill=(232, 220, 196))
        for px in range(cx - w // 2, cx + w // 2, max(8, w // 6)):  # wooden posts
            draw.rectangle((px, base - wall_h, px + 4, base), fill=(120, 72, 44))
        eave, rh, top = int(w * 0.18), int(height * 0.06), base - wall_h
        draw.polygon([(cx - w // 2 - eave, top - rh // 3), (cx - w // 3, top - rh), (cx + w // 3, top - rh),
                      (cx + w // 2 + eave, top - rh // 3), (cx + w // 2, top), (cx - w // 2, top)], fill=roof)


def _city(draw, rng, cues: set[str], width: int, height: int, horizon: int) -> None:
    night = "night" in cues
    window = (250, 220, 140) if night else (170, 200, 220)
    x = int(rng.integers(-width // 10, 0))
    while x < width:
        w = int(rng.integers(width // 10, width // 4))
        h = int(height * rng.uniform(0.15, 0.45))
        tone = int(rng.integers(120, 200))
        colour = (tone // 3, tone // 3, tone // 2) if night else (tone, tone - 10, tone - 25)
        draw.rectangle((x, horizon - h, x + w, height), fill=colour)
        for wy in range(horizon - h + 12, height - 20, 28):
            for wx in range(x + 8, x + w - 14, 24):
                if rng.random() < 0.7:
                    draw.rectangle((wx, wy, wx + 10, wy + 14), fill=window)
        x += w + int(rng.integers(4, 20))


def _trees(draw, rng, cues: set[str], width: int, height: int, horizon: int) -> None:
    leaf = _first(_LEAVES, cues)
    for _ in range(0 if "food" in cues else int(rng.integers(2, 6))):
        tx = int(rng.integers(0, width))
        ty = horizon + int(rng.integers(0, max(1, (height - horizon) // 3)))
        r = int(rng.integers(width // 16, width // 8))
        draw.rectangle((tx - r // 8, ty - r, tx + r // 8, ty + r), fill=(90, 62, 40))
        draw.ellipse((tx - r, ty - 2 * r, tx + r, ty), fill=leaf)


def _meal_table(draw, rng, width: int, height: int) -> None:
    table_top = int(height * 0.55)
    draw.rectangle((0, table_top, width, height), fill=(150, 100, 60))
    bowls = sorted((int(rng.integers(table_top + 30, height - 30)), int(rng.integers(width // 8, width * 7 // 8)),
                    int(rng.integers(width // 9, width // 5))) for _ in range(int(rng.integers(3, 6))))
    for cy, cx, r in bowls:  # far bowls first, near ones over them
        draw.ellipse((cx - r, cy - r // 2, cx + r, cy + r // 2), fill=(235, 232, 225))
        food = tuple(int(v) for v in rng.integers(60, 230, 3))
        draw.ellipse((cx - r * 3 // 4, cy - r // 3, cx + r * 3 // 4, cy + r // 3), fill=food)
