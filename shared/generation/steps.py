"""The work of each pipeline step of a generation, called by the activities of functions/orchestrator
with its job (shared.generation.job) and answering small JSON.

The steps pass only small JSON between them (blob names, references, prompts): images live in Blob
storage, written and read by the steps themselves. Every step is safe to run twice (the Durable host
runs activities at least once): outputs are written under names fixed by the instance id and index,
and the history row is keyed by the instance id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from shared import references as reference_search
from shared.core import catalog
from shared.core.config import get_settings
from shared.core.errors import AppError, ServiceUnavailable
from shared.core.models import GenerationRequest, Reference
from shared.db import history
from shared.generation import output, quota, sources
from shared.generation.activity import refusal, run_step
from shared.generation.job import (
    EmbedQuery,
    GenerateImage,
    MakeLayers,
    RecordOutcome,
    SearchReferences,
    StoredImage,
    StoreOutputs,
    WritePrompt,
)
from shared.images import layers, psd, uploads
from shared.providers import registry
from shared.providers.interfaces import GeneratedImages
from shared.references import embedding
from shared.storage import blobs
from shared.storage.blobs import BlobRef

log = logging.getLogger(__name__)

REFERENCE_COUNT = 4
# The generated images are in memory only until written: a storage hiccup is retried here, so the
# paid model is not called again (the orchestration's infra retry re-runs the whole step).
WRITE_ATTEMPTS = 4
WRITE_BACKOFF_SECONDS = 1.0
MSG_OUTPUTS_MISSING = "만든 파일 일부를 저장소에서 찾을 수 없어 생성을 마치지 못했습니다. 다시 생성해 주세요."


def query_text(request: GenerationRequest) -> str:
    return " ".join(part for part in (request.keywords, request.description or "") if part)


def _upload_bytes(request: GenerationRequest) -> bytes | None:
    """The photo: the artist's upload, or the earlier result the request names (photoSource)."""
    return sources.photo_bytes(request)


def embed_query(job: EmbedQuery) -> dict:
    """KoCLIP embeddings of the request's text and (when given) the artist's photo, as lists of floats
    (rounded: they travel through the orchestration history)."""
    text = embedding.embed_texts([query_text(job.request)])[0]
    result = {"text": [round(float(x), 6) for x in text], "image": None}
    photo = _upload_bytes(job.request)
    if photo is not None:
        image = embedding.embed_images([photo])[0]
        result["image"] = [round(float(x), 6) for x in image]
    return result


def search_references(job: SearchReferences) -> dict:
    """The references closest to the request within its category and stage."""
    embeddings = job.embeddings or {}
    found = reference_search.search(
        text=query_text(job.request),
        text_embedding=embeddings.get("text"),
        image_embedding=embeddings.get("image"),
        category=job.request.category,
        stage=job.request.stage,
        k=REFERENCE_COUNT,
    )
    return {"references": [reference_search.as_json(r) for r in found]}


def _reference_model(ref: dict) -> Reference:
    return Reference(id=ref["id"], category=ref["category"], stage=ref["stage"], caption=ref["caption"],
                     tags=list(ref.get("tags") or []), blob_name=BlobRef.parse(ref["blob"]).name,
                     score=ref.get("score", 0.0))


def _reference_images(references: list[dict]) -> list[bytes]:
    images = []
    for ref in references:
        blob = BlobRef.parse(ref["blob"])
        try:
            images.append(blobs.download(blob.container, blob.name))
        except Exception:  # a missing reference image only weakens the prompt
            log.warning("reference image %s could not be read", blob)
    return images


def write_prompt(job: WritePrompt) -> dict:
    """The English prompt, Korean title and things to avoid, from the prompt-writing provider; the
    artist's photo first, then the reference images."""
    photo = _upload_bytes(job.request)
    images = ([photo] if photo else []) + _reference_images(job.references)
    draft = registry.prompt_writer().write(job.request, [_reference_model(r) for r in job.references], images)
    return {"draft": {"prompt": draft.prompt, "title": draft.title, "avoid": list(draft.avoid)}}


def output_blob(instance_id: str, index: int, extension: str) -> BlobRef:
    """outputs/<instanceId>/<index>.<ext>."""
    return BlobRef(blobs.OUTPUTS, f"{instance_id}/{index}.{extension}")


def _write(ref: BlobRef, data: bytes, content_type: str, *, sleep: Callable[[float], None] = time.sleep) -> None:
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            blobs.upload(ref.container, ref.name, data, content_type)
            return
        except ServiceUnavailable:
            if attempt == WRITE_ATTEMPTS:
                raise
            log.warning("writing %s failed (attempt %d), retrying", ref, attempt)
            sleep(WRITE_BACKOFF_SECONDS * attempt)


def _draw(job: GenerateImage, aspect) -> GeneratedImages:
    """The images from the image model (the paid call), given the photo, the best references (search
    order) and the style source; its Korean warnings go with them."""
    request = job.request
    pngs = registry.image_generator().generate(
        job.prompt, aspect, request.variations, stage=request.stage, photo=_upload_bytes(request),
        references=_reference_images(job.references[:get_settings().image_reference_count]),
        style_image=sources.style_bytes(request))
    if len(pngs) < request.variations:
        raise AppError("이미지가 요청한 장수만큼 만들어지지 않았습니다. 다시 시도해 주세요.",
                       code="upstream_error", status=502)
    return pngs


