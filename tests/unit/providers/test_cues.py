"""shared.providers.cues: the request's time of day, season and weather win over reference captions."""

from __future__ import annotations

from shared.providers.cues import CueFilter, Cues, read_cues


def test_cues_are_read_from_inflected_and_implied_words():
    cues = read_cues("눈이 펑펑 내리는 궁궐의 밤에")
    assert cues.get("time") == {"night"} and cues.get("weather") == {"snow"} and cues.get("season") == {"winter"}
    assert read_cues("노을 지는 한강").get("time") == {"evening"}
    assert not read_cues("궁궐 기와 지붕")


def test_conflicts_are_dimensions_both_set_to_values_sharing_nothing():
    night, day = Cues({"time": frozenset({"night"})}), Cues({"time": frozenset({"day"})})
    assert night.conflicts(day) == ["time"]
    assert night.conflicts(Cues({"weather": frozenset({"rain"})})) == []
    assert night.conflicts(Cues({"time": frozenset({"night", "evening"})})) == []


def test_a_caption_contradicting_the_request_is_refused_and_an_agreeing_one_admitted():
    cues = CueFilter("눈 내리는 궁궐 밤")
    assert cues.admit("맑은 낮") is False
    assert cues.admit("벚꽃 핀 봄날") is False  # snow says winter
    assert cues.admit("겨울 밤하늘") is True
    assert cues.admit("경복궁 기와 지붕") is True  # no cue at all


def test_agreeing_words_keep_the_rest_of_a_caption():
    cues = CueFilter("눈 내리는 궁궐 밤")
    assert cues.agreeing_words("맑은 낮 경복궁 근정전의 붉은 기둥") == "경복궁 근정전의 붉은 기둥"


def test_a_cue_the_request_leaves_open_is_fixed_by_the_first_reference_that_says_one():
    cues = CueFilter("경복궁")
    assert cues.admit("단풍 든 가을 저녁 노을")
    assert not cues.admit("눈 내리는 겨울 밤")  # winter and night now contradict the first reference
    assert cues.established.get("season") == {"autumn"}


def test_english_names_the_asked_cues_for_the_chat_model():
    assert CueFilter("비 오는 여름 밤").request.english() == "time of day: night; season: summer; weather: rain"
    assert CueFilter("궁궐").request.english() == ""
