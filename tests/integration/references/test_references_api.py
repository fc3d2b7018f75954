"""The sample reference set end to end: drawn by scripts/sample_references.py, loaded by the ingest,
found through GET /api/references/search with working thumbnail links (Azurite SAS)."""

from __future__ import annotations

import collections
import json
import urllib.request

import azure.functions as func
import pytest

from shared.core.catalog import CATEGORIES, STAGES
from tests.app_functions import app_functions


def _functions() -> dict:
    return {name: fn.get_user_function() for name, fn in app_functions().items()}


def _search(**params):
    req = func.HttpRequest("GET", "http://localhost/api/references/search", body=b"",
                           params={k: str(v) for k, v in params.items()})
    resp = _functions()["search_reference_images"](req)
    return resp.status_code, json.loads(resp.get_body())


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory):
    from scripts.sample_references import generate

    folder = tmp_path_factory.mktemp("samples")
    generate(folder, log=lambda *_: None)
    return folder


@pytest.fixture
def loaded(app_env, embedding_env, postgres_url, sample_dir, monkeypatch):
    """The sample set ingested into a private database (the session's own references stay as they are)."""
    from shared.references.ingest import ingest
    from shared.storage import blobs as storage
    from tests.fixtures_model import private_database, use_database

    use_database(private_database(postgres_url, "references_api_test"), monkeypatch)
    storage.reset()
    report = ingest(sample_dir, sample_dir / "metadata.jsonl", progress=False, out=lambda *_: None)
    yield report
    storage.reset()


def test_sample_set_covers_every_category_and_stage(sample_dir):
    rows = [json.loads(line) for line in (sample_dir / "metadata.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 150
    per_cell = collections.Counter((r["category"], r["stage"]) for r in rows)
    assert set(per_cell) == {(c.value, s.value) for c in CATEGORIES for s in STAGES}
    assert min(per_cell.values()) >= 10
    assert all(any("가" <= ch <= "힣" for ch in r["caption"]) and r["tags"] for r in rows)
    assert len({(sample_dir / r["file"]).read_bytes() for r in rows}) == len(rows)  # all distinct images


def test_sample_stages_look_different(sample_dir):
    """콘티 is grey, 스케치 mostly white with black lines, the colour stages are coloured."""
    import numpy as np
    from PIL import Image

    def pixels(stage, name):
        return np.asarray(Image.open(sample_dir / "국내명소" / stage / name).convert("RGB")).astype(int)

    storyboard = pixels("콘티", "palace-1-storyboard.png")
    assert np.abs(storyboard[..., 0] - storyboard[..., 2]).max() == 0  # greyscale
    sketch = pixels("스케치", "palace-1-sketch.png")
    assert (sketch.min(axis=2) > 240).mean() > 0.6 and (sketch.max(axis=2) < 40).mean() > 0.02
    flat = pixels("채색 기본", "palace-1-flat.png")
    assert np.abs(flat[..., 0] - flat[..., 2]).mean() > 20
    flat_colours = len(np.unique(flat.reshape(-1, 3), axis=0))
    final_colours = len(np.unique(pixels("배경", "palace-1-final.png").reshape(-1, 3), axis=0))
    assert final_colours > 10 * flat_colours  # gradients, light and grain


def test_search_api_finds_sample_references_with_links(loaded):
    assert loaded.added >= 150 and not loaded.errors

    status, body = _search(q="경복궁 기와 지붕", category="국내명소", stage="배경", k=4)
    assert status == 200
    refs = body["references"]
    assert body["testModel"] is True
    assert len(refs) == 4
    assert all(r["category"] == "국내명소" and r["stage"] == "배경" for r in refs)
    assert "경복궁" in refs[0]["tags"]
    with urllib.request.urlopen(refs[0]["thumbnailUrl"], timeout=10) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"] == "image/jpeg"
        assert resp.read()[:2] == b"\xff\xd8"
    with urllib.request.urlopen(refs[0]["imageUrl"], timeout=10) as resp:
        assert resp.read()[:8] == b"\x89PNG\r\n\x1a\n"

    status, body = _search(q="떡볶이", k=3)
    assert status == 200 and body["references"][0]["category"] == "음식"
    assert "떡볶이" in body["references"][0]["tags"]


def test_search_api_errors_are_korean(loaded):
    status, body = _search(category="음식")
    assert status == 400 and body["error"]["code"] == "missing_query" and "검색어" in body["error"]["message"]
    status, body = _search(q="한옥", category="문화")  # the label instead of the value
    assert status == 400 and "분류" in body["error"]["message"]
    status, body = _search(q="한옥", k="many")
    assert status == 400 and body["error"]["code"] == "bad_k"
    status, body = _search(q="한옥", k=500)
    assert status == 400


def test_second_ingest_of_the_samples_loads_nothing(loaded, sample_dir):
    from shared.references.ingest import ingest

    again = ingest(sample_dir, sample_dir / "metadata.jsonl", progress=False, out=lambda *_: None)
    assert again.added == 0 and again.skipped == loaded.added
