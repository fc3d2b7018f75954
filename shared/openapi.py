"""The OpenAPI 3.1 description of every HTTP endpoint of the app, built from one Python description.

`ENDPOINTS` lists each route as the app registers it (Functions route template, without the "api"
prefix); tests compare it with `app.get_functions()` so a new route without a description fails.
Domain values (categories, stages, aspects, limits) come from shared.catalog: one source of truth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shared.core import catalog
from shared.core.text import TEXT_PATTERN
from shared.db.history import MAX_PAGE, MAX_PAGE_SIZE
from shared.generation import output
from shared.generation.request import MAX_PROMPT_CHARS

ROUTE_PREFIX = "/api"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str = "") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


@dataclass(frozen=True)
class Endpoint:
    method: str
    route: str  # Functions route template, e.g. "assets/{*path}"
    operation_id: str
    summary: str
    tag: str
    responses: dict
    parameters: list = field(default_factory=list)
    request_body: dict | None = None
    description: str = ""


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


_instance_id = {"name": "instanceId", "in": "path", "required": True,
                "schema": {"type": "string", "pattern": "^[0-9A-Za-z][0-9A-Za-z_-]{0,127}$"},
                "description": "the id answered by POST /api/generations"}

_batch_name = {"name": "name", "in": "path", "required": True,
               "schema": {"type": "string", "pattern": "^[0-9A-Za-z\uac00-\ud7a3._-]{1,100}$"}}
# An empty query value means "not given" (category, stage, k): the code reads it so.
_EMPTY = {"type": "string", "maxLength": 0}

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "post", "generations", "startGeneration", "Start a generation (Durable orchestration generate_background)",
        "generations",
        description=(
            "Validates the request and starts the orchestration. The answer has the fields of the Durable "
            "check-status payload, pointing at this app's own routes on the caller's origin (never the "
            "Durable webhooks and their system key). Poll statusQueryGetUri (GET /api/generations/{instanceId}) "
            "for runtimeStatus, customStatus (GenerationStatus) and, when Completed, output (GenerationOutput). "
            "With review=true, POST {\"prompt\": ...} to sendEventPostUri with {eventName} = prompt_approved "
            "while customStatus.awaitingApproval is true; terminatePostUri ({text} = the reason) cancels."
        ),
        request_body={"required": True, "content": {"application/json": {"schema": _ref("GenerationRequest")}}},
        responses={
            "202": {
                **_json(_ref("CheckStatus"), "Started; the Durable check-status payload"),
                "headers": {
                    "Location": {"schema": {"type": "string"}, "description": "statusQueryGetUri"},
                    "Retry-After": {"schema": {"type": "integer"}, "description": "seconds between polls"},
                },
            },
            "400": _error("validation_error (details.field names the field), malformed_json, "
                          "unsupported_aspect (the configured model cannot make it), "
                          "style_source_not_image / photo_source_not_image"),
            "401": _error("unauthenticated: unreadable x-ms-client-principal"),
            "429": {**_error("quota_exceeded (the caller's generations per hour or images per day) or "
                             "image_model_busy (the paid image model's cap on generations at once)"),
                    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}},
            "404": _error("upload_not_found: uploadId names no stored upload; style_source_not_found / "
                          "photo_source_not_found: no such image, or not the caller's"),
        },
    ),
    Endpoint(
        "post", "layers", "startLayers", "Layers and a PSD from the artist's own image (orchestration layer_image)",
        "generations",
        description=(
            "uploadId names an image stored by POST /api/uploads (a photo, or a picture made elsewhere); it is "
            "layered unchanged. The answer and the progress are a generation's: poll statusQueryGetUri "
            "(GET /api/generations/{instanceId}); when Completed, output is a GenerationOutput with one image "
            "(png, psd, thumbnail), no prompt and no references. A failed job leaves nothing under outputs/."
        ),
        request_body={"required": True, "content": {"application/json": {"schema": _ref("LayersRequest")}}},
        responses={
            "202": {**_json(_ref("CheckStatus"), "Started; the Durable check-status payload"),
                    "headers": {"Location": {"schema": {"type": "string"}, "description": "statusQueryGetUri"}}},
            "400": _error("validation_error (details.field: uploadId, lineWeight or detail), malformed_json"),
            "401": _error("unauthenticated"),
            "404": _error("upload_not_found: uploadId names no stored upload"),
        },
    ),
    Endpoint(
        "get", "generations", "listGenerations", "The caller's generations (completed, failed, cancelled), newest first",
        "generations",
        description="The caller is the principal of Azure's built-in authentication (x-ms-client-principal); "
                    "locally LOCAL_USER_ID.",
        parameters=[
            _query("page", {"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}, _EMPTY]},
                   "1-based page number (empty: 1)"),
            _query("pageSize", {"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": 20},
                                          _EMPTY]}, "items per page (empty: 20)"),
        ],
        responses={"200": _json(_ref("HistoryPage"), "One page"), "400": _error("bad page or pageSize"),
                   "401": _error("unauthenticated")},
    ),
    Endpoint(
        "get", "generations/{instanceId}", "getGeneration", "Status of one of the caller's generations",
        "generations",
        description="Answers like the Durable Functions status endpoint (statusQueryGetUri), for the owner "
                    "only: another user's instance is 404, like an unknown one.",
        parameters=[_instance_id],
        responses={
            "200": _json(_ref("GenerationInstance"), "Ended: Completed, Failed or Terminated"),
            "202": {**_json(_ref("GenerationInstance"), "Pending, Running, Suspended or ContinuedAsNew"),
                    "headers": {
                        "Location": {"schema": {"type": "string"}, "description": "this status URL"},
                        "Retry-After": {"schema": {"type": "integer"}, "description": "seconds between polls"},
                    }},
            "401": _error("unauthenticated"),
            "404": _error("generation_not_found: unknown, or not the caller's"),
        },
    ),
    Endpoint(
        "post", "generations/{instanceId}/events/{eventName}", "sendGenerationEvent",
        "Answer the review: the artist's (edited) prompt", "generations",
        description="sendEventPostUri. Only prompt_approved, body {\"prompt\": \"...\"}; an empty prompt keeps "
                    "the draft. For the owner only.",
        parameters=[_instance_id, {"name": "eventName", "in": "path", "required": True,
                                   "schema": {"type": "string", "enum": ["prompt_approved"]}}],
        request_body={"required": True, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"prompt": {"type": "string", "maxLength": MAX_PROMPT_CHARS,
                                                 "pattern": TEXT_PATTERN}}}}}},
        responses={
            "202": {"description": "Accepted: delivered to the generation"},
            "400": _error("unknown_event, malformed_json or validation_error (prompt not a string)"),
            "401": _error("unauthenticated"),
            "404": _error("generation_not_found: unknown, or not the caller's"),
            "410": _error("generation_finished: the generation has already ended"),
        },
    ),
    Endpoint(
        "post", "generations/{instanceId}/terminate", "terminateGeneration", "Cancel a running generation",
        "generations",
        description="terminatePostUri: runtimeStatus becomes Terminated. For the owner only.",
        parameters=[_instance_id, _query("reason", {"type": "string", "maxLength": 200}, "why (the Durable output of the Terminated instance)")],
        responses={
            "202": {"description": "Accepted: the generation is being terminated"},
            "401": _error("unauthenticated"),
            "404": _error("generation_not_found: unknown, or not the caller's"),
            "410": _error("generation_finished: the generation has already ended"),
        },
    ),
    Endpoint(
        "get", "catalog", "getCatalog", "Categories, stages, aspects, pipeline steps and their Korean labels",
        "catalog", responses={"200": _json(_ref("Catalog"), "The domain values")},
    ),
    Endpoint(
        "post", "uploads", "uploadImage", "Upload a reference photo", "uploads",
        description="Multipart (field \"file\") or the raw image as the body; at most 10 MB; the real "
                    "format is sniffed; EXIF orientation applied, metadata stripped, fitted within 1024 px, "
                    "stored as PNG.",
        request_body={"required": True, "content": {
            "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "minLength": 1, "contentMediaType": "application/octet-stream"}}}},
            "image/*": {"schema": {"type": "string", "minLength": 1, "contentMediaType": "image/*"}},
            "application/octet-stream": {"schema": {"type": "string", "minLength": 1,
                                                    "contentMediaType": "application/octet-stream"}},
        }},
        responses={
            "201": _json(_ref("Upload"), "Stored"),
            "400": _error("empty, unreadable or too many pixels (decompression bomb)"),
            "413": _error("payload_too_large"),
            "415": _error("unsupported_media_type: not an image"),
        },
    ),
    Endpoint(
        "get", "assets/{*path}", "getAsset", "Redirect to a fresh read-only link of a stored blob", "assets",
        parameters=[
            {"name": "path", "in": "path", "required": True, "schema": {"type": "string"},
             "description": "container/blob name, e.g. outputs/<instanceId>/1.png"},
            _query("download", {"type": "string", "enum": ["1"]}, "1: ask the browser to save the file"),
        ],
        responses={
            "302": {"description": "Location: a read-only SAS URL valid for at most 15 minutes",
                    "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}}},
            "400": _error("bad path"),
            "404": _error("not_found"),
        },
    ),
    Endpoint(
        "get", "speech-token", "getSpeechToken", "A short-lived Azure Speech token for the browser", "speech",
        responses={
            "200": _json({"type": "object", "required": ["token", "region"], "properties": {
                "token": {"type": "string"}, "region": {"type": "string"}}}, "A token"),
            "503": _error("not_configured: the site falls back to the browser's speech recognition"),
        },
    ),
    Endpoint(
        "get", "references/search", "searchReferences", "Search the reference images", "references",
        parameters=[
            {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1},
             "description": "Korean query text"},
            _query("category", {"anyOf": [{"type": "string", "enum": [c.value for c in catalog.CATEGORIES]}, _EMPTY]},
                   "category value (empty: any)"),
            _query("stage", {"anyOf": [{"type": "string", "enum": [s.value for s in catalog.STAGES]}, _EMPTY]},
                   "stage value (empty: any)"),
            _query("k", {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 50}, _EMPTY]}, "how many (empty: 6)"),
        ],
        responses={"200": _json({"type": "object", "required": ["query", "references"], "properties": {
            "query": {"type": "string"},
            "references": {"type": "array", "items": {"type": "object", "additionalProperties": True}}}},
            "References, best first, with short-lived links to each thumbnail and image"),
            "400": _error("missing_query, bad_k or validation_error (category, stage, k)")},
    ),
    Endpoint(
        "get", "batches/{name}", "getBatch", "Progress and summary of a batch dropped as batch-in/<name>", "batches",
        parameters=[{**_batch_name, "description": "the shot list's name (batch-in/<name>.jsonl or .csv)"}],
        responses={"200": _json({"type": "object", "additionalProperties": True},
                                "runtimeStatus, progress per line and, when finished, the summary"),
                   "400": _error("bad name"), "404": _error("batch_not_found")},
    ),
    Endpoint(
        "get", "batches/{name}/files/{*path}", "getBatchFile",
        "Redirect to a fresh read-only link of one result file of the caller's batch", "batches",
        parameters=[
            _batch_name,
            {"name": "path", "in": "path", "required": True, "schema": {"type": "string"},
             "description": "results.jsonl, summary.json or <NNNN>[-<id>]/<n>.png|psd"},
            _query("download", {"type": "string", "enum": ["1"]}, "1: ask the browser to save the file"),
        ],
        responses={
            "302": {"description": "Location: a read-only SAS URL valid for at most 15 minutes",
                    "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}}},
            "400": _error("bad name"),
            "404": _error("batch_not_found (also: not the caller's) or asset_not_found"),
        },
    ),
    Endpoint(
        "delete", "batches/{name}", "cancelBatch", "Cancel a running batch (lines already started finish)",
        "batches",
        parameters=[_batch_name],
        responses={"202": _json({"type": "object", "additionalProperties": True}, "Cancellation requested"),
                   "400": _error("bad name"), "404": _error("batch_not_found"),
                   "409": _error("batch_finished or batch_not_started")},
    ),
    Endpoint(
        "get", "openapi.json", "getOpenApi", "This description", "meta",
        responses={"200": _json({"type": "object"}, "OpenAPI 3.1 document")},
    ),
)


def _enum(values) -> list[str]:
    return [v.value for v in values]


def _schemas() -> dict:
    step_values = [value for value, _, _ in catalog.STEPS]
    # additionalProperties false on what the orchestration answers: tests validate real answers against
    # these schemas, so a field added in code but not here (or in docs/API.md) fails.
    closed = {"additionalProperties": False}
    link = {"type": "object", "required": ["assetUrl"], "properties": {"assetUrl": {"type": "string"}}}
    draft = output.DRAFT_SCHEMA
    return {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "string"},
                "message": {"type": "string", "description": "Korean, for the artist"},
                "details": {"type": "object", "properties": {"field": {"type": "string"}}},
            }}}},
        "GenerationRequest": {"type": "object", "required": ["category", "stage", "keywords"],
                              # one photo: uploadId or photoSource, not both
                              "not": {"required": ["uploadId", "photoSource"],
                                      "properties": {"uploadId": {"type": "string"}, "photoSource": {"type": "object"}}},
                              "properties": {
            "category": {"type": "string", "enum": _enum(catalog.CATEGORIES)},
            "stage": {"type": "string", "enum": _enum(catalog.STAGES)},
            "keywords": {"type": "string", "minLength": 1, "maxLength": catalog.MAX_KEYWORDS_CHARS,
                         "allOf": [{"pattern": TEXT_PATTERN}, {"pattern": "\\S"}],
                         "description": "not blank; no control characters (line breaks become spaces)"},
            "description": {"type": "string", "maxLength": catalog.MAX_DESCRIPTION_CHARS, "pattern": TEXT_PATTERN},
            "uploadId": {"type": ["string", "null"], "pattern": "^[0-9a-f]{32}$",
                         "description": "id answered by POST /api/uploads"},
            "aspect": {"type": "string", "enum": _enum(catalog.ASPECTS), "default": catalog.DEFAULT_ASPECT,
                       "description": "one of GET /api/catalog's aspects (those the configured image model "
                                      "makes); another is 400 unsupported_aspect"},
            "variations": {"type": "integer", "minimum": 1, "maximum": catalog.MAX_VARIATIONS, "default": 1},
            "review": {"type": "boolean", "default": False,
                       "description": "pause for the artist to approve or edit the prompt"},
            "prompt": {"type": ["string", "null"], "maxLength": MAX_PROMPT_CHARS, "pattern": TEXT_PATTERN,
                       "description": "a ready English prompt: skips prompt writing (and review)"},
            "styleSource": {**output.STYLE_SOURCE_SCHEMA,
                            "description": "chapter style lock: an upload or an earlier generation's image "
                                           "(the caller's), given to the image model with every image"},
            "photoSource": {**output.STYLE_SOURCE_SCHEMA["oneOf"][1],
                            "description": "an earlier generation's image (the caller's) as the photo, "
                                           "instead of uploadId (both: 400)"},
        }},
        "CheckStatus": {
            "description": "the Durable check-status fields, on this app's routes and the caller's origin",
            "type": "object", **closed, "required": ["id", "statusQueryGetUri", "sendEventPostUri", "terminatePostUri"],
            "properties": {
                "id": {"type": "string"},
                "statusQueryGetUri": {"type": "string", "format": "uri",
                                      "description": "<origin>/api/generations/{instanceId}"},
                "sendEventPostUri": {"type": "string",
                                     "description": "<origin>/api/generations/{instanceId}/events/{eventName}"},
                "terminatePostUri": {"type": "string",
                                     "description": "<origin>/api/generations/{instanceId}/terminate?reason={text}"},
            }},
        "GenerationInstance": {
            "description": "the Durable status body of one generate_background instance",
            "type": "object", **closed,
            "required": ["name", "instanceId", "runtimeStatus", "input", "customStatus", "output", "createdTime",
                         "lastUpdatedTime"],
            "properties": {
                "name": {"const": "generate_background"},
                "instanceId": {"type": "string"},
                "runtimeStatus": {"type": "string", "enum": ["Pending", "Running", "Suspended", "ContinuedAsNew",
                                                             "Completed", "Failed", "Terminated", "Canceled"]},
                "input": {"type": ["object", "null"], "description": "the orchestration input (docs/API.md)"},
                "customStatus": {"anyOf": [_ref("GenerationStatus"), {"type": "null"}]},
                "output": {"anyOf": [_ref("GenerationOutput"), _ref("CancelledOutput"),
                                     {"type": ["string", "null"], "description": "Failed: the reason; "
                                                                                  "Terminated: the reason given"}]},
                "createdTime": {"type": "string", "format": "date-time"},
                "lastUpdatedTime": {"type": "string", "format": "date-time"},
            }},
        "Reference": {"type": "object", **closed,
                      "required": ["id", "caption", "tags", "category", "stage", "score", "assetUrl"],
                      "properties": {
                          "id": {"type": "integer"}, "caption": {"type": "string"},
                          "tags": {"type": "array", "items": {"type": "string"}},
                          "category": {"type": "string"}, "stage": {"type": "string"},
                          "score": {"type": "number"}, "blob": {"type": "string"},
                          "assetUrl": {"type": "string"}}},
        "GenerationStatus": {
            "description": "customStatus of generate_background, set at every step",
            "type": "object", **closed, "required": ["stage", "stageLabel", "progress", "references", "draft",
                                                     "awaitingApproval", "warnings"],
            "properties": {
                "stage": {"type": "string", "enum": step_values},
                "stageLabel": {"type": "string"},
                "progress": {"type": "number", "minimum": 0, "maximum": 1},
                "references": {"type": "array", "items": _ref("Reference")},
                "draft": draft,
                "awaitingApproval": {"type": "boolean"},
                "warnings": {"type": "array", "items": {"type": "string"}},
                "error": {"type": "object", **closed, "required": ["code", "message"],
                          "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
            }},
        "Asset": output.ASSET_SCHEMA,
        "GenerationOutput": output.OUTPUT_SCHEMA,  # written with build_output, in one place
        "CancelledOutput": output.CANCELLED_SCHEMA,
        "HistoryPage": {"type": "object", "required": ["items", "page", "pageSize", "total"], "properties": {
            "items": {"type": "array", "items": {"type": "object", **closed, "properties": {
                "instanceId": {"type": "string"}, "createdAt": {"type": "string", "format": "date-time"},
                "status": {"type": "string", "enum": ["completed", "failed", "cancelled"]},
                "error": {"description": "failed / cancelled: the Korean error the artist saw; completed: null",
                          "anyOf": [{"type": "null"}, {"type": "object", **closed, "required": ["code", "message"],
                                                       "properties": {"code": {"type": "string"},
                                                                      "message": {"type": "string"}}}]},
                "category": {"type": "string"}, "stage": {"type": "string"},
                "keywords": {"type": "string"}, "description": {"type": "string"}, "aspect": {"type": "string"},
                "title": {"type": "string"}, "prompt": {"type": "string"},
                "images": {"type": "array", "items": {"type": "object", "properties": {
                    "index": {"type": "integer"}, "thumbnail": link, "png": link, "psd": link}}}}}},
            "page": {"type": "integer"}, "pageSize": {"type": "integer"}, "total": {"type": "integer"}}},
        "Catalog": {"type": "object", "properties": {
            "categories": {"type": "array", "items": {"type": "object", "properties": {
                "value": {"type": "string"}, "label": {"type": "string"}}}},
            "stages": {"type": "array", "items": {"type": "object", "properties": {
                "value": {"type": "string"}, "label": {"type": "string"}}}},
            "aspects": {"type": "array", "items": {"type": "object", "properties": {
                "value": {"type": "string"}, "label": {"type": "string"},
                "width": {"type": "integer"}, "height": {"type": "integer"}}}},
            "defaultAspect": {"type": "string"}, "defaultStage": {"type": "string"},
            "maxVariations": {"type": "integer"}, "maxKeywordsChars": {"type": "integer"},
            "maxUploadBytes": {"type": "integer"},
            "speechService": {"type": "boolean", "description": "whether Azure Speech is configured"},
            "maxDescriptionChars": {"type": "integer"},
            "steps": {"type": "array", "items": {"type": "object", "properties": {
                "value": {"type": "string"}, "label": {"type": "string"}, "progress": {"type": "number"}}}},
            "lineWeights": {"type": "array", "items": {"type": "object", "properties": {
                "value": {"type": "string"}, "label": {"type": "string"}}}},
            "details": {"type": "array", "items": {"type": "object", "properties": {
                "value": {"type": "string"}, "label": {"type": "string"}}}},
        }},
        "LayersRequest": {"type": "object", "required": ["uploadId"], "properties": {
            "uploadId": {"type": "string", "pattern": "^[0-9a-f]{32}$", "description": "from POST /api/uploads"},
            "lineWeight": {"type": "string", "enum": list(catalog.LINE_WEIGHT_LABELS),
                           "default": catalog.DEFAULT_LAYER_OPTION, "description": "선화 굵기: 가는 선 / 보통 / 굵은 선"},
            "detail": {"type": "string", "enum": list(catalog.DETAIL_LABELS), "default": catalog.DEFAULT_LAYER_OPTION,
                       "description": "how many regions and lines: 낮음 / 보통 / 높음"}}},
        "Upload": {"type": "object", "required": ["id", "width", "height", "url", "assetUrl"], "properties": {
            "id": {"type": "string"}, "width": {"type": "integer"}, "height": {"type": "integer"},
            "url": {"type": "string"}, "assetUrl": {"type": "string"}}},
    }


def openapi_path(route: str) -> str:
    """Functions route template → OpenAPI path: "assets/{*path}" → "/api/assets/{path}"."""
    return f"{ROUTE_PREFIX}/" + re.sub(r"\{\*?([A-Za-z_][A-Za-z0-9_]*)(:[^}]*)?\??\}", r"{\1}", route.strip("/"))


def document(server_url: str | None = None) -> dict:
    paths: dict[str, dict] = {}
    for ep in ENDPOINTS:
        operation = {"operationId": ep.operation_id, "summary": ep.summary, "tags": [ep.tag],
                     "responses": ep.responses}
        if ep.description:
            operation["description"] = ep.description
        if ep.parameters:
            operation["parameters"] = ep.parameters
        if ep.request_body:
            operation["requestBody"] = ep.request_body
        if ep.method != "get" or ep.tag in ("generations", "references", "speech"):
            operation["responses"] = {**ep.responses, "500": _error("internal_error")}
        paths.setdefault(openapi_path(ep.route), {})[ep.method] = operation
    doc = {
        "openapi": "3.1.0",
        "info": {
            "title": "Webtoon background generator",
            "version": "1.0.0",
            "description": "Korean scene descriptions become webtoon backgrounds and layered PSDs. Every error "
                           "is {\"error\": {\"code\", \"message\"}} with a Korean message.",
        },
        "paths": paths,
        "components": {"schemas": _schemas()},
    }
    if server_url:
        doc["servers"] = [{"url": server_url}]
    return doc
