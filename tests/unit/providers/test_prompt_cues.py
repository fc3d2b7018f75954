"""No offline prompt for the search-quality query set carries a time of day, season or weather that
contradicts the request or another cue of the same prompt, even when the references offered are the
query's scene in every look of the sample library (spring day, autumn sunset, snowy night, ...)."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest

from shared.core.models import GenerationRequest, Reference
from shared.providers import glossary
from shared.providers.chat import DATA_CLOSE, DATA_OPEN, request_data_block
from shared.providers.cues import Cues, read_cues
from shared.providers.local_composer import compose_prompt

QUERIES = [json.loads(line) for line in
           (Path(__file__).resolve().parents[3] / "bench" / "data" / "search_queries.jsonl").read_text("utf-8").splitlines()]


@lru_cache(maxsize=1)
def _english_cues() -> list[tuple[re.Pattern, Cues]]:
    """Each English glossary phrase whose Korean word says a cue, as a whole-word pattern."""
    found = []
    for korean, english in glossary.GLOSSARY.items():
        cues = read_cues(korean)
        if cues:
            found.append((re.compile(rf"\b{re.escape(english.lower())}\b"), cues))
    return found


def prompt_cues(prompt: str) -> dict[str, set[str]]:
    said: dict[str, set[str]] = {}
    for pattern, cues in _english_cues():
        if pattern.search(prompt.lower()):
            for dimension, values in cues.values.items():
                said.setdefault(dimension, set()).update(values)
    return said


@lru_cache(maxsize=1)
def _sample_references() -> dict[str, list[Reference]]:
    from scripts.sample_references import sample_rows

    by_scene: dict[str, list[Reference]] = {}
    for i, row in enumerate(sample_rows()):
        if row["stage"] == "배경":
            by_scene.setdefault(row["scene"], []).append(
                Reference(i, row["category"], row["stage"], row["caption"], row["tags"], row["file"]))
    return by_scene


def _request_and_references(query: dict) -> tuple[GenerationRequest, list[Reference]]:
    refs = [ref for scene in [*query["subjects"], *query.get("also", [])] for ref in _sample_references()[scene]]
    return GenerationRequest(category=refs[0].category, stage="배경", keywords=query["q"]), refs


def test_the_english_cue_reader_sees_contradictions_in_an_unfiltered_prompt():
    """The check below can fail: joined raw reference phrases do contradict."""
    said = prompt_cues("daytime, night, snow, rain")
    assert said["time"] == {"day", "night"} and said["weather"] == {"snow", "rain"}


@pytest.mark.parametrize("query", QUERIES, ids=[q["q"] for q in QUERIES])
def test_offline_prompt_keeps_one_cue_per_dimension_and_the_requests(query):
    request, refs = _request_and_references(query)
    asked = read_cues(request.keywords)
    said = prompt_cues(compose_prompt(request, refs).prompt)
    for dimension, values in said.items():
        if asked.get(dimension):
            assert values <= asked.get(dimension), (dimension, values, asked)
        else:
            assert len(values) == 1, (dimension, values)


@pytest.mark.parametrize("query", [q for q in QUERIES if q.get("cues")], ids=[q["q"] for q in QUERIES if q.get("cues")])
def test_chat_data_block_references_never_contradict_the_request(query):
    request, refs = _request_and_references(query)
    block = request_data_block(request, refs, has_artist_photo=False)
    data = json.loads(block.removeprefix(DATA_OPEN).removesuffix(DATA_CLOSE))
    asked = read_cues(request.keywords)
    for ref in data["references"]:
        said = read_cues(" ".join([ref["caption"], *ref["tags"]]))
        assert asked.conflicts(said) == [], (ref, asked)
