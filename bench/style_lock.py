"""The chapter style lock, offline: how close each line's draft comes to the style image's palette.

    .venv/bin/python -m bench.style_lock

A shot list of 6 lines naming one style source in its header line (shared.batch.shotlist) is read
through the batch's own rules; every line is drawn by the offline renderer from its own prompt (the
local prompt writer) twice, with the style image (as the generate_image step passes it) and without.
Printed per line and on average: the palette distance (shared.providers.palette.stats_distance: CIELAB
means and spreads) between the draft and the style image, with and without, and their ratio. The style
image is scikit-image's 'coffee' photo (warm browns), a palette none of the prompts asks for.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

STYLE_UPLOAD = "5e" * 16  # the header names it; the bench hands the renderer the bytes itself
SHOTS = (
    ("국내명소", "배경", "경복궁, 근정전, 봄", "벚꽃이 흩날리는 봄날 오후의 경복궁 근정전 앞마당"),
    ("국내명소", "채색 명암", "남산타워, 야경", "비 갠 밤, 남산타워가 보이는 골목길 계단"),
    ("음식", "채색 기본", "광장시장, 빈대떡", "김이 피어오르는 시장 빈대떡 가게 앞 좁은 통로"),
    ("한국문화", "배경", "한옥 마을, 겨울", "눈 덮인 북촌 한옥 마을 골목, 이른 아침"),
    ("음식", "채색 명암", "비빔밥, 놋그릇", "전주 한옥 식당의 나무 상 위에 놓인 비빔밥"),
    ("한국문화", "채색 기본", "탈춤, 마당", "여름 저녁 마을 마당의 탈춤 공연"),
)


def shot_list() -> bytes:
    """The chapter as a JSONL shot list: the style header line, then the 6 shots."""
    lines = [{"styleSource": {"uploadId": STYLE_UPLOAD}}] + [
        {"id": f"s{n}", "category": c, "stage": s, "keywords": k, "description": d, "aspect": "square"}
        for n, (c, s, k, d) in enumerate(SHOTS, start=1)]
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode("utf-8")


def style_image() -> bytes:
    from PIL import Image
    from skimage import data

    from shared.images import codec

    return codec.encode_png(Image.fromarray(data.coffee()))


def requests_of(data: bytes):
    from shared.batch import lines, shotlist
    from shared.core.models import GenerationRequest

    rows = lines.validate(shotlist.parse(data, "jsonl"))
    return [GenerationRequest.from_dict(row["input"]["request"]) for row in rows if row["status"] == lines.PENDING]


def distance_to(png: bytes, style) -> float:
    from shared.images import codec
    from shared.providers import palette

    return palette.stats_distance(palette.lab_stats(codec.open_rgb(png)), style)


def main() -> None:
    from shared.core import catalog
    from shared.providers import palette, registry
    from shared.providers.local_renderer import LocalImageGenerator

    style = style_image()
    style_stats = palette.source_stats(style)
    requests = requests_of(shot_list())
    assert len(requests) == len(SHOTS) and all(r.style_source == {"uploadId": STYLE_UPLOAD} for r in requests)
    generator, writer = LocalImageGenerator(), registry.prompt_writer()
    print(f"{'line':<5} {'stage':<10} {'without':>8} {'with':>8} {'ratio':>6}")
    totals = {"without": 0.0, "with": 0.0}
    started = time.perf_counter()
    for number, request in enumerate(requests, start=1):
        prompt = writer.write(request, [], []).prompt
        aspect = catalog.aspect(request.aspect)
        found = {}
        for key, given in (("without", None), ("with", style)):
            (png,) = generator.generate(prompt, aspect, 1, stage=request.stage, style_image=given)
            found[key] = distance_to(png, style_stats)
            totals[key] += found[key]
        print(f"{number:<5} {request.stage:<10} {found['without']:8.2f} {found['with']:8.2f} "
              f"{found['with'] / found['without']:6.2f}")
    count = len(requests)
    print(f"mean  {'':<10} {totals['without'] / count:8.2f} {totals['with'] / count:8.2f} "
          f"{totals['with'] / totals['without']:6.2f}")
    print(f"(palette distance to the style image: CIELAB |mean| + |spread|, lower is closer; "
          f"{count * 2} drafts in {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
