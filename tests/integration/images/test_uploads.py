"""POST /api/uploads, GET /api/assets/{*path} and the uploads cleanup, called as the Functions host
would (function objects with func.HttpRequest) against the session's Azurite."""

from __future__ import annotations

import io
import json
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import azure.functions as func
import pytest
from PIL import Image

from shared.core import config
from shared.core.errors import NotFound
from shared.images import uploads as imaging
from shared.storage import blobs as storage
from shared.storage import lifecycle
from tests import sample_images as samples
from tests.app_functions import user_function


@pytest.fixture
def env(app_env):
    storage.reset()
    yield app_env
    storage.reset()


def _function(name: str):
    return user_function(name)


def _post(body: bytes, content_type: str = "application/octet-stream", headers: dict | None = None):
    req = func.HttpRequest("POST", "http://localhost/api/uploads", body=body,
                           headers={"Content-Type": content_type, "Content-Length": str(len(body)),
                                    **(headers or {})})
    return _function("upload_image")(req)


def _multipart(data: bytes, filename: str = "photo.jpg", content_type: str = "image/jpeg",
               field: str = "file") -> tuple[bytes, str]:
    boundary = f"----test{uuid.uuid4().hex}"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n메모\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _get_asset(path: str, params: dict | None = None):
    req = func.HttpRequest("GET", f"http://localhost/api/assets/{path}", body=b"", params=params or {},
                           route_params={"path": path})
    return _function("get_asset")(req)


def _json(resp) -> dict:
    assert resp.mimetype == "application/json"
    return json.loads(resp.get_body())


