"""Culture scenes (한국문화): hanok, hanbok, lantern festival, cheongsachorong alley, fan, mask, kites,
gayageum."""

from __future__ import annotations

import math

from .shapes import HEIGHT, WIDTH, Scene, Shape, curved_roof


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
    s = Scene("yeondeung", "한국문화", "연등 축제 때 마당 위에 줄지어 걸린 색색의 연등", ["연등", "연등회", "축제", "등불", "부처님오신날"],
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
              (150, 110, 70), 190, indoor=True)
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


def kites(rng) -> Scene:
    s = Scene("yeon", "한국문화", "넓은 들판 하늘 높이 날아오른 방패연과 연날리기", ["연날리기", "방패연", "연", "들판", "놀이"],
              (120, 160, 90), 185)
    s.shapes.append(Shape("poly", [(0, 185), (90, 160), (200, 175), (WIDTH, 150), (WIDTH, 185)], (110, 150, 85)))
    for i in range(3):
        x, y = 60 + i * 95 + rng.uniform(-15, 15), 45 + rng.uniform(-15, 30)
        s.shapes.append(Shape("rect", [x - 16, y - 20, x + 16, y + 20], (245, 240, 225)))
        s.shapes.append(Shape("ellipse", [x - 7, y - 7, x + 7, y + 7], (200, 50, 50)))
        s.shapes.append(Shape("line", [(x - 16, y - 20), (x + 16, y + 20)], width=1))
        s.shapes.append(Shape("line", [(x + 16, y - 20), (x - 16, y + 20)], width=1))
        s.shapes.append(Shape("line", [(x, y + 20), (x - 20 + i * 20, 180)], width=1))
    return s


def gayageum(rng) -> Scene:
    s = Scene("gayageum", "한국문화", "비단 방석 위에 비스듬히 놓인 열두 줄 가야금", ["가야금", "국악", "악기", "전통", "방석"],
              None, 0, indoor=True)
    s.shapes.append(Shape("rect", [0, 0, WIDTH, HEIGHT], (230, 215, 185)))
    s.shapes.append(Shape("ellipse", [30, 150, WIDTH - 30, 235], (170, 40, 60)))
    tilt = rng.uniform(-12, 12)
    body = [(25, 120 + tilt), (WIDTH - 25, 80 - tilt), (WIDTH - 20, 120 - tilt), (30, 165 + tilt)]
    s.shapes.append(Shape("poly", body, (180, 120, 70)))
    for i in range(12):
        t = (i + 1) / 13
        y0 = 120 + tilt + (165 - 120) * t
        y1 = 80 - tilt + (120 - 80) * t
        s.shapes.append(Shape("line", [(40, y0), (WIDTH - 35, y1)], (240, 230, 200), width=1))
        s.shapes.append(Shape("poly", [(120 + i * 9, y0 - (y0 - y1) * 0.3 - 4), (124 + i * 9, y0 - (y0 - y1) * 0.3 + 3),
                                       (116 + i * 9, y0 - (y0 - y1) * 0.3 + 3)], (240, 235, 220)))
    return s


SCENES = (hanok, hanbok, lanterns, cheongsachorong, fan, mask, kites, gayageum)
