"""The blob work of the batch activities on a real Azurite: reading the dropped file (size checked
before download, content hash checked), copying outputs under fixed names, writing results and the
summary, the pointer that says which run owns batch-out/<name>/, and running each step twice."""

from __future__ import annotations

import json

import pytest

from shared.batch import blobs as batch_blobs
from shared.batch import lines as batch_lines
from shared.batch import names, results
from shared.core.errors import NotFound
from shared.storage import blobs as storage

GOOD = {"category": "음식", "stage": "스케치", "keywords": "비빔밥"}


@pytest.fixture
def blobs(app_env):
    storage.reset()
    storage.ensure_containers()
    yield storage
    storage.reset()


def _names(prefix: str) -> set[str]:
    container = storage.service().get_container_client(storage.BATCH_OUT)
    return {b.name for b in container.list_blobs(name_starts_with=prefix)}


def _drop(name: str, data: bytes) -> dict:
    storage.upload(storage.BATCH_IN, name, data, "application/x-ndjson")
    job = batch_lines.new_job(f"batch-in/{name}", data)
    batch_blobs.write_pointer(job["name"], job)
    return job


def test_load_source_validates_lines_and_checks_the_hash(blobs):
    data = (json.dumps(GOOD, ensure_ascii=False) + "\n{oops\n").encode()
    job = _drop("load-src.jsonl", data)
    result = batch_blobs.load_source(job["source"], job["sha256"], "jsonl")
    assert [r["status"] for r in result["rows"]] == [batch_lines.PENDING, batch_lines.INVALID]
    changed = batch_blobs.load_source(job["source"], names.content_sha256(b"other"), "jsonl")
    assert changed["error"]["code"] == "source_changed"
    missing = batch_blobs.load_source("batch-in/nope.jsonl", job["sha256"], "jsonl")
    assert missing["error"]["code"] == "source_missing"


def test_load_source_rejects_an_oversize_file(blobs, monkeypatch):
    from shared.core import config

    data = (json.dumps(GOOD, ensure_ascii=False) + "\n").encode() * 40
    job = _drop("big-src.jsonl", data)
    monkeypatch.setenv("BATCH_MAX_BYTES", str(len(data) - 10))
    config.reset_settings()
    result = batch_blobs.load_source(job["source"], job["sha256"], "jsonl")
    assert result["error"]["code"] == "file_too_large" and "파일이 너무 큽니다" in result["error"]["message"]


def test_copy_outputs_copies_under_fixed_names_and_twice_is_the_same(blobs):
    job = _drop("copy-run.jsonl", b"{}\n")
    png, psd = b"\x89PNG\r\n\x1a\n fake image bytes", b"8BPS fake psd"
    storage.upload(storage.OUTPUTS, "child-1/1.png", png, "image/png")
    storage.upload(storage.OUTPUTS, "child-1/1.psd", psd, "image/vnd.adobe.photoshop")
    images = [{"index": 1, "png": "outputs/child-1/1.png", "psd": "outputs/child-1/1.psd"}]
    first = batch_blobs.copy_outputs("copy-run", job["instanceId"], 3, "s3", images)
    assert first == [{"index": 1, "png": "batch-out/copy-run/0003-s3/1.png", "psd": "batch-out/copy-run/0003-s3/1.psd"}]
    second = batch_blobs.copy_outputs("copy-run", job["instanceId"], 3, "s3", images)
    assert second == first
    assert _names("copy-run/") == {"copy-run/batch.json", "copy-run/0003-s3/1.png", "copy-run/0003-s3/1.psd"}
    assert storage.download(storage.BATCH_OUT, "copy-run/0003-s3/1.png") == png
    assert storage.download(storage.BATCH_OUT, "copy-run/0003-s3/1.psd") == psd
    props = storage.service().get_blob_client(storage.BATCH_OUT, "copy-run/0003-s3/1.png").get_blob_properties()
    assert props.content_settings.content_type == "image/png"


