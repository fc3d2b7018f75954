"""Generations: the HTTP starter and history, the orchestration `generate_background` and its activities.

The orchestration only sequences steps and reports progress in customStatus; every step's work (and
all I/O) happens in an activity that calls shared.generation.steps with its typed job.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import azure.durable_functions as df
import azure.functions as func

from functions.caller import caller_id
from functions.http import handles_errors, json_response, read_json
from functions.orchestrator.paging import paging
from functions.retries import INFRA_RETRY
from shared.db import history
from shared.generation import job as jobs
from shared.generation import output, progress, quota, sources, steps
from shared.generation.activity import error_from_failure, raise_refusal
from shared.generation.request import ensure_upload_exists, validate_request

bp = df.Blueprint(http_auth_level=func.AuthLevel.ANONYMOUS)


# --- HTTP ---------------------------------------------------------------------------------------

@bp.route(route="generations", methods=["POST"])
@bp.durable_client_input(client_name="client")
@handles_errors
async def start_generation(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    request = validate_request(read_json(req), caller_id(req.headers))
    await asyncio.to_thread(ensure_upload_exists, request.upload_id)
    await _check_sources(client, request)
    instance_id = uuid.uuid4().hex  # ours, so the quota's place is taken before the instance exists
    await asyncio.to_thread(quota.reserve, request.user_id, instance_id, request.variations)
    try:
        await client.start_new(jobs.ORCHESTRATION, instance_id, jobs.orchestration_input(request))
    except Exception:
        await asyncio.to_thread(quota.forget, instance_id)
        raise
    # The app's own management routes on the caller's origin, not the Durable webhook URLs (which carry
    # the extension's system key and are not reachable through Static Web Apps).
    urls = progress.management_urls(progress.request_origin(req.url, req.headers), instance_id)
    return json_response(urls, 202, progress.check_status_headers(urls))


async def _check_sources(client: df.DurableOrchestrationClient, request) -> None:
    """The style/photo sources exist, are the caller's and are images (404/400 before anything starts).
    An earlier generation's owner: its history row, else the user in its Durable input."""
    known = {}
    for instance_id in sources.instance_ids(request):
        status = await client.get_status(instance_id, show_input=True)
        known[instance_id] = sources.input_owner(getattr(status, "input_", None))
    await asyncio.to_thread(sources.check_sources, request, sources.history_owner_or(known))


async def _owned_status(req: func.HttpRequest, client: df.DurableOrchestrationClient):
    instance_id = req.route_params["instanceId"]
    status = await client.get_status(instance_id, show_input=True)
    return instance_id, progress.owned(status, caller_id(req.headers), jobs.ARTIST_ORCHESTRATIONS)


