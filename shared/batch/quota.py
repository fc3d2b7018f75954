"""Batch lines count against their owner's quota (shared.generation.quota): a place is reserved for
each line just before its generation starts, under the line's fixed instance id, so a replay or a
repeated activity reserves nothing twice. The generation frees its place on the paid model when it
ends (its last step), as one started from the site does."""

from __future__ import annotations

from shared.core.errors import RateLimited
from shared.generation import quota

IMAGE_MODEL_BUSY = "image_model_busy"  # the global cap: a place frees soon, so the line waits and asks again


def reserve_line(generation_input: dict, instance: str) -> dict:
    """Activity work: {"reserved": True}, or {"reserved": False, "error": {code, message} (Korean),
    "retryAfter": seconds} when the owner's quota (or, for everyone, the paid model) has no room."""
    request = generation_input["request"]
    try:
        quota.reserve(request["user_id"], instance, int(request.get("variations") or 1))
    except RateLimited as exc:
        return {"reserved": False, "error": {"code": exc.code, "message": exc.message},
                "retryAfter": float(exc.retry_after or 30)}
    return {"reserved": True}