def test_a_superseded_run_writes_nothing(blobs):
    old = _drop("taken-over.jsonl", b"{\"a\": 1}\n")
    new = _drop("taken-over.jsonl", b"{\"a\": 2}\n")
    assert old["instanceId"] != new["instanceId"]
    storage.upload(storage.OUTPUTS, "child-2/1.png", b"\x89PNG\r\n\x1a\n", "image/png")
    assert batch_blobs.copy_outputs("taken-over", old["instanceId"], 1, None, [{"index": 1, "png": "outputs/child-2/1.png"}]) == []
    summary = results.summary("taken-over", old["instanceId"], old["source"], old["sha256"], [], started="s",
                            finished="f", cancel_requested=False)
    assert batch_blobs.write_results("taken-over", old["instanceId"], [], summary) == {"written": False}
    assert _names("taken-over/") == {"taken-over/batch.json"}


def test_write_results_is_idempotent_and_removes_what_an_older_run_left(blobs):
    job = _drop("results-run.jsonl", b"x\n")
    # Leftovers of an earlier file under the same name.
    storage.upload(storage.BATCH_OUT, "results-run/0009-old/1.png", b"old", "image/png")
    storage.upload(storage.BATCH_OUT, "results-run/0001/1.png", b"new", "image/png")
    rows = [
        {"line": 2, "id": None, "status": batch_lines.INVALID, "error": {"code": "validation_error", "message": "분류"}},
        {"line": 1, "id": None, "status": batch_lines.COMPLETED, "instanceId": "c", "title": "t",
         "images": [{"index": 1, "png": "batch-out/results-run/0001/1.png"}], "error": None},
    ]
    summary = results.summary("results-run", job["instanceId"], job["source"], job["sha256"], rows, started="s",
                            finished="f", cancel_requested=False)
    for _ in range(2):
        assert batch_blobs.write_results("results-run", job["instanceId"], rows, summary) == {"written": True}
    assert _names("results-run/") == {"results-run/batch.json", "results-run/results.jsonl",
                                      "results-run/summary.json", "results-run/0001/1.png"}
    lines = storage.download(storage.BATCH_OUT, "results-run/results.jsonl").decode().splitlines()
    assert [json.loads(line)["line"] for line in lines] == [1, 2]
    assert batch_blobs.read_summary("results-run")["completed"] == 1


def test_a_rejected_file_leaves_only_the_summary(blobs):
    job = _drop("rejected-run.jsonl", b"\xff\n")
    storage.upload(storage.BATCH_OUT, "rejected-run/results.jsonl", b"stale", "application/x-ndjson")
    error = {"code": "undecodable", "message": "파일을 UTF-8 텍스트로 읽을 수 없습니다 (1번째 줄)."}
    summary = results.summary("rejected-run", job["instanceId"], job["source"], job["sha256"], [], started="s",
                            finished="f", cancel_requested=False, error=error)
    batch_blobs.write_results("rejected-run", job["instanceId"], [], summary)
    assert _names("rejected-run/") == {"rejected-run/batch.json", "rejected-run/summary.json"}
    assert batch_blobs.read_summary("rejected-run")["error"] == error


def test_cancel_flag_and_a_newer_file_stop_a_run(blobs):
    job = _drop("flagged.jsonl", b"{\"a\": 1}\n")
    assert batch_blobs.cancel_requested("flagged", job["instanceId"]) is False
    batch_blobs.write_cancel_flag("flagged", "batch-someone-else")
    assert batch_blobs.cancel_requested("flagged", job["instanceId"]) is False
    batch_blobs.write_cancel_flag("flagged", job["instanceId"])
    assert batch_blobs.cancel_requested("flagged", job["instanceId"]) is True
    newer = _drop("flagged.jsonl", b"{\"a\": 2}\n")
    assert batch_blobs.cancel_requested("flagged", newer["instanceId"]) is False  # the flag names the old run
    assert batch_blobs.cancel_requested("flagged", job["instanceId"]) is True  # superseded


