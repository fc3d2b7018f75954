"""What business code may ask of the external capabilities: the prompt writer and the image generator.
Implementations live one per module in this package; shared.providers.registry picks one by name."""

from __future__ import annotations

from typing import Protocol

from shared.core.catalog import Aspect
from shared.core.models import GenerationRequest, PromptDraft, Reference


class PromptWriter(Protocol):
    def write(self, request: GenerationRequest, references: list[Reference],
              images: list[bytes]) -> PromptDraft:
        """English image prompt from the artist's request; `images` are PNG/JPEG bytes: the artist's
        photo first (when given), then the reference images."""


class ImageGenerator(Protocol):
    def generate(self, prompt: str, aspect: Aspect, variations: int, *, stage: str,
                 source_image: bytes | None) -> list[bytes]:
        """`variations` PNG images of the aspect's size. `source_image` is what a local renderer may
        draw from (the artist's photo or the best reference); remote models ignore it."""
