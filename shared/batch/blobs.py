"""The blob I/O of a batch: the trigger's pointer (which run owns batch-out/<name>/), the cancel flag,
reading the dropped file, copying a line's outputs and writing results.jsonl and summary.json. Every
write uses fixed names, so an activity that runs twice leaves the same blobs."""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import UTC, datetime

from shared.batch.lines import COMPLETED, default_owner, prepare
from shared.batch.names import (
    CANCEL_FLAG,
    OWNER_METADATA,
    POINTER,
    RESULTS,
    SUMMARY,
    content_sha256,
    out_ref,
    output_blob,
    valid_name,
    valid_owner,
)
from shared.batch.results import mark_output_missing, results_jsonl
from shared.batch.shotlist import BatchFileError, check_size
from shared.core.config import Settings, get_settings
from shared.core.errors import NotFound, ValidationError
from shared.generation.request import ensure_upload_exists
from shared.images.codec import PNG_MAGIC
from shared.images.psd import PSD_MAGIC
from shared.storage import blobs as storage
from shared.storage.blobs import BlobRef

log = logging.getLogger(__name__)

MSG_SOURCE_MISSING = "배치 파일이 처리 전에 삭제되었습니다. 파일을 다시 올려 주세요."
MSG_SOURCE_CHANGED = "처리 중에 배치 파일이 바뀌었습니다. 새 파일로 다시 실행됩니다."
MSG_FILE_NOT_FOUND = "요청한 결과 파일을 찾을 수 없습니다."
COPY_WAIT_SECONDS = 60  # a server-side copy inside one account finishes at once or within seconds
# How each output kind begins: a blob that does not is not counted as there.
SIGNATURES = {"png": PNG_MAGIC, "psd": PSD_MAGIC}

# What GET /api/batches/{name}/files/{path} serves: the results, the summary and the lines' copies.
RESULT_FILE = re.compile(r"^(?:results\.jsonl|summary\.json|\d{4}(?:-[0-9A-Za-z\uac00-\ud7a3_-]{1,64})?/\d{1,2}\.(?:png|psd))$")


def _read_json(ref: BlobRef) -> dict | None:
    """The JSON object in a blob; None when it is missing or unreadable."""
    from azure.core.exceptions import ResourceNotFoundError  # the SDK: lazy, for cold start

    try:
        value = json.loads(storage.download(ref.container, ref.name))
    except ResourceNotFoundError:
        return None
    except ValueError:
        log.warning("unreadable JSON in %s", ref)
        return None
    return value if isinstance(value, dict) else None


def _write_json(ref: BlobRef, body: dict, *, indent: int | None = None) -> None:
    storage.upload(ref.container, ref.name, json.dumps(body, ensure_ascii=False, indent=indent).encode("utf-8"),
                   "application/json")


# --- Which run owns the folder --------------------------------------------------------------------

def read_pointer(name: str) -> dict | None:
    return _read_json(out_ref(name, POINTER))


def write_pointer(name: str, pointer: dict) -> None:
    _write_json(out_ref(name, POINTER), pointer)


def read_summary(name: str) -> dict | None:
    return _read_json(out_ref(name, SUMMARY))


def owner_of(pointer: dict, settings: Settings | None = None) -> str:
    """The user a run belongs to (a pointer written before batches had owners: the default owner)."""
    owner = pointer.get("owner")
    return owner if valid_owner(owner) else default_owner(settings)


def current_run(name: str, caller: str) -> dict:
    """batch.json of the batch named in /api/batches/{name}...: 400 for a name no shot list can have,
    404 (Korean) when no file was dropped under it or it belongs to someone else (the same answer:
    the name tells a caller nothing about other users' batches)."""
    if not valid_name(name):
        raise ValidationError("배치 이름이 올바르지 않습니다.", details={"field": "name"})
    pointer = read_pointer(name)
    if not pointer or owner_of(pointer) != caller:
        raise NotFound(f"배치를 찾을 수 없습니다: {name}", code="batch_not_found")
    return pointer


