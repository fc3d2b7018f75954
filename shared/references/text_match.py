"""The text side of the reference search: the artist's words against captions and tags.

- text_ranking: tag and caption text match (exact tags first, then words found in caption/tags, then
  trigrams), on reference_images' tag and trigram indexes;
- lemma_ranking: Korean lemma match (shared.references.korean: 궁궐에서 → 궁궐, N서울타워 → 남산타워,
  설경 → 눈 + 겨울) on the GIN-indexed reference_lemmas table, each query lemma weighted by what it says;
- text_rankings: both, the lemma list on a second connection beside the text match.
shared.references.store.search fuses them with the vector lists.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager

from shared.references.korean import without_particle
from shared.references.tables import LEMMAS_TABLE, TABLE

SPARE_CONNECTION_WAIT_SECONDS = 0.1  # for the lemma list's own connection; without one it waits its turn
_WORD = re.compile(r"[\w]+", re.UNICODE)


def query_terms(text: str | None) -> list[str]:
    """Distinct words of a query, plus each word without a trailing particle, in order."""
    terms: list[str] = []
    for word in _WORD.findall(text or ""):
        for term in (word, without_particle(word)):  # without its particle too, so it can meet a tag
            if term and term not in terms:
                terms.append(term)
    return terms[:20]


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_ranking(conn, text: str, where: str, params: dict, limit: int) -> list[int]:
    """References whose tags or caption hold the query's words: exact tags first, then words found in
    the caption or tags, then trigram similarity (which also catches typos).

    The rows are found in two parts joined by UNION: tag or word matches (a scan of the category: a
    1-2 syllable word gives the trigram index nothing to look up) and trigram-similar rows (the
    trigram index). In one WHERE with OR, the similarity test ran on every row of the category."""
    terms = query_terms(text)
    if not terms:
        return []
    sql = (f"SELECT id FROM ("
           f" SELECT id,"
           f"  cardinality(ARRAY(SELECT unnest(tags) INTERSECT SELECT unnest(%(terms)s::text[]))) AS tag_hits,"
           f"  (SELECT count(*) FROM unnest(%(patterns)s::text[]) AS p WHERE search_text ILIKE p) AS word_hits,"
           f"  similarity(search_text, %(text)s) AS trigram"
           f" FROM {TABLE} WHERE id IN ("
           f"  SELECT id FROM {TABLE} WHERE {where}"
           f"   AND (tags && %(terms)s::text[] OR search_text ILIKE ANY(%(patterns)s::text[]))"
           f"  UNION SELECT id FROM {TABLE} WHERE {where} AND search_text %% %(text)s)"
           f") AS matches ORDER BY tag_hits DESC, word_hits DESC, trigram DESC, id LIMIT %(limit)s")
    rows = conn.execute(sql, {**params, "terms": terms, "patterns": [_like_pattern(t) for t in terms],
                              "text": text, "limit": limit}).fetchall()
    return [row[0] for row in rows]


_known_lemmas: dict[tuple, tuple[float, frozenset[str]]] = {}


KNOWN_LEMMAS_TTL_SECONDS = 300.0


def known_lemmas(conn) -> frozenset[str]:
    """Every lemma some reference in this database is stored under (for reading typos), re-read
    every few minutes."""
    database = (conn.info.host, conn.info.port, conn.info.dbname)
    read_at, words = _known_lemmas.get(database, (0.0, frozenset()))
    if time.monotonic() - read_at > KNOWN_LEMMAS_TTL_SECONDS or not words:
        rows = conn.execute(f"SELECT DISTINCT unnest(lemmas) FROM {LEMMAS_TABLE}").fetchall()
        words = frozenset(row[0] for row in rows)
        _known_lemmas[database] = (time.monotonic(), words)
    return words


def lemma_ranking(conn, text: str, where: str, params: dict, limit: int) -> list[int]:
    """References sharing lemmas with the query: first those that show one of its subject words, then
    the others, each group by the summed weight of the lemmas shared; among equal scores the reference
    whose own subject (first tag) the query names, then the one with fewer lemmas, is more about what
    was asked. The subject group usually fills the list on its
    own, so the cue words (밤, 겨울: a fifth of the library each) rarely widen the scan."""
    from shared.references.korean import CUE_WEIGHT, SUBJECT_WEIGHT, query_lemmas

    query = query_lemmas(text, known_lemmas(conn))
    if not query:
        return []
    words = {f"w{i}": word for i, word in enumerate(query.words)}
    # integer hundredths, not numeric: summing numerics over each matched row was a third of the time
    score = " + ".join(f"(CASE WHEN %({key})s = ANY(lemmas) THEN {round(weight * 100)} ELSE 0 END)"
                       for key, weight in zip(words, query.weights, strict=True))
    weighted = list(zip(query.words, query.weights, strict=True))
    subjects = [word for word, weight in weighted if weight >= SUBJECT_WEIGHT]
    said = [word for word, weight in weighted if weight >= CUE_WEIGHT] or list(query.words)  # not only implied
    found: list[int] = []
    for must, exclude in ((subjects, []), (said, subjects)):
        if not must or len(found) >= limit:
            continue
        sql = (f"SELECT id FROM {LEMMAS_TABLE} WHERE {where} AND lemmas && %(must)s::text[]"
               f" AND NOT lemmas && %(exclude)s::text[]"
               f" ORDER BY {score} DESC, subject && %(subjects)s::text[] DESC, cardinality(lemmas), id"
               f" LIMIT %(limit)s")
        rows = conn.execute(sql, {**params, **words, "must": must, "exclude": exclude, "subjects": subjects,
                                  "limit": limit - len(found)}).fetchall()
        found += [row[0] for row in rows]
    return found


_beside_threads: ThreadPoolExecutor | None = None
_beside_lock = threading.Lock()


def _beside_executor() -> ThreadPoolExecutor:
    global _beside_threads
    with _beside_lock:
        if _beside_threads is None:
            _beside_threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lemma-list")
        return _beside_threads


Spare = Callable[[], AbstractContextManager]  # yields a second connection, or None when there is none


def text_rankings(conn, text: str, where: str, params: dict, limit: int, spare: Spare) -> tuple[list[int], list[int]]:
    """(text match ids, lemma ids). The lemma list runs on a second connection (from `spare`) in a
    thread while `conn` runs the text match, so it adds next to nothing to a search: the text match
    scans the category (1-2 syllable Korean words have no trigrams for its index to use) and takes
    far longer. Without a spare connection the lemma list runs on `conn` afterwards."""
    import psycopg

    def beside() -> list[int] | None:
        try:
            with spare() as other:
                return None if other is None else lemma_ranking(other, text, where, params, limit)
        except psycopg.OperationalError:  # run again below, on the connection whose errors are reported
            return None

    future = _beside_executor().submit(beside)
    try:
        trigram = text_ranking(conn, text, where, params, limit)
    finally:
        lemmas = future.result()  # always collected: the thread gives its connection back first
    if lemmas is None:
        lemmas = lemma_ranking(conn, text, where, params, limit)
    return trigram, lemmas


@contextmanager
def spare_pooled_connection():
    """A second pooled connection if one is free (or can be opened) within a moment, else None."""
    from psycopg_pool import PoolTimeout

    from shared.db import pool as db

    try:
        conn = db.pool().getconn(timeout=SPARE_CONNECTION_WAIT_SECONDS)
    except PoolTimeout:
        yield None
        return
    try:
        with conn.transaction():
            yield conn
    finally:
        db.pool().putconn(conn)
