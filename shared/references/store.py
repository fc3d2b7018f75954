"""The reference store in PostgreSQL (table reference_images, migration 0002) and its search.

search() ranks candidates from up to four lists and fuses them by reciprocal rank fusion (RRF):
  - the query text's embedding against the reference images (KoCLIP is trained text ↔ image),
  - the query text's embedding against the caption embeddings,
  - the artist's photo embedding against the reference images (when a photo is given),
  - tag and caption text match (exact tags first, then words found in caption/tags, then trigrams),
  - Korean lemma match (shared.references.korean: 궁궐에서 → 궁궐, N서울타워 → 남산타워, 설경 → 눈 + 겨울)
    on the GIN-indexed reference_lemmas table (migration 0006), each query lemma weighted by what it says
    (the two text lists live in text_match.py).
Each vector list is an HNSW cosine scan filtered by category/stage; pgvector's iterative index scan
keeps reading the graph until enough rows pass the filter. Connections come from shared.db's pool.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shared.core.catalog import CATEGORY_BY_VALUE, STAGE_BY_VALUE
from shared.core.errors import ServiceNotConfigured, ValidationError
from shared.core.models import Reference
from shared.references.tables import LEMMAS_TABLE, TABLE
from shared.references.text_match import spare_pooled_connection, text_rankings

log = logging.getLogger(__name__)

RRF_K = 60  # the usual RRF constant: damps the difference between the very top ranks
MAX_K = 50
DEFAULT_K = 6
MAX_QUERY_CHARS = 200  # a search box query; longer text (a pasted page) is refused, not analysed
MIN_CANDIDATES = 40  # per list
# HNSW's candidate list (hnsw.ef_search) grows with the table. pgvector's default of 40 reaches recall@10
# 0.99 at 20,000 rows but fell to 0.87 at 200,000 (bench/search.py); 100 brings that back to 0.99. A large
# ef_search on a small table makes the planner price HNSW above an exact scan (seen from 80 at 20,000
# rows), so the larger list is used only where it is needed.
EF_SEARCH_SMALL = 40
EF_SEARCH_LARGE = 100
LARGE_TABLE_ROWS = 100_000
EMBEDDING_DIM = 512
LEMMA_WEIGHT = 2.0  # the lemma list against the trigram list (bench/search_quality.py)
MAX_TEXT_CHARS = 2000  # search() from the generation step: a description is cut, never refused


@dataclass(frozen=True)
class RankedList:
    name: str
    ids: list[int]
    weight: float = 1.0


def _vector(value):
    """A pgvector Vector from a list or numpy array, checked for size; None stays None."""
    if value is None:
        return None
    import numpy as np
    from pgvector import Vector

    array = np.asarray(value, dtype=np.float32).reshape(-1)
    if array.shape[0] != EMBEDDING_DIM:
        raise ValidationError(f"임베딩의 크기가 {EMBEDDING_DIM}이어야 합니다 (받은 크기 {array.shape[0]}).",
                              code="bad_embedding")
    return Vector(array)


def search_query(params: Mapping[str, str]) -> dict:
    """The keyword arguments of search() from GET /api/references/search's q, category, stage and k,
    or a Korean ValidationError (category, stage and k's range are checked by search itself).
    Control characters count as spaces; a query without a single letter or digit (emoji only) is
    refused rather than answered with whatever the vectors find nearest."""
    from shared.references.korean import clean

    text = clean(params.get("q"))
    if not text:
        raise ValidationError("검색어(q)를 입력해 주세요.", code="missing_query")
    if len(text) > MAX_QUERY_CHARS:
        raise ValidationError(f"검색어는 {MAX_QUERY_CHARS}자 이하로 입력해 주세요 (받은 길이 {len(text)}자).",
                              code="query_too_long")
    if not any(ch.isalnum() for ch in text):
        raise ValidationError("검색어에 글자나 숫자가 없습니다. 찾을 장면을 글로 적어 주세요.", code="query_without_words")
    raw_k = (params.get("k") or "").strip()
    try:
        k = int(raw_k) if raw_k else DEFAULT_K
    except ValueError:
        raise ValidationError("k는 정수여야 합니다.", code="bad_k") from None
    return {"text": text, "category": params.get("category") or None, "stage": params.get("stage") or None, "k": k}


def validate_filters(category: str | None, stage: str | None, k: int) -> int:
    if category is not None and category not in CATEGORY_BY_VALUE:
        raise ValidationError(f"알 수 없는 분류입니다: {category}", code="unknown_category")
    if stage is not None and stage not in STAGE_BY_VALUE:
        raise ValidationError(f"알 수 없는 단계입니다: {stage}", code="unknown_stage")
    if not 1 <= int(k) <= MAX_K:
        raise ValidationError(f"k는 1에서 {MAX_K} 사이여야 합니다.", code="bad_k")
    return int(k)


def _filters(category: str | None, stage: str | None) -> tuple[str, dict]:
    clauses, params = [], {}
    if category is not None:
        clauses.append("category = %(category)s")
        params["category"] = category
    if stage is not None:
        clauses.append("stage = %(stage)s")
        params["stage"] = stage
    return (" AND ".join(clauses) or "TRUE"), params


def configure_vector_scan(conn, limit: int) -> int:
    """For this transaction: filtered HNSW scans keep going until `limit` rows pass the filter
    (pgvector's iterative scan), with a candidate list sized to the table. Returns the ef_search used."""
    rows = conn.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", (TABLE,)).fetchone()[0]
    ef_search = max(EF_SEARCH_LARGE if rows >= LARGE_TABLE_ROWS else EF_SEARCH_SMALL, limit)
    conn.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true),"
                 " set_config('hnsw.ef_search', %s, true)", (str(ef_search),))
    return ef_search


