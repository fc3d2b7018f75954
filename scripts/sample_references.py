"""A sample reference set drawn by code (no downloaded images): 3 categories x 6 scenes x 2 variants,
each drawn at the 5 art stages = 180 PNGs with Korean captions and tags, plus metadata.jsonl for
`python -m shared.references ingest`.

    python -m scripts.sample_references --output .data/samples

Scenes: landmarks (palace roofs, Namsan tower, mountains, Han river bridge, Haeundae beach, fortress
wall), food (bibimbap, tteokbokki, a table of side dishes, kimchi jars, a street stall, naengmyeon) and
culture (hanok, hanbok, lantern festival, cheongsachorong alley, fan, mask). Stage looks follow
shared.core.catalog: grey rough storyboard, black line art, flat colour, shaded colour, polished background.
Deterministic: the same code draws the same bytes, so a rerun of the ingest finds nothing new.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

from shared.core.catalog import STAGES

WIDTH, HEIGHT = 320, 240
METADATA_FILE = "metadata.jsonl"
SOURCE = "webtoon-backgrounds sample generator (procedural drawing)"
LICENSE = "CC0-1.0"
VARIANTS = 2

STAGE_SLUGS = {"콘티": "storyboard", "스케치": "sketch", "채색 기본": "flat", "채색 명암": "shaded", "배경": "final"}
STAGE_WORDS = {
    "콘티": ("회색 러프 콘티", ["콘티", "러프", "구도"]),
    "스케치": ("깔끔한 검은 선화 스케치", ["스케치", "선화"]),
    "채색 기본": ("명암 없는 평면 기본 채색", ["채색 기본", "평면 채색"]),
    "채색 명암": ("빛과 그림자를 넣은 명암 채색", ["채색 명암", "명암", "그림자"]),
    "배경": ("조명과 분위기까지 완성한 웹툰 배경", ["배경", "완성", "조명"]),
}
TIMES = {
    "day": ("맑은 낮", "낮", [(120, 180, 235), (200, 228, 250)]),
    "sunset": ("노을 지는", "노을", [(250, 140, 90), (255, 210, 150)]),
    "night": ("달 밝은 밤", "밤", [(20, 28, 70), (60, 60, 120)]),
}


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

def palace(rng) -> Scene:
    s = Scene("palace", "국내명소", "경복궁 근정전의 겹처마 기와 지붕과 붉은 기둥", ["경복궁", "궁궐", "기와", "지붕", "기둥"],
              (196, 180, 150), 180)
    s.shapes.append(Shape("poly", ridge(rng, 0, WIDTH, 150, 70), (90, 120, 90)))  # Bugaksan behind
    cx = WIDTH / 2 + rng.uniform(-20, 20)
    s.shapes.append(Shape("rect", [cx - 120, 175, cx + 120, 190], (170, 165, 155)))  # stone terrace
    s.shapes.append(Shape("rect", [cx - 90, 130, cx + 90, 176], (230, 220, 200)))
    for i in range(7):
        x = cx - 84 + i * 28
        s.shapes.append(Shape("rect", [x - 4, 130, x + 4, 176], (170, 40, 35)))
    s.shapes.append(curved_roof(cx, 132, 125, 112, 70, 14, (70, 75, 85)))
    s.shapes.append(Shape("rect", [cx - 70, 100, cx + 70, 113], (120, 60, 50)))
    s.shapes.append(curved_roof(cx, 102, 100, 80, 50, 12, (60, 65, 75)))
    for i in range(9):
        s.shapes.append(Shape("line", [(cx - 110 + i * 27, 190), (cx - 110 + i * 27 + 6, 200)], width=1))
    return s


def namsan_tower(rng) -> Scene:
    s = Scene("namsan", "국내명소", "남산 위에 선 N서울타워와 아래 도시 빌딩들", ["남산", "남산타워", "서울", "타워", "도시"],
              (80, 90, 100), 200)
    s.shapes.append(Shape("ellipse", [-40, 120, WIDTH + 40, 320], (70, 130, 70)))
    tx = WIDTH / 2 + rng.uniform(-40, 40)
    s.shapes.append(Shape("rect", [tx - 5, 50, tx + 5, 140], (225, 225, 230)))
    s.shapes.append(Shape("ellipse", [tx - 20, 55, tx + 20, 75], (210, 80, 70)))
    s.shapes.append(Shape("rect", [tx - 12, 75, tx + 12, 85], (200, 200, 210)))
    s.shapes.append(Shape("line", [(tx, 50), (tx, 18)], width=2))
    x = 0
    while x < WIDTH:
        w = rng.randint(18, 34)
        h = rng.randint(25, 70)
        s.shapes.append(Shape("rect", [x, HEIGHT - h, x + w - 3, HEIGHT], mix((90, 100, 120), (160, 160, 170), rng.random())))
        for wy in range(HEIGHT - h + 6, HEIGHT - 4, 9):
            s.shapes.append(Shape("line", [(x + 4, wy), (x + w - 7, wy)], width=1))
        x += w
    return s


def mountains(rng) -> Scene:
    s = Scene("mountains", "국내명소", "설악산 능선이 겹겹이 이어지는 산 풍경과 계곡", ["설악산", "산", "능선", "계곡", "자연"],
              (80, 120, 80), 200)
    colors = [(150, 165, 190), (110, 140, 120), (70, 110, 80)]
    for layer, color in enumerate(colors):
        base = 150 + layer * 30
        s.shapes.append(Shape("poly", ridge(rng, -10, WIDTH + 10, base + 60, 40 + layer * 35, steps=7 + layer * 2),
                              color))
    s.shapes.append(Shape("poly", [(130, HEIGHT), (150, 190), (175, 190), (210, HEIGHT)], (120, 170, 210)))
    for _i in range(5):
        x = rng.uniform(10, WIDTH - 20)
        s.shapes.append(Shape("poly", [(x, 200), (x + 8, 180), (x + 16, 200)], (40, 90, 50)))
    return s


def bridge(rng) -> Scene:
    s = Scene("bridge", "국내명소", "한강 위를 가로지르는 다리와 강변 도시의 불빛", ["한강", "다리", "강", "서울", "야경"],
              (70, 110, 150), 160)
    x = 0
    while x < WIDTH:
        w = rng.randint(16, 30)
        h = rng.randint(20, 60)
        s.shapes.append(Shape("rect", [x, 160 - h, x + w - 2, 160], (120, 125, 140)))
        x += w
    s.shapes.append(Shape("rect", [0, 160, WIDTH, HEIGHT], (60, 100, 150)))
    s.shapes.append(Shape("rect", [0, 150, WIDTH, 160], (150, 150, 150)))
    for i in range(6):
        x0 = i * WIDTH / 6
        s.shapes.append(Shape("rect", [x0 + 20, 160, x0 + 30, 200], (130, 130, 135)))
        s.shapes.append(Shape("line", [(x0, 150), (x0 + 25, 130), (x0 + WIDTH / 6, 150)], width=2))
    for _ in range(8):
        y = rng.uniform(205, 235)
        x = rng.uniform(0, WIDTH - 40)
        s.shapes.append(Shape("line", [(x, y), (x + rng.uniform(15, 40), y)], width=1))
    return s


def beach(rng) -> Scene:
    s = Scene("beach", "국내명소", "해운대 해수욕장의 바다와 모래사장, 파라솔과 고층 빌딩", ["해운대", "부산", "바다", "해변", "파라솔"],
              (230, 210, 160), 175)
    for i in range(6):
        x = 180 + i * 22
        h = rng.randint(50, 100)
        s.shapes.append(Shape("rect", [x, 120 - h + 40, x + 18, 125], (180, 190, 205)))
    s.shapes.append(Shape("rect", [0, 125, WIDTH, 175], (40, 120, 180)))
    for i in range(5):
        y = 135 + i * 8
        s.shapes.append(Shape("line", [(rng.uniform(0, 60), y), (rng.uniform(150, 300), y)], width=1))
    for i in range(4):
        x = 30 + i * 70 + rng.uniform(-10, 10)
        color = [(230, 70, 60), (250, 200, 60), (60, 150, 220), (240, 240, 240)][i]
        s.shapes.append(Shape("line", [(x, 190), (x, 215)], width=2))
        s.shapes.append(Shape("poly", [(x - 22, 195), (x, 180), (x + 22, 195)], color))
    return s


def fortress(rng) -> Scene:
    s = Scene("fortress", "국내명소", "수원 화성의 성곽과 성문 누각", ["수원", "화성", "성곽", "성문", "누각"],
              (150, 170, 110), 185)
    s.shapes.append(Shape("rect", [0, 140, WIDTH, 185], (190, 180, 165)))
    for i in range(0, WIDTH, 20):
        s.shapes.append(Shape("rect", [i, 130, i + 12, 141], (180, 170, 155)))
    for row in range(148, 185, 9):
        s.shapes.append(Shape("line", [(0, row), (WIDTH, row)], width=1))
    gx = WIDTH / 2 + rng.uniform(-50, 50)
    s.shapes.append(Shape("rect", [gx - 45, 110, gx + 45, 185], (175, 165, 150)))
    s.shapes.append(Shape("ellipse", [gx - 18, 140, gx + 18, 200], (50, 40, 35)))
    s.shapes.append(Shape("rect", [gx - 40, 85, gx + 40, 110], (150, 60, 50)))
    s.shapes.append(curved_roof(gx, 90, 60, 70, 30, 10, (70, 70, 80)))
    return s


def bibimbap(rng) -> Scene:
    s = Scene("bibimbap", "음식", "돌솥 비빔밥 한 그릇과 색색의 나물, 달걀 노른자", ["비빔밥", "돌솥", "나물", "그릇", "한식"],
              None, 0, indoor=True)
    s.shapes.append(Shape("rect", [0, 0, WIDTH, HEIGHT], (150, 100, 60)))
    for y in range(20, HEIGHT, 36):
        s.shapes.append(Shape("line", [(0, y + rng.uniform(-4, 4)), (WIDTH, y + rng.uniform(-4, 4))], width=1))
    cx, cy = WIDTH / 2 + rng.uniform(-20, 20), HEIGHT / 2 + 10
    s.shapes.append(Shape("ellipse", [cx - 105, cy - 75, cx + 105, cy + 85], (50, 50, 55)))
    s.shapes.append(Shape("ellipse", [cx - 90, cy - 62, cx + 90, cy + 62], (245, 240, 225)))
    colors = [(230, 120, 40), (60, 150, 60), (180, 110, 60), (240, 230, 170), (200, 40, 40), (120, 80, 50)]
    for i, color in enumerate(colors):
        a0 = i * 60 + rng.uniform(-5, 5)
        points = [(cx, cy)] + [(cx + 80 * math.cos(math.radians(a)), cy + 54 * math.sin(math.radians(a)))
                               for a in range(int(a0), int(a0) + 61, 10)]
        s.shapes.append(Shape("poly", points, color))
    s.shapes.append(Shape("ellipse", [cx - 16, cy - 14, cx + 16, cy + 14], (250, 190, 30)))
    return s


def tteokbokki(rng) -> Scene:
    s = Scene("tteokbokki", "음식", "빨간 양념의 떡볶이와 어묵이 담긴 접시, 피어오르는 김", ["떡볶이", "어묵", "접시", "분식", "김"],
              None, 0, indoor=True)
    s.shapes.append(Shape("rect", [0, 0, WIDTH, HEIGHT], (60, 120, 140)))
    cx, cy = WIDTH / 2, HEIGHT / 2 + 20
    s.shapes.append(Shape("ellipse", [cx - 120, cy - 70, cx + 120, cy + 80], (240, 240, 235)))
    s.shapes.append(Shape("ellipse", [cx - 100, cy - 55, cx + 100, cy + 62], (200, 50, 30)))
    for _ in range(14):
        x, y = cx + rng.uniform(-80, 70), cy + rng.uniform(-40, 40)
        angle = rng.uniform(0, math.pi)
        dx, dy = 18 * math.cos(angle), 18 * math.sin(angle)
        s.shapes.append(Shape("line", [(x - dx, y - dy), (x + dx, y + dy)], width=9))
    for _ in range(4):
        x, y = cx + rng.uniform(-70, 60), cy + rng.uniform(-35, 30)
        s.shapes.append(Shape("poly", [(x, y), (x + 28, y + 6), (x + 8, y + 24)], (230, 190, 120)))
    for i in range(3):
        x = cx - 40 + i * 40
        s.shapes.append(Shape("line", [(x, 70), (x + 8, 50), (x - 4, 30), (x + 6, 10)], width=2))
    return s


def table_spread(rng) -> Scene:
    s = Scene("hansang", "음식", "밥과 국, 여러 가지 반찬이 차려진 한상차림과 수저", ["한상차림", "반찬", "밥", "국", "수저"],
              None, 0, indoor=True)
    s.shapes.append(Shape("rect", [0, 0, WIDTH, HEIGHT], (120, 70, 40)))
    s.shapes.append(Shape("rect", [15, 15, WIDTH - 15, HEIGHT - 15], (170, 110, 60)))
    colors = [(220, 60, 40), (90, 160, 70), (240, 220, 150), (150, 90, 50), (200, 120, 60), (70, 120, 60)]
    for i in range(6):
        x = 55 + (i % 3) * 105 + rng.uniform(-8, 8)
        y = 60 + (i // 3) * 60 + rng.uniform(-6, 6)
        s.shapes.append(Shape("ellipse", [x - 30, y - 20, x + 30, y + 20], (235, 235, 230)))
        s.shapes.append(Shape("ellipse", [x - 20, y - 12, x + 20, y + 12], colors[i]))
    s.shapes.append(Shape("ellipse", [60, 170, 130, 220], (245, 245, 240)))
    s.shapes.append(Shape("ellipse", [150, 170, 220, 220], (200, 150, 90)))
    s.shapes.append(Shape("line", [(250, 165), (255, 228)], width=3))
    s.shapes.append(Shape("line", [(262, 165), (266, 228)], width=3))
    s.shapes.append(Shape("ellipse", [275, 165, 295, 185], (200, 200, 205)))
    s.shapes.append(Shape("line", [(285, 185), (285, 228)], width=3))
    return s


def onggi(rng) -> Scene:
    s = Scene("onggi", "음식", "장독대에 줄지어 놓인 김치 옹기 항아리들", ["김치", "옹기", "장독대", "항아리", "마당"],
              (190, 170, 140), 150)
    s.shapes.append(Shape("rect", [0, 120, WIDTH, 150], (160, 150, 140)))
    for row, (y, scale) in enumerate(((150, 0.8), (190, 1.0))):
        for i in range(5 - row):
            x = 40 + i * 62 + row * 30 + rng.uniform(-5, 5)
            w, h = 26 * scale, 40 * scale
            s.shapes.append(Shape("ellipse", [x - w, y - h, x + w, y + h * 0.6], (110, 60, 35)))
            s.shapes.append(Shape("ellipse", [x - w * 0.6, y - h - 6, x + w * 0.6, y - h + 6], (90, 50, 30)))
            s.shapes.append(Shape("line", [(x - w * 0.8, y - h * 0.3), (x + w * 0.8, y - h * 0.3)], width=1))
    return s


def street_stall(rng) -> Scene:
    s = Scene("pojangmacha", "음식", "주황색 천막의 포장마차와 백열전구, 어묵 꼬치가 놓인 좌판", ["포장마차", "천막", "어묵", "골목", "야식"],
              (90, 90, 95), 185)
    s.shapes.append(Shape("rect", [0, 60, WIDTH, 185], (70, 70, 80)))
    x0 = 40 + rng.uniform(-10, 10)
    s.shapes.append(Shape("poly", [(x0, 70), (x0 + 240, 70), (x0 + 250, 185), (x0 - 10, 185)], (240, 120, 40)))
    s.shapes.append(Shape("rect", [x0 + 20, 95, x0 + 220, 150], (120, 60, 40)))
    s.shapes.append(Shape("rect", [x0 + 10, 150, x0 + 230, 165], (150, 110, 80)))
    s.shapes.append(Shape("ellipse", [x0 + 110, 100, x0 + 130, 120], (255, 230, 140)))
    s.shapes.append(Shape("line", [(x0 + 120, 70), (x0 + 120, 100)], width=1))
    for i in range(6):
        x = x0 + 50 + i * 25
        s.shapes.append(Shape("line", [(x, 150), (x + 8, 120)], width=2))
    for i in range(3):
        x = x0 + 30 + i * 80
        s.shapes.append(Shape("ellipse", [x, 190, x + 30, 200], (220, 60, 50)))
        s.shapes.append(Shape("line", [(x + 15, 200), (x + 15, 230)], width=3))
    return s


def naengmyeon(rng) -> Scene:
    s = Scene("naengmyeon", "음식", "살얼음 육수에 담긴 물냉면과 삶은 달걀, 오이채", ["냉면", "물냉면", "육수", "그릇", "여름"],
              None, 0, indoor=True)
    s.shapes.append(Shape("rect", [0, 0, WIDTH, HEIGHT], (200, 215, 220)))
    cx, cy = WIDTH / 2, HEIGHT / 2 + 10
    s.shapes.append(Shape("ellipse", [cx - 115, cy - 80, cx + 115, cy + 90], (190, 190, 195)))
    s.shapes.append(Shape("ellipse", [cx - 98, cy - 66, cx + 98, cy + 70], (200, 170, 130)))
    for i in range(12):
        y = cy - 40 + i * 7
        s.shapes.append(Shape("line", [(cx - 70, y + rng.uniform(-4, 4)), (cx - 20, y + 6), (cx + 30, y - 4),
                                       (cx + 70, y + rng.uniform(-4, 4))], width=1))
    s.shapes.append(Shape("ellipse", [cx - 20, cy - 40, cx + 20, cy - 10], (250, 250, 245)))
    s.shapes.append(Shape("ellipse", [cx - 9, cy - 32, cx + 9, cy - 18], (250, 200, 40)))
    for i in range(5):
        x = cx + 30 + i * 6
        s.shapes.append(Shape("line", [(x, cy - 30), (x + 14, cy + 10)], width=3))
    return s


def hanok(rng) -> Scene:
    s = Scene("hanok", "한국문화", "기와지붕 한옥과 나무 창살문, 돌담이 있는 마당", ["한옥", "기와", "창살", "돌담", "마당"],
              (200, 185, 150), 180)
    hx = WIDTH / 2 + rng.uniform(-30, 30)
    s.shapes.append(Shape("rect", [hx - 110, 115, hx + 110, 175], (235, 225, 200)))
    for i in range(5):
        x = hx - 95 + i * 44
        s.shapes.append(Shape("rect", [x, 125, x + 30, 170], (190, 140, 90)))
        for j in range(1, 4):
            s.shapes.append(Shape("line", [(x, 125 + j * 11), (x + 30, 125 + j * 11)], width=1))
        s.shapes.append(Shape("line", [(x + 15, 125), (x + 15, 170)], width=1))
    s.shapes.append(curved_roof(hx, 118, 140, 85, 90, 16, (80, 80, 90)))
    s.shapes.append(Shape("rect", [0, 180, WIDTH, 205], (150, 140, 125)))
    for i in range(0, WIDTH, 24):
        s.shapes.append(Shape("ellipse", [i, 182, i + 22, 196], (170, 160, 145)))
    return s


def hanbok(rng) -> Scene:
    s = Scene("hanbok", "한국문화", "색동 소매 저고리와 풍성한 치마의 한복 입은 인물", ["한복", "색동", "저고리", "치마", "인물"],
              (220, 200, 170), 200)
    cx = WIDTH / 2 + rng.uniform(-40, 40)
    skirt = [(220, 60, 90), (60, 90, 170), (240, 140, 160)][rng.randint(0, 2)]
    s.shapes.append(Shape("poly", [(cx - 20, 110), (cx + 20, 110), (cx + 70, 225), (cx - 70, 225)], skirt))
    s.shapes.append(Shape("poly", [(cx - 28, 80), (cx + 28, 80), (cx + 24, 112), (cx - 24, 112)], (250, 230, 120)))
    stripes = [(230, 50, 50), (250, 200, 40), (60, 160, 80), (60, 100, 200), (250, 250, 250)]
    for side in (-1, 1):
        for i, color in enumerate(stripes):
            x = cx + side * (30 + i * 8)
            s.shapes.append(Shape("rect", [min(x, x + side * 8), 84, max(x, x + side * 8), 104], color))
    s.shapes.append(Shape("poly", [(cx - 4, 95), (cx + 30, 130), (cx + 22, 134), (cx - 4, 102)], (200, 40, 60)))
    s.shapes.append(Shape("ellipse", [cx - 16, 46, cx + 16, 80], (245, 215, 190)))
    s.shapes.append(Shape("ellipse", [cx - 18, 40, cx + 18, 62], (40, 30, 30)))
    return s


def lanterns(rng) -> Scene:
    s = Scene("yeondeung", "한국문화", "연등 축제의 밤하늘에 줄지어 걸린 색색의 연등", ["연등", "연등회", "축제", "등불", "절"],
              (120, 100, 90), 210)
    colors = [(240, 80, 90), (250, 180, 60), (120, 200, 90), (90, 150, 240), (240, 120, 200)]
    for row in range(3):
        y0 = 40 + row * 50
        s.shapes.append(Shape("line", [(0, y0), (WIDTH / 2, y0 + 15), (WIDTH, y0)], width=1))
        for i in range(8):
            x = 20 + i * 40 + rng.uniform(-4, 4)
            y = y0 + 15 * (1 - abs(x - WIDTH / 2) / (WIDTH / 2)) + 10
            s.shapes.append(Shape("ellipse", [x - 12, y - 12, x + 12, y + 12], colors[(i + row) % 5]))
    s.shapes.append(Shape("rect", [0, 195, WIDTH, 210], (150, 130, 110)))
    return s


def cheongsachorong(rng) -> Scene:
    s = Scene("cheongsachorong", "한국문화", "한옥 골목 처마 끝에 걸린 파랑 빨강 청사초롱", ["청사초롱", "초롱", "골목", "한옥", "등불"],
              (160, 150, 130), 200)
    s.shapes.append(Shape("poly", [(0, 60), (120, 110), (120, 200), (0, 230)], (225, 215, 190)))
    s.shapes.append(Shape("poly", [(WIDTH, 60), (200, 110), (200, 200), (WIDTH, 230)], (215, 205, 180)))
    s.shapes.append(Shape("poly", [(0, 45), (130, 100), (120, 112), (0, 62)], (70, 70, 80)))
    s.shapes.append(Shape("poly", [(WIDTH, 45), (190, 100), (200, 112), (WIDTH, 62)], (70, 70, 80)))
    for side in (-1, 1):
        for i in range(3):
            t = 0.2 + i * 0.25 + rng.uniform(-0.03, 0.03)
            x = WIDTH / 2 + side * (WIDTH / 2 - t * 120)
            y = 60 + t * 60
            s.shapes.append(Shape("line", [(x, y), (x, y + 12)], width=1))
            s.shapes.append(Shape("rect", [x - 9, y + 12, x + 9, y + 22], (40, 70, 170)))
            s.shapes.append(Shape("rect", [x - 9, y + 22, x + 9, y + 38], (200, 40, 40)))
    return s


def fan(rng) -> Scene:
    s = Scene("buchae", "한국문화", "꽃무늬가 그려진 전통 부채를 활짝 편 모습", ["부채", "부채춤", "전통", "꽃무늬", "공연"],
              None, 0, indoor=True)
    s.shapes.append(Shape("rect", [0, 0, WIDTH, HEIGHT], (120, 30, 50)))
    cx, cy = WIDTH / 2, 215
    spread = rng.uniform(70, 85)
    points = [(cx, cy)] + [(cx + 180 * math.cos(math.radians(a)), cy - 180 * math.sin(math.radians(a)))
                           for a in range(int(90 - spread), int(90 + spread) + 1, 5)]
    s.shapes.append(Shape("poly", points, (245, 225, 200)))
    for a in range(int(90 - spread), int(90 + spread) + 1, 12):
        s.shapes.append(Shape("line", [(cx, cy), (cx + 178 * math.cos(math.radians(a)),
                                                  cy - 178 * math.sin(math.radians(a)))], width=1))
    for i in range(5):
        a = math.radians(90 - spread + 20 + i * (2 * spread - 40) / 4)
        x, y = cx + 120 * math.cos(a), cy - 120 * math.sin(a)
        s.shapes.append(Shape("ellipse", [x - 14, y - 14, x + 14, y + 14], (230, 90, 120)))
        s.shapes.append(Shape("ellipse", [x - 5, y - 5, x + 5, y + 5], (250, 210, 60)))
    return s


def mask(rng) -> Scene:
    s = Scene("tal", "한국문화", "웃는 얼굴의 하회탈과 탈춤 무대", ["탈", "하회탈", "탈춤", "전통", "무대"],
              (150, 110, 70), 190)
    s.shapes.append(Shape("rect", [20, 20, WIDTH - 20, 190], (90, 40, 40)))
    cx = WIDTH / 2 + rng.uniform(-30, 30)
    s.shapes.append(Shape("ellipse", [cx - 55, 40, cx + 55, 180], (225, 190, 140)))
    for side in (-1, 1):
        ex = cx + side * 25
        s.shapes.append(Shape("line", [(ex - 14, 95), (ex, 85), (ex + 14, 95)], width=3))
        s.shapes.append(Shape("line", [(ex - 16, 78), (ex + 16, 74)], width=2))
    s.shapes.append(Shape("line", [(cx - 30, 135), (cx, 150), (cx + 30, 135)], width=3))
    s.shapes.append(Shape("ellipse", [cx - 8, 105, cx + 8, 125], (205, 165, 120)))
    s.shapes.append(Shape("ellipse", [cx - 45, 120, cx - 25, 135], (230, 150, 130)))
    s.shapes.append(Shape("ellipse", [cx + 25, 120, cx + 45, 135], (230, 150, 130)))
    return s


SCENES = (palace, namsan_tower, mountains, bridge, beach, fortress,
          bibimbap, tteokbokki, table_spread, onggi, street_stall, naengmyeon,
          hanok, hanbok, lanterns, cheongsachorong, fan, mask)


# --- rendering per stage ------------------------------------------------------------------------

def _draw_shape(draw, shape: Shape, fill, outline, width):
    if shape.kind == "poly":
        draw.polygon(shape.xy, fill=fill, outline=outline, width=width if outline else 0)
    elif shape.kind == "ellipse":
        draw.ellipse(shape.xy, fill=fill, outline=outline, width=width if outline else 0)
    elif shape.kind == "rect":
        draw.rectangle(shape.xy, fill=fill, outline=outline, width=width if outline else 0)
    elif shape.kind == "line" and (outline or fill):
        draw.line(shape.xy, fill=outline or fill, width=shape.width, joint="curve")


def _mask(shape: Shape):
    from PIL import Image, ImageDraw

    mask = Image.new("L", (WIDTH, HEIGHT), 0)
    _draw_shape(ImageDraw.Draw(mask), shape, 255, None, 0)
    return mask


def _bbox(shape: Shape):
    if shape.kind in ("ellipse", "rect"):
        return shape.xy
    xs = [p[0] for p in shape.xy]
    ys = [p[1] for p in shape.xy]
    return [min(xs), min(ys), max(xs), max(ys)]


def _sky(time_key: str, gradient: bool):
    from PIL import Image

    top, bottom = TIMES[time_key][2]
    if not gradient:
        return Image.new("RGB", (WIDTH, HEIGHT), mix(top, bottom, 0.4))
    column = Image.linear_gradient("L").resize((1, HEIGHT))
    return Image.composite(Image.new("RGB", (WIDTH, HEIGHT), bottom), Image.new("RGB", (WIDTH, HEIGHT), top),
                           column.resize((WIDTH, HEIGHT)))


def _base(scene: Scene, time_key: str, gradient: bool):
    from PIL import ImageDraw

    image = _sky(time_key, gradient)
    if scene.ground is not None:
        ImageDraw.Draw(image).rectangle([0, scene.horizon, WIDTH, HEIGHT], fill=scene.ground)
    return image


def _luma(color) -> int:
    return int(0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2])


def render_storyboard(scene: Scene, time_key: str, rng: random.Random):
    """Rough grey storyboard: paper, grey tones, loose doubled pencil lines, a panel frame."""
    from PIL import Image, ImageDraw, ImageFilter

    image = Image.new("RGB", (WIDTH, HEIGHT), (236, 236, 232))
    draw = ImageDraw.Draw(image)
    if scene.ground is not None:
        draw.rectangle([0, scene.horizon, WIDTH, HEIGHT], fill=(214, 214, 210))
    for shape in scene.shapes:
        fill = None
        if shape.fill is not None:
            tone = 175 + _luma(shape.fill) * 50 // 255
            fill = (tone, tone, tone - 3)
        _draw_shape(draw, shape, fill, None, 0)
    for shape in scene.shapes:  # two loose passes of each outline, slightly off
        for _ in range(2):
            jitter = Shape(shape.kind, _jitter(shape, rng, 2.5), None, max(1, shape.width - 1))
            grey = rng.randint(85, 125)
            _draw_shape(draw, jitter, None, (grey, grey, grey), 1)
    for _i in range(14):  # hatching in the lower third: the storyboard's quick shading
        x = rng.uniform(0, WIDTH)
        draw.line([(x, HEIGHT - 5), (x + 20, HEIGHT - 30)], fill=(150, 150, 150), width=1)
    draw.rectangle([3, 3, WIDTH - 4, HEIGHT - 4], outline=(70, 70, 70), width=2)
    return image.filter(ImageFilter.GaussianBlur(0.6)).convert("L").convert("RGB")


def _jitter(shape: Shape, rng: random.Random, amount: float):
    if shape.kind in ("ellipse", "rect"):
        return [v + rng.uniform(-amount, amount) for v in shape.xy]
    return [(x + rng.uniform(-amount, amount), y + rng.uniform(-amount, amount)) for x, y in shape.xy]


def render_sketch(scene: Scene, time_key: str, rng: random.Random):
    """Clean black line art on white, no fill."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    if scene.ground is not None:
        draw.line([(0, scene.horizon), (WIDTH, scene.horizon)], fill=(0, 0, 0), width=2)
    for shape in scene.shapes:
        _draw_shape(draw, shape, None, (0, 0, 0), 2 if shape.kind != "line" else shape.width)
    return image


