"""shared.generation.job without I/O: the orchestration input, customStatus bookkeeping, the review answer."""

from __future__ import annotations

from shared.core import catalog
from shared.core.config import Settings
from shared.generation import job as generation
from shared.generation.request import validate_request

VALID = {"category": "국내명소", "stage": "채색 기본", "keywords": "경복궁, 봄"}


def test_orchestration_input_freezes_the_review_settings():
    req = validate_request({**VALID, "review": True}, "u")
    job = generation.orchestration_input(req, Settings(review_timeout_seconds=7, review_timeout_outcome="cancel"))
    assert job["review"] == {"enabled": True, "timeoutSeconds": 7, "timeoutOutcome": "cancel"}
    ready = validate_request({**VALID, "review": True, "prompt": "a palace"}, "u")
    assert generation.orchestration_input(ready, Settings())["review"]["enabled"] is False


def test_run_status_follows_the_steps():
    run = generation.Run()
    assert run.status()["stage"] == "queued" and run.status()["progress"] == 0
    progress = []
    for value, label, _ in catalog.STEPS[:-2]:
        status = run.enter(value)
        assert status["stageLabel"] == label
        progress.append(status["progress"])
        assert status["awaitingApproval"] is (value == "review")
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert run.took({"ms": 12, "x": 1}) == {"x": 1} and run.timings["done"] == 12
    run.warn("w")
    run.warn("w")
    assert run.status()["warnings"] == ["w"]
    failed = run.fail({"code": "c", "message": "m"})
    assert failed["stage"] == "failed" and failed["error"] == {"code": "c", "message": "m"}


def test_approved_prompt():
    draft = {"prompt": "draft prompt", "title": "t", "avoid": []}
    assert generation.approved_prompt({"prompt": "  edited  "}, draft) == ("edited", None)
    assert generation.approved_prompt('{"prompt": "as text"}', draft) == ("as text", None)
    prompt, warning = generation.approved_prompt({"prompt": ""}, draft)
    assert prompt == "draft prompt" and warning == generation.WARNING_EMPTY_APPROVAL
    assert generation.approved_prompt(None, draft)[0] == "draft prompt"
