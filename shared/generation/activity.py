"""Known errors across the activity boundary, and running one step as its activity.

A failed activity reaches the orchestration as an exception holding the activity's message (the host
adds its own words and the stack). The message carries the AppError between two markers, so the
orchestration (and a batch reading a failed sub-orchestration) gets back its code and Korean message.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from shared.core.errors import INTERNAL_ERROR_MESSAGE, AppError

log = logging.getLogger(__name__)

_MARK = "\u241eAPPERROR\u241e"


class StepFailed(Exception):
    """Raised by an activity for a known error: its text carries the AppError's code and message."""

    def __init__(self, error: AppError):
        self.error = {"code": error.code, "message": error.message}
        super().__init__(f"{_MARK}{json.dumps(self.error, ensure_ascii=False)}{_MARK}")


def error_from_failure(exc: BaseException) -> dict:
    """{"code", "message"} of a failed activity: the known error it carried, or the generic one."""
    parts = str(exc).split(_MARK)
    if len(parts) >= 3:
        try:
            error = json.loads(parts[1])
            if isinstance(error, dict) and error.get("code") and error.get("message"):
                return {"code": error["code"], "message": error["message"]}
        except ValueError:
            pass
    return {"code": "internal_error", "message": INTERNAL_ERROR_MESSAGE}


def run_step(step: Callable[..., dict], payload) -> dict:
    """Run one step for its activity: time it and turn known errors into StepFailed. `payload` is the
    step's job (shared.generation.job), or the keyword arguments of a plain step as a dict."""
    started = time.perf_counter()
    try:
        result = step(**payload) if isinstance(payload, dict) else step(payload)
    except AppError as exc:
        log.warning("step %s failed: %s (%s)", step.__name__, exc.code, exc.message)
        raise StepFailed(exc) from exc
    result = dict(result)
    result["ms"] = round((time.perf_counter() - started) * 1000)
    return result


def refusal(error: AppError) -> dict:
    """A known error answered as the step's result instead of raised: for a step the orchestration
    retries on infrastructure failures (generate_image), a provider's refusal must not be retried."""
    return {"refused": {"code": error.code, "message": error.message}}


def raise_refusal(result: dict) -> dict:
    """In the orchestration: the step's result, or its refusal raised as the known error it is."""
    refused = result.get("refused")
    if refused:
        raise StepFailed(AppError(refused["message"], code=refused["code"]))
    return result