def result_url(name: str, path: str, caller: str, *, download: bool = False) -> str:
    """A fresh read-only SAS URL of one result file of the caller's batch; 404 (Korean) for a batch
    that is not theirs, a path that is not a result file, or a file that is not (or no longer) there."""
    current_run(name, caller)
    if not isinstance(path, str) or not RESULT_FILE.match(path):
        raise NotFound(MSG_FILE_NOT_FOUND, code="asset_not_found")
    ref = BlobRef(storage.BATCH_OUT, f"{name}/{path}")
    if not storage.exists(ref.container, ref.name):
        raise NotFound(MSG_FILE_NOT_FOUND, code="asset_not_found")
    download_name = f"{name}-{path.replace('/', '-')}" if download else None
    return storage.read_url(ref.container, ref.name, download_name=download_name)


def uploader(source: str) -> str | None:
    """The owner the dropped blob's metadata names (set by whoever uploaded it, e.g. the CLI), or None
    when it names none usable (then the configured owner takes the batch)."""
    from azure.core.exceptions import ResourceNotFoundError  # the SDK: lazy, for cold start

    ref = BlobRef.parse(source if "/" in source else f"{storage.BATCH_IN}/{source}")
    try:
        metadata = storage.service().get_blob_client(ref.container, ref.name).get_blob_properties().metadata
    except ResourceNotFoundError:
        return None
    owner = {k.lower(): v for k, v in (metadata or {}).items()}.get(OWNER_METADATA)
    return owner if valid_owner(owner) else None


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


# --- Cancel ----------------------------------------------------------------------------------------

def write_cancel_flag(name: str, instance: str) -> None:
    """DELETE /api/batches/{name}: the running chunk checks this before starting another line."""
    _write_json(out_ref(name, CANCEL_FLAG),
                {"instanceId": instance, "requestedAt": datetime.now(UTC).isoformat(timespec="seconds")})


def cancel_requested(name: str, instance: str) -> bool:
    """Activity work: whether this run should start no more lines (cancelled, or a newer file under
    the same name took the folder over)."""
    from azure.core.exceptions import ResourceNotFoundError  # the SDK: lazy, for cold start

    if not is_current(name, instance):
        return True
    flag = out_ref(name, CANCEL_FLAG)
    try:
        body = json.loads(storage.download(flag.container, flag.name))
    except ResourceNotFoundError:
        return False
    except ValueError:
        return True
    return body.get("instanceId") == instance


# --- The activities' work ---------------------------------------------------------------------------

def load_source(source: str, sha256: str, kind: str, settings: Settings | None = None, *,
                owner: str | None = None) -> dict:
    """Activity work: read batch-in/<file> (size checked before download), check it is still the
    content the trigger saw, parse and validate it (the lines' generations are the owner's)."""
    from azure.core.exceptions import ResourceNotFoundError  # the SDK: lazy, for cold start

    settings = settings or get_settings()
    ref = BlobRef.parse(source)
    client = storage.service().get_blob_client(ref.container, ref.name)
    try:
        check_size(client.get_blob_properties().size, settings)
        data = client.download_blob().readall()
    except ResourceNotFoundError:
        return {"error": {"code": "source_missing", "message": MSG_SOURCE_MISSING}}
    except BatchFileError as exc:
        return {"error": {"code": exc.code, "message": exc.message}}
    if content_sha256(data) != sha256:
        return {"error": {"code": "source_changed", "message": MSG_SOURCE_CHANGED}}
    return prepare(data, kind, settings, owner=owner or default_owner(settings), upload_check=ensure_upload_exists)


def copy_outputs(name: str, instance: str, line: int, item_id: str | None, images: list[dict]) -> list[dict]:
    """Activity work: copy a completed line's PNGs and PSDs from outputs/ to batch-out/<name>/
    under fixed names (running it twice overwrites the same blobs)."""
    if not is_current(name, instance):
        return []
    copied = []
    for image in images:
        index = int(image.get("index") or 1)
        entry = {"index": index}
        for kind in SIGNATURES:
            if not image.get(kind):
                continue
            source = BlobRef.parse(image[kind])
            target = BlobRef(storage.BATCH_OUT, output_blob(name, line, item_id, index, kind))
            if _whole(source, kind):
                _copy_blob(source, target)
            else:  # named all the same: verify_outputs then reports the line's file missing
                log.warning("batch output source %s is missing or unreadable; not copied", source)
            entry[kind] = str(target)
        copied.append(entry)
    return copied


