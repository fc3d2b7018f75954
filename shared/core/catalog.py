"""The one source of truth for the domain values: categories, art stages, aspects.

The API validates against these, the prompts describe them, the site builds its buttons from
GET /api/catalog, and the reference loader checks its rows against them. The original service broke
because the UI sent a label (채색(기본)) where the data held a value (채색 기본): the value is what
travels, the label is only shown.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    value: str
    label: str
    english: str


@dataclass(frozen=True)
class Stage:
    value: str
    label: str
    english: str
    style_guide: str  # how the image should look at this art stage (English, for the image model)
    avoid: tuple[str, ...]  # what the image must not show at this stage (English, added to the prompt)
    dalle3_style: str  # dall-e-3's "style" parameter: "vivid" for the finished-looking stages


@dataclass(frozen=True)
class Aspect:
    value: str
    label: str
    width: int  # the size the artist gets, whatever size the model was asked for
    height: int


@dataclass(frozen=True)
class ImageModelFamily:
    """What one family of image models makes and takes (IMAGE_MODEL_FAMILY; "local" is the offline
    renderer). Deployment and model names stay settings; these are the facts of the family."""

    value: str
    models: str  # the models of the family, for people
    sizes: dict[str, str]  # aspect value -> the size asked of the model (the result is fitted to the aspect)
    qualities: tuple[str, ...]
    max_input_images: int  # images one edit takes (0: text only, no images edit)
    max_input_bytes: int  # per input image
    max_per_call: int  # images one request may ask for (n)


CATEGORIES: tuple[Category, ...] = (
    Category("국내명소", "명소", "famous Korean landmark"),
    Category("음식", "음식", "Korean food"),
    Category("한국문화", "문화", "Korean culture"),
)

STAGES: tuple[Stage, ...] = (
    Stage(
        "콘티", "콘티", "storyboard",
        "rough grey storyboard sketch, loose pencil shapes, simple perspective, greyscale only, no colour",
        avoid=("colour", "fine detail or polished rendering"), dalle3_style="natural",
    ),
    Stage(
        "스케치", "스케치", "line sketch",
        "clean black line art on white, confident even ink lines, no shading, no colour",
        avoid=("colour", "shading or grey tones"), dalle3_style="natural",
    ),
    Stage(
        "채색 기본", "채색(기본)", "flat colour",
        "clean line art with flat base colours, no shading, no gradients, cel style",
        avoid=("shading, gradients or cast shadows",), dalle3_style="natural",
    ),
    Stage(
        "채색 명암", "채색(명암)", "shaded colour",
        "line art with full colour and cel shading, clear light direction and cast shadows",
        avoid=("flat unshaded colours",), dalle3_style="vivid",
    ),
    Stage(
        "배경", "배경", "finished background",
        "polished, complete webtoon background, detailed lighting and atmosphere, ready to publish",
        avoid=("unfinished or sketchy areas",), dalle3_style="vivid",
    ),
)

ASPECTS: tuple[Aspect, ...] = (
    Aspect("square", "정사각", 1024, 1024),
    Aspect("portrait", "세로 스트립", 1024, 1536),
    Aspect("landscape", "가로", 1536, 1024),
    Aspect("webtoon", "세로 웹툰 (9:16)", 1152, 2048),
    Aspect("large", "큰 정사각", 2048, 2048),
)

_GPT_IMAGE_SIZES = {"square": "1024x1024", "portrait": "1024x1536", "landscape": "1536x1024"}
IMAGE_MODEL_FAMILIES: tuple[ImageModelFamily, ...] = (
    ImageModelFamily("local", "offline renderer", {a.value: f"{a.width}x{a.height}" for a in ASPECTS},
                     ("auto",), max_input_images=16, max_input_bytes=50 * 1024 * 1024, max_per_call=10),
    ImageModelFamily("gpt-image", "gpt-image-1, gpt-image-1-mini, gpt-image-1.5", _GPT_IMAGE_SIZES,
                     ("low", "medium", "high", "auto"), max_input_images=16, max_input_bytes=50 * 1024 * 1024,
                     max_per_call=10),
    ImageModelFamily("gpt-image-2", "gpt-image-2 (sizes up to 3840 px, 16:9 and 9:16)",
                     {**_GPT_IMAGE_SIZES, "webtoon": "1152x2048", "large": "2048x2048"},
                     ("low", "medium", "high", "auto"), max_input_images=16, max_input_bytes=50 * 1024 * 1024,
                     max_per_call=10),
    ImageModelFamily("dall-e-3", "dall-e-3 (text only)",
                     {"square": "1024x1024", "portrait": "1024x1792", "landscape": "1792x1024"},
                     ("standard", "hd"), max_input_images=0, max_input_bytes=0, max_per_call=1),
)

DEFAULT_ASPECT = "portrait"
DEFAULT_STAGE = "배경"  # the finished background: what most requests want
MAX_VARIATIONS = 4
MAX_DESCRIPTION_CHARS = 500
MAX_KEYWORDS_CHARS = 200

# Options of the derived layers (PSD): stroke weight of the line art and how many regions/lines to keep.
LINE_WEIGHT_LABELS = {"thin": "가는 선", "normal": "보통", "bold": "굵은 선"}
DETAIL_LABELS = {"low": "낮음", "normal": "보통", "high": "높음"}
DEFAULT_LAYER_OPTION = "normal"

# The steps of one generation, in order, as customStatus.stage reports them (value, Korean label,
# progress 0..1 when the step starts). "failed" and "cancelled" are end states, not steps.
STEPS: tuple[tuple[str, str, float], ...] = (
    ("queued", "대기 중", 0.0),
    ("embed_query", "요청 분석", 0.05),
    ("search_references", "참고 이미지 찾기", 0.15),
    ("write_prompt", "프롬프트 작성", 0.3),
    ("review", "프롬프트 확인 대기", 0.4),
    ("generate_image", "이미지 생성", 0.5),
    ("make_layers", "레이어 만들기", 0.8),
    ("store_outputs", "결과 저장", 0.92),
    ("done", "완료", 1.0),
    ("failed", "실패", 1.0),
    ("cancelled", "취소됨", 1.0),
)
STEP_BY_VALUE = {value: (label, progress) for value, label, progress in STEPS}

CATEGORY_BY_VALUE = {c.value: c for c in CATEGORIES}
STAGE_BY_VALUE = {s.value: s for s in STAGES}
ASPECT_BY_VALUE = {a.value: a for a in ASPECTS}
IMAGE_MODEL_FAMILY_BY_VALUE = {f.value: f for f in IMAGE_MODEL_FAMILIES}


def category(value: str) -> Category:
    return CATEGORY_BY_VALUE[value]


def stage(value: str) -> Stage:
    return STAGE_BY_VALUE[value]


def aspect(value: str) -> Aspect:
    return ASPECT_BY_VALUE[value]


def image_model_family(value: str) -> ImageModelFamily:
    return IMAGE_MODEL_FAMILY_BY_VALUE[value]


def aspects_for(family: str = "local") -> tuple[Aspect, ...]:
    """The aspects the family can make, in catalog order."""
    sizes = image_model_family(family).sizes
    return tuple(a for a in ASPECTS if a.value in sizes)


def as_json(family: str = "local") -> dict:
    """What GET /api/catalog answers: values to send and labels to show; the aspects are those the
    configured image model family can make."""
    return {
        "categories": [{"value": c.value, "label": c.label} for c in CATEGORIES],
        "stages": [{"value": s.value, "label": s.label} for s in STAGES],
        "aspects": [
            {"value": a.value, "label": a.label, "width": a.width, "height": a.height} for a in aspects_for(family)
        ],
        "defaultAspect": DEFAULT_ASPECT,
        "defaultStage": DEFAULT_STAGE,
        "maxVariations": MAX_VARIATIONS,
        "maxKeywordsChars": MAX_KEYWORDS_CHARS,
        "maxDescriptionChars": MAX_DESCRIPTION_CHARS,
        "steps": [{"value": v, "label": label, "progress": p} for v, label, p in STEPS],
        "lineWeights": [{"value": v, "label": label} for v, label in LINE_WEIGHT_LABELS.items()],
        "details": [{"value": v, "label": label} for v, label in DETAIL_LABELS.items()],
    }
