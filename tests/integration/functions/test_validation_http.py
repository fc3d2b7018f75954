"""Bad input over HTTP against the real app on devhost: each rule answers its documented status, the
one error shape {"error": {"code", "message"}} and a Korean message (docs/API.md)."""

from __future__ import annotations

import json
import re
import uuid

import pytest
import requests

from shared.core import catalog
from tests.integration.generation.generation_client import assert_schema

pytestmark = pytest.mark.slow

VALID = {"category": "국내명소", "stage": "스케치", "keywords": "남산타워 야경"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _post(app_host, body=None, *, data=None, headers=None) -> requests.Response:
    return requests.post(f"{app_host.base_url}/api/generations", json=body, data=data, headers=headers, timeout=30)


def _error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/json")
    assert_schema("Error", response.json())
    error = response.json()["error"]
    assert error["code"] == code
    assert HANGUL.search(error["message"]), error["message"]
    assert "Traceback" not in response.text
    return error


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"category": "맛집"}, "category", "알 수 없는 분류"),
    ({"category": "명소"}, "category", "알 수 없는 분류"),  # the label is not the value
    ({"stage": "채색(기본)"}, "stage", "알 수 없는 작업 단계"),
    ({"stage": "수채화"}, "stage", "알 수 없는 작업 단계"),
    ({"keywords": ""}, "keywords", "키워드를 입력"),
    ({"keywords": None}, "keywords", "키워드를 입력"),
    ({"description": "가" * (catalog.MAX_DESCRIPTION_CHARS + 1)}, "description", "500자 이하"),
    ({"variations": 0}, "variations", "1에서 4 사이"),
    ({"variations": 5}, "variations", "1에서 4 사이"),
    ({"aspect": "16:9"}, "aspect", "알 수 없는 화면 비율"),
    ({"uploadId": "not-an-id"}, "uploadId", "형식"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_each_rule_answers_400_with_a_korean_message(app_host, change, field, words):
    body = {**VALID, **change}
    error = _error(_post(app_host, body), 400, "validation_error")
    assert words in error["message"]
    assert error["details"] == {"field": field}


def test_missing_keywords(app_host):
    body = dict(VALID)
    del body["keywords"]
    assert _error(_post(app_host, body), 400, "validation_error")["details"] == {"field": "keywords"}


def test_unknown_upload_is_404(app_host):
    error = _error(_post(app_host, {**VALID, "uploadId": "0" * 32}), 404, "upload_not_found")
    assert "사진" in error["message"] or "이미지" in error["message"]


def test_malformed_json_is_400(app_host):
    _error(_post(app_host, data='{"category": "음식",'.encode(), headers={"Content-Type": "application/json"}),
           400, "malformed_json")
    _error(_post(app_host, data=b'["a", "list"]', headers={"Content-Type": "application/json"}),
           400, "malformed_json")


def test_a_rejected_request_starts_nothing(app_host):
    accepted, rejected = f"받아들일 요청 {uuid.uuid4().hex}", f"거절될 요청 {uuid.uuid4().hex}"
    ok = _post(app_host, {**VALID, "keywords": accepted, "prompt": "a ready prompt", "aspect": "square"})
    assert ok.status_code == 202, ok.text
    _error(_post(app_host, {**VALID, "keywords": rejected, "variations": 9}), 400, "validation_error")
    listed = requests.get(f"{app_host.base_url}/runtime/webhooks/durabletask/instances",
                          params={"showInput": "true"}, timeout=30)
    assert listed.status_code == 200
    assert "x-ms-continuation-token" not in listed.headers  # every instance is in this one answer
    inputs = json.dumps([item.get("input") for item in listed.json()], ensure_ascii=False)
    assert accepted in inputs  # the listing does show what was started (other tests' may be there too)
    assert rejected not in inputs


def test_bad_paging_of_history_is_400(app_host):
    response = requests.get(f"{app_host.base_url}/api/generations", params={"pageSize": "500"}, timeout=30)
    assert _error(response, 400, "validation_error")["details"] == {"field": "pageSize"}


# Uploads: the imaging engineer tests the rules in depth; one request each through the real host.

def _upload(app_host, data: bytes, content_type: str) -> requests.Response:
    return requests.post(f"{app_host.base_url}/api/uploads", data=data, headers={"Content-Type": content_type},
                         timeout=60)


def test_oversize_upload_is_413(app_host):
    from tests.sample_images import png_bytes, scene

    data = png_bytes(scene(64, 64))
    data += b"\0" * (10 * 1024 * 1024 + 1 - len(data))
    _error(_upload(app_host, data, "image/png"), 413, "payload_too_large")


def test_non_image_upload_is_415(app_host):
    _error(_upload(app_host, b"%PDF-1.7 definitely not a picture" * 10, "image/png"), 415, "unsupported_media_type")


def test_decompression_bomb_is_400(app_host):
    from tests.sample_images import png_claiming

    response = _upload(app_host, png_claiming(50_000, 50_000), "image/png")
    assert response.status_code == 400, response.text
    assert HANGUL.search(response.json()["error"]["message"])
