"""The output of generate_background, written in one place: the shape the orchestration answers with
(build_output, cancelled_output), the history page's links, and their JSON Schemas, which
shared.openapi publishes as they are (tests validate real answers against them).
"""

from __future__ import annotations

from shared.core import catalog
from shared.generation import sources
from shared.generation.job import Run, StoredImage
from shared.storage import assets, blobs
from shared.storage.blobs import BlobRef

# additionalProperties false: a field added in code but not here (or in docs/API.md) fails the tests.
_CLOSED = {"additionalProperties": False}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_TIMINGS = {"type": "object", "additionalProperties": {"type": "integer"}, "description": "milliseconds per stage"}
_REFERENCES = {"type": "array", "items": {"$ref": "#/components/schemas/Reference"}}
_ASSET_REF = {"$ref": "#/components/schemas/Asset"}

ASSET_SCHEMA = {"type": "object", **_CLOSED, "required": ["blob", "url", "assetUrl"], "properties": {
    "blob": {"type": "string", "description": "container/name, e.g. outputs/<instanceId>/1.png"},
    "url": {"type": "string", "format": "uri", "description": "read-only SAS URL, valid at most 15 minutes"},
    "assetUrl": {"type": "string", "description": "permanent link: /api/assets/<blob>, redirects to a fresh SAS"},
}}

DRAFT_SCHEMA = {"type": ["object", "null"], "required": ["prompt", "title", "avoid"], "properties": {
    "prompt": {"type": "string"}, "title": {"type": "string"}, "avoid": _STRINGS}}

IMAGE_SCHEMA = {"type": "object", **_CLOSED, "required": ["index", "width", "height", "png", "psd", "thumbnail"],
                "properties": {"index": {"type": "integer"}, "width": {"type": "integer"},
                               "height": {"type": "integer"}, "png": _ASSET_REF, "psd": _ASSET_REF,
                               "thumbnail": _ASSET_REF}}

STYLE_SOURCE_SCHEMA = {"oneOf": [
    {"type": "object", **_CLOSED, "required": ["uploadId"],
     "properties": {"uploadId": {"type": "string", "pattern": "^[0-9a-f]{32}$"}}},
    {"type": "object", **_CLOSED, "required": ["instanceId", "index"],
     "properties": {"instanceId": {"type": "string", "pattern": sources.INSTANCE_ID.pattern},
                    "index": {"type": "integer", "minimum": 1, "maximum": catalog.MAX_VARIATIONS}}},
]}

STYLE_SCHEMA = {"type": ["object", "null"], **_CLOSED, "required": ["source", "blob"],
                "description": "the chapter style applied to every image (the request's styleSource), or null",
                "properties": {"source": STYLE_SOURCE_SCHEMA,
                               "blob": {"type": "string", "description": "the style image, container/name"}}}

OUTPUT_SCHEMA = {
    "description": "output of a Completed generate_background",
    "type": "object", **_CLOSED,
    "required": ["instanceId", "title", "prompt", "avoid", "references", "images", "layers", "timings", "warnings",
                 "style"],
    "properties": {
        "instanceId": {"type": "string"}, "title": {"type": "string"}, "prompt": {"type": "string"},
        "avoid": _STRINGS, "references": _REFERENCES,
        "images": {"type": "array", "items": IMAGE_SCHEMA},
        "layers": {**_STRINGS, "description": "PSD layer names, bottom to top"},
        "timings": _TIMINGS, "warnings": _STRINGS, "style": STYLE_SCHEMA,
    }}

CANCELLED_SCHEMA = {
    "description": "output of generate_background cancelled by the review timeout (REVIEW_TIMEOUT_OUTCOME=cancel)",
    "type": "object", **_CLOSED,
    "required": ["instanceId", "cancelled", "draft", "references", "timings", "warnings"],
    "properties": {"instanceId": {"type": "string"}, "cancelled": {"const": True}, "draft": DRAFT_SCHEMA,
                   "references": _REFERENCES, "timings": _TIMINGS, "warnings": _STRINGS},
}


def asset(blob: BlobRef, *, download_name: str | None = None) -> dict:
    """Asset = {blob, url (fresh read-only SAS), assetUrl (permanent link through /api/assets)}."""
    return {
        "blob": str(blob),
        "url": blobs.read_url(blob.container, blob.name, download_name=download_name),
        "assetUrl": assets.link(str(blob)),
    }


def image_output(instance_id: str, image: StoredImage) -> dict:
    return {
        "index": image.index,
        "width": image.width,
        "height": image.height,
        "png": asset(image.png),
        "psd": asset(image.psd, download_name=f"{instance_id}-{image.index}.psd"),
        "thumbnail": asset(image.thumbnail),
    }


def build_output(instance_id: str, draft: dict, prompt: str, references: list[dict], images: list[StoredImage],
                 layers: list[str], timings: dict, warnings: list[str], *, style: dict | None = None) -> dict:
    """The output of a Completed generation, with fresh read-only links (OUTPUT_SCHEMA); `style`: the
    style source applied (sources.style_record)."""
    return {
        "instanceId": instance_id,
        "title": draft.get("title") or "",
        "prompt": prompt,
        "avoid": list(draft.get("avoid") or []),
        "references": references,
        "images": [image_output(instance_id, image) for image in images],
        "layers": layers,
        "timings": timings,
        "warnings": warnings,
        "style": style,
    }


def cancelled_output(instance_id: str, run: Run) -> dict:
    """Output of a generation cancelled because the review was not answered in time (CANCELLED_SCHEMA)."""
    return {"instanceId": instance_id, "cancelled": True, "draft": run.draft, "references": run.references,
            "timings": run.timings, "warnings": list(run.warnings)}


def history_json(page) -> dict:
    """GET /api/generations: the page with permanent asset links (no SAS: the list may stay open)."""
    body = page.to_json()
    for item in body["items"]:
        item["images"] = [
            {"index": img["index"], **{kind: {"assetUrl": assets.link(img[kind])}
                                      for kind in ("thumbnail", "png", "psd") if img.get(kind)}}
            for img in item["images"]
        ]
    return body
