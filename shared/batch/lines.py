"""Batch generation from a shot list: parsing, limits, per-line validation, deterministic ids, the
result rows and the summary, and the blob I/O of the batch activities.

A shot list is a `.jsonl` (one JSON object per line) or `.csv` (first row = field names) file dropped
into `batch-in/<name>.<ext>`. Each line holds the fields of POST /api/generations plus an optional `id`;
every line is validated with shared.generation's validator, so a batch line and a request from the
site obey the same rules and Korean messages. Results go to `batch-out/<name>/`:

    batch.json      which run is current for this name (written by the blob trigger)
    cancel.json     while a cancel is pending: the run asked to start no more lines
    results.jsonl   one row per input line, in input order
    summary.json    counts, status, and the file-level error when the whole file was rejected
    <NNNN>[-<id>]/<n>.png, <n>.psd   the images and layered PSDs of each completed line

Everything here that is not I/O is pure and deterministic, so the orchestration can use it on replay.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from shared.core.config import Settings, get_settings
from shared.core.errors import AppError, NotFound, ValidationError
from shared.storage.blobs import BATCH_IN, BATCH_OUT

log = logging.getLogger(__name__)

ORCHESTRATION = "generate_batch"
CANCEL_EVENT = "cancel_batch"
EXTENSIONS = ("jsonl", "csv")
BATCH_USER_ID = "batch"  # a dropped file carries no caller; generations of a batch are recorded under it

CHUNK_LINES = 50  # valid lines per generate_batch_chunk sub-orchestration

POINTER = "batch.json"
CANCEL_FLAG = "cancel.json"
RESULTS = "results.jsonl"
SUMMARY = "summary.json"

# Line statuses in results.jsonl.
PENDING = "pending"  # validated, not run yet (never written to results)
COMPLETED = "completed"
FAILED = "failed"
INVALID = "invalid"
CANCELLED = "cancelled"

REQUEST_FIELDS = ("category", "stage", "keywords", "description", "uploadId", "aspect", "variations",
                  "review", "prompt")
LINE_FIELDS = REQUEST_FIELDS + ("id",)

NAME_PATTERN = re.compile(r"^[0-9A-Za-z\uac00-\ud7a3._-]{1,100}$")
ID_PATTERN = re.compile(r"^[0-9A-Za-z\uac00-\ud7a3_-]{1,64}$")
_HANGUL_SENTENCE = re.compile(r"[\uac00-\ud7a3][^\n]*")
_TRUE = {"true", "1", "yes", "y", "예", "네", "o"}
_FALSE = {"false", "0", "no", "n", "아니오", "아니요", "x"}

GENERATION_FAILED_MESSAGE = "이미지 생성에 실패했습니다. 이 줄만 다시 시도해 주세요."
CANCELLED_MESSAGE = "배치가 취소되어 이 줄은 실행하지 않았습니다."
COPY_FAILED_MESSAGE = "생성한 이미지를 결과 폴더로 옮기지 못했습니다."
CANCEL_ACCEPTED_MESSAGE = "취소를 요청했습니다. 실행 중인 줄은 끝까지 진행하고, 아직 시작하지 않은 줄은 실행하지 않습니다."
MSG_CSV_HEADER = "CSV 머리글을 읽을 수 없습니다. 첫 줄을 확인해 주세요."
MSG_CSV_RECORD = "CSV 형식이 올바르지 않습니다. 따옴표와 칸 길이(한 칸 13만 자 이하)를 확인해 주세요."


class BatchFileError(AppError):
    """The whole file is rejected (too big, too many lines, not UTF-8, no lines): no line runs."""

    status = 422
    code = "batch_rejected"


# --- Names and ids -------------------------------------------------------------------------------

def split_blob_name(blob_name: str) -> tuple[str, str] | None:
    """'batch-in/chapter1.jsonl' or 'chapter1.jsonl' → ('chapter1', 'jsonl'); None when the blob is
    not a shot list this trigger handles (other extension, folder, unusable name)."""
    blob_name = blob_name.removeprefix(f"{BATCH_IN}/")
    if "/" in blob_name or "." not in blob_name:
        return None
    stem, _, ext = blob_name.rpartition(".")
    ext = ext.lower()
    if ext not in EXTENSIONS or not valid_name(stem):
        return None
    return stem, ext


def valid_name(name: str) -> bool:
    return bool(NAME_PATTERN.match(name)) and name not in (".", "..")


def content_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def instance_id(name: str, sha256: str) -> str:
    """The batch's orchestration id: fixed by the file's name and content. The same file dropped
    again maps to the same id (so nothing new starts); a changed file is a new run."""
    digest = hashlib.sha256(f"{name}\n{sha256}".encode()).hexdigest()[:32]
    return f"batch-{digest}"


def child_instance_id(batch_instance_id: str, line: int) -> str:
    """The generate_background instance of one line: a replay or a re-drop reuses it."""
    return f"{batch_instance_id}-L{line:05d}"


def chunk_instance_id(batch_instance_id: str, number: int) -> str:
    """The generate_batch_chunk instance of the batch's n-th chunk (1-based)."""
    return f"{batch_instance_id}-C{number:04d}"


