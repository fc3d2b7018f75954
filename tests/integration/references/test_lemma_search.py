"""Korean lemma search on real PostgreSQL: the reference_lemmas table and its GIN index (0005/0006), the
lemma list's ranking, recomputing stale lemmas, and the search API's answers to bad queries."""

from __future__ import annotations

import hashlib
import json

import azure.functions as func
import numpy as np
import pytest

from tests.app_functions import app_functions

# (scene, caption, tags): what a small library holds
LIBRARY = [
    ("palace-day", "벚꽃 핀 맑은 봄날 낮 경복궁 근정전의 기와 지붕", ["경복궁", "궁궐", "봄", "낮"]),
    ("palace-snow-night", "눈 내리는 겨울 밤 경복궁 근정전의 기와 지붕", ["경복궁", "궁궐", "겨울", "눈", "밤"]),
    ("palace-evening", "단풍 든 가을 저녁 노을 경복궁 근정전의 기와 지붕", ["경복궁", "궁궐", "가을", "노을"]),
    ("bridge-snow-night", "눈 내리는 겨울 밤 한강 위를 가로지르는 다리", ["한강", "다리", "겨울", "눈", "밤"]),
    ("namsan", "남산 위에 선 N서울타워와 도시 빌딩들", ["남산", "남산타워", "서울"]),
    ("stall", "비 내리는 여름 낮 주황색 천막의 포장마차와 어묵 꼬치", ["포장마차", "천막", "어묵", "비"]),
    # both stored under 한옥; the alley has fewer lemmas, but its subject (first tag) is the lanterns
    ("hanok", "기와지붕 한옥과 나무 창살문, 돌담이 있는 마당", ["한옥", "기와", "창살", "돌담", "마당"]),
    ("lantern-alley", "한옥 골목의 청사초롱", ["청사초롱", "한옥", "골목"]),
]


@pytest.fixture(scope="module")
def lemma_url(postgres_url):
    from tests.fixtures_model import private_database

    return private_database(postgres_url, "references_lemma_test")


@pytest.fixture
def lemma_env(app_env, lemma_url, monkeypatch, tmp_path):
    """This test's database, and no embedding model: only the text lists rank."""
    from shared.core import config
    from shared.references import embedding
    from tests.fixtures_model import use_database

    use_database(lemma_url, monkeypatch)
    monkeypatch.setenv("EMBEDDING_MODEL_DIR", str(tmp_path / "no-model"))
    config.reset_settings()
    embedding.reset()
    yield lemma_url
    embedding.reset()


@pytest.fixture(scope="module")
def library(lemma_url):
    import psycopg
    from pgvector.psycopg import register_vector

    from shared.references.store import NewReference, insert_batch

    rng = np.random.default_rng(7)
    rows = []
    for scene, caption, tags in LIBRARY:
        digest = hashlib.sha256(scene.encode()).hexdigest()
        vector = rng.normal(size=512).astype(np.float32)
        rows.append(NewReference("국내명소", "배경", tags, caption, f"t/{digest}.png", f"t/{digest}.jpg", digest, "test",
                                 "CC0", 8, 8, vector / np.linalg.norm(vector), None))
    with psycopg.connect(lemma_url, autocommit=True) as conn:
        register_vector(conn)
        insert_batch(conn, rows)
        return {sha: scene for sha, scene in ((hashlib.sha256(s.encode()).hexdigest(), s) for s, _, _ in LIBRARY)}


def _scenes(ids, library):
    import psycopg

    from shared.core.config import get_settings

    with psycopg.connect(get_settings().postgres_url) as conn:
        by_id = dict(conn.execute("SELECT id, sha256 FROM reference_images").fetchall())
    return [library[by_id[ref_id]] for ref_id in ids]


def test_lemmas_are_stored_with_an_index(lemma_env, library):
    import psycopg

    with psycopg.connect(lemma_env) as conn:
        lemmas = dict(conn.execute("SELECT r.caption, l.lemmas FROM reference_images AS r"
                                   " JOIN reference_lemmas AS l ON l.id = r.id").fetchall())
        index = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'reference_lemmas_lemmas'").fetchone()
    assert {"눈", "겨울", "밤", "경복궁", "궁궐", "기와", "지붕"} <= set(lemmas[LIBRARY[1][1]])
    assert "남산타워" in lemmas[LIBRARY[4][1]]  # N서울타워 in the caption, canonical in the lemmas
    assert index and "gin" in index[0].lower()


@pytest.mark.parametrize(("query", "first"), [
    ("눈 내리는 궁궐 밤", "palace-snow-night"),  # subject and every cue
    ("궁궐에서 본 노을", "palace-evening"),
    ("엔서울타워", "namsan"),
    ("비 오는 날 포차에서", "stall"),
    ("설경 속 한강 다리", "bridge-snow-night"),
    ("포장마챠", "stall"),  # a typo, read as the nearest stored lemma
    ("한옥", "hanok"),  # equal lemma scores: the reference whose subject it is first
    ("청사초롱 걸린 골목", "lantern-alley"),
])
def test_the_lemma_list_ranks_subject_then_cues(lemma_env, library, query, first):
    from shared.db import pool as db
    from shared.references import search, text_match

    with db.connection() as conn:
        lemma_ids = text_match.lemma_ranking(conn, query, "TRUE", {}, 10)
    assert _scenes(lemma_ids, library)[0] == first
    assert _scenes([ref.id for ref in search(text=query, k=3)], library)[0] == first  # fused with trigrams


