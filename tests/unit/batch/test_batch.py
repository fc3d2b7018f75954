"""shared.batch without storage: names and ids, parsing (jsonl/csv, BOM, limits, encodings), per-line
validation through shared.generation's rules, failures, results rows, summary and status shapes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from shared.batch import lines as batch
from shared.core.config import Settings
from shared.generation import steps as generation

SAMPLE = Path(__file__).resolve().parents[3] / "scripts" / "samples" / "chapter1.jsonl"
GOOD = {"category": "국내명소", "stage": "배경", "keywords": "경복궁, 봄"}


def jsonl(*objects) -> bytes:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects).encode("utf-8")


def settings(**overrides) -> Settings:
    return Settings(**overrides)


# --- names and ids ------------------------------------------------------------------------------

@pytest.mark.parametrize("blob, expected", [
    ("chapter1.jsonl", ("chapter1", "jsonl")),
    ("batch-in/chapter1.jsonl", ("chapter1", "jsonl")),
    ("1화-배경.CSV", ("1화-배경", "csv")),
    ("notes.txt", None),
    ("folder/a.jsonl", None),
    ("noext", None),
    (".jsonl", None),
    ("bad name.jsonl", None),
])
def test_split_blob_name(blob, expected):
    assert batch.split_blob_name(blob) == expected


def test_instance_id_is_fixed_by_name_and_content():
    sha = batch.content_sha256(b"a")
    assert batch.instance_id("ch1", sha) == batch.instance_id("ch1", sha)
    assert batch.instance_id("ch1", sha) != batch.instance_id("ch1", batch.content_sha256(b"b"))
    assert batch.instance_id("ch1", sha) != batch.instance_id("ch2", sha)
    iid = batch.instance_id("ch1", sha)
    assert iid.startswith("batch-") and len(iid) == len("batch-") + 32
    assert batch.child_instance_id(iid, 7) == batch.child_instance_id(iid, 7) == f"{iid}-L00007"
    assert batch.child_instance_id(iid, 7) != batch.child_instance_id(iid, 8)


def test_new_job_describes_the_dropped_file():
    data = SAMPLE.read_bytes()
    job = batch.new_job("batch-in/chapter1.jsonl", data, settings(batch_max_concurrency=3))
    assert job["name"] == "chapter1" and job["kind"] == "jsonl"
    assert job["source"] == "batch-in/chapter1.jsonl"
    assert job["sha256"] == batch.content_sha256(data) and job["size"] == len(data)
    assert job["instanceId"] == batch.instance_id("chapter1", job["sha256"])
    assert job["maxConcurrency"] == 3
    with pytest.raises(ValueError):
        batch.new_job("batch-in/readme.md", b"x")


def test_output_blob_names():
    assert batch.output_blob("ch1", 3, "s03", 1, "png") == "ch1/0003-s03/1.png"
    assert batch.output_blob("ch1", 12, None, 2, "psd") == "ch1/0012/2.psd"


# --- reading the file ---------------------------------------------------------------------------

def test_bom_is_tolerated_and_blank_lines_skipped():
    data = b"\xef\xbb\xbf" + jsonl(GOOD) + b"\n   \n" + jsonl({**GOOD, "keywords": "남산"})
    lines = batch.parse(data, "jsonl", settings())
    assert [ln.line for ln in lines] == [1, 4]
    assert lines[0].fields["category"] == "국내명소"


def test_undecodable_bytes_reject_the_file_with_the_line():
    data = jsonl(GOOD, GOOD) + "{\"keywords\": \"경복궁\"}\n".encode("euc-kr")
    with pytest.raises(batch.BatchFileError) as info:
        batch.parse(data, "jsonl", settings())
    assert info.value.code == "undecodable"
    assert "3번째 줄" in info.value.message and "UTF-8" in info.value.message


def test_nul_bytes_are_not_text():
    with pytest.raises(batch.BatchFileError) as info:
        batch.parse(jsonl(GOOD) + b"\x00\x01\x02", "jsonl", settings())
    assert info.value.code == "undecodable"


def test_file_size_limit():
    data = jsonl(*[GOOD] * 50)
    with pytest.raises(batch.BatchFileError) as info:
        batch.parse(data, "jsonl", settings(batch_max_bytes=len(data) - 1))
    assert info.value.code == "file_too_large" and "파일이 너무 큽니다" in info.value.message
    assert len(batch.parse(data, "jsonl", settings(batch_max_bytes=len(data)))) == 50


def test_line_count_limit():
    data = jsonl(*[GOOD] * 11)
    with pytest.raises(batch.BatchFileError) as info:
        batch.parse(data, "jsonl", settings(batch_max_lines=10))
    assert info.value.code == "too_many_lines" and "최대 10줄" in info.value.message
    assert len(batch.parse(data, "jsonl", settings(batch_max_lines=11))) == 11


def test_empty_file_is_rejected():
    with pytest.raises(batch.BatchFileError) as info:
        batch.parse(b"\xef\xbb\xbf\n\n", "jsonl", settings())
    assert info.value.code == "empty"


def test_jsonl_malformed_and_non_object_lines_become_rows():
    data = jsonl(GOOD) + b"{not json\n" + b"[1, 2]\n"
    lines = batch.parse(data, "jsonl", settings())
    assert [(ln.line, ln.fields is None) for ln in lines] == [(1, False), (2, True), (3, True)]
    assert "JSON" in lines[1].error and "객체" in lines[2].error


def test_csv_header_fields_types_and_line_numbers():
    text = ("\ufeffid,category,stage,keywords,description,variations,review\r\n"
            "a1,음식,채색 기본,\"비빔밥, 놋그릇\",\"두 줄\n설명\",2,아니오\r\n"
            "\r\n"
            "a2,국내명소,배경,경복궁,,,\r\n")
    lines = batch.parse(text.encode("utf-8"), "csv", settings())
    assert [ln.line for ln in lines] == [2, 5]
    first = lines[0].fields
    assert first == {"id": "a1", "category": "음식", "stage": "채색 기본", "keywords": "비빔밥, 놋그릇",
                     "description": "두 줄\n설명", "variations": 2, "review": False}
    assert lines[1].fields == {"id": "a2", "category": "국내명소", "stage": "배경", "keywords": "경복궁"}


def test_csv_without_a_header_of_field_names_is_rejected():
    with pytest.raises(batch.BatchFileError) as info:
        batch.parse("국내명소,배경,경복궁\n".encode(), "csv", settings())
    assert info.value.code == "malformed_csv"


def test_csv_row_with_too_many_cells_is_a_bad_line():
    lines = batch.parse("category,stage,keywords\n음식,배경,김치,extra\n".encode(), "csv", settings())
    assert lines[0].fields is None and "칸 수" in lines[0].error


# --- validating each line -----------------------------------------------------------------------

def test_good_line_becomes_the_generation_input():
    rows = batch.validate(batch.parse(jsonl({**GOOD, "id": "s1", "aspect": "square"}), "jsonl", settings()))
    assert rows[0]["status"] == batch.PENDING and rows[0]["id"] == "s1" and rows[0]["error"] is None
    generation_input = rows[0]["input"]
    request = generation_input["request"]
    assert request["category"] == "국내명소" and request["aspect"] == "square"
    assert request["user_id"] == batch.BATCH_USER_ID
    assert generation_input["review"]["enabled"] is False


def test_bad_lines_get_the_same_korean_reasons_as_the_api():
    body = {**GOOD, "stage": "채색(기본)"}
    with pytest.raises(generation.ValidationError) as api_error:
        generation.validate_request(body, "u")
    rows = batch.validate(batch.parse(jsonl(GOOD, body, {**GOOD, "keywords": ""}), "jsonl", settings()))
    assert [r["status"] for r in rows] == [batch.PENDING, batch.INVALID, batch.INVALID]
    assert rows[1]["line"] == 2 and rows[1]["error"]["message"] == api_error.value.message
    assert rows[1]["error"]["code"] == "validation_error"
    assert "키워드" in rows[2]["error"]["message"] and rows[2]["input"] is None


def test_batch_only_rules():
    data = jsonl(
        {**GOOD, "id": "x"},
        {**GOOD, "id": "x"},  # duplicate id
        {**GOOD, "id": "with space"},  # bad id
        {**GOOD, "review": True},  # no review in a batch
        {**GOOD, "keyword": "typo"},  # unknown field
    )
    rows = batch.validate(batch.parse(data, "jsonl", settings()))
    assert [r["status"] for r in rows] == [batch.PENDING] + [batch.INVALID] * 4
    assert rows[1]["error"]["code"] == "duplicate_id" and "1번째 줄" in rows[1]["error"]["message"]
    assert "id는" in rows[2]["error"]["message"]
    assert "review" in rows[3]["error"]["message"]
    assert "keyword" in rows[4]["error"]["message"]


def test_upload_check_failure_is_a_bad_line():
    def missing(upload_id):
        if upload_id:
            raise generation.NotFound("참고 사진을 찾을 수 없습니다.", code="upload_not_found")

    data = jsonl(GOOD, {**GOOD, "uploadId": "0123456789abcdef" * 2})
    rows = batch.validate(batch.parse(data, "jsonl", settings()), upload_check=missing)
    assert [r["status"] for r in rows] == [batch.PENDING, batch.INVALID]
    assert rows[1]["error"]["code"] == "upload_not_found"


def test_sample_shot_list_has_one_deliberately_bad_line():
    result = batch.prepare(SAMPLE.read_bytes(), "jsonl", settings())
    rows = result["rows"]
    assert 6 <= len(rows) <= 10
    bad = [r for r in rows if r["status"] == batch.INVALID]
    assert len(bad) == 1 and bad[0]["line"] == 6 and "작업 단계" in bad[0]["error"]["message"]


def test_prepare_reports_a_rejected_file_as_an_error():
    result = batch.prepare(b"\xff\xfe\x00", "jsonl", settings())
    assert result["error"]["code"] == "undecodable" and "rows" not in result


# --- failures, results and summary --------------------------------------------------------------

def test_failure_error_keeps_known_errors_and_korean_text():
    from shared.core.errors import ContentFiltered

    marked = generation.StepFailed(ContentFiltered())
    assert batch.failure_error(marked)["code"] == "content_filtered"
    wrapped = Exception("Orchestrator function 'generate_background' failed: 이미지 모델이 응답하지 않습니다.\n"
                        "  File \"x.py\", line 3")
    assert batch.failure_error(wrapped) == {"code": "generation_failed", "message": "이미지 모델이 응답하지 않습니다."}
    assert batch.failure_error(Exception("boom")) == {"code": "generation_failed",
                                                      "message": batch.GENERATION_FAILED_MESSAGE}


def test_output_images_reads_blob_names_of_the_generation_output():
    output = {"images": [{"index": 1, "png": {"blob": "outputs/i/1.png", "url": "u"},
                          "psd": {"blob": "outputs/i/1.psd"}, "thumbnail": {"blob": "outputs/i/1.thumb.png"}}]}
    assert batch.output_images(output) == [{"index": 1, "png": "outputs/i/1.png", "psd": "outputs/i/1.psd"}]
    assert batch.output_images(None) == []


def _rows():
    return [
        {"line": 3, "id": "c", "status": batch.CANCELLED, "error": {"code": "cancelled", "message": "m"}},
        {"line": 1, "id": "a", "status": batch.COMPLETED, "instanceId": "b-L00001", "title": "t",
         "images": [{"index": 1, "png": "batch-out/x/0001-a/1.png"}], "error": None, "input": {"x": 1}},
        {"line": 2, "id": None, "status": batch.INVALID, "error": {"code": "validation_error", "message": "m"}},
        {"line": 4, "id": None, "status": batch.FAILED, "error": {"code": "generation_failed", "message": "m"}},
    ]


def test_results_are_one_row_per_line_in_input_order():
    text = batch.results_jsonl(_rows()).decode("utf-8")
    rows = [json.loads(line) for line in text.splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 3, 4]
    assert [r["status"] for r in rows] == ["completed", "invalid", "cancelled", "failed"]
    assert set(rows[0]) == {"line", "id", "status", "instanceId", "title", "images", "error"}
    assert "input" not in rows[0]


def test_summary_and_progress_counts():
    rows = _rows()
    body = batch.summary("x", "b", "batch-in/x.jsonl", "sha", rows, started="s", finished="f",
                         cancel_requested=True)
    assert body["status"] == "cancelled"
    assert (body["total"], body["completed"], body["failed"], body["invalid"], body["cancelled"]) == (4, 1, 1, 1, 1)
    assert body["results"] == "batch-out/x/results.jsonl"
    rejected = batch.summary("x", "b", "s", "sha", [], started="s", finished="f", cancel_requested=False,
                             error={"code": "too_many_lines", "message": "줄이 너무 많습니다"})
    assert rejected["status"] == "rejected" and rejected["results"] is None and rejected["total"] == 0
    stopped = batch.summary("x", "b", "s", "sha", rows, started="s", finished="f", cancel_requested=False)
    assert stopped["status"] == "cancelled"  # a cancelled line means the run was cut short
    ran = batch.summary("x", "b", "s", "sha", rows[1:], started="s", finished="f", cancel_requested=True)
    assert ran["status"] == "completed"  # asked too late: every line had run
    progress = batch.progress_status("x", rows, stage="running", running=2)
    assert (progress["done"], progress["failed"], progress["invalid"], progress["cancelled"],
            progress["total"], progress["processed"], progress["running"]) == (1, 1, 1, 1, 4, 4, 2)


def test_status_body_prefers_the_summary_once_written():
    pointer = {"instanceId": "b", "source": "batch-in/x.jsonl", "submittedAt": "t"}
    running = batch.status_body("x", pointer, "Running",
                                batch.progress_status("x", _rows()[:2], stage="running", running=1), None)
    assert running["runtimeStatus"] == "Running" and running["done"] == 1 and running["finished"] is False
    summary = batch.summary("x", "b", "batch-in/x.jsonl", "sha", _rows(), started="s", finished="f",
                            cancel_requested=False)
    done = batch.status_body("x", pointer, "Completed", None, summary)
    assert done["finished"] and done["processed"] == 4 and done["results"] == "batch-out/x/results.jsonl"
    pending = batch.status_body("x", pointer, "Pending", None, None)
    assert pending["stage"] == "queued" and pending["total"] == 0


def test_chunks_and_their_fixed_ids():
    rows = list(range(1, 121))
    parts = batch.chunks(rows, 50)
    assert [len(p) for p in parts] == [50, 50, 20] and sum(parts, []) == rows
    assert batch.chunks([], 50) == []
    iid = batch.instance_id("ch1", batch.content_sha256(b"x"))
    assert batch.chunk_instance_id(iid, 2) == f"{iid}-C0002"
    assert not batch.chunk_instance_id(iid, 1).startswith(batch.child_instance_id(iid, 1))


def test_status_body_adds_the_running_chunk_counts():
    rows = [{"line": 1, "status": batch.INVALID}, {"line": 2, "status": batch.COMPLETED},
            {"line": 3, "status": batch.PENDING}, {"line": 4, "status": batch.PENDING}]
    parent = batch.progress_status("x", rows, stage="running", chunk="b-C0002")
    assert parent["chunk"] == "b-C0002" and parent["processed"] == 2
    chunk_rows = [{"line": 3, "status": batch.FAILED}, {"line": 4, "status": batch.PENDING}]
    live = batch.progress_status("x", chunk_rows, stage="running", running=1)
    body = batch.status_body("x", {"instanceId": "b"}, "Running", parent, None, live=live)
    assert (body["total"], body["done"], body["failed"], body["invalid"], body["processed"], body["running"]) == \
        (4, 1, 1, 1, 3, 1)
    row = {"line": 9, "status": batch.PENDING, "error": None}
    batch.mark_cancelled(row)
    assert row["status"] == batch.CANCELLED and row["error"]["code"] == "cancelled"


def test_unreadable_lines_are_explained_in_korean_only():
    # json and csv word their errors in English; none of it may reach results.jsonl
    jsonl_lines = batch.parse(jsonl(GOOD) + b"{not json\n", "jsonl", settings())
    csv_lines = batch.parse(("category,stage,keywords\n" + "가" * 140_000 + ",배경,김치\n").encode(), "csv",
                            settings())
    for error in (jsonl_lines[1].error, csv_lines[0].error):
        assert error and not re.search("[A-Za-z]{3,}", error.replace("JSON", "").replace("CSV", ""))