def _assert_korean_error(resp, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status
    body = _json(resp)
    assert set(body) == {"error"}
    error = body["error"]
    assert any("\uac00" <= ch <= "\ud7a3" for ch in error["message"]), error  # Hangul
    assert "Traceback" not in error["message"]
    if code:
        assert error["code"] == code
    return error


def _fetch(url: str) -> tuple[bytes, dict]:  # headers lower-cased
    assert urlsplit(url).hostname == "127.0.0.1"
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read(), {key.lower(): value for key, value in answer.headers.items()}


def test_raw_png_upload_is_stored_and_its_links_work(env):
    original = samples.png_bytes(samples.scene(300, 200))
    resp = _post(original, "image/png")

    assert resp.status_code == 201
    body = _json(resp)
    assert set(body) == {"id", "width", "height", "url", "assetUrl"}
    assert imaging.UPLOAD_ID.match(body["id"])
    assert (body["width"], body["height"]) == (300, 200)
    assert body["assetUrl"] == f"/api/assets/uploads/{body['id']}.png"
    assert resp.headers["Location"] == body["assetUrl"]

    stored, headers = _fetch(body["url"])
    assert headers["content-type"] == "image/png"
    assert stored == imaging.load_upload(body["id"])
    assert Image.open(io.BytesIO(stored)).size == (300, 200)
    props = storage.service().get_blob_client("uploads", f"{body['id']}.png").get_blob_properties()
    import hashlib

    assert props.metadata["sha256"] == hashlib.sha256(original).hexdigest()


def test_multipart_jpeg_is_rotated_stripped_and_fitted(env):
    photo = samples.jpeg_with_exif(samples.halves(2400, 1200), orientation=6, gps=True)
    body, content_type = _multipart(photo)
    resp = _post(body, content_type)

    assert resp.status_code == 201, resp.get_body()
    info = _json(resp)
    assert (info["width"], info["height"]) == (512, 1024)  # rotated to portrait, fitted within 1024
    stored = imaging.load_upload(info["id"])
    image = Image.open(io.BytesIO(stored))
    assert image.size == (512, 1024)
    top, bottom = image.getpixel((256, 50)), image.getpixel((256, 970))
    assert top[0] > 200 and top[2] < 60 and bottom[2] > 200 and bottom[0] < 60
    assert not image.getexif() and b"TestCam" not in stored


def test_multipart_without_file_field_is_400(env):
    body, content_type = _multipart(samples.png_bytes(samples.halves(10, 10)), field="picture")
    _assert_korean_error(_post(body, content_type), 400, "missing_file")


def test_declared_content_length_over_the_limit_is_413_before_reading(env):
    resp = _post(b"\x89PNG\r\n\x1a\n", "image/png", headers={"Content-Length": str(11 * 1024 * 1024)})
    error = _assert_korean_error(resp, 413, "payload_too_large")
    assert "10MB" in error["message"]


def test_actual_size_over_the_limit_is_413(env, monkeypatch):
    monkeypatch.setenv("UPLOAD_MAX_BYTES", "20000")
    config.reset_settings()
    big = samples.png_bytes(samples.scene(200, 200, seed=5))  # noisy: well over 20 kB
    assert len(big) > 20000
    # a lying (small) Content-Length does not help
    _assert_korean_error(_post(big, "image/png", headers={"Content-Length": "100"}), 413)
    body, content_type = _multipart(big, "big.png", "image/png")
    _assert_korean_error(_post(body, content_type), 413)
    assert _post(samples.png_bytes(samples.halves(20, 20)), "image/png").status_code == 201


@pytest.mark.parametrize("payload, content_type, filename", [
    ("안녕하세요, 이건 텍스트입니다.".encode(), "image/png", "note.png"),
    (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n", "image/png", "scan.png"),
])
def test_non_images_are_415_raw_and_multipart(env, payload, content_type, filename):
    _assert_korean_error(_post(payload, content_type), 415, "unsupported_media_type")
    body, multipart_type = _multipart(payload, filename, content_type)
    _assert_korean_error(_post(body, multipart_type), 415, "unsupported_media_type")


def test_decompression_bomb_is_400(env):
    error = _assert_korean_error(_post(samples.png_claiming(60000, 60000), "image/png"), 400,
                                 "image_too_many_pixels")
    assert "해상도" in error["message"]


def test_unknown_upload_id_is_not_found(env):
    with pytest.raises(NotFound) as exc:
        imaging.load_upload(uuid.uuid4().hex)
    assert exc.value.code == "upload_not_found" and "이미지" in exc.value.message
    with pytest.raises(NotFound):
        imaging.load_upload("../outputs/x")


def test_asset_redirects_to_a_fresh_sas_that_downloads_the_blob(env):
    resp = _post(samples.png_bytes(samples.halves(40, 30)), "image/png")
    upload_id = _json(resp)["id"]

    redirect = _get_asset(f"uploads/{upload_id}.png")
    assert redirect.status_code == 302
    assert redirect.headers["Cache-Control"] == "no-store"
    location = redirect.headers["Location"]
    assert "sig=" in location and "sp=r" in location
    data, _ = _fetch(location)
    assert data == imaging.load_upload(upload_id)

    download = _get_asset(f"uploads/{upload_id}.png", {"download": "1"})
    _, headers = _fetch(download.headers["Location"])
    assert headers["content-disposition"] == f"attachment; filename*=UTF-8''{upload_id}.png"


def test_asset_with_a_nested_name_in_outputs(env):
    name = f"{uuid.uuid4().hex}/1-thumb.webp"
    storage.upload("outputs", name, b"RIFF....WEBPthumb", "image/webp")
    redirect = _get_asset(f"outputs/{name}")
    assert redirect.status_code == 302
    assert _fetch(redirect.headers["Location"])[0] == b"RIFF....WEBPthumb"


@pytest.mark.parametrize("path", [
    "uploads/" + "0" * 32 + ".png",  # well-formed, missing
    "batch-in/anything.jsonl",  # not a served container
    "azure-webjobs-hosts/locks",
    "uploads/../batch-in/x.jsonl",
    "uploads/./x.png",
    "uploads//x.png",
    "uploads",
    "",
    "https://evil.example/x.png",
    "//evil.example/x.png",
    "uploads/x\\..\\y.png",
])
def test_asset_paths_that_are_not_served_are_404_json(env, path):
    _assert_korean_error(_get_asset(path), 404, "asset_not_found")


def test_batch_in_blob_exists_but_is_not_served(env):
    storage.upload("batch-in", "shots.jsonl", b"{}\n", "application/json")
    _assert_korean_error(_get_asset("batch-in/shots.jsonl"), 404)


def test_cleanup_deletes_only_expired_uploads(env, monkeypatch):
    upload_id = _json(_post(samples.png_bytes(samples.halves(20, 20)), "image/png"))["id"]
    name = f"{upload_id}.png"
    other = f"{uuid.uuid4().hex}/keep.png"
    storage.upload("outputs", other, b"x", "image/png")

    uploads = storage.service().get_container_client("uploads")
    assert lifecycle.delete_expired_uploads() == 0  # every upload of this session is fresh
    assert storage.exists("uploads", name)  # fresh: kept
    present = [blob.name for blob in uploads.list_blobs()]
    assert name in present
    later = datetime.now(UTC) + timedelta(days=1, minutes=5)
    assert lifecycle.delete_expired_uploads(now=later) == len(present)  # a day on, all of them expired
    assert not storage.exists("uploads", name)
    assert list(uploads.list_blobs()) == []
    assert storage.exists("outputs", other)  # other containers untouched
    with pytest.raises(NotFound):
        imaging.load_upload(upload_id)


def test_cleanup_timer_uses_the_retention_setting(env, monkeypatch):
    upload_id = _json(_post(samples.png_bytes(samples.halves(20, 20)), "image/png"))["id"]
    _function("cleanup_uploads")(None)
    assert storage.exists("uploads", f"{upload_id}.png")  # 1 day retention: kept
    monkeypatch.setenv("UPLOAD_RETENTION_DAYS", "0")
    config.reset_settings()
    _function("cleanup_uploads")(None)
    assert not storage.exists("uploads", f"{upload_id}.png")


def test_eight_parallel_worst_case_uploads_decode_within_the_budget(env, monkeypatch):
    """Issue 14's finding: a 150 KB PNG of 6300 x 6300 pixels, uploaded 8 times at once. Every upload
    is stored, and the bitmaps decoding at once never exceed the codec's budget (one at a time here)."""
    import threading

    from shared.images import codec

    budget = codec.DecodeBudget(codec.DECODE_BUDGET_BYTES)
    monkeypatch.setattr(codec, "DECODE_BUDGET", budget)
    picture = Image.new("RGB", (6300, 6300), (40, 90, 160))
    data = samples.png_bytes(picture, compress_level=9)
    assert len(data) < 200 * 1024 and 6300 * 6300 < codec.MAX_PIXELS
    one = codec.decode_cost(6300, 6300, "RGB", imaging.MAX_SIDE)
    handler = _function("upload_image")  # looked up once: the app is imported before the threads start
    headers = {"Content-Type": "image/png", "Content-Length": str(len(data))}
    answers, start = [], threading.Barrier(8)

    def upload():
        start.wait()
        answers.append(handler(func.HttpRequest("POST", "http://localhost/api/uploads", body=data,
                                                headers=headers)))

    threads = [threading.Thread(target=upload) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201] * 8
    assert {(_json(a)["width"], _json(a)["height"]) for a in answers} == {(1024, 1024)}
    assert budget.peak <= budget.total < 2 * one  # never two of these bitmaps at once
    assert budget.in_use == 0


def test_batch_results_are_not_served_to_anyone_through_assets(env):
    # before: /api/assets/batch-out/... handed any batch's results to any caller; the owner-checked
    # /api/batches/{name}/files/... route is the only way to them now
    storage.upload("batch-out", "someones-chapter/results.jsonl", b"{}\n", "application/json")
    _assert_korean_error(_get_asset("batch-out/someones-chapter/results.jsonl"), 404, "asset_not_found")
