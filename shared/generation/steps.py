"""One generation, step by step: request validation, the work of each pipeline step (called by the
activities of functions/orchestrator), and the bookkeeping the orchestration keeps in customStatus.

The steps pass only small JSON between them (blob names, references, prompts): images live in Blob
storage, written and read by the steps themselves. Every step is safe to run twice (the Durable host
runs activities at least once): outputs are written under names fixed by the instance id and index,
and the history row is keyed by the instance id.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Callable, Mapping

from shared.core import catalog
from shared.core.config import Settings, get_settings
from shared.core.errors import AppError, NotFound, ValidationError
from shared.core.models import GenerationRequest, PromptDraft, Reference
from shared.images.uploads import UPLOAD_ID

log = logging.getLogger(__name__)

ORCHESTRATION = "generate_background"
APPROVAL_EVENT = "prompt_approved"
MAX_PROMPT_CHARS = 4000
REFERENCE_COUNT = 4

WARNING_NO_REFERENCES = "참고 이미지를 찾지 못해 참고 이미지 없이 생성했습니다."
WARNING_EMBEDDING_FAILED = "요청 분석(임베딩)에 실패해 참고 이미지를 글자 일치로만 찾았습니다."
WARNING_REFERENCES_FAILED = "참고 이미지 검색에 실패해 참고 이미지 없이 생성했습니다."
WARNING_REVIEW_TIMEOUT = "프롬프트 확인 시간이 지나 초안 프롬프트로 생성했습니다."
WARNING_EMPTY_APPROVAL = "확인된 프롬프트가 비어 있어 초안 프롬프트로 생성했습니다."
MESSAGE_REVIEW_CANCELLED = "프롬프트 확인 시간이 지나 생성을 취소했습니다."


# --- Request validation -------------------------------------------------------------------------

def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError(message, details={"field": field})


def _josa(word: str, with_final: str, without_final: str) -> str:
    """The Korean particle that fits the word's last syllable (을/를, 은/는)."""
    last = word[-1]
    if "\uac00" <= last <= "\ud7a3" and (ord(last) - 0xAC00) % 28:
        return word + with_final
    return word + without_final


def _text(body: Mapping, field: str, *, required: bool, max_chars: int, label: str) -> str:
    value = body.get(field)
    if value is None:
        value = ""
    if isinstance(value, list) and field == "keywords" and all(isinstance(v, str) for v in value):
        value = ", ".join(v.strip() for v in value if v.strip())
    if not isinstance(value, str):
        raise _invalid(field, f"{_josa(label, '은', '는')} 문자열이어야 합니다.")
    value = value.strip()
    if required and not value:
        raise _invalid(field, f"{_josa(label, '을', '를')} 입력해 주세요.")
    if len(value) > max_chars:
        raise _invalid(field, f"{_josa(label, '은', '는')} {max_chars}자 이하로 입력해 주세요. (현재 {len(value)}자)")
    return value


def _one_of(body: Mapping, field: str, by_value: Mapping, *, label: str, default: str | None = None) -> str:
    """A value of one of the catalog's lists (`by_value`, in catalog order); `label` names it in Korean."""
    value = body.get(field)
    if default is not None and value in (None, ""):
        return default
    if not isinstance(value, str) or not value.strip():  # also keeps lists and objects out of the lookup
        raise _invalid(field, f"{_josa(label, '을', '를')} 선택해 주세요.")
    if value not in by_value:
        raise _invalid(field, f"알 수 없는 {label}입니다: {value} (가능한 값: {', '.join(by_value)})")
    return value


