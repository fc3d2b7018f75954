"""The chapter's style in a shot list: named once (a first JSONL line holding only styleSource, a first
CSV line '# styleSource: ...') or per line (a line's own styleSource wins), reaching every line's
generation request through the API's rules."""

from __future__ import annotations

from shared.batch import lines as batch_lines
from shared.batch import shotlist
from tests.unit.batch.helpers import GOOD, jsonl, settings

STYLE = {"uploadId": "0123456789abcdef0123456789abcdef"}
OWN = {"instanceId": "4f1c2d3e4f1c2d3e4f1c2d3e4f1c2d3e", "index": 2}


def _requests(data: bytes, kind: str) -> list[dict]:
    rows = batch_lines.validate(shotlist.parse(data, kind, settings()))
    return [(row["line"], row["status"], row["input"]["request"] if row["input"] else row["error"]) for row in rows]


def test_a_jsonl_header_line_names_the_style_of_every_line():
    data = jsonl({"styleSource": STYLE}, {**GOOD, "id": "s1"}, {**GOOD, "id": "s2", "styleSource": OWN},
                 {**GOOD, "id": "s3"})
    found = _requests(data, "jsonl")
    assert [line for line, _, _ in found] == [2, 3, 4]  # the header is not a shot; numbers stay the file's
    assert [status for _, status, _ in found] == [batch_lines.PENDING] * 3
    assert [request["style_source"] for _, _, request in found] == [STYLE, OWN, STYLE]


def test_without_a_header_only_lines_naming_a_style_have_one():
    found = _requests(jsonl({**GOOD}, {**GOOD, "styleSource": STYLE}), "jsonl")
    assert [request["style_source"] for _, _, request in found] == [None, STYLE]


def test_a_line_holding_only_a_style_after_the_first_is_a_line_not_a_header():
    found = _requests(jsonl({**GOOD}, {"styleSource": STYLE}), "jsonl")
    assert found[1][1] == batch_lines.INVALID  # it has no category: the API's Korean message
    assert found[0][2]["style_source"] is None


def test_a_csv_style_comment_and_column():
    text = ("# styleSource: " + STYLE["uploadId"] + "\n"
            "category,stage,keywords,styleSource\n"
            f"{GOOD['category']},{GOOD['stage']},첫 장면,\n"
            f"{GOOD['category']},{GOOD['stage']},둘째 장면,{OWN['instanceId']}/{OWN['index']}\n"
            f'{GOOD["category"]},{GOOD["stage"]},셋째 장면,"{{""uploadId"": ""{"f" * 32}""}}"\n')
    found = _requests(text.encode("utf-8"), "csv")
    assert [line for line, _, _ in found] == [3, 4, 5]
    assert [request["style_source"] for _, _, request in found] == [STYLE, OWN, {"uploadId": "f" * 32}]


def test_a_bad_header_style_makes_each_line_invalid_in_korean():
    found = _requests(jsonl({"styleSource": "my-style.png"}, {**GOOD}), "jsonl")
    ((line, status, error),) = found
    assert status == batch_lines.INVALID and error["code"] == "validation_error"
    assert "스타일 기준" in error["message"]
