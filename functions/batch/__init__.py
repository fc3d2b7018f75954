"""Batch generation: a shot list dropped into batch-in starts `generate_batch`, which validates every
line, runs one `generate_background` sub-orchestration per good line (at most N at a time), copies the
outputs to batch-out/<name>/ and writes results.jsonl and summary.json.

GET /api/batches/{name} answers status and counts; DELETE /api/batches/{name} cancels the lines that
have not started (running ones finish). The work lives in shared.batch.
"""

from __future__ import annotations

import asyncio
import logging

import azure.durable_functions as df
import azure.functions as func

from functions.http import handles_errors, json_response
from shared import batch

log = logging.getLogger(__name__)

bp = df.Blueprint(http_auth_level=func.AuthLevel.ANONYMOUS)

INFRA_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=2000, max_number_of_attempts=3)
TERMINAL = ("Completed", "Failed", "Terminated", "Canceled")


# --- The blob trigger ---------------------------------------------------------------------------

@bp.blob_trigger(arg_name="blob", path="batch-in/{name}", connection="AzureWebJobsStorage",
                 source=func.BlobSource.EVENT_GRID)
@bp.durable_client_input(client_name="client")
async def batch_file_dropped(blob: func.InputStream, client: df.DurableOrchestrationClient) -> None:
    """Start generate_batch for a .jsonl/.csv shot list, once per (name, content): the instance id is
    derived from both, so the same file dropped again (or this trigger firing twice) starts nothing."""
    parts = batch.split_blob_name(blob.name or "")
    if parts is None:
        log.info("batch-in: ignoring %s (not a .jsonl/.csv shot list with a usable name)", blob.name)
        return
    name = parts[0]
    data = blob.read()
    job = batch.new_job(blob.name, data)
    instance = job["instanceId"]
    if await _exists(client, instance):
        log.info("batch %s: instance %s already exists; nothing to start", name, instance)
        return
    previous = await asyncio.to_thread(batch.read_pointer, name)
    if previous and previous.get("instanceId") != instance:
        await _cancel_quietly(client, previous["instanceId"])  # a new file under this name takes over
    await asyncio.to_thread(batch.write_pointer, name, job)
    await client.start_new(batch.ORCHESTRATION, instance, job)
    log.info("batch %s: started %s (%d bytes)", name, instance, len(data))


async def _status(client: df.DurableOrchestrationClient, instance: str):
    try:
        status = await client.get_status(instance)
    except Exception:  # 404 bodies that are not JSON, unreachable host: treat as unknown
        log.debug("get_status(%s) failed", instance, exc_info=True)
        return None
    if status is None or status.runtime_status is None:
        return None
    return status


async def _exists(client, instance: str) -> bool:
    return await _status(client, instance) is not None


async def _cancel_quietly(client, instance: str) -> None:
    try:
        await client.raise_event(instance, batch.CANCEL_EVENT, {"reason": "superseded"})
    except Exception:
        pass  # finished or unknown: nothing to cancel


# --- The orchestration --------------------------------------------------------------------------

