"""Layers from my own image: a picture file in, a layered PSD out (기본 채색 · 명암 · 하이라이트 · 선화 · 완성).

    .venv/bin/python -m scripts.layers IN.png OUT.psd [--line-weight thin|normal|bold]
                                                      [--detail low|normal|high] [--stage 스케치] [--ppi 350]

The picture is checked as an upload is (format from the bytes, size and pixel limits); errors are
reported in Korean with exit status 2. The PSD is written to a temporary file beside OUT and renamed
into place only when complete, so a failure never leaves a half-written OUT.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from shared.core import catalog
from shared.core.errors import AppError
from shared.images import layers, lineart

MSG_MISSING = "입력 파일을 찾을 수 없습니다: {path}"
MSG_UNREADABLE = "입력 파일을 읽을 수 없습니다: {path}"
MSG_NO_FOLDER = "출력 폴더가 없습니다: {path}"
MSG_WRITE_FAILED = "PSD 파일을 쓸 수 없습니다: {path} ({reason})"
MSG_DONE = "레이어 PSD를 만들었습니다: {path} ({width}x{height}, {ppi:g} ppi, 레이어: {names}, 선 굵기: {weight})"


class CliError(Exception):
    pass


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.layers",
                                     description="그림 파일에서 레이어별 PSD(선화, 기본 채색, 명암, 하이라이트)를 만듭니다.")
    parser.add_argument("input", type=Path, help="입력 이미지 (PNG, JPEG, WEBP, GIF)")
    parser.add_argument("output", type=Path, help="만들 PSD 파일")
    parser.add_argument("--line-weight", choices=lineart.LINE_WEIGHTS, default=lineart.DEFAULT_LINE_WEIGHT,
                        help="선 굵기: thin=가는 선, normal=보통, bold=굵은 선")
    parser.add_argument("--detail", choices=lineart.DETAILS, default=lineart.DEFAULT_DETAIL,
                        help="세부 정도: low/normal/high (영역과 선의 수)")
    parser.add_argument("--stage", choices=[s.value for s in catalog.STAGES], default=None,
                        help="작업 단계 (스케치: 선화와 원본만, 콘티: 회색 기본 채색)")
    parser.add_argument("--ppi", type=float, default=None, help="해상도 (기본 350 ppi)")
    return parser.parse_args(argv)


def read_input(path: Path) -> bytes:
    if not path.is_file():
        raise CliError(MSG_MISSING.format(path=path))
    try:
        return path.read_bytes()
    except OSError:
        raise CliError(MSG_UNREADABLE.format(path=path)) from None


def write_atomically(path: Path, data: bytes) -> None:
    """`data` to `path` through a temporary file in the same folder, renamed when complete."""
    folder = path.resolve().parent
    if not folder.is_dir():
        raise CliError(MSG_NO_FOLDER.format(path=folder))
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp makes it private; the PSD is an ordinary file
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise CliError(MSG_WRITE_FAILED.format(path=path, reason=exc.strerror or exc)) from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def run(args: argparse.Namespace) -> str:
    from shared.images import psd

    picture = layers.open_picture(read_input(args.input))
    derived = layers.derive_layers(picture, line_weight=args.line_weight, detail=args.detail, stage=args.stage)
    ppi = args.ppi if args.ppi else psd.DEFAULT_PPI
    write_atomically(args.output, psd.write_layered_psd(derived, ppi=ppi))
    width, height = derived.size
    return MSG_DONE.format(path=args.output, width=width, height=height, ppi=ppi,
                           names=" · ".join(derived.names()), weight=lineart.LINE_WEIGHT_LABELS[args.line_weight])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        print(run(args))
    except CliError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except AppError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
