"""Batch generation end to end on devhost running the real app with Azurite, PostgreSQL, the tiny
embedding model and the offline providers: a shot list dropped into batch-in gives one result row per
line, dropping it again starts nothing, whole-file limits give a Korean error summary, and the
GET/DELETE endpoints answer."""

from __future__ import annotations

import json
import time

import pytest

from shared.batch import names
from tests.integration.batch.batch_helpers import (
    BATCH_TRIGGER_ON,
    Blobs,
    batch_status,
    instances,
    jsonl,
    shot,
    trigger_runs,
    wait_batch,
)
from tests.integration.generation.generation_client import principal
from tests.polling import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def host(start_app_host):
    """The real app with the offline providers and the batch trigger on (BATCH_MAX_CONCURRENCY=4)."""
    app = start_app_host(**BATCH_TRIGGER_ON)
    yield app.devhost
    app.devhost.stop()


@pytest.fixture(scope="module")
def blobs(stack_env):
    return Blobs(stack_env["AzureWebJobsStorage"])


MIXED = [
    shot("경복궁, 근정전", id="s1"),
    "{이 줄은 JSON이 아닙니다",
    shot("남산타워, 야경", id="s3", stage="스케치"),
    shot("한복", category="한국문화", stage="채색(기본)"),  # a UI label, not a value: invalid
    "",  # blank lines are not lines
    shot("", category="음식", id="s6"),  # keywords required: invalid
    shot("광장시장", category="음식", id="s7"),
]


def test_mixed_file_gives_one_row_per_line(host, blobs):
    blobs.drop("mixed.jsonl", jsonl(MIXED))
    body = wait_batch(host, "mixed")
    assert body["runtimeStatus"] == "Completed" and body["stage"] == "done"
    assert (body["total"], body["done"], body["invalid"], body["failed"], body["cancelled"]) == (6, 3, 3, 0, 0)

    rows = blobs.results("mixed")
    assert [r["line"] for r in rows] == [1, 2, 3, 4, 6, 7]
    assert [r["status"] for r in rows] == ["completed", "invalid", "completed", "invalid", "invalid", "completed"]
    assert [r["id"] for r in rows] == ["s1", None, "s3", None, "s6", "s7"]
    assert "JSON" in rows[1]["error"]["message"]
    assert "작업 단계" in rows[3]["error"]["message"] and "채색(기본)" in rows[3]["error"]["message"]
    assert "키워드" in rows[4]["error"]["message"]

    instance = body["instanceId"]
    for row in (rows[0], rows[2], rows[5]):
        assert row["error"] is None
        assert row["instanceId"] == names.child_instance_id(instance, row["line"])
        [image] = row["images"]
        folder = names.item_folder(row["line"], row["id"])
        assert image["png"] == f"batch-out/mixed/{folder}/1.png"
        assert image["psd"] == f"batch-out/mixed/{folder}/1.psd"
        assert blobs.read("batch-out", image["png"].partition("/")[2])[:8] == b"\x89PNG\r\n\x1a\n"
        assert blobs.read("batch-out", image["psd"].partition("/")[2])[:4] == b"8BPS"

    summary = blobs.summary("mixed")
    assert summary["status"] == "completed" and summary["instanceId"] == instance
    assert (summary["completed"], summary["invalid"], summary["total"]) == (3, 3, 6)
    assert body["summary"] == summary


def test_the_same_file_dropped_again_starts_nothing(host, blobs):
    data = jsonl([shot("첨성대, 경주", id="again")])
    blobs.drop("again.jsonl", data)
    first = wait_batch(host, "again")
    assert first["done"] == 1
    before_outputs = blobs.names("outputs", first["instanceId"])
    before_results = blobs.last_modified("batch-out", "again/results.jsonl")
    before_instances = [i for i in instances(host) if i["instanceId"].startswith(first["instanceId"])]

    blobs.drop("again.jsonl", data)  # a new upload of identical content: the trigger fires again
    wait_until(lambda: trigger_runs(host, "again.jsonl") >= 2, timeout=60, what="second trigger run", host=host)
    assert trigger_runs(host, "again.jsonl") == 2
    time.sleep(1.0)  # anything it had started would be visible by now

    after_instances = [i for i in instances(host) if i["instanceId"].startswith(first["instanceId"])]
    assert [(i["instanceId"], i["createdTime"]) for i in after_instances] == \
        [(i["instanceId"], i["createdTime"]) for i in before_instances]
    assert sorted(i["instanceId"] for i in after_instances) == sorted([
        first["instanceId"], names.chunk_instance_id(first["instanceId"], 1),
        names.child_instance_id(first["instanceId"], 1)])  # the batch, its one chunk, its one line
    assert blobs.names("outputs", first["instanceId"]) == before_outputs
    assert blobs.last_modified("batch-out", "again/results.jsonl") == before_results
    code, again = batch_status(host, "again")
    assert code == 200 and again["instanceId"] == first["instanceId"] and again["finished"]


