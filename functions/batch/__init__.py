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
from functions.retries import INFRA_RETRY
from shared.batch import lines as batch

log = logging.getLogger(__name__)

bp = df.Blueprint(http_auth_level=func.AuthLevel.ANONYMOUS)

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
    previous = await asyncio.to_thread(batch.read_pointer, name)
    if await _exists(client, instance) or await asyncio.to_thread(batch.finished_run, name, instance,
                                                                  pointer=previous):
        log.info("batch %s: run %s already exists or finished; nothing to start", name, instance)
        return
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


# --- The orchestrations -------------------------------------------------------------------------
# generate_batch validates the file, then hands the valid lines to `generate_batch_chunk`
# sub-orchestrations of at most batch.CHUNK_LINES lines, one chunk after the other. Each chunk runs its
# lines as generate_background sub-orchestrations, at most `maxConcurrency` at a time. Chunks keep
# every orchestration's history short: the Python SDK replays the whole history at each step, so one
# orchestration holding 1,000 lines would cost time growing with the square of the line count.

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
    cancelled = False
    if error:
        context.set_custom_status(batch.progress_status(name, rows, stage="rejected", error=error))
    else:
        rows = prepared["rows"]
        by_line = {row["line"]: row for row in rows}
        pending = [row for row in rows if row["status"] == batch.PENDING]

        # 2. The valid lines, chunk after chunk; a cancel stops the running chunk from starting more.
        for number, chunk in enumerate(batch.chunks(pending, batch.CHUNK_LINES), start=1):
            cancelled = cancelled or cancel.is_completed
            if cancelled:
                for row in chunk:
                    batch.mark_cancelled(row)
                continue
            chunk_id = batch.chunk_instance_id(me, number)
            task = context.call_sub_orchestrator("generate_batch_chunk", {
                "name": name, "batch": me, "maxConcurrency": cap, "rows": chunk}, chunk_id)
            context.set_custom_status(batch.progress_status(name, rows, stage="running", chunk=chunk_id))
            if not cancel.is_completed:
                winner = yield context.task_any([task, cancel])
                if winner is cancel:
                    cancelled = True
                    context.set_custom_status(batch.progress_status(
                        name, rows, stage="cancelling", chunk=chunk_id, cancel_requested=True))
            if not task.is_completed:
                yield task
            if isinstance(task.result, Exception):
                for row in chunk:
                    row["status"], row["error"] = batch.FAILED, batch.failure_error(task.result)
            else:
                for done in task.result:
                    by_line[done["line"]].update(done)
        for row in rows:
            row.pop("input", None)
        cancelled = cancelled or cancel.is_completed or any(r["status"] == batch.CANCELLED for r in rows)
        context.set_custom_status(batch.progress_status(name, rows, stage="writing", cancel_requested=cancelled))

    # 3. results.jsonl and summary.json (idempotent: fixed names, overwritten).
    summary = batch.summary(name, me, job["source"], job["sha256"], rows, started=started,
                            finished=context.current_utc_datetime.isoformat(),
                            cancel_requested=cancelled, error=error)
    yield context.call_activity_with_retry("batch_write_results", INFRA_RETRY, {
        "name": name, "instance": me, "rows": rows, "summary": summary})
    context.set_custom_status(batch.progress_status(name, rows, stage="rejected" if error else "done", error=error,
                                                    cancel_requested=cancelled))
    return summary


