"""Shared inputs of the shared.batch unit tests: a good line, the sample shot list, jsonl bytes,
settings, and result rows of every status."""

from __future__ import annotations

import json
from pathlib import Path

from shared.batch import lines as batch_lines
from shared.core.config import Settings

SAMPLE = Path(__file__).resolve().parents[3] / "scripts" / "samples" / "chapter1.jsonl"
GOOD = {"category": "국내명소", "stage": "배경", "keywords": "경복궁, 봄"}


def jsonl(*objects) -> bytes:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects).encode("utf-8")


def settings(**overrides) -> Settings:
    return Settings(**overrides)


def sample_rows() -> list[dict]:
    """One row per status, out of line order."""
    return [
        {"line": 3, "id": "c", "status": batch_lines.CANCELLED, "error": {"code": "cancelled", "message": "m"}},
        {"line": 1, "id": "a", "status": batch_lines.COMPLETED, "instanceId": "b-L00001", "title": "t",
         "images": [{"index": 1, "png": "batch-out/x/0001-a/1.png"}], "error": None, "input": {"x": 1}},
        {"line": 2, "id": None, "status": batch_lines.INVALID, "error": {"code": "validation_error", "message": "m"}},
        {"line": 4, "id": None, "status": batch_lines.FAILED, "error": {"code": "generation_failed", "message": "m"}},
    ]