def _rejected(host, blobs, name: str, data: bytes, code: str) -> dict:
    blobs.drop(f"{name}.jsonl", data)
    body = wait_batch(host, name, timeout=120)
    assert body["stage"] == "rejected" and body["total"] == 0
    summary = blobs.summary(name)
    assert summary["status"] == "rejected" and summary["error"]["code"] == code
    assert body["error"] == summary["error"]
    assert not blobs.exists("batch-out", f"{name}/results.jsonl")
    assert [i for i in instances(host) if i["instanceId"].startswith(body["instanceId"] + "-")] == []
    return summary["error"]


def test_undecodable_file_is_rejected_with_a_korean_error(host, blobs):
    data = jsonl([shot("경복궁")]) + "{\"keywords\": \"한글\"}\n".encode("cp949")
    error = _rejected(host, blobs, "euckr", data, "undecodable")
    assert "UTF-8" in error["message"] and "2번째 줄" in error["message"]


def test_too_many_lines_is_rejected(host, blobs):
    error = _rejected(host, blobs, "toolong", jsonl([shot(f"장면 {n}") for n in range(1001)]), "too_many_lines")
    assert "1,001줄" in error["message"] and "1,000줄" in error["message"]


def test_oversize_file_is_rejected(host, blobs):
    line = jsonl([shot("경복궁", description="가" * 400)])
    data = line * (5 * 1024 * 1024 // len(line) + 1)
    assert len(data) > 5 * 1024 * 1024
    error = _rejected(host, blobs, "huge", data, "file_too_large")
    assert "파일이 너무 큽니다" in error["message"] and "5.0MB" in error["message"]


def test_other_files_in_batch_in_are_ignored(host, blobs):
    blobs.drop("notes.txt", "메모".encode())
    wait_until(lambda: trigger_runs(host, "notes.txt") >= 1, what="trigger run for notes.txt", host=host)
    assert trigger_runs(host, "notes.txt") == 1
    assert batch_status(host, "notes")[0] == 404


def test_http_answers_for_unknown_and_finished_batches(host, blobs):
    code, body = batch_status(host, "no-such-batch")
    assert code == 404 and body["error"]["code"] == "batch_not_found" and "배치를 찾을 수 없습니다" in body["error"]["message"]
    code, _, raw = host.request("GET", "/api/batches/bad%20name")
    assert code == 400
    blobs.drop("finished.jsonl", jsonl([shot("다보탑", stage="스케치")]))
    wait_batch(host, "finished")
    code, _, raw = host.request("DELETE", "/api/batches/finished")
    assert code == 409 and "이미 끝난" in raw.decode("utf-8")


def test_csv_shot_list_with_bom(host, blobs):
    text = ("\ufeffid,category,stage,keywords,description,aspect\r\n"
            "c1,음식,스케치,\"떡볶이, 분식집\",비 오는 저녁,square\r\n"
            "c2,음식,스케치,,키워드가 빠진 줄,square\r\n")
    blobs.drop("csv-shots.csv", text.encode("utf-8"))
    body = wait_batch(host, "csv-shots")
    rows = blobs.results("csv-shots")
    assert [(r["line"], r["id"], r["status"]) for r in rows] == [(2, "c1", "completed"), (3, "c2", "invalid")]
    assert "키워드" in rows[1]["error"]["message"]
    assert rows[0]["images"][0]["png"] == "batch-out/csv-shots/0002-c1/1.png"
    assert body["source"] == "batch-in/csv-shots.csv"


def test_a_long_list_runs_in_chunks_with_steady_progress(host, blobs):
    bad = (5, 51, 60)
    lines = [shot(f"장면 {n}, 골목", id=f"m{n}") if n not in bad else shot("", id=f"m{n}") for n in range(1, 61)]
    blobs.drop("many.jsonl", jsonl(lines))
    seen: list[int] = []

    def finished(body):
        seen.append(body.get("processed", 0))
        return body.get("finished")

    body = wait_batch(host, "many", until=finished, timeout=600)
    assert seen == sorted(seen) and seen[-1] == 60  # progress only goes forward
    assert any(0 < n < 60 for n in seen)
    rows = blobs.results("many")
    assert [r["line"] for r in rows] == list(range(1, 61))
    assert [r["line"] for r in rows if r["status"] == "invalid"] == list(bad)
    assert all(r["status"] == "completed" for r in rows if r["line"] not in bad)
    instance = body["instanceId"]
    chunks = sorted(i["instanceId"] for i in instances(host) if i["instanceId"].startswith(instance + "-C"))
    assert chunks == [names.chunk_instance_id(instance, 1), names.chunk_instance_id(instance, 2)]  # 57 = 50 + 7


# --- issue 14: a batch is its owner's; a hostile line is its own error row -------------------------

def test_a_batch_is_only_its_owners(host, blobs):
    """The blob's `owner` metadata makes the batch that user's: status, cancel and result files answer
    them (the signed-in principal) and 404 to anyone else, the local user included."""
    blobs.drop("owned.jsonl", jsonl([shot("석굴암, 새벽", id="o1")]), metadata={"owner": "artist-a"})
    artist_a, someone = principal("artist-a"), principal("artist-b")
    body = wait_batch(host, "owned", headers=artist_a)
    assert body["done"] == 1 and body["instanceId"] != names.instance_id("owned", body["summary"]["sha256"])
    for headers in (someone, {}):  # another signed-in user; the local user (no principal)
        code, other = batch_status(host, "owned", headers=headers)
        assert code == 404 and other["error"]["code"] == "batch_not_found"
        code, _, _ = host.request("DELETE", "/api/batches/owned", headers=headers)
        assert code == 404
        code, _, _ = host.request("GET", "/api/batches/owned/files/results.jsonl", headers=headers)
        assert code == 404
    code, _, raw = host.request("GET", "/api/batches/owned/files/results.jsonl", headers=artist_a)  # 302 followed
    assert code == 200 and json.loads(raw.decode("utf-8").splitlines()[0])["id"] == "o1"
    code, _, _ = host.request("GET", "/api/batches/owned/files/batch.json", headers=artist_a)
    assert code == 404  # only result files are served
    row = blobs.results("owned")[0]
    status_code, child = host.status(row["instanceId"])
    assert status_code == 200 and child["input"]["request"]["user_id"] == "artist-a"  # the owner's generation


def test_hostile_lines_are_error_rows_and_the_rest_run(host, blobs):
    """A lone surrogate, NUL or control characters, or deeply nested JSON on a line: that line is an
    invalid row with its number, the other lines complete (before: the batch hung or failed)."""
    good = json.dumps(shot("불국사, 가을", id="h1"), ensure_ascii=False)
    data = "\n".join([
        good,
        '{"category": "국내명소", "stage": "콘티", "keywords": "\\ud800", "aspect": "square"}',
        json.dumps(shot("남산\u0000타워")),
        '{"category": "국내명소", "stage": "콘티", "keywords": "a\x00b"}',
        "[" * 100_000 + "]" * 100_000,
        json.dumps(shot("안압지, 밤", id="h6"), ensure_ascii=False),
    ]).encode("utf-8") + b"\n"
    blobs.drop("hostile.jsonl", data)
    body = wait_batch(host, "hostile")
    assert body["runtimeStatus"] == "Completed" and (body["total"], body["done"], body["invalid"]) == (6, 2, 4)
    rows = blobs.results("hostile")
    assert [(r["line"], r["status"]) for r in rows] == [
        (1, "completed"), (2, "invalid"), (3, "invalid"), (4, "invalid"), (5, "invalid"), (6, "completed")]
    assert "쓸 수 없는 문자" in rows[1]["error"]["message"] and "중첩" in rows[4]["error"]["message"]