def _vector_ranking(conn, column: str, query, where: str, params: dict, limit: int) -> list[int]:
    # relaxed_order lets the iterative scan return rows slightly out of order: the materialised CTE is
    # re-sorted by exact distance (pgvector's documented pattern), ties broken by id.
    sql = (f"WITH candidates AS MATERIALIZED ("
           f" SELECT id, {column} <=> %(query)s AS distance FROM {TABLE}"
           f" WHERE {where} AND {column} IS NOT NULL ORDER BY distance LIMIT %(limit)s)"
           f" SELECT id FROM candidates ORDER BY distance, id")
    rows = conn.execute(sql, {**params, "query": query, "limit": limit}).fetchall()
    return [row[0] for row in rows]


def fuse(lists: Sequence[RankedList], k: int) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: each list adds weight / (RRF_K + rank); ties go to the lower id."""
    scores: dict[int, float] = {}
    for ranked in lists:
        for rank, ref_id in enumerate(ranked.ids, start=1):
            scores[ref_id] = scores.get(ref_id, 0.0) + ranked.weight / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]


def _embed_query_text(text: str):
    from shared.references import embedding

    try:
        return embedding.embed_texts([text])[0]
    except ServiceNotConfigured:
        log.warning("no embedding model: searching references by text match only")
        return None


def search(*, text: str | None = None, text_embedding=None, image_embedding=None,
           category: str | None = None, stage: str | None = None, k: int = DEFAULT_K) -> list[Reference]:
    """The k references that best fit the query within the category/stage (None: any), best first,
    each with its fused score. The text is embedded here when no text_embedding is given."""
    from shared.db import pool as db
    from shared.references.korean import clean

    k = validate_filters(category, stage, k)
    text = clean(text)[:MAX_TEXT_CHARS] or None  # NUL and other control characters never reach SQL
    if text and text_embedding is None:
        text_embedding = _embed_query_text(text)
    text_vector, image_vector = _vector(text_embedding), _vector(image_embedding)
    if text is None and text_vector is None and image_vector is None:
        raise ValidationError("검색어나 이미지를 하나 이상 주세요.", code="empty_query")

    limit = max(MIN_CANDIDATES, 4 * k)
    where, params = _filters(category, stage)
    lists: list[RankedList] = []
    with db.connection() as conn, conn.transaction():
        configure_vector_scan(conn, limit)
        if text_vector is not None:
            lists.append(RankedList("text→image", _vector_ranking(conn, "image_embedding", text_vector,
                                                                 where, params, limit)))
            lists.append(RankedList("text→caption", _vector_ranking(conn, "caption_embedding", text_vector,
                                                                   where, params, limit)))
        if image_vector is not None:
            lists.append(RankedList("image→image", _vector_ranking(conn, "image_embedding", image_vector,
                                                                  where, params, limit)))
        if text:
            # The artist's own words weigh as much as all the vector evidence together: an exact tag
            # match must not drown under references that are merely near in embedding space. The
            # lemma match reads those words best (inflections, synonyms, what they imply) and weighs
            # LEMMA_WEIGHT times as much as the trigram match, which still catches typos.
            weight = float(max(1, len(lists)))
            trigram, lemmas = text_rankings(conn, text, where, params, limit, spare_pooled_connection)
            lists.append(RankedList("text match", trigram, weight))
            lists.append(RankedList("lemmas", lemmas, weight * LEMMA_WEIGHT))
        fused = fuse(lists, k)
        if not fused:
            return []
        rows = conn.execute(
            f"SELECT id, category, stage, caption, tags, blob_name, source, thumbnail_blob FROM {TABLE}"
            " WHERE id = ANY(%s)",
            ([ref_id for ref_id, _ in fused],)).fetchall()
    by_id = {row[0]: row for row in rows}
    return [Reference(id=ref_id, category=by_id[ref_id][1], stage=by_id[ref_id][2], caption=by_id[ref_id][3],
                      tags=list(by_id[ref_id][4]), blob_name=by_id[ref_id][5], score=round(score, 6),
                      source=by_id[ref_id][6], thumbnail_blob=by_id[ref_id][7] or "")
            for ref_id, score in fused if ref_id in by_id]


@dataclass
class NewReference:
    """One row to load (ingest)."""

    category: str
    stage: str
    tags: list[str]
    caption: str
    blob_name: str
    thumbnail_blob: str
    sha256: str
    source: str
    license: str
    width: int
    height: int
    image_embedding: object  # numpy (512,) float32
    caption_embedding: object | None


INSERT_COLUMNS = ("category", "stage", "tags", "caption", "blob_name", "thumbnail_blob", "sha256", "source",
                  "license", "width", "height", "image_embedding", "caption_embedding")
_COPY_TYPES = ["text", "text", "text[]", "text", "text", "text", "text", "text", "text", "int4", "int4",
               "vector", "vector"]


def insert_batch(conn, rows: Sequence[NewReference]) -> set[str]:
    """Load rows in one transaction with binary COPY; rows whose sha256 is already stored are skipped.

    COPY goes into a temporary staging table and moves over with ON CONFLICT DO NOTHING: a plain COPY
    into the table would fail the whole batch on one duplicate, and an interrupted batch leaves nothing
    behind (the transaction rolls back), so a rerun loads each row exactly once. The Korean lemmas of
    each inserted row go into reference_lemmas in the same transaction. Returns the sha256 of the rows
    inserted.
    """
    if not rows:
        return set()
    columns = ", ".join(INSERT_COLUMNS)
    with conn.transaction():
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS reference_staging ("
            " category text, stage text, tags text[], caption text, blob_name text, thumbnail_blob text,"
            " sha256 text, source text, license text, width integer, height integer,"
            " image_embedding vector(512), caption_embedding vector(512)) ON COMMIT DELETE ROWS")
        with conn.cursor() as cur:
            with cur.copy(f"COPY reference_staging ({columns}) FROM STDIN WITH (FORMAT BINARY)") as copy:
                copy.set_types(_COPY_TYPES)
                for row in rows:
                    copy.write_row([getattr(row, name) for name in INSERT_COLUMNS])
            inserted = cur.execute(
                f"INSERT INTO {TABLE} ({columns}) SELECT DISTINCT ON (sha256) {columns} FROM reference_staging"
                f" ORDER BY sha256 ON CONFLICT (sha256) DO NOTHING RETURNING id, sha256").fetchall()
        by_sha = {row.sha256: row for row in rows}
        _store_lemmas(conn, [(ref_id, by_sha[sha].category, by_sha[sha].stage, by_sha[sha].caption, by_sha[sha].tags)
                             for ref_id, sha in inserted])
    return {sha for _, sha in inserted}


def _store_lemmas(conn, refs: Sequence[tuple]) -> None:
    """(id, category, stage, caption, tags) → their reference_lemmas rows, computed now (upsert)."""
    from shared.references import korean

    if not refs:
        return
    version = korean.lemmas_version()
    conn.execute(
        f"INSERT INTO {LEMMAS_TABLE} (id, category, stage, lemmas, subject, version)"
        f" SELECT u.id, u.category, u.stage, ARRAY(SELECT jsonb_array_elements_text(u.lemmas)),"
        f"  ARRAY(SELECT jsonb_array_elements_text(u.subject)), %s"
        f" FROM jsonb_to_recordset(%s::jsonb) AS u(id bigint, category text, stage text, lemmas jsonb, subject jsonb)"
        f" ON CONFLICT (id) DO UPDATE SET lemmas = EXCLUDED.lemmas, subject = EXCLUDED.subject,"
        f"  version = EXCLUDED.version",
        (version, json.dumps([{"id": ref_id, "category": category, "stage": stage,
                               "lemmas": korean.document_lemmas(caption, list(tags or [])),
                               "subject": korean.subject_lemmas(list(tags or []))}
                              for ref_id, category, stage, caption, tags in refs], ensure_ascii=False)))


def refresh_lemmas(conn, batch_size: int = 500) -> int:
    """Compute the lemmas of references that have none (stored before migration 0006 or loaded
    around insert_batch) or whose lemmas come from other concept tables. Returns how many."""
    from shared.references import korean

    version = korean.lemmas_version()
    updated = 0
    while True:
        with conn.transaction():
            refs = conn.execute(
                f"SELECT r.id, r.category, r.stage, r.caption, r.tags FROM {TABLE} AS r"
                f" LEFT JOIN {LEMMAS_TABLE} AS l ON l.id = r.id WHERE l.id IS NULL OR l.version <> %s"
                f" ORDER BY r.id LIMIT %s FOR UPDATE OF r SKIP LOCKED", (version, batch_size)).fetchall()
            if not refs:
                return updated
            _store_lemmas(conn, refs)
            updated += len(refs)


def existing_sha256(conn, digests: Sequence[str]) -> set[str]:
    rows = conn.execute(f"SELECT sha256 FROM {TABLE} WHERE sha256 = ANY(%s)", (list(digests),)).fetchall()
    return {row[0] for row in rows}


def as_json(ref: Reference) -> dict:
    """A reference as the API shows it (docs/API.md, Ref), with its permanent asset link."""
    from shared.storage import assets
    from shared.storage import blobs as storage

    blob = f"{storage.REFERENCES}/{ref.blob_name}"
    return {
        "id": ref.id, "caption": ref.caption, "tags": list(ref.tags or []), "category": ref.category,
        "stage": ref.stage, "score": round(float(ref.score or 0.0), 4), "blob": blob, "assetUrl": assets.link(blob),
    }


def with_links(found: Sequence[Reference]) -> list[dict]:
    """References as the search API shows them: the Ref fields of docs/API.md plus read-only links
    (SAS, at most SAS_TTL_MINUTES) to the thumbnail and the full image."""
    from shared.storage import blobs as storage

    return [
        {**as_json(ref),
         "thumbnailUrl": storage.read_url(storage.REFERENCES, ref.thumbnail_blob or ref.blob_name),
         "imageUrl": storage.read_url(storage.REFERENCES, ref.blob_name)}
        for ref in found
    ]


def count(conn=None) -> int:
    from shared.db import pool as db

    if conn is not None:
        return conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    with db.connection() as pooled:
        return pooled.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
