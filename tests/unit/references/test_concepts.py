"""shared.core.concepts: the synonym, concept and cue tables are consistent with each other."""

from __future__ import annotations

from collections import Counter

from shared.core import concepts


def test_every_synonym_belongs_to_one_canonical_word_and_no_chain():
    listed = Counter(word for others in concepts.SYNONYMS.values() for word in others)
    assert [word for word, times in listed.items() if times > 1] == []
    assert set(concepts.CANONICAL) & set(concepts.SYNONYMS) == set()  # a canonical word is never another's synonym


def test_implied_words_are_canonical_and_not_circular():
    for word, implied in concepts.IMPLIES.items():
        assert word not in implied
        assert all(concepts.CANONICAL.get(extra, extra) == extra for extra in implied), word


def test_cue_words_say_known_dimensions_and_values():
    assert set(concepts.CUES) == {"time", "season", "weather"}
    assert concepts.CUE_INDEX["설경"] == {("season", "winter"), ("weather", "snow")}
    assert concepts.CUE_INDEX["밤"] == {("time", "night")}


def test_no_stopword_is_a_cue_or_a_canonical_word():
    assert concepts.STOPWORDS.isdisjoint(concepts.CUE_INDEX)
    assert concepts.STOPWORDS.isdisjoint(concepts.SYNONYMS)
