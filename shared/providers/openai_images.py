"""The "azure_openai" / "openai" image generators: the gpt-image family (base64, 1024x1024 / 1024x1536 /
1536x1024, quality low/medium/high, n = variations) or dall-e-3's parameter shape
(IMAGE_MODEL_FAMILY=dall-e-3: 1024x1792 / 1792x1024, quality standard/hd, style, n=1 per call), behind
our retry policy; results are cover-fitted to the aspect's exact size.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable

from shared.core.catalog import STAGE_BY_VALUE, Aspect
from shared.core.config import Settings
from shared.core.errors import UpstreamError
from shared.core.retry import RetryPolicy
from shared.images import codec
from shared.providers.openai_client import make_client, model_names

NO_IMAGE_MESSAGE = "이미지 생성 모델이 이미지를 돌려주지 않았습니다. 잠시 후 다시 시도해 주세요."

GPT_IMAGE_QUALITY = {"low": "low", "medium": "medium", "high": "high", "auto": "auto",
                     "standard": "medium", "hd": "high"}
DALLE3_QUALITY = {"low": "standard", "medium": "standard", "standard": "standard", "auto": "standard",
                  "high": "hd", "hd": "hd"}
DALLE3_MAX_PROMPT = 4000


def gpt_image_request(prompt: str, aspect: Aspect, n: int, quality: str) -> dict:
    return {"prompt": prompt, "size": f"{aspect.width}x{aspect.height}",
            "quality": GPT_IMAGE_QUALITY.get(quality, "medium"), "n": n}


def _dalle3_style(stage_value: str) -> str:
    stage = STAGE_BY_VALUE.get(stage_value)
    return stage.dalle3_style if stage else "natural"


def dalle3_request(prompt: str, aspect: Aspect, quality: str, stage: str) -> dict:
    return {"prompt": prompt[:DALLE3_MAX_PROMPT], "size": aspect.dalle3_size,
            "quality": DALLE3_QUALITY.get(quality, "standard"),
            "style": _dalle3_style(stage),
            "n": 1, "response_format": "b64_json"}


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
    """gpt-image family (default) or dall-e-3's shape, behind our retry policy."""

    def __init__(self, settings: Settings, flavour: str, *, client=None,
                 sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.flavour = flavour
        self.client = client or make_client(settings, flavour)
        self.model = model_names(settings, flavour)[1]
        self.family = settings.image_model_family
        self.policy = RetryPolicy(max_retries=settings.provider_max_retries, sleep=sleep)

    def _call(self, params: dict) -> list[bytes]:
        def call():
            return self.client.images.generate(model=self.model, **params)

        return decoded_images(self.policy.call(call, what=f"{self.flavour} images {self.model}"))

    def generate(self, prompt: str, aspect: Aspect, variations: int, *, stage: str,
                 source_image: bytes | None) -> list[bytes]:
        wanted = max(1, variations)
        images: list[bytes] = []
        quality = self.settings.image_quality
        while len(images) < wanted:
            if self.family == "dall-e-3":
                params = dalle3_request(prompt, aspect, quality, stage)
            else:
                params = gpt_image_request(prompt, aspect, wanted - len(images), quality)
            got = self._call(params)
            if not got:
                raise UpstreamError(NO_IMAGE_MESSAGE, code="invalid_model_output")
            images.extend(got)
        return [codec.fit_png(data, aspect.width, aspect.height) for data in images[:wanted]]
