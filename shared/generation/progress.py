"""Following one generation through the app's own routes (/api/generations/{instanceId}...).

In Azure the site is served by Static Web Apps with the Function App linked as its /api backend: only
/api/* on the site's origin reaches the app, and the Durable Functions webhook URLs
(/runtime/webhooks/durabletask/..., carrying the extension's system key in `code=`) neither reach it
from there nor may be handed to a browser (that key controls every instance). So the starter answers
with management URLs under /api/generations/{instanceId} on the caller's origin, and those routes
answer like the Durable HTTP API, through the Durable client, for the owner of the instance only.

Pure shaping and rules: the triggers (functions/orchestrator) do the client calls.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from shared.core.errors import AppError, NotFound, ValidationError
from shared.core.text import clean_text, without_refused
from shared.generation.job import APPROVAL_EVENT

RUNNING_LIKE = ("Pending", "Running", "Suspended", "ContinuedAsNew")
RETRY_AFTER_SECONDS = 1
MAX_REASON_CHARS = 200
ALLOWED_EVENTS = (APPROVAL_EVENT,)
DEFAULT_TERMINATE_REASON = "작가가 취소함"  # the Terminated instance's output: shown, so Korean

MSG_NOT_FOUND = "생성 작업을 찾을 수 없습니다."
MSG_GONE = "이미 끝난 생성 작업입니다."
MSG_UNKNOWN_EVENT = "보낼 수 없는 이벤트입니다: {name} (가능한 값: " + ", ".join(ALLOWED_EVENTS) + ")"
MSG_PROMPT_TYPE = "프롬프트는 문자열이어야 합니다."

# The Durable client's own sentences for a gone or missing instance. Only these: its texts also carry
# the instance id, whose hex digits may well contain "404" or "410".
_CLIENT_GONE = re.compile(r"\bis gone\b|\bstatus code 410\b")
_CLIENT_MISSING = re.compile(r"^No instance with ID\b|\bstatus code 404\b")


class GenerationGone(AppError):
    status = 410
    code = "generation_finished"


def not_found() -> NotFound:
    return NotFound(MSG_NOT_FOUND, code="generation_not_found")


# --- URLs ---------------------------------------------------------------------------------------

def request_origin(url: str, headers: Mapping[str, str]) -> str:
    """scheme://host[:port] the caller used. Behind Static Web Apps the app sees its own host name in
    the request URL; the platform passes the site's URL in x-ms-original-url, which wins when present."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for candidate in (lowered.get("x-ms-original-url"), url):
        if not candidate:
            continue
        parts = urlsplit(candidate)
        if parts.scheme in ("http", "https") and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}"
    raise ValueError(f"no origin in request URL {url!r}")


def management_urls(origin: str, instance_id: str) -> dict:
    """The check-status payload with the app's own routes: same fields and placeholders as the
    Durable payload ({eventName} in sendEventPostUri, {text} for the reason), no system key.
    purge/restart/suspend/resume are left out: the app offers no route for them."""
    base = f"{origin.rstrip('/')}/api/generations/{quote(instance_id, safe='')}"
    return {
        "id": instance_id,
        "statusQueryGetUri": base,
        "sendEventPostUri": f"{base}/events/{{eventName}}",
        "terminatePostUri": f"{base}/terminate?reason={{text}}",
    }


def check_status_headers(urls: dict) -> dict:
    return {"Location": urls["statusQueryGetUri"], "Retry-After": str(RETRY_AFTER_SECONDS)}


# --- Status -------------------------------------------------------------------------------------

def _runtime_status(status) -> str | None:
    value = getattr(status, "runtime_status", None)
    if value is None:
        return None
    return getattr(value, "name", None) or str(value)


def _time(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.replace(microsecond=0).isoformat() + "Z"  # as Durable: 2026-11-25T01:02:03Z
    return str(value)


def _json_value(value):
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def owner_of(status) -> str | None:
    """The user id the starter put in the orchestration input (request.user_id)."""
    data = _json_value(getattr(status, "input_", None))
    if isinstance(data, dict) and isinstance(data.get("request"), dict):
        owner = data["request"].get("user_id")
        return owner if isinstance(owner, str) else None
    return None


def owned(status, user_id: str, orchestration: str | tuple[str, ...]) -> str:
    """The instance's runtimeStatus when it exists, is one of `orchestration` (a name or several) and
    belongs to `user_id`; otherwise 404 (another user's instance looks exactly like one that does not exist)."""
    names = (orchestration,) if isinstance(orchestration, str) else orchestration
    runtime = _runtime_status(status)
    if (status is None or runtime is None or not getattr(status, "instance_id", None)
            or getattr(status, "name", None) not in names or owner_of(status) != user_id):
        raise not_found()
    return runtime


def status_answer(status, user_id: str, orchestration: str | tuple[str, ...], status_url: str) -> tuple[int, dict, dict]:
    """(HTTP status, body, headers) as the Durable status endpoint answers: 202 with Location and
    Retry-After while Pending/Running/Suspended/ContinuedAsNew, 200 once terminal."""
    runtime = owned(status, user_id, orchestration)
    body = {
        "name": status.name,
        "instanceId": status.instance_id,
        "runtimeStatus": runtime,
        "input": _json_value(getattr(status, "input_", None)),
        "customStatus": _json_value(getattr(status, "custom_status", None)),
        "output": _json_value(getattr(status, "output", None)),
        "createdTime": _time(getattr(status, "created_time", None)),
        "lastUpdatedTime": _time(getattr(status, "last_updated_time", None)),
    }
    if runtime in RUNNING_LIKE:
        return 202, body, {"Location": status_url, "Retry-After": str(RETRY_AFTER_SECONDS)}
    return 200, body, {}


def ensure_running(runtime: str) -> None:
    """410 once the instance has ended (events and terminate no longer apply)."""
    if runtime not in RUNNING_LIKE:
        raise GenerationGone(MSG_GONE)


# --- Events and terminate -----------------------------------------------------------------------

def event_payload(event_name: str, body) -> dict:
    """The data of an allowed event: prompt_approved carries {"prompt": <string>} (empty keeps the
    draft, as the orchestration decides)."""
    if event_name not in ALLOWED_EVENTS:
        raise ValidationError(MSG_UNKNOWN_EVENT.format(name=event_name), code="unknown_event",
                              details={"field": "eventName"})
    prompt = body.get("prompt")
    if prompt is None:
        prompt = ""
    if not isinstance(prompt, str):
        raise ValidationError(MSG_PROMPT_TYPE, details={"field": "prompt"})
    return {"prompt": clean_text(prompt, "prompt", "프롬프트", multiline=True)}


def terminate_reason(params: Mapping[str, str]) -> str:
    reason = without_refused(params.get("reason") or "").strip()  # free text, only shown: cleaned, not refused
    return reason[:MAX_REASON_CHARS] or DEFAULT_TERMINATE_REASON


def client_failure(exc: Exception) -> AppError | None:
    """The Durable client's error for raise_event/terminate as our answer (it raises plain
    Exceptions whose text names the webhook's status): gone → 410, missing → 404."""
    text = str(exc)
    if _CLIENT_GONE.search(text):
        return GenerationGone(MSG_GONE)
    if _CLIENT_MISSING.search(text):
        return not_found()
    return None
