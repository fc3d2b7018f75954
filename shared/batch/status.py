"""How a batch's progress is told: the customStatus of generate_batch and of its chunks, and the body
of GET /api/batches/{name} built from it (or from summary.json once written), plus the Korean
answers of the HTTP endpoints."""

from __future__ import annotations

from shared.batch.lines import CANCELLED, COMPLETED, FAILED, INVALID
from shared.batch.results import counts
from shared.core.errors import AppError

CANCEL_ACCEPTED_MESSAGE = "취소를 요청했습니다. 실행 중인 줄은 끝까지 진행하고, 아직 시작하지 않은 줄은 실행하지 않습니다."
BATCH_STOPPED_MESSAGE = "배치 실행이 중단되었습니다. 파일을 다시 올려 주세요."

_COUNTED = ("done", "failed", "cancelled", "processed")  # what a running chunk adds to the batch's own


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


def _with_live(custom_status, live) -> dict:
    custom = dict(custom_status) if isinstance(custom_status, dict) else {}
    if isinstance(live, dict):
        for key in _COUNTED:
            custom[key] = custom.get(key, 0) + live.get(key, 0)
        custom["running"] = live.get("running", 0)
        custom["cancelRequested"] = bool(custom.get("cancelRequested") or live.get("cancelRequested"))
    return custom


def _finished(body: dict, summary_body: dict) -> None:
    body.update(total=summary_body["total"], done=summary_body["completed"], failed=summary_body["failed"],
                invalid=summary_body["invalid"], cancelled=summary_body["cancelled"], running=0,
                error=summary_body.get("error"), results=summary_body.get("results"),
                stage="rejected" if summary_body.get("error") else "done")
    body["processed"] = body["done"] + body["failed"] + body["invalid"] + body["cancelled"]


def status_body(name: str, pointer: dict, runtime_status: str, custom_status, summary_body: dict | None,
                live=None) -> dict:
    """GET /api/batches/{name}: the run's status and counts (from summary.json once it is written,
    from customStatus while it runs, plus the running chunk's own counts: `live`)."""
    custom = _with_live(custom_status, live)
    body = {
        "name": name,
        "instanceId": pointer.get("instanceId"),
        "source": pointer.get("source"),
        "submittedAt": pointer.get("submittedAt"),
        "runtimeStatus": runtime_status,
        "stage": custom.get("stage") or ("queued" if runtime_status == "Pending" else None),
        **{key: custom.get(key, 0) for key in ("total", "done", "failed", "invalid", "cancelled", "running",
                                               "processed")},
        "cancelRequested": bool(custom.get("cancelRequested")),
        "error": custom.get("error"),
        "finished": summary_body is not None,
        "summary": summary_body,
        "results": None,
    }
    if summary_body:
        _finished(body, summary_body)
    elif runtime_status in ("Failed", "Terminated"):
        body["error"] = body["error"] or {"code": "batch_failed", "message": BATCH_STOPPED_MESSAGE}
    return body


def batch_finished() -> AppError:
    return AppError("이미 끝난 배치라 취소할 수 없습니다.", code="batch_finished", status=409)


def batch_not_started() -> AppError:
    return AppError("배치가 아직 시작되지 않았습니다. 잠시 후 다시 시도해 주세요.", code="batch_not_started", status=409)
