"""Batch generation: a shot list dropped into batch-in starts `generate_batch`, which validates every
line, runs one `generate_background` sub-orchestration per good line (at most N at a time), copies the
outputs to batch-out/<name>/ and writes results.jsonl and summary.json.

A batch belongs to its uploader (the blob's `owner` metadata, else BATCH_OWNER / the local user):
GET /api/batches/{name} answers status and counts, DELETE /api/batches/{name} cancels the lines that
have not started (running ones finish) and GET /api/batches/{name}/files/{path} redirects to a result
file, for the owner only (404 for anyone else). The work lives in shared.batch.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import azure.durable_functions as df
import azure.functions as func

from functions.caller import caller_id
from functions.http import handles_errors, json_response
from functions.retries import INFRA_RETRY
from shared.batch import blobs, lines, names, quota, results
from shared.batch import status as shaping

log = logging.getLogger(__name__)

bp = df.Blueprint(http_auth_level=func.AuthLevel.ANONYMOUS)

TERMINAL = ("Completed", "Failed", "Terminated", "Canceled")

# The batch's own blob work outlasts a storage outage of about a minute (the Python SDK retries at a
# fixed interval): a line whose files were made is then not lost to a short outage.
STORAGE_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=5000, max_number_of_attempts=12)


# --- The blob trigger ---------------------------------------------------------------------------

@bp.blob_trigger(arg_name="blob", path="batch-in/{name}", connection="AzureWebJobsStorage",
                 source=func.BlobSource.EVENT_GRID)
@bp.durable_client_input(client_name="client")
async def batch_file_dropped(blob: func.InputStream, client: df.DurableOrchestrationClient) -> None:
    """Start generate_batch for a .jsonl/.csv shot list, once per (name, content): the instance id is
    derived from both, so the same file dropped again (or this trigger firing twice) starts nothing."""
    parts = names.split_blob_name(blob.name or "")
    if parts is None:
        log.info("batch-in: ignoring %s (not a .jsonl/.csv shot list with a usable name)", blob.name)
        return
    name = parts[0]
    data = blob.read()
    owner = await asyncio.to_thread(blobs.uploader, blob.name)
    job = lines.new_job(blob.name, data, owner=owner)
    instance = job["instanceId"]
    previous = await asyncio.to_thread(blobs.read_pointer, name)
    if await _exists(client, instance) or await asyncio.to_thread(blobs.finished_run, name, instance,
                                                                  pointer=previous):
        log.info("batch %s: run %s already exists or finished; nothing to start", name, instance)
        return
    if previous and previous.get("instanceId") != instance:
        await _cancel_quietly(client, previous["instanceId"])  # a new file under this name takes over
    await asyncio.to_thread(blobs.write_pointer, name, job)
    await client.start_new(names.ORCHESTRATION, instance, job)
    log.info("batch %s: started %s (%d bytes, owner %s)", name, instance, len(data), job["owner"])


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
        await client.raise_event(instance, names.CANCEL_EVENT, {"reason": "superseded"})
    except Exception:
        pass  # finished or unknown: nothing to cancel


# --- The orchestrations -------------------------------------------------------------------------
# generate_batch validates the file, then hands the valid lines to `generate_batch_chunk`
# sub-orchestrations of at most lines.CHUNK_LINES lines, one chunk after the other. Each chunk runs its
# lines as generate_background sub-orchestrations, at most `maxConcurrency` at a time. Chunks keep
# every orchestration's history short: the Python SDK replays the whole history at each step, so one
# orchestration holding 1,000 lines would cost time growing with the square of the line count.

@bp.orchestration_trigger(context_name="context")
def generate_batch(context: df.DurableOrchestrationContext):
    job = context.get_input()
    name, me = job["name"], context.instance_id
    started = context.current_utc_datetime.isoformat()
    cancel = context.wait_for_external_event(names.CANCEL_EVENT)
    context.set_custom_status(shaping.progress_status(name, [], stage="validating"))

    # 1. Read and validate every line (a bad line becomes an invalid row; a bad file, an error).
    prepared = yield context.call_activity_with_retry("batch_prepare", STORAGE_RETRY, {
        "source": job["source"], "sha256": job["sha256"], "kind": job["kind"], "owner": job.get("owner")})
    error = prepared.get("error")
    rows = [] if error else prepared["rows"]

    # 2. The valid lines, chunk after chunk; a cancel stops the running chunk from starting more.
    cancelled = False
    if error:
        context.set_custom_status(shaping.progress_status(name, rows, stage="rejected", error=error))
    else:
        cancelled = yield from _run_chunks(context, job, rows, cancel)
        # 3. No line is reported completed without its files (storage may have lost some).
        rows = yield context.call_activity_with_retry("batch_verify_outputs", STORAGE_RETRY, {
            "name": name, "instance": me, "rows": rows})
        for row in rows:
            row.pop("sources", None)

    # 4. results.jsonl and summary.json (idempotent: fixed names, overwritten).
    summary = results.summary(name, me, job["source"], job["sha256"], rows, started=started,
                              finished=context.current_utc_datetime.isoformat(),
                              cancel_requested=cancelled, error=error)
    yield context.call_activity_with_retry("batch_write_results", STORAGE_RETRY, {
        "name": name, "instance": me, "rows": rows, "summary": summary})
    context.set_custom_status(shaping.progress_status(name, rows, stage="rejected" if error else "done",
                                                      error=error, cancel_requested=cancelled))
    return summary


def _run_chunks(context: df.DurableOrchestrationContext, job: dict, rows: list[dict], cancel):
    """The valid rows as generate_batch_chunk sub-orchestrations, one after the other; fills the rows
    in and returns whether the batch was cancelled."""
    name, me = job["name"], context.instance_id
    by_line = {row["line"]: row for row in rows}
    pending = [row for row in rows if row["status"] == lines.PENDING]
    cancelled = False
    for number, chunk in enumerate(lines.chunks(pending, lines.CHUNK_LINES), start=1):
        cancelled = cancelled or cancel.is_completed
        if cancelled:
            for row in chunk:
                results.mark_cancelled(row)
            continue
        chunk_id = names.chunk_instance_id(me, number)
        task = context.call_sub_orchestrator(names.CHUNK_ORCHESTRATION, {
            "name": name, "batch": me, "maxConcurrency": max(1, int(job.get("maxConcurrency") or 1)),
            "rows": chunk}, chunk_id)
        context.set_custom_status(shaping.progress_status(name, rows, stage="running", chunk=chunk_id))
        if not cancel.is_completed:
            winner = yield context.task_any([task, cancel])
            if winner is cancel:
                cancelled = True
                context.set_custom_status(shaping.progress_status(
                    name, rows, stage="cancelling", chunk=chunk_id, cancel_requested=True))
        if not task.is_completed:
            yield task
        if isinstance(task.result, Exception):
            for row in chunk:
                row["status"], row["error"] = lines.FAILED, results.failure_error(task.result)
        else:
            for done in task.result:
                by_line[done["line"]].update(done)
    for row in rows:
        row.pop("input", None)
    cancelled = cancelled or cancel.is_completed or any(r["status"] == lines.CANCELLED for r in rows)
    context.set_custom_status(shaping.progress_status(name, rows, stage="writing", cancel_requested=cancelled))
    return cancelled


@bp.orchestration_trigger(context_name="context")
def generate_batch_chunk(context: df.DurableOrchestrationContext):
    """Lines of one chunk: generate_background per line (fixed child ids), at most `maxConcurrency` at
    a time; before starting more, ask whether the batch was cancelled or superseded. Returns the rows."""
    job = context.get_input()
    chunk = _Chunk(job)
    while chunk.waiting or chunk.running:
        free = chunk.cap - chunk.generating()
        if chunk.waiting and not chunk.stopped and free > 0 and not chunk.held():
            try:
                chunk.stopped = bool((yield context.call_activity_with_retry(
                    "batch_cancel_requested", INFRA_RETRY, {"name": chunk.name, "instance": chunk.parent})))
            except Exception:
                chunk.stopped = False  # cannot tell: keep going (a cancel is also seen by the next check)
            if not chunk.stopped:
                yield from chunk.start_lines(context, free)
        if chunk.stopped:
            chunk.cancel_waiting()
        if not chunk.running:
            break
        context.set_custom_status(chunk.progress("running"))
        winner = yield context.task_any(list(chunk.running))
        chunk.settle(context, winner)
    for row in chunk.rows:
        row.pop("input", None)
    context.set_custom_status(chunk.progress("done"))
    return chunk.rows


class _Chunk:
    """The state of one generate_batch_chunk episode: rows, lines not started, running tasks."""

    def __init__(self, job: dict):
        self.name, self.parent, self.cap = job["name"], job["batch"], max(1, int(job["maxConcurrency"]))
        self.rows = job["rows"]
        self.by_line = {row["line"]: row for row in self.rows}
        self.waiting = [row["line"] for row in self.rows]
        self.running: dict = {}  # task -> ("generate" | "copy", line)
        self.stopped = False

    def generating(self) -> int:
        return sum(1 for kind, _ in self.running.values() if kind == "generate")

    def held(self) -> bool:
        """Waiting for a place on the paid image model (a timer is running)."""
        return any(kind == "wait" for kind, _ in self.running.values())

    def progress(self, stage: str) -> dict:
        return shaping.progress_status(self.name, self.rows, stage=stage, running=self.generating(),
                                       cancel_requested=self.stopped)

    def start_lines(self, context, count: int):
        """Start up to `count` lines, each after a place in its owner's quota is reserved: a line over
        the owner's quota fails with the Korean reason; when the paid model has no room for anyone, the
        rest wait (a timer of the Retry-After) and ask again."""
        while self.waiting and count > 0:
            line = self.waiting[0]
            row = self.by_line[line]
            instance = names.child_instance_id(self.parent, line)
            try:
                verdict = yield context.call_activity_with_retry("batch_reserve", INFRA_RETRY, {
                    "input": row["input"], "instance": instance})
            except Exception as exc:  # the quota could not be asked (database down after the retries)
                verdict = {"reserved": False, "error": results.failure_error(exc)}
            if not verdict["reserved"] and verdict["error"]["code"] == quota.IMAGE_MODEL_BUSY:
                wake = context.current_utc_datetime + timedelta(seconds=verdict.get("retryAfter") or 30)
                self.running[context.create_timer(wake)] = ("wait", line)
                return
            self.waiting.pop(0)
            if not verdict["reserved"]:
                row["status"], row["error"] = lines.FAILED, verdict["error"]
                continue
            row["instanceId"] = instance
            self.running[context.call_sub_orchestrator("generate_background", row["input"], instance)] = \
                ("generate", line)
            count -= 1

    def cancel_waiting(self) -> None:
        for line in self.waiting:
            results.mark_cancelled(self.by_line[line])
        self.waiting = []

    def settle(self, context, winner) -> None:
        """A finished generation starts its copy; a finished copy completes the line."""
        kind, line = self.running.pop(winner)
        if kind == "wait":  # the paid model's place: the loop asks again
            return
        row = self.by_line[line]
        failed = isinstance(winner.result, Exception)
        if kind == "generate" and failed:
            row["status"], row["error"] = lines.FAILED, results.failure_error(winner.result)
        elif kind == "generate":
            row["title"] = winner.result.get("title") if isinstance(winner.result, dict) else None
            row["sources"] = results.output_images(winner.result)  # kept to repair a lost copy
            copy = context.call_activity_with_retry("batch_copy_outputs", STORAGE_RETRY, {
                "name": self.name, "instance": self.parent, "line": line, "id": row["id"],
                "images": row["sources"]})
            self.running[copy] = ("copy", line)
        elif failed:
            results.mark_copy_failed(row)
        else:
            row["status"], row["images"] = lines.COMPLETED, winner.result


# --- Activities (at least once: each is idempotent) ---------------------------------------------

@bp.activity_trigger(input_name="payload")
def batch_prepare(payload: dict) -> dict:
    return blobs.load_source(payload["source"], payload["sha256"], payload["kind"], owner=payload.get("owner"))


@bp.activity_trigger(input_name="payload")
def batch_reserve(payload: dict) -> dict:
    return quota.reserve_line(payload["input"], payload["instance"])


@bp.activity_trigger(input_name="payload")
def batch_cancel_requested(payload: dict) -> bool:
    return blobs.cancel_requested(payload["name"], payload["instance"])


@bp.activity_trigger(input_name="payload")
def batch_copy_outputs(payload: dict) -> list:
    return blobs.copy_outputs(payload["name"], payload["instance"], payload["line"], payload.get("id"),
                              payload["images"])


@bp.activity_trigger(input_name="payload")
def batch_verify_outputs(payload: dict) -> list:
    return blobs.verify_outputs(payload["name"], payload["instance"], payload["rows"])


@bp.activity_trigger(input_name="payload")
def batch_write_results(payload: dict) -> dict:
    return blobs.write_results(payload["name"], payload["instance"], payload["rows"], payload["summary"])


# --- HTTP ---------------------------------------------------------------------------------------

async def _current(req: func.HttpRequest) -> tuple[str, dict]:
    """The batch named in the route, if it is the caller's (else 404)."""
    name = req.route_params.get("name", "")
    return name, await asyncio.to_thread(blobs.current_run, name, caller_id(req.headers))