def validate_request(body: Mapping, user_id: str) -> GenerationRequest:
    """The body of POST /api/generations as a GenerationRequest, or a ValidationError whose Korean
    message names the first wrong field (details.field). Does not check that the upload exists."""
    category = _one_of(body, "category", catalog.CATEGORY_BY_VALUE, label="분류")
    stage = _one_of(body, "stage", catalog.STAGE_BY_VALUE, label="작업 단계")

    keywords = _text(body, "keywords", required=True, max_chars=catalog.MAX_KEYWORDS_CHARS, label="키워드")
    description = _text(body, "description", required=False, max_chars=catalog.MAX_DESCRIPTION_CHARS,
                        label="장면 설명")

    upload_id = body.get("uploadId")
    if upload_id in ("", None):
        upload_id = None
    elif not isinstance(upload_id, str) or not UPLOAD_ID.match(upload_id):
        raise _invalid("uploadId", "참고 사진 ID 형식이 올바르지 않습니다.")

    aspect = _one_of(body, "aspect", catalog.ASPECT_BY_VALUE, label="화면 비율", default=catalog.DEFAULT_ASPECT)

    variations = body.get("variations", 1)
    if variations is None:
        variations = 1
    if isinstance(variations, bool) or not isinstance(variations, int) \
            or not 1 <= variations <= catalog.MAX_VARIATIONS:
        raise _invalid("variations", f"생성할 장수는 1에서 {catalog.MAX_VARIATIONS} 사이의 정수여야 합니다.")

    review = body.get("review", False)
    if review is None:
        review = False
    if not isinstance(review, bool):
        raise _invalid("review", "review 값은 true 또는 false여야 합니다.")

    prompt = body.get("prompt")
    if prompt in ("", None):
        prompt = None
    else:
        prompt = _text(body, "prompt", required=True, max_chars=MAX_PROMPT_CHARS, label="프롬프트")

    return GenerationRequest(
        category=category, stage=stage, keywords=keywords, description=description, upload_id=upload_id,
        aspect=aspect, variations=variations, review=review, prompt=prompt, user_id=user_id,
    )


def ensure_upload_exists(upload_id: str | None) -> None:
    """404 upload_not_found when the request names an upload that is not (or no longer) stored."""
    if not upload_id:
        return
    from shared.images import uploads as imaging
    from shared.storage import blobs as storage

    if not storage.exists(storage.UPLOADS, imaging.upload_blob_name(upload_id)):
        raise NotFound(imaging.MSG_UPLOAD_NOT_FOUND, code="upload_not_found", details={"field": "uploadId"})


# --- The caller ---------------------------------------------------------------------------------

class Unauthenticated(AppError):
    status = 401
    code = "unauthenticated"


