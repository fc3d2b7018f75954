"""shared.batch.lines: per-line validation through shared.generation's rules, batch-only rules, chunks
and the job of a dropped file."""

from __future__ import annotations

import pytest

from shared.batch import lines as batch_lines
from shared.batch import names, shotlist
from shared.core.errors import NotFound, ValidationError
from shared.generation.request import validate_request
from tests.unit.batch.helpers import GOOD, SAMPLE, jsonl, settings


def test_new_job_describes_the_dropped_file():
    data = SAMPLE.read_bytes()
    job = batch_lines.new_job("batch-in/chapter1.jsonl", data, settings(batch_max_concurrency=3))
    assert job["name"] == "chapter1" and job["kind"] == "jsonl"
    assert job["source"] == "batch-in/chapter1.jsonl"
    assert job["sha256"] == names.content_sha256(data) and job["size"] == len(data)
    assert job["owner"] == "local-user"  # no uploader named: the configured owner (default: the local user)
    assert job["instanceId"] == names.instance_id("chapter1", job["sha256"], job["owner"])
    assert job["maxConcurrency"] == 3
    with pytest.raises(ValueError):
        batch_lines.new_job("batch-in/readme.md", b"x")


def test_good_line_becomes_the_generation_input():
    rows = batch_lines.validate(shotlist.parse(jsonl({**GOOD, "id": "s1", "aspect": "square"}), "jsonl", settings()))
    assert rows[0]["status"] == batch_lines.PENDING and rows[0]["id"] == "s1" and rows[0]["error"] is None
    generation_input = rows[0]["input"]
    request = generation_input["request"]
    assert request["category"] == "국내명소" and request["aspect"] == "square"
    assert request["user_id"] == batch_lines.BATCH_USER_ID
    assert generation_input["review"]["enabled"] is False


def test_bad_lines_get_the_same_korean_reasons_as_the_api():
    body = {**GOOD, "stage": "채색(기본)"}
    with pytest.raises(ValidationError) as api_error:
        validate_request(body, "u")
    rows = batch_lines.validate(shotlist.parse(jsonl(GOOD, body, {**GOOD, "keywords": ""}), "jsonl", settings()))
    assert [r["status"] for r in rows] == [batch_lines.PENDING, batch_lines.INVALID, batch_lines.INVALID]
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
    rows = batch_lines.validate(shotlist.parse(data, "jsonl", settings()))
    assert [r["status"] for r in rows] == [batch_lines.PENDING] + [batch_lines.INVALID] * 4
    assert rows[1]["error"]["code"] == "duplicate_id" and "1번째 줄" in rows[1]["error"]["message"]
    assert "id는" in rows[2]["error"]["message"]
    assert "review" in rows[3]["error"]["message"]
    assert "keyword" in rows[4]["error"]["message"]


def test_upload_check_failure_is_a_bad_line():
    def missing(upload_id):
        if upload_id:
            raise NotFound("참고 사진을 찾을 수 없습니다.", code="upload_not_found")

    data = jsonl(GOOD, {**GOOD, "uploadId": "0123456789abcdef" * 2})
    rows = batch_lines.validate(shotlist.parse(data, "jsonl", settings()), upload_check=missing)
    assert [r["status"] for r in rows] == [batch_lines.PENDING, batch_lines.INVALID]
    assert rows[1]["error"]["code"] == "upload_not_found"


def test_sample_shot_list_has_one_deliberately_bad_line():
    result = batch_lines.prepare(SAMPLE.read_bytes(), "jsonl", settings())
    rows = result["rows"]
    assert 6 <= len(rows) <= 10
    bad = [r for r in rows if r["status"] == batch_lines.INVALID]
    assert len(bad) == 1 and bad[0]["line"] == 6 and "작업 단계" in bad[0]["error"]["message"]


def test_prepare_reports_a_rejected_file_as_an_error():
    result = batch_lines.prepare(b"\xff\xfe\x00", "jsonl", settings())
    assert result["error"]["code"] == "undecodable" and "rows" not in result


def test_chunks_and_their_fixed_ids():
    rows = list(range(1, 121))
    parts = batch_lines.chunks(rows, 50)
    assert [len(p) for p in parts] == [50, 50, 20] and sum(parts, []) == rows
    assert batch_lines.chunks([], 50) == []
    iid = names.instance_id("ch1", names.content_sha256(b"x"))
    assert names.chunk_instance_id(iid, 2) == f"{iid}-C0002"
    assert not names.chunk_instance_id(iid, 1).startswith(names.child_instance_id(iid, 1))


# --- issue 14: a batch belongs to its uploader -----------------------------------------------------

def test_a_job_belongs_to_the_uploader_else_the_configured_owner():
    data = jsonl(GOOD)
    own = batch_lines.new_job("batch-in/ch1.jsonl", data, settings(), owner="artist-a")
    assert own["owner"] == "artist-a"
    assert own["instanceId"] == names.instance_id("ch1", own["sha256"], "artist-a")
    other = batch_lines.new_job("batch-in/ch1.jsonl", data, settings(), owner="artist-b")
    assert other["instanceId"] != own["instanceId"]  # the same file from another user is another run
    assert own["instanceId"] != names.instance_id("ch1", own["sha256"])  # not computable without the owner
    assert batch_lines.new_job("batch-in/ch1.jsonl", data, settings(batch_owner="ops"))["owner"] == "ops"
    assert batch_lines.new_job("batch-in/ch1.jsonl", data, settings(local_user_id="me"))["owner"] == "me"


def test_the_lines_generations_are_the_owners():
    rows = batch_lines.prepare(jsonl(GOOD), "jsonl", settings(), owner="artist-a")["rows"]
    assert rows[0]["input"]["request"]["user_id"] == "artist-a"
