"""A sample reference set drawn by code (no downloaded images): 3 categories x 8 scenes x 5 looks, each
drawn at the 5 art stages = 600 PNGs with Korean captions and tags, plus metadata.jsonl for
`python -m shared.references ingest`.

    python -m scripts.sample_references --output .data/samples [--workers 2]

Scenes (scripts/sample_art): landmarks (palace, Namsan tower, mountains, Han river bridge, Haeundae
beach, Suwon fortress, Bulguksa temple, Jeju dol hareubang), food (bibimbap, tteokbokki, a table spread,
kimchi jars, a street stall, naengmyeon, samgyeopsal, gimbap) and culture (hanok, hanbok, lanterns,
cheongsachorong alley, fan, mask, kites, gayageum). Outdoor scenes are drawn in five of six looks
(season, time of day and weather: a spring day, an autumn sunset, a snowy winter night, ...), indoor
ones from five viewpoints; the caption and tags say exactly what is drawn. Each row also carries
`scene` and `look` (time, season, weather), which ingest ignores and bench/search_quality.py grades by.
Deterministic: the same code draws the same bytes, so a rerun of the ingest finds nothing new.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from scripts.sample_art import SCENES
from scripts.sample_art.atmosphere import dressed, looks_for
from scripts.sample_art.render import RENDERERS
from shared.core.catalog import STAGES

METADATA_FILE = "metadata.jsonl"
SOURCE = "webtoon-backgrounds sample generator (procedural drawing)"
LICENSE = "CC0-1.0"

STAGE_SLUGS = {"콘티": "storyboard", "스케치": "sketch", "채색 기본": "flat", "채색 명암": "shaded", "배경": "final"}
STAGE_WORDS = {
    "콘티": ("회색 러프 콘티", ["콘티", "러프", "구도"]),
    "스케치": ("깔끔한 검은 선화 스케치", ["스케치", "선화"]),
    "채색 기본": ("명암 없는 평면 기본 채색", ["채색 기본", "평면 채색"]),
    "채색 명암": ("빛과 그림자를 넣은 명암 채색", ["채색 명암", "명암", "그림자"]),
    "배경": ("조명과 분위기까지 완성한 웹툰 배경", ["배경", "완성", "조명"]),
}


def hash_seed(name: str, variant: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{name}:{variant}".encode()).digest()[:4], "big")


def sample_rows() -> list[dict]:
    """The metadata row of every sample image, in a fixed order."""
    rows = []
    for index, make_scene in enumerate(SCENES):
        scene = make_scene(random.Random(0))
        for variant, look in enumerate(looks_for(scene, index)):
            stage_seed = hash_seed(make_scene.__name__, variant)
            for stage in STAGES:
                stage_phrase, stage_tags = STAGE_WORDS[stage.value]
                tags = list(dict.fromkeys([*scene.tags, *look.tags, *stage_tags]))
                name = f"{scene.key}-{variant + 1}-{STAGE_SLUGS[stage.value]}.png"
                rows.append({
                    "file": f"{scene.category}/{stage.value}/{name}", "category": scene.category,
                    "stage": stage.value, "caption": f"{look.words} {scene.caption} — {stage_phrase}", "tags": tags,
                    "source": SOURCE, "license": LICENSE, "scene": scene.key, "seed": stage_seed,
                    "look": {"time": look.time, "season": look.season, "weather": look.weather},
                    "_scene_index": index, "_variant": variant,
                })
    return rows


def render(row: dict):
    """The picture of one metadata row (a PIL image)."""
    make_scene = SCENES[row["_scene_index"]]
    base = make_scene(random.Random(0))
    look = looks_for(base, row["_scene_index"])[row["_variant"]]
    scene = dressed(make_scene(random.Random(row["seed"])), look, random.Random(row["seed"] + 2))
    return RENDERERS[row["stage"]](scene, look, random.Random(row["seed"] + 1))


def _draw(job: tuple[str, dict]) -> None:
    output, row = job
    path = Path(output) / row["file"]
    path.parent.mkdir(parents=True, exist_ok=True)
    render(row).save(path, "PNG", optimize=True)


def _public(row: dict) -> dict:
    return {key: value for key, value in row.items() if not key.startswith("_")}


def generate(output: Path, *, force: bool = False, workers: int | None = None, log=print) -> Path:
    """Draw every image and write metadata.jsonl; skips when the same complete set is already there."""
    metadata = output / METADATA_FILE
    rows = sample_rows()
    lines = [json.dumps(_public(row), ensure_ascii=False) for row in rows]
    if not force and metadata.is_file() and metadata.read_text(encoding="utf-8").splitlines() == lines \
            and all((output / row["file"]).is_file() for row in rows):
        log(f"샘플 참고 이미지 {len(rows)}장이 이미 있습니다: {output}")
        return metadata
    workers = workers or min(4, os.cpu_count() or 1)
    jobs = [(str(output), row) for row in rows]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_draw, jobs, chunksize=16))
    else:
        for job in jobs:
            _draw(job)
    metadata.parent.mkdir(parents=True, exist_ok=True)
    metadata.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log(f"샘플 참고 이미지 {len(rows)}장을 만들었습니다: {output}")
    return metadata


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="코드로 그린 샘플 참고 이미지와 메타데이터를 만듭니다.")
    parser.add_argument("--output", type=Path, default=Path(".data/samples"), help="결과 폴더")
    parser.add_argument("--force", action="store_true", help="이미 있어도 다시 그립니다")
    parser.add_argument("--workers", type=int, default=None, help="동시에 그리는 프로세스 수 (기본: CPU 수, 최대 4)")
    args = parser.parse_args(argv)
    generate(args.output, force=args.force, workers=args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
