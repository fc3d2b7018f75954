"""python -m shared.references ingest <folder | blob:CONTAINER[/PREFIX]> --metadata <file.jsonl | file.csv>"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from shared.core.errors import AppError
from shared.db.schema import migrate
from shared.references.embedding import is_test_model_in_use
from shared.references.ingest import DEFAULT_BATCH_SIZE, ingest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.references", description="참고 이미지 관리")
    commands = parser.add_subparsers(dest="command", required=True)
    ingest_cmd = commands.add_parser("ingest", help="참고 이미지를 불러옵니다 (이미 있는 이미지는 건너뜀)")
    ingest_cmd.add_argument("source", help="이미지 폴더, 또는 blob:컨테이너[/접두어]")
    ingest_cmd.add_argument("--metadata", required=True, type=Path, help="메타데이터 파일 (.jsonl 또는 .csv)")
    ingest_cmd.add_argument("--batch-size", type=int, default=None, help="한 번에 임베딩·적재할 행 수")
    ingest_cmd.add_argument("--no-progress", action="store_true", help="진행 표시줄을 끕니다")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("shared.references.embedding").setLevel(logging.ERROR)  # said below, in Korean

    if not args.metadata.is_file():
        print(f"메타데이터 파일이 없습니다: {args.metadata}", file=sys.stderr)
        return 2
    try:
        migrate()

        if is_test_model_in_use():
            print("※ 테스트 모델(무작위 가중치)로 임베딩합니다: 벡터 유사도에는 의미가 없고, 검색은 태그·설명 일치에 기댑니다.",
                  flush=True)
        report = ingest(args.source, args.metadata, batch_size=max(1, args.batch_size or DEFAULT_BATCH_SIZE),
                        progress=not args.no_progress)
    except AppError as exc:
        print(f"오류: {exc.message}", file=sys.stderr)
        return 2
    print(report.summary(), flush=True)
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
