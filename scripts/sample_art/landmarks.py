"""Landmark scenes (국내명소): palace, Namsan tower, mountains, Han river bridge, Haeundae beach, Suwon
fortress, Bulguksa temple, Jeju dol hareubang."""

from __future__ import annotations

from .shapes import HEIGHT, WIDTH, Scene, Shape, curved_roof, mix, ridge


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
    s = Scene("bridge", "국내명소", "한강 위를 가로지르는 다리와 강변 도시의 불빛", ["한강", "다리", "강", "서울", "강변"],
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


def temple(rng) -> Scene:
    s = Scene("bulguksa", "국내명소", "경주 불국사 대웅전 앞마당의 석탑과 돌계단", ["불국사", "절", "석탑", "경주", "돌계단"],
              (200, 190, 170), 190)
    s.shapes.append(Shape("poly", ridge(rng, 0, WIDTH, 150, 80), (100, 130, 95)))
    s.shapes.append(Shape("rect", [150, 115, 300, 170], (225, 215, 195)))
    for i in range(5):
        s.shapes.append(Shape("rect", [160 + i * 30, 120, 166 + i * 30, 170], (160, 50, 40)))
    s.shapes.append(curved_roof(225, 118, 95, 95, 50, 12, (75, 80, 90)))
    tx = 80 + rng.uniform(-15, 15)
    for level in range(4):
        w = 34 - level * 7
        y = 185 - level * 24
        s.shapes.append(Shape("rect", [tx - w / 2, y - 14, tx + w / 2, y], (190, 185, 175)))
        s.shapes.append(Shape("rect", [tx - w / 2 - 6, y - 20, tx + w / 2 + 6, y - 14], (170, 165, 155)))
    for step in range(4):
        s.shapes.append(Shape("rect", [180 - step * 8, 170 + step * 6, 270 + step * 8, 176 + step * 6], (180, 172, 160)))
    return s


def jeju(rng) -> Scene:
    s = Scene("hareubang", "국내명소", "제주 오름 아래 현무암 돌담 앞에 선 돌하르방", ["제주", "돌하르방", "오름", "돌담", "현무암"],
              (120, 150, 90), 180)
    s.shapes.append(Shape("ellipse", [-60, 110, 200, 260], (110, 150, 90)))
    s.shapes.append(Shape("ellipse", [150, 125, 380, 250], (95, 135, 85)))
    for i in range(0, WIDTH, 18):
        s.shapes.append(Shape("ellipse", [i, 178 + rng.uniform(-3, 3), i + 20, 196], (60, 60, 65)))
    hx = WIDTH / 2 + rng.uniform(-40, 40)
    s.shapes.append(Shape("rect", [hx - 20, 130, hx + 20, 225], (85, 85, 90)))
    s.shapes.append(Shape("ellipse", [hx - 24, 80, hx + 24, 140], (90, 90, 95)))
    s.shapes.append(Shape("ellipse", [hx - 26, 70, hx + 26, 92], (80, 80, 85)))
    for side in (-1, 1):
        s.shapes.append(Shape("ellipse", [hx + side * 10 - 6, 100, hx + side * 10 + 6, 112], (60, 60, 65)))
    s.shapes.append(Shape("rect", [hx - 18, 160, hx + 18, 172], (75, 75, 80)))
    return s


SCENES = (palace, namsan_tower, mountains, bridge, beach, fortress, temple, jeju)