def _copy_blob(source: BlobRef, target: BlobRef) -> None:
    """Server-side Copy Blob inside the account (source read through a short read-only SAS); download
    + upload when the service refuses it or does not finish in time."""
    from azure.core.exceptions import HttpResponseError  # the SDK: lazy, for cold start

    storage.ensure_containers()
    target_client = storage.service().get_blob_client(target.container, target.name)
    try:
        copy = target_client.start_copy_from_url(storage.read_url(source.container, source.name, minutes=5))
        state, deadline = copy.get("copy_status"), time.monotonic() + COPY_WAIT_SECONDS
        while state == "pending" and time.monotonic() < deadline:
            time.sleep(0.2)
            state = target_client.get_blob_properties().copy.status
        if state == "success":
            return
        log.info("server-side copy ended %s; copying through the function", state)
    except HttpResponseError as exc:
        log.info("server-side copy refused (%s); copying through the function", exc.status_code)
    source_client = storage.service().get_blob_client(source.container, source.name)
    content_type = source_client.get_blob_properties().content_settings.content_type
    storage.upload(target.container, target.name, source_client.download_blob().readall(),
                   content_type or "application/octet-stream")


def verify_outputs(name: str, instance: str, rows: list[dict]) -> list[dict]:
    """Activity work, before results are written: every completed line's files are in batch-out. One
    that is missing (storage lost it, e.g. an emulator killed before it saved) is copied again from the
    line's generation output when that is still there; else the line becomes failed (output_missing),
    so no line is reported completed without its files."""
    if not is_current(name, instance):
        return rows
    for row in rows:
        if row.get("status") == COMPLETED and not _files_present(row):
            mark_output_missing(row)
    return rows


def _files_present(row: dict) -> bool:
    sources = {(int(s.get("index") or 1), kind): s[kind] for s in row.get("sources") or []
               for kind in SIGNATURES if s.get(kind)}
    wanted = [(BlobRef.parse(image[kind]), sources.get((int(image.get("index") or 1), kind)), kind)
              for image in row.get("images") or [] for kind in SIGNATURES if image.get(kind)]
    return bool(wanted) and all(_restored(target, source, kind) for target, source, kind in wanted)


def _whole(ref: BlobRef, kind: str) -> bool:
    return storage.starts_with(ref.container, ref.name, SIGNATURES[kind])


def _restored(target: BlobRef, source: str | None, kind: str) -> bool:
    """Whether the target blob is there and readable, copying it again from `source` when it is not."""
    if _whole(target, kind):
        return True
    if not source or not _whole(BlobRef.parse(source), kind):
        log.warning("batch output %s is missing and cannot be copied again", target)
        return False
    log.warning("batch output %s was missing or unreadable; copying it again from %s", target, source)
    _copy_blob(BlobRef.parse(source), target)
    return _whole(target, kind)


def _kept_blobs(name: str, rows: list[dict], with_results: bool) -> set[str]:
    """Names in batch-out that this run produced (everything else under <name>/ is an older run's)."""
    keep = {out_ref(name, POINTER).name, out_ref(name, SUMMARY).name}
    if with_results:
        keep.add(out_ref(name, RESULTS).name)
    for row in rows:
        for image in row.get("images") or []:
            keep.update(BlobRef.parse(image[kind]).name for kind in ("png", "psd") if image.get(kind))
    return keep


def write_results(name: str, instance: str, rows: list[dict], summary_body: dict) -> dict:
    """Activity work: results.jsonl and summary.json under fixed names, then remove what an earlier
    run under this name left that this run did not produce. Safe to run twice."""
    from azure.core.exceptions import ResourceNotFoundError  # the SDK: lazy, for cold start

    if not is_current(name, instance):
        log.info("batch %s: run %s is superseded; results not written", name, instance)
        return {"written": False}
    with_results = summary_body.get("error") is None
    if with_results:
        results = out_ref(name, RESULTS)
        storage.upload(results.container, results.name, results_jsonl(rows), "application/x-ndjson")
    keep = _kept_blobs(name, rows, with_results)
    container = storage.service().get_container_client(storage.BATCH_OUT)
    for blob in container.list_blobs(name_starts_with=f"{name}/"):
        if blob.name not in keep:
            try:
                container.delete_blob(blob.name)
            except ResourceNotFoundError:  # listed, then gone (deleted meanwhile, or lost by the store)
                pass
    _write_json(out_ref(name, SUMMARY), summary_body, indent=2)
    return {"written": True}
