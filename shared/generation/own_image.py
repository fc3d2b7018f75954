"""Layers from the artist's own image (POST /api/layers): an uploaded picture (a photo, or an image made
elsewhere) goes unchanged through the same make_layers step as a generated one, and the answer has the
generation's status/progress contract and output shape, so the site shows it like any result.

The job crosses the activity boundary as JSON (LayersJob.to_dict); the picture itself lives in Blob
storage: uploads/<uploadId>.png is copied to outputs/<instanceId>/1.png, then layered there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from shared.core import catalog
from shared.generation.job import StoredImage
from shared.generation.output import build_output
from shared.generation.request import invalid, josa
from shared.images import codec, uploads
from shared.storage import blobs
from shared.storage.blobs import BlobRef

TITLE = "내 이미지 레이어"
STAGE = "배경"  # the full stack: line art, highlights, shading and flats


@dataclass(frozen=True)
class LayersJob:
    """What the starter hands the orchestration layer_image."""

    upload_id: str
    line_weight: str
    detail: str
    user_id: str

    def to_dict(self) -> dict:
        # under "request", as a generation's input: the status routes read the owner from there
        return {"request": asdict(self)}

    @classmethod
    def from_dict(cls, data: Mapping) -> LayersJob:
        request = data["request"]
        return cls(**{key: request[key] for key in ("upload_id", "line_weight", "detail", "user_id")})


def _choice(body: Mapping, field: str, by_value: Mapping[str, str], label: str) -> str:
    value = body.get(field)
    if value in (None, ""):
        return catalog.DEFAULT_LAYER_OPTION
    if not isinstance(value, str) or value not in by_value:
        options = ", ".join(f"{v}({name})" for v, name in by_value.items())
        raise invalid(field, f"{josa(label, '은', '는')} 다음 중 하나여야 합니다: {options}")
    return value


def validate_layers_request(body: Mapping, user_id: str) -> LayersJob:
    """The body of POST /api/layers, or a Korean ValidationError naming the field. Whether the upload
    exists is checked by the starter (shared.generation.request.ensure_upload_exists)."""
    upload_id = body.get("uploadId")
    if not isinstance(upload_id, str) or not uploads.UPLOAD_ID.match(upload_id):
        raise invalid("uploadId", "레이어를 만들 이미지의 업로드 ID가 필요합니다. 이미지를 먼저 올려 주세요.")
    return LayersJob(upload_id=upload_id,
                     line_weight=_choice(body, "lineWeight", catalog.LINE_WEIGHT_LABELS, "선 굵기"),
                     detail=_choice(body, "detail", catalog.DETAIL_LABELS, "디테일"),
                     user_id=user_id)


def prepare_own_image(instance_id: str, job: LayersJob) -> dict:
    """Copy the upload to outputs/<instanceId>/1.png (once: a second run finds it) as the image to layer."""
    target = BlobRef(blobs.OUTPUTS, f"{instance_id}/1.png")
    png = uploads.load_upload(job.upload_id)
    if not blobs.exists(target.container, target.name):
        blobs.upload(target.container, target.name, png, "image/png")
    width, height = codec.png_size(png)
    return {"image": StoredImage(index=1, png=target, width=width, height=height).to_dict()}


def discard_outputs(instance_id: str) -> dict:
    """After a failure: remove what the job wrote under outputs/<instanceId>/, so nothing half-made stays."""
    return {"deleted": blobs.delete_prefix(blobs.OUTPUTS, f"{instance_id}/")}


def layers_output(instance_id: str, image: StoredImage, layers: list[str], timings: dict) -> dict:
    """The output of a Completed layer_image: the generation's shape, with no prompt and no references."""
    draft = {"title": TITLE, "prompt": "", "avoid": []}
    return build_output(instance_id, draft, "", [], [image], layers, timings, [])
