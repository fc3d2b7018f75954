"""The body of POST /api/generations (and of one shot-list line) as a GenerationRequest: every rule,
each with a Korean message naming its field. User text goes through shared.core.text's rule."""

from __future__ import annotations

from collections.abc import Mapping

from shared.core import catalog
from shared.core.errors import NotFound, ValidationError
from shared.core.models import GenerationRequest
from shared.core.text import clean_text
from shared.generation import sources
from shared.images import uploads
from shared.images.uploads import UPLOAD_ID
from shared.providers import registry
from shared.providers.openai_images import family_size
from shared.storage import blobs

MAX_PROMPT_CHARS = 4000


def invalid(field: str, message: str) -> ValidationError:
    return ValidationError(message, details={"field": field})


def josa(word: str, with_final: str, without_final: str) -> str:
    """The Korean particle that fits the word's last syllable (을/를, 은/는)."""
    last = word[-1]
    if "\uac00" <= last <= "\ud7a3" and (ord(last) - 0xAC00) % 28:
        return word + with_final
    return word + without_final


def _text(body: Mapping, field: str, *, required: bool, max_chars: int, label: str,
          multiline: bool = False) -> str:
    value = body.get(field)
    if value is None:
        value = ""
    if isinstance(value, list) and field == "keywords" and all(isinstance(v, str) for v in value):
        value = ", ".join(v.strip() for v in value if v.strip())
    if not isinstance(value, str):
        raise invalid(field, f"{josa(label, '은', '는')} 문자열이어야 합니다.")
    value = clean_text(value, field, label, multiline=multiline).strip()
    if required and not value:
        raise invalid(field, f"{josa(label, '을', '를')} 입력해 주세요.")
    if len(value) > max_chars:
        raise invalid(field, f"{josa(label, '은', '는')} {max_chars}자 이하로 입력해 주세요. (현재 {len(value)}자)")
    return value


def _one_of(body: Mapping, field: str, by_value: Mapping, *, label: str, default: str | None = None) -> str:
    """A value of one of the catalog's lists (`by_value`, in catalog order); `label` names it in Korean."""
    value = body.get(field)
    if default is not None and value in (None, ""):
        return default
    if not isinstance(value, str) or not value.strip():  # also keeps lists and objects out of the lookup
        raise invalid(field, f"{josa(label, '을', '를')} 선택해 주세요.")
    if value not in by_value:
        value = clean_text(value, field, label)  # it is quoted back in the message
        raise invalid(field, f"알 수 없는 {label}입니다: {value[:40]} (가능한 값: {', '.join(by_value)})")
    return value


def _upload_id(body: Mapping) -> str | None:
    upload_id = body.get("uploadId")
    if upload_id in ("", None):
        return None
    if not isinstance(upload_id, str) or not UPLOAD_ID.match(upload_id):
        raise invalid("uploadId", "참고 사진 ID 형식이 올바르지 않습니다.")
    return upload_id


def _variations(body: Mapping) -> int:
    variations = body.get("variations", 1)
    if variations is None:
        return 1
    if isinstance(variations, float) and variations.is_integer():
        variations = int(variations)  # JSON (and its Schema's "integer") does not tell 2.0 from 2
    if isinstance(variations, bool) or not isinstance(variations, int) \
            or not 1 <= variations <= catalog.MAX_VARIATIONS:
        raise invalid("variations", f"생성할 장수는 1에서 {catalog.MAX_VARIATIONS} 사이의 정수여야 합니다.")
    return variations


def _review(body: Mapping) -> bool:
    review = body.get("review", False)
    if review is None:
        return False
    if not isinstance(review, bool):
        raise invalid("review", "review 값은 true 또는 false여야 합니다.")
    return review


def _prompt(body: Mapping) -> str | None:
    if body.get("prompt") in ("", None):
        return None
    return _text(body, "prompt", required=True, max_chars=MAX_PROMPT_CHARS, label="프롬프트", multiline=True)


def _aspect(body: Mapping, family: str) -> str:
    """An aspect of the catalog that the configured image model family can make (else unsupported_aspect)."""
    value = _one_of(body, "aspect", catalog.ASPECT_BY_VALUE, label="화면 비율", default=catalog.DEFAULT_ASPECT)
    family_size(catalog.image_model_family(family), catalog.aspect(value))
    return value


def validate_request(body: Mapping, user_id: str, *, family: str | None = None) -> GenerationRequest:
    """The body of POST /api/generations as a GenerationRequest, or a ValidationError whose Korean
    message names the first wrong field (details.field). `family`: the image model family whose sizes
    the aspect must be among (default: the configured one). Does not check that the upload or the
    sources exist (ensure_upload_exists, sources.check_sources)."""
    upload_id = _upload_id(body)
    return GenerationRequest(
        category=_one_of(body, "category", catalog.CATEGORY_BY_VALUE, label="분류"),
        stage=_one_of(body, "stage", catalog.STAGE_BY_VALUE, label="작업 단계"),
        keywords=_text(body, "keywords", required=True, max_chars=catalog.MAX_KEYWORDS_CHARS, label="키워드"),
        description=_text(body, "description", required=False, max_chars=catalog.MAX_DESCRIPTION_CHARS,
                          label="장면 설명", multiline=True),
        upload_id=upload_id,
        aspect=_aspect(body, family or registry.image_model_family()),
        variations=_variations(body),
        review=_review(body),
        prompt=_prompt(body),
        user_id=user_id,
        photo_source=sources.parse_photo_source(body, upload_id),
        style_source=sources.parse_source(body, sources.STYLE),
    )


def ensure_upload_exists(upload_id: str | None) -> None:
    """404 upload_not_found when the request names an upload that is not (or no longer) stored."""
    if not upload_id:
        return
    if not blobs.exists(blobs.UPLOADS, uploads.upload_blob_name(upload_id)):
        raise NotFound(uploads.MSG_UPLOAD_NOT_FOUND, code="upload_not_found", details={"field": "uploadId"})
