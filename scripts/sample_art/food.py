"""Food scenes (음식): bibimbap, tteokbokki, a table spread, kimchi jars, a street stall, naengmyeon,
samgyeopsal on the grill, gimbap."""

from __future__ import annotations

import math

from .shapes import HEIGHT, WIDTH, Scene, Shape


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


def samgyeopsal(rng) -> Scene:
    s = Scene("samgyeopsal", "음식", "둥근 불판 위에서 노릇하게 익는 삼겹살과 상추, 마늘", ["삼겹살", "불판", "고기", "상추", "구이"],
              None, 0, indoor=True)
    s.shapes.append(Shape("rect", [0, 0, WIDTH, HEIGHT], (110, 90, 75)))
    cx, cy = WIDTH / 2 + rng.uniform(-15, 15), HEIGHT / 2
    s.shapes.append(Shape("ellipse", [cx - 110, cy - 85, cx + 110, cy + 85], (45, 45, 50)))
    for i in range(-4, 5):
        s.shapes.append(Shape("line", [(cx - 95, cy + i * 17), (cx + 95, cy + i * 17)], (80, 80, 85), width=1))
    for _ in range(6):
        x, y = cx + rng.uniform(-70, 40), cy + rng.uniform(-55, 35)
        s.shapes.append(Shape("rect", [x, y, x + 36, y + 16], (225, 160, 120)))
        s.shapes.append(Shape("line", [(x + 2, y + 8), (x + 34, y + 8)], (250, 235, 215), width=2))
    for i in range(3):
        s.shapes.append(Shape("ellipse", [10 + i * 22, 180, 50 + i * 22, 230], (90, 170, 70)))
    for _ in range(4):
        x, y = WIDTH - 50 + rng.uniform(-10, 10), 185 + rng.uniform(-10, 20)
        s.shapes.append(Shape("ellipse", [x - 6, y - 5, x + 6, y + 5], (245, 240, 220)))
    return s


def gimbap(rng) -> Scene:
    s = Scene("gimbap", "음식", "도시락에 가지런히 썰어 담은 김밥과 노란 단무지", ["김밥", "도시락", "단무지", "분식", "소풍"],
              None, 0, indoor=True)
    s.shapes.append(Shape("rect", [0, 0, WIDTH, HEIGHT], (200, 180, 150)))
    s.shapes.append(Shape("rect", [40, 40, WIDTH - 40, HEIGHT - 40], (60, 110, 170)))
    s.shapes.append(Shape("rect", [50, 50, WIDTH - 50, HEIGHT - 50], (235, 235, 230)))
    rows = 2 + rng.randint(0, 1)
    for row in range(rows):
        for i in range(6):
            x, y = 80 + i * 33, 80 + row * (90 / rows) + rng.uniform(-2, 2)
            s.shapes.append(Shape("ellipse", [x - 15, y - 15, x + 15, y + 15], (30, 40, 30)))
            s.shapes.append(Shape("ellipse", [x - 12, y - 12, x + 12, y + 12], (245, 245, 240)))
            s.shapes.append(Shape("ellipse", [x - 4, y - 4, x + 1, y + 1], (250, 200, 40)))
            s.shapes.append(Shape("ellipse", [x, y - 3, x + 5, y + 2], (230, 110, 60)))
            s.shapes.append(Shape("ellipse", [x - 3, y + 1, x + 2, y + 6], (80, 160, 70)))
    for i in range(4):
        s.shapes.append(Shape("rect", [70 + i * 45, 165, 100 + i * 45, 180], (250, 215, 60)))
    return s


SCENES = (bibimbap, tteokbokki, table_spread, onggi, street_stall, naengmyeon, samgyeopsal, gimbap)