@bp.orchestration_trigger(context_name="context")
def generate_batch_chunk(context: df.DurableOrchestrationContext):
    """Lines of one chunk: generate_background per line (fixed child ids), at most `maxConcurrency` at
    a time; before starting more, ask whether the batch was cancelled or superseded. Returns the rows."""
    job = context.get_input()
    name, parent, cap = job["name"], job["batch"], max(1, int(job["maxConcurrency"]))
    rows = job["rows"]
    by_line = {row["line"]: row for row in rows}
    waiting = [row["line"] for row in rows]
    running: dict = {}  # task -> ("generate" | "copy", line)
    stopped = False

    def generating() -> int:
        return sum(1 for kind, _ in running.values() if kind == "generate")

    while waiting or running:
        free = cap - generating()
        if waiting and not stopped and free > 0:
            try:
                stopped = bool((yield context.call_activity_with_retry(
                    "batch_cancel_requested", INFRA_RETRY, {"name": name, "instance": parent})))
            except Exception:
                stopped = False  # cannot tell: keep going (a cancel is also seen by the next check)
            if not stopped:
                for line in waiting[:free]:
                    row = by_line[line]
                    row["instanceId"] = batch.child_instance_id(parent, line)
                    task = context.call_sub_orchestrator("generate_background", row["input"], row["instanceId"])
                    running[task] = ("generate", line)
                waiting = waiting[free:]
        if stopped and waiting:
            for line in waiting:
                batch.mark_cancelled(by_line[line])
            waiting = []
        if not running:
            break
        context.set_custom_status(batch.progress_status(name, rows, stage="running", running=generating(),
                                                        cancel_requested=stopped))
        winner = yield context.task_any(list(running))
        kind, line = running.pop(winner)
        row = by_line[line]
        failed = isinstance(winner.result, Exception)
        if kind == "generate":
            if failed:
                row["status"], row["error"] = batch.FAILED, batch.failure_error(winner.result)
            else:
                row["title"] = winner.result.get("title") if isinstance(winner.result, dict) else None
                copy = context.call_activity_with_retry("batch_copy_outputs", INFRA_RETRY, {
                    "name": name, "instance": parent, "line": line, "id": row["id"],
                    "images": batch.output_images(winner.result)})
                running[copy] = ("copy", line)
        elif failed:
            batch.mark_copy_failed(row)
        else:
            row["status"], row["images"] = batch.COMPLETED, winner.result
    for row in rows:
        row.pop("input", None)
    context.set_custom_status(batch.progress_status(name, rows, stage="done", cancel_requested=stopped))
    return rows


# --- Activities (at least once: each is idempotent) ---------------------------------------------

@bp.activity_trigger(input_name="payload")
def batch_prepare(payload: dict) -> dict:
    return batch.load_source(payload["source"], payload["sha256"], payload["kind"])


@bp.activity_trigger(input_name="payload")
def batch_cancel_requested(payload: dict) -> bool:
    return batch.cancel_requested(payload["name"], payload["instance"])


@bp.activity_trigger(input_name="payload")
def batch_copy_outputs(payload: dict) -> list:
    return batch.copy_outputs(payload["name"], payload["instance"], payload["line"], payload.get("id"),
                              payload["images"])


@bp.activity_trigger(input_name="payload")
def batch_write_results(payload: dict) -> dict:
    return batch.write_results(payload["name"], payload["instance"], payload["rows"], payload["summary"])


# --- HTTP ---------------------------------------------------------------------------------------

async def _current(req: func.HttpRequest) -> tuple[str, dict]:
    name = req.route_params.get("name", "")
    return name, await asyncio.to_thread(batch.current_run, name)


@bp.route(route="batches/{name}", methods=["GET"])
@bp.durable_client_input(client_name="client")
@handles_errors
async def get_batch(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    name, pointer = await _current(req)
    status = await _status(client, pointer["instanceId"])
    runtime = status.runtime_status.value if status else "Pending"
    custom = status.custom_status if status else None
    summary = await asyncio.to_thread(batch.read_summary, name) if runtime in TERMINAL else None
    if summary and summary.get("instanceId") != pointer["instanceId"]:
        summary = None
    live = None  # the running chunk's own counts, added to the batch's
    if summary is None and isinstance(custom, dict) and custom.get("chunk"):
        chunk = await _status(client, custom["chunk"])
        live = chunk.custom_status if chunk else None
    return json_response(batch.status_body(name, pointer, runtime, custom, summary, live=live))


@bp.route(route="batches/{name}", methods=["DELETE"])
@bp.durable_client_input(client_name="client")
@handles_errors
async def cancel_batch(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    name, pointer = await _current(req)
    instance = pointer["instanceId"]
    status = await _status(client, instance)
    if status is not None and status.runtime_status.value in TERMINAL:
        raise batch.batch_finished()
    # The flag stops the running chunk before its next line; the event stops the batch's next chunk.
    await asyncio.to_thread(batch.write_cancel_flag, name, instance)
    try:
        await client.raise_event(instance, batch.CANCEL_EVENT, {"reason": "user"})
    except Exception:
        status = await _status(client, instance)
        raise (batch.batch_not_started() if status is None else batch.batch_finished()) from None
    return json_response({"name": name, "instanceId": instance, "cancelRequested": True,
                          "message": batch.CANCEL_ACCEPTED_MESSAGE}, status=202)
