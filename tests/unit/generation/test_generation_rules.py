"""shared.generation without I/O: request rules, the caller, customStatus bookkeeping, errors carried
across the activity boundary, the review answer."""

from __future__ import annotations

import base64
import json

import pytest

from shared.core import catalog
from shared.core.config import Settings
from shared.core.errors import ContentFiltered, ValidationError
from shared.generation import steps as generation

VALID = {"category": "국내명소", "stage": "채색 기본", "keywords": "경복궁, 봄"}


def _fails(body: dict, field: str) -> str:
    with pytest.raises(ValidationError) as caught:
        generation.validate_request(body, "u1")
    assert caught.value.details == {"field": field}
    assert caught.value.status == 400
    return caught.value.message


def test_valid_request_takes_defaults_and_the_caller():
    req = generation.validate_request({**VALID, "description": "  비 오는 저녁  "}, "u1")
    assert (req.category, req.stage, req.aspect, req.variations, req.review) == ("국내명소", "채색 기본", "portrait", 1, False)
    assert req.description == "비 오는 저녁" and req.user_id == "u1" and req.prompt is None


def test_every_catalog_value_is_accepted():
    for cat in catalog.CATEGORIES:
        for st in catalog.STAGES:
            for asp in catalog.ASPECTS:
                req = generation.validate_request({**VALID, "category": cat.value, "stage": st.value,
                                                   "aspect": asp.value}, "u")
                assert (req.category, req.stage, req.aspect) == (cat.value, st.value, asp.value)


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"category": "맛집"}, "category", "알 수 없는 분류"),
    ({"category": None}, "category", "분류를 선택"),
    ({"stage": "채색(기본)"}, "stage", "알 수 없는 작업 단계"),  # the label is not the value
    ({"stage": ""}, "stage", "작업 단계를 선택"),
    ({"keywords": "   "}, "keywords", "키워드"),
    ({"keywords": "가" * (catalog.MAX_KEYWORDS_CHARS + 1)}, "keywords", f"{catalog.MAX_KEYWORDS_CHARS}자 이하"),
    ({"description": "가" * (catalog.MAX_DESCRIPTION_CHARS + 1)}, "description", "500자 이하"),
    ({"description": 5}, "description", "문자열"),
    ({"variations": 0}, "variations", "1에서 4 사이"),
    ({"variations": 5}, "variations", "1에서 4 사이"),
    ({"variations": "2"}, "variations", "정수"),
    ({"variations": True}, "variations", "정수"),
    ({"aspect": "wide"}, "aspect", "알 수 없는 화면 비율"),
    ({"aspect": ["square"]}, "aspect", "화면 비율"),  # a list is refused, not looked up (unhashable)
    ({"uploadId": "../etc/passwd"}, "uploadId", "형식"),
    ({"review": "yes"}, "review", "true 또는 false"),
    ({"prompt": "x" * (generation.MAX_PROMPT_CHARS + 1)}, "prompt", "이하"),
])
def test_each_rule_names_its_field_in_korean(change, field, words):
    body = {**VALID, **change}
    if change.get("category") is None and "category" in change:
        body.pop("category")
    assert words in _fails(body, field)


def test_boundaries_are_inclusive():
    req = generation.validate_request({**VALID, "description": "가" * catalog.MAX_DESCRIPTION_CHARS,
                                       "variations": catalog.MAX_VARIATIONS}, "u")
    assert len(req.description) == catalog.MAX_DESCRIPTION_CHARS and req.variations == 4


def test_keywords_may_come_as_a_list():
    assert generation.validate_request({**VALID, "keywords": ["경복궁", " 봄 "]}, "u").keywords == "경복궁, 봄"


def _principal(data) -> str:
    return base64.b64encode(json.dumps(data).encode()).decode()


def test_caller_is_the_principal_or_the_local_user():
    settings = Settings(local_user_id="me-local")
    assert generation.caller_id({}, settings) == "me-local"
    assert generation.caller_id({"x-ms-client-principal-id": "someone-else"}, settings) == "me-local"
    assert generation.caller_id({"X-MS-CLIENT-PRINCIPAL": _principal({"userId": "abc"})}, settings) == "abc"
    app_service = {"claims": [{"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier", "val": "oid-1"}]}
    assert generation.caller_id({"x-ms-client-principal": _principal(app_service)}, settings) == "oid-1"
    with pytest.raises(generation.Unauthenticated):
        generation.caller_id({"x-ms-client-principal": "%%%not base64"}, settings)
    with pytest.raises(generation.Unauthenticated):
        generation.caller_id({"x-ms-client-principal": _principal({"claims": []})}, settings)
    with pytest.raises(generation.Unauthenticated):
        generation.caller_id({"x-ms-client-principal": _principal({"claims": 5})}, settings)


def test_orchestration_input_freezes_the_review_settings():
    req = generation.validate_request({**VALID, "review": True}, "u")
    job = generation.orchestration_input(req, Settings(review_timeout_seconds=7, review_timeout_outcome="cancel"))
    assert job["review"] == {"enabled": True, "timeoutSeconds": 7, "timeoutOutcome": "cancel"}
    ready = generation.validate_request({**VALID, "review": True, "prompt": "a palace"}, "u")
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


def test_known_errors_survive_the_host_wrapping_them():
    def step():
        raise ContentFiltered()

    with pytest.raises(generation.StepFailed) as caught:
        generation.run_step(step, {})
    # The host turns the activity's failure into "Reason \n Details" with its own words around it.
    wrapped = Exception(f"Activity function 'generate_image' failed: {caught.value} \n Traceback ...")
    assert generation.error_from_failure(wrapped) == {"code": "content_filtered", "message": ContentFiltered().message}
    unknown = generation.error_from_failure(RuntimeError("disk on fire"))
    assert unknown["code"] == "internal_error" and "disk" not in unknown["message"]


def test_run_step_times_the_step():
    result = generation.run_step(lambda a: {"a": a}, {"a": 3})
    assert result["a"] == 3 and isinstance(result["ms"], int) and result["ms"] >= 0


def test_approved_prompt():
    draft = {"prompt": "draft prompt", "title": "t", "avoid": []}
    assert generation.approved_prompt({"prompt": "  edited  "}, draft) == ("edited", None)
    assert generation.approved_prompt('{"prompt": "as text"}', draft) == ("as text", None)
    prompt, warning = generation.approved_prompt({"prompt": ""}, draft)
    assert prompt == "draft prompt" and warning == generation.WARNING_EMPTY_APPROVAL
    assert generation.approved_prompt(None, draft)[0] == "draft prompt"


def test_paging():
    assert generation.paging({}) == (1, 20)
    assert generation.paging({"page": "3", "pageSize": "5"}) == (3, 5)
    for bad in ({"page": "0"}, {"page": "x"}, {"pageSize": "101"}):
        with pytest.raises(ValidationError):
            generation.paging(bad)
