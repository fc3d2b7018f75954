"""Korean text → normalised lemmas, the one place that runs the morphological analyser (kiwipiepy).

Korean glues particles and endings onto words: 궁궐에서, 궁궐의 and 궁궐을 are one word, 내리는 and
내렸다 one verb. lemmas() keeps what says what a picture shows — nouns (NNG/NNP), roots, foreign
words and the stems of verbs and adjectives (내리, 맑) — drops particles, endings and STOPWORDS,
splits known compounds (기와지붕 → 기와지붕, 기와, 지붕), joins known neighbours (남산 타워 → 남산타워)
and maps synonyms to their canonical word (N서울타워 → 남산타워), all from shared.core.concepts.

The analyser (Kiwi with the model from the kiwipiepy-model package; nothing is downloaded) is built
once per process on first use and imported only then: 1.3 s on a quiet 2-core machine (2.8 s on a
busy one) and about 310 MB resident without the multi-word proper-noun dictionary, which would add
180 MB (bench/search_quality.py prints both); importing this module costs nothing.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from ..core import concepts

ANALYSIS_REVISION = 4  # bump when the code below reads text differently: stored lemmas are recomputed
MAX_ANALYSED_CHARS = 400  # a caption or query longer than this is cut: its first words say what it is
_CONTENT_TAGS = ("NNG", "NNP", "XR", "SH")
_GLUE_TAGS = ("NNG", "NNP", "SL", "SN")
_STEM_TAGS = ("VV", "VA")
# Particles that glue onto a word ("경복궁의", "한옥에서"), longest first: a word known without them is
# that word (the trigram side of the search strips them too).
PARTICLES = ("에서는", "에서", "으로", "에게", "까지", "부터", "처럼", "보다", "의", "에", "을", "를", "이", "가",
             "은", "는", "와", "과", "로", "도", "만")
_lock = threading.Lock()
_analyser = None


def without_particle(word: str) -> str | None:
    """The word without a trailing particle (한옥에서 → 한옥), keeping at least two characters, or None."""
    return next((word[:-len(p)] for p in PARTICLES if word.endswith(p) and len(word) - len(p) >= 2), None)


def analyser():
    """The process's Kiwi, built on first use (thread-safe)."""
    global _analyser
    if _analyser is None:
        with _lock:
            if _analyser is None:
                from kiwipiepy import Kiwi

                kiwi = Kiwi(load_multi_dict=False)  # the multi-word proper-noun list costs 180 MB more
                for word in _vocabulary():  # the tables' words are nouns: 탈춤을 is 탈춤 + 을, not 탈- + 춤
                    if _is_hangul_word(word):
                        kiwi.add_user_word(word, "NNG")
                kiwi.tokenize("")  # Kiwi finishes loading on its first call: do it here, under the lock
                _analyser = kiwi
    return _analyser


def clean(text: str | None) -> str:
    """NFC text with control and format characters (and surrogates) turned into spaces."""
    text = unicodedata.normalize("NFC", text or "")
    return "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text).strip()


def _raw_lemmas(text: str) -> list[tuple[str, bool]]:
    """(word, minor) for each content token: minor words (verb/adjective stems, numbers) weigh less
    in a query. Nouns, numbers and letters written together (군집3, 63빌딩) also
    count as the one word they form."""
    out: list[tuple[str, bool]] = []
    glued: list = []  # the nouns/numbers/letters of the current run without spaces between them

    def close_run():
        if len(glued) > 1:
            out.append(("".join(t.form for t in glued).lower(), False))
        glued.clear()

    for token in analyser().tokenize(text[:MAX_ANALYSED_CHARS]):
        tag = token.tag.split("-")[0]  # VA-I (irregular) is still an adjective
        if tag in _GLUE_TAGS:
            if glued and glued[-1].end != token.start:
                close_run()
            glued.append(token)
        else:
            close_run()
        if tag in _CONTENT_TAGS:
            out.append((token.form, False))
        elif tag in ("SL", "SN") and (len(token.form) >= 2 or tag == "SN"):
            out.append((token.form.lower(), tag == "SN"))  # a lone Latin letter (N of N서울타워) only joins
        elif tag in _STEM_TAGS:
            out.append((token.lemma[:-1] if token.lemma.endswith("다") else token.form, True))
    close_run()
    return out


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    return concepts.vocabulary()


def _split(word: str) -> list[str]:
    """A compound noun's known halves (기와지붕 → 기와, 지붕), or nothing."""
    vocabulary = _vocabulary()
    for cut in range(1, len(word)):
        head, tail = word[:cut], word[cut:]
        if len(head) + len(tail) >= 3 and head in vocabulary and tail in vocabulary:
            return [head, tail]
    return []


def _joined(words: list[str]) -> list[str]:
    """Known words spelled apart: 남산 타워 → 남산타워, n 서울 타워 → n서울타워."""
    vocabulary = _vocabulary()
    joined = []
    for size in (3, 2):
        for i in range(len(words) - size + 1):
            candidate = "".join(words[i:i + size])
            if candidate in vocabulary or candidate in concepts.CANONICAL:
                joined.append(candidate)
    return joined


