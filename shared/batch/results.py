"""What a batch reports (pure): the error of a failed line, the images of a completed one, the rows of
results.jsonl, the counts and summary.json."""

from __future__ import annotations

import json
import re

from shared.batch.lines import CANCELLED, COMPLETED, FAILED, INVALID
from shared.batch.names import RESULTS, out_ref
from shared.generation.activity import error_from_failure

GENERATION_FAILED_MESSAGE = "이미지 생성에 실패했습니다. 이 줄만 다시 시도해 주세요."
CANCELLED_MESSAGE = "배치가 취소되어 이 줄은 실행하지 않았습니다."
COPY_FAILED_MESSAGE = "생성한 이미지를 결과 폴더로 옮기지 못했습니다."
OUTPUT_MISSING_MESSAGE = "생성한 이미지가 저장소에 남아 있지 않습니다. 이 줄만 다시 시도해 주세요."

_HANGUL_SENTENCE = re.compile(r"[\uac00-\ud7a3][^\n]*")


def failure_error(exc_or_text) -> dict:
    """{"code", "message"} of a failed generate_background: the known Korean error it carried
    (shared.generation's marker), else a generic Korean message."""
    error = error_from_failure(exc_or_text if isinstance(exc_or_text, BaseException) else Exception(str(exc_or_text)))
    if error["code"] != "internal_error":
        return error
    # generate_background fails with its Korean message as the reason; the host may wrap it in its
    # own English words and a stack trace: keep the Korean sentence.
    for text_line in str(exc_or_text).splitlines():
        found = _HANGUL_SENTENCE.search(text_line)
        if found:
            return {"code": "generation_failed", "message": found.group(0).strip()[:500]}
    return {"code": "generation_failed", "message": GENERATION_FAILED_MESSAGE}


def mark_cancelled(row: dict) -> None:
    row["status"] = CANCELLED
    row["error"] = {"code": "cancelled", "message": CANCELLED_MESSAGE}


def mark_copy_failed(row: dict) -> None:
    row["status"] = FAILED
    row["error"] = {"code": "copy_failed", "message": COPY_FAILED_MESSAGE}


def mark_output_missing(row: dict) -> None:
    row["status"] = FAILED
    row["error"] = {"code": "output_missing", "message": OUTPUT_MISSING_MESSAGE}
    row["images"] = []


def output_images(output) -> list[dict]:
    """The blob names (container/name) of the images and PSDs in generate_background's output."""
    if not isinstance(output, dict):
        return []
    images = []
    for image in output.get("images") or []:
        entry = {"index": image.get("index")}
        for kind in ("png", "psd"):
            value = image.get(kind)
            blob = value.get("blob") if isinstance(value, dict) else value
            if isinstance(blob, str) and blob:
                entry[kind] = blob
        images.append(entry)
    return images


def result_row(row: dict) -> dict:
    """The public shape of a row in results.jsonl."""
    return {
        "line": row["line"],
        "id": row.get("id"),
        "status": row["status"],
        "instanceId": row.get("instanceId"),
        "title": row.get("title"),
        "images": row.get("images") or [],
        "error": row.get("error"),
    }


def counts(rows: list[dict]) -> dict:
    tally = {COMPLETED: 0, FAILED: 0, INVALID: 0, CANCELLED: 0}
    for row in rows:
        if row["status"] in tally:
            tally[row["status"]] += 1
    return tally


def summary(name: str, instance: str, source: str, sha256: str, rows: list[dict], *,
            started: str, finished: str, cancel_requested: bool, error: dict | None = None) -> dict:
    tally = counts(rows)
    if error:
        state = "rejected"
    elif tally[CANCELLED]:
        state = "cancelled"
    else:
        state = "completed"
    return {
        "name": name,
        "instanceId": instance,
        "source": source,
        "sha256": sha256,
        "status": state,
        "total": len(rows),
        "completed": tally[COMPLETED],
        "failed": tally[FAILED],
        "invalid": tally[INVALID],
        "cancelled": tally[CANCELLED],
        "error": error,
        "results": str(out_ref(name, RESULTS)) if not error else None,
        "startedAt": started,
        "finishedAt": finished,
    }


def results_jsonl(rows: list[dict]) -> bytes:
    ordered = sorted(rows, key=lambda r: r["line"])
    return "".join(json.dumps(result_row(r), ensure_ascii=False) + "\n" for r in ordered).encode("utf-8")