def chunks(rows: list, size: int) -> list[list]:
    return [rows[i:i + size] for i in range(0, len(rows), max(1, size))]


def mark_cancelled(row: dict) -> None:
    row["status"] = CANCELLED
    row["error"] = {"code": "cancelled", "message": CANCELLED_MESSAGE}


def mark_copy_failed(row: dict) -> None:
    row["status"] = FAILED
    row["error"] = {"code": "copy_failed", "message": COPY_FAILED_MESSAGE}


def item_folder(line: int, item_id: str | None) -> str:
    return f"{line:04d}-{item_id}" if item_id else f"{line:04d}"


def output_blob(name: str, line: int, item_id: str | None, index: int, extension: str) -> str:
    """Name inside batch-out of one copied output: <name>/<NNNN>[-<id>]/<index>.<ext>."""
    return f"{name}/{item_folder(line, item_id)}/{index}.{extension}"


# --- Reading the file ----------------------------------------------------------------------------

def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}MB"


def check_size(size: int, settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    if size > settings.batch_max_bytes:
        raise BatchFileError(
            f"파일이 너무 큽니다: {_mb(size)} (최대 {_mb(settings.batch_max_bytes)}). 여러 파일로 나눠 올려 주세요.",
            code="file_too_large", details={"size": size, "maxBytes": settings.batch_max_bytes})


def decode(data: bytes) -> str:
    """UTF-8 text (a leading BOM is dropped), or a Korean error naming the first bad line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise BatchFileError(
            f"파일을 UTF-8 텍스트로 읽을 수 없습니다 ({line}번째 줄). UTF-8로 저장한 뒤 다시 올려 주세요.",
            code="undecodable", details={"line": line}) from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise BatchFileError(
            f"파일에 텍스트가 아닌 내용이 있습니다 ({line}번째 줄). UTF-8 텍스트 파일만 올려 주세요.",
            code="undecodable", details={"line": line})
    return text


@dataclass
class RawLine:
    line: int  # 1-based line number in the file (a CSV record: the line it starts on)
    fields: dict | None  # the parsed object, or None when the line could not be parsed
    error: str | None = None  # Korean reason when fields is None


def _jsonl_lines(text: str) -> list[RawLine]:
    rows = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except ValueError as exc:
            # json's own reason is English: only where it went wrong reaches the artist
            column = getattr(exc, "colno", None)
            where = f" ({column}번째 글자 근처)" if column else ""
            rows.append(RawLine(number, None, f"JSON 형식이 올바르지 않습니다{where}."))
            continue
        if not isinstance(value, dict):
            rows.append(RawLine(number, None, "각 줄은 JSON 객체({...})여야 합니다."))
            continue
        rows.append(RawLine(number, value))
    return rows


def _csv_cell(field: str, value: str):
    value = value.strip()
    if field == "variations" and re.fullmatch(r"[+-]?\d+", value):
        return int(value)
    if field == "review":
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return value


def _csv_lines(text: str) -> list[RawLine]:
    # Physical line where each record starts: csv.reader reports where a record ends.
    stream = io.StringIO(text, newline="")
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        return []
    except csv.Error:  # its text is English
        raise BatchFileError(MSG_CSV_HEADER, code="malformed_csv") from None
    header = [h.strip() for h in header]
    if not any(header):
        raise BatchFileError("CSV 첫 줄에 필드 이름(category, stage, keywords ...)이 있어야 합니다.",
                             code="malformed_csv")
    known = [h for h in header if h in LINE_FIELDS]
    if not known:
        raise BatchFileError(
            "CSV 첫 줄(머리글)에 필드 이름이 없습니다. 예: category,stage,keywords,description", code="malformed_csv")
    rows: list[RawLine] = []
    start = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error:  # its text is English
            rows.append(RawLine(start, None, MSG_CSV_RECORD))
            start = reader.line_num + 1
            continue
        line = start
        start = reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(header):
            rows.append(RawLine(line, None,
                                f"칸 수({len(record)})가 머리글의 필드 수({len(header)})보다 많습니다."))
            continue
        fields = {}
        for name, cell in zip(header, record, strict=False):
            if not name or not cell.strip():
                continue
            fields[name] = _csv_cell(name, cell)
        rows.append(RawLine(line, fields))
    return rows


def parse(data: bytes, kind: str, settings: Settings | None = None) -> list[RawLine]:
    """The lines of a shot list, or a BatchFileError for the whole file (size, encoding, count)."""
    settings = settings or get_settings()
    check_size(len(data), settings)
    text = decode(data)
    if kind == "jsonl":
        rows = _jsonl_lines(text)
    elif kind == "csv":
        rows = _csv_lines(text)
    else:
        raise BatchFileError(f"지원하지 않는 파일 형식입니다: .{kind} (.jsonl 또는 .csv)", code="unsupported_format")
    if not rows:
        raise BatchFileError("파일에 생성 요청 줄이 없습니다.", code="empty")
    if len(rows) > settings.batch_max_lines:
        raise BatchFileError(
            f"줄이 너무 많습니다: {len(rows):,}줄 (최대 {settings.batch_max_lines:,}줄). 여러 파일로 나눠 올려 주세요.",
            code="too_many_lines", details={"lines": len(rows), "maxLines": settings.batch_max_lines})
    return rows


# --- Validating each line ------------------------------------------------------------------------

def _line_id(fields: Mapping) -> str | None:
    value = fields.get("id")
    if value in (None, ""):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not ID_PATTERN.match(value.strip()):
        raise ValidationError("id는 영문, 숫자, 한글, -, _ 로 된 64자 이내의 값이어야 합니다.", details={"field": "id"})
    return value.strip()


def validate_line(fields: Mapping, *, upload_check: Callable[[str | None], None] | None = None) -> tuple[str | None, dict]:
    """(id, orchestration input of generate_background) for one line, or a ValidationError (Korean)."""
    from shared.generation.steps import orchestration_input, validate_request

    unknown = sorted(str(k) for k in fields if k not in LINE_FIELDS)
    if unknown:
        raise ValidationError(f"알 수 없는 필드입니다: {', '.join(unknown)} (가능한 필드: {', '.join(LINE_FIELDS)})",
                              details={"field": unknown[0]})
    item_id = _line_id(fields)
    request = validate_request({k: v for k, v in fields.items() if k != "id"}, BATCH_USER_ID)
    if request.review:
        raise ValidationError("배치에서는 review(프롬프트 확인)를 쓸 수 없습니다. review를 빼거나 false로 두세요.",
                              details={"field": "review"})
    if upload_check is not None:
        upload_check(request.upload_id)
    return item_id, orchestration_input(request)


def validate(lines: list[RawLine], *, upload_check: Callable[[str | None], None] | None = None) -> list[dict]:
    """One row per line: status 'pending' with the generation input, or 'invalid' with the reason."""
    rows: list[dict] = []
    seen_ids: dict[str, int] = {}
    for raw in lines:
        row = {"line": raw.line, "id": None, "status": INVALID, "input": None, "error": None}
        if raw.fields is None:
            row["error"] = {"code": "malformed_line", "message": raw.error}
            rows.append(row)
            continue
        try:
            item_id, generation_input = validate_line(raw.fields, upload_check=upload_check)
        except AppError as exc:
            if isinstance(raw.fields.get("id"), str) and ID_PATTERN.match(raw.fields["id"].strip()):
                row["id"] = raw.fields["id"].strip()
            row["error"] = {"code": exc.code, "message": exc.message}
            rows.append(row)
            continue
        row["id"] = item_id
        if item_id is not None and item_id in seen_ids:
            row["error"] = {"code": "duplicate_id",
                            "message": f"id '{item_id}'가 {seen_ids[item_id]}번째 줄과 중복됩니다."}
            rows.append(row)
            continue
        if item_id is not None:
            seen_ids[item_id] = raw.line
        row["status"] = PENDING
        row["input"] = generation_input
        rows.append(row)
    return rows


def prepare(data: bytes, kind: str, settings: Settings | None = None, *,
            upload_check: Callable[[str | None], None] | None = None) -> dict:
    """{"rows": [...]} for a readable file, {"error": {code, message}} when it is rejected whole."""
    try:
        lines = parse(data, kind, settings)
    except BatchFileError as exc:
        return {"error": {"code": exc.code, "message": exc.message}}
    return {"rows": validate(lines, upload_check=upload_check)}


# --- Results (pure) ------------------------------------------------------------------------------

def failure_error(exc_or_text) -> dict:
    """{"code", "message"} of a failed generate_background: the known Korean error it carried
    (shared.generation's marker), else a generic Korean message."""
    from shared.generation.steps import error_from_failure

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


def progress_status(name: str, rows: list[dict], *, stage: str, running: int = 0,
                    cancel_requested: bool = False, error: dict | None = None, chunk: str | None = None) -> dict:
    """customStatus of generate_batch and of each chunk: {stage, name, total, done, failed, invalid,
    cancelled, running, processed, cancelRequested[, chunk][, error]}. done = completed lines;
    failed = generation failures; chunk = the running generate_batch_chunk (its counts are its own)."""
    tally = counts(rows)
    status = {
        "stage": stage,
        "name": name,
        "total": len(rows),
        "done": tally[COMPLETED],
        "failed": tally[FAILED],
        "invalid": tally[INVALID],
        "cancelled": tally[CANCELLED],
        "running": running,
        "processed": sum(tally.values()),
        "cancelRequested": cancel_requested,
    }
    if chunk:
        status["chunk"] = chunk
    if error:
        status["error"] = error
    return status


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
        "results": f"{BATCH_OUT}/{name}/{RESULTS}" if not error else None,
        "startedAt": started,
        "finishedAt": finished,
    }


def results_jsonl(rows: list[dict]) -> bytes:
    ordered = sorted(rows, key=lambda r: r["line"])
    return "".join(json.dumps(result_row(r), ensure_ascii=False) + "\n" for r in ordered).encode("utf-8")


def new_job(blob_name: str, data: bytes, settings: Settings | None = None) -> dict:
    """The input of generate_batch (also kept as batch-out/<name>/batch.json) for a dropped file.
    Only the name, hash and size travel: the activity reads the lines from the blob itself."""
    from datetime import UTC, datetime

    settings = settings or get_settings()
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
        "instanceId": instance_id(name, sha256),
        "maxConcurrency": settings.batch_max_concurrency,
        "submittedAt": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def status_body(name: str, pointer: dict, runtime_status: str, custom_status, summary_body: dict | None,
                live=None) -> dict:
    """GET /api/batches/{name}: the run's status and counts (from summary.json once it is written,
    from customStatus while it runs, plus the running chunk's own counts: `live`)."""
    custom = dict(custom_status) if isinstance(custom_status, dict) else {}
    if isinstance(live, dict):
        for key in ("done", "failed", "cancelled", "processed"):
            custom[key] = custom.get(key, 0) + live.get(key, 0)
        custom["running"] = live.get("running", 0)
        custom["cancelRequested"] = bool(custom.get("cancelRequested") or live.get("cancelRequested"))
    body = {
        "name": name,
        "instanceId": pointer.get("instanceId"),
        "source": pointer.get("source"),
        "submittedAt": pointer.get("submittedAt"),
        "runtimeStatus": runtime_status,
        "stage": custom.get("stage") or ("queued" if runtime_status == "Pending" else None),
        "total": custom.get("total", 0),
        "done": custom.get("done", 0),
        "failed": custom.get("failed", 0),
        "invalid": custom.get("invalid", 0),
        "cancelled": custom.get("cancelled", 0),
        "running": custom.get("running", 0),
        "processed": custom.get("processed", 0),
        "cancelRequested": bool(custom.get("cancelRequested")),
        "error": custom.get("error"),
        "finished": summary_body is not None,
        "summary": summary_body,
        "results": None,
    }
    if summary_body:
        body.update(total=summary_body["total"], done=summary_body["completed"], failed=summary_body["failed"],
                    invalid=summary_body["invalid"], cancelled=summary_body["cancelled"], running=0,
                    error=summary_body.get("error"), results=summary_body.get("results"),
                    stage="rejected" if summary_body.get("error") else "done")
        body["processed"] = body["done"] + body["failed"] + body["invalid"] + body["cancelled"]
    elif runtime_status in ("Failed", "Terminated"):
        body["error"] = body["error"] or {"code": "batch_failed",
                                          "message": "배치 실행이 중단되었습니다. 파일을 다시 올려 주세요."}
    return body


# --- Blob I/O of the trigger, the activities and the HTTP endpoints --------------------------------

def current_run(name: str) -> dict:
    """batch.json of the batch named in GET/DELETE /api/batches/{name}: 400 for a name no shot list can
    have, 404 (Korean) when no file was dropped under it."""
    if not valid_name(name):
        raise ValidationError("배치 이름이 올바르지 않습니다.", details={"field": "name"})
    pointer = read_pointer(name)
    if not pointer:
        raise NotFound(f"배치를 찾을 수 없습니다: {name}", code="batch_not_found")
    return pointer


def batch_finished() -> AppError:
    return AppError("이미 끝난 배치라 취소할 수 없습니다.", code="batch_finished", status=409)


def batch_not_started() -> AppError:
    return AppError("배치가 아직 시작되지 않았습니다. 잠시 후 다시 시도해 주세요.", code="batch_not_started", status=409)


def read_pointer(name: str) -> dict | None:
    from azure.core.exceptions import ResourceNotFoundError

    from shared.storage import blobs as storage

    try:
        return json.loads(storage.download(storage.BATCH_OUT, f"{name}/{POINTER}"))
    except ResourceNotFoundError:
        return None
    except ValueError:
        log.warning("unreadable batch pointer for %s", name)
        return None


def write_pointer(name: str, pointer: dict) -> None:
    from shared.storage import blobs as storage

    storage.upload(storage.BATCH_OUT, f"{name}/{POINTER}",
                   json.dumps(pointer, ensure_ascii=False).encode("utf-8"), "application/json")


def is_current(name: str, instance: str) -> bool:
    """Whether this run is the one batch-out/<name>/ belongs to (a newer file under the same name
    takes the folder over; the older run then writes nothing more)."""
    pointer = read_pointer(name)
    return pointer is None or pointer.get("instanceId") == instance


_UNREAD = object()


def finished_run(name: str, instance: str, *, pointer=_UNREAD) -> bool:
    """Whether batch-out/<name>/ already holds the finished results of this run (so a trigger firing
    again, even on a host whose task hub was reset, has nothing to do). `pointer`: batch.json when the
    caller has already read it (None: there is none), so it is not downloaded twice."""
    if pointer is _UNREAD:
        pointer = read_pointer(name)
    if not pointer or pointer.get("instanceId") != instance:
        return False
    summary_body = read_summary(name)
    return bool(summary_body) and summary_body.get("instanceId") == instance


def write_cancel_flag(name: str, instance: str) -> None:
    """DELETE /api/batches/{name}: the running chunk checks this before starting another line."""
    from datetime import UTC, datetime

    from shared.storage import blobs as storage

    body = {"instanceId": instance, "requestedAt": datetime.now(UTC).isoformat(timespec="seconds")}
    storage.upload(storage.BATCH_OUT, f"{name}/{CANCEL_FLAG}", json.dumps(body).encode("utf-8"), "application/json")


def cancel_requested(name: str, instance: str) -> bool:
    """Activity work: whether this run should start no more lines (cancelled, or a newer file under
    the same name took the folder over)."""
    from azure.core.exceptions import ResourceNotFoundError

    from shared.storage import blobs as storage

    if not is_current(name, instance):
        return True
    try:
        flag = json.loads(storage.download(storage.BATCH_OUT, f"{name}/{CANCEL_FLAG}"))
    except ResourceNotFoundError:
        return False
    except ValueError:
        return True
    return flag.get("instanceId") == instance


def load_source(source: str, sha256: str, kind: str, settings: Settings | None = None) -> dict:
    """Activity work: read batch-in/<file> (size checked before download), check it is still the
    content the trigger saw, parse and validate it."""
    from azure.core.exceptions import ResourceNotFoundError

    from shared.generation.steps import ensure_upload_exists
    from shared.storage import blobs as storage

    settings = settings or get_settings()
    container, _, blob = source.partition("/")
    client = storage.service().get_blob_client(container, blob)
    try:
        size = client.get_blob_properties().size
        check_size(size, settings)
        data = client.download_blob().readall()
    except ResourceNotFoundError:
        return {"error": {"code": "source_missing",
                          "message": "배치 파일이 처리 전에 삭제되었습니다. 파일을 다시 올려 주세요."}}
    except BatchFileError as exc:
        return {"error": {"code": exc.code, "message": exc.message}}
    if content_sha256(data) != sha256:
        return {"error": {"code": "source_changed",
                          "message": "처리 중에 배치 파일이 바뀌었습니다. 새 파일로 다시 실행됩니다."}}
    return prepare(data, kind, settings, upload_check=ensure_upload_exists)


def copy_outputs(name: str, instance: str, line: int, item_id: str | None, images: list[dict]) -> list[dict]:
    """Activity work: copy a completed line's PNGs and PSDs from outputs/ to batch-out/<name>/
    under fixed names (running it twice overwrites the same blobs)."""
    from shared.storage import blobs as storage

    if not is_current(name, instance):
        return []
    copied = []
    for image in images:
        index = int(image.get("index") or 1)
        entry = {"index": index}
        for kind in ("png", "psd"):
            source = image.get(kind)
            if not source:
                continue
            container, _, blob = source.partition("/")
            target = output_blob(name, line, item_id, index, kind)
            _copy_blob(storage, container, blob, storage.BATCH_OUT, target)
            entry[kind] = f"{storage.BATCH_OUT}/{target}"
        copied.append(entry)
    return copied


def _copy_blob(storage, src_container: str, src_blob: str, dst_container: str, dst_blob: str) -> None:
    """Server-side Copy Blob inside the account (source read through a short read-only SAS; within
    one account the copy completes at once or within seconds); download + upload when the service
    refuses it."""
    import time

    from azure.core.exceptions import HttpResponseError

    storage.ensure_containers()
    target = storage.service().get_blob_client(dst_container, dst_blob)
    try:
        url = storage.read_url(src_container, src_blob, minutes=5)
        copy = target.start_copy_from_url(url)
        state, deadline = copy.get("copy_status"), time.monotonic() + 60
        while state == "pending" and time.monotonic() < deadline:
            time.sleep(0.2)
            state = target.get_blob_properties().copy.status
        if state == "success":
            return
        log.info("server-side copy ended %s; copying through the function", state)
    except HttpResponseError as exc:
        log.info("server-side copy refused (%s); copying through the function", exc.status_code)
    source = storage.service().get_blob_client(src_container, src_blob)
    content_type = source.get_blob_properties().content_settings.content_type
    storage.upload(dst_container, dst_blob, source.download_blob().readall(),
                   content_type or "application/octet-stream")


def write_results(name: str, instance: str, rows: list[dict], summary_body: dict) -> dict:
    """Activity work: results.jsonl and summary.json under fixed names, then remove what an earlier
    run under this name left that this run did not produce. Safe to run twice."""
    from shared.storage import blobs as storage

    if not is_current(name, instance):
        log.info("batch %s: run %s is superseded; results not written", name, instance)
        return {"written": False}
    keep = {f"{name}/{POINTER}", f"{name}/{SUMMARY}"}
    if summary_body.get("error") is None:
        storage.upload(storage.BATCH_OUT, f"{name}/{RESULTS}", results_jsonl(rows), "application/x-ndjson")
        keep.add(f"{name}/{RESULTS}")
    for row in rows:
        for image in row.get("images") or []:
            for kind in ("png", "psd"):
                if image.get(kind):
                    keep.add(image[kind].partition("/")[2])
    container = storage.service().get_container_client(storage.BATCH_OUT)
    for blob in container.list_blobs(name_starts_with=f"{name}/"):
        if blob.name not in keep:
            container.delete_blob(blob.name)
    storage.upload(storage.BATCH_OUT, f"{name}/{SUMMARY}",
                   json.dumps(summary_body, ensure_ascii=False, indent=2).encode("utf-8"), "application/json")
    return {"written": True}


def read_summary(name: str) -> dict | None:
    from azure.core.exceptions import ResourceNotFoundError

    from shared.storage import blobs as storage

    try:
        return json.loads(storage.download(storage.BATCH_OUT, f"{name}/{SUMMARY}"))
    except (ResourceNotFoundError, ValueError):
        return None
