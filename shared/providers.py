"""Interfaces of the external capabilities and the one place that picks an implementation.

Business code asks `prompt_writer()` / `image_generator()` for an object and calls it; it never
branches on which provider is behind it. Implementations register by name, built-in and added alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from .catalog import Aspect
from .config import Settings, get_settings
from .models import GenerationRequest, PromptDraft, Reference


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


_PROMPT_WRITERS: dict[str, Callable[[Settings], PromptWriter]] = {}
_IMAGE_GENERATORS: dict[str, Callable[[Settings], ImageGenerator]] = {}


def register_prompt_writer(name: str, factory: Callable[[Settings], PromptWriter]) -> None:
    _PROMPT_WRITERS[name] = factory


def register_image_generator(name: str, factory: Callable[[Settings], ImageGenerator]) -> None:
    _IMAGE_GENERATORS[name] = factory


def _load_builtins() -> None:
    # Imported here, not at module load: each pulls in its SDK only when chosen.
    from . import imagegen, prompting  # noqa: F401  (they register themselves)


def prompt_writer(settings: Settings | None = None) -> PromptWriter:
    settings = settings or get_settings()
    _load_builtins()
    return _PROMPT_WRITERS[settings.prompt_provider](settings)


def image_generator(settings: Settings | None = None) -> ImageGenerator:
    settings = settings or get_settings()
    _load_builtins()
    return _IMAGE_GENERATORS[settings.image_provider](settings)
