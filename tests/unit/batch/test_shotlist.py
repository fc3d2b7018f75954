"""shared.batch.shotlist: reading jsonl/csv shot lists (BOM, blank lines, limits, encodings, bad lines)."""

from __future__ import annotations

import re

import pytest

from shared.batch import lines as batch_lines
from shared.batch import results, shotlist
from tests.unit.batch.helpers import GOOD, jsonl, settings


def test_bom_is_tolerated_and_blank_lines_skipped():
    data = b"\xef\xbb\xbf" + jsonl(GOOD) + b"\n   \n" + jsonl({**GOOD, "keywords": "남산"})
    lines = shotlist.parse(data, "jsonl", settings())
    assert [ln.line for ln in lines] == [1, 4]
    assert lines[0].fields["category"] == "국내명소"


def test_undecodable_bytes_reject_the_file_with_the_line():
    data = jsonl(GOOD, GOOD) + "{\"keywords\": \"경복궁\"}\n".encode("euc-kr")
    with pytest.raises(shotlist.BatchFileError) as info:
        shotlist.parse(data, "jsonl", settings())
    assert info.value.code == "undecodable"
    assert "3번째 줄" in info.value.message and "UTF-8" in info.value.message


def test_nul_bytes_are_not_text():
    # Issue 14: NUL on some lines only makes those lines invalid (below); a file with NUL on every
    # line is binary (UTF-16, an image) and still rejected whole.
    with pytest.raises(shotlist.BatchFileError) as info:
        shotlist.parse(b"\x00\x01\x02\n" + b"{\x00}\n", "jsonl", settings())
    assert info.value.code == "undecodable"
    lines = shotlist.parse(jsonl(GOOD) + b"\x00\x01\x02", "jsonl", settings())
    assert lines[0].fields == GOOD and lines[1].fields is None and "쓸 수 없는 문자" in lines[1].error


def test_file_size_limit():
    data = jsonl(*[GOOD] * 50)
    with pytest.raises(shotlist.BatchFileError) as info:
        shotlist.parse(data, "jsonl", settings(batch_max_bytes=len(data) - 1))
    assert info.value.code == "file_too_large" and "파일이 너무 큽니다" in info.value.message
    assert len(shotlist.parse(data, "jsonl", settings(batch_max_bytes=len(data)))) == 50


def test_line_count_limit():
    data = jsonl(*[GOOD] * 11)
    with pytest.raises(shotlist.BatchFileError) as info:
        shotlist.parse(data, "jsonl", settings(batch_max_lines=10))
    assert info.value.code == "too_many_lines" and "최대 10줄" in info.value.message
    assert len(shotlist.parse(data, "jsonl", settings(batch_max_lines=11))) == 11


def test_empty_file_is_rejected():
    with pytest.raises(shotlist.BatchFileError) as info:
        shotlist.parse(b"\xef\xbb\xbf\n\n", "jsonl", settings())
    assert info.value.code == "empty"


def test_jsonl_malformed_and_non_object_lines_becomesample_rows():
    data = jsonl(GOOD) + b"{not json\n" + b"[1, 2]\n"
    lines = shotlist.parse(data, "jsonl", settings())
    assert [(ln.line, ln.fields is None) for ln in lines] == [(1, False), (2, True), (3, True)]
    assert "JSON" in lines[1].error and "객체" in lines[2].error


def test_csv_header_fields_types_and_line_numbers():
    text = ("\ufeffid,category,stage,keywords,description,variations,review\r\n"
            "a1,음식,채색 기본,\"비빔밥, 놋그릇\",\"두 줄\n설명\",2,아니오\r\n"
            "\r\n"
            "a2,국내명소,배경,경복궁,,,\r\n")
    lines = shotlist.parse(text.encode("utf-8"), "csv", settings())
    assert [ln.line for ln in lines] == [2, 5]
    first = lines[0].fields
    assert first == {"id": "a1", "category": "음식", "stage": "채색 기본", "keywords": "비빔밥, 놋그릇",
                     "description": "두 줄\n설명", "variations": 2, "review": False}
    assert lines[1].fields == {"id": "a2", "category": "국내명소", "stage": "배경", "keywords": "경복궁"}


def test_csv_without_a_header_of_field_names_is_rejected():
    with pytest.raises(shotlist.BatchFileError) as info:
        shotlist.parse("국내명소,배경,경복궁\n".encode(), "csv", settings())
    assert info.value.code == "malformed_csv"