def test_a_snowy_night_palace_query_puts_palaces_before_the_snowy_night_bridge(lemma_env, library):
    from shared.references import search

    scenes = _scenes([ref.id for ref in search(text="눈 내리는 궁궐 밤", k=6)], library)
    assert scenes.index("bridge-snow-night") > scenes.index("palace-day")


def test_stale_lemmas_are_recomputed(lemma_env, library):
    import psycopg

    from shared.references import korean
    from shared.references.store import refresh_lemmas

    with psycopg.connect(lemma_env, autocommit=True) as conn:
        ids = [conn.execute("SELECT id FROM reference_images WHERE caption = %s", (LIBRARY[i][1],)).fetchone()[0]
               for i in (0, 1)]
        conn.execute("UPDATE reference_lemmas SET lemmas = '{}', version = 0 WHERE id = %s", (ids[0],))  # stale
        conn.execute("DELETE FROM reference_lemmas WHERE id = %s", (ids[1],))  # never computed
        assert refresh_lemmas(conn) == 2
        assert refresh_lemmas(conn) == 0
        stored = dict(conn.execute("SELECT id, lemmas FROM reference_lemmas WHERE id = ANY(%s)", (ids,)).fetchall())
        versions = {row[0] for row in conn.execute("SELECT version FROM reference_lemmas")}
    assert [stored[ids[i]] for i in (0, 1)] == [korean.document_lemmas(*LIBRARY[i][1:]) for i in (0, 1)]
    with psycopg.connect(lemma_env, autocommit=True) as conn:
        subjects = dict(conn.execute("SELECT id, subject FROM reference_lemmas WHERE id = ANY(%s)", (ids,)).fetchall())
    assert [subjects[ids[i]] for i in (0, 1)] == [["경복궁"], ["경복궁"]]
    assert versions == {korean.lemmas_version()}


def test_deleting_a_reference_deletes_its_lemmas(lemma_env, library):
    import psycopg

    with psycopg.connect(lemma_env) as conn, conn.transaction(force_rollback=True):
        ref_id = conn.execute("SELECT id FROM reference_images ORDER BY id LIMIT 1").fetchone()[0]
        conn.execute("DELETE FROM reference_images WHERE id = %s", (ref_id,))
        assert conn.execute("SELECT count(*) FROM reference_lemmas WHERE id = %s", (ref_id,)).fetchone()[0] == 0


def _search_api(**params):
    fn = app_functions()["search_reference_images"].get_user_function()
    req = func.HttpRequest("GET", "http://localhost/api/references/search", body=b"", params=params)
    resp = fn(req)
    return resp.status_code, json.loads(resp.get_body())


def _hangul(text: str) -> bool:
    return any("가" <= ch <= "힣" for ch in text)


@pytest.mark.parametrize("q", ["", "   ", "궁" * 10_000, "😀🎉✨🌙", "\x00\x01\x1f", "\u200b\u200b"])
def test_bad_queries_are_a_korean_400(lemma_env, library, q):
    status, body = _search_api(q=q)
    assert status == 400
    assert _hangul(body["error"]["message"])


@pytest.mark.parametrize("q", ["궁궐\x00밤", "\x07남산타워\x1b", "궁궐 😀 밤"])
def test_control_characters_and_emoji_beside_words_are_searched_as_spaces(lemma_env, library, q):
    status, body = _search_api(q=q, k="3")
    assert status == 200
    assert body["query"] == " ".join(body["query"].split()) and "\x00" not in body["query"]
    assert body["references"]


def test_the_lemma_list_beside_the_text_match_gives_what_it_gives_in_sequence(lemma_env, library):
    """text_match.text_rankings runs the lemma list on a second connection while the first runs the trigram
    list; with no spare connection it runs afterwards on the first. Both give the lists run one by one."""
    import contextlib
    import threading

    import psycopg

    from shared.references import text_match

    query = "눈 내리는 궁궐 밤"
    with psycopg.connect(lemma_env, autocommit=True) as conn, psycopg.connect(lemma_env, autocommit=True) as other:
        sequence = (text_match.text_ranking(conn, query, "TRUE", {}, 10), text_match.lemma_ranking(conn, query, "TRUE", {}, 10))
        used = []

        @contextlib.contextmanager
        def spare():
            used.append(threading.current_thread().name)
            yield other

        assert text_match.text_rankings(conn, query, "TRUE", {}, 10, spare) == sequence
        assert used and used[0].startswith("lemma-list")  # it did run in the other thread
        assert text_match.text_rankings(conn, query, "TRUE", {}, 10, lambda: contextlib.nullcontext(None)) == sequence
    assert sequence[1] and _scenes(sequence[1], library)[0] == "palace-snow-night"


def test_search_with_a_pool_of_one_connection_still_answers(lemma_env, library, monkeypatch):
    """The lemma list's spare connection is only borrowed if one is free: a pool of one does not wait
    on itself (the lemma list then runs after the text match on the search's own connection)."""
    from shared.db import pool as db
    from shared.references import search, text_match

    db.close_pool()
    monkeypatch.setenv("POSTGRES_POOL_MAX", "1")
    from shared.core import config

    config.reset_settings()
    monkeypatch.setattr(text_match, "SPARE_CONNECTION_WAIT_SECONDS", 0.05)
    try:
        assert db.pool().max_size == 1
        found = search(text="설경 속 한강 다리", k=3)
    finally:
        db.close_pool()
        monkeypatch.delenv("POSTGRES_POOL_MAX")
        config.reset_settings()  # the next test gets the usual pool
    assert _scenes([ref.id for ref in found], library)[0] == "bridge-snow-night"
