"""What the orchestration generate_background carries: its input, the job it hands each activity and
its own bookkeeping (customStatus and timings). Pure: no I/O, deterministic on replay.

Every job is a small frozen dataclass with to_dict/from_dict: the dict is what crosses the activity
boundary (plain JSON, keys in field order, so a replay schedules byte-identical inputs), the dataclass
is what the step reads. Blobs travel as "container/name" (shared.storage.blobs.BlobRef written out).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields

from shared.core import catalog
from shared.core.config import Settings, get_settings
from shared.core.models import GenerationRequest
from shared.generation.request import MAX_PROMPT_CHARS
from shared.storage.blobs import BlobRef

ORCHESTRATION = "generate_background"
LAYERS_ORCHESTRATION = "layer_image"  # layers from the artist's own image (shared.generation.own_image)
ARTIST_ORCHESTRATIONS = (ORCHESTRATION, LAYERS_ORCHESTRATION)  # what the /api/generations/{id} routes show
APPROVAL_EVENT = "prompt_approved"

WARNING_NO_REFERENCES = "참고 이미지를 찾지 못해 참고 이미지 없이 생성했습니다."
WARNING_EMBEDDING_FAILED = "요청 분석(임베딩)에 실패해 참고 이미지를 글자 일치로만 찾았습니다."
WARNING_REFERENCES_FAILED = "참고 이미지 검색에 실패해 참고 이미지 없이 생성했습니다."
WARNING_REVIEW_TIMEOUT = "프롬프트 확인 시간이 지나 초안 프롬프트로 생성했습니다."
WARNING_EMPTY_APPROVAL = "확인된 프롬프트가 비어 있어 초안 프롬프트로 생성했습니다."
MESSAGE_REVIEW_CANCELLED = "프롬프트 확인 시간이 지나 생성을 취소했습니다."


@dataclass(frozen=True)
class StoredImage:
    """One generated image and, once make_layers ran, its PSD and thumbnail."""

    index: int
    png: BlobRef
    width: int
    height: int
    psd: BlobRef | None = None
    thumbnail: BlobRef | None = None

    def to_dict(self) -> dict:
        data = {"index": self.index, "png": str(self.png), "width": self.width, "height": self.height}
        for kind in ("psd", "thumbnail"):
            if getattr(self, kind) is not None:
                data[kind] = str(getattr(self, kind))
        return data

    @classmethod
    def from_dict(cls, data: dict) -> StoredImage:
        refs = {kind: BlobRef.parse(data[kind]) for kind in ("psd", "thumbnail") if data.get(kind)}
        return cls(index=int(data["index"]), png=BlobRef.parse(data["png"]), width=int(data["width"]),
                   height=int(data["height"]), **refs)


# How a job's typed fields are written to JSON and read back; any other field is JSON already.
_CODECS = {
    "request": (GenerationRequest.to_dict, GenerationRequest.from_dict),
    "image": (StoredImage.to_dict, StoredImage.from_dict),
    "images": (lambda items: [i.to_dict() for i in items], lambda items: [StoredImage.from_dict(i) for i in items]),
}


class _Job:
    def to_dict(self) -> dict:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = _CODECS[f.name][0](value) if f.name in _CODECS and value is not None else value
        return out

    @classmethod
    def from_dict(cls, data: dict):
        values = {}
        for f in fields(cls):
            if f.name in data:
                value = data[f.name]
                values[f.name] = _CODECS[f.name][1](value) if f.name in _CODECS and value is not None else value
        return cls(**values)


@dataclass(frozen=True)
class EmbedQuery(_Job):
    request: GenerationRequest


@dataclass(frozen=True)
class SearchReferences(_Job):
    request: GenerationRequest
    embeddings: dict | None = None  # {"text": [...], "image": [...] | None} from embed_query


@dataclass(frozen=True)
class WritePrompt(_Job):
    request: GenerationRequest
    references: list = field(default_factory=list)  # Reference JSON (shared.references.as_json)


@dataclass(frozen=True)
class GenerateImage(_Job):
    instance_id: str
    request: GenerationRequest
    prompt: str
    references: list = field(default_factory=list)


@dataclass(frozen=True)
class MakeLayers(_Job):
    instance_id: str
    image: StoredImage
    stage: str | None = None  # the art stage decides the stack (스케치: line art only)
    line_weight: str = catalog.DEFAULT_LAYER_OPTION
    detail: str = catalog.DEFAULT_LAYER_OPTION


@dataclass(frozen=True)
class StoreOutputs(_Job):
    instance_id: str
    request: GenerationRequest
    draft: dict  # {"prompt", "title", "avoid"}
    prompt: str
    references: list
    images: list  # StoredImage, with psd and thumbnail
    layers: list  # PSD layer names, bottom to top
    timings: dict
    warnings: list


@dataclass(frozen=True)
class RecordOutcome(_Job):
    instance_id: str
    request: GenerationRequest
    status: str  # "failed" | "cancelled"
    error: dict  # {"code", "message"}
    draft: dict | None
    prompt: str | None
    references: list
    timings: dict
    warnings: list


@dataclass(frozen=True)
class Review:
    enabled: bool
    timeout_seconds: int
    timeout_outcome: str  # "use_draft" | "cancel"

    def to_dict(self) -> dict:
        return {"enabled": self.enabled, "timeoutSeconds": self.timeout_seconds,
                "timeoutOutcome": self.timeout_outcome}

    @classmethod
    def from_dict(cls, data: dict) -> Review:
        return cls(bool(data["enabled"]), int(data["timeoutSeconds"]), data["timeoutOutcome"])


@dataclass(frozen=True)
class GenerationJob:
    """The orchestration's input: the request and the review settings of the moment it started."""

    request: GenerationRequest
    review: Review

    def to_dict(self) -> dict:
        return {"request": self.request.to_dict(), "review": self.review.to_dict()}

    @classmethod
    def from_dict(cls, data: dict) -> GenerationJob:
        return cls(GenerationRequest.from_dict(data["request"]), Review.from_dict(data["review"]))