def test_finished_run_is_known_from_batch_out(blobs):
    job = _drop("done-before.jsonl", b"{\"a\": 1}\n")
    assert batch_blobs.finished_run("done-before", job["instanceId"]) is False
    summary = results.summary("done-before", job["instanceId"], job["source"], job["sha256"], [], started="s",
                            finished="f", cancel_requested=False)
    batch_blobs.write_results("done-before", job["instanceId"], [], summary)
    assert batch_blobs.finished_run("done-before", job["instanceId"]) is True
    assert batch_blobs.finished_run("done-before", "batch-other") is False


# --- issue 14: a batch is its owner's -------------------------------------------------------------

def _drop_as(name: str, data: bytes, metadata: dict | None) -> dict:
    storage.upload(storage.BATCH_IN, name, data, "application/x-ndjson", metadata=metadata)
    job = batch_lines.new_job(f"batch-in/{name}", data, owner=batch_blobs.uploader(f"batch-in/{name}"))
    batch_blobs.write_pointer(job["name"], job)
    return job


def test_the_uploader_named_in_the_blob_owns_the_batch(blobs):
    job = _drop_as("owned-run.jsonl", b"{}\n", {"owner": "artist-a"})
    assert job["owner"] == "artist-a"
    assert batch_blobs.current_run("owned-run", "artist-a")["instanceId"] == job["instanceId"]
    for caller in ("artist-b", "local-user"):
        with pytest.raises(NotFound) as info:
            batch_blobs.current_run("owned-run", caller)
        assert info.value.code == "batch_not_found"  # the same answer as a name never used
    with pytest.raises(NotFound) as unknown:
        batch_blobs.current_run("never-dropped", "artist-a")
    assert unknown.value.message.replace("never-dropped", "owned-run") == info.value.message


def test_without_a_usable_uploader_the_configured_owner_owns_it(blobs, monkeypatch):
    from shared.core import config

    assert _drop_as("unowned-run.jsonl", b"{}\n", None)["owner"] == "local-user"
    assert _drop_as("forged-run.jsonl", b"{}\n", {"owner": "a b"})["owner"] == "local-user"
    monkeypatch.setenv("BATCH_OWNER", "ops-team")
    config.reset_settings()
    job = _drop_as("ops-run.jsonl", b"{}\n", {})
    assert job["owner"] == "ops-team" and batch_blobs.current_run("ops-run", "ops-team")
    assert batch_blobs.owner_of({"instanceId": "old"}) == "ops-team"  # a pointer from before owners


def test_result_files_are_served_to_the_owner_only(blobs):
    job = _drop_as("files-run.jsonl", b"{}\n", {"owner": "artist-a"})
    storage.upload(storage.BATCH_OUT, "files-run/0001-s1/1.png", b"\x89PNG", "image/png")
    summary = results.summary("files-run", job["instanceId"], job["source"], job["sha256"], [], started="s",
                              finished="f", cancel_requested=False)
    batch_blobs.write_results("files-run", job["instanceId"], [
        {"line": 1, "id": "s1", "status": "completed", "images": [{"index": 1, "png": "batch-out/files-run/0001-s1/1.png"}]}
    ], summary)
    url = batch_blobs.result_url("files-run", "0001-s1/1.png", "artist-a")
    assert "/batch-out/files-run/0001-s1/1.png?" in url and "sig=" in url
    assert "/batch-out/files-run/results.jsonl?" in batch_blobs.result_url("files-run", "results.jsonl", "artist-a")
    for name, path, caller in (("files-run", "results.jsonl", "artist-b"),  # not theirs
                               ("files-run", "batch.json", "artist-a"),  # not a result file
                               ("files-run", "../other/results.jsonl", "artist-a"),
                               ("files-run", "0002/1.png", "artist-a")):  # no such file
        with pytest.raises(NotFound):
            batch_blobs.result_url(name, path, caller)


# --- issue 14: no line is reported completed without its files -------------------------------------

