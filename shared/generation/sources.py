"""Image sources a request may name besides its upload: the chapter's style source (a "style lock":
an upload, or an earlier generation's image) and an earlier result used as the photo ("again from
this", a variation).

A source travels in the request as JSON: {"uploadId": "<32 hex>"} or {"instanceId": "<id>",
"index": n}; its image is uploads/<uploadId>.png or outputs/<instanceId>/<n>.png. Parsing is pure
(validate_request calls it); `check_sources` does the I/O before anything is started: the image
exists, an earlier generation is the caller's (another user's looks exactly like a missing one) and
the blob is an image.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping

from shared.core import catalog
from shared.core.errors import NotFound, ValidationError
from shared.core.models import GenerationRequest
from shared.db import history
from shared.images import codec, uploads
from shared.images.uploads import UPLOAD_ID, upload_blob_name
from shared.storage import blobs
from shared.storage.blobs import BlobRef

# An orchestration instance id as the starters make them (32 hex, batch-<hex>-L00001): no path parts.
INSTANCE_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,127}$")
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP")
HEAD_BYTES = 64  # enough of a blob to tell an image from something else

STYLE, PHOTO = "styleSource", "photoSource"
LABELS = {STYLE: "스타일 기준 이미지", PHOTO: "참고 사진으로 쓸 이전 결과"}
MSG_SHAPE = {
    STYLE: '스타일 기준(styleSource)은 {"uploadId": "..."} 또는 {"instanceId": "...", "index": 1} 형식이어야 합니다.',
    PHOTO: '참고 사진으로 쓸 이전 결과(photoSource)는 {"instanceId": "...", "index": 1} 형식이어야 합니다.',
}
MSG_BOTH_PHOTOS = "참고 사진은 uploadId와 photoSource 중 하나만 보낼 수 있습니다."
MSG_NOT_FOUND = "{label}를 찾을 수 없습니다. 올린 이미지나 이전 생성 결과를 다시 확인해 주세요."
SHORT_LABELS = {STYLE: "스타일 기준", PHOTO: "참고 사진"}
MSG_NOT_IMAGE = "{label}으로 고른 파일이 이미지가 아닙니다. PNG, JPEG 또는 WEBP 이미지를 골라 주세요."
CODES = {STYLE: ("style_source_not_found", "style_source_not_image"),
         PHOTO: ("photo_source_not_found", "photo_source_not_image")}


def _shape_error(field: str) -> ValidationError:
    return ValidationError(MSG_SHAPE[field], details={"field": field})


def parse_source(body: Mapping, field: str) -> dict | None:
    """The source named by body[field] in its one JSON shape, or None; a Korean ValidationError for
    any other shape. A photo source is an earlier generation's image only (an upload is `uploadId`)."""
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _shape_error(field)
    keys = set(value)
    if keys == {"uploadId"} and field == STYLE:
        upload_id = value["uploadId"]
        if not isinstance(upload_id, str) or not UPLOAD_ID.match(upload_id):
            raise _shape_error(field)
        return {"uploadId": upload_id}
    if keys != {"instanceId", "index"}:
        raise _shape_error(field)
    instance_id, index = value["instanceId"], value["index"]
    if isinstance(index, float) and index.is_integer():  # JSON's 2.0 is the integer 2
        index = int(index)
    if not isinstance(instance_id, str) or not INSTANCE_ID.match(instance_id) or isinstance(index, bool) \
            or not isinstance(index, int) or not 1 <= index <= catalog.MAX_VARIATIONS:
        raise _shape_error(field)
    return {"instanceId": instance_id, "index": index}


def parse_photo_source(body: Mapping, upload_id: str | None) -> dict | None:
    source = parse_source(body, PHOTO)
    if source is not None and upload_id:
        raise ValidationError(MSG_BOTH_PHOTOS, details={"field": PHOTO})
    return source


def source_blob(source: Mapping) -> BlobRef:
    """Where the source's image is stored."""
    if "uploadId" in source:
        return BlobRef(blobs.UPLOADS, upload_blob_name(source["uploadId"]))
    return BlobRef(blobs.OUTPUTS, f"{source['instanceId']}/{int(source['index'])}.png")


