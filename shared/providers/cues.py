"""The request's own cues win: time of day, season and weather read from the artist's Korean words.

Reference captions carry cues of their own ("맑은 낮 경복궁 …"), and copying them into a prompt for
"눈 내리는 궁궐 밤" gives "daytime … night". A CueFilter starts from the request's cues and admits a
reference's words only when they agree; a cue the request leaves open is taken from the first reference
that has one, and later references may not contradict it either. Pure: no I/O, same words, same answer
(the words are read by shared.references.korean, the cue vocabulary is shared.core.concepts.CUES).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..core import concepts

DIMENSIONS = tuple(concepts.CUES)  # time, season, weather
ENGLISH_VALUES: dict[str, dict[str, str]] = {
    "time": {"dawn": "dawn or early morning", "day": "daytime", "evening": "sunset or dusk", "night": "night"},
    "season": {"spring": "spring", "summer": "summer", "autumn": "autumn", "winter": "winter"},
    "weather": {"clear": "clear weather", "cloudy": "overcast", "rain": "rain", "snow": "snow", "fog": "fog"},
}


@dataclass(frozen=True)
class Cues:
    """dimension → the values said for it (usually one)."""

    values: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def get(self, dimension: str) -> frozenset[str]:
        return self.values.get(dimension, frozenset())

    def __bool__(self) -> bool:
        return any(self.values.values())

    def conflicts(self, other: Cues) -> list[str]:
        """The dimensions both set, to values that share nothing."""
        return [d for d in DIMENSIONS if self.get(d) and other.get(d) and not self.get(d) & other.get(d)]

    def merged(self, other: Cues) -> Cues:
        """These cues plus the dimensions only `other` sets."""
        values = {d: self.get(d) or other.get(d) for d in DIMENSIONS}
        return Cues({d: v for d, v in values.items() if v})

    def english(self) -> str:
        """"time of day: night; weather: snow" for the chat model's instructions."""
        names = {"time": "time of day", "season": "season", "weather": "weather"}
        return "; ".join(f"{names[d]}: {' or '.join(ENGLISH_VALUES[d][v] for v in sorted(self.get(d)))}"
                         for d in DIMENSIONS if self.get(d))


def cues_of_lemmas(words: Iterable[str]) -> Cues:
    found: dict[str, set[str]] = {}
    for word in words:
        for dimension, value in concepts.CUE_INDEX.get(word, ()):
            found.setdefault(dimension, set()).add(value)
    return Cues({d: frozenset(v) for d, v in found.items()})


def read_cues(text: str | None) -> Cues:
    """The cues a Korean text says, counting what its words imply (눈 → winter too)."""
    from ..references import korean

    words = korean.lemmas(text)
    return cues_of_lemmas(words + korean.implied(words))


class CueFilter:
    """Admits reference words that agree with the cues established so far (the request's first)."""

    def __init__(self, request_text: str | None):
        self.request = read_cues(request_text)
        self.established = self.request

    def establish(self, texts: Iterable[str]) -> None:
        """Take these words' cues as the request's own, unchecked (what the prompt already says from
        the request, read another way: the glossary's terms)."""
        for text in texts:
            self.established = self.established.merged(read_cues(text))

    def admit(self, text: str | None) -> bool:
        """False when the text says a cue that contradicts; else True, and its cues become established."""
        said = read_cues(text)
        if self.established.conflicts(said):
            return False
        self.established = self.established.merged(said)
        return True

    def agreeing_words(self, text: str | None) -> str:
        """The text without its words that contradict (word by word, so the rest of a caption stays)."""
        kept = [word for word in (text or "").split() if self.admit(word)]
        return " ".join(kept)