def render_flat(scene: Scene, time_key: str, rng: random.Random):
    """Flat base colours with black outlines (cel style, no shading)."""
    from PIL import ImageDraw

    image = _base(scene, time_key, gradient=False)
    draw = ImageDraw.Draw(image)
    for shape in scene.shapes:
        _draw_shape(draw, shape, shape.fill, (20, 20, 20), 2)
    return image


def render_shaded(scene: Scene, time_key: str, rng: random.Random):
    """Colours with cel shading: the side away from the light darker, a cast shadow."""
    from PIL import Image, ImageChops, ImageDraw

    image = _base(scene, time_key, gradient=True)
    light_from_left = rng.random() < 0.5
    for shape in scene.shapes:
        if shape.fill is None or shape.kind == "line":
            ImageDraw.Draw(image).line(shape.xy, fill=(30, 25, 25), width=shape.width)
            continue
        mask = _mask(shape)
        x0, y0, x1, y1 = _bbox(shape)
        if not scene.indoor and y1 < HEIGHT - 2 and (x1 - x0) < WIDTH * 0.9:  # cast shadow on the ground
            shadow = ImageChops.offset(mask, 10 if light_from_left else -10, 6)
            image.paste(shade(image.getpixel((int(min(max(x0, 0), WIDTH - 1)), HEIGHT - 1)), 0.75),
                        mask=ImageChops.subtract(shadow, mask).point(lambda v: v // 2))
        image.paste(shape.fill, mask=mask)
        if (x1 - x0) >= WIDTH * 0.9 and (y1 - y0) >= HEIGHT * 0.9:
            continue  # a table top or wall that fills the frame: no side in shadow
        half = Image.new("L", (WIDTH, HEIGHT), 0)
        middle = min(max((x0 + x1) / 2, 0), WIDTH)
        ImageDraw.Draw(half).rectangle([middle, 0, WIDTH, HEIGHT] if light_from_left else [0, 0, middle, HEIGHT],
                                       fill=255)
        image.paste(shade(shape.fill, 0.68), mask=ImageChops.multiply(mask, half))
    draw = ImageDraw.Draw(image)
    for shape in scene.shapes:
        if shape.kind != "line":
            _draw_shape(draw, shape, None, (45, 35, 35), 2)
    return image


def render_final(scene: Scene, time_key: str, rng: random.Random):
    """Polished background: gradient sky and fills, atmosphere (sun, clouds or stars), soft bloom,
    paper grain and a vignette; no black outlines."""
    from PIL import Image, ImageChops, ImageDraw, ImageFilter

    image = _base(scene, time_key, gradient=True)
    draw = ImageDraw.Draw(image)
    if not scene.indoor:
        if time_key == "night":
            for _ in range(60):
                x, y = rng.uniform(0, WIDTH), rng.uniform(0, scene.horizon * 0.7)
                draw.point((x, y), fill=(255, 255, 230))
            draw.ellipse([WIDTH - 70, 18, WIDTH - 40, 48], fill=(250, 245, 210))
        elif time_key == "sunset":
            draw.ellipse([40, scene.horizon - 80, 100, scene.horizon - 20], fill=(255, 200, 120))
        else:
            for _ in range(4):
                x, y = rng.uniform(0, WIDTH), rng.uniform(10, 70)
                draw.ellipse([x, y, x + rng.uniform(40, 80), y + rng.uniform(12, 22)], fill=(250, 250, 255))
        image = image.filter(ImageFilter.GaussianBlur(1.5))
    vertical = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
    for shape in scene.shapes:
        if shape.kind == "line":
            color = shade(shape.fill or (60, 50, 45), 1.0) if shape.fill else (70, 60, 55)
            ImageDraw.Draw(image).line(shape.xy, fill=color, width=shape.width)
            continue
        if shape.fill is None:
            continue
        mask = _mask(shape)
        light, dark = shade(shape.fill, 1.18), shade(shape.fill, 0.72)
        fill = Image.composite(Image.new("RGB", (WIDTH, HEIGHT), dark), Image.new("RGB", (WIDTH, HEIGHT), light),
                               vertical)
        image.paste(fill, mask=mask)
        _draw_shape(ImageDraw.Draw(image), shape, None, shade(shape.fill, 0.55), 1)
    if time_key == "night" and not scene.indoor:  # night: everything takes the blue of the sky
        image = Image.blend(image, Image.new("RGB", (WIDTH, HEIGHT), (30, 40, 90)), 0.35)
    elif time_key == "sunset":
        image = Image.blend(image, Image.new("RGB", (WIDTH, HEIGHT), (250, 150, 80)), 0.15)
    bloom = image.filter(ImageFilter.GaussianBlur(6))
    image = ImageChops.screen(image, bloom.point(lambda v: v * 35 // 100))
    import numpy as np

    noise = np.random.default_rng(rng.randint(0, 2**31)).normal(128, 10, (HEIGHT, WIDTH))
    grain = Image.fromarray(noise.clip(0, 255).astype(np.uint8), "L").convert("RGB")
    image = Image.blend(image, ImageChops.overlay(image, grain), 0.25)
    vignette = Image.radial_gradient("L").resize((WIDTH, HEIGHT)).point(lambda v: 255 - v * 55 // 100)
    return Image.composite(image, Image.new("RGB", (WIDTH, HEIGHT), (0, 0, 0)), vignette)


RENDERERS = {"콘티": render_storyboard, "스케치": render_sketch, "채색 기본": render_flat,
             "채색 명암": render_shaded, "배경": render_final}


# --- the set ------------------------------------------------------------------------------------

def sample_rows() -> list[tuple[str, dict, object]]:
    """(relative file name, metadata row, render callable) for every sample image, in a fixed order."""
    rows = []
    for make_scene in SCENES:
        for variant in range(VARIANTS):
            seed = hash_seed(make_scene.__name__, variant)
            time_key = ("day", "sunset", "night")[(seed >> 3) % 3] if variant else "day"
            for stage in STAGES:
                scene = make_scene(random.Random(seed))
                time_words, time_tag, _ = TIMES[time_key]
                stage_phrase, stage_tags = STAGE_WORDS[stage.value]
                caption = f"{time_words} {scene.caption} — {stage_phrase}"
                tags = scene.tags + ([] if scene.indoor else [time_tag]) + stage_tags
                name = f"{scene.key}-{variant + 1}-{STAGE_SLUGS[stage.value]}.png"
                file = f"{scene.category}/{stage.value}/{name}"
                row = {"file": file, "category": scene.category, "stage": stage.value, "caption": caption,
                       "tags": tags, "source": SOURCE, "license": LICENSE}
                rows.append((file, row, _renderer(make_scene, seed, stage.value, time_key)))
    return rows


def hash_seed(name: str, variant: int) -> int:
    import hashlib

    return int.from_bytes(hashlib.sha256(f"{name}:{variant}".encode()).digest()[:4], "big")


def _renderer(make_scene, seed: int, stage: str, time_key: str):
    def render():
        scene = make_scene(random.Random(seed))
        return RENDERERS[stage](scene, time_key, random.Random(seed + 1))
    return render


def generate(output: Path, *, force: bool = False, log=print) -> Path:
    """Draw every image and write metadata.jsonl; skips when a complete set is already there."""
    metadata = output / METADATA_FILE
    rows = sample_rows()
    if not force and metadata.is_file():
        existing = metadata.read_text(encoding="utf-8").splitlines()
        if len(existing) == len(rows) and all((output / file).is_file() for file, _, _ in rows):
            log(f"샘플 참고 이미지 {len(rows)}장이 이미 있습니다: {output}")
            return metadata
    lines = []
    for file, row, render in rows:
        path = output / file
        path.parent.mkdir(parents=True, exist_ok=True)
        render().save(path, "PNG", optimize=True)
        lines.append(json.dumps(row, ensure_ascii=False))
    metadata.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log(f"샘플 참고 이미지 {len(rows)}장을 만들었습니다: {output}")
    return metadata


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="코드로 그린 샘플 참고 이미지와 메타데이터를 만듭니다.")
    parser.add_argument("--output", type=Path, default=Path(".data/samples"), help="결과 폴더")
    parser.add_argument("--force", action="store_true", help="이미 있어도 다시 그립니다")
    args = parser.parse_args(argv)
    generate(args.output, force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