@bp.orchestration_trigger(context_name="context")
def generate_batch(context: df.DurableOrchestrationContext):
    job = context.get_input()
    name, me = job["name"], context.instance_id
    cap = max(1, int(job.get("maxConcurrency") or 1))
    started = context.current_utc_datetime.isoformat()
    cancel = context.wait_for_external_event(batch.CANCEL_EVENT)
    rows: list[dict] = []
    context.set_custom_status(batch.progress_status(name, rows, stage="validating"))

    # 1. Read and validate every line (a bad line becomes an invalid row; a bad file, an error).
    prepared = yield context.call_activity_with_retry("batch_prepare", INFRA_RETRY, {
        "source": job["source"], "sha256": job["sha256"], "kind": job["kind"]})
    error = prepared.get("error")
    if error:
        context.set_custom_status(batch.progress_status(name, rows, stage="rejected", error=error))
    else:
        rows = prepared["rows"]
        by_line = {row["line"]: row for row in rows}
        waiting = [row["line"] for row in rows if row["status"] == batch.PENDING]
        running: dict = {}  # task -> (kind "generate" | "copy", line)
        cancelled = False

        def status(stage: str) -> dict:
            generating = sum(1 for kind, _ in running.values() if kind == "generate")
            return batch.progress_status(name, rows, stage=stage, running=generating, cancel_requested=cancelled)

        # 2. One generate_background per good line, at most `cap` at a time; refill as each ends.
        while waiting or running:
            while waiting and not cancelled \
                    and sum(1 for kind, _ in running.values() if kind == "generate") < cap:
                line = waiting.pop(0)
                by_line[line]["instanceId"] = batch.child_instance_id(me, line)
                task = context.call_sub_orchestrator(
                    "generate_background", by_line[line]["input"], by_line[line]["instanceId"])
                running[task] = ("generate", line)
            if cancelled and waiting:
                for line in waiting:
                    by_line[line]["status"] = batch.CANCELLED
                    by_line[line]["error"] = {"code": "cancelled", "message": batch.CANCELLED_MESSAGE}
                waiting = []
            if not running:
                break
            context.set_custom_status(status("cancelling" if cancelled else "running"))
            candidates = list(running) + ([] if cancelled else [cancel])
            winner = yield context.task_any(candidates)
            if winner is cancel:
                cancelled = True
                continue
            kind, line = running.pop(winner)
            row = by_line[line]
            failed = isinstance(winner.result, Exception)
            if kind == "generate":
                if failed:
                    row["status"], row["error"] = batch.FAILED, batch.failure_error(winner.result)
                else:
                    row["title"] = (winner.result or {}).get("title") if isinstance(winner.result, dict) else None
                    copy = context.call_activity_with_retry("batch_copy_outputs", INFRA_RETRY, {
                        "name": name, "instance": me, "line": line, "id": row["id"],
                        "images": batch.output_images(winner.result)})
                    running[copy] = ("copy", line)
            elif failed:
                row["status"], row["error"] = batch.FAILED, {
                    "code": "copy_failed", "message": "생성한 이미지를 결과 폴더로 옮기지 못했습니다."}
            else:
                row["status"], row["images"] = batch.COMPLETED, winner.result
        for row in rows:
            row.pop("input", None)
        context.set_custom_status(status("writing"))

    # 3. results.jsonl and summary.json (idempotent: fixed names, overwritten).
    summary = batch.summary(name, me, job["source"], job["sha256"], rows, started=started,
                            finished=context.current_utc_datetime.isoformat(),
                            cancel_requested=bool(rows) and any(r["status"] == batch.CANCELLED for r in rows),
                            error=error)
    yield context.call_activity_with_retry("batch_write_results", INFRA_RETRY, {
        "name": name, "instance": me, "rows": rows, "summary": summary})
    final = batch.progress_status(name, rows, stage="rejected" if error else "done", error=error,
                                  cancel_requested=summary["status"] == "cancelled")
    context.set_custom_status(final)
    return summary


# --- Activities (at least once: each is idempotent) ---------------------------------------------

@bp.activity_trigger(input_name="payload")
def batch_prepare(payload: dict) -> dict:
    return batch.load_source(payload["source"], payload["sha256"], payload["kind"])


@bp.activity_trigger(input_name="payload")
def batch_copy_outputs(payload: dict) -> list:
    return batch.copy_outputs(payload["name"], payload["instance"], payload["line"], payload.get("id"),
                              payload["images"])


@bp.activity_trigger(input_name="payload")
def batch_write_results(payload: dict) -> dict:
    return batch.write_results(payload["name"], payload["instance"], payload["rows"], payload["summary"])


# --- HTTP ---------------------------------------------------------------------------------------

async def _current(req: func.HttpRequest) -> tuple[str, dict]:
    from shared.errors import NotFound, ValidationError

    name = req.route_params.get("name", "")
    if not batch.valid_name(name):
        raise ValidationError("배치 이름이 올바르지 않습니다.", details={"field": "name"})
    pointer = await asyncio.to_thread(batch.read_pointer, name)
    if not pointer:
        raise NotFound(f"배치를 찾을 수 없습니다: {name}", code="batch_not_found")
    return name, pointer


@bp.route(route="batches/{name}", methods=["GET"])
@bp.durable_client_input(client_name="client")
@handles_errors
async def get_batch(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    name, pointer = await _current(req)
    status = await _status(client, pointer["instanceId"])
    runtime = status.runtime_status.value if status else "Pending"
    summary = await asyncio.to_thread(batch.read_summary, name) if runtime in TERMINAL else None
    if summary and summary.get("instanceId") != pointer["instanceId"]:
        summary = None
    return json_response(batch.status_body(name, pointer, runtime, status.custom_status if status else None,
                                           summary))


@bp.route(route="batches/{name}", methods=["DELETE"])
@bp.durable_client_input(client_name="client")
@handles_errors
async def cancel_batch(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    from shared.errors import AppError

    name, pointer = await _current(req)
    instance = pointer["instanceId"]
    status = await _status(client, instance)
    finished = AppError("이미 끝난 배치라 취소할 수 없습니다.", code="batch_finished", status=409)
    if status is not None and status.runtime_status.value in TERMINAL:
        raise finished
    try:
        await client.raise_event(instance, batch.CANCEL_EVENT, {"reason": "user"})
    except Exception:
        status = await _status(client, instance)
        if status is None:
            raise AppError("배치가 아직 시작되지 않았습니다. 잠시 후 다시 시도해 주세요.", code="batch_not_started",
                           status=409) from None
        raise finished from None
    return json_response({
        "name": name, "instanceId": instance, "cancelRequested": True,
        "message": "취소를 요청했습니다. 실행 중인 줄은 끝까지 진행하고, 아직 시작하지 않은 줄은 실행하지 않습니다.",
    }, status=202)