def caller_id(headers: Mapping[str, str], settings: Settings | None = None) -> str:
    """Who is calling: the principal of Azure's built-in authentication (the x-ms-client-principal
    header, base64 JSON, which the platform sets and strips from clients), else the local user."""
    settings = settings or get_settings()
    lowered = {k.lower(): v for k, v in headers.items()}
    raw = lowered.get("x-ms-client-principal")
    if not raw:
        # x-ms-client-principal-id alone is not trusted: any client can send it, and the platform sets
        # it only together with the principal itself
        return settings.local_user_id
    try:
        principal = json.loads(base64.b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise Unauthenticated("로그인 정보를 읽을 수 없습니다. 다시 로그인해 주세요.") from None
    if not isinstance(principal, dict):
        raise Unauthenticated("로그인 정보를 읽을 수 없습니다. 다시 로그인해 주세요.")
    user = principal.get("userId")
    if not user:  # App Service authentication: the id is a claim
        wanted = ("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid",
                  "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier", "sub")
        listed = principal.get("claims")
        claims = {c.get("typ"): c.get("val") for c in (listed if isinstance(listed, list) else [])
                  if isinstance(c, dict)}
        user = next((claims[t] for t in wanted if claims.get(t)), None)
    user = user or lowered.get("x-ms-client-principal-id")
    if not user or not isinstance(user, str):
        raise Unauthenticated("로그인 정보에 사용자 ID가 없습니다. 다시 로그인해 주세요.")
    return user


# --- Orchestration input and bookkeeping (pure: no I/O, deterministic on replay) -----------------

def orchestration_input(request: GenerationRequest, settings: Settings | None = None) -> dict:
    """What the starter hands the orchestration: the request plus the review settings of this moment,
    so a replay never reads settings that may have changed."""
    settings = settings or get_settings()
    return {
        "request": request.to_dict(),
        "review": {
            "enabled": request.review and not request.prompt,
            "timeoutSeconds": settings.review_timeout_seconds,
            "timeoutOutcome": settings.review_timeout_outcome,
        },
    }


class Run:
    """The orchestration's view of itself: customStatus (stage, label, progress, references, draft,
    awaitingApproval, warnings, error) and per-stage timings in milliseconds."""

    def __init__(self) -> None:
        self.stage = "queued"
        self.references: list[dict] = []
        self.draft: dict | None = None
        self.warnings: list[str] = []
        self.timings: dict[str, int] = {}
        self.error: dict | None = None

    def enter(self, stage: str) -> dict:
        self.stage = stage
        return self.status()

    def took(self, result: dict) -> dict:
        """Record the step's own measured time (the `ms` its activity returned); give the rest back."""
        result = dict(result)
        self.timings[self.stage] = int(result.pop("ms", 0))
        return result

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def fail(self, error: dict) -> dict:
        self.error = error
        return self.enter("failed")

    def status(self) -> dict:
        label, progress = catalog.STEP_BY_VALUE[self.stage]
        status = {
            "stage": self.stage,
            "stageLabel": label,
            "progress": progress,
            "references": self.references,
            "draft": self.draft,
            "awaitingApproval": self.stage == "review",
            "warnings": list(self.warnings),
        }
        if self.error:
            status["error"] = self.error
        return status


def approved_prompt(event_data, draft: dict) -> tuple[str, str | None]:
    """The prompt to use after the artist answered the review, and a warning when the answer was
    unusable (empty or not text): then the draft stands."""
    if isinstance(event_data, str):
        try:
            event_data = json.loads(event_data)
        except ValueError:
            event_data = {"prompt": event_data}
    prompt = event_data.get("prompt") if isinstance(event_data, dict) else None
    if not isinstance(prompt, str) or not prompt.strip():
        return draft["prompt"], WARNING_EMPTY_APPROVAL
    return prompt.strip()[:MAX_PROMPT_CHARS], None


def cancelled_output(instance_id: str, run: Run) -> dict:
    """Output of a generation cancelled because the review was not answered in time."""
    return {"instanceId": instance_id, "cancelled": True, "draft": run.draft, "references": run.references,
            "timings": run.timings, "warnings": list(run.warnings)}


class GenerationFailed(Exception):
    """Ends the orchestration as Failed; its text (the Korean message) becomes the output."""


def paging(params: Mapping[str, str]) -> tuple[int, int]:
    """page and pageSize of GET /api/generations (1-based; pageSize at most 100)."""
    from shared.db.history import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

    values = {}
    for name, default, low, high in (("page", 1, 1, 100_000), ("pageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)):
        raw = params.get(name)
        if raw in (None, ""):
            values[name] = default
            continue
        try:
            value = int(raw)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise _invalid(name, f"{name} 값은 {low}에서 {high} 사이의 정수여야 합니다.")
        values[name] = value
    return values["page"], values["pageSize"]


# --- Known errors across the activity boundary --------------------------------------------------
# A failed activity reaches the orchestration as an exception holding the activity's message (the
# host adds its own words and the stack). The message carries the AppError between two markers.

_MARK = "\u241eAPPERROR\u241e"


class StepFailed(Exception):
    """Raised by an activity for a known error: its text carries the AppError's code and message."""

    def __init__(self, error: AppError):
        self.error = {"code": error.code, "message": error.message}
        super().__init__(f"{_MARK}{json.dumps(self.error, ensure_ascii=False)}{_MARK}")


def error_from_failure(exc: BaseException) -> dict:
    """{"code", "message"} of a failed activity: the known error it carried, or the generic one."""
    from shared.core.errors import INTERNAL_ERROR_MESSAGE

    text = str(exc)
    parts = text.split(_MARK)
    if len(parts) >= 3:
        try:
            error = json.loads(parts[1])
            if isinstance(error, dict) and error.get("code") and error.get("message"):
                return {"code": error["code"], "message": error["message"]}
        except ValueError:
            pass
    return {"code": "internal_error", "message": INTERNAL_ERROR_MESSAGE}


def run_step(step: Callable[..., dict], payload: dict) -> dict:
    """Run one step for its activity: time it and turn known errors into StepFailed."""
    started = time.perf_counter()
    try:
        result = step(**payload)
    except AppError as exc:
        log.warning("step %s failed: %s (%s)", step.__name__, exc.code, exc.message)
        raise StepFailed(exc) from exc
    result = dict(result)
    result["ms"] = round((time.perf_counter() - started) * 1000)
    return result


# --- The steps ----------------------------------------------------------------------------------

def query_text(request: dict) -> str:
    return " ".join(part for part in (request["keywords"], request.get("description") or "") if part)


def _upload_bytes(request: dict) -> bytes | None:
    if not request.get("upload_id"):
        return None
    from shared.images import uploads as imaging

    return imaging.load_upload(request["upload_id"])


def embed_query(request: dict) -> dict:
    """KoCLIP embeddings of the request's text and (when given) the artist's photo, as lists of floats
    (rounded: they travel through the orchestration history)."""
    from shared.references import embedding

    text = embedding.embed_texts([query_text(request)])[0]
    result = {"text": [round(float(x), 6) for x in text], "image": None}
    photo = _upload_bytes(request)
    if photo is not None:
        image = embedding.embed_images([photo])[0]
        result["image"] = [round(float(x), 6) for x in image]
    return result


def search_references(request: dict, embeddings: dict | None) -> dict:
    """The references closest to the request within its category and stage."""
    from shared import references

    embeddings = embeddings or {}
    found = references.search(
        text=query_text(request),
        text_embedding=embeddings.get("text"),
        image_embedding=embeddings.get("image"),
        category=request["category"],
        stage=request["stage"],
        k=REFERENCE_COUNT,
    )
    return {"references": [references.as_json(r) for r in found]}


def _reference_model(ref: dict) -> Reference:
    name = ref["blob"].partition("/")[2]
    return Reference(id=ref["id"], category=ref["category"], stage=ref["stage"], caption=ref["caption"],
                     tags=list(ref.get("tags") or []), blob_name=name, score=ref.get("score", 0.0))


def _reference_images(references: list[dict]) -> list[bytes]:
    from shared.storage import blobs as storage

    images = []
    for ref in references:
        container, _, name = ref["blob"].partition("/")
        try:
            images.append(storage.download(container, name))
        except Exception:  # a missing reference image only weakens the prompt
            log.warning("reference image %s could not be read", ref["blob"])
    return images


def write_prompt(request: dict, references: list[dict]) -> dict:
    """The English prompt, Korean title and things to avoid, from the prompt-writing provider; the
    artist's photo first, then the reference images."""
    from shared.providers.registry import prompt_writer

    photo = _upload_bytes(request)
    images = ([photo] if photo else []) + _reference_images(references)
    draft = prompt_writer().write(GenerationRequest.from_dict(request),
                                  [_reference_model(r) for r in references], images)
    return {"draft": {"prompt": draft.prompt, "title": draft.title, "avoid": list(draft.avoid)}}


def ready_prompt_draft(request: dict) -> dict:
    """The draft for a request that brought its own prompt (no prompt writing)."""
    return {"prompt": request["prompt"], "title": request["keywords"][:40], "avoid": []}


def output_blob(instance_id: str, index: int, extension: str) -> str:
    """Name inside the outputs container: <instanceId>/<index>.<ext>."""
    return f"{instance_id}/{index}.{extension}"


def generate_image(instance_id: str, request: dict, prompt: str, references: list[dict]) -> dict:
    """Generate the variations and store each as outputs/<instanceId>/<n>.png. When a previous run of
    this activity already stored them all, they are reused (no second call to a paid model)."""
    from shared.providers.registry import image_generator
    from shared.storage import blobs as storage

    aspect = catalog.aspect(request["aspect"])
    count = int(request["variations"])
    names = [output_blob(instance_id, n, "png") for n in range(1, count + 1)]
    if not all(storage.exists(storage.OUTPUTS, name) for name in names):
        source = _upload_bytes(request)
        if source is None and references:
            best = _reference_images(references[:1])
            source = best[0] if best else None
        pngs = image_generator().generate(prompt, aspect, count, stage=request["stage"], source_image=source)
        if len(pngs) < count:
            raise AppError("이미지가 요청한 장수만큼 만들어지지 않았습니다. 다시 시도해 주세요.",
                           code="upstream_error", status=502)
        for name, png in zip(names, pngs, strict=False):
            storage.upload(storage.OUTPUTS, name, png, "image/png")
    return {
        "images": [
            {"index": n, "png": f"{storage.OUTPUTS}/{name}", "width": aspect.width, "height": aspect.height}
            for n, name in enumerate(names, start=1)
        ]
    }


def make_layers(instance_id: str, image: dict) -> dict:
    """The layered PSD and the thumbnail of one generated image (outputs/<id>/<n>.psd, <n>-thumb.webp)."""
    from shared.images import layers, psd
    from shared.images import uploads as imaging
    from shared.storage import blobs as storage

    index = image["index"]
    container, _, name = image["png"].partition("/")
    png = storage.download(container, name)
    derived = layers.derive_layers(png)
    psd_name = output_blob(instance_id, index, "psd")
    storage.upload(storage.OUTPUTS, psd_name, psd.write_layered_psd(derived), psd.PSD_CONTENT_TYPE)
    thumb, thumb_type = imaging.thumbnail(png)
    thumb_name = f"{instance_id}/{index}-thumb.{thumb_type.rpartition('/')[2]}"
    storage.upload(storage.OUTPUTS, thumb_name, thumb, thumb_type)
    return {
        "image": {**image, "psd": f"{storage.OUTPUTS}/{psd_name}", "thumbnail": f"{storage.OUTPUTS}/{thumb_name}"},
        "layers": [label for _, label, _ in layers.LAYERS],  # bottom to top, as in the PSD
    }


def asset(blob: str, *, download_name: str | None = None) -> dict:
    """Asset = {blob, url (fresh read-only SAS), assetUrl (permanent link through /api/assets)}."""
    from shared.storage import assets
    from shared.storage import blobs as storage

    container, _, name = blob.partition("/")
    return {
        "blob": blob,
        "url": storage.read_url(container, name, download_name=download_name),
        "assetUrl": assets.link(blob),
    }


def store_outputs(instance_id: str, request: dict, draft: dict, prompt: str, references: list[dict],
                  images: list[dict], layers: list[str], timings: dict, warnings: list[str]) -> dict:
    """Record the generation in `generations` (once per instance) and build the orchestration's
    output with fresh read-only links."""
    from shared.db import history

    history.record(
        instance_id=instance_id, user_id=_owner(request),
        request=request, title=draft.get("title") or "", prompt=prompt,
        images=[{k: img[k] for k in ("index", "png", "psd", "thumbnail", "width", "height")} for img in images],
        reference_ids=[r["id"] for r in references], timings=timings, warnings=warnings,
    )
    return {"output": build_output(instance_id, draft, prompt, references, images, layers, timings, warnings)}


def _owner(request: dict) -> str:
    return request.get("user_id") or get_settings().local_user_id


def record_outcome(instance_id: str, request: dict, status: str, error: dict, draft: dict | None,
                   prompt: str | None, references: list[dict], timings: dict, warnings: list[str]) -> dict:
    """Record a generation that ended without images in `generations` (once per instance): status
    "failed" or "cancelled" with the Korean error the artist saw, so the history shows it and why."""
    from shared.db import history

    draft = draft or {}
    recorded = history.record(
        instance_id=instance_id, user_id=_owner(request),
        request=request, title=draft.get("title") or "", prompt=prompt or draft.get("prompt") or "",
        images=[], reference_ids=[r["id"] for r in references], timings=timings, warnings=warnings,
        status=status, error={"code": error["code"], "message": error["message"]},
    )
    return {"recorded": recorded}


def cancelled_error() -> dict:
    return {"code": "cancelled", "message": MESSAGE_REVIEW_CANCELLED}


def build_output(instance_id: str, draft: dict, prompt: str, references: list[dict], images: list[dict],
                 layers: list[str], timings: dict, warnings: list[str]) -> dict:
    return {
        "instanceId": instance_id,
        "title": draft.get("title") or "",
        "prompt": prompt,
        "avoid": list(draft.get("avoid") or []),
        "references": references,
        "images": [
            {
                "index": img["index"],
                "width": img["width"],
                "height": img["height"],
                "png": asset(img["png"]),
                "psd": asset(img["psd"], download_name=f"{instance_id}-{img['index']}.psd"),
                "thumbnail": asset(img["thumbnail"]),
            }
            for img in images
        ],
        "layers": layers,
        "timings": timings,
        "warnings": warnings,
    }


def history_json(page) -> dict:
    """GET /api/generations: the page with permanent asset links (no SAS: the list may stay open)."""
    from shared.storage import assets

    body = page.to_json()
    for item in body["items"]:
        item["images"] = [
            {"index": img["index"], **{kind: {"assetUrl": assets.link(img[kind])}
                                      for kind in ("thumbnail", "png", "psd") if img.get(kind)}}
            for img in item["images"]
        ]
    return body


STEP_FUNCTIONS: dict[str, Callable[..., dict]] = {
    "embed_query": embed_query,
    "search_references": search_references,
    "write_prompt": write_prompt,
    "generate_image": generate_image,
    "make_layers": make_layers,
    "store_outputs": store_outputs,
    "record_outcome": record_outcome,
}

__all__ = [
    "APPROVAL_EVENT", "ORCHESTRATION", "PromptDraft", "Run", "StepFailed", "approved_prompt", "caller_id",
    "error_from_failure", "orchestration_input", "run_step", "validate_request",
]
