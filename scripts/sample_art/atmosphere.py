"""Time of day, season and weather of a sample drawing: the sky's colours and the shapes they add
(blossoms, autumn leaves, rain streaks, snowflakes, fog bands), with the Korean words that say them.

A scene is drawn in several looks; the caption and tags say exactly the look that is drawn, so search
and its quality bench (bench/search_quality.py) can tell a snowy night palace from a spring day one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .shapes import HEIGHT, WIDTH, Scene, Shape, mix


@dataclass(frozen=True)
class Look:
    key: str
    time: str  # dawn | day | evening | night (shared.core.concepts.CUES)
    season: str  # spring | summer | autumn | winter
    weather: str  # clear | rain | snow | fog
    words: str  # how the caption says it
    tags: tuple[str, ...]


# Every outdoor scene is drawn in the first three looks and two of the last three (chosen by the scene).
LOOKS: tuple[Look, ...] = (
    Look("spring-day", "day", "spring", "clear", "벚꽃 핀 맑은 봄날 낮", ("봄", "벚꽃", "낮", "맑음")),
    Look("autumn-evening", "evening", "autumn", "clear", "단풍 든 맑은 가을 저녁 노을", ("가을", "단풍", "노을", "저녁", "맑음")),
    Look("winter-night-snow", "night", "winter", "snow", "눈 내리는 겨울 밤", ("겨울", "눈", "밤", "설경")),
    Look("summer-day-rain", "day", "summer", "rain", "비 내리는 여름 낮", ("여름", "비", "낮", "우산")),
    Look("summer-dawn-fog", "dawn", "summer", "fog", "안개 낀 여름 새벽", ("여름", "안개", "새벽")),
    Look("summer-night-clear", "night", "summer", "clear", "별이 빛나는 맑은 여름 밤", ("여름", "밤", "별", "맑음")),
)
# Indoor scenes (a table top, a wall) show no sky: their variants differ in table and viewpoint only.
INDOOR_LOOKS: tuple[Look, ...] = tuple(
    Look(f"indoor-{i + 1}", "", "", "", words, ())
    for i, words in enumerate(("나무 식탁 위에 놓인", "가까이에서 본", "위에서 내려다본", "창가 자리의", "정갈하게 차린")))

SKY = {
    "dawn": ((150, 140, 190), (250, 200, 190)),
    "day": ((120, 180, 235), (200, 228, 250)),
    "evening": ((250, 140, 90), (255, 210, 150)),
    "night": ((20, 28, 70), (60, 60, 120)),
}
GROUND_BY_SEASON = {"spring": (150, 185, 120), "summer": (90, 150, 80), "autumn": (190, 140, 80),
                    "winter": (232, 236, 242)}


def looks_for(scene: Scene, index: int) -> tuple[Look, ...]:
    if scene.indoor:
        return INDOOR_LOOKS
    skipped = LOOKS[3 + index % 3]
    return tuple(look for look in LOOKS if look is not skipped)


def sky_colours(look: Look) -> tuple[tuple, tuple]:
    top, bottom = SKY.get(look.time, SKY["day"])
    if look.weather in ("rain", "snow", "fog"):  # an overcast sky: the colour drains towards grey
        grey = (45, 48, 60) if look.time == "night" else (160, 165, 175)
        top, bottom = mix(top, grey, 0.5), mix(bottom, grey, 0.5)
    return top, bottom


def ground_colour(scene: Scene, look: Look):
    if scene.ground is None or not look.season:
        return scene.ground
    return mix(scene.ground, GROUND_BY_SEASON[look.season], 0.8 if look.season == "winter" else 0.35)


def _scatter(rng: random.Random, count: int, top: float, bottom: float, radius: tuple, colours) -> list[Shape]:
    shapes = []
    for _ in range(count):
        x, y = rng.uniform(0, WIDTH), rng.uniform(top, bottom)
        r = rng.uniform(*radius)
        shapes.append(Shape("ellipse", [x - r, y - r, x + r, y + r], colours[rng.randrange(len(colours))]))
    return shapes


def season_shapes(scene: Scene, look: Look, rng: random.Random) -> list[Shape]:
    horizon = scene.horizon or HEIGHT * 0.6
    if look.season == "spring":  # cherry blossom petals drifting over the scene
        return _scatter(rng, 28, 5, horizon, (2.5, 4.5), [(250, 190, 210), (245, 160, 190)])
    if look.season == "autumn":  # red and orange leaves
        return _scatter(rng, 24, horizon * 0.5, HEIGHT - 5, (2.5, 4.0), [(220, 110, 40), (200, 60, 40), (230, 170, 50)])
    if look.season == "summer":  # dense green trees at both edges
        return [Shape("ellipse", [x - 28, horizon - 50, x + 28, horizon + 8], (50, 130, 60)) for x in (8, WIDTH - 8)]
    return []


def weather_shapes(scene: Scene, look: Look, rng: random.Random) -> list[Shape]:
    if look.weather == "rain":
        out = []
        for _ in range(45):
            x, y = rng.uniform(0, WIDTH + 20), rng.uniform(0, HEIGHT - 16)
            out.append(Shape("line", [(x, y), (x - 6, y + 16)], (150, 160, 190), width=1))
        return out
    if look.weather == "snow":
        return _scatter(rng, 60, 0, HEIGHT, (1.5, 3.0), [(250, 250, 255)])
    if look.weather == "fog":
        return [Shape("line", [(0, y), (WIDTH, y + 4)], (228, 228, 234), width=3)
                for y in range(int((scene.horizon or HEIGHT) * 0.55), HEIGHT, 14)]
    return []


def dressed(scene: Scene, look: Look, rng: random.Random) -> Scene:
    """The scene with its look's ground colour and shapes added (in front of the scene)."""
    if scene.indoor:
        return scene
    scene.ground = ground_colour(scene, look)
    scene.shapes = scene.shapes + season_shapes(scene, look, rng) + weather_shapes(scene, look, rng)
    return scene
