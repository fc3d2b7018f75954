"""What business code may ask of the external capabilities: the prompt writer and the image generator.
Implementations live one per module in this package; shared.providers.registry picks one by name."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from shared.core.catalog import Aspect
from shared.core.models import GenerationRequest, PromptDraft, Reference


class PromptWriter(Protocol):
    def write(self, request: GenerationRequest, references: list[Reference],
              images: list[bytes]) -> PromptDraft:
        """English image prompt from the artist's request; `images` are PNG/JPEG bytes: the artist's
        photo first (when given), then the reference images."""


class GeneratedImages(list):
    """The PNG images a generator made (a list of bytes) and the Korean warnings that go with them
    (an input the model could not use, ...), for the generation's `warnings`."""

    def __init__(self, images: Iterable[bytes] = (), warnings: Iterable[str] = ()):
        super().__init__(images)
        self.warnings: list[str] = list(warnings)


class ImageGenerator(Protocol):
    def generate(self, prompt: str, aspect: Aspect, variations: int, *, stage: str,
                 photo: bytes | None = None, references: Sequence[bytes] = (),
                 style_image: bytes | None = None) -> GeneratedImages:
        """`variations` PNG images of the aspect's exact size.

        - `photo`: the artist's photo; the composition is taken from it.
        - `references`: the reference images the search chose, best first; their style, palette and
          Korean details are borrowed (a remote model sees the first IMAGE_REFERENCE_COUNT of them).
        - `style_image`: the chapter's style source (style lock); its palette and look win.
        A model that cannot take images makes them from the prompt alone and says so in `warnings`."""