def _named(request: GenerationRequest) -> list[tuple[str, dict]]:
    return [(field, source) for field, source in ((PHOTO, request.photo_source), (STYLE, request.style_source))
            if source]


def instance_ids(request: GenerationRequest) -> list[str]:
    """The earlier generations the request's sources name (their owners are to be checked)."""
    return sorted({source["instanceId"] for _, source in _named(request) if "instanceId" in source})


def _head(ref: BlobRef) -> bytes | None:
    """The first bytes of a blob; None when there is no such blob."""
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    try:
        with blobs.outage_as_unavailable():
            client = blobs.service().get_blob_client(ref.container, ref.name)
            return client.download_blob(offset=0, length=HEAD_BYTES).readall()
    except ResourceNotFoundError:
        return None
    except HttpResponseError as exc:
        if exc.status_code == 416:  # an empty blob has no first bytes
            return b""
        raise


def check_sources(request: GenerationRequest, owner_of: Callable[[str], str | None]) -> None:
    """Every source of the request exists, is the caller's and is an image; else a Korean 404 (missing
    or another user's: the same answer) or 400 (not an image), before anything is started.
    `owner_of(instance_id)`: who started that earlier generation (None: unknown)."""
    for field, source in _named(request):
        missing, not_image = CODES[field]
        label = LABELS[field]
        not_found = NotFound(MSG_NOT_FOUND.format(label=label), code=missing, details={"field": field})
        if "instanceId" in source and owner_of(source["instanceId"]) != request.user_id:
            raise not_found
        head = _head(source_blob(source))
        if head is None:
            raise not_found
        if codec.sniff_format(head) not in IMAGE_FORMATS:
            raise ValidationError(MSG_NOT_IMAGE.format(label=SHORT_LABELS[field]), code=not_image, details={"field": field})


def history_owner_or(known: Mapping[str, str | None]) -> Callable[[str], str | None]:
    """`owner_of` for check_sources: the history row's user (a generation that ended), else the one in
    `known` (instance id -> the user in the Durable instance's input)."""

    return lambda instance_id: history.owner(instance_id) or known.get(instance_id)


def input_owner(data) -> str | None:
    """The user in an orchestration's input (a dict or its JSON text): generate_background's
    request.user_id, layer_image's user_id."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return None
    if not isinstance(data, Mapping):
        return None
    inner = data.get("request") if isinstance(data.get("request"), Mapping) else data
    owner = inner.get("user_id")
    return owner if isinstance(owner, str) else None


def photo_bytes(request: GenerationRequest) -> bytes | None:
    """The photo the images are composed from: the artist's upload or an earlier result."""
    if request.upload_id:
        return uploads.load_upload(request.upload_id)
    if request.photo_source:
        return _download(request.photo_source, PHOTO, request.user_id)
    return None


def style_bytes(request: GenerationRequest) -> bytes | None:
    return _download(request.style_source, STYLE, request.user_id) if request.style_source else None


def _download(source: Mapping, field: str, user_id: str) -> bytes:
    """The source's image for the step. An earlier generation the history gives to someone else is
    refused here too: a shot-list line is checked by the request's rules only, not by the starter."""
    from azure.core.exceptions import ResourceNotFoundError

    if "instanceId" in source and history.owner(source["instanceId"]) not in (None, user_id):
        raise NotFound(MSG_NOT_FOUND.format(label=LABELS[field]), code=CODES[field][0])
    ref = source_blob(source)
    try:
        return blobs.download(ref.container, ref.name)
    except ResourceNotFoundError:  # removed since the request was checked
        raise NotFound(MSG_NOT_FOUND.format(label=LABELS[field]), code=CODES[field][0]) from None


def style_record(request: GenerationRequest) -> dict | None:
    """What the output says about the style applied: {"source": ..., "blob": "container/name"} or None."""
    if not request.style_source:
        return None
    return {"source": dict(request.style_source), "blob": str(source_blob(request.style_source))}
