"""A generation that loses its references still delivers, and says so: over HTTP on devhost, with the
embedding model missing, and with a database that has no reference table at all."""

from __future__ import annotations

import pytest

from shared.db.schema import MIGRATIONS_DIR
from shared.generation import job as generation
from tests.integration.generation.generation_client import GenerationClient

pytestmark = pytest.mark.slow

REQUEST = {"category": "국내명소", "stage": "배경", "keywords": "남산타워 야경", "aspect": "square"}


def test_without_the_embedding_model_the_search_matches_words_only(start_app_host, tmp_path):
    host = start_app_host(EMBEDDING_MODEL_DIR=str(tmp_path / "no-model-here"))
    status = GenerationClient(host.base_url).run(REQUEST)
    assert status["runtimeStatus"] == "Completed", status
    out = status["output"]
    assert generation.WARNING_EMBEDDING_FAILED in out["warnings"]
    assert generation.WARNING_REFERENCES_FAILED not in out["warnings"]
    assert "embed_query" not in out["timings"] and "search_references" in out["timings"]
    # The words alone still find the sample set's Namsan references (tagged 남산타워).
    assert out["references"], out["warnings"]
    assert all((ref["category"], ref["stage"]) == ("국내명소", "배경") for ref in out["references"])
    assert "남산타워" in out["references"][0]["tags"], out["references"][0]
    assert out["images"] and out["images"][0]["psd"]["url"]


@pytest.fixture
def database_without_references(postgres_url):
    """A second database on the session's server with the extensions and `generations` only."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    name = "webtoon_no_references"
    with psycopg.connect(make_conninfo(postgres_url, dbname="postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    url = make_conninfo(postgres_url, dbname=name)
    with psycopg.connect(url, autocommit=True) as conn:
        for path in sorted(MIGRATIONS_DIR.glob("*.sql")):  # every migration but the reference tables' own
            sql = path.read_text(encoding="utf-8")
            if "reference_images" not in sql and "reference_lemmas" not in sql:
                conn.execute(sql)
    yield url


def test_a_failing_reference_search_is_a_warning_not_a_failure(start_app_host, database_without_references):
    host = start_app_host(POSTGRES_URL=database_without_references)
    client = GenerationClient(host.base_url)
    seen: list[dict] = []
    status = client.run(REQUEST, seen=seen)
    assert status["runtimeStatus"] == "Completed", status
    out = status["output"]
    assert out["references"] == []
    assert generation.WARNING_REFERENCES_FAILED in out["warnings"]
    assert generation.WARNING_REFERENCES_FAILED in seen[-1]["warnings"]
    assert out["images"] and client.download(out["images"][0]["png"]["url"])[:8] == b"\x89PNG\r\n\x1a\n"
    # The row was still recorded.
    listed = client.http.get(client.url("/api/generations"), timeout=30).json()
    assert status["instanceId"] in [item["instanceId"] for item in listed["items"]]
