"""Interfaces of the external capabilities and the one place that picks an implementation.

Business code asks `prompt_writer()` / `image_generator()` for an object and calls it; it never
branches on which provider is behind it. Implementations register by name, built-in and added alike.
One object per (provider, settings) per process: a remote provider holds an SDK client with its
connection pool and token cache, which every call reuses.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from shared.core.catalog import Aspect
from shared.core.config import Settings, get_settings
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


_PROMPT_WRITERS: dict[str, Callable[[Settings], PromptWriter]] = {}
_IMAGE_GENERATORS: dict[str, Callable[[Settings], ImageGenerator]] = {}
_REGISTRIES = {"prompt_writer": _PROMPT_WRITERS, "image_generator": _IMAGE_GENERATORS}
_built: dict[tuple[str, str, Settings], object] = {}  # (capability, provider name, settings) -> object
_built_lock = threading.Lock()


def register_prompt_writer(name: str, factory: Callable[[Settings], PromptWriter]) -> None:
    _register("prompt_writer", name, factory)


def register_image_generator(name: str, factory: Callable[[Settings], ImageGenerator]) -> None:
    _register("image_generator", name, factory)


def _register(capability: str, name: str, factory: Callable) -> None:
    with _built_lock:
        _REGISTRIES[capability][name] = factory
        for key in [k for k in _built if k[:2] == (capability, name)]:
            del _built[key]  # built by the factory this one replaces


def _build(capability: str, name: str, settings: Settings):
    key = (capability, name, settings)
    with _built_lock:
        found = _built.get(key)
        if found is None:
            found = _built[key] = _REGISTRIES[capability][name](settings)
        return found


def _load_builtins() -> None:
    # Imported here, not at module load: each pulls in its SDK only when chosen.
    from shared.providers import imagegen, prompting  # noqa: F401  (they register themselves)


def prompt_writer(settings: Settings | None = None) -> PromptWriter:
    settings = settings or get_settings()
    _load_builtins()
    return _build("prompt_writer", settings.prompt_provider, settings)


def image_generator(settings: Settings | None = None) -> ImageGenerator:
    settings = settings or get_settings()
    _load_builtins()
    return _build("image_generator", settings.image_provider, settings)