@bp.route(route="generations/{instanceId}", methods=["GET"])
@bp.durable_client_input(client_name="client")
@handles_errors
async def get_generation(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = req.route_params["instanceId"]
    status = await client.get_status(instance_id, show_input=True)
    url = progress.management_urls(progress.request_origin(req.url, req.headers), instance_id)["statusQueryGetUri"]
    code, body, headers = progress.status_answer(status, caller_id(req.headers), jobs.ARTIST_ORCHESTRATIONS, url)
    return json_response(body, code, headers)


@bp.route(route="generations/{instanceId}/events/{eventName}", methods=["POST"])
@bp.durable_client_input(client_name="client")
@handles_errors
async def send_generation_event(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    data = progress.event_payload(req.route_params["eventName"], read_json(req))
    instance_id, runtime = await _owned_status(req, client)
    progress.ensure_running(runtime)
    try:
        await client.raise_event(instance_id, req.route_params["eventName"], data)
    except Exception as exc:
        raise (progress.client_failure(exc) or exc) from exc
    return func.HttpResponse(status_code=202)


@bp.route(route="generations/{instanceId}/terminate", methods=["POST"])
@bp.durable_client_input(client_name="client")
@handles_errors
async def terminate_generation(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id, runtime = await _owned_status(req, client)
    progress.ensure_running(runtime)
    try:
        await client.terminate(instance_id, progress.terminate_reason(req.params))
    except Exception as exc:
        raise (progress.client_failure(exc) or exc) from exc
    await asyncio.to_thread(quota.release, instance_id)  # a terminated one runs no final step
    return func.HttpResponse(status_code=202)


@bp.route(route="generations", methods=["GET"])
@handles_errors
def list_generations(req: func.HttpRequest) -> func.HttpResponse:
    user = caller_id(req.headers)
    page, page_size = paging(req.params)
    return json_response(output.history_json(history.list_for_user(user, page=page, page_size=page_size)))


# --- The orchestration --------------------------------------------------------------------------

def _step(context: df.DurableOrchestrationContext, run: jobs.Run, stage: str, job, retry=None):
    """Enter `stage` (customStatus), call its activity with the job, record the step's timing."""
    context.set_custom_status(run.enter(stage))
    if retry is None:
        result = yield context.call_activity(stage, job.to_dict())
    else:
        result = yield context.call_activity_with_retry(stage, retry, job.to_dict())
    return run.took(result)


def _find_references(context, run: jobs.Run, request):
    """Steps 1-2: embed the request (without it the search matches words only), then find references
    (without them the generation still goes on)."""
    try:
        embeddings = yield from _step(context, run, "embed_query", jobs.EmbedQuery(request))
    except Exception:
        embeddings = None
        run.warn(jobs.WARNING_EMBEDDING_FAILED)
    try:
        found = yield from _step(context, run, "search_references", jobs.SearchReferences(request, embeddings))
        run.references = found["references"]
        if not run.references:
            run.warn(jobs.WARNING_NO_REFERENCES)
    except Exception:
        run.warn(jobs.WARNING_REFERENCES_FAILED)


def _review(context, run: jobs.Run, review: jobs.Review):
    """Step 4: wait for the artist's approved prompt, or for the timeout. The prompt to use, or None
    when the timeout cancels the generation."""
    context.set_custom_status(run.enter("review"))
    asked = context.current_utc_datetime
    approval = context.wait_for_external_event(jobs.APPROVAL_EVENT)
    timeout = context.create_timer(asked + timedelta(seconds=review.timeout_seconds))
    winner = yield context.task_any([approval, timeout])
    run.timings["review"] = int((context.current_utc_datetime - asked).total_seconds() * 1000)
    if winner == approval:
        timeout.cancel()
        prompt, warning = jobs.approved_prompt(approval.result, run.draft)
        if warning:
            run.warn(warning)
        return prompt
    if review.timeout_outcome == "cancel":
        run.warn(jobs.MESSAGE_REVIEW_CANCELLED)
        return None
    run.warn(jobs.WARNING_REVIEW_TIMEOUT)
    return run.draft["prompt"]


def _make_layers(context, run: jobs.Run, instance_id: str, images: list[dict], stage: str):
    """Step 6: layers (the stack of the art stage), PSD and thumbnail, one activity per image (in parallel)."""
    context.set_custom_status(run.enter("make_layers"))
    layered = yield context.task_all([
        context.call_activity_with_retry("make_layers", INFRA_RETRY, jobs.MakeLayers(
            instance_id, jobs.StoredImage.from_dict(image), stage=stage).to_dict())
        for image in images
    ])
    run.timings["make_layers"] = max(int(part["ms"]) for part in layered)
    return [jobs.StoredImage.from_dict(part["image"]) for part in layered], layered[0]["layers"]


def _generate(context, run: jobs.Run, instance_id: str, job: jobs.GenerationJob, started):
    """The steps of one generation in order; the output, or the cancelled output."""
    request = job.request
    yield from _find_references(context, run, request)
    if request.prompt:  # 3. Write the prompt, unless the request brought a ready one.
        run.draft = jobs.ready_prompt_draft(request)
    else:
        run.draft = (yield from _step(context, run, "write_prompt", jobs.WritePrompt(request, run.references)))["draft"]
    run.prompt = run.draft["prompt"]
    if job.review.enabled:
        prompt = yield from _review(context, run, job.review)
        if prompt is None:
            context.set_custom_status(run.enter("cancelled"))
            yield from _record_outcome(context, run.outcome(instance_id, request, "cancelled", jobs.cancelled_error(),
                                                            run.draft["prompt"]))
            return output.cancelled_output(instance_id, run)
        run.prompt = prompt
    generated = raise_refusal((yield from _step(context, run, "generate_image", jobs.GenerateImage(
        instance_id, request, run.prompt, run.references), INFRA_RETRY)))
    for warning in generated.get("warnings") or []:  # an input the image model could not use
        run.warn(warning)
    images, layer_names = yield from _make_layers(context, run, instance_id, generated["images"], request.stage)
    context.set_custom_status(run.enter("store_outputs"))
    run.timings["total"] = int((context.current_utc_datetime - started).total_seconds() * 1000)
    stored = yield from _step(context, run, "store_outputs", jobs.StoreOutputs(
        instance_id=instance_id, request=request, draft=run.draft, prompt=run.prompt,
        references=run.references, images=images, layers=layer_names, timings=dict(run.timings),
        warnings=list(run.warnings)), INFRA_RETRY)
    context.set_custom_status(run.enter("done"))
    return stored["output"]


@bp.orchestration_trigger(context_name="context")
def generate_background(context: df.DurableOrchestrationContext):
    job = jobs.GenerationJob.from_dict(context.get_input())
    run = jobs.Run()
    context.set_custom_status(run.status())
    try:
        return (yield from _generate(context, run, context.instance_id, job, context.current_utc_datetime))
    except Exception as exc:
        failure = error_from_failure(exc)
        context.set_custom_status(run.fail(failure))
    # Outside the except block: the failure's own exception must not chain into the one below.
    yield from _record_outcome(context, run.outcome(context.instance_id, job.request, "failed", failure, run.prompt))
    raise jobs.GenerationFailed(failure["message"])


def _record_outcome(context: df.DurableOrchestrationContext, outcome: jobs.RecordOutcome):
    """A row in the history for a generation that ended without images; it never changes the outcome."""
    try:
        yield context.call_activity_with_retry("record_outcome", INFRA_RETRY, outcome.to_dict())
    except Exception:
        pass  # the history is a convenience; the generation's own status already tells the artist


# --- Activities (at least once: each step is idempotent) ----------------------------------------

@bp.activity_trigger(input_name="payload")
def embed_query(payload: dict) -> dict:
    return steps.run_activity("embed_query", payload)


@bp.activity_trigger(input_name="payload")
def search_references(payload: dict) -> dict:
    return steps.run_activity("search_references", payload)


@bp.activity_trigger(input_name="payload")
def write_prompt(payload: dict) -> dict:
    return steps.run_activity("write_prompt", payload)


@bp.activity_trigger(input_name="payload")
def generate_image(payload: dict) -> dict:
    return steps.run_activity("generate_image", payload)


@bp.activity_trigger(input_name="payload")
def make_layers(payload: dict) -> dict:
    return steps.run_activity("make_layers", payload)


@bp.activity_trigger(input_name="payload")
def store_outputs(payload: dict) -> dict:
    return steps.run_activity("store_outputs", payload)


@bp.activity_trigger(input_name="payload")
def record_outcome(payload: dict) -> dict:
    return steps.run_activity("record_outcome", payload)
