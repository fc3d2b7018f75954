"""The "azure_openai" / "openai" image generators, behind our retry policy, for the families of
shared.core.catalog.IMAGE_MODEL_FAMILIES (IMAGE_MODEL_FAMILY):

- gpt-image (gpt-image-1, -1-mini, -1.5) and gpt-image-2: base64 images, n = variations. With input
  images the request is an images *edit* (multipart, several `image[]` parts): the artist's photo first
  (composition), then the chapter's style source (its look), then the first IMAGE_REFERENCE_COUNT
  references of the search (style and Korean details), the prompt saying what each image is for.
  Without any, a plain generation.
- dall-e-3: text only (n=1 per call, quality standard/hd, style); a photo or style source it cannot
  use is named in the result's Korean warnings.

The size asked of the model comes from the family's table; results are cover-fitted to the aspect's
exact size.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shared.core import catalog
from shared.core.catalog import Aspect
from shared.core.config import Settings
from shared.core.errors import UpstreamError, ValidationError
from shared.core.retry import RetryPolicy
from shared.images import codec
from shared.providers.interfaces import GeneratedImages
from shared.providers.openai_client import make_client, model_names

NO_IMAGE_MESSAGE = "이미지 생성 모델이 이미지를 돌려주지 않았습니다. 잠시 후 다시 시도해 주세요."
UNSUPPORTED_ASPECT_MESSAGE = "설정된 이미지 모델은 '{label}' 크기를 만들 수 없습니다. 가능한 크기: {allowed}"
WARNING_PHOTO_NOT_USED = ("설정된 이미지 모델(dall-e-3)은 이미지를 입력으로 받지 못해 참고 사진 없이 "
                          "글로만 생성했습니다.")
WARNING_STYLE_NOT_USED = ("설정된 이미지 모델(dall-e-3)은 이미지를 입력으로 받지 못해 스타일 기준 이미지 "
                          "없이 생성했습니다.")

GPT_IMAGE_QUALITY = {"low": "low", "medium": "medium", "high": "high", "auto": "auto",
                     "standard": "medium", "hd": "high"}
DALLE3_QUALITY = {"low": "standard", "medium": "standard", "standard": "standard", "auto": "standard",
                  "high": "hd", "hd": "hd"}
DALLE3_MAX_PROMPT = 4000
MAX_INPUT_SIDE = 1536  # input images are sent at most this large (the model sees no more detail)
MAX_INPUT_BYTES = 4 * 1024 * 1024  # ... and re-encoded when their file is bigger than this

ROLE_TEXT = {
    "photo": "the artist's own photo of the place: keep its composition, layout, viewpoint and perspective",
    "style": "the chapter's style source: match its palette, line work, lighting and rendering exactly",
    "reference": ("a reference background from a curated Korean webtoon library: borrow its drawing style "
                  "and its culturally authentic Korean details, not its exact content"),
}


@dataclass(frozen=True)
class InputImage:
    role: str  # "photo" | "style" | "reference"
    data: bytes  # PNG, JPEG or WEBP


def family_size(family: catalog.ImageModelFamily, aspect: Aspect) -> str:
    """The size to ask the model for; a Korean ValidationError when the family cannot make the aspect."""
    size = family.sizes.get(aspect.value)
    if size is None:
        allowed = ", ".join(a.label for a in catalog.aspects_for(family.value))
        raise ValidationError(UNSUPPORTED_ASPECT_MESSAGE.format(label=aspect.label, allowed=allowed),
                              code="unsupported_aspect", details={"field": "aspect"})
    return size


def gpt_image_request(prompt: str, size: str, n: int, quality: str) -> dict:
    return {"prompt": prompt, "size": size, "quality": GPT_IMAGE_QUALITY.get(quality, "medium"), "n": n}


def _dalle3_style(stage_value: str) -> str:
    stage = catalog.STAGE_BY_VALUE.get(stage_value)
    return stage.dalle3_style if stage else "natural"


def dalle3_request(prompt: str, size: str, quality: str, stage: str) -> dict:
    return {"prompt": prompt[:DALLE3_MAX_PROMPT], "size": size,
            "quality": DALLE3_QUALITY.get(quality, "standard"),
            "style": _dalle3_style(stage),
            "n": 1, "response_format": "b64_json"}


def input_image(role: str, data: bytes) -> InputImage:
    """An input as sent: as is when it is a PNG/JPEG/WEBP file of at most MAX_INPUT_BYTES (a PNG also at
    most MAX_INPUT_SIDE px), else re-encoded as a PNG of at most MAX_INPUT_SIDE px."""
    if codec.sniff_format(data) in ("PNG", "JPEG", "WEBP") and len(data) <= MAX_INPUT_BYTES:
        size = codec.png_size(data)
        if size is None or max(size) <= MAX_INPUT_SIDE:
            return InputImage(role, data)
    picture = codec.fit_within(codec.open_rgb(data, max_side=MAX_INPUT_SIDE), MAX_INPUT_SIDE)
    return InputImage(role, codec.encode_png(picture))


def edit_inputs(photo: bytes | None, style_image: bytes | None, references: Sequence[bytes],
                reference_count: int, limit: int) -> list[InputImage]:
    """The images of an edit, in order: photo, style source, then the best references."""
    chosen = [("photo", photo), ("style", style_image)] + [("reference", r) for r in references[:reference_count]]
    return [input_image(role, data) for role, data in chosen if data][:limit]


def edit_prompt(prompt: str, inputs: Sequence[InputImage]) -> str:
    """The prompt with a line per input image saying what it is for."""
    lines = [f"Image {number}: {ROLE_TEXT[image.role]}." for number, image in enumerate(inputs, start=1)]
    return "The input images:\n" + "\n".join(lines) + "\n\nDraw: " + prompt


def decoded_images(response) -> list[bytes]:
    """The images of an images API answer; UpstreamError(invalid_model_output) for one without bytes."""
    out = []
    for item in response.data or []:
        if not item.b64_json:
            raise UpstreamError(NO_IMAGE_MESSAGE, code="invalid_model_output")
        try:
            out.append(base64.b64decode(item.b64_json, validate=True))
        except ValueError as exc:
            raise UpstreamError(NO_IMAGE_MESSAGE, code="invalid_model_output") from exc
    return out


class OpenAIImageGenerator:
    """gpt-image families (generation, or an edit with input images) or dall-e-3's text-only shape."""

    def __init__(self, settings: Settings, flavour: str, *, client=None,
                 sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.flavour = flavour
        self.client = client or make_client(settings, flavour)
        self.model = model_names(settings, flavour)[1]
        self.family = catalog.image_model_family(settings.image_model_family)
        self.policy = RetryPolicy(max_retries=settings.provider_max_retries, sleep=sleep)

    def _call(self, params: dict, inputs: Sequence[InputImage]) -> list[bytes]:
        files = [(f"image-{n}-{image.role}.{codec.sniff_format(image.data).lower()}", image.data,
                  codec.sniff_mime(image.data)) for n, image in enumerate(inputs, start=1)]

        def call():
            if files:
                return self.client.images.edit(model=self.model, image=files, **params)
            return self.client.images.generate(model=self.model, **params)

        operation = "edits" if files else "images"
        return decoded_images(self.policy.call(call, what=f"{self.flavour} {operation} {self.model}"))

    def _request(self, prompt: str, size: str, n: int, stage: str) -> dict:
        quality = self.settings.image_quality
        if self.family.value == "dall-e-3":
            return dalle3_request(prompt, size, quality, stage)
        return gpt_image_request(prompt, size, n, quality)

    def generate(self, prompt: str, aspect: Aspect, variations: int, *, stage: str,
                 photo: bytes | None = None, references: Sequence[bytes] = (),
                 style_image: bytes | None = None) -> GeneratedImages:
        size = family_size(self.family, aspect)
        inputs = edit_inputs(photo, style_image, references, self.settings.image_reference_count,
                             self.family.max_input_images)
        warnings = []
        if not self.family.max_input_images:
            warnings = [w for given, w in ((photo, WARNING_PHOTO_NOT_USED), (style_image, WARNING_STYLE_NOT_USED))
                        if given]
        if inputs:
            prompt = edit_prompt(prompt, inputs)
        wanted = max(1, variations)
        images: list[bytes] = []
        while len(images) < wanted:
            got = self._call(self._request(prompt, size, min(wanted - len(images), self.family.max_per_call),
                                           stage), inputs)
            if not got:
                raise UpstreamError(NO_IMAGE_MESSAGE, code="invalid_model_output")
            images.extend(got)
        return GeneratedImages([codec.fit_png(data, aspect.width, aspect.height) for data in images[:wanted]],
                               warnings)
