"""scripts/sample_references.py: 600 references whose Korean captions and tags say the season, time of
day and weather that is drawn, and drawings that differ with them."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

import numpy as np
import pytest

from shared.core.catalog import CATEGORIES, STAGES
from shared.providers.cues import read_cues


@lru_cache(maxsize=1)
def rows() -> list[dict]:
    from scripts.sample_references import sample_rows

    return sample_rows()


def test_at_least_600_references_over_every_category_and_stage():
    assert len(rows()) >= 600
    cells = Counter((row["category"], row["stage"]) for row in rows())
    assert set(cells) == {(c.value, s.value) for c in CATEGORIES for s in STAGES}
    assert min(cells.values()) >= 40
    assert len({row["file"] for row in rows()}) == len(rows())


def test_outdoor_captions_and_tags_say_exactly_the_look_drawn():
    outdoor = [row for row in rows() if row["look"]["time"]]
    assert len({row["look"]["weather"] for row in outdoor}) >= 4 and len({row["look"]["season"] for row in outdoor}) == 4
    for row in outdoor:
        said = read_cues(" ".join([row["caption"], *row["tags"]]))
        for dimension in ("time", "season", "weather"):
            assert said.get(dimension) == {row["look"][dimension]}, (row["file"], dimension, said)


def test_indoor_captions_say_no_time_of_day_or_weather():
    for row in rows():
        if not row["look"]["time"]:
            said = read_cues(" ".join([row["caption"], *row["tags"]]))
            assert not said.get("time") and not said.get("weather"), row["file"]


def _pixels(scene: str, look: dict, stage: str):
    from scripts.sample_references import render

    row = next(r for r in rows() if r["scene"] == scene and r["stage"] == stage
               and all(r["look"][k] == v for k, v in look.items()))
    return np.asarray(render(row).convert("RGB")).astype(float)


def test_a_snowy_night_is_drawn_darker_than_a_spring_day():
    night = _pixels("palace", {"time": "night", "weather": "snow"}, "배경")
    day = _pixels("palace", {"time": "day", "season": "spring"}, "배경")
    assert night.mean() < day.mean() - 30


def test_winter_ground_is_whiter_than_spring_ground_and_rain_draws_streaks():
    winter = _pixels("hanok", {"season": "winter"}, "채색 기본")
    spring = _pixels("hanok", {"season": "spring"}, "채색 기본")
    assert winter[215:, :].mean() > spring[215:, :].mean() + 20  # the ground band below the wall
    rain = _pixels("hanok", {"weather": "rain"}, "스케치")
    dry = _pixels("hanok", {"season": "autumn"}, "스케치")
    assert (rain.min(axis=2) < 128).mean() > (dry.min(axis=2) < 128).mean()  # more ink: the streaks


@pytest.mark.parametrize("scene", ["palace", "bibimbap", "yeon"])
def test_every_look_of_a_scene_is_a_different_drawing(scene):
    finals = [row for row in rows() if row["scene"] == scene and row["stage"] == "배경"]
    from scripts.sample_references import render

    drawn = {render(row).tobytes() for row in finals}
    assert len(finals) == 5 and len(drawn) == 5