def orchestration_input(request: GenerationRequest, settings: Settings | None = None) -> dict:
    """What the starter hands the orchestration (GenerationJob as JSON): the request plus the review
    settings of this moment, so a replay never reads settings that may have changed."""
    settings = settings or get_settings()
    review = Review(enabled=request.review and not request.prompt,
                    timeout_seconds=settings.review_timeout_seconds,
                    timeout_outcome=settings.review_timeout_outcome)
    return GenerationJob(request, review).to_dict()


class Run:
    """The orchestration's view of itself: customStatus (stage, label, progress, references, draft,
    awaitingApproval, warnings, error) and per-stage timings in milliseconds."""

    def __init__(self) -> None:
        self.stage = "queued"
        self.references: list[dict] = []
        self.draft: dict | None = None
        self.prompt: str | None = None  # the prompt the images are (to be) made from
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

    def outcome(self, instance_id: str, request: GenerationRequest, status: str, error: dict,
                prompt: str | None) -> RecordOutcome:
        """The record_outcome job of a generation that ends here without images."""
        return RecordOutcome(instance_id=instance_id, request=request, status=status, error=error,
                             draft=self.draft, prompt=prompt, references=list(self.references),
                             timings=dict(self.timings), warnings=list(self.warnings))


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


def ready_prompt_draft(request: GenerationRequest) -> dict:
    """The draft for a request that brought its own prompt (no prompt writing)."""
    return {"prompt": request.prompt, "title": request.keywords[:40], "avoid": []}


def cancelled_error() -> dict:
    return {"code": "cancelled", "message": MESSAGE_REVIEW_CANCELLED}


class GenerationFailed(Exception):
    """Ends the orchestration as Failed; its text (the Korean message) becomes the output."""
