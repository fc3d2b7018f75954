"""shared.batch.results: failures of a line, the images of its output, results rows and the summary."""

from __future__ import annotations

import json

from shared.batch import results
from shared.batch import status as shaping
from shared.generation.activity import StepFailed
from tests.unit.batch.helpers import sample_rows


def test_failure_error_keeps_known_errors_and_korean_text():
    from shared.core.errors import ContentFiltered

    marked = StepFailed(ContentFiltered())
    assert results.failure_error(marked)["code"] == "content_filtered"
    wrapped = Exception("Orchestrator function 'generate_background' failed: 이미지 모델이 응답하지 않습니다.\n"
                        "  File \"x.py\", line 3")
    assert results.failure_error(wrapped) == {"code": "generation_failed", "message": "이미지 모델이 응답하지 않습니다."}
    assert results.failure_error(Exception("boom")) == {"code": "generation_failed",
                                                      "message": results.GENERATION_FAILED_MESSAGE}


def test_output_images_reads_blob_names_of_the_generation_output():
    output = {"images": [{"index": 1, "png": {"blob": "outputs/i/1.png", "url": "u"},
                          "psd": {"blob": "outputs/i/1.psd"}, "thumbnail": {"blob": "outputs/i/1.thumb.png"}}]}
    assert results.output_images(output) == [{"index": 1, "png": "outputs/i/1.png", "psd": "outputs/i/1.psd"}]
    assert results.output_images(None) == []




def test_results_are_one_row_per_line_in_input_order():
    text = results.results_jsonl(sample_rows()).decode("utf-8")
    rows = [json.loads(line) for line in text.splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 3, 4]
    assert [r["status"] for r in rows] == ["completed", "invalid", "cancelled", "failed"]
    assert set(rows[0]) == {"line", "id", "status", "instanceId", "title", "images", "error"}
    assert "input" not in rows[0]


def test_summary_and_progress_counts():
    rows = sample_rows()
    body = results.summary("x", "b", "batch-in/x.jsonl", "sha", rows, started="s", finished="f",
                         cancel_requested=True)
    assert body["status"] == "cancelled"
    assert (body["total"], body["completed"], body["failed"], body["invalid"], body["cancelled"]) == (4, 1, 1, 1, 1)
    assert body["results"] == "batch-out/x/results.jsonl"
    rejected = results.summary("x", "b", "s", "sha", [], started="s", finished="f", cancel_requested=False,
                             error={"code": "too_many_lines", "message": "줄이 너무 많습니다"})
    assert rejected["status"] == "rejected" and rejected["results"] is None and rejected["total"] == 0
    stopped = results.summary("x", "b", "s", "sha", rows, started="s", finished="f", cancel_requested=False)
    assert stopped["status"] == "cancelled"  # a cancelled line means the run was cut short
    ran = results.summary("x", "b", "s", "sha", rows[1:], started="s", finished="f", cancel_requested=True)
    assert ran["status"] == "completed"  # asked too late: every line had run
    progress = shaping.progress_status("x", rows, stage="running", running=2)
    assert (progress["done"], progress["failed"], progress["invalid"], progress["cancelled"],
            progress["total"], progress["processed"], progress["running"]) == (1, 1, 1, 1, 4, 4, 2)