@bp.route(route="batches/{name}", methods=["GET"])
@bp.durable_client_input(client_name="client")
@handles_errors
async def get_batch(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    name, pointer = await _current(req)
    status = await _status(client, pointer["instanceId"])
    runtime = status.runtime_status.value if status else "Pending"
    custom = status.custom_status if status else None
    summary = await asyncio.to_thread(blobs.read_summary, name) if runtime in TERMINAL else None
    if summary and summary.get("instanceId") != pointer["instanceId"]:
        summary = None
    live = None  # the running chunk's own counts, added to the batch's
    if summary is None and isinstance(custom, dict) and custom.get("chunk"):
        chunk = await _status(client, custom["chunk"])
        live = chunk.custom_status if chunk else None
    return json_response(shaping.status_body(name, pointer, runtime, custom, summary, live=live))


@bp.route(route="batches/{name}", methods=["DELETE"])
@bp.durable_client_input(client_name="client")
@handles_errors
async def cancel_batch(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    name, pointer = await _current(req)
    instance = pointer["instanceId"]
    status = await _status(client, instance)
    if status is not None and status.runtime_status.value in TERMINAL:
        raise shaping.batch_finished()
    # The flag stops the running chunk before its next line; the event stops the batch's next chunk.
    await asyncio.to_thread(blobs.write_cancel_flag, name, instance)
    try:
        await client.raise_event(instance, names.CANCEL_EVENT, {"reason": "user"})
    except Exception:
        status = await _status(client, instance)
        raise (shaping.batch_not_started() if status is None else shaping.batch_finished()) from None
    return json_response({"name": name, "instanceId": instance, "cancelRequested": True,
                          "message": shaping.CANCEL_ACCEPTED_MESSAGE}, status=202)


@bp.route(route="batches/{name}/files/{*path}", methods=["GET"])
@handles_errors
async def get_batch_file(req: func.HttpRequest) -> func.HttpResponse:
    """A result file of the caller's batch (results.jsonl, summary.json, <NNNN>[-<id>]/<n>.png|psd):
    302 to a fresh read-only SAS URL (`?download=1` for an attachment)."""
    download = (req.params.get("download") or "").lower() in ("1", "true", "yes")
    url = await asyncio.to_thread(blobs.result_url, req.route_params.get("name", ""),
                                  req.route_params.get("path") or "", caller_id(req.headers), download=download)
    return func.HttpResponse(status_code=302, headers={
        "Location": url, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
