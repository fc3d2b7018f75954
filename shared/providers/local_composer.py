"""The "local" prompt writer: a deterministic composer of the English image prompt from the artist's
Korean request (glossary ko→en, category, the stage's style guide, reference captions). Same input,
same output; no network. The avoid list and scene rules here are shared with the chat prompt writer.
"""

from __future__ import annotations

import re

from shared.core import catalog
from shared.core.config import Settings
from shared.core.models import GenerationRequest, PromptDraft, Reference
from shared.providers import glossary
from shared.providers.cues import CueFilter

# Always part of the "avoid" list: what a webtoon background must never contain.
BASE_AVOID: tuple[str, ...] = (
    "main characters or people in focus",
    "text, letters, speech bubbles, watermarks or signatures",
    "non-Korean architecture or foreign signage",
    "cluttered foreground objects competing with the scene",
)

SCENE_RULES = (
    "culturally authentic Korean details, "
    "supporting objects kept simple so they do not compete with the scene, "
    "an empty background with no main characters and no people in focus, no text or watermarks"
)

MAX_REFERENCE_CAPTIONS = 3


def dedupe(items) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item and item not in seen:
            seen.add(item)
            out.append(item)
    return out


def _keyword_list(keywords: str) -> list[str]:
    return [k.strip() for k in re.split(r"[,，、/#\n]+", keywords or "") if k.strip()]


def _reference_phrase(ref: Reference, cues: CueFilter) -> str:
    """A reference's caption in English: glossary terms from a Korean caption (and its tags) without
    those whose time of day, season or weather contradicts the request's (cues), or the caption
    itself when it is already English."""
    caption = (ref.caption or "").strip()
    if caption and not glossary.has_hangul(caption):
        return caption[:160]
    pairs = glossary.find_terms(caption) + [pair for tag in (ref.tags or []) for pair in glossary.find_terms(tag)]
    return ", ".join(dedupe(english for korean, english in pairs if cues.admit(korean))[:6])


def korean_title(request: GenerationRequest) -> str:
    words = _keyword_list(request.keywords)[:3]
    stage = catalog.STAGE_BY_VALUE.get(request.stage)
    label = stage.label if stage else request.stage
    head = " · ".join(words) if words else "한국 배경"
    title = f"{head} 배경"
    if len(title) > 30:
        title = title[:29].rstrip() + "…"
    return f"{title} ({label})" if label else title


def avoid_list(stage_value: str) -> list[str]:
    stage = catalog.STAGE_BY_VALUE.get(stage_value)
    return list(BASE_AVOID) + list(stage.avoid if stage else ())


def compose_prompt(request: GenerationRequest, references: list[Reference]) -> PromptDraft:
    category = catalog.CATEGORY_BY_VALUE.get(request.category)
    stage = catalog.STAGE_BY_VALUE.get(request.stage)
    subject = glossary.translate_terms(request.keywords)
    details = [t for t in glossary.translate_terms(request.description) if t not in subject]
    parts = [f"Korean webtoon background of {', '.join(subject) if subject else 'a Korean scene'}"]
    if category:
        parts.append(f"theme: {category.english}")
    if details:
        parts.append("with " + ", ".join(details))
    cues = CueFilter(f"{request.keywords} {request.description}")  # the artist's words win
    cues.establish(korean for korean, _ in glossary.find_terms(f"{request.keywords} {request.description}"))
    captions = dedupe(_reference_phrase(r, cues) for r in references)[:MAX_REFERENCE_CAPTIONS]
    if captions:
        parts.append("in the drawing style of references showing " + "; ".join(captions))
    if stage:
        parts.append(f"art stage {stage.english}: {stage.style_guide}")
    parts.append(SCENE_RULES)
    return PromptDraft(
        prompt=". ".join(parts) + ".",
        title=korean_title(request),
        avoid=avoid_list(request.stage),
        provider="local",
    )


class LocalPromptWriter:
    """Deterministic offline composer."""

    name = "local"

    def __init__(self, settings: Settings | None = None):
        self.settings = settings

    def write(self, request: GenerationRequest, references: list[Reference],
              images: list[bytes]) -> PromptDraft:
        return compose_prompt(request, references)
