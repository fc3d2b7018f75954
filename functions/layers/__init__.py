"""Layers from the artist's own image: POST /api/layers and the orchestration `layer_image`.

The answer and the progress follow a generation's contract: 202 with the app's management URLs, and
GET /api/generations/{id} reports the stage, then the output with the PSD. The steps reuse the
generation's make_layers activity; the domain rules live in shared.generation.own_image.
"""

from __future__ import annotations

import asyncio

import azure.durable_functions as df
import azure.functions as func

from functions.caller import caller_id
from functions.http import handles_errors, json_response, read_json
from functions.retries import INFRA_RETRY
from shared.generation import job as jobs
from shared.generation import own_image, progress
from shared.generation.activity import error_from_failure, run_step
from shared.generation.request import ensure_upload_exists

bp = df.Blueprint(http_auth_level=func.AuthLevel.ANONYMOUS)


@bp.route(route="layers", methods=["POST"])
@bp.durable_client_input(client_name="client")
@handles_errors
async def start_layers(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    job = own_image.validate_layers_request(read_json(req), caller_id(req.headers))
    await asyncio.to_thread(ensure_upload_exists, job.upload_id)
    instance_id = await client.start_new(jobs.LAYERS_ORCHESTRATION, None, job.to_dict())
    urls = progress.management_urls(progress.request_origin(req.url, req.headers), instance_id)
    return json_response(urls, 202, progress.check_status_headers(urls))


@bp.orchestration_trigger(context_name="context")
def layer_image(context: df.DurableOrchestrationContext):
    job = own_image.LayersJob.from_dict(context.get_input())
    run = jobs.Run()
    try:
        context.set_custom_status(run.enter("make_layers"))
        prepared = yield context.call_activity_with_retry("prepare_own_image", INFRA_RETRY, {
            "instance_id": context.instance_id, "job": job.to_dict()})
        layered = run.took((yield context.call_activity_with_retry("make_layers", INFRA_RETRY, jobs.MakeLayers(
            context.instance_id, jobs.StoredImage.from_dict(prepared["image"]), line_weight=job.line_weight,
            detail=job.detail, stage=own_image.STAGE).to_dict())))
        context.set_custom_status(run.enter("store_outputs"))
        answer = yield context.call_activity_with_retry("layers_output", INFRA_RETRY, {
            "instance_id": context.instance_id, "image": layered["image"], "layers": layered["layers"],
            "timings": run.timings})
        context.set_custom_status(run.enter("done"))
        return answer["output"]
    except Exception as exc:
        failure = error_from_failure(exc)
        context.set_custom_status(run.fail(failure))
    # Outside the except block; nothing half-made stays in storage (the upload itself is kept).
    try:
        yield context.call_activity_with_retry("discard_layer_outputs", INFRA_RETRY, context.instance_id)
    except Exception:
        pass  # the job has failed already; the retention rule removes what stays
    raise jobs.GenerationFailed(failure["message"])


@bp.activity_trigger(input_name="payload")
def prepare_own_image(payload: dict) -> dict:
    def prepare(instance_id: str, job: dict) -> dict:
        return own_image.prepare_own_image(instance_id, own_image.LayersJob.from_dict(job))

    return run_step(prepare, payload)


@bp.activity_trigger(input_name="instanceId")
def discard_layer_outputs(instanceId: str) -> dict:  # noqa: N803  (the binding's name)
    return own_image.discard_outputs(instanceId)


@bp.activity_trigger(input_name="payload")
def layers_output(payload: dict) -> dict:
    def build(instance_id: str, image: dict, layers: list, timings: dict) -> dict:
        return {"output": own_image.layers_output(instance_id, jobs.StoredImage.from_dict(image), layers, timings)}

    return run_step(build, payload)
