"""The one place that picks an implementation of each capability (shared.providers.interfaces).

Business code asks `prompt_writer()` / `image_generator()` for an object and calls it; it never
branches on which provider is behind it. The built-in providers are the explicit list BUILT_INS; an
added one registers through `register_prompt_writer` / `register_image_generator` (a name already
taken is replaced). One object per (provider, settings) per process: a remote provider holds an SDK
client with its connection pool and token cache, which every call reuses.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from shared.core.config import Settings, get_settings
from shared.providers.interfaces import ImageGenerator, PromptWriter


@dataclass(frozen=True)
class BuiltIn:
    """A built-in provider: its class is imported only when chosen (each remote one pulls in its SDK)."""

    capability: str  # "prompt_writer" | "image_generator"
    name: str  # the value of PROMPT_PROVIDER / IMAGE_PROVIDER
    module: str
    cls: str
    flavour: str | None = None  # the openai SDK flavour a remote provider is built with

    def __call__(self, settings: Settings):
        implementation = getattr(import_module(self.module), self.cls)
        return implementation(settings, self.flavour) if self.flavour else implementation(settings)


BUILT_INS: tuple[BuiltIn, ...] = (
    BuiltIn("prompt_writer", "local", "shared.providers.local_composer", "LocalPromptWriter"),
    BuiltIn("prompt_writer", "azure_openai", "shared.providers.chat", "ChatPromptWriter", "azure_openai"),
    BuiltIn("prompt_writer", "openai", "shared.providers.chat", "ChatPromptWriter", "openai"),
    BuiltIn("image_generator", "local", "shared.providers.local_renderer", "LocalImageGenerator"),
    BuiltIn("image_generator", "azure_openai", "shared.providers.openai_images", "OpenAIImageGenerator",
            "azure_openai"),
    BuiltIn("image_generator", "openai", "shared.providers.openai_images", "OpenAIImageGenerator", "openai"),
)

_REGISTRIES: dict[str, dict[str, Callable[[Settings], object]]] = {"prompt_writer": {}, "image_generator": {}}
for _built_in in BUILT_INS:
    _REGISTRIES[_built_in.capability][_built_in.name] = _built_in
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


def prompt_writer(settings: Settings | None = None) -> PromptWriter:
    settings = settings or get_settings()
    return _build("prompt_writer", settings.prompt_provider, settings)


def image_generator(settings: Settings | None = None) -> ImageGenerator:
    settings = settings or get_settings()
    return _build("image_generator", settings.image_provider, settings)


def image_model_family(settings: Settings | None = None) -> str:
    """The catalog family (catalog.IMAGE_MODEL_FAMILIES) of the configured image generator: what sizes
    it can make and which inputs it takes. Added providers count as the offline renderer's family."""
    settings = settings or get_settings()
    built_in = any(b.capability == "image_generator" and b.name == settings.image_provider and b.flavour
                   for b in BUILT_INS)
    return settings.image_model_family if built_in else "local"
