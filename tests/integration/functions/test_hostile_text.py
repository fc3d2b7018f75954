"""Hostile text over HTTP against the real app on devhost (issue 14): lone surrogates, NUL and other
control characters, and deeply nested JSON are a Korean 400 naming the field, never a 202 that can
never finish nor a 500 (shared.core.text is the one rule)."""

from __future__ import annotations

import re

import pytest
import requests

from shared.core.text import MAX_JSON_DEPTH
from tests.integration.generation.generation_client import assert_schema

pytestmark = pytest.mark.slow

VALID = {"category": "국내명소", "stage": "스케치", "keywords": "남산타워 야경", "prompt": "a ready prompt",
         "aspect": "square"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")
JSON = {"Content-Type": "application/json"}


def _korean_400(response: requests.Response, field: str | None, code: str = "validation_error") -> dict:
    assert response.status_code == 400, (response.status_code, response.text)
    assert_schema("Error", response.json())
    error = response.json()["error"]
    assert error["code"] == code and HANGUL.search(error["message"]), error
    if field is not None:
        assert error["details"] == {"field": field}
    return error


@pytest.mark.parametrize(("field", "raw"), [
    ("keywords", '"\\ud800"'),            # a lone surrogate: was 202, then the instance never finished
    ("keywords", '"경복궁\\u0000봄"'),     # NUL: was 202, then failed after its image was made
    ("description", '"저녁\\u001b[31m"'),
    ("prompt", '"a palace\\udfff"'),
])
def test_refused_characters_in_a_generation_are_a_400_naming_the_field(app_host, field, raw):
    body = ", ".join(f'"{k}": "{v}"' for k, v in VALID.items() if k != field)
    response = requests.post(f"{app_host.base_url}/api/generations", data=f'{{{body}, "{field}": {raw}}}'.encode(),
                             headers=JSON, timeout=30)
    error = _korean_400(response, field)
    assert "쓸 수 없는 문자" in error["message"]


def test_line_breaks_in_keywords_become_spaces_and_the_generation_starts(app_host):
    response = requests.post(f"{app_host.base_url}/api/generations",
                             json={**VALID, "keywords": "남산타워\n야경\t봄"}, timeout=30)
    assert response.status_code == 202, response.text
    status = requests.get(response.json()["statusQueryGetUri"], timeout=30).json()
    assert status["input"]["request"]["keywords"] == "남산타워 야경 봄"


@pytest.mark.parametrize("route", ["/api/generations", "/api/generations/x/events/prompt_approved"])
def test_deeply_nested_json_is_a_400_not_a_500(app_host, route):
    deep = b"[" * 100_000 + b"]" * 100_000
    _korean_400(requests.post(f"{app_host.base_url}{route}", data=deep, headers=JSON, timeout=60),
                None, "malformed_json")
    nested = ('{"keywords": ' + "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1) + "}").encode()
    _korean_400(requests.post(f"{app_host.base_url}{route}", data=nested, headers=JSON, timeout=60),
                None, "malformed_json")


def test_a_nul_in_the_search_query_is_not_a_500(app_host):
    response = requests.get(f"{app_host.base_url}/api/references/search", params={"q": "남산\x00타워"}, timeout=60)
    assert response.status_code in (200, 400), response.text  # removed (documented) or refused, never a 500
    if response.status_code == 200:
        assert "\x00" not in response.json()["query"]


def test_a_nul_in_an_instance_id_or_a_reason_is_not_a_500(app_host):
    assert requests.get(f"{app_host.base_url}/api/generations/abc%00def", timeout=30).status_code == 404
    started = requests.post(f"{app_host.base_url}/api/generations", json={**VALID, "review": False}, timeout=30)
    assert started.status_code == 202, started.text
    url = started.json()["terminatePostUri"].replace("{text}", "%00%1b%ED%A0%80")
    assert requests.post(url, timeout=30).status_code in (202, 410)
