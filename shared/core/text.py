"""The one rule for text that comes from a user (keywords, description, prompt, search query, shot-list
fields, batch names), applied at the API edge before anything is stored or sent on.

- Lone surrogates (U+D800..U+DFFF: JSON may spell them as "\\ud800") and control characters (C0 other
  than tab, line feed and carriage return; DEL; C1) are refused: a Korean 400 naming the field. They
  cannot be stored (PostgreSQL refuses NUL, UTF-8 has no surrogates) and no artist types them.
- Tab, line feed and carriage return are kept in fields that may span lines (`multiline=True`:
  description, prompt); elsewhere each becomes one space (documented in docs/API.md).
- JSON bodies are checked for nesting depth before they are parsed (the parser recurses: 100k levels
  of [[[...]]] would be a RecursionError, i.e. a 500).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from shared.core.errors import ValidationError

MAX_JSON_DEPTH = 32  # the deepest body the API takes is 3 levels (a shot list line's object in a list)

# Refused everywhere: C0 controls but \t \n \r, DEL, C1 controls, and every surrogate code point (a
# Python str holds one only when it came unpaired, e.g. from the JSON escape "\ud800").
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAKS = re.compile("[\t\r\n]")
# The same rule as a JSON Schema pattern (ECMA-262), for shared.openapi: what clean_text refuses, less
# the surrogates (a JSON Schema string cannot hold a lone one).
TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"
# JSON string literals (whose brackets do not nest) and the brackets that do.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")

MSG_BAD_CHARACTERS = "{label}에 쓸 수 없는 문자(제어 문자 또는 깨진 글자)가 들어 있습니다. 지우고 다시 입력해 주세요."
MSG_TOO_DEEP = "요청 본문의 JSON이 너무 깊게 중첩되어 있습니다. (최대 {limit}단계)"

# Korean names of the fields a body may carry, for the generic check of a whole body (check_strings).
FIELD_LABELS: Mapping[str, str] = {
    "keywords": "키워드", "description": "장면 설명", "prompt": "프롬프트", "category": "분류",
    "stage": "작업 단계", "aspect": "화면 비율", "uploadId": "참고 사진 ID", "q": "검색어", "name": "배치 이름",
    "reason": "취소 사유",
}


def has_refused_characters(value: str) -> bool:
    return _REFUSED.search(value) is not None


def clean_text(value: str, field: str, label: str, *, multiline: bool = False) -> str:
    """`value` as the app keeps it, or a ValidationError (400, details.field = `field`) whose Korean
    message names `label`. Line breaks and tabs become spaces unless `multiline`."""
    if _REFUSED.search(value):
        raise ValidationError(MSG_BAD_CHARACTERS.format(label=label), details={"field": field})
    if not multiline:
        value = _LINE_BREAKS.sub(" ", value)
    return value


def without_refused(value: str) -> str:
    """`value` with the refused characters removed (for fields where a refusal would help nobody)."""
    return _REFUSED.sub("", value)


def label_of(field: str) -> str:
    return FIELD_LABELS.get(field, f"'{field}' 값")


def check_strings(value, field: str = "") -> None:
    """Refuse a parsed JSON body holding a refused character in any string, key or value (the field
    named is the top-level key it came under): no user string reaches a step unchecked."""
    if isinstance(value, str):
        clean_text(value, field or "body", label_of(field) if field else "요청 본문", multiline=True)
    elif isinstance(value, dict):
        for key, item in value.items():
            name = field or str(key)
            check_strings(str(key), name)
            check_strings(item, name)
    elif isinstance(value, list):
        for item in value:
            check_strings(item, field)


def check_json_depth(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> None:
    """A 400 (code malformed_json) when the JSON text nests arrays/objects deeper than `limit`;
    checked on the raw text, before a parser could recurse into it."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if raw.count(b"[") + raw.count(b"{") <= limit:  # the common case: no scan needed
        return
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                raise ValidationError(MSG_TOO_DEEP.format(limit=limit), code="malformed_json")
        else:
            depth -= 1
