"""shared.generation.sources and the request rules for them: the style source, the earlier result as
the photo, and the aspect checked against the configured image model family."""

from __future__ import annotations

import json
import re

import pytest

from shared.core import catalog
from shared.core.errors import ValidationError
from shared.core.models import GenerationRequest
from shared.generation import request as generation
from shared.generation import sources

VALID = {"category": "국내명소", "stage": "배경", "keywords": "경복궁, 봄"}
UPLOAD = "0123456789abcdef0123456789abcdef"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _refused(body: dict, family: str = "local") -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        generation.validate_request(body, "u1", family=family)
    assert caught.value.status == 400 and HANGUL.search(caught.value.message)
    return caught.value


def test_style_and_photo_sources_travel_in_their_json_shape():
    req = generation.validate_request({**VALID, "styleSource": {"uploadId": UPLOAD},
                                       "photoSource": {"instanceId": "batch-ab12-L00003", "index": 2}}, "u1")
    assert req.style_source == {"uploadId": UPLOAD}
    assert req.photo_source == {"instanceId": "batch-ab12-L00003", "index": 2}
    again = GenerationRequest.from_dict(json.loads(json.dumps(req.to_dict())))  # the orchestration input
    assert again == req
    assert str(sources.source_blob(req.style_source)) == f"uploads/{UPLOAD}.png"
    assert str(sources.source_blob(req.photo_source)) == "outputs/batch-ab12-L00003/2.png"
    assert sources.instance_ids(req) == ["batch-ab12-L00003"]
    assert sources.style_record(req) == {"source": {"uploadId": UPLOAD}, "blob": f"uploads/{UPLOAD}.png"}
    plain = generation.validate_request(VALID, "u1")
    assert plain.style_source is None and plain.photo_source is None and sources.style_record(plain) is None


@pytest.mark.parametrize(("field", "value"), [
    ("styleSource", "0123456789abcdef0123456789abcdef"),  # a bare id, not the object
    ("styleSource", {"uploadId": "../../secrets"}),
    ("styleSource", {"uploadId": UPLOAD, "index": 1}),
    ("styleSource", {"instanceId": "a/b", "index": 1}),  # no path parts reach the blob name
    ("styleSource", {"instanceId": "abc", "index": 0}),
    ("styleSource", {"instanceId": "abc", "index": catalog.MAX_VARIATIONS + 1}),
    ("styleSource", {"instanceId": "abc", "index": True}),
    ("styleSource", {"instanceId": "abc"}),
    ("styleSource", []),
    ("photoSource", {"uploadId": UPLOAD}),  # an upload as the photo is uploadId
    ("photoSource", {"instanceId": "", "index": 1}),
])
def test_a_source_of_another_shape_is_a_korean_400_naming_its_field(field, value):
    error = _refused({**VALID, field: value})
    assert error.details == {"field": field}


def test_an_upload_and_an_earlier_result_as_the_photo_together_are_refused():
    error = _refused({**VALID, "uploadId": UPLOAD, "photoSource": {"instanceId": "abc", "index": 1}})
    assert error.details == {"field": "photoSource"} and "하나만" in error.message


def test_an_aspect_the_configured_family_cannot_make_is_unsupported_aspect():
    for family in catalog.IMAGE_MODEL_FAMILIES:
        made = {a.value for a in catalog.aspects_for(family.value)}
        for aspect in catalog.ASPECTS:
            body = {**VALID, "aspect": aspect.value}
            if aspect.value in made:
                assert generation.validate_request(body, "u1", family=family.value).aspect == aspect.value
            else:
                error = _refused(body, family.value)
                assert error.code == "unsupported_aspect" and error.details == {"field": "aspect"}
                assert aspect.label in error.message  # says which size, and which ones it can make
    assert "webtoon" not in {a.value for a in catalog.aspects_for("gpt-image")}  # the table is not all-yes


def test_the_configured_family_is_the_default(monkeypatch):
    from shared.core import config

    monkeypatch.setenv("IMAGE_PROVIDER", "azure_openai")
    monkeypatch.setenv("IMAGE_MODEL_FAMILY", "dall-e-3")
    config.reset_settings()
    try:
        assert _refused({**VALID, "aspect": "webtoon"}, family=None).code == "unsupported_aspect"
    finally:
        monkeypatch.undo()
        config.reset_settings()
    assert generation.validate_request({**VALID, "aspect": "webtoon"}, "u1").aspect == "webtoon"  # offline


def test_the_owner_of_an_orchestration_input():
    assert sources.input_owner({"request": {"user_id": "kim"}, "review": {}}) == "kim"
    assert sources.input_owner(json.dumps({"upload_id": UPLOAD, "user_id": "lee"})) == "lee"  # layer_image
    assert sources.input_owner(None) is None and sources.input_owner("not json") is None
    assert sources.input_owner({"request": {"user_id": 5}}) is None
