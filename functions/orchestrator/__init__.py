"""Generations: the HTTP starter and history, the orchestration `generate_background` and its activities.

The orchestration only sequences steps and reports progress in customStatus; every step's work (and
all I/O) happens in an activity that calls shared.generation.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import azure.durable_functions as df
import azure.functions as func

from functions.http import handles_errors, json_response, read_json
from functions.retries import INFRA_RETRY
from shared.generation import progress
from shared.generation import steps as generation

bp = df.Blueprint(http_auth_level=func.AuthLevel.ANONYMOUS)


# --- HTTP ---------------------------------------------------------------------------------------

@bp.route(route="generations", methods=["POST"])
@bp.durable_client_input(client_name="client")
@handles_errors
async def start_generation(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    request = generation.validate_request(read_json(req), generation.caller_id(req.headers))
    await asyncio.to_thread(generation.ensure_upload_exists, request.upload_id)
    instance_id = await client.start_new(generation.ORCHESTRATION, None, generation.orchestration_input(request))
    # The app's own management routes on the caller's origin, not the Durable webhook URLs (which carry
    # the extension's system key and are not reachable through Static Web Apps).
    urls = progress.management_urls(progress.request_origin(req.url, req.headers), instance_id)
    return json_response(urls, 202, progress.check_status_headers(urls))


async def _owned_status(req: func.HttpRequest, client: df.DurableOrchestrationClient):
    instance_id = req.route_params["instanceId"]
    status = await client.get_status(instance_id, show_input=True)
    return instance_id, progress.owned(status, generation.caller_id(req.headers), generation.ORCHESTRATION)


@bp.route(route="generations/{instanceId}", methods=["GET"])
@bp.durable_client_input(client_name="client")
@handles_errors
async def get_generation(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = req.route_params["instanceId"]
    status = await client.get_status(instance_id, show_input=True)
    url = progress.management_urls(progress.request_origin(req.url, req.headers), instance_id)["statusQueryGetUri"]
    code, body, headers = progress.status_answer(status, generation.caller_id(req.headers),
                                                 generation.ORCHESTRATION, url)
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
    return func.HttpResponse(status_code=202)


@bp.route(route="generations", methods=["GET"])
@handles_errors
def list_generations(req: func.HttpRequest) -> func.HttpResponse:
    from shared.db import history

    user = generation.caller_id(req.headers)
    page, page_size = generation.paging(req.params)
    return json_response(generation.history_json(history.list_for_user(user, page=page, page_size=page_size)))


# --- The orchestration --------------------------------------------------------------------------

@bp.orchestration_trigger(context_name="context")
def generate_background(context: df.DurableOrchestrationContext):
    job = context.get_input()
    request, review = job["request"], job["review"]
    instance_id = context.instance_id
    started = context.current_utc_datetime
    run = generation.Run()
    prompt = None
    context.set_custom_status(run.status())
    try:
        # 1. Embed the request (text, and the artist's photo); without it the search matches words only.
        context.set_custom_status(run.enter("embed_query"))
        try:
            embeddings = run.took((yield context.call_activity("embed_query", {"request": request})))
        except Exception:
            embeddings = None
            run.warn(generation.WARNING_EMBEDDING_FAILED)

        # 2. Find references; without them the generation still goes on.
        context.set_custom_status(run.enter("search_references"))
        try:
            found = run.took((yield context.call_activity(
                "search_references", {"request": request, "embeddings": embeddings})))
            run.references = found["references"]
            if not run.references:
                run.warn(generation.WARNING_NO_REFERENCES)
        except Exception:
            run.warn(generation.WARNING_REFERENCES_FAILED)

        # 3. Write the prompt, unless the request brought a ready one.
        if request.get("prompt"):
            run.draft = generation.ready_prompt_draft(request)
        else:
            context.set_custom_status(run.enter("write_prompt"))
            run.draft = run.took((yield context.call_activity(
                "write_prompt", {"request": request, "references": run.references})))["draft"]
        prompt = run.draft["prompt"]

        # 4. Review: wait for the artist's approved prompt, or for the timeout.
        if review["enabled"]:
            context.set_custom_status(run.enter("review"))
            asked = context.current_utc_datetime
            approval = context.wait_for_external_event(generation.APPROVAL_EVENT)
            timeout = context.create_timer(asked + timedelta(seconds=review["timeoutSeconds"]))
            winner = yield context.task_any([approval, timeout])
            run.timings["review"] = int((context.current_utc_datetime - asked).total_seconds() * 1000)
            if winner == approval:
                timeout.cancel()
                prompt, warning = generation.approved_prompt(approval.result, run.draft)
                if warning:
                    run.warn(warning)
            elif review["timeoutOutcome"] == "cancel":
                run.warn(generation.MESSAGE_REVIEW_CANCELLED)
                context.set_custom_status(run.enter("cancelled"))
                yield from _record_outcome(context, instance_id, request, run, prompt, "cancelled",
                                           generation.cancelled_error())
                return generation.cancelled_output(instance_id, run)
            else:
                run.warn(generation.WARNING_REVIEW_TIMEOUT)

        # 5. Generate the images (stored as outputs/<instanceId>/<n>.png by the activity).
        context.set_custom_status(run.enter("generate_image"))
        generated = run.took((yield context.call_activity("generate_image", {
            "instance_id": instance_id, "request": request, "prompt": prompt, "references": run.references})))

        # 6. Layers, PSD and thumbnail, one activity per image.
        context.set_custom_status(run.enter("make_layers"))
        layered = yield context.task_all([
            context.call_activity_with_retry("make_layers", INFRA_RETRY, {"instance_id": instance_id, "image": image})
            for image in generated["images"]
        ])
        run.timings["make_layers"] = max(int(part["ms"]) for part in layered)

        # 7. Record the generation and answer with fresh links.
        context.set_custom_status(run.enter("store_outputs"))
        run.timings["total"] = int((context.current_utc_datetime - started).total_seconds() * 1000)
        stored = run.took((yield context.call_activity_with_retry("store_outputs", INFRA_RETRY, {
            "instance_id": instance_id, "request": request, "draft": run.draft, "prompt": prompt,
            "references": run.references, "images": [part["image"] for part in layered],
            "layers": layered[0]["layers"], "timings": run.timings, "warnings": run.warnings})))
        context.set_custom_status(run.enter("done"))
        return stored["output"]
    except Exception as exc:
        error = generation.error_from_failure(exc)
        context.set_custom_status(run.fail(error))
        failure = error
    # Outside the except block: the failure's own exception must not chain into the one below.
    yield from _record_outcome(context, instance_id, request, run, prompt, "failed", failure)
    raise generation.GenerationFailed(failure["message"])


def _record_outcome(context: df.DurableOrchestrationContext, instance_id: str, request: dict,
                    run: generation.Run, prompt: str | None, status: str, error: dict):
    """A row in the history for a generation that ended without images; it never changes the outcome."""
    try:
        yield context.call_activity_with_retry("record_outcome", INFRA_RETRY, {
            "instance_id": instance_id, "request": request, "status": status, "error": error,
            "draft": run.draft, "prompt": prompt, "references": run.references, "timings": run.timings,
            "warnings": run.warnings})
    except Exception:
        pass  # the history is a convenience; the generation's own status already tells the artist


# --- Activities (at least once: each step is idempotent) ----------------------------------------

@bp.activity_trigger(input_name="payload")
def embed_query(payload: dict) -> dict:
    return generation.run_step(generation.embed_query, payload)


@bp.activity_trigger(input_name="payload")
def search_references(payload: dict) -> dict:
    return generation.run_step(generation.search_references, payload)


@bp.activity_trigger(input_name="payload")
def write_prompt(payload: dict) -> dict:
    return generation.run_step(generation.write_prompt, payload)


@bp.activity_trigger(input_name="payload")
def generate_image(payload: dict) -> dict:
    return generation.run_step(generation.generate_image, payload)


@bp.activity_trigger(input_name="payload")
def make_layers(payload: dict) -> dict:
    return generation.run_step(generation.make_layers, payload)


@bp.activity_trigger(input_name="payload")
def store_outputs(payload: dict) -> dict:
    return generation.run_step(generation.store_outputs, payload)


@bp.activity_trigger(input_name="payload")
def record_outcome(payload: dict) -> dict:
    return generation.run_step(generation.record_outcome, payload)
