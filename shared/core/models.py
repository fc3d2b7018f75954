"""Plain data types passed between the steps of a generation (JSON-friendly, so they cross activity
boundaries as dicts via `to_dict` / `from_dict`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


class _Json:
    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict):
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class GenerationRequest(_Json):
    category: str
    stage: str
    keywords: str
    description: str = ""
    upload_id: str | None = None
    aspect: str = "portrait"
    variations: int = 1
    review: bool = False
    prompt: str | None = None  # a ready English prompt: skips prompt writing
    user_id: str = "local-user"
    # shared.generation.sources: {"uploadId"} or {"instanceId", "index"}; an earlier result as the photo
    photo_source: dict | None = None
    style_source: dict | None = None  # the chapter's style lock


@dataclass
class Reference(_Json):
    id: int
    category: str
    stage: str
    caption: str
    tags: list[str]
    blob_name: str
    score: float = 0.0
    source: str = ""
    thumbnail_blob: str = ""  # in the references container; empty: use blob_name


@dataclass
class PromptDraft(_Json):
    prompt: str  # English prompt for the image model
    title: str  # short Korean title for the artist
    avoid: list[str] = field(default_factory=list)  # things the image must not contain
    provider: str = ""
