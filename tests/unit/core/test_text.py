"""shared.core.text: the one rule for user text, and the JSON depth bound checked before parsing."""

from __future__ import annotations

import json

import pytest

from shared.core.errors import ValidationError
from shared.core.text import MAX_JSON_DEPTH, TEXT_PATTERN, check_json_depth, check_strings, clean_text


@pytest.mark.parametrize("bad", ["\ud800", "a\x00b", "\x1b[31m", "\x7f", "\x85", "x\udfff"])
def test_control_characters_and_lone_surrogates_are_refused_naming_the_field(bad):
    with pytest.raises(ValidationError) as caught:
        clean_text(bad, "keywords", "키워드")
    assert caught.value.status == 400 and caught.value.details == {"field": "keywords"}
    assert caught.value.message.startswith("키워드에 쓸 수 없는 문자")


def test_line_breaks_become_spaces_unless_the_field_spans_lines():
    assert clean_text("경복궁\t봄\r\n벚꽃", "keywords", "키워드") == "경복궁 봄  벚꽃"
    assert clean_text("첫 줄\n둘째 줄", "description", "장면 설명", multiline=True) == "첫 줄\n둘째 줄"
    assert clean_text("한옥 🏯 골목", "keywords", "키워드") == "한옥 🏯 골목"  # a paired surrogate is fine


def test_a_whole_body_is_checked_under_its_top_level_field():
    check_strings({"keywords": ["경복궁"], "n": 3, "ok": None})
    with pytest.raises(ValidationError) as caught:
        check_strings({"lines": [{"keywords": "x\x00"}]})
    assert caught.value.details == {"field": "lines"}
    with pytest.raises(ValidationError) as caught:
        check_strings({"bad\ud800key": 1})
    assert caught.value.details == {"field": "bad\ud800key"}


def test_json_nesting_is_bounded_before_parsing():
    check_json_depth(json.dumps({"a": [[{"b": [1]}]]}))
    check_json_depth("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    check_json_depth(json.dumps({"text": "[" * 10_000}))  # brackets inside a string do not nest
    with pytest.raises(ValidationError) as caught:
        check_json_depth(b"[" * 100_000 + b"]" * 100_000)
    assert caught.value.code == "malformed_json" and caught.value.status == 400
    with pytest.raises(ValidationError):
        check_json_depth('{"a": ' * (MAX_JSON_DEPTH + 1))


def test_the_schema_pattern_states_the_same_rule():
    import re

    pattern = re.compile(TEXT_PATTERN)
    for text in ("경복궁 봄", "줄\n바꿈\t탭", "🏯"):
        assert pattern.match(text)
    for bad in ("a\x00", "\x1b", "\x7f", "\x85"):
        assert not pattern.match(bad)
        with pytest.raises(ValidationError):
            clean_text(bad, "f", "필드")
