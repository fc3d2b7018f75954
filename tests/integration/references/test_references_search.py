"""shared.references.search on clustered vectors with known answers (real PostgreSQL + pgvector)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from shared.core.catalog import CATEGORIES, STAGES

CLUSTERS = 8
PER_CLUSTER = 45
DIM = 512
CATEGORY_VALUES = [c.value for c in CATEGORIES]
STAGE_VALUES = [s.value for s in STAGES]
FAR_TAG = "청사초롱"


def _unit(rows):
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def refs_url(postgres_url):
    from tests.fixtures_model import private_database

    return private_database(postgres_url, "references_search_test")


@pytest.fixture
def refs_env(app_env, refs_url, monkeypatch):
    from tests.fixtures_model import use_database

    use_database(refs_url, monkeypatch)
    return refs_url


@pytest.fixture(scope="module")
def clustered(refs_url):
    """360 references in 8 clusters; category/stage assigned round-robin so each filter cuts across
    clusters. One reference carries a rare tag while its vectors sit in cluster 7."""
    import psycopg
    from pgvector.psycopg import register_vector

    from shared.references.store import NewReference, insert_batch

    rng = np.random.default_rng(42)
    centres = _unit(rng.normal(size=(CLUSTERS, DIM)))
    rows, meta = [], []
    for i in range(CLUSTERS * PER_CLUSTER):
        cluster = i % CLUSTERS
        image = _unit(centres[cluster] + rng.normal(scale=0.35 / np.sqrt(DIM) * 4, size=DIM))
        caption_vec = _unit(centres[cluster] + rng.normal(scale=0.35 / np.sqrt(DIM) * 4, size=DIM))
        category = CATEGORY_VALUES[i % 3]
        stage = STAGE_VALUES[(i // 3) % 5]
        tags = [f"군집{cluster}", "풍경"] + ([FAR_TAG] if i == 7 else [])
        caption = f"군집 {cluster}의 {i}번째 참고 그림"
        digest = hashlib.sha256(f"clustered-{i}".encode()).hexdigest()
        rows.append(NewReference(category, stage, tags, caption, f"test/{digest}.png", f"test/{digest}.jpg",
                                 digest, "test", "CC0", 64, 64, image, caption_vec))
        meta.append({"cluster": cluster, "category": category, "stage": stage, "image": image, "sha": digest})
    with psycopg.connect(refs_url, autocommit=True) as conn:
        register_vector(conn)
        inserted = insert_batch(conn, rows)
        ids = dict(conn.execute("SELECT sha256, id FROM reference_images").fetchall())
    assert len(inserted) == len(rows)
    for item in meta:
        item["id"] = ids[item["sha"]]
    return {"centres": centres, "meta": meta}


def _exact(meta, query, k, category=None, stage=None):
    pool = [m for m in meta if (category is None or m["category"] == category)
            and (stage is None or m["stage"] == stage)]
    scored = sorted(pool, key=lambda m: (-float(m["image"] @ query), m["id"]))
    return [m["id"] for m in scored[:k]]


def test_vector_search_finds_the_cluster(refs_env, clustered):
    from shared.references import search

    meta = clustered["meta"]
    for cluster in (0, 3, 5):
        query = clustered["centres"][cluster]
        found = search(text=None, image_embedding=query, category=None, stage=None, k=10)
        assert len(found) == 10
        assert {meta_by_id(meta, r.id)["cluster"] for r in found} == {cluster}
        assert [r.id for r in found] == _exact(meta, query, 10)
        assert [r.score for r in found] == sorted((r.score for r in found), reverse=True)


def meta_by_id(meta, ref_id):
    return next(m for m in meta if m["id"] == ref_id)


def test_filters_are_honoured_with_k_results(refs_env, clustered):
    """A category+stage filter keeps 1 row in 15; the answer equals the exact filtered ranking."""
    from shared.references import search

    meta = clustered["meta"]
    query = clustered["centres"][2]
    for category, stage in (("음식", "스케치"), ("국내명소", "배경"), ("한국문화", "채색 기본")):
        found = search(text=None, image_embedding=query, category=category, stage=stage, k=12)
        assert len(found) == 12
        assert all(r.category == category and r.stage == stage for r in found)
        assert [r.id for r in found] == _exact(meta, query, 12, category, stage)
    only_category = search(text=None, image_embedding=query, category="음식", stage=None, k=8)
    assert all(r.category == "음식" for r in only_category) and len(only_category) == 8


def test_hnsw_with_filter_needs_the_iterative_scan(refs_env, clustered):
    """On the HNSW path (forced here: at this size the planner prefers an exact scan) a 1-in-15 filter
    empties the candidate list unless pgvector keeps scanning (hnsw.iterative_scan)."""
    from pgvector import Vector

    from shared.db import pool as db
    from shared.references.store import _vector_ranking

    meta = clustered["meta"]
    query = clustered["centres"][2]
    where, params = "category = %(category)s AND stage = %(stage)s", {"category": "음식", "stage": "스케치"}
    found = {}
    with db.connection() as conn:
        for mode in ("off", "relaxed_order"):
            with conn.transaction():
                conn.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off")
                conn.execute("SELECT set_config('hnsw.iterative_scan', %s, true),"
                             " set_config('hnsw.ef_search', '10', true)", (mode,))
                plan = "\n".join(row[0] for row in conn.execute(
                    "EXPLAIN SELECT id FROM reference_images WHERE category = '음식' AND stage = '스케치'"
                    " ORDER BY image_embedding <=> %s LIMIT 12", (Vector(query),)))
                assert "reference_images_image_hnsw" in plan
                found[mode] = _vector_ranking(conn, "image_embedding", Vector(query), where, params, 12)
    assert len(found["off"]) < 12
    assert found["relaxed_order"] == _exact(meta, query, 12, "음식", "스케치")


def test_exact_tag_match_surfaces_even_when_the_vector_is_far(refs_env, clustered):
    from shared.references import search

    meta = clustered["meta"]
    tagged = next(m for m in meta if m["sha"] == hashlib.sha256(b"clustered-7").hexdigest())
    far_query = clustered["centres"][0]  # the tagged reference sits in cluster 7
    assert float(tagged["image"] @ far_query) < 0.5

    vector_only = search(text=None, image_embedding=far_query, text_embedding=far_query, category=None,
                         stage=None, k=6)
    assert tagged["id"] not in [r.id for r in vector_only]

    fused = search(text=f"{FAR_TAG}이 걸린 밤", text_embedding=far_query, category=None, stage=None, k=6)
    assert fused[0].id == tagged["id"]
    assert FAR_TAG in fused[0].tags
    # the rest still come from the vector side
    assert {meta_by_id(meta, r.id)["cluster"] for r in fused[1:]} == {0}


def test_results_are_deterministic(refs_env, clustered):
    from shared.references import search

    query = clustered["centres"][4]
    runs = [search(text="군집4 풍경", text_embedding=query, image_embedding=query, category="음식",
                   stage=None, k=6) for _ in range(3)]
    assert [[(r.id, r.score) for r in run] for run in runs] == [[(r.id, r.score) for r in runs[0]]] * 3


def test_text_only_search_without_a_model(refs_env, clustered, tmp_path, monkeypatch):
    """No embedding model: the search still answers from tags and captions."""
    from shared.core import config
    from shared.references import embedding, search

    monkeypatch.setenv("EMBEDDING_MODEL_DIR", str(tmp_path / "none"))
    config.reset_settings()
    embedding.reset()
    try:
        found = search(text="군집3", category=None, stage="콘티", k=5)
    finally:
        embedding.reset()
    assert len(found) == 5
    assert all("군집3" in r.tags and r.stage == "콘티" for r in found)


def test_bad_inputs_are_korean_validation_errors(refs_env, clustered):
    from shared.core.errors import ValidationError
    from shared.references import search

    with pytest.raises(ValidationError, match="분류"):
        search(text="궁궐", category="명소", stage=None)  # the label, not the value
    with pytest.raises(ValidationError, match="단계"):
        search(text="궁궐", category=None, stage="채색(기본)")
    with pytest.raises(ValidationError):
        search(text=None, category=None, stage=None)
    with pytest.raises(ValidationError, match="512"):
        search(text=None, image_embedding=[0.1] * 10, category=None, stage=None)


def test_fuse_adds_reciprocal_ranks():
    from shared.references.store import RRF_K, RankedList, fuse

    fused = fuse([RankedList("a", [1, 2, 3]), RankedList("b", [3, 1]), RankedList("t", [9], weight=2.0)], k=3)
    # 9: 2/61 beats 1: 1/61 + 1/62, which beats 3: 1/63 + 1/61
    assert [ref_id for ref_id, _ in fused] == [9, 1, 3]
    assert fused[1][1] == pytest.approx(1 / (RRF_K + 1) + 1 / (RRF_K + 2))


def test_query_terms_strip_particles():
    from shared.references import query_terms

    assert query_terms("경복궁의 기와, 한옥에서 비빔밥") == ["경복궁의", "경복궁", "기와", "한옥에서", "한옥", "비빔밥"]


def test_candidate_list_grows_with_the_table(refs_url):
    """Small tables keep pgvector's default ef_search (a larger one makes the planner pick an exact scan);
    from LARGE_TABLE_ROWS on, the larger list keeps recall (bench/search.py measures both)."""
    import psycopg

    from shared.references import store

    with psycopg.connect(refs_url) as conn:  # one transaction, rolled back: the statistics stay as they were
        small = store.configure_vector_scan(conn, 10)
        assert conn.execute("SHOW hnsw.ef_search").fetchone()[0] == str(small) == str(store.EF_SEARCH_SMALL)
        assert conn.execute("SHOW hnsw.iterative_scan").fetchone()[0] == "relaxed_order"
        assert store.configure_vector_scan(conn, 80) == 80  # never fewer candidates than asked for
        conn.execute("UPDATE pg_class SET reltuples = %s WHERE oid = %s::regclass",
                     (store.LARGE_TABLE_ROWS, store.TABLE))
        assert store.configure_vector_scan(conn, 10) == store.EF_SEARCH_LARGE
        conn.rollback()