PNG = b"\x89PNG\r\n\x1a\n"


def test_verify_outputs_repairs_or_fails_a_completed_line_whose_files_are_gone(blobs):
    job = _drop("verify-run.jsonl", b"{}\n")
    storage.upload(storage.OUTPUTS, "child-v/1.png", PNG + b" source", "image/png")
    storage.upload(storage.OUTPUTS, "child-broken/1.png", b"", "image/png")  # content lost by the store
    storage.upload(storage.BATCH_OUT, "verify-run/0001/1.png", PNG + b" copy", "image/png")
    storage.upload(storage.BATCH_OUT, "verify-run/0005/1.png", b"\x89PN", "image/png")  # cut short

    def completed(line: int, source: str | None) -> dict:
        target = f"batch-out/verify-run/{line:04d}/1.png"
        return {"line": line, "id": None, "status": batch_lines.COMPLETED, "error": None,
                "images": [{"index": 1, "png": target}],
                "sources": [{"index": 1, "png": source}] if source else []}

    rows = [completed(1, "outputs/child-v/1.png"),  # its copy is there
            completed(2, "outputs/child-v/1.png"),  # copy lost, the generation's output is still there
            completed(3, "outputs/child-gone/1.png"),  # both lost
            {**completed(4, None), "images": []},  # completed with no files at all
            completed(5, "outputs/child-v/1.png"),  # its copy is there but not a whole PNG
            completed(6, "outputs/child-broken/1.png"),  # copy lost, its source unreadable
            {"line": 7, "id": None, "status": batch_lines.INVALID, "error": {"code": "x", "message": "m"}}]
    checked = batch_blobs.verify_outputs("verify-run", job["instanceId"], rows)
    assert [r["status"] for r in checked] == ["completed", "completed", "failed", "failed", "completed",
                                              "failed", "invalid"]
    for line in (2, 5):
        assert storage.download(storage.BATCH_OUT, f"verify-run/{line:04d}/1.png") == PNG + b" source"
    assert not storage.exists(storage.BATCH_OUT, "verify-run/0006/1.png")
    for row in (checked[2], checked[3], checked[5]):
        assert row["error"]["code"] == "output_missing" and "저장소" in row["error"]["message"]
        assert row["images"] == []


def test_copy_outputs_leaves_an_unreadable_source_for_verify_to_report(blobs):
    job = _drop("copy-lost-run.jsonl", b"{}\n")
    storage.upload(storage.OUTPUTS, "child-c/1.png", PNG + b" image", "image/png")
    storage.upload(storage.OUTPUTS, "child-c/1.psd", b"", "image/vnd.adobe.photoshop")
    copied = batch_blobs.copy_outputs("copy-lost-run", job["instanceId"], 1, "c1", [
        {"index": 1, "png": "outputs/child-c/1.png", "psd": "outputs/child-c/1.psd"}])
    out = "batch-out/copy-lost-run/0001-c1"
    assert copied == [{"index": 1, "png": f"{out}/1.png", "psd": f"{out}/1.psd"}]
    assert storage.download(storage.BATCH_OUT, "copy-lost-run/0001-c1/1.png") == PNG + b" image"
    assert not storage.exists(storage.BATCH_OUT, "copy-lost-run/0001-c1/1.psd")


def test_starts_with_reads_only_what_is_whole(blobs):
    storage.upload(storage.OUTPUTS, "probe/whole.psd", b"8BPS" + bytes(100), "image/vnd.adobe.photoshop")
    storage.upload(storage.OUTPUTS, "probe/empty.psd", b"", "image/vnd.adobe.photoshop")
    storage.upload(storage.OUTPUTS, "probe/other.psd", b"GIF89a", "image/gif")
    assert storage.starts_with(storage.OUTPUTS, "probe/whole.psd", b"8BPS")
    for name in ("probe/empty.psd", "probe/other.psd", "probe/never.psd"):
        assert not storage.starts_with(storage.OUTPUTS, name, b"8BPS"), name
