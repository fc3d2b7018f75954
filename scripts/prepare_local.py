"""Prepares local data after the stack is up: storage containers, the test embedding model, the sample
reference set. Each step is idempotent; scripts/run.sh calls this before starting devhost."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TINY_MODEL_DIR = PROJECT_ROOT / ".data" / "models" / "koclip-tiny"
SAMPLES_DIR = PROJECT_ROOT / ".data" / "samples"


def ensure_embedding_model() -> None:
    """The tiny KoCLIP test model when the configured model is missing and it is the default folder."""
    from shared.core.config import get_settings

    model_dir = Path(get_settings().embedding_model_dir)
    if (model_dir / "manifest.json").is_file():
        print(f"임베딩 모델이 있습니다: {model_dir}")
        return
    if model_dir.resolve() != TINY_MODEL_DIR.resolve():
        print(f"경고: EMBEDDING_MODEL_DIR({model_dir})에 모델이 없습니다. "
              "`python -m scripts.export_koclip --model koclip/koclip-base-pt --output 폴더`로 내보내 주세요.")
        return
    from scripts.export_koclip import export_tiny

    export_tiny(model_dir)
    print(f"테스트용 작은 모델(무작위 가중치)을 만들었습니다: {model_dir} ※ 검색 결과의 의미는 태그·설명 일치에서 나옵니다.")


def ensure_samples() -> None:
    from scripts.sample_references import generate

    generate(SAMPLES_DIR)


def ingest_samples() -> None:
    from shared.references.ingest import ingest

    report = ingest(SAMPLES_DIR, SAMPLES_DIR / "metadata.jsonl", progress=False)
    print(report.summary())


STEPS: list = [  # (description, callable) pairs, run in order
    ("임베딩 모델 준비", ensure_embedding_model),
    ("샘플 참고 이미지 그리기", ensure_samples),
    ("샘플 참고 이미지 불러오기", ingest_samples),
]


def main() -> None:
    for description, step in STEPS:
        print(f"== {description}", flush=True)
        step()


if __name__ == "__main__":
    main()
