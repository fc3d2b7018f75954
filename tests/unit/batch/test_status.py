"""shared.batch.status: customStatus counts and the GET /api/batches/{name} body."""

from __future__ import annotations

from shared.batch import lines as batch_lines
from shared.batch import results
from shared.batch import status as shaping
from tests.unit.batch.helpers import sample_rows


def test_status_body_prefers_the_summary_once_written():
    pointer = {"instanceId": "b", "source": "batch-in/x.jsonl", "submittedAt": "t"}
    running = shaping.status_body("x", pointer, "Running",
                                shaping.progress_status("x", sample_rows()[:2], stage="running", running=1), None)
    assert running["runtimeStatus"] == "Running" and running["done"] == 1 and running["finished"] is False
    summary = results.summary("x", "b", "batch-in/x.jsonl", "sha", sample_rows(), started="s", finished="f",
                            cancel_requested=False)
    done = shaping.status_body("x", pointer, "Completed", None, summary)
    assert done["finished"] and done["processed"] == 4 and done["results"] == "batch-out/x/results.jsonl"
    pending = shaping.status_body("x", pointer, "Pending", None, None)
    assert pending["stage"] == "queued" and pending["total"] == 0


def test_status_body_adds_the_running_chunk_counts():
    rows = [{"line": 1, "status": batch_lines.INVALID}, {"line": 2, "status": batch_lines.COMPLETED},
            {"line": 3, "status": batch_lines.PENDING}, {"line": 4, "status": batch_lines.PENDING}]
    parent = shaping.progress_status("x", rows, stage="running", chunk="b-C0002")
    assert parent["chunk"] == "b-C0002" and parent["processed"] == 2
    chunk_rows = [{"line": 3, "status": batch_lines.FAILED}, {"line": 4, "status": batch_lines.PENDING}]
    live = shaping.progress_status("x", chunk_rows, stage="running", running=1)
    body = shaping.status_body("x", {"instanceId": "b"}, "Running", parent, None, live=live)
    assert (body["total"], body["done"], body["failed"], body["invalid"], body["processed"], body["running"]) == \
        (4, 1, 1, 1, 3, 1)
    row = {"line": 9, "status": batch_lines.PENDING, "error": None}
    results.mark_cancelled(row)
    assert row["status"] == batch_lines.CANCELLED and row["error"]["code"] == "cancelled"
