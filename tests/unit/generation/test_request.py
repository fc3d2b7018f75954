"""shared.generation.request: every rule of a generation request, each naming its field in Korean."""

from __future__ import annotations

import pytest

from shared.core import catalog
from shared.core.errors import ValidationError
from shared.generation import request as generation

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


@pytest.mark.parametrize(("field", "value"), [("keywords", "\ud800"), ("keywords", "경복궁\x00"),
                                              ("description", "\x1b[2J"), ("prompt", "a\udfff")])
def test_lone_surrogates_and_control_characters_are_refused(field, value):
    # issue 14: "\ud800" in keywords was accepted (202) and the instance could never be stored
    assert "쓸 수 없는 문자" in _fails({**VALID, field: value}, field)


def test_line_breaks_become_spaces_where_the_field_is_one_line():
    req = generation.validate_request({**VALID, "keywords": "경복궁\n봄", "description": "첫 줄\n둘째 줄"}, "u")
    assert req.keywords == "경복궁 봄" and req.description == "첫 줄\n둘째 줄"


def test_variations_written_as_an_integral_number_are_that_integer():
    # the OpenAPI "integer" (JSON Schema) includes 2.0: schemathesis found it refused
    assert generation.validate_request({**VALID, "variations": 2.0}, "u").variations == 2
    assert "정수" in _fails({**VALID, "variations": 2.5}, "variations")
