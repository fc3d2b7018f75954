"""shared.references.korean: Korean text → canonical lemmas with the real analyser (kiwipiepy)."""

from __future__ import annotations

import threading

import pytest

from shared.core import concepts
from shared.references import korean


@pytest.mark.parametrize("text", ["궁궐에서", "궁궐의", "궁궐을", "궁궐이에요"])
def test_particles_and_endings_come_off(text):
    assert korean.lemmas(text) == ["궁궐"]


@pytest.mark.parametrize("text", ["N서울타워", "엔서울타워", "서울타워에서", "남산 타워", "N 서울 타워"])
def test_ways_of_writing_namsan_tower_meet_on_one_lemma(text):
    assert "남산타워" in korean.lemmas(text)


def test_verbs_and_adjectives_become_stems_and_fillers_go():
    words = korean.lemmas("음 그러니까 눈이 펑펑 내리는 맑은 밤 궁궐 그려 주세요")
    assert {"눈", "맑", "밤", "궁궐"} <= set(words)
    assert not {"음", "그러니까", "그리", "주", "내리"} & set(words)  # fillers, requests, generic verbs


def test_compounds_split_into_known_halves_and_keep_the_whole():
    assert set(korean.lemmas("기와지붕")) == {"기와지붕", "기와", "지붕"}
    assert korean.lemmas("돌솥비빔밥") == ["비빔밥", "돌솥"]  # 돌솥비빔밥 is a synonym of 비빔밥


def test_nouns_and_numbers_written_together_also_form_one_word():
    assert {"군집", "3", "군집3"} <= set(korean.lemmas("군집3"))


def test_implied_words_are_the_general_ones():
    assert korean.implied(["설경"]) == ["눈", "겨울"]
    assert "궁궐" in korean.implied(["경복궁"])
    assert korean.implied(["분식"]) == []  # never general → specific (every 분식 is not 김밥)


def test_document_lemmas_hold_caption_tags_and_what_they_imply():
    words = korean.document_lemmas("눈 내리는 겨울 밤 경복궁 근정전의 붉은 기둥 — 완성한 웹툰 배경", ["경복궁", "설경"])
    assert words == sorted(words)
    assert {"눈", "겨울", "밤", "경복궁", "근정전", "궁궐", "기둥", "설경"} <= set(words)
    assert not {"배경", "웹툰", "완성"} & set(words)  # every reference is one: they tell nothing apart


def test_query_weights_subjects_over_cues_over_implied():
    found = korean.query_lemmas("눈 내리는 궁궐 밤")
    query = dict(zip(found.words, found.weights, strict=True))
    assert query == {"궁궐": korean.SUBJECT_WEIGHT, "눈": korean.CUE_WEIGHT, "밤": korean.CUE_WEIGHT,
                     "겨울": korean.CUE_WEIGHT * korean.IMPLIED_FACTOR}


@pytest.mark.parametrize(("typo", "meant"), [("한옼", "한옥"), ("포장마챠", "포장마차"), ("삼겹샬", "삼겹살"),
                                             ("돌하루방", "돌하르방"), ("수원화썽", "화성")])
def test_typos_are_read_as_the_nearest_known_word(typo, meant):
    known = frozenset({"한옥", "포장마차", "삼겹살", "돌하르방", "화성", "마당"})
    assert korean.query_lemmas(typo).words[0] == typo  # without the stored words, as written
    assert korean.query_lemmas(typo, known).words[0] == meant


def test_a_word_far_from_every_known_word_stays_as_written():
    assert korean.corrected("우주선", frozenset({"한옥", "포장마차"})) == "우주선"


@pytest.mark.parametrize("text", ["", "   ", "😀🎉✨", "\x00\x01\x07", None])
def test_text_without_words_has_no_lemmas(text):
    assert korean.lemmas(text) == []
    assert not korean.query_lemmas(text)


def test_control_characters_become_spaces():
    assert korean.clean("궁궐\x00밤\u200b\n") == "궁궐 밤"
    assert korean.lemmas("궁궐\x00밤") == ["궁궐", "밤"]


def test_very_long_text_is_cut_before_analysis():
    words = korean.lemmas("궁궐 " * 5000 + "포장마차")
    assert words == ["궁궐"]  # the tail beyond MAX_ANALYSED_CHARS is never read


def test_the_analyser_is_built_once_even_when_first_used_from_many_threads(monkeypatch):
    monkeypatch.setattr(korean, "_analyser", None)
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(korean.analyser())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(seen) == 4 and len({id(a) for a in seen}) == 1


def test_lemmas_version_changes_with_the_concept_tables(monkeypatch):
    before = korean.lemmas_version()
    monkeypatch.setitem(concepts.SYNONYMS, "궁궐", (*concepts.SYNONYMS["궁궐"], "대궐"))
    korean.lemmas_version.cache_clear()
    try:
        assert korean.lemmas_version() != before
    finally:
        monkeypatch.undo()
        korean.lemmas_version.cache_clear()
    assert korean.lemmas_version() == before


@pytest.mark.parametrize(("text", "word"), [("탈춤을 추는 사람들", "탈춤"), ("연꽃 모양 등불", "등불"), ("기와집에서", "한옥")])
def test_a_known_word_with_a_particle_is_that_word(text, word):
    """The analyser alone reads 탈춤을 as 탈- + 춤 and 모양 등불 as 모양 등 + 불; the tables' words are its
    nouns, and a word the library is stored under is taken whole, with or without a particle."""
    assert word in korean.query_lemmas(text, frozenset({"등불", "탈춤", "한옥"})).words