def generate_image(job: GenerateImage) -> dict:
    """Generate the variations and store each as outputs/<instanceId>/<n>.png. When a previous run of
    this activity already stored them all, they are reused (no second call to a paid model). The
    model's refusal is answered as {"refused": error} (the orchestration retries only what raises)."""
    aspect = catalog.aspect(job.request.aspect)
    refs = [output_blob(job.instance_id, n, "png") for n in range(1, job.request.variations + 1)]
    if not all(blobs.exists(ref.container, ref.name) for ref in refs):
        try:
            pngs = _draw(job, aspect)
        except ServiceUnavailable:
            raise  # storage (the photo or a reference): the infra retry's business
        except AppError as exc:
            log.warning("the image model refused: %s (%s)", exc.code, exc.message)
            return refusal(exc)
        for ref, png in zip(refs, pngs, strict=False):
            _write(ref, png, "image/png")
        warnings = list(getattr(pngs, "warnings", []))
    else:
        warnings = []  # stored by an earlier run of this activity, whose answer was lost
    images = [StoredImage(index=n, png=ref, width=aspect.width, height=aspect.height)
              for n, ref in enumerate(refs, start=1)]
    return {"images": [image.to_dict() for image in images], "warnings": warnings}


def make_layers(job: MakeLayers) -> dict:
    """The layered PSD and the thumbnail of one generated image (outputs/<id>/<n>.psd, <n>-thumb.webp)."""
    image = job.image
    png = blobs.download(image.png.container, image.png.name)
    derived = layers.derive_layers(png, stage=job.stage, line_weight=job.line_weight, detail=job.detail)
    psd_ref = output_blob(job.instance_id, image.index, "psd")
    blobs.upload(psd_ref.container, psd_ref.name, psd.write_layered_psd(derived), psd.PSD_CONTENT_TYPE)
    thumb, thumb_type = uploads.thumbnail(png)
    thumb_ref = BlobRef(blobs.OUTPUTS, f"{job.instance_id}/{image.index}-thumb.{thumb_type.rpartition('/')[2]}")
    blobs.upload(thumb_ref.container, thumb_ref.name, thumb, thumb_type)
    layered = StoredImage(index=image.index, png=image.png, width=image.width, height=image.height,
                          psd=psd_ref, thumbnail=thumb_ref)
    return {
        "image": layered.to_dict(),
        "layers": derived.names(),  # bottom to top, as in the PSD
    }


def _owner(request: GenerationRequest) -> str:
    return request.user_id or get_settings().local_user_id


def _missing_outputs(images: list[StoredImage]) -> list[str]:
    refs = [ref for image in images for ref in (image.png, image.psd, image.thumbnail)]
    return [str(ref) for ref in refs if ref is None or not blobs.exists(ref.container, ref.name)]


def store_outputs(job: StoreOutputs) -> dict:
    """Record the generation in `generations` (once per instance) and build the orchestration's
    output with fresh read-only links. Every file is checked first: a write that storage acknowledged
    and then lost must not leave a Completed generation whose links answer 404."""
    missing = _missing_outputs(job.images)
    if missing:
        log.error("generation %s: outputs missing before completion: %s", job.instance_id, missing)
        raise AppError(MSG_OUTPUTS_MISSING, code="outputs_missing", status=500)
    history.record(
        instance_id=job.instance_id, user_id=_owner(job.request),
        request=job.request.to_dict(), title=job.draft.get("title") or "", prompt=job.prompt,
        images=[image.to_dict() for image in job.images],
        reference_ids=[r["id"] for r in job.references], timings=job.timings, warnings=job.warnings,
    )
    quota.release(job.instance_id)
    return {"output": output.build_output(job.instance_id, job.draft, job.prompt, job.references, job.images,
                                          job.layers, job.timings, job.warnings,
                                          style=sources.style_record(job.request))}


def record_outcome(job: RecordOutcome) -> dict:
    """Record a generation that ended without images in `generations` (once per instance): status
    "failed" or "cancelled" with the Korean error the artist saw, so the history shows it and why."""
    draft = job.draft or {}
    recorded = history.record(
        instance_id=job.instance_id, user_id=_owner(job.request),
        request=job.request.to_dict(), title=draft.get("title") or "",
        prompt=job.prompt or draft.get("prompt") or "",
        images=[], reference_ids=[r["id"] for r in job.references], timings=job.timings, warnings=job.warnings,
        status=job.status, error={"code": job.error["code"], "message": job.error["message"]},
    )
    quota.release(job.instance_id)
    return {"recorded": recorded}


# Activity name -> (step, the job it reads). The activities of functions/orchestrator are named so.
STEPS: dict[str, tuple[Callable[..., dict], type]] = {
    "embed_query": (embed_query, EmbedQuery),
    "search_references": (search_references, SearchReferences),
    "write_prompt": (write_prompt, WritePrompt),
    "generate_image": (generate_image, GenerateImage),
    "make_layers": (make_layers, MakeLayers),
    "store_outputs": (store_outputs, StoreOutputs),
    "record_outcome": (record_outcome, RecordOutcome),
}


def run_activity(name: str, payload: dict) -> dict:
    """The activity `name`: its job read from the payload, the step run and timed (activity.run_step)."""
    step, job_type = STEPS[name]
    return run_step(step, job_type.from_dict(payload))


# Until shared/batch imports these from their own modules (request, job, activity); then this goes.
from shared.generation.activity import error_from_failure  # noqa: E402,F401
from shared.generation.job import orchestration_input  # noqa: E402,F401
from shared.generation.request import ensure_upload_exists, validate_request  # noqa: E402,F401
