"""The lines of a batch: each raw line validated with the API's own rules (shared.generation), so a
batch line and a request from the site obey the same rules and Korean messages; the line statuses;
and the job that describes a dropped file. Pure and deterministic: the orchestration uses it on replay.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from shared.batch.names import BATCH_IN, content_sha256, instance_id, split_blob_name
from shared.batch.shotlist import LINE_FIELDS, BatchFileError, RawLine, parse
from shared.core.config import Settings, get_settings
from shared.core.errors import AppError, ValidationError
from shared.generation.job import orchestration_input
from shared.generation.request import validate_request

BATCH_USER_ID = "batch"  # the user of lines validated without an owner (pure checks, tests)

CHUNK_LINES = 50  # valid lines per generate_batch_chunk sub-orchestration

# Line statuses in results.jsonl.
PENDING = "pending"  # validated, not run yet (never written to results)
COMPLETED = "completed"
FAILED = "failed"
INVALID = "invalid"
CANCELLED = "cancelled"

ID_PATTERN = re.compile(r"^[0-9A-Za-z\uac00-\ud7a3_-]{1,64}$")

UploadCheck = Callable[[str | None], None]


def _line_id(fields: Mapping) -> str | None:
    value = fields.get("id")
    if value in (None, ""):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not ID_PATTERN.match(value.strip()):
        raise ValidationError("id는 영문, 숫자, 한글, -, _ 로 된 64자 이내의 값이어야 합니다.", details={"field": "id"})
    return value.strip()


def default_owner(settings: Settings | None = None) -> str:
    """Who owns a dropped file whose blob names no uploader: BATCH_OWNER, else the local user."""
    settings = settings or get_settings()
    return settings.batch_owner or settings.local_user_id


def validate_line(fields: Mapping, *, owner: str = BATCH_USER_ID,
                  upload_check: UploadCheck | None = None) -> tuple[str | None, dict]:
    """(id, orchestration input of generate_background) for one line, or a ValidationError (Korean).
    The generation is the owner's: their history, their quota."""
    unknown = sorted(str(k) for k in fields if k not in LINE_FIELDS)
    if unknown:
        raise ValidationError(f"알 수 없는 필드입니다: {', '.join(unknown)} (가능한 필드: {', '.join(LINE_FIELDS)})",
                              details={"field": unknown[0]})
    item_id = _line_id(fields)
    request = validate_request({k: v for k, v in fields.items() if k != "id"}, owner)
    if request.review:
        raise ValidationError("배치에서는 review(프롬프트 확인)를 쓸 수 없습니다. review를 빼거나 false로 두세요.",
                              details={"field": "review"})
    if upload_check is not None:
        upload_check(request.upload_id)
    return item_id, orchestration_input(request)


def _invalid_row(raw: RawLine, code: str, message: str, item_id: str | None = None) -> dict:
    row = {"line": raw.line, "id": item_id, "status": INVALID, "input": None,
           "error": {"code": code, "message": message}}
    if item_id is None and raw.fields is not None:
        candidate = raw.fields.get("id")
        if isinstance(candidate, str) and ID_PATTERN.match(candidate.strip()):
            row["id"] = candidate.strip()
    return row


def validate(lines: list[RawLine], *, owner: str = BATCH_USER_ID,
             upload_check: UploadCheck | None = None) -> list[dict]:
    """One row per line: status 'pending' with the generation input, or 'invalid' with the reason."""
    rows: list[dict] = []
    seen_ids: dict[str, int] = {}
    for raw in lines:
        if raw.fields is None:
            rows.append(_invalid_row(raw, "malformed_line", raw.error))
            continue
        try:
            item_id, generation_input = validate_line(raw.fields, owner=owner, upload_check=upload_check)
        except AppError as exc:
            rows.append(_invalid_row(raw, exc.code, exc.message))
            continue
        if item_id is not None and item_id in seen_ids:
            message = f"id '{item_id}'가 {seen_ids[item_id]}번째 줄과 중복됩니다."
            rows.append(_invalid_row(raw, "duplicate_id", message, item_id))
            continue
        if item_id is not None:
            seen_ids[item_id] = raw.line
        rows.append({"line": raw.line, "id": item_id, "status": PENDING, "input": generation_input, "error": None})
    return rows


def prepare(data: bytes, kind: str, settings: Settings | None = None, *, owner: str = BATCH_USER_ID,
            upload_check: UploadCheck | None = None) -> dict:
    """{"rows": [...]} for a readable file, {"error": {code, message}} when it is rejected whole."""
    try:
        lines = parse(data, kind, settings)
    except BatchFileError as exc:
        return {"error": {"code": exc.code, "message": exc.message}}
    return {"rows": validate(lines, owner=owner, upload_check=upload_check)}


def chunks(rows: list, size: int) -> list[list]:
    return [rows[i:i + size] for i in range(0, len(rows), max(1, size))]


def new_job(blob_name: str, data: bytes, settings: Settings | None = None, *, owner: str | None = None) -> dict:
    """The input of generate_batch (also kept as batch-out/<name>/batch.json) for a dropped file.
    Only the name, hash, size and owner travel: the activity reads the lines from the blob itself.
    `owner`: the uploader the blob names (None: default_owner)."""
    settings = settings or get_settings()
    owner = owner or default_owner(settings)
    blob_name = blob_name.removeprefix(f"{BATCH_IN}/")
    parts = split_blob_name(blob_name)
    if parts is None:
        raise ValueError(f"not a shot list: {blob_name}")
    name, kind = parts
    sha256 = content_sha256(data)
    return {
        "name": name,
        "kind": kind,
        "source": f"{BATCH_IN}/{blob_name}",
        "sha256": sha256,
        "size": len(data),
        "instanceId": instance_id(name, sha256, owner),
        "owner": owner,
        "maxConcurrency": settings.batch_max_concurrency,
        "submittedAt": datetime.now(UTC).isoformat(timespec="seconds"),
    }