@lru_cache(maxsize=1)
def lemmas_version() -> int:
    """A number that changes whenever the analyser or the concept tables change: stored lemmas made
    under another number are recomputed (shared.references.store.refresh_lemmas)."""
    import hashlib
    from importlib.metadata import version

    tables = repr((sorted(concepts.SYNONYMS.items()), sorted(concepts.IMPLIES.items()), sorted(concepts.STOPWORDS),
                   sorted(concepts.COMPOUND_PARTS), ANALYSIS_REVISION, MAX_ANALYSED_CHARS, version("kiwipiepy"),
                   version("kiwipiepy-model")))
    return int.from_bytes(hashlib.sha256(tables.encode()).digest()[:4], "big") & 0x7FFFFFFF


def canonical(word: str) -> str:
    return concepts.CANONICAL.get(word, word)


def _known_as_written(text: str, library: frozenset[str]) -> list[tuple[str, bool]]:
    """The words of `text` that the tables or the library (`library`: what references are stored under)
    know, as written or without a particle: without a sentence around it the analyser may read a known
    word as something else (봄 → 보 + ㅁ, "seeing"; 모양 등불 → 모양 등 + 불)."""
    vocabulary = _vocabulary()
    out = []
    for word in text.split()[:50]:
        for candidate in (word, without_particle(word)):
            if candidate and (candidate in vocabulary or candidate in concepts.CANONICAL or candidate in library):
                out.append((candidate, False))
                break
    return out


def _analysed(text: str | None, library: frozenset[str] = frozenset()) -> dict[str, bool]:
    """Distinct canonical lemmas in order of appearance → whether it is a minor word (see _raw_lemmas)."""
    text = clean(text)
    if not text:
        return {}
    raw = _known_as_written(text, library) + _raw_lemmas(text)
    minor = {word for word, is_minor in raw if is_minor}
    words: dict[str, bool] = {}
    for word in [word for word, _ in raw] + _joined([word for word, _ in raw]):
        for piece in [word, *_split(word)]:
            lemma = canonical(piece)
            if lemma not in concepts.STOPWORDS and lemma not in words:
                words[lemma] = word in minor
    return words


def lemmas(text: str | None) -> list[str]:
    """The distinct canonical lemmas of a Korean text, in order of appearance, stopwords left out."""
    return list(_analysed(text))


def implied(words: list[str]) -> list[str]:
    """What the words bring along (설경 → 눈, 겨울), one level deep, minus the words themselves."""
    out: list[str] = []
    for word in words:
        for extra in concepts.IMPLIES.get(word, ()):
            extra = canonical(extra)
            if extra not in words and extra not in out:
                out.append(extra)
    return out


def document_lemmas(caption: str, tags: list[str] | tuple[str, ...] = ()) -> list[str]:
    """What a reference is stored under: the lemmas of its caption and tags and what they imply, sorted."""
    words = lemmas(" ".join([caption or "", *[str(tag) for tag in tags or ()]]))
    return sorted(set(words) | set(implied(words)))


def subject_lemmas(tags: list[str] | tuple[str, ...] = ()) -> list[str]:
    """What a reference shows first: the lemmas of its first tag (metadata lists the subject first)."""
    return sorted(set(lemmas(str(tags[0])))) if tags else []


@dataclass(frozen=True)
class QueryLemmas:
    """A query's lemmas with their weights: the words themselves weigh more than what they imply, and
    the nouns of what the picture shows (subject) more than when, in what weather, and verbs (cue)."""

    words: tuple[str, ...]
    weights: tuple[float, ...]

    def __bool__(self) -> bool:
        return bool(self.words)


SUBJECT_WEIGHT = 3.0
CUE_WEIGHT = 1.0
IMPLIED_FACTOR = 0.5


def _is_hangul_word(word: str) -> bool:
    return len(word) >= 2 and all("가" <= ch <= "힣" for ch in word)


@lru_cache(maxsize=8)
def _jamo_index(known: frozenset[str]) -> tuple[list[str], list[str]]:
    words = sorted(word for word in known if _is_hangul_word(word))
    return words, [unicodedata.normalize("NFD", word) for word in words]  # syllables → their letters


def corrected(word: str, known: frozenset[str]) -> str:
    """The known word a misspelt one most likely means (한옼 → 한옥, 포장마챠 → 포장마차): the nearest by
    edit distance on Hangul letters, at most one letter off (two for words of four or more syllables),
    with the same number of syllables give or take one. The word itself when known or nothing is near."""
    if word in known or not _is_hangul_word(word):
        return word
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    words, letters = _jamo_index(known)
    limit = 2 if len(word) >= 4 else 1
    best = process.extractOne(unicodedata.normalize("NFD", word), letters, scorer=Levenshtein.distance,
                              score_cutoff=limit)
    if best is None or abs(len(words[best[2]]) - len(word)) > 1:
        return word
    return canonical(words[best[2]])


def query_lemmas(text: str | None, known: frozenset[str] | None = None) -> QueryLemmas:
    """The weighted lemmas of a query; with `known` (the words references are stored under), words
    not among them are read as the nearest known word (typos)."""
    analysed = _analysed(text, known or frozenset())
    if known:
        analysed = {corrected(word, known | _vocabulary()): is_minor for word, is_minor in analysed.items()}
    words = list(analysed)
    weighted: dict[str, float] = {}
    for word, is_minor in analysed.items():
        weighted[word] = CUE_WEIGHT if is_minor or word in concepts.CUE_INDEX else SUBJECT_WEIGHT
    for word in implied(words):
        base = CUE_WEIGHT if word in concepts.CUE_INDEX else SUBJECT_WEIGHT
        weighted.setdefault(word, base * IMPLIED_FACTOR)
    return QueryLemmas(tuple(weighted), tuple(weighted.values()))