def test_csv_row_with_too_many_cells_is_a_bad_line():
    lines = shotlist.parse("category,stage,keywords\n음식,배경,김치,extra\n".encode(), "csv", settings())
    assert lines[0].fields is None and "칸 수" in lines[0].error


def test_unreadable_lines_are_explained_in_korean_only():
    # json and csv word their errors in English; none of it may reach results.jsonl
    jsonl_lines = shotlist.parse(jsonl(GOOD) + b"{not json\n", "jsonl", settings())
    csv_lines = shotlist.parse(("category,stage,keywords\n" + "가" * 140_000 + ",배경,김치\n").encode(), "csv",
                            settings())
    for error in (jsonl_lines[1].error, csv_lines[0].error):
        assert error and not re.search("[A-Za-z]{3,}", error.replace("JSON", "").replace("CSV", ""))


# --- hostile lines (issue 14): each becomes its own error row, the other lines still run -----------

def _statuses(data: bytes, kind: str = "jsonl") -> list[tuple[int, str]]:
    rows = batch_lines.prepare(data, kind, settings())["rows"]
    results.results_jsonl(rows)  # what the batch writes must stay encodable (no lone surrogate in it)
    return [(r["line"], r["status"]) for r in rows]


def test_a_line_with_a_lone_surrogate_is_its_own_error_row():
    data = (jsonl(GOOD) + b'{"category": "\xea\xb5\xad\xeb\x82\xb4\xeb\xaa\x85\xec\x86\x8c", "stage": "\xeb\xb0\xb0\xea\xb2\xbd", '
            b'"keywords": "\\ud800"}\n' + b'{"keywords": "a", "\\udfff": 1}\n' + b'{"id": "\\ud800", "keywords": "b"}\n'
            + jsonl(GOOD))
    assert _statuses(data) == [(1, "pending"), (2, "invalid"), (3, "invalid"), (4, "invalid"), (5, "pending")]
    rows = batch_lines.prepare(data, "jsonl", settings())["rows"]
    assert "키워드" in rows[1]["error"]["message"] and "쓸 수 없는 문자" in rows[1]["error"]["message"]
    for row in rows[1:4]:
        assert not any("\ud800" <= ch <= "\udfff" for ch in row["error"]["message"])


def test_nul_and_control_characters_make_only_their_line_invalid():
    data = (jsonl(GOOD) + jsonl({**GOOD, "description": "a\u0000b"}) + b'{"keywords": "x\x00y"}\n'
            + jsonl({**GOOD, "keywords": "\u001b[31m"}) + jsonl(GOOD))
    assert _statuses(data) == [(1, "pending"), (2, "invalid"), (3, "invalid"), (4, "invalid"), (5, "pending")]
    rows = batch_lines.prepare(data, "jsonl", settings())["rows"]
    assert "장면 설명" in rows[1]["error"]["message"] and "쓸 수 없는 문자" in rows[2]["error"]["message"]
    text = "category,stage,keywords\n국내명소,배경,경복궁\n국내명소,배경,남\x00산\n국내명소,배경,\x07종\n음식,배경,김치\n"
    assert _statuses(text.encode(), "csv") == [(2, "pending"), (3, "invalid"), (4, "invalid"), (5, "pending")]


def test_deeply_nested_json_is_its_own_error_row():
    deep = b"[" * 100_000 + b"]" * 100_000
    nested_value = b'{"keywords": ' + b"[" * 5_000 + b'"a"' + b"]" * 5_000 + b"}"
    data = jsonl(GOOD) + deep + b"\n" + nested_value + b"\n" + jsonl(GOOD)
    assert _statuses(data) == [(1, "pending"), (2, "invalid"), (3, "invalid"), (4, "pending")]
    rows = batch_lines.prepare(data, "jsonl", settings())["rows"]
    assert rows[1]["error"]["code"] == "malformed_line" and "중첩" in rows[1]["error"]["message"]


def test_a_binary_file_is_still_rejected_whole():
    with pytest.raises(shotlist.BatchFileError) as info:
        shotlist.parse(("\n".join([str(GOOD)] * 3)).encode("utf-16-le"), "jsonl", settings())
    assert info.value.code == "undecodable"
